"""Shared fixtures: built notebooks, releases and the graded cohort are expensive, build them once."""

from __future__ import annotations

import os
import re
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


class _Cohorts(dict):
    """{assignment_id: (Cohort, scores)}, each released and autograded by nbgrader on first use."""

    def __init__(self, folders):
        super().__init__()
        self._folders = folders

    def __missing__(self, assignment_id):
        from cnn_course.graders import cohort as ct

        if assignment_id not in graded_assignments():
            raise KeyError(f"{assignment_id} has no grader module")
        course = self._folders.mktemp(f"course-{assignment_id}")
        cohort = ct.build_cohort(course, assignment_id)
        ct.autograde(course, assignment_id)
        self[assignment_id] = (cohort, ct.scores(course, assignment_id))
        return self[assignment_id]


@pytest.fixture(scope="session")
def cohorts(tmp_path_factory):
    """{assignment_id: (Cohort, scores)}: graded assignments released and autograded by nbgrader, lazily."""
    return _Cohorts(tmp_path_factory)


# `make test` runs two pytest-xdist workers. Tests that share an expensive fixture
# must run in the same worker, or each worker would build it again: every test of
# these files that is parametrised by an assignment goes with that assignment's
# cohort, and a file in MODULE_UNITS goes to one worker whole. (xdist's own
# `xdist_group` marks rely on rewriting node ids, which pytest 9.2 no longer allows.)
COHORT_FILES = ("tests/test_nbgrader.py", "tests/test_fast_grading.py")
MODULE_UNITS = ("tests/test_adversarial.py",)


def work_unit(nodeid: str) -> str:
    """The unit of work a test belongs to: its assignment's cohort, its module, or itself."""
    path, _, name = nodeid.partition("::")
    parameter = re.search(r"\[(\w+)\]$", name)
    if path in COHORT_FILES and parameter and parameter.group(1) in ASSIGNMENTS:
        return f"cohort:{parameter.group(1)}"
    if path in MODULE_UNITS:
        return path
    return nodeid


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook; plain `pytest` runs without it
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedFixtureScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return work_unit(nodeid)

    return SharedFixtureScheduling(config, log)


@pytest.fixture()
def repo() -> Path:
    return repo_root()
