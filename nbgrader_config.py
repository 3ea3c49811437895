# nbgrader configuration for the Week 3 course. Only what differs from nbgrader's defaults.
c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "nn-foundations"  # the course's name in the gradebook and the formgrader
c.Execute.timeout = 60  # seconds one cell may run during autograding (default 30): plots take a while on a cold kernel
c.ClearSolutions.text_stub = "YOUR ANSWER HERE (a few sentences)"  # what students see in written-answer cells
c.StudentFeedback.hide_hidden_tests = True  # feedback pages: each check's description and message, no hidden test code
c.Grader.checks = {"week3": "solutions.week3_checks"}  # the grader's own checks: scores come from these verdicts
c.Grader.preload = ["numpy", "torch", "matplotlib.pyplot", "ipywidgets", "IPython"]  # imported once per zygote
c.Grader.warm_up = "solutions.warm_up"  # first-use work done once per zygote, before it forks
# nbgrader's own commands (autograde, generate_feedback, the formgrader's buttons) grade as `autograder` does:
c.Autograde.autograde_preprocessors = [
    "autograder.plugins.execute.SandboxedExecute",  # in place of Execute: the sandboxed zygote, the grader's probes
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "autograder.checks.messages.ShowVerdicts",  # a failing verdict's message goes first in its cell's outputs
    "autograder.plugins.scoring.BatchedSaveAutoGrades",  # in place of SaveAutoGrades: checked cells score by verdict
    "autograder.plugins.scoring.AssignLatePenalties",  # nbgrader's, inside autograder grade's gradebook transaction
    "autograder.plugins.cells.CheckCellMetadata",  # a wrong schema version fails this student, not the run
]
c.GenerateFeedback.preprocessors = [
    "autograder.reports.feedback.FeedbackGrades",  # GetGrades, plus a note on answers not graded yet
    "autograder.reports.feedback.HideHiddenTests",  # no hidden test code, no tracebacks quoting it
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "autograder.reports.feedback.WrapMessages",  # a check's whole message on screen
]
c.Autograde.exporter_class = "autograder.plugins.intake.IntakeFirst"  # links, FIFOs: refused before nbgrader reads
c.Autograde.sanitize_preprocessors = [
    "autograder.engine.intake.PlainFilesOnly",  # a submission with links or special files is not graded
    "nbgrader.preprocessors.ClearOutput",
    "autograder.plugins.cells.DeduplicateIds",  # copies of a grade id become plain cells
    "autograder.plugins.cells.OverwriteKernelspec",  # nbgrader's, inside autograder grade's gradebook transaction
    "autograder.plugins.cells.OverwriteCells",  # nbgrader's, with one gradebook query per notebook
    "autograder.plugins.cells.CheckCellMetadata",  # a wrong schema version fails this student, not the run
]
# Every HTML page nbgrader renders from a submission (the formgrader's views, generate_feedback) shows student
# content inert: no script, handler, frame, form or remote style survives; plots, tables and math do.
c.HTMLExporter.preprocessors = ["autograder.reports.sanitize.SanitizeNotebook"]
