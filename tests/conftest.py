"""Shared fixtures: built notebooks, releases and the graded cohort are expensive, build them once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from cnn_course.utils.notebooks import assignments, build_notebook, repo_root, source_path  # noqa: E402

ASSIGNMENTS = assignments()


def graded_assignments() -> list[str]:
    import importlib.util

    return [a for a in ASSIGNMENTS if importlib.util.find_spec(f"cnn_course.graders.{a}")]


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> dict[str, Path]:
    """{assignment_id: built source .ipynb} in a temporary folder."""
    folder = tmp_path_factory.mktemp("built")
    return {a: build_notebook(source_path(a), folder / a / f"{source_path(a).stem}.ipynb") for a in ASSIGNMENTS}


@pytest.fixture(scope="session")
def cohorts(tmp_path_factory):
    """{assignment_id: (Cohort, scores)}: every graded assignment released and autograded by nbgrader."""
    from cnn_course.graders import cohort as ct

    results = {}
    for assignment_id in graded_assignments():
        course = tmp_path_factory.mktemp(f"course-{assignment_id}")
        cohort = ct.build_cohort(course, assignment_id)
        ct.autograde(course, assignment_id)
        results[assignment_id] = (cohort, ct.scores(course, assignment_id))
    return results


@pytest.fixture()
def repo() -> Path:
    return repo_root()
