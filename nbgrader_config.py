"""nbgrader configuration of the course (the repository root is the course directory).

Sources live in notebooks/<assignment_id>/ as jupytext .py files; `make build`
renders the .ipynb files next to them, and `make release` runs
`nbgrader generate_assignment`, which copies only the .ipynb: the .py sources
hold the solutions and must never reach a release (tests check it).
"""

import os

c = get_config()  # noqa: F821 (injected by traitlets)

c.CourseDirectory.course_id = "cnn-course"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))  # noqa: F821
c.CourseDirectory.source_directory = "notebooks"
c.CourseDirectory.release_directory = "release"
# "*.py" keeps the solution sources out of every release.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.py"]

# Grading runs notebooks in smoke mode (they read NBGRADER_EXECUTION); this is
# the limit for one cell, generous for a slow laptop.
c.ExecutePreprocessor.timeout = 600
c.Execute.timeout = 600

# Any stderr output fails a test cell: drop TensorFlow's C++ log lines
# ("2026-01-01 12:00:00.000000: I tensorflow/..." and absl's "W0000 ...").
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"(?m)^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWE] |[IWEF]\d{4} \d\d:\d\d:\d\d)"

# A student who deletes a test cell gets it back at autograde time, not a
# "needs manual grade".
c.OverwriteCells.add_missing_cells = True

# With add_missing_cells on, nbgrader's DeduplicateIds stops on a notebook where two cells
# carry one grade id (it leaves an empty "nbgrader" entry that OverwriteCells cannot read).
# The course's step applies the same rule (the last cell keeps the grade id) without that.
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "cnn_course.graders.engine.malformed.DeduplicateGradeIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Feedback must not reveal the hidden tests (see cnn_course.graders.cli feedback,
# which also strips them from saved tracebacks).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "cnn_course.graders.engine.feedback.StripHiddenTracebacks",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
