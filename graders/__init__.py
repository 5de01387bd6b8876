"""Instructor-only code of the course (``cnn_course.graders``): never in the student package.

A student installs ``cnn-course`` (``cnn_course.utils``, ``cnn_course.datasets`` and the
visible checks ``cnn_course.checks``); this package exists only where grading runs,
installed from the course repository as ``cnn-course-instructor``.

The contract of an assignment's check module, ``cnn_course.graders.<assignment_id>``
(the hidden side of ``cnn_course.checks.<assignment_id>``). It defines:

- ``ASSIGNMENT_ID`` and ``GRADED_FUNCTIONS``, the graded functions in notebook order;
- ``check_<function>(fn, hidden=False)`` for each of them: with ``hidden=False`` it runs
  the visible check of ``cnn_course.checks.<assignment_id>``; with ``hidden=True`` it runs
  the hidden cases (other shapes and seeds) against an independent oracle and against
  the reference outputs in ``graders/reference/``; it raises ``CheckFailure`` with a
  sentence a student can act on, and returns None when the function is right;
- ``CHECKS``, ``{function: check_<function>}``;
- ``reference_cases()`` (``{function: {case: (args, kwargs)}}``) and
  ``reference_outputs(function, result)`` (the arrays stored for a result), from which
  ``make references`` writes the reference file; assignments whose hidden checks need
  no stored outputs may omit both;
- ``MUTANTS``, wrong variants of the source solution (see ``authoring.mutants``) that
  the checks must catch, and ``NBGRADER_MUTANTS`` (those the sample cohort sends
  through nbgrader too: all, some by name, or none).

Subpackages:

- ``engine``: load a submission's functions, the sandboxed fast grader, the nbgrader
  cohort tools, reports and feedback;
- ``authoring``: notebook sources and builds, mutants, reference generation;
- ``bench``: full-mode timings and model quality (``make bench``);
- ``trainers``: the scripts that train the course's own weights (``make weights``);
- ``reference``: the stored reference outputs and their loader.
"""

from __future__ import annotations

from cnn_course.checks._checking import CheckFailure
from cnn_course.graders.engine.loading import graded_functions_of, load_functions

__all__ = ["CheckFailure", "load_functions", "graded_functions_of"]
