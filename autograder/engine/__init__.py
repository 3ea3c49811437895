"""The grader side of grading: prepare a submission, send it to a sandboxed zygote, score what comes back into the
gradebook; on this machine or on a Dask cluster. Only the grading process writes the gradebook."""
