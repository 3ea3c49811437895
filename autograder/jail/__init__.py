"""Everything that runs inside the sandbox, beside student code: the zygote, its watchdog, the shell that runs
cells, the probes; and ``protocol``, the typed messages the grader and the zygote exchange (the one module both
sides import)."""
