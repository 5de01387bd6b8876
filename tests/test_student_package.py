"""What a student receives holds no answers.

The student wheel (``make dist``) and every release (``make release``: notebook, wheel,
manifest) are searched for the distinctive lines of every solution block of the sources,
the hidden tests, the reference outputs, the mutants and the instructor-only modules.
"""

from __future__ import annotations

import importlib
import io
import json
import re
import subprocess
import sys
import venv
import zipfile
from functools import cache
from pathlib import Path

import nbformat
import numpy as np
import pytest

from cnn_course.graders.authoring.mutants import mutants
from cnn_course.graders.authoring.notebooks import (
    assignments,
    read_notebook,
    repo_root,
    source_path,
    wheel_name,
)

pytestmark = pytest.mark.nbgrader
ASSIGNMENTS = assignments()
ROOT = repo_root()
STUDENT_PACKAGES = ("cnn_course/utils/", "cnn_course/datasets/", "cnn_course/checks/")


def _blocks(text: str, begin: str, end: str) -> list[list[str]]:
    blocks, current = [], None
    for line in text.splitlines():
        if begin in line:
            current = []
        elif end in line and current is not None:
            blocks.append(current)
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def _code_line(line: str) -> str:
    """A line as it can reappear elsewhere: without a doctest prompt, a trailing comment or any
    space.

    Removing every space makes a reformatted line (``a=b+c`` for ``a = b + c``) compare equal.
    """
    line = line.strip()
    for prompt in (">>> ", "... "):
        if line.startswith(prompt):
            line = line[len(prompt):]
    return re.sub(r"\s+", "", line.split("  #", 1)[0])


def _sources() -> dict[str, str]:
    return {a: "\n".join(c.source for c in read_notebook(source_path(a)).cells)
            for a in ASSIGNMENTS}


@cache
def solution_blocks() -> list[tuple[str, int, frozenset[str]]]:
    """(assignment, block number, distinctive lines) for every solution block of the sources.

    A distinctive line is at least 14 characters of code (spaces removed), not a comment, and
    appears in no notebook outside the solution blocks (so an idiom the lessons show anyway does
    not count).
    """
    outside = set()
    for text in _sources().values():
        outside |= {_code_line(line) for line in
                    re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION", "", text,
                           flags=re.S).splitlines()}
    blocks = []
    for assignment_id, text in _sources().items():
        for number, block in enumerate(_blocks(text, "### BEGIN SOLUTION",
                                               "### END SOLUTION")):
            lines = {_code_line(line) for line in block} - outside
            lines = frozenset(line for line in lines
                              if len(line) >= 14 and not line.startswith("#"))
            if lines:
                blocks.append((assignment_id, number, lines))
        assert any(a == assignment_id for a, _, _ in blocks), \
            f"{assignment_id}: no distinctive solution line"
    return blocks


def leaked_blocks(text: str) -> list[str]:
    """The solution blocks of which ``text`` holds at least half the distinctive lines (all,
    for one or two)."""
    present = {_code_line(line) for line in text.splitlines()}
    found = []
    for assignment_id, number, lines in solution_blocks():
        shared = lines & present
        if len(shared) >= max(1, (len(lines) + 1) // 2) if len(lines) > 2 else shared == lines:
            found.append(f"{assignment_id} solution block {number}: {sorted(shared)[:3]}")
    return found


@cache
def hidden_test_lines() -> set[str]:
    lines = set()
    for assignment_id in ASSIGNMENTS:
        text = "\n".join(c.source for c in read_notebook(source_path(assignment_id)).cells)
        blocks = _blocks(text, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
        assert blocks, f"{assignment_id} has no hidden tests"
        lines |= {_code_line(line) for block in blocks for line in block if _code_line(line)}
    return lines


@pytest.fixture(scope="module")
def wheel_files(student_side) -> dict[str, bytes]:
    with zipfile.ZipFile(student_side.wheel) as wheel:
        return {name: wheel.read(name) for name in wheel.namelist()}


@pytest.fixture(scope="module")
def releases(tmp_path_factory, student_side) -> dict[str, Path]:
    """{assignment: released folder}, as `make release` writes it, in a temporary course."""
    from cnn_course.graders.authoring.assets import add_assets
    from cnn_course.graders.engine import cohort as ct

    course = ct.make_course(tmp_path_factory.mktemp("release-course"))
    folders = {}
    for assignment_id in ASSIGNMENTS:
        folder = ct.release(course, assignment_id).parent
        add_assets(folder, assignment_id, student_side.wheel)
        folders[assignment_id] = folder
    return folders


def _texts(wheel_files, releases) -> dict[str, str]:
    """Every text a student receives: the wheel's text files and each release's notebook and
    manifest."""
    texts = {f"wheel:{name}": data.decode() for name, data in wheel_files.items()
             if name.endswith((".py", ".txt", ".json", "METADATA", "RECORD"))}
    for assignment_id, folder in releases.items():
        for path in folder.iterdir():
            if path.suffix == ".ipynb":
                nb = nbformat.read(path, as_version=4)
                metadata = [json.dumps(nb.metadata, indent=1)] + [json.dumps(c.metadata, indent=1)
                                                                 for c in nb.cells]
                texts[f"release:{assignment_id}/{path.name}"] = "\n".join(
                    [c.source for c in nb.cells] + metadata)
            elif path.suffix == ".json":
                texts[f"release:{assignment_id}/{path.name}"] = path.read_text()
    return texts


def test_the_wheel_holds_only_the_student_packages(wheel_files, student_side):
    assert student_side.wheel.name == wheel_name()
    modules = [n for n in wheel_files if not n.startswith("cnn_course-")]
    strays = [n for n in modules if not n.startswith(STUDENT_PACKAGES)]
    assert not strays, f"files outside the student packages: {strays}"
    assert not [n for n in modules if "graders" in n or "notebooks" in n], \
        "instructor files in the wheel"
    for package in STUDENT_PACKAGES:
        assert any(n.startswith(package) for n in modules), f"{package} is missing from the wheel"
    metadata = wheel_files[next(n for n in wheel_files if n.endswith("METADATA"))].decode()
    requires = {re.split(r"[<>=!~ ;\[]", line.split(":", 1)[1].strip())[0].lower()
                for line in metadata.splitlines()
                if line.startswith("Requires-Dist:") and "extra ==" not in line}
    assert requires == {"tensorflow", "numpy", "h5py", "matplotlib", "pillow"}, requires


def test_no_release_contains_a_source_or_instructor_file(releases):
    for assignment_id, folder in releases.items():
        names = sorted(p.name for p in folder.rglob("*"))
        assert not [n for n in names if n.endswith((".py", ".npz"))], f"{assignment_id}: {names}"
        assert wheel_name() in names and "course_assets.json" in names, f"{assignment_id}: {names}"


def test_the_leak_detector_finds_a_copied_solution():
    """The search below is not empty: a file holding one solution block is caught."""
    assignment_id, number, lines = solution_blocks()[len(solution_blocks()) // 2]
    planted = "def helper(x):\n" + "\n".join(f"    {line}" for line in sorted(lines))
    assert leaked_blocks(planted), "a copied solution block was not detected"
    squeezed = "\n".join(re.sub(r" ?([=+\-*/,:]) ?", r"\1", line) for line in planted.splitlines())
    assert leaked_blocks(squeezed), "a solution with its spaces removed was not detected"
    doctest = ('"""Example:\n' + "\n".join(f"    >>> {line}" for line in planted.splitlines())
               + '\n"""')
    assert leaked_blocks(doctest), "a solution inside a docstring's examples was not detected"
    assert not leaked_blocks("import numpy as np\nfor _ in range(3):\n    pass\n")


def test_no_skeleton_holds_a_distinctive_solution_line():
    """A released skeleton (the outline of an answer, None placeholders) is not a leak, and
    leaks nothing."""
    from cnn_course.graders.authoring.skeletons import skeleton_of

    distinctive = frozenset().union(*(lines for _, _, lines in solution_blocks()))
    skeletons = [s for a in ASSIGNMENTS for c in read_notebook(source_path(a)).cells
                 if (s := skeleton_of(c.source))]
    assert skeletons, "the sources hold skeletons to check"
    for skeleton in skeletons:
        assert not leaked_blocks(skeleton), skeleton
        assert not {_code_line(line) for line in skeleton.splitlines()} & distinctive, skeleton


def test_no_solution_reaches_a_student(wheel_files, releases):
    leaks = [f"{where}: {block}" for where, text in _texts(wheel_files, releases).items()
             for block in leaked_blocks(text)]
    assert not leaks, "solutions in what students receive:\n" + "\n".join(leaks)


def test_no_hidden_test_reaches_a_student(wheel_files, releases):
    texts = _texts(wheel_files, releases)
    leaks = []
    for where, text in texts.items():
        present = {_code_line(line) for line in text.splitlines()}
        leaks += [f"{where}: {line!r}" for line in sorted(hidden_test_lines() & present)]
        if re.search(r"(from|import)\s+cnn_course\.graders|hidden=True", text):
            leaks.append(f"{where} imports the instructor's code or calls a hidden check")
    assert not leaks, "\n".join(leaks)


def test_no_reference_output_reaches_a_student(wheel_files, releases):
    references = sorted((ROOT / "graders" / "reference").glob("*.npz"))
    assert references, "the reference outputs must exist to be looked for"
    hidden_bytes = {path.read_bytes() for path in references}
    hidden_arrays = []
    for path in references:
        with np.load(path) as data:
            hidden_arrays += [(path.stem, key, data[key]) for key in data.files
                              if data[key].size >= 4]
    received = dict(wheel_files)
    for folder in releases.values():
        received.update({f"{folder.name}/{p.name}": p.read_bytes()
                         for p in folder.iterdir() if p.is_file()})
    assert not [name for name, data in received.items() if data in hidden_bytes]
    for name, data in wheel_files.items():
        if not name.endswith(".npz"):
            continue
        with np.load(io.BytesIO(data)) as shipped:
            for key in shipped.files:
                array = shipped[key]
                same = [f"{aid}:{k}" for aid, k, hidden in hidden_arrays
                        if hidden.shape == array.shape and np.allclose(hidden, array)]
                assert not same, f"{name}:{key} equals the hidden reference output {same}"


def test_no_mutant_reaches_a_student(wheel_files, releases):
    texts = _texts(wheel_files, releases)
    names = {m.name for m in mutants()}
    assert len(names) >= 4 * len(ASSIGNMENTS)
    leaks = [f"{where}: {name}" for where, text in texts.items() for name in names if name in text]
    leaks += [where for where, text in texts.items() if "MUTANTS" in text]
    assert not leaks, leaks


def test_the_instructor_code_cannot_be_imported_with_only_the_wheel(student_side, tmp_path):
    """A Python that has only the wheel (not even its requirements) finds the student modules
    only."""
    env = tmp_path / "only-the-wheel"
    venv.EnvBuilder(with_pip=False).create(env)
    python = env / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                    "-q", "--no-deps", "--no-index", str(student_side.wheel)], check=True)
    probe = ("import importlib.util as u\n"
             "assert u.find_spec('cnn_course.checks') is not None, "
             "'the student package is not installed'\n"
             "import cnn_course.graders")
    run = subprocess.run([str(python), "-I", "-c", probe], capture_output=True, text=True,
                         cwd=tmp_path)
    assert run.returncode != 0 and "No module named 'cnn_course.graders'" in run.stderr, \
        run.stderr


# The graded functions that build Keras layers: a whole saved model of such an assignment
# would hand out the architecture, that is, the answer.
MODEL_BUILDERS = {"happyModel", "convolutional_model", "identity_block", "convolutional_block",
                  "ResNet50", "alpaca_model", "conv_block", "upsampling_block", "unet_model"}


def test_handed_out_weights_never_carry_a_graded_architecture(releases):
    from cnn_course.utils import weights

    for entry in weights.REGISTRY.values():
        graded = set(importlib.import_module(
            f"cnn_course.graders.{entry.assignment}").GRADED_FUNCTIONS)
        if graded & MODEL_BUILDERS:
            assert entry.filename.endswith(".weights.h5"), (
                f"{entry.filename} would carry the architecture of "
                f"{sorted(graded & MODEL_BUILDERS)}: hand out weights only")
    for assignment_id, folder in releases.items():
        graded = set(importlib.import_module(
            f"cnn_course.graders.{assignment_id}").GRADED_FUNCTIONS)
        models = [p.name for p in folder.iterdir() if p.suffix == ".keras"]
        assert not (models and graded & MODEL_BUILDERS), \
            f"{assignment_id}: whole models beside the notebook {models}"
