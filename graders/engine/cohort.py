"""A sample cohort graded by the real nbgrader, in a temporary course directory.

The course directory gets the built source notebooks in ``source/``, a
``nbgrader_config.py`` that loads the repository's configuration, and one
submission per student:

- ``reference``: the release filled in with the source solutions (full marks);
- ``blank``: the release as students receive it (zero);
- ``mutant-<name>``: the release filled in with a mutant of the solutions
  (exactly the mutant's expected tests fail).

Everything runs through the standard commands (``nbgrader generate_assignment``,
``autograde``, ``generate_feedback``); scores are read back from the gradebook.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from cnn_course.graders.authoring.notebooks import (
    build_notebook,
    is_graded_code,
    nbgrader_meta,
    repo_root,
    source_path,
)

SOLUTION_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$\n?", re.M)


def nbgrader_bin() -> str:
    candidate = Path(sys.executable).with_name("nbgrader")
    return str(candidate) if candidate.exists() else "nbgrader"


def run_nbgrader(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run one nbgrader command in the course directory; raise with its log on failure."""
    bin_dir = str(Path(sys.executable).parent)  # nbgrader runs `alembic` from the same environment
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore",
           "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    proc = subprocess.run([nbgrader_bin(), *args], cwd=course, env=env, capture_output=True,
                          text=True)
    if check and proc.returncode != 0:
        raise RuntimeError(f"`nbgrader {' '.join(args)}` failed ({proc.returncode}):\n"
                           f"{proc.stdout}\n{proc.stderr}")
    return proc


def make_course(course: Path) -> Path:
    """An empty nbgrader course directory that uses the repository's configuration."""
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n"
        f"load_subconfig({str(repo_root() / 'nbgrader_config.py')!r})  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        'c.CourseDirectory.source_directory = "source"\n'
    )
    return course


def notebook_name(assignment_id: str) -> str:
    return source_path(assignment_id).stem


def generate_release(course: Path, assignment_id: str) -> Path:
    """nbgrader generate_assignment from the built source; fails if a source .py reached the
    release."""
    run_nbgrader(course, "generate_assignment", assignment_id, "--force")
    released = course / "release" / assignment_id / f"{notebook_name(assignment_id)}.ipynb"
    leaked = list(released.parent.rglob("*.py"))
    if leaked:
        raise RuntimeError(f"the release of {assignment_id} contains source files: {leaked}")
    return released


def release(course: Path, assignment_id: str) -> Path:
    """Build the source into course/source/<id>/ and release it."""
    name = notebook_name(assignment_id)
    build_notebook(source_path(assignment_id), course / "source" / assignment_id / f"{name}.ipynb")
    return generate_release(course, assignment_id)


def fill_release(released: Path, mutant=None) -> nbformat.NotebookNode:
    """The release notebook with its graded cells answered by the source solution (or a mutant).

    A skeleton (commented out in the source) is left out: the answer is the solution alone.
    """
    from cnn_course.graders.authoring.mutants import apply
    from cnn_course.graders.authoring.skeletons import strip_skeletons

    with tempfile.TemporaryDirectory() as tmp:
        built = build_notebook(source_path(_assignment_of(released)), Path(tmp) / "source.ipynb")
        source = nbformat.read(built, as_version=4)
    if mutant is not None:
        source = apply(mutant, source)
    answers = {nbgrader_meta(c)["grade_id"]: c.source for c in source.cells if is_graded_code(c)}
    nb = nbformat.read(released, as_version=4)
    for cell in nb.cells:
        if is_graded_code(cell):
            answer = strip_skeletons(answers[nbgrader_meta(cell)["grade_id"]])
            cell.source = SOLUTION_MARKER.sub("", answer)
    return nb


def _assignment_of(released: Path) -> str:
    return released.parent.name


def submit(course: Path, student: str, assignment_id: str, nb: nbformat.NotebookNode) -> Path:
    path = course / "submitted" / student / assignment_id / f"{notebook_name(assignment_id)}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


@dataclass
class Student:
    name: str
    expected_failures: frozenset[str] | None  # None: every test fails (the blank release)
    description: str = ""


@dataclass
class Cohort:
    course: Path
    assignment_id: str
    students: list[Student] = field(default_factory=list)


def nbgrader_mutants(assignment_id: str) -> list:
    """The mutants that the sample cohort sends through nbgrader too (``NBGRADER_MUTANTS``).

    ``True``: every mutant; a tuple of names: those; ``False``: none. Each submission
    re-runs the notebook under nbgrader, so TensorFlow assignments send none there and
    W1A1 a few; every mutant is graded at function level and by the fast grader.
    """
    import importlib

    from cnn_course.graders.authoring.mutants import mutants

    grader = importlib.import_module(f"cnn_course.graders.{assignment_id}")
    chosen = getattr(grader, "NBGRADER_MUTANTS", False)
    found = mutants(assignment_id)
    if chosen is True or chosen is False:
        return found if chosen else []
    by_name = {m.name: m for m in found}
    unknown = [name for name in chosen if name not in by_name]
    if unknown:
        raise ValueError(f"NBGRADER_MUTANTS of {assignment_id} names no mutant {unknown}")
    return [by_name[name] for name in chosen]


def nbgrader_grades_mutants(assignment_id: str) -> bool:
    """Whether the sample cohort sends any mutant through nbgrader too."""
    return bool(nbgrader_mutants(assignment_id))


def build_cohort(course: Path, assignment_id: str, with_mutants: bool | None = None,
                 max_mutants: int | None = None, classroom=None) -> Cohort:
    """Release the assignment; submit the reference, the blank release and mutants.

    The mutants: ``nbgrader_mutants`` when ``with_mutants`` is None, every one when it is
    true, none when false; at most ``max_mutants`` of them.

    ``classroom(released_path, answered_notebook) -> notebook``, when given, plays the
    student: the reference submission is what it returns (the answered release as the
    student ran it) instead of the answered release itself.
    """
    from cnn_course.graders.authoring.mutants import mutants

    chosen = (nbgrader_mutants(assignment_id) if with_mutants is None
              else mutants(assignment_id) if with_mutants else [])

    make_course(course)
    released = release(course, assignment_id)
    cohort = Cohort(course, assignment_id)
    answered = fill_release(released)
    reference = classroom(released, answered) if classroom else answered
    submit(course, "reference", assignment_id, reference)
    cohort.students.append(Student("reference", frozenset(), "the source solution"))
    submit(course, "blank", assignment_id, nbformat.read(released, as_version=4))
    cohort.students.append(Student("blank", None, "the blank release"))
    for mutant in chosen[:max_mutants]:
        student = f"mutant-{mutant.name.replace('_', '-')}"
        submit(course, student, assignment_id, fill_release(released, mutant))
        cohort.students.append(Student(student, mutant.fails, mutant.description))
    return cohort


def autograde(course: Path, assignment_id: str, student: str | None = None) -> None:
    args = ["autograde", assignment_id, "--force"] + ([f"--student={student}"] if student else [])
    run_nbgrader(course, *args)


def scores(course: Path, assignment_id: str) -> dict[str, dict[str, tuple[float, float]]]:
    """{student: {test grade_id: (score, max_score)}} read from the course's gradebook."""
    from nbgrader.api import Gradebook

    name = notebook_name(assignment_id)
    table: dict[str, dict[str, tuple[float, float]]] = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for submission in gb.assignment_submissions(assignment_id):
            notebook = gb.find_submission_notebook(name, assignment_id, submission.student_id)
            # Manually graded answers (markdown cells) wait for the instructor: not in this table.
            table[submission.student_id] = {
                g.name: (float(g.score), float(g.max_score)) for g in notebook.grades
                if g.max_score and g.cell.cell_type == "code"
            }
    return table


def check_scores(cohort: Cohort, table: dict) -> list[str]:
    """Sentences for every student whose scores differ from what is expected (empty: all good)."""
    problems = []
    for student in cohort.students:
        grades = table.get(student.name)
        if grades is None:
            problems.append(f"{student.name}: not in the gradebook")
            continue
        for test_id, (score, max_score) in grades.items():
            should_fail = student.expected_failures is None or test_id in student.expected_failures
            if should_fail and score != 0:
                problems.append(f"{student.name}: {test_id} scored {score}/{max_score}, expected 0")
            if not should_fail and score != max_score:
                problems.append(f"{student.name}: {test_id} scored {score}/{max_score}, "
                                "expected full marks")
        if student.expected_failures:
            unknown = set(student.expected_failures) - set(grades)
            if unknown:
                problems.append(f"{student.name}: expected failures {sorted(unknown)} are not "
                                "test cells")
    return problems


def format_table(table: dict, order: list[str]) -> str:
    """Students x tests, points scored, as a plain-text table."""
    tests = sorted({t for grades in table.values() for t in grades},
                   key=lambda t: order.index(t) if t in order else 99)
    short = [t.removesuffix("_tests") for t in tests]
    width = max(len(s) for s in table) + 2
    cols = [max(len(s), 5) for s in short]
    header = " ".join(s.rjust(c) for s, c in zip(short, cols, strict=True))
    lines = ["student".ljust(width) + header + "   total"]
    for student, grades in table.items():
        cells = []
        for t, c in zip(tests, cols, strict=True):
            score, max_score = grades.get(t, (0.0, 0.0))
            cells.append(f"{score:g}/{max_score:g}".rjust(c))
        total = sum(s for s, _ in grades.values())
        maximum = sum(m for _, m in grades.values())
        lines.append(student.ljust(width) + " ".join(cells) + f"   {total:g}/{maximum:g}")
    return "\n".join(lines)
