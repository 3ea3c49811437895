"""The ``autograder`` command: a thin layer over :mod:`release` and :mod:`grade`."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import warnings
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.engine.results import Status, SubmissionResult
from autograder.errors import AutograderError

if TYPE_CHECKING:
    from autograder.course import Course

NO_SANDBOX_WARNING = "graded WITHOUT a sandbox (--no-sandbox): student code could read or change files"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autograder", description="Release and grade an nbgrader course.")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    parser.add_argument("--course", type=Path, default=None, help="the course root (default: current directory)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    release = commands.add_parser("release", help="generate release/ASSIGNMENT from source/ASSIGNMENT")
    release.add_argument("assignment")

    grade = commands.add_parser("grade", help="grade submitted/*/ASSIGNMENT into the gradebook")
    grade.add_argument("assignment")
    grade.add_argument("--student", action="append", default=None, metavar="ID", help="grade only this student")
    grade.add_argument("--force", action="store_true", help="grade again submissions already graded")
    grade.add_argument("--workers", type=int, default=None, metavar="N", help="notebooks graded at once here")
    grade.add_argument("--scheduler", default=None, metavar="ADDRESS", help="grade on a Dask cluster (tcp://HOST:PORT)")
    grade.add_argument(
        "--seed",
        type=int,
        default=None,
        metavar="N",
        help="draw the grader's check inputs from this seed (reproduce a run)",
    )
    grade.add_argument(
        "--new-inputs",
        action="store_true",
        help="draw a new secret for the grader's check inputs (kept in .autograder/secrets/): the checks that "
        "draw inputs are graded again",
    )
    grade.add_argument(
        "--no-sandbox", action="store_true", help="run student code without the bubblewrap sandbox (unsafe)"
    )
    grade.add_argument(
        "--no-wait",
        action="store_true",
        help="refuse, instead of waiting, if another grading run holds the course",
    )
    grade.add_argument(
        "--csv",
        type=Path,
        default=None,
        help="where to write grades.csv, from the gradebook (default reports/ASSIGNMENT/grades.csv)",
    )
    report = commands.add_parser("report", help="write feedback pages, grade exports and the cohort report")
    report.add_argument("assignment")
    from autograder.feedback.cli import add_parser as add_feedback

    add_feedback(commands)
    return parser


def print_table(results: Sequence[SubmissionResult]) -> None:
    """One line per submission: auto-graded points, late penalty, final score (as nbgrader export's), status."""
    width = max([len(r.student) for r in results] + [7])
    print(f"{'student':<{width}}  {'auto':>11}  {'late':>7}  {'score':>11}  status")
    for r in results:
        auto = f"{r.auto_score:g}/{r.max_auto_score:g}"
        late = f"-{r.late_penalty:g}" if r.late_penalty else ""
        total = f"{r.score:g}/{r.max_score:g}"
        note = f" ({r.message})" if r.message else ""
        print(f"{r.student:<{width}}  {auto:>11}  {late:>7}  {total:>11}  {r.status.value}{note}")


def print_summary(results: Sequence[SubmissionResult]) -> None:
    counts = Counter(r.status for r in results)
    parts = [f"{counts[s]} {s.value}" for s in Status if counts[s]]
    print(f"{len(results)} submissions: " + ", ".join(parts))
    seeds = sorted({r.seed for r in results if r.seed is not None and r.status is not Status.SKIPPED})
    if seeds:
        print(f"check inputs drawn from seed {', '.join(map(str, seeds))} (autograder grade --seed N reproduces them)")


def skip_iri_grammars() -> None:
    """Keep ``jsonschema`` from importing ``rfc3987_syntax``, which builds some 35 parsers on import (1 to
    3 s of every command's start: jsonschema issue #1428). It only checks the ``iri`` format, which no
    schema of nbformat's or nbgrader's uses, and they validate without format checks anyway."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  # import raises ImportError


def run(args: argparse.Namespace) -> int:
    skip_iri_grammars()
    from autograder.course import Course

    course = Course.load(args.course)
    if args.command == "feedback":
        from autograder.feedback.cli import run as run_feedback

        return run_feedback(course, args)
    if args.command == "release":
        from autograder.engine.release import generate_release

        released = generate_release(course, args.assignment)
        print(f"released {len(released)} notebooks to {course.release_dir / args.assignment}")
        return 0
    if args.command == "report":
        from autograder.reports.build import write_reports

        paths = write_reports(course, args.assignment)
        feedback = Path(course.coursedir.root, course.coursedir.feedback_directory)
        pages = [p for p in paths if feedback in p.parents]
        print(f"wrote {len(pages)} feedback pages in {feedback}")
        for path in paths:
            if path not in pages:
                print(f"wrote {path}")
        return 0
    from autograder.engine.grade import grade

    results = grade(
        course,
        args.assignment,
        students=args.student,
        force=args.force,
        workers=args.workers,
        scheduler=args.scheduler,
        show_progress=True,
        sandbox=False if args.no_sandbox else None,
        seed=args.seed,
        new_inputs=args.new_inputs,
        wait=not args.no_wait,
        on_wait=lambda line: print(f"autograder: {line}", file=sys.stderr, flush=True),
    )
    print_table(results)
    print_summary(results)
    if args.no_sandbox:
        print(f"warning: {NO_SANDBOX_WARNING}")
    from autograder.reports.exports import write_grades

    csv_path = write_grades(course, args.assignment, args.csv)
    print(f"grades of every student written to {csv_path}")
    again = [r for r in results if r.regraded and r.status is not Status.SKIPPED]
    if again:
        print_changes(course, args.assignment, again)
    return 0


def print_changes(course: Course, assignment: str, again: Sequence[SubmissionResult]) -> None:
    """What a run that regraded for changed checks did, and where the change report is."""
    from autograder.engine.regrade import read_log
    from autograder.reports.exports import write_changes_csv

    checks = sorted({gid for r in again for gid in r.regraded})
    moved = read_log(course, assignment)[-1].changes
    path = write_changes_csv(course, assignment)
    students = len({c.student for c in moved})
    print(
        f"checks changed since the last grading: {', '.join(checks)}; {len(again)} submissions graded again in "
        f"those cells only (manual grades kept), {students} students' points moved: see {path}"
    )


def _interrupt_once(signum: int, frame: object) -> None:
    """Ctrl-C: stop the run; further Ctrl-C wait for its clean-up (workers stopped, the batch committed), so that
    the command ends with one line and leaves nothing running."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if args.verbose < 2:
        # nbgrader's apps log through "traitlets" and warn through SQLAlchemy; -vv shows both.
        logging.getLogger("traitlets").propagate = False
        warnings.filterwarnings("ignore", module=r"nbgrader\..*")
    handles_signals = threading.current_thread() is threading.main_thread()
    before = signal.signal(signal.SIGINT, _interrupt_once) if handles_signals else None
    try:
        return run(args)
    except AutograderError as exc:
        print(f"autograder: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("autograder: interrupted", file=sys.stderr)
        return 130
    finally:
        if handles_signals:
            signal.signal(signal.SIGINT, before)


def entrypoint() -> None:
    code = main()
    if code == 130:  # the interpreter's own shutdown after an interrupt: no traceback from a second Ctrl-C
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(code)
