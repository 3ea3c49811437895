"""Everything that runs inside the sandbox, beside student code: the zygote, its watchdog, the shell that runs
cells, the probes; and ``protocol``, the typed messages the grader and the zygote exchange (the one module both
sides import).

The trust boundary is declared here once: the documentation's security page renders these lists, and
``tests/test_architecture.py`` grades a submission through the real sandboxed zygote and fails when the
sandbox imports any other module of the package, or a module listed here imports grader-side code.
"""

from __future__ import annotations

SANDBOX_MODULES: tuple[str, ...] = (
    "autograder",
    "autograder.errors",
    "autograder.jail",
    "autograder.jail.executor",
    "autograder.jail.monitor",
    "autograder.jail.prefix",
    "autograder.jail.probing",
    "autograder.jail.protocol",
    "autograder.jail.relay",
    "autograder.jail.timing",
    "autograder.jail.watchdog",
    "autograder.jail.workspace",
    "autograder.jail.zygote",
)
"""Every module of the package imported inside the sandbox (``autograder.jail.zygote`` runs there as
``__main__``; importing any module of ``jail`` also imports the package's ``__init__``, which imports
``errors``). These may import only each other, the standard library and third-party packages."""

SANDBOX_SOURCES: tuple[str, ...] = (
    "autograder.checks.calls",
    "autograder.checks.kinds",
    "autograder.checks.probes",
)
"""Grader-side modules some of whose functions are sent into the sandbox as source text and run there as
probes (``probe_calls``; the generic plot and slider probes; the wrapper a typed check puts around its
probe). The modules themselves are never imported there: each such function is self-contained, reading no
global of its module, and the sandbox compiles it on its own."""
