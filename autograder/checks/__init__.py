"""The grader's own checks of graded cells: inputs chosen at grading time, observations as plain data, verdicts
judged in the grader against the reference implementations."""
