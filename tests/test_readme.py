"""The README and docs/: short, linked, and a course map that agrees with the notebooks."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from cnn_course.graders.authoring.notebooks import assignments, source_path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").rglob("*.md"))]


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    return text[start:] if end < 0 else text[start:end]


def _grade_ids() -> set[str]:
    ids = set()
    for assignment_id in assignments():
        ids |= set(re.findall(r'"grade_id": "([^"]+)"', source_path(assignment_id).read_text()))
    return ids


def _graded_functions() -> dict[str, tuple[str, ...]]:
    return {a: tuple(importlib.import_module(f"cnn_course.graders.{a}").GRADED_FUNCTIONS)
            for a in assignments()}


def test_the_readme_is_short_and_holds_no_dated_measurements():
    text = README.read_text()
    assert len(text.splitlines()) <= 250
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", text), \
        "dates belong in docs/results.md or the git history"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_points_to_a_file_that_exists(page):
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
        if "://" in target or target.startswith("mailto:"):
            continue
        assert (page.parent / target).exists(), \
            f"{page.name} links to {target}, which does not exist"


def test_the_course_map_names_every_graded_function_of_every_assignment():
    course_map = _section(README.read_text(), "## Course map")
    for assignment_id, functions in _graded_functions().items():
        row = next((line for line in course_map.splitlines() if f"`{assignment_id}`" in line), None)
        assert row is not None, f"the course map has no row for {assignment_id}"
        for name in functions:
            assert f"`{name}`" in row, \
                f"the course map's row of {assignment_id} does not name {name}"


def test_every_objective_names_an_exercise_and_a_test_cell_that_exist():
    table = _section(README.read_text(), "### Learning objectives")
    rows = [line for line in table.splitlines() if re.match(r"\| \d+ \|", line)]
    assert [int(line.split("|")[1]) for line in rows] == list(range(1, len(rows) + 1))
    grade_ids = _grade_ids()
    functions = {name for names in _graded_functions().values() for name in names}
    for row in rows:
        number, objective, where, exercise, test = (cell.strip()
                                                    for cell in row.strip("|").split("|"))
        assert re.match(r"W[123]A[12] §", where), f"objective {number}: no section in {where!r}"
        named = re.findall(r"`([A-Za-z_0-9]+)`", exercise)
        assert named or "question" in exercise, \
            f"objective {number} ({objective}) names no exercise"
        assert all(name in functions for name in named), \
            f"objective {number}: unknown function in {exercise}"
        tests = re.findall(r"`([A-Za-z_0-9]+)`", test)
        if "their `*_tests`" in test:
            tests = [f"{name}_tests" for name in named]
        assert tests, f"objective {number} names no test cell"
        for grade_id in tests:
            assert grade_id in grade_ids, f"objective {number}: no cell with grade id {grade_id}"
