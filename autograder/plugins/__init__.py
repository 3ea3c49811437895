"""nbgrader-facing preprocessors: what makes nbgrader's own commands run the grading engine.

nbgrader 0.9's ``Autograde`` converter runs two configurable lists of
preprocessors, ``Autograde.sanitize_preprocessors`` and
``Autograde.autograde_preprocessors``; ``GenerateFeedback.preprocessors`` is a
third. The course's ``nbgrader_config.py`` names ours in them (by import
string), so ``nbgrader autograde``, ``nbgrader generate_feedback`` and the
formgrader's buttons grade as ``autograder grade`` and ``autograder report`` do:

* :class:`~autograder.plugins.execute.SandboxedExecute` replaces nbgrader's
  ``Execute``: the notebook runs in the sandboxed warm zygote, with the
  grader's probes, and the grader's verdicts go into the resources;
* :class:`~autograder.plugins.scoring.BatchedSaveAutoGrades` replaces
  ``SaveAutoGrades``: checked cells score by those verdicts.

``autograder grade`` reads the same lists (:mod:`autograder.settings`), minus
the execute step, which its runners schedule in parallel instead. This module
imports nothing heavy; the lists' defaults live in :mod:`autograder.settings`.
"""

from __future__ import annotations

from autograder.settings import AUTOGRADE_PREPROCESSORS, EXECUTE, FEEDBACK_PREPROCESSORS, SAVE_GRADES

__all__ = ["AUTOGRADE_PREPROCESSORS", "EXECUTE", "FEEDBACK_PREPROCESSORS", "SAVE_GRADES"]
