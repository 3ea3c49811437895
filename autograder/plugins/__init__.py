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
imports nothing heavy: :mod:`autograder.settings` reads its constants.
"""

from __future__ import annotations

EXECUTE = "autograder.plugins.execute.SandboxedExecute"
SAVE_GRADES = "autograder.plugins.scoring.BatchedSaveAutoGrades"

AUTOGRADE_PREPROCESSORS = [
    EXECUTE,
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "autograder.checks.messages.ShowVerdicts",
    SAVE_GRADES,
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
"""nbgrader's own ``Autograde.autograde_preprocessors``, with our two steps in place of ``Execute`` and
``SaveAutoGrades`` (and the grader's messages shown before scoring): what ``autograder grade`` uses when the
course's config does not set the list."""

FEEDBACK_PREPROCESSORS = [
    "autograder.reports.feedback.FeedbackGrades",
    "autograder.reports.feedback.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "autograder.reports.feedback.WrapMessages",
]
"""``GenerateFeedback.preprocessors`` of ``autograder report``, unless the course's config sets the list."""
