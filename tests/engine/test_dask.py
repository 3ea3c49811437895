"""Scale out on Dask: a real scheduler and two workers on loopback grade as the local run does.

The test starts ``dask scheduler`` and two ``dask worker`` processes, each in
its own process group, and stops them all afterwards (SIGTERM, then SIGKILL),
with the warm zygotes the workers started.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from distributed import Client

from tests.helpers import run_cli
from tests.servers import (
    ASSIGNMENT,
    COHORT,
    LOOPBACK,
    Course,
    Proc,
    Scores,
    assert_spread_out,
    copy_course,
    dask_cluster,
    free_port,
    grade_cli,
    listening,
    scores,
    sqlite_baseline,
    still_running,
    template_course,
)

WORKERS = 2


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Course:
    return template_course(tmp_path_factory)


@pytest.fixture(scope="session")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Scores:
    return sqlite_baseline(tmp_path_factory)


def zygotes(processes: dict[int, Proc]) -> list[Proc]:
    return [p for p in processes.values() if "autograder.jail.zygote" in p.cmdline]


def worker_of(proc: Proc, processes: dict[int, Proc], workers: set[int]) -> int | None:
    """The ``dask worker`` command (the process group leader we started) that ``proc`` descends from."""
    while proc.pid not in workers:
        parent = processes.get(proc.ppid)
        if parent is None:
            return None
        proc = parent
    return proc.pid


@pytest.mark.slow
@pytest.mark.dask
@pytest.mark.xdist_group("servers")
def test_a_dask_cluster_grades_as_the_local_run(tmp_path: Path, template: Course, baseline: Scores) -> None:
    course = copy_course(template, tmp_path / "course")
    with dask_cluster(tmp_path / "dask", workers=WORKERS) as cluster:
        with Client(cluster.address, timeout=10) as client:
            addresses = list(client.scheduler_info()["workers"])
        assert len(addresses) == WORKERS and all(a.startswith(f"tcp://{LOOPBACK}:") for a in addresses), addresses

        out = grade_cli(course, "--scheduler", cluster.address)
        running = cluster.processes_now()
        sockets = listening(running)
    assert sockets and {address for address, _, _ in sockets} == {LOOPBACK}, sockets
    assert f"{len(COHORT)} submissions: " in out, out

    # the notebooks ran on the workers' zygotes, one per worker: not in the grading command
    workers = cluster.worker_pids
    assert len(workers) == WORKERS
    hosts = {worker_of(z, cluster.stopped, workers) for z in zygotes(cluster.stopped)}
    assert hosts == workers, f"zygotes {zygotes(running)} under workers {workers}\n{cluster.logs_text()}"

    # stopping the cluster stopped everything it had started, zygotes included
    assert cluster.left_running == [], f"outlived SIGTERM/SIGKILL of their process groups: {cluster.left_running}"
    assert still_running(cluster.stopped) == []

    on_dask = scores(course.gradebook_url())
    assert on_dask == baseline
    assert_spread_out(on_dask)


@pytest.mark.slow
@pytest.mark.dask
@pytest.mark.xdist_group("servers")
def test_an_unreachable_scheduler_is_a_one_line_error(tmp_path: Path, template: Course) -> None:
    course = copy_course(template, tmp_path / "course")
    address = f"tcp://{LOOPBACK}:{free_port()}"  # nothing listens there
    result = run_cli("grade", ASSIGNMENT, "--scheduler", address, cwd=course.root, timeout=120)
    err = result.stderr.strip()
    assert result.returncode == 1, (result.stdout, err)
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"autograder: error: cannot reach the Dask scheduler at {address}"), err
    assert not (course.root / "autograded").exists()
