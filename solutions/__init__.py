"""Reference implementations of every graded item, one module per assignment.

These modules are the single source of truth: the solution cells of the
instructor notebooks in ``source/`` must say the same thing (a test checks it).
"""
