"""The gradebook on a real PostgreSQL server, through nbgrader's ``db_url``: the scores of SQLite.

The server is started by the test on loopback (``initdb`` in a temporary
folder, ``pg_ctl start``) and stopped after it, whatever happens.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder.engine.results import RECORD_NAME
from tests.helpers import make_course, run_cli
from tests.servers import (
    ASSIGNMENT,
    COHORT,
    LOOPBACK,
    Postgres,
    Scores,
    assert_spread_out,
    free_port,
    grade_cli,
    listening,
    only,
    postgres_server,
    postmaster_pid,
    released_course,
    scores,
    sqlite_baseline,
)

PG_COHORT = [v for v in COHORT if v.student in {"ada_reference", "ben_untouched_stub", "cai_forgets_zero_grad"}]


@pytest.fixture
def postgres() -> Iterator[Postgres]:
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="session")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Scores:
    return sqlite_baseline(tmp_path_factory)


def grading_records(root: Path) -> dict[Path, int]:
    """Each submission's completion record, with the time it was written."""
    return {p: p.stat().st_mtime_ns for p in (root / "autograded").glob(f"*/{ASSIGNMENT}/{RECORD_NAME}")}


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.xdist_group("servers")
def test_postgres_gradebook_gives_the_sqlite_scores(tmp_path: Path, postgres: Postgres, baseline: Scores) -> None:
    course = released_course(tmp_path / "course", PG_COHORT, db_url=postgres.url())
    assert course.gradebook_url() == postgres.url()
    postmaster = postmaster_pid(postgres.data)
    assert postmaster is not None and listening([postmaster]) == [(LOOPBACK, postgres.port, postmaster)]

    grade_cli(course)

    on_postgres = scores(postgres.url())
    assert not (course.root / "gradebook.db").exists(), "a PostgreSQL course must not create a SQLite gradebook"
    assert {student for student, _, _ in on_postgres} == {v.student for v in PG_COHORT}
    assert on_postgres == only(baseline, (v.student for v in PG_COHORT))
    assert_spread_out(on_postgres)

    records = grading_records(course.root)
    assert len(records) == len(PG_COHORT)
    again = grade_cli(course)
    assert f"{len(PG_COHORT)} submissions: {len(PG_COHORT)} already graded" in again, again
    assert grading_records(course.root) == records, "the second run wrote grading records again"
    assert scores(postgres.url()) == on_postgres
    assert not (course.root / "gradebook.db").exists()


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.xdist_group("servers")
def test_a_bare_postgresql_url_opens_the_gradebook(postgres: Postgres) -> None:
    with Gradebook(postgres.url(driver=None)) as gb:
        assert gb.assignments == []


@pytest.mark.slow
@pytest.mark.postgres
def test_an_unreachable_database_is_a_one_line_error_without_the_password(tmp_path: Path) -> None:
    course = make_course(tmp_path / "course")
    (course / "submitted" / "ana" / ASSIGNMENT).mkdir(parents=True)
    url = f"postgresql+psycopg2://grader:s3cret@{LOOPBACK}:{free_port()}/gradebook"  # nothing listens there
    with (course / "nbgrader_config.py").open("a") as config:
        config.write(f'c.CourseDirectory.db_url = "{url}"\n')
    result = run_cli("grade", ASSIGNMENT, cwd=course, timeout=120)
    err = result.stderr.strip()
    assert result.returncode == 1, err
    assert err.startswith("autograder: error: cannot open the gradebook at "), err
    assert "s3cret" not in err, err
    assert len(err.splitlines()) == 1, err
