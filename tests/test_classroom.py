"""The classroom, end to end: a released notebook runs at a student's desk, outside the repository.

Each assignment's release (notebook, student wheel, manifest) is copied to a temporary
folder, answered with the reference solution, and run in smoke mode in a fresh Python that
holds only the student wheel and its requirements; the course then autogrades that very
notebook (tests/conftest.py, ``cohorts``). Here: every cell ran there and every visible test
passed, the student's Python could not import the instructor's code, and the grade is full
marks (the blank release's is zero).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cnn_course.graders.authoring.notebooks import assignments, is_test, nbgrader_meta

pytestmark = pytest.mark.nbgrader
ASSIGNMENTS = assignments()


def test_the_students_python_has_the_student_package_only(student_side):
    from cnn_course.graders.authoring.classroom import probe

    found = probe(student_side.python)
    assert found["cnn_course.graders"] is None, \
        "the instructor's code must not be importable by a student"
    env = student_side.python.parent.parent.resolve()
    repo = Path(__file__).resolve().parents[1]
    for name in ("cnn_course.utils", "cnn_course.datasets", "cnn_course.checks"):
        origin = Path(found[name]).resolve()
        assert origin.is_relative_to(env), \
            f"{name} comes from {origin}, not from the student's environment"
        assert not origin.is_relative_to(repo), f"{name} comes from the repository"


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_released_notebook_runs_at_the_students_desk(cohorts, assignment_id):
    cohort, table = cohorts[assignment_id]
    run = cohorts.classroom[assignment_id]
    repo = Path(__file__).resolve().parents[1]
    assert not run.folder.resolve().is_relative_to(repo), \
        "the classroom copy must live outside the repository"
    assert not run.error, f"the released notebook failed at the student's desk:\n{run.error}"
    code = [c for c in run.executed.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code), "every code cell ran"
    errors = [nbgrader_meta(c).get("grade_id") for c in code
              if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    assert not errors, f"cells that raised: {errors}"
    tests = [c for c in code if is_test(c)]
    assert tests, "a release has visible tests"
    for cell in tests:  # each visible test ran, printed its values, and has no hidden part left
        printed = "".join(o.get("text", "") for o in cell.get("outputs", [])
                          if o.get("name") == "stdout")
        assert printed.strip(), f"{nbgrader_meta(cell)['grade_id']} printed nothing"
        assert "cnn_course.graders" not in cell.source and "hidden=True" not in cell.source
    # and the course grades that very notebook: full marks; the blank release: zero
    reference, blank = table["reference"], table["blank"]
    assert all(score == points for score, points in reference.values()), reference
    assert all(score == 0 for score, _ in blank.values()), blank
