"""The adversarial cohort (graders/adversarial.py): every attack gets exactly the score it deserves.

Graded once per session through `python -m cnn_course.graders grade`, the
command instructors run; the batch completes, the gradebook stays consistent,
and the reports and feedback show what failed.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from cnn_course.graders.engine import adversarial
from cnn_course.graders.engine import cohort as ct

pytestmark = pytest.mark.nbgrader


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    """The adversarial cohort, graded through `python -m cnn_course.graders grade`."""
    course = tmp_path_factory.mktemp("adversarial") / "course"
    students = adversarial.build(course)
    proc = subprocess.run([sys.executable, "-m", "cnn_course.graders", "grade", adversarial.ASSIGNMENT_ID,
                           "--course", str(course), "--jobs", "2", "--test-timeout", "30", "--memory-mb", "3000"],
                          capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return course, students, proc.stdout


def test_adversarial_cohort_gets_the_scores_it_deserves(attacked):
    course, students, _ = attacked
    table = ct.scores(course, adversarial.ASSIGNMENT_ID)
    assert set(table) == set(students) | {"reference"}, "every submission is in the gradebook"
    problems = []
    for student, grades in table.items():
        fails = students[student].fails if student in students else frozenset()
        for test_id, (score, maximum) in grades.items():
            expected = 0.0 if test_id in fails else maximum
            if score != expected:
                problems.append(f"{student}: {test_id} scored {score}/{maximum}, expected {expected}")
    assert not problems, "\n".join(problems)


def test_the_gradebook_was_written_by_the_grader_only(attacked):
    from nbgrader.api import Gradebook

    course, _, _ = attacked
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        submission = gb.find_submission(adversarial.ASSIGNMENT_ID, "attack-write-gradebook")
        assert all(g.manual_score is None for nb in submission.notebooks for g in nb.grades)


def test_reports_show_pass_rates_and_the_most_common_failure(attacked):
    course, students, stdout = attacked
    folder = course / "reports" / adversarial.ASSIGNMENT_ID
    assert "report:" in stdout and (folder / "report.png").stat().st_size > 5000
    rows = (folder / "scores.csv").read_text().splitlines()
    assert rows[0].startswith("student,zero_pad_tests") and len(rows) == len(students) + 2
    html = (folder / "report.html").read_text()
    assert "most common failure message" in html and "zero_pad_tests" in html
    assert "grading process" in html or "could not be loaded" in html


def test_feedback_names_each_failed_check_in_a_sentence(attacked):
    course, _, _ = attacked
    ct.run_nbgrader(course, "generate_feedback", adversarial.ASSIGNMENT_ID, "--force",
                    "--student=attack-edited-locked-test")
    html = next((course / "feedback" / "attack-edited-locked-test").rglob("*.html")).read_text()
    assert "zero_pad" in html and "expected" in html and "hidden=True" not in html
