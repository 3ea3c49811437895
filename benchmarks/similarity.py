"""Time the similarity section of the cohort report for a cohort of N submissions.

Usage: ``python benchmarks/similarity.py [--students 300]``.

It builds N submissions' solution-cell sources in memory (the sample cohort and its similarity pairs, cycled;
no grading), compares them as ``autograder report`` does (the release and the reference as boilerplate), reads
the release's notebooks N times (for reading the graded copies), renders the cohort page with and without the
section, and prints the seconds the section adds.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import notebooks  # noqa: E402
from autograder.course import Course  # noqa: E402
from autograder.reports import page, similarity  # noqa: E402
from autograder.reports.model import Cohort, Submission  # noqa: E402
from autograder.samples import Variant, reference_answers  # noqa: E402
from demo.cohort import SAMPLE_COHORT, SIMILARITY_PAIRS  # noqa: E402

KINDS = SAMPLE_COHORT + SIMILARITY_PAIRS


def cells(variant: Variant, base: dict[str, dict[str, dict[str, str]]], keys: list[str]) -> dict[str, str]:
    """``{notebook/grade_id: source}`` of the solution cells ``variant`` would submit, each ending in a comment
    naming the student: not fingerprinted, but every text is new, so no fingerprint is reused (the worst case)."""
    answers = {f"{nb}/{gid}": src for nb, found in base[variant.base].items() for gid, src in found.items()}
    answers |= {f"{nb}/{gid}": src for nb, found in variant.answers.items() for gid, src in found.items()}
    return {key: f"{answers[key]}\n# {variant.student}\n" for key in keys}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    n = parser.parse_args(argv).students
    course = Course.load(ROOT)
    settings = similarity.Similarity(config=course.config)
    release = {
        path.stem: {gid: cell.source for gid, cell in notebooks.grade_cells(notebooks.read(path)).items()}
        for path in sorted(course.release_path("week3").glob("*.ipynb"))
    }
    base = {"reference": reference_answers(course.source_path("week3")), "stub": release}

    started = time.perf_counter()
    tasks, language = similarity.solution_tasks(course, "week3")
    kept = [t for t in tasks if t.tokens >= similarity.MIN_TASK_TOKENS]
    boilerplate = similarity.release_code(course, "week3") + [t.reference for t in tasks]
    code = {
        v.student: cells(v, base, [t.key for t in kept])
        for v in (replace(KINDS[i % len(KINDS)], student=f"s{i:03d}_{KINDS[i % len(KINDS)].student}") for i in range(n))
    }
    pairs = similarity.compare(code, boilerplate, settings, language)
    compared = time.perf_counter() - started
    report = similarity.SimilarityReport(settings, sorted(code), kept, [], pairs)

    started = time.perf_counter()
    for _ in range(n):  # what reading each graded copy costs: the release's notebooks stand in for them
        similarity.submitted_code(course.release_path("week3"), kept, settings.max_cell_chars)
    reading = time.perf_counter() - started

    cohort = Cohort("week3", [], 29.0, [Submission(s, "graded", True, 29.0, 29.0) for s in code])
    summary = page.summarise(cohort)
    images = page.plots(summary)
    started = time.perf_counter()
    page.render(summary, {}, images)
    plain = time.perf_counter() - started
    started = time.perf_counter()
    page.render({**summary, "similarity": report.summary()}, {}, images, report)
    with_section = time.perf_counter() - started

    print(f"cohort: {n} submissions, {len(KINDS)} kinds cycled, {len(kept)} cells compared, {len(pairs)} pairs listed")
    added = reading + compared + with_section - plain
    print(f"reading {n} graded copies' solution cells: {reading:.2f} s")
    print(f"comparing (fingerprints, {n * (n - 1) // 2} pairs): {compared:.2f} s")
    print(f"the page with the section ({settings.shown} pairs side by side): +{with_section - plain:.3f} s")
    print(f"the similarity section adds {added:.2f} s to 'autograder report' ({added / n * 1000:.1f} ms/submission)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
