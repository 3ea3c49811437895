"""Attacks on the grader's resources: time, processes, memory, file space and output.

Under stock nbgrader each of these stalls or crashes the grading of the whole class (or the
machine). Here each must be stopped by its limit, cost only its own notebook, and leave the run
and every other student alone. All are Task 2 answers done right with the attack after them.
"""

from __future__ import annotations

from autograder.engine.results import Status
from tests.jail.attacks.answers import REFERENCE
from tests.jail.attacks.model import T2, Attack, Submission, appended

TIMED_OUT = frozenset({Status.TIMEOUT})
TIME_MESSAGES = ("ran longer than", "ran too long", "CPU time")

LOOP_FOREVER = """
import signal

signal.signal(signal.SIGALRM, signal.SIG_IGN)  # the cell's time limit arrives as SIGALRM
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    pass
"""

SLEEP_FOREVER = """
import time

while True:
    try:
        time.sleep(10**6)
    except BaseException:  # whatever interrupts the sleep: sleep again
        pass
"""

FORK_BOMB = """
import os

while True:
    try:
        if os.fork() == 0:
            os.setsid()  # out of the notebook's process group
    except BaseException:
        pass
"""

MEMORY_BOMB = """
hog = []
while True:
    hog.append(b"\\x01" * 50_000_000)  # touched, not just reserved
"""

MEMORY_IN_ESCAPED_CHILDREN = """
import os
import time

for _ in range(3):
    if os.fork() == 0:
        os.setsid()  # out of the notebook's process group, so not counted with it
        os.closerange(0, 1024)
        hog = b"\\x01" * 450_000_000  # each child stays under the per-process limit; together they do not
        time.sleep(120)
        os._exit(0)
time.sleep(4)  # the notebook's own process carries on, with 1.35 GB more in use beside it
"""

FILL_TMP = """
import time

_chunk = b"\\x01" * 40_000_000  # under the 50 MB per-file limit
for _i in range(150):  # 6 GB in all, far over the bounds (512 MiB in the attack run, 32 MiB in test_sandbox)
    try:
        with open(f"/tmp/hog{_i}.bin", "wb") as _file:
            _file.write(_chunk)
    except OSError:
        pass  # full: keep what fit, and carry on
time.sleep(4)  # hold it while the notebook goes on
"""

FILL_THE_FOLDER = FILL_TMP.replace("/tmp/hog", "hog")
"""The same into the notebook's own folder (which was on the grading machine's disk)."""

FLOOD_OUTPUT = """
import sys

_line = "all tests passed " * 1000 + "\\n"
while True:
    sys.stdout.write(_line)
    sys.stderr.write(_line)
"""

FLOOD_FILE_DESCRIPTORS = """
import os
import stat
import subprocess

# Straight to the file descriptors, under the notebook's own output capture: stdout, stderr and every pipe.
_junk = b"All tests passed. " * 4096
for _fd in sorted(int(name) for name in os.listdir("/proc/self/fd")):
    try:
        if _fd in (1, 2) or stat.S_ISFIFO(os.fstat(_fd).st_mode):
            for _ in range(100):
                os.write(_fd, _junk)
    except OSError:
        pass
subprocess.run("yes 'All tests passed.' | head -c 5000000", shell=True, check=False)  # a child inherits them too
"""


STOP_EVERYTHING = """
import os
import signal

for _pid in sorted((int(p) for p in os.listdir("/proc") if p.isdigit()), reverse=True):  # itself last
    try:
        os.kill(_pid, signal.SIGSTOP)
    except OSError:
        pass
"""

STOP_FROM_A_DAEMON = """
import os
import signal
import time

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:  # double-forked: an orphan, out of the notebook's session
        time.sleep(0.5)
        for _pid in (int(p) for p in os.listdir("/proc") if p.isdigit()):
            if _pid != os.getpid():
                try:
                    os.kill(_pid, signal.SIGSTOP)
                except OSError:
                    pass
        os.kill(os.getpid(), signal.SIGSTOP)
    os._exit(0)
time.sleep(5)
"""

STOPPED_WITHIN = 30.0
"""The attack run's notebook timeout: a stopped job must end before it, at its cell's timeout (10 s) plus the
zygote's grace (``STEP_GRACE``). Its notebooks' seconds include the other notebook's run, so the bound is the
notebook limit, which a job that only the notebook limit stopped exceeds on its own."""


def after_task2(attack: str) -> dict[str, dict[str, str]]:
    """The reference answers, with ``attack`` at the end of Task 2's last code answer."""
    return appended(REFERENCE, T2, "linear_swap", attack)


ATTACKS = [
    Attack(
        "loops_forever_ignoring_alarms",
        "ignores SIGALRM and SIGINT, then loops forever: stock nbgrader waits out its timeout, for every cell",
        Submission(answers=after_task2(LOOP_FOREVER)),
        "reference",
        TIMED_OUT,
        TIME_MESSAGES,
    ),
    Attack(
        "sleeps_past_the_timeout",
        "sleeps for 10**6 s, and sleeps again whenever it is interrupted",
        Submission(answers=after_task2(SLEEP_FOREVER)),
        "reference",
        TIMED_OUT,
        TIME_MESSAGES,
    ),
    Attack(
        "stops_every_process_it_sees",
        "sends SIGSTOP to every process it can see, itself last: its own timer can no longer interrupt it",
        Submission(answers=after_task2(STOP_EVERYTHING)),
        "reference",
        TIMED_OUT,
        TIME_MESSAGES,
        most_seconds=STOPPED_WITHIN,
    ),
    Attack(
        "daemon_stops_every_process",
        "a double-forked daemon sends SIGSTOP to every process it can see, then to itself",
        Submission(answers=after_task2(STOP_FROM_A_DAEMON)),
        "reference",
        TIMED_OUT,
        TIME_MESSAGES,
        most_seconds=STOPPED_WITHIN,
    ),
    Attack(
        "fork_bomb",
        "forks without end, each child leaving the process group (setsid) and forking too",
        Submission(answers=after_task2(FORK_BOMB)),
        "reference",
        frozenset({Status.TIMEOUT, Status.ERROR}),
        (*TIME_MESSAGES, "killed by signal", "exited early", "memory"),
    ),
    Attack(
        "memory_bomb",
        "allocates (and touches) 50 MB after 50 MB until something gives",
        Submission(answers=after_task2(MEMORY_BOMB)),
        "reference",
        frozenset({Status.ERROR}),
        ("memory",),
    ),
    Attack(
        "memory_bomb_in_escaped_children",
        "three children leave the process group and hold 450 MB each, above the notebook's 800 MiB together",
        Submission(answers=after_task2(MEMORY_IN_ESCAPED_CHILDREN)),
        "reference",
        frozenset({Status.ERROR}),
        ("memory",),
    ),
    Attack(
        "fills_tmp",
        "writes 6 GB into /tmp in 40 MB files and holds it: tmpfs memory that no process's resident size shows",
        Submission(answers=after_task2(FILL_TMP)),
        "reference",
        frozenset({Status.DISK}),
        ("filled /tmp",),
    ),
    Attack(
        "fills_its_folder",
        "writes 6 GB into its own folder in 40 MB files (each under the per-file limit) and holds it",
        Submission(answers=after_task2(FILL_THE_FOLDER)),
        "reference",
        frozenset({Status.DISK}),
        ("filled its folder",),
    ),
    Attack(
        "floods_output",
        "prints 17 kB lines to stdout and stderr without end",
        Submission(answers=after_task2(FLOOD_OUTPUT)),
        "reference",
        frozenset({Status.TIMEOUT, Status.ERROR}),
        ("printed too much", "more output than the grader accepts", "memory"),  # cut, then interrupted or stopped
    ),
    Attack(
        "floods_the_file_descriptors",
        "writes 7 MB of 'All tests passed.' straight to fds 1, 2 and every inherited pipe, and has `yes` do the same",
        Submission(answers=after_task2(FLOOD_FILE_DESCRIPTORS)),
        "reference",
        frozenset({Status.NEEDS_MANUAL, Status.ERROR, Status.TIMEOUT}),
    ),
]
