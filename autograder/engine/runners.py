"""Where notebooks run: a local pool of warm zygotes, or a Dask cluster.

Both take a :class:`~autograder.engine.prepare.Job` (plain data) and give back the
:class:`~autograder.jail.protocol.RunResult` of each of its notebooks. Nothing here
touches the gradebook.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from autograder.checks.hidden import for_sandbox
from autograder.engine.client import Zygote
from autograder.engine.prepare import Job
from autograder.engine.sandbox import Sandbox, ZygoteSpec, dispose, new_zygote, sandbox_available
from autograder.errors import AutograderError
from autograder.jail.protocol import Limits, Probe, RunResult


def run_notebook(
    zygote: Zygote,
    nb: dict[str, Any],
    files: dict[str, bytes],
    limits: Limits,
    probes: list[Probe],
    references: dict[str, dict[str, str]] | None = None,
    prefix: int = 0,
) -> RunResult:
    """Run one sanitized notebook in a fresh child of ``zygote``, the hidden-test blocks of its probed cells
    cut out (each probe runs where its block stood; the grader's verdict stands in for it). The references
    the probes swap in go to the child only when asked (see :mod:`autograder.jail.relay`)."""
    return zygote.run(for_sandbox(nb, {probe.grade_id for probe in probes}), files, limits, probes, references, prefix)


def execute_job(job: Job, limits: Limits, zygote: Zygote) -> dict[str, RunResult]:
    """Run each notebook of the submission in its own fresh process (except those ``job.skip`` names)."""
    return {
        name: run_notebook(
            zygote, nb, job.files, limits, job.probes.get(name, []), job.references.get(name), job.prefix.get(name, 0)
        )
        for name, nb in job.notebooks.items()
        if name not in job.skip
    }


def require_sandbox(sandbox: Sandbox | None) -> None:
    """Raise, with the reason in one line, if ``sandbox`` is wanted but cannot be built on this machine."""
    reason = sandbox_available(sandbox) if sandbox is not None else None
    if reason is not None:
        raise AutograderError(
            f"cannot sandbox student code: {reason} (--no-sandbox, or c.Grader.sandbox = False, grades without one)"
        )


class ZygotePool:
    """Warm zygotes for one :class:`ZygoteSpec`, each running one notebook at a time: the one pool of both
    ``autograder grade`` (one zygote per worker thread) and nbgrader's own commands (one per process).

    The sandbox is checked once, when the pool is made; zygotes start on first use and stop at :meth:`close`.
    """

    def __init__(self, spec: ZygoteSpec) -> None:
        require_sandbox(spec.sandbox)
        self.spec = spec
        self._idle: list[Zygote] = []
        self._all: list[Zygote] = []
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def zygote(self) -> Iterator[Zygote]:
        """A zygote of the pool, for this thread alone until the block ends."""
        with self._lock:
            zygote = self._idle.pop() if self._idle else None
        if zygote is None:
            zygote = new_zygote(self.spec)
            zygote.start()
            with self._lock:
                self._all.append(zygote)
        try:
            yield zygote
        finally:
            with self._lock:
                self._idle.append(zygote)

    def warm(self, count: int) -> None:
        """Start zygotes, all at once, until the pool holds ``count`` of them."""
        with self._lock:
            missing = max(0, count - len(self._all))
        fresh = [new_zygote(self.spec) for _ in range(missing)]
        for zygote in fresh:  # from this thread, which outlives them (see Zygote.launch); they warm up together
            zygote.launch()
        for zygote in fresh:
            zygote.wait_ready()
        with self._lock:
            self._all += fresh
            self._idle += fresh

    def run_job(self, job: Job, limits: Limits) -> dict[str, RunResult]:
        with self.zygote() as zygote:
            return execute_job(job, limits, zygote)

    def close(self) -> None:
        with self._lock:
            zygotes, self._all, self._idle = self._all, [], []
        for zygote in zygotes:
            dispose(zygote)


class LocalRunner:
    """``workers`` threads, each driving a warm zygote of one :class:`ZygotePool` (in its own sandbox)."""

    def __init__(self, workers: int, limits: Limits, spec: ZygoteSpec) -> None:
        self.workers = workers
        self.limits = limits
        self.pool = ZygotePool(spec)
        self._threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grader")

    def submit(self, job: Job) -> Future[dict[str, RunResult]]:
        return self._threads.submit(self.pool.run_job, job, self.limits)

    def wait_any(self, futures: Iterable[Any], timeout: float | None = None) -> set[Any]:
        """The futures done, waiting until one is (or ``timeout`` seconds: then perhaps none)."""
        done, _ = wait(list(futures), timeout=timeout, return_when=FIRST_COMPLETED)
        return done

    def close(self) -> None:
        self._threads.shutdown(wait=True, cancel_futures=True)
        self.pool.close()


_WORKER_ZYGOTE: Zygote | None = None


def run_on_dask_worker(job: Job, limits: Limits, spec: ZygoteSpec) -> dict[str, RunResult]:
    """The Dask task: one per submission, on a warm zygote kept by the worker process."""
    global _WORKER_ZYGOTE
    if _WORKER_ZYGOTE is None:
        _WORKER_ZYGOTE = new_zygote(spec)
        _WORKER_ZYGOTE.start()
    return execute_job(job, limits, _WORKER_ZYGOTE)


class DaskRunner:
    """Submissions as tasks on a Dask distributed cluster."""

    def __init__(self, address: str, limits: Limits, spec: ZygoteSpec) -> None:
        from distributed import Client

        self.limits = limits
        self.spec = spec
        try:
            self.client = Client(address, timeout=10)
        except OSError as exc:
            raise AutograderError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        workers = self.client.scheduler_info().get("workers", {})
        self.workers = max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))

    def submit(self, job: Job) -> Any:
        return self.client.submit(
            run_on_dask_worker, job, self.limits, self.spec, pure=False, key=f"grade-{job.student}"
        )

    def wait_any(self, futures: Iterable[Any], timeout: float | None = None) -> set[Any]:
        """The futures done, waiting until one is (or ``timeout`` seconds: then perhaps none)."""
        from distributed import wait as dask_wait

        try:
            done, _ = dask_wait(list(futures), timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return set()
        return set(done)

    def close(self) -> None:
        self.client.close()
