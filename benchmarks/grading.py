"""Grade one cohort with stock ``nbgrader autograde`` and with ``autograder grade``, in one run.

Usage: ``make bench-grading`` or ``python benchmarks/grading.py [--students N] [--skip-stock]``.

It builds N varied submissions (the sample cohort's reference, stub and
mistakes, cycled) in two throw-away copies of the course, grades one copy with
stock nbgrader (one submission at a time, a fresh kernel per notebook) and the
other with ours, checks that both gradebooks agree, and prints:

* the speed-up of ours over stock and the seconds per submission of each;
* the seconds per submission in each stage (main process: intake, prepare,
  finalize, gradebook; zygote: the shared set-up, the other cells, the probes),
  from the grading records;
* the floor: the students' own cells of the graded notebooks and the checks'
  calls, in one already-warm interpreter, one after another, each notebook's
  shared set-up run once, with no gradebook work;
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
from autograder.engine.results import MAIN_STAGES, STAGES, read_record  # noqa: E402
from autograder.engine.seeds import SECRETS_DIR  # noqa: E402
from autograder.samples import Variant, build_cohort, stock_config  # noqa: E402
from demo.cohort import SAMPLE_COHORT  # noqa: E402


def cohort(n: int) -> list[Variant]:
    return [
        replace(v, student=f"s{i:03d}_{v.student}")
        for i, v in ((i, SAMPLE_COHORT[i % len(SAMPLE_COHORT)]) for i in range(n))
    ]


def make_course(dest: Path, variants: list[Variant]) -> Path:
    dest.mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", dest)
    shutil.copytree(ROOT / "source", dest / "source")
    generate_release(Course.load(dest), "week3")
    build_cohort(variants, course_root=dest, assignment="week3")
    return dest


class PeakMemory:
    """Samples the summed RSS of a process and all its descendants."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
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


def timed(cmd: list[str], cwd: Path) -> tuple[float, int]:
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with PeakMemory(proc.pid) as memory:
        code = proc.wait()
    if code != 0:
        raise SystemExit(f"{' '.join(cmd)} failed with status {code}")
    return time.perf_counter() - started, memory.peak


def scores(course: Path) -> dict[tuple[str, str, str], float | None]:
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student in gb.students:
            for nb in gb.find_submission("week3", student.id).notebooks:
                for grade in nb.grades:
                    out[(student.id, nb.name, grade.name)] = grade.score
    return out


def floor_seconds(course: Path, students: list[str]) -> float:
    """The floor: in one warm interpreter, one after another, the students' own cells of every graded notebook
    (what follows the shared set-up, hidden-test blocks cut) with the grader's probes (the checks' calls); each
    notebook's shared set-up run once. No gradebook, no process per notebook."""
    code = f"""
import json, sys, time
sys.path.insert(0, {str(ROOT)!r})
import nbformat
import numpy, torch, matplotlib.pyplot, ipywidgets, IPython
torch.set_num_threads(1)
from dataclasses import asdict
from pathlib import Path
from autograder.checks.hidden import for_sandbox
from autograder.course import Course
from autograder.engine import seeds, setup_cells
from autograder.jail.executor import Capture, build_shell, run_cells
from autograder.jail.probing import ProbeSchedule
course = Course.load({str(course)!r})
plan = seeds.assignment_plan(course, "week3")
capture = Capture(10**9)
shell = build_shell(capture)
total = 0.0
after_setup = {{}}
for student in {students!r}:
    for path in sorted(Path({str(course)!r}, "autograded", student, "week3").glob("*.ipynb")):
        nb = json.loads(nbformat.writes(nbformat.read(str(path), as_version=4), split_lines=False))
        if not any(c.get("metadata", {{}}).get("nbgrader", {{}}).get("grade") for c in nb["cells"]):
            continue
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                cell["outputs"], cell["execution_count"] = [], None
        probes = plan.probes(path.stem) if plan else []
        nb = for_sandbox(nb, {{p.grade_id for p in probes}})
        count, key = setup_cells.prefix_of(course, "week3", path.stem, nb, True)
        code_cells = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]
        start = code_cells[count - 1] + 1 if count else 0
        started = time.perf_counter()
        if key not in after_setup:  # the shared set-up, counted once
            shell.reset(new_session=False)
            run_cells(shell, capture, nb, 600, stop=start)
            after_setup[key] = dict(shell.user_ns)
        shell.user_ns.clear()
        shell.user_ns.update(after_setup[key])
        run_cells(shell, capture, nb, 600, None, ProbeSchedule([asdict(p) for p in probes]), start=start)
        total += time.perf_counter() - started
print(total)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=course)
    if out.returncode != 0:
        raise SystemExit(f"the floor did not run: {out.stderr.strip().splitlines()[-1:]}")
    return float(out.stdout.strip().splitlines()[-1])


def stage_seconds(course: Path, students: list[str]) -> dict[str, float]:
    """Seconds per submission in each stage, from the grading records (:data:`STAGES`)."""
    totals = dict.fromkeys(STAGES, 0.0)
    for student in students:
        record = read_record(course / "autograded" / student / "week3")
        for stage, spent in (record.stages if record is not None else {}).items():
            totals[stage] = totals.get(stage, 0.0) + spent
    return {stage: spent / max(1, len(students)) for stage, spent in totals.items()}


def print_stages(stages: dict[str, float]) -> None:
    main = "  ".join(f"{s} {stages[s]:.3f}" for s in MAIN_STAGES)
    zygote = "  ".join(f"{s} {stages[s]:.3f}" for s in STAGES if s not in MAIN_STAGES)
    print(f"  per submission, main process (CPU s): {main}  (sum {sum(stages[s] for s in MAIN_STAGES):.3f})")
    print(f"  per submission, zygote (wall s): {zygote}  (the set-up once per zygote and notebook)")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--skip-stock", action="store_true", help="only time ours (no ratio)")
    parser.add_argument(
        "--no-shared-prefix", action="store_true", help="ours with c.Grader.shared_prefix = False (every set-up run)"
    )
    args = parser.parse_args(argv)
    n = args.students
    bindir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        ours_dir = make_course(Path(tmp) / "ours", cohort(n))
        small_dir = make_course(Path(tmp) / "small", cohort(max(2, n // 4)))
        if args.no_shared_prefix:
            for folder in (ours_dir, small_dir):
                with (folder / "nbgrader_config.py").open("a") as config:
                    config.write("c.Grader.shared_prefix = False\n")
        print(f"cohort: {n} submissions, {len(SAMPLE_COHORT)} kinds cycled; machine: {psutil.cpu_count()} cores")
        ours_s, ours_mem = timed([str(bindir / "autograder"), "grade", "week3"], ours_dir)
        _, small_mem = timed([str(bindir / "autograder"), "grade", "week3"], small_dir)
        floor = floor_seconds(ours_dir, [v.student for v in cohort(n)])
        print(
            f"ours : {ours_s:8.1f} s  {ours_s / n:6.2f} s/submission  peak memory {ours_mem / 2**20:6.0f} MiB "
            f"(with {max(2, n // 4)} submissions: {small_mem / 2**20:.0f} MiB)"
        )
        print_stages(stage_seconds(ours_dir, [v.student for v in cohort(n)]))
        print(
            f"floor: {floor:8.1f} s  {floor / n:6.2f} s/submission  (the students' cells and the checks' calls, "
            f"one warm interpreter, each set-up once) -> ours is {ours_s / floor:.2f}x the floor"
        )
        if not args.skip_stock:
            stock_dir = make_course(Path(tmp) / "stock", cohort(n))
            config = stock_dir / "nbgrader_config.py"
            config.write_text(stock_config(config.read_text()))  # stock nbgrader, not ours through its commands
            secret = Path(SECRETS_DIR) / "week3"  # the same secret: stock's hidden tests draw the same inputs
            (stock_dir / secret).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ours_dir / secret, stock_dir / secret)
            stock_s, stock_mem = timed([str(bindir / "nbgrader"), "autograde", "week3"], stock_dir)
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
