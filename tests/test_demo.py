"""`make demo`: a newcomer's first command grades a small course end to end.

It runs the command the Makefile runs (`python -m cnn_course.graders demo`) into a folder of
the test's, and checks what it says it made: every student in the gradebook with the score
the demo expects (it exits 1 otherwise), the cohort report, its chart and the feedback.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from cnn_course.graders.cli import DEMO_ASSIGNMENTS
from cnn_course.graders.engine import cohort as ct

pytestmark = pytest.mark.nbgrader


def test_the_demo_grades_a_small_course_with_its_report_and_feedback(tmp_path):
    run = subprocess.run([sys.executable, "-m", "cnn_course.graders", "demo", "--keep",
                          str(tmp_path)],
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    course = tmp_path / "course"
    assert "UNEXPECTED" not in run.stdout
    assert "the cheater only what its wrong answer deserves" in run.stdout
    for assignment_id in DEMO_ASSIGNMENTS:
        table = ct.scores(course, assignment_id)
        assert {"reference", "blank"} <= set(table) and len(table) >= 4, table
        reports = course / "reports" / assignment_id
        assert all((reports / name).stat().st_size > 0
                   for name in ("report.html", "report.png", "scores.csv"))
        assert str(reports / "report.html") in run.stdout
        feedback = list((course / "feedback").glob(f"*/{assignment_id}/*.html"))
        assert {path.parent.parent.name for path in feedback} == set(table), feedback
