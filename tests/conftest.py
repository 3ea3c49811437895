from __future__ import annotations

import os

# Kernels started by the tests must not pick up a display or a GUI backend.
os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
