"""Shared fixtures.

Built notebooks, releases and the graded cohort are expensive: build them once.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from cnn_course.graders.authoring.notebooks import (  # noqa: E402
    assignments,
    build_notebook,
    repo_root,
    source_path,
)

ASSIGNMENTS = assignments()


def graded_assignments() -> list[str]:
    import importlib.util

    return [a for a in ASSIGNMENTS if importlib.util.find_spec(f"cnn_course.graders.{a}")]


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> dict[str, Path]:
    """{assignment_id: built source .ipynb} in a temporary folder."""
    folder = tmp_path_factory.mktemp("built")
    return {a: build_notebook(source_path(a), folder / a / f"{source_path(a).stem}.ipynb")
            for a in ASSIGNMENTS}


def _shared_folder(tmp_path_factory) -> Path:
    """A folder every xdist worker of this run sees (the run's own folder without xdist)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def _locked(path: Path):
    import fcntl

    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class StudentSide:
    """The student wheel and a student's Python holding only it.

    Built once per run and shared by the workers.
    """

    def __init__(self, folder: Path):
        self.folder = folder

    @cached_property
    def wheel(self) -> Path:
        from cnn_course.graders.authoring.dist import build_wheel
        from cnn_course.graders.authoring.notebooks import wheel_name

        with _locked(self.folder / "dist.lock"):
            wheel = self.folder / "dist" / wheel_name()
            return wheel if wheel.exists() else build_wheel(self.folder / "dist")

    @cached_property
    def python(self) -> Path:
        from cnn_course.graders.authoring.classroom import make_student_env

        env = self.folder / "student-env"
        with _locked(self.folder / "student-env.lock"):
            if not (env / ".complete").exists():
                start = time.perf_counter()
                make_student_env(env, self.wheel, os.environ.get("TF_PACKAGE", "tensorflow-cpu"))
                (env / ".complete").write_text(f"{time.perf_counter() - start:.0f} s\n")
        return env / "bin" / "python"


@pytest.fixture(scope="session")
def student_side(tmp_path_factory) -> StudentSide:
    """The student wheel (``make dist``) and a fresh virtual environment.

    The environment holds only the wheel and its requirements.
    """
    return StudentSide(_shared_folder(tmp_path_factory))


@dataclass
class ClassroomRun:
    folder: Path  # the released folder, copied outside the repository
    executed: object  # the notebook as the student's Jupyter left it
    error: str  # "" when every cell ran
    seconds: float


class _Cohorts(dict):
    """{assignment_id: (Cohort, scores)}, each released and autograded by nbgrader on first use.

    The reference submission is played by a student: the release (with the student wheel,
    weights and manifest beside it) is copied outside the repository, answered with the
    source solution, run top to bottom in smoke mode in a Python that has only the student
    package, and that executed notebook is what the course autogrades.
    """

    def __init__(self, folders, student: StudentSide):
        super().__init__()
        self._folders = folders
        self.student = student
        self.classroom: dict[str, ClassroomRun] = {}

    def _play(self, assignment_id: str):
        def classroom(released: Path, answered):
            import nbformat

            from cnn_course.graders.authoring.assets import add_assets
            from cnn_course.graders.authoring.classroom import run_as_student

            add_assets(released.parent, assignment_id, self.student.wheel)
            desk = self._folders.mktemp(f"classroom-{assignment_id}") / assignment_id
            shutil.copytree(released.parent, desk)
            notebook = desk / released.name
            nbformat.write(answered, notebook)
            start = time.perf_counter()
            executed, error = run_as_student(self.student.python, notebook)
            self.classroom[assignment_id] = ClassroomRun(desk, executed, error,
                                                         time.perf_counter() - start)
            return executed

        return classroom

    def __missing__(self, assignment_id):
        from cnn_course.graders.engine import cohort as ct

        if assignment_id not in graded_assignments():
            raise KeyError(f"{assignment_id} has no grader module")
        course = self._folders.mktemp(f"course-{assignment_id}")
        cohort = ct.build_cohort(course, assignment_id, classroom=self._play(assignment_id))
        ct.autograde(course, assignment_id)
        self[assignment_id] = (cohort, ct.scores(course, assignment_id))
        return self[assignment_id]


@pytest.fixture(scope="session")
def cohorts(tmp_path_factory, student_side):
    """{assignment_id: (Cohort, scores)}, lazily.

    Graded assignments are released and autograded by nbgrader.
    """
    return _Cohorts(tmp_path_factory, student_side)


# `make test` runs two pytest-xdist workers. Tests that share an expensive fixture
# must run in the same worker, or each worker would build it again: every test of
# these files that is parametrised by an assignment goes with that assignment's
# cohort, and a file in MODULE_UNITS goes to one worker whole. (xdist's own
# `xdist_group` marks rely on rewriting node ids, which pytest 9.2 no longer allows.)
COHORT_FILES = ("tests/test_nbgrader.py", "tests/test_fast_grading.py", "tests/test_classroom.py")
MODULE_UNITS = ("tests/test_adversarial.py", "tests/test_remote.py", "tests/test_malformed.py",
                "tests/test_student_text.py")


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


CARLA_SMALL_PAIRS = 4  # pairs in the quick CARLA-style stand-in that tests generate


@pytest.fixture(scope="session")
def small_carla_pairs() -> int:
    """How many pairs the small CARLA-style stand-in of :func:`small_carla` holds."""
    return CARLA_SMALL_PAIRS


@pytest.fixture(scope="session")
def small_carla(tmp_path_factory) -> Path:
    """A data folder holding a 4-pair CARLA-style stand-in, generated once per session."""
    from cnn_course.datasets import carla

    folder = tmp_path_factory.mktemp("carla-small")
    carla.generate_carla(folder, counts=CARLA_SMALL_PAIRS)
    return folder


@pytest.fixture()
def small_carla_registry(monkeypatch):
    """The registry's carla entry, generating and expecting 4 pairs instead of 1,060."""
    import dataclasses
    from functools import partial

    from cnn_course.datasets import _registry as reg
    from cnn_course.datasets import carla

    dataset = dataclasses.replace(reg.get("carla"),
                                  generate=partial(carla.generate_carla, counts=CARLA_SMALL_PAIRS),
                                  validate=partial(carla.validate_carla, count=CARLA_SMALL_PAIRS))
    monkeypatch.setitem(reg.REGISTRY, "carla", dataset)
    return dataset
