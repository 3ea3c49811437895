"""Grade one cohort with stock ``nbgrader autograde`` and with ``autograder grade``, in one run.

Usage: ``make bench-grading`` or ``python benchmarks/grading.py [--students N] [--skip-stock]``.

It builds N varied submissions (the sample cohort's reference, stub and
mistakes, cycled) in two throw-away copies of the course, grades one copy with
stock nbgrader (one submission at a time, a fresh kernel per notebook) and the
other with ours, checks that both gradebooks agree, and prints:

* the speed-up of ours over stock and the seconds per submission of each;
* the floor: executing the graded notebooks' cells in one already-warm
  interpreter, one after another, with no gradebook work;
* the floor with the shared prefix (each notebook's leading locked cells) run
  once per notebook, not once per submission: what running the prefix once per
  zygote could reach;
* the same with the grader's probes calling the student's functions after each
  notebook, in that interpreter: the floor of the 15x issue (one warm
  interpreter, serially: ours has two workers, so it can beat it);
* where ours spends its time, per submission: the main process's stages and its
  CPU, and the stages of the notebooks' runs (from the grading records);
* the peak memory (sum of the resident memory of the whole process tree,
  sampled) of our run, for N and for N/4, to show it does not grow with N.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.course import Course  # noqa: E402
from autograder.engine.release import generate_release  # noqa: E402
from autograder.engine.results import FINALIZE, PREPARE, RECORD_NAME, read_record  # noqa: E402
from autograder.engine.seeds import SECRETS_DIR  # noqa: E402
from autograder.jail import timing  # noqa: E402
from autograder.samples import Variant, build_cohort, drop_ungraded, stock_config  # noqa: E402
from autograder.settings import Grader  # noqa: E402
from demo.cohort import SAMPLE_COHORT  # noqa: E402


def cohort(n: int) -> list[Variant]:
    return [
        replace(v, student=f"s{i:03d}_{v.student}")
        for i, v in ((i, SAMPLE_COHORT[i % len(SAMPLE_COHORT)]) for i in range(n))
    ]


def make_course(dest: Path, variants: list[Variant]) -> Path:
    """A copy of the course with the cohort submitted. The notebooks without grade cells (Task 3, optional) are
    left out of the submissions: ``autograder grade`` would not run them (``c.Grader.execute_ungraded``) where
    stock nbgrader would train Task 3's models for every student, and the two are compared on the same work."""
    dest.mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", dest)
    shutil.copytree(ROOT / "source", dest / "source")
    shutil.copytree(ROOT / "solutions", dest / "solutions", ignore=shutil.ignore_patterns("__pycache__"))
    generate_release(Course.load(dest), "week3")
    build_cohort(variants, course_root=dest, assignment="week3")
    drop_ungraded(dest, "week3")
    return dest


class PeakMemory:
    """Samples the summed RSS of a process and all its descendants, and the CPU seconds of the process itself."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.peak = 0
        self.cpu = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            with contextlib.suppress(psutil.Error):
                times = self.root.cpu_times()
                self.cpu = times.user + times.system
            try:
                for proc in [self.root, *self.root.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        total += proc.memory_info().rss
            except psutil.Error:
                pass
            self.peak = max(self.peak, total)
            self._stop.wait(0.1)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def timed(cmd: list[str], cwd: Path) -> tuple[float, int, float]:
    """Wall seconds, peak memory of the process tree, and CPU seconds of the main process (sampled)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with PeakMemory(proc.pid) as memory:
        code = proc.wait()
    if code != 0:
        raise SystemExit(f"{' '.join(cmd)} failed with status {code}")
    return time.perf_counter() - started, memory.peak, memory.cpu


def stage_seconds(course: Path) -> tuple[int, dict[str, float]]:
    """The submissions graded, and their mean seconds per stage (from their grading records)."""
    totals: dict[str, float] = {}
    records = [read_record(folder.parent) for folder in course.glob(f"autograded/*/week3/{RECORD_NAME}")]
    graded = [r for r in records if r is not None]
    for record in graded:
        for stage, spent in record.stages.items():
            totals[stage] = totals.get(stage, 0.0) + spent
    return len(graded), {stage: spent / max(1, len(graded)) for stage, spent in totals.items()}


def print_stages(course: Path, main_cpu: float, workers: int) -> None:
    count, mean = stage_seconds(course)
    main = [PREPARE, FINALIZE]
    print(f"where ours spends its time, seconds per submission (mean of {count} records):")
    print("  main process: " + ", ".join(f"{s} {mean.get(s, 0.0):.3f}" for s in main)
          + f"; its CPU in all {main_cpu / max(1, count):.3f}")  # fmt: skip
    run = sum(mean.get(s, 0.0) for s in timing.STAGES)
    print("  notebooks' runs (on the workers): " + ", ".join(f"{s} {mean.get(s, 0.0):.3f}" for s in timing.STAGES)
          + f"; in all {run:.3f}, {run / workers:.3f} per submission over {workers} workers")  # fmt: skip


def scores(course: Path) -> dict[tuple[str, str, str], float | None]:
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in gb.students:
            for nb in gb.find_submission("week3", student.id).notebooks:
                for grade in nb.grades:
                    out[(student.id, nb.name, grade.name)] = grade.score
    return out


def floor_seconds(
    course: Path, students: list[str], prefix_once: bool = False, checks: bool = False
) -> tuple[float, float]:
    """Execute the graded notebooks of every submission in one warm interpreter, serially.

    ``prefix_once``: each notebook's leading locked cells run once (with the first submission), and every
    submission after runs from its first other cell, in the state they left. ``checks``: after each
    notebook, the grader's probes call the student's functions there, as in the sandbox (the issue's floor).
    Returns the seconds of the cells and, apart, of the probes (0 without ``checks``).
    """
    code = f"""
import json, sys, time
sys.path.insert(0, {str(ROOT)!r})
import numpy, torch, matplotlib.pyplot, ipywidgets, IPython
torch.set_num_threads(1)
from pathlib import Path
from dataclasses import asdict
from autograder.jail.executor import Capture, build_shell, run_cells
from autograder.jail.probing import run_probe
plan = None
if {checks!r}:
    from autograder.course import Course
    from autograder.engine.seeds import assignment_plan
    plan = assignment_plan(Course.load(Path({str(course)!r})), "week3")
capture = Capture(10**9)
shell = build_shell(capture)
total = probing = 0.0
def meta(cell):
    return cell.get("metadata", {{}}).get("nbgrader", {{}})
def prefix_length(nb):
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    return next((i for i, c in enumerate(code) if meta(c).get("solution") or meta(c).get("grade")), len(code))
names = sorted({{p.name for s in {students!r} for p in Path({str(course)!r}, "submitted", s, "week3").glob("*.ipynb")}})
for name in (names if {prefix_once!r} else [None]):
    done = False
    for student in {students!r}:
        for path in sorted(Path({str(course)!r}, "submitted", student, "week3").glob("*.ipynb")):
            nb = json.loads(path.read_text())
            if not any(meta(c).get("grade") for c in nb["cells"]) or name not in (None, path.name):
                continue
            if name is None or not done:
                shell.reset(new_session=False)
            elif done:
                skip = prefix_length(nb)
                code = [c for c in nb["cells"] if c["cell_type"] == "code"]
                nb["cells"] = code[skip:]
            started = time.perf_counter()
            run_cells(shell, capture, nb, 600)
            total += time.perf_counter() - started
            if plan is not None:
                started = time.perf_counter()
                subs = plan.references(path.stem)
                for probe in plan.probes(path.stem):
                    run_probe(asdict(probe), shell.user_ns, 60, lambda gid: subs.get(gid, {{}}))
                probing += time.perf_counter() - started
            done = True
print(total, probing)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=course)
    cells, probes = out.stdout.strip().splitlines()[-1].split()
    return float(cells), float(probes)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--skip-stock", action="store_true", help="only time ours (no ratio)")
    args = parser.parse_args(argv)
    n = args.students
    bindir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        ours_dir = make_course(Path(tmp) / "ours", cohort(n))
        small_dir = make_course(Path(tmp) / "small", cohort(max(2, n // 4)))
        print(f"cohort: {n} submissions, {len(SAMPLE_COHORT)} kinds cycled; machine: {psutil.cpu_count()} cores")
        ours_s, ours_mem, ours_cpu = timed([str(bindir / "autograder"), "grade", "week3"], ours_dir)
        _, small_mem, _ = timed([str(bindir / "autograder"), "grade", "week3"], small_dir)
        students = [v.student for v in cohort(n)]
        floor, _ = floor_seconds(ours_dir, students)
        floor_once, probes = floor_seconds(ours_dir, students, prefix_once=True, checks=True)  # one run, both
        floor_checks = floor_once + probes
        print(
            f"ours : {ours_s:8.1f} s  {ours_s / n:6.2f} s/submission  peak memory {ours_mem / 2**20:6.0f} MiB "
            f"(with {max(2, n // 4)} submissions: {small_mem / 2**20:.0f} MiB)"
        )
        print(
            f"floor: {floor:8.1f} s  {floor / n:6.2f} s/submission  (graded notebooks' cells, one warm "
            f"interpreter) -> ours is {ours_s / floor:.2f}x the floor"
        )
        print(
            f"floor with the shared prefix run once per notebook: {floor_once:8.1f} s  {floor_once / n:6.2f} "
            f"s/submission -> ours is {ours_s / floor_once:.2f}x it"
        )
        print(
            f"floor with the checks' calls too (the shared prefix once): {floor_checks:8.1f} s  "
            f"{floor_checks / n:6.2f} s/submission -> ours is {ours_s / floor_checks:.2f}x it"
        )
        print_stages(ours_dir, ours_cpu, Grader(config=Course.load(ours_dir).config).workers or psutil.cpu_count())
        if not args.skip_stock:
            stock_dir = make_course(Path(tmp) / "stock", cohort(n))
            config = stock_dir / "nbgrader_config.py"
            config.write_text(stock_config(config.read_text()))  # stock nbgrader, not ours through its commands
            secret = Path(SECRETS_DIR) / "week3"  # the same secret: stock's hidden tests draw the same inputs
            (stock_dir / secret).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ours_dir / secret, stock_dir / secret)
            stock_s, stock_mem, _ = timed([str(bindir / "nbgrader"), "autograde", "week3"], stock_dir)
            print(f"stock: {stock_s:8.1f} s  {stock_s / n:6.2f} s/submission  peak memory {stock_mem / 2**20:6.0f} MiB")
            print(f"speed-up of ours over stock nbgrader: {stock_s / ours_s:.1f}x")
            a, b = scores(stock_dir), scores(ours_dir)
            differing = sorted(k for k in a if a[k] != b.get(k))
            higher = [k for k in differing if (b.get(k) or 0) > (a[k] or 0)]
            print(f"grades that differ from stock: {len(differing)} of {len(a)} (ours higher on {len(higher)})")
            for key in differing:
                print(f"  differs: {'/'.join(key)}: stock {a[key]}, ours {b.get(key)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
