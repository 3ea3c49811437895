"""Where notebooks run: a local pool of warm zygotes, or a Dask cluster.

Both take a :class:`~autograder.engine.prepare.Job` (plain data) and give back the
:class:`~autograder.jail.protocol.RunResult` of each of its notebooks. Nothing here
touches the gradebook.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from autograder.checks.hidden import for_sandbox
from autograder.engine.client import Zygote
from autograder.engine.prepare import Job
from autograder.engine.sandbox import ZygoteSpec, dispose, new_zygote
from autograder.errors import AutograderError
from autograder.jail.protocol import Limits, Probe, RunResult


def run_notebook(
    zygote: Zygote, nb: dict[str, Any], files: dict[str, bytes], limits: Limits, probes: list[Probe]
) -> RunResult:
    """Run one sanitized notebook in a fresh child of ``zygote``, its hidden-test blocks cut out (the probes
    run where they stood; the grader's verdicts stand in for them)."""
    return zygote.run(for_sandbox(nb), files, limits, probes)


def execute_job(job: Job, limits: Limits, zygote: Zygote) -> dict[str, RunResult]:
    """Run each notebook of the submission in its own fresh process (except those ``job.skip`` names)."""
    return {
        name: run_notebook(zygote, nb, job.files, limits, job.probes.get(name, []))
        for name, nb in job.notebooks.items()
        if name not in job.skip
    }


class LocalRunner:
    """``workers`` threads, each driving its own warm zygote process (in its own sandbox, if ``sandbox``)."""

    def __init__(self, workers: int, limits: Limits, spec: ZygoteSpec) -> None:
        self.workers = workers
        self.limits = limits
        self.spec = spec
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grader")
        self._local = threading.local()
        self._zygotes: list[Zygote] = []
        self._lock = threading.Lock()

    def _zygote(self) -> Zygote:
        zygote = getattr(self._local, "zygote", None)
        if zygote is None:
            zygote = new_zygote(self.spec)
            zygote.start()
            self._local.zygote = zygote
            with self._lock:
                self._zygotes.append(zygote)
        return zygote

    def submit(self, job: Job) -> Future[dict[str, RunResult]]:
        return self._pool.submit(lambda: execute_job(job, self.limits, self._zygote()))

    def wait_any(self, futures: Iterable[Any]) -> set[Any]:
        done, _ = wait(list(futures), return_when=FIRST_COMPLETED)
        return done

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        for zygote in self._zygotes:
            dispose(zygote)


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

    def wait_any(self, futures: Iterable[Any]) -> set[Any]:
        from distributed import wait as dask_wait

        done, _ = dask_wait(list(futures), return_when="FIRST_COMPLETED")
        return set(done)

    def close(self) -> None:
        self.client.close()
