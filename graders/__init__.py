"""Checks and batch grading tools of the course (``cnn_course.graders``)."""
