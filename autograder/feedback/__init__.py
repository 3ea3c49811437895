"""Feedback during the lab: a service that grades each submission in nbgrader's exchange as it arrives.

One module per stage: :mod:`~autograder.feedback.config` (the instructor's limits, ``c.FeedbackService``),
:mod:`~autograder.feedback.attempts` (the attempts' durable state), :mod:`~autograder.feedback.inbound`
(intake from the exchange), :mod:`~autograder.feedback.limits` (when an attempt may be graded),
:mod:`~autograder.feedback.worker` (grading on a warm engine in a private copy of the course, and the feedback
released through nbgrader's exchange), :mod:`~autograder.feedback.service` (the loop),
:mod:`~autograder.feedback.status` (the status page behind the hub's login) and :mod:`~autograder.feedback.cli`.
"""
