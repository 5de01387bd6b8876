"""The adversarial cohort (graders/adversarial.py): every attack gets exactly the score it deserves.

Graded once per session through `python -m cnn_course.graders grade`, the
command instructors run; the batch completes, the gradebook stays consistent,
and the reports and feedback show what failed.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cnn_course.graders.engine import adversarial
from cnn_course.graders.engine import cohort as ct

pytestmark = pytest.mark.nbgrader


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    """The adversarial cohort, graded through `python -m cnn_course.graders grade`."""
    course = tmp_path_factory.mktemp("adversarial") / "course"
    students = adversarial.build(course)
    before = {"course": _checksums(course, INPUTS), "repository": _checksums(REPO, ("*",))}
    proc = subprocess.run([sys.executable, "-m", "cnn_course.graders", "grade",
                           adversarial.ASSIGNMENT_ID, "--course", str(course), "--jobs", "2",
                           "--test-timeout", "30", "--memory-mb", "3000"],
                          capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    time.sleep(10)  # longer than the detached writer waits before it writes
    after = {"course": _checksums(course, INPUTS), "repository": _checksums(REPO, ("*",))}
    return course, students, proc.stdout, before, after


REPO = Path(__file__).resolve().parents[1]
# What grading must never change in the course: its configuration, the sources, the release and
# every submission (the gradebook and the grading outputs are written by the trusted side).
INPUTS = ("nbgrader_config.py", "source/**/*", "release/**/*", "submitted/**/*")


def _checksums(root: Path, patterns) -> dict[str, str]:
    if root == REPO:
        files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True,
                               text=True).stdout.split()
        paths = [REPO / f for f in files]
    else:
        paths = [p for pattern in patterns for p in root.glob(pattern)]
    return {str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest()
                                       if p.is_file() else "dir")
            for p in sorted(set(paths)) if p.exists() or p.is_symlink()}


def test_nothing_outside_the_sandboxes_changed(attacked):
    course, _, _, before, after = attacked
    assert after["course"] == before["course"], "grading changed the course's inputs"
    assert after["repository"] == before["repository"], "grading changed the repository"
    planted = [p.name for p in course.rglob("*")
               if "PWNED" in p.name or p.name in ("outside", "root-link")]
    assert not planted, f"an attack wrote into the course: {planted}"


def test_no_process_of_a_sandbox_is_left(attacked):
    import psutil

    left = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        try:
            cwd = process.cwd()
        except psutil.Error:
            continue
        if "cnn-course-remote-" in cwd and not Path(cwd.removesuffix(" (deleted)")).exists():
            left.append((process.pid, " ".join(process.info["cmdline"] or [])[:80]))
    assert not left, f"processes outlived their sandbox: {left}"


def test_adversarial_cohort_gets_the_scores_it_deserves(attacked):
    course, students, *_ = attacked
    table = ct.scores(course, adversarial.ASSIGNMENT_ID)
    assert set(table) == set(students) | {"reference"}, "every submission is in the gradebook"
    problems = []
    for student, grades in table.items():
        fails = students[student].fails if student in students else frozenset()
        for test_id, (score, maximum) in grades.items():
            expected = 0.0 if test_id in fails else maximum
            if score != expected:
                problems.append(f"{student}: {test_id} scored {score}/{maximum}, "
                                f"expected {expected}")
    assert not problems, "\n".join(problems)


def test_the_gradebook_was_written_by_the_grader_only(attacked):
    from nbgrader.api import Gradebook

    course, *_ = attacked
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        submission = gb.find_submission(adversarial.ASSIGNMENT_ID, "attack-write-gradebook")
        assert all(g.manual_score is None for nb in submission.notebooks for g in nb.grades)


def test_reports_show_pass_rates_and_the_most_common_failure(attacked):
    course, students, stdout, *_ = attacked
    folder = course / "reports" / adversarial.ASSIGNMENT_ID
    assert "report:" in stdout and (folder / "report.png").stat().st_size > 5000
    rows = (folder / "scores.csv").read_text().splitlines()
    assert rows[0].startswith("student,zero_pad_tests") and len(rows) == len(students) + 2
    html = (folder / "report.html").read_text()
    assert "most common failure message" in html and "zero_pad_tests" in html
    assert "grading process" in html or "could not be loaded" in html


def test_feedback_names_each_failed_check_in_a_sentence(attacked):
    course, *_ = attacked
    ct.run_nbgrader(course, "generate_feedback", adversarial.ASSIGNMENT_ID, "--force",
                    "--student=attack-edited-locked-test")
    html = next((course / "feedback" / "attack-edited-locked-test").rglob("*.html")).read_text()
    assert "zero_pad" in html and "expected" in html and "hidden=True" not in html
