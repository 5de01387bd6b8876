"""Damaged notebooks: every other student is recorded, each damaged one gets a clear error.

One course of w1a1_conv_step_by_step holds the reference, the blank release and one damaged
notebook of each kind. It is graded through `python -m cnn_course.graders grade` (the command
instructors run) and, in a copy, by `nbgrader autograde` one student at a time with the
course's configuration; the gradebooks must agree wherever nbgrader can grade the notebook.
The rules for what a damaged notebook scores are in cnn_course.graders.engine.malformed.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys

import nbformat
import pytest

from cnn_course.graders.authoring.notebooks import nbgrader_meta
from cnn_course.graders.engine import cohort as ct
from cnn_course.graders.engine import fast, malformed

pytestmark = pytest.mark.nbgrader

AID = "w1a1_conv_step_by_step"


def _index(nb, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if nbgrader_meta(c).get("grade_id") == grade_id)


def _without_nbgrader_metadata(answered, blank):
    nb = copy.deepcopy(answered)
    del nb.cells[_index(nb, "conv_forward")].metadata["nbgrader"]
    return nb


def _without_grade_id(answered, blank):
    nb = copy.deepcopy(answered)
    del nb.cells[_index(nb, "conv_forward")].metadata["nbgrader"]["grade_id"]
    return nb


def _duplicated_solution(answered, blank):
    """The answered cell, then a copy of the blank one: the last copy counts."""
    nb = copy.deepcopy(answered)
    duplicate = copy.deepcopy(blank.cells[_index(blank, "conv_forward")])
    duplicate.id = "conv-forward-copy"
    nb.cells.insert(_index(nb, "conv_forward") + 1, duplicate)
    return nb


def _extra_cell_with_a_test_id(answered, blank):
    """An edited copy of a test cell below it: the copy keeps the grade id, and the test."""
    nb = copy.deepcopy(answered)
    position = _index(nb, "conv_forward_tests")
    extra = nbformat.v4.new_code_cell(
        "print('my own check')", metadata=copy.deepcopy(nb.cells[position].metadata)
    )
    nb.cells.insert(position + 1, extra)
    return nb


def _solution_as_markdown(answered, blank):
    nb = copy.deepcopy(answered)
    position = _index(nb, "conv_forward")
    cell = nb.cells[position]
    nb.cells[position] = nbformat.v4.new_markdown_cell(cell.source, metadata=cell.metadata)
    return nb


def _unknown_metadata_version(answered, blank):
    nb = copy.deepcopy(answered)
    nb.cells[_index(nb, "conv_forward")].metadata["nbgrader"]["schema_version"] = 99
    return nb


ALL = None  # every test fails
# student: (how the notebook is damaged, the tests that fail, what the student is told,
#            whether nbgrader grades it)
DAMAGED = {
    "invalid-json": (None, ALL, "not valid JSON", False),
    "no-metadata": (_without_nbgrader_metadata, set(), "lost its nbgrader metadata", True),
    "no-grade-id": (_without_grade_id, set(), "nbgrader metadata without a grade id", True),
    "duplicated": (
        _duplicated_solution,
        {"conv_forward_tests"},
        "Several cells carry the grade id 'conv_forward'",
        True,
    ),
    "extra-test-id": (_extra_cell_with_a_test_id, set(), "'conv_forward_tests'", True),
    "markdown": (_solution_as_markdown, set(), "is a markdown cell", True),
    # Sorted last, so that nbgrader reaches every other notebook before it stops at this one.
    "unknown-version": (
        _unknown_metadata_version,
        set(),
        "newer version of the nbgrader metadata",
        False,
    ),
}
EXPECTED_FAILURES = {"reference": set(), "blank": ALL} | {s: d[1] for s, d in DAMAGED.items()}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The released assignment with every submission, not graded yet."""
    course = ct.make_course(tmp_path_factory.mktemp("malformed") / "course")
    released = ct.release(course, AID)
    answered, blank = ct.fill_release(released), nbformat.read(released, as_version=4)
    ct.submit(course, "reference", AID, answered)
    ct.submit(course, "blank", AID, blank)
    for student, (damage, *_) in DAMAGED.items():
        if damage is None:  # a truncated file
            path = ct.submit(course, student, AID, answered)
            path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
        else:
            ct.submit(course, student, AID, damage(answered, blank))
    return course


def _copy(course, destination):
    shutil.copytree(course, destination)
    return ct.make_course(destination)  # its configuration must name the copy as the course root


@pytest.fixture(scope="module")
def graded(course, tmp_path_factory):
    """The course graded by the fast grader, through the command instructors run."""
    graded = _copy(course, tmp_path_factory.mktemp("fast") / "course")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "cnn_course.graders",
            "grade",
            AID,
            "--course",
            str(graded),
            "--jobs",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    return graded, proc


@pytest.fixture(scope="module")
def stock(course, tmp_path_factory):
    """The course graded by `nbgrader autograde`: (scores, {student: nbgrader graded it}).

    nbgrader goes on past most notebooks it cannot process, but stops the whole run at some
    (an unknown metadata version): each student it did not reach gets a run of its own.
    """
    stock = _copy(course, tmp_path_factory.mktemp("stock") / "course")
    proc = ct.run_nbgrader(stock, "autograde", AID, "--force", check=False)
    failed = malformed.failed_students(proc.stdout + proc.stderr, AID)

    def autograded(student):
        return (stock / "autograded" / student / AID / f"{ct.notebook_name(AID)}.ipynb").exists()

    for student in EXPECTED_FAILURES:
        if student not in failed and not autograded(student):
            ct.run_nbgrader(stock, "autograde", AID, f"--student={student}", "--force", check=False)
    return ct.scores(stock, AID), {student: autograded(student) for student in EXPECTED_FAILURES}


def _failing(grades: dict) -> set[str]:
    return {test for test, (score, maximum) in grades.items() if score != maximum}


def test_every_student_is_recorded_with_the_score_its_readable_cells_deserve(graded):
    course, proc = graded
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    table = ct.scores(course, AID)
    assert set(table) == set(EXPECTED_FAILURES)
    tests = set(fast.test_ids(AID))
    for student, expected in EXPECTED_FAILURES.items():
        assert _failing(table[student]) == (tests if expected is ALL else expected), student


def test_nbgrader_gives_the_same_scores_where_it_can_grade_the_notebook(graded, stock):
    fast_table = ct.scores(graded[0], AID)
    stock_table, succeeded = stock
    assert succeeded == {"reference": True, "blank": True} | {s: d[3] for s, d in DAMAGED.items()}
    for student, ok in succeeded.items():
        if ok:
            assert fast_table[student] == stock_table[student], student
    # A file nbgrader cannot read scores 0 under both.
    assert not any(score for score, _ in stock_table["invalid-json"].values())
    assert not any(score for score, _ in fast_table["invalid-json"].values())


def test_each_damaged_notebook_gets_a_clear_error(graded):
    course, proc = graded
    folder = fast.results_dir(course, AID)
    for student in ("reference", "blank"):
        assert json.loads((folder / f"{student}.json").read_text())["incidents"] == []
    for student, (_, _, sentence, nbgrader_grades) in DAMAGED.items():
        incidents = json.loads((folder / f"{student}.json").read_text())["incidents"]
        assert any(sentence in i for i in incidents), (student, incidents)
        assert (
            any("recorded in the gradebook instead" in i for i in incidents) != nbgrader_grades
        ), student
        assert any(
            student in line.replace(":", " ").split() and sentence[:40] in line
            for line in proc.stdout.splitlines()
        ), (student, proc.stdout[-3000:])
    results = json.loads((folder / "invalid-json.json").read_text())["results"]
    assert all(
        r["message"].startswith(
            "Your notebook could not be read: the file is not valid JSON (line "
        )
        for r in results.values()
    )


def test_the_reports_list_every_student_and_their_problems(graded):
    course, _ = graded
    folder = course / "reports" / AID
    rows = (folder / "scores.csv").read_text().splitlines()
    assert rows[0].endswith(",failures,problems") and len(rows) == len(EXPECTED_FAILURES) + 1
    assert any(row.startswith("invalid-json,") and "not valid JSON" in row for row in rows)
    html = (folder / "report.html").read_text()
    assert "Submissions with problems" in html and "markdown" in html


def test_an_unreadable_file_scores_zero_on_a_dask_worker_too():
    """The bytes a Dask worker receives are read in the grading call, never before it."""
    result = fast._grade_bytes(AID, b'{"cells": [', "truncated", {})
    assert set(result["results"]) == set(fast.test_ids(AID))
    assert not any(r["passed"] for r in result["results"].values())
    assert result["incidents"] == [
        "unreadable notebook: the file is not valid JSON (line 1, column 12); "
        "it may be truncated or edited outside Jupyter"
    ]


def test_a_well_formed_notebook_needs_no_repair(course):
    for student in ("reference", "blank"):
        nb = nbformat.read(
            course / "submitted" / student / AID / f"{ct.notebook_name(AID)}.ipynb", as_version=4
        )
        repaired, notes = malformed.repair(AID, nb)
        assert notes == [] and repaired.cells == nb.cells
