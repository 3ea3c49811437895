"""nbgrader's own test suite as the referee: ``python -m tests.plugins.nbgrader_suite`` (``make nbgrader-suite``).

Runs the installed nbgrader package's ``tests/apps/test_nbgrader_autograde.py`` and
``test_nbgrader_generate_feedback.py`` (never a copy of them) with our engine
configured in: an ``nbgrader_config.py`` in a ``JUPYTER_CONFIG_DIR`` of the run's
own sets ``Autograde.autograde_preprocessors`` and ``GenerateFeedback.preprocessors``
(and ``Autograde.sanitize_preprocessors``, if set) as the course's
``nbgrader_config.py`` does. nbgrader loads the config directories first and
the current directory's ``nbgrader_config.py`` (which each of its tests
writes, for the course root and the test's own settings) over them, so both
apply.

Each test passes, or is deselected in :data:`DESELECTED` with the deliberate
difference that makes it fail; a test of ours asserts our behaviour instead.
pytest's summary is the last line printed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from traitlets.config.loader import PyFileConfigLoader

REPO = Path(__file__).resolve().parents[2]
STEP_LISTS = (
    ("Autograde", "sanitize_preprocessors"),
    ("Autograde", "autograde_preprocessors"),
    ("GenerateFeedback", "preprocessors"),
)
"""The course's settings the suite runs with."""
DESELECTED = Path(__file__).with_name("nbgrader_suite_deselected.txt")
"""One test a line: ``nbgrader/tests/...::Class::test  # the deliberate difference``."""
SUITE = ("tests/apps/test_nbgrader_autograde.py", "tests/apps/test_nbgrader_generate_feedback.py")
"""The files of the installed nbgrader package that the suite runs."""


def nbgrader_dir() -> Path:
    """The installed nbgrader package."""
    import nbgrader

    return Path(nbgrader.__file__).resolve().parent


def deselected() -> dict[str, str]:
    """The deselected tests (node ids relative to site-packages), each with its reason."""
    found: dict[str, str] = {}
    for line in DESELECTED.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        test_id, _, reason = line.partition("#")
        found[test_id.strip()] = reason.strip()
    return found


def engine_config() -> str:
    """The ``nbgrader_config.py`` that configures our engine into nbgrader's commands: the course's own
    ``Autograde`` and ``GenerateFeedback`` lists, so that the suite referees what the course runs."""
    course = PyFileConfigLoader("nbgrader_config.py", path=str(REPO)).load_config()
    lines = ["c = get_config()  # noqa: F821"]
    for section, key in STEP_LISTS:
        if key in course[section]:
            steps = list(course[section][key])
            if not all(isinstance(step, str) for step in steps):
                raise SystemExit(f"nbgrader_config.py: name c.{section}.{key} by import strings")
            lines.append(f"c.{section}.{key} = {steps!r}")
    return "\n".join(lines) + "\n"


def command(workdir: Path, workers: int, extra: list[str]) -> list[str]:
    """The pytest command line: the installed files, node ids relative to site-packages."""
    package = nbgrader_dir()
    args = [sys.executable, "-m", "pytest", "-c", str(workdir / "pytest.ini"), "--rootdir", str(package.parent)]
    args += ["-p", "no:cacheprovider", "-q", "-n", str(workers)]
    for test_id in deselected():
        args += ["--deselect", test_id]
    return args + [str(package / path) for path in SUITE] + extra


def main(argv: list[str] | None = None) -> int:
    extra = list(sys.argv[1:] if argv is None else argv)
    workers = int(os.environ.get("PYTEST_WORKERS", "2"))
    with tempfile.TemporaryDirectory(prefix="nbgrader-suite-") as tmp:
        workdir = Path(tmp)
        (workdir / "pytest.ini").write_text("[pytest]\n")
        config_dir = workdir / "jupyter-config"
        config_dir.mkdir()
        (config_dir / "nbgrader_config.py").write_text(engine_config())
        bindir = str(Path(sys.executable).parent)
        env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config_dir))
        env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
        return subprocess.run(command(workdir, workers, extra), cwd=workdir, env=env, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
