"""nbgrader configuration of the course (the repository root is the course directory).

Sources live in notebooks/<assignment_id>/ as jupytext .py files; `make build`
renders the .ipynb files next to them, and `make release` runs
`nbgrader generate_assignment`, which copies only the .ipynb: the .py sources
hold the solutions and must never reach a release (tests check it).
"""

import os

from cnn_course.graders.engine import injected

c = get_config()  # noqa: F821 (injected by traitlets)

c.CourseDirectory.course_id = "cnn-course"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))  # noqa: F821
c.CourseDirectory.source_directory = "notebooks"
c.CourseDirectory.release_directory = "release"
# "*.py" keeps the solution sources out of every release.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.py"]

# Grading runs notebooks in smoke mode (unless CNN_COURSE_SMOKE=0); this is
# the limit for one cell, generous for a slow laptop.
c.ExecutePreprocessor.timeout = 600
c.Execute.timeout = 600

# Smoke mode: a cell that the course adds after the parameters cell applies its "smoke"
# metadata (Execute's start hook serves validate and autograde: the Validator's list of
# preprocessors is not configurable), and autograde takes it out right after Execute, so
# that autograded notebooks and feedback show only the notebook's own cells.
c.Execute.on_notebook_start = injected.nbgrader_start
c.Autograde.autograde_preprocessors = [  # nbgrader's default steps, plus the course's second
    "nbgrader.preprocessors.Execute",
    "cnn_course.graders.engine.injected.RemoveInjectedCells",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Any stderr output fails a test cell: drop TensorFlow's C++ log lines
# ("2026-01-01 12:00:00.000000: I tensorflow/..." and absl's "W0000 ...").
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = (r"(?m)^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWE] "
                           r"|[IWEF]\d{4} \d\d:\d\d:\d\d)")

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

# nbgrader's default steps, with the course's ClearSolutions: a solution region that opens
# with a skeleton (### BEGIN SKELETON ... ### END SKELETON, commented out) is released as the
# stub above followed by the skeleton (see cnn_course.graders.authoring.skeletons). It reads
# the ClearSolutions settings above.
c.GenerateAssignment.preprocessors = [
    "nbgrader.preprocessors.IncludeHeaderFooter",
    "nbgrader.preprocessors.InstantiateTests",
    "nbgrader.preprocessors.LockCells",
    "cnn_course.graders.authoring.skeletons.ClearSolutions",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.CheckCellMetadata",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.SaveCells",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Feedback must not reveal the hidden tests (see cnn_course.graders.cli feedback,
# which also strips them from saved tracebacks).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "cnn_course.graders.engine.feedback.StripHiddenTracebacks",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
