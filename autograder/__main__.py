from autograder.cli import entrypoint

entrypoint()
