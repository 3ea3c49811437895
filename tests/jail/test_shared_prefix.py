"""The shared set-up in the real sandboxed zygote: run once, every job forked from the state after it, with the
outputs and execution counts a full run gives, the holder surviving the zygote's clean-up and cleaning up after
its own jobs."""

from __future__ import annotations

import pytest

from autograder.engine.client import Zygote
from autograder.jail.protocol import Limits, RunResult, RunStatus
from tests.jail.test_sandbox import notebook

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("nbgrader")]

LIMITS = Limits(cell_timeout=20, notebook_timeout=60, memory_mb=500)
SETUP = (
    "import numpy as np\nnp.random.seed(1)\nstate = {'runs': 0}\nprint('set-up', np.random.rand())",
    "state['runs'] += 1\nstate['runs']",
)
STUDENT = "state['runs'] += 1\nprint(state['runs'], np.random.rand(), len(In), _, _i2.splitlines()[0])"


def cells(result: RunResult) -> list[tuple[object, object]]:
    assert result.status is RunStatus.OK and result.notebook is not None, (result.status, result.message)
    return [(cell["execution_count"], cell["outputs"]) for cell in result.notebook["cells"]]


def test_the_set_up_runs_once_and_every_job_sees_the_state_after_it(zygote: Zygote) -> None:
    full = zygote.run(notebook(*SETUP, STUDENT), {}, LIMITS)
    first = zygote.run(notebook(*SETUP, STUDENT), {}, LIMITS, prefix=(2, "week-x"))
    second = zygote.run(notebook(*SETUP, STUDENT), {}, LIMITS, prefix=(2, "week-x"))
    assert cells(full)[2][1][0]["text"].startswith("2 ")  # the set-up's state, fresh: not the previous job's
    assert cells(first) == cells(full) == cells(second)
    assert [count for count, _ in cells(second)] == [1, 2, 3]
    assert "prefix" in first.timings and "prefix" not in second.timings  # run once, by the holder


def test_the_holder_outlives_full_runs_and_kills_what_its_jobs_left(zygote: Zygote) -> None:
    escape = "import subprocess\nprint(subprocess.Popen(['sleep', '60'], start_new_session=True).pid)"
    left = zygote.run(notebook(*SETUP, escape), {}, LIMITS, prefix=(2, "week-y"))
    pid = int(cells(left)[2][1][0]["text"])
    zygote.run(notebook("print('a full run in between')"), {}, LIMITS)
    check = f"import os\nprint(os.path.exists('/proc/{pid}'))"
    after = zygote.run(notebook(*SETUP, check), {}, LIMITS, prefix=(2, "week-y"))
    assert cells(after)[2][1][0]["text"] == "False\n"
    assert "prefix" not in after.timings  # the same holder: the full run's clean-up spared it


def test_a_set_up_that_fails_is_not_shared(zygote: Zygote) -> None:
    broken = ("raise ValueError('no data file here')", "print('after')")
    full = zygote.run(notebook(*broken), {}, LIMITS)
    shared = zygote.run(notebook(*broken), {}, LIMITS, prefix=(1, "week-z"))
    assert cells(shared) == cells(full)
    assert cells(full)[0][1][0]["ename"] == "ValueError"
