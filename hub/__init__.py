"""``make hub``: the course on a JupyterHub, with real Unix accounts and nbgrader's exchange (see the README's
"Run the course on a hub"). Not part of the grader: it deploys the course and ``autograder`` for a term."""
