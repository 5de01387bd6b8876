"""The "Expected output" under each visible test: what the source solution's checks print.

``make references`` runs the visible part of every test cell (its lines before
``### BEGIN HIDDEN TESTS``) on the source solution, in a fresh Python per assignment with
the course settings (not the smoke ones), and stores what it prints in
``graders/reference/<assignment_id>.expected_output.json`` (``{test grade_id: text}``).
``make build`` reads that file and puts each text, as a markdown cell tagged
``expected_output``, right after its test cell. A test runs the checks again and
compares, so the blocks cannot drift from the reference.

The cells carry no nbgrader metadata: nbgrader and the fast grader, which find cells by
grade id, pass over them.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

TAG = "expected_output"
HEADING = "**Expected output** of the visible tests above, when your function is right:"
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n.*?(### END HIDDEN TESTS\n?|\Z)", re.S)
# What switches a notebook to its smoke settings; the expected output is the course's own.
SMOKE_VARIABLES = ("CNN_COURSE_SMOKE", "NBGRADER_EXECUTION")


def path(assignment_id: str) -> Path:
    from cnn_course.graders import reference

    return reference.REFERENCE_DIR / f"{assignment_id}.expected_output.json"


def stored(assignment_id: str) -> dict[str, str]:
    """The stored texts of an assignment ({} when it has none, for example a new assignment)."""
    file = path(assignment_id)
    return json.loads(file.read_text()) if file.exists() else {}


def visible_code(test_source: str) -> str:
    """A test cell's source without its hidden block (what a student's notebook runs)."""
    return HIDDEN.sub("", test_source)


def cell(grade_id: str, text: str) -> nbformat.NotebookNode:
    """The markdown cell shown after the test cell ``grade_id``: a heading and a fenced block."""
    fence = "```"
    while fence in text:
        fence += "`"
    source = f"{HEADING}\n\n{fence}text\n{text.rstrip()}\n{fence}"
    block = nbformat.v4.new_markdown_cell(source, metadata={"tags": [TAG]})
    block.id = f"{grade_id}-expected".replace("_", "-")[-64:]
    return block


def insert(nb: nbformat.NotebookNode, texts: dict[str, str]) -> None:
    """Put a block after every test cell that has a text in ``texts`` (in place)."""
    from cnn_course.graders.authoring.notebooks import is_test, nbgrader_meta

    cells = []
    for each in nb.cells:
        cells.append(each)
        grade_id = nbgrader_meta(each).get("grade_id")
        if is_test(each) and grade_id in texts:
            cells.append(cell(grade_id, texts[grade_id]))
    nb.cells = cells


def blocks(nb: nbformat.NotebookNode) -> dict[str, str]:
    """{test grade_id: text} of the blocks in a built notebook (the inverse of :func:`insert`)."""
    from cnn_course.graders.authoring.notebooks import is_test, nbgrader_meta, tags

    found = {}
    for before, each in zip(nb.cells, nb.cells[1:], strict=False):
        if is_test(before) and each.cell_type == "markdown" and TAG in tags(each):
            body = each.source.split("\n", 3)[3]  # after the heading, the blank line and the fence
            found[nbgrader_meta(before)["grade_id"]] = body[:body.rindex("\n")] + "\n"
    return found


NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def _last_digit(number: str) -> float:
    """The value of one unit in the last printed digit of a decimal number ("0.125" -> 0.001)."""
    mantissa, _, exponent = number.lower().partition("e")
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return 10.0 ** (int(exponent or 0) - decimals)


def agree(printed: str, stored: str) -> bool:
    """Whether two printed texts are the same but for one unit in the last digit of decimals.

    Floating-point results may differ in their last bits from one machine to another
    (vector instructions, thread counts), and a rounded print of them then by one unit in
    its last digit; integers (shapes, counts) and the words must be the same. Spacing
    is ignored, as numpy's column alignment follows the signs and widths of the numbers.
    """
    def words(text: str) -> list[str]:
        return [re.sub(r"\s+", "", part) for part in NUMBER.split(text)]

    if words(printed) != words(stored):
        return False
    for a, b in zip(NUMBER.findall(printed), NUMBER.findall(stored), strict=True):
        if a == b:
            continue
        if not any(mark in a + b for mark in ".eE"):
            return False
        if abs(float(a) - float(b)) > 1.01 * max(_last_digit(a), _last_digit(b)):
            return False
    return True


def compute_here(assignment_id: str) -> dict[str, str]:
    """{test grade_id: what its visible part prints}, run in this process.

    The setup, parameters and graded cells of the source run first (see
    :func:`~cnn_course.graders.engine.loading.load_functions`), then each test cell's
    visible part, in order, in the same namespace.
    """
    from cnn_course.graders.authoring.notebooks import (
        is_test,
        nbgrader_meta,
        read_notebook,
        source_path,
    )
    from cnn_course.graders.engine.loading import load_functions

    namespace: dict = {"__name__": "__main__"}
    load_functions(assignment_id, namespace=namespace)
    texts = {}
    for each in read_notebook(source_path(assignment_id)).cells:
        if not is_test(each):
            continue
        grade_id = nbgrader_meta(each)["grade_id"]
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            code = compile(visible_code(each.source), f"<{grade_id}>", "exec")
            exec(code, namespace)  # noqa: S102 - the notebook's own test code
        texts[grade_id] = printed.getvalue()
    return texts


def compute(assignment_id: str, timeout: float = 900) -> dict[str, str]:
    """:func:`compute_here` in a fresh Python, so that no other notebook's state leaks in."""
    env = {k: v for k, v in os.environ.items() if k not in SMOKE_VARIABLES}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "texts.json"
        done = subprocess.run([sys.executable, "-m", __name__, assignment_id, str(out)], env=env,
                              capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"the visible checks of {assignment_id} failed on the source "
                               f"solution:\n{(done.stdout + done.stderr).strip()[-3000:]}")
        return json.loads(out.read_text())


def write(assignment_id: str) -> Path:
    """Compute the texts of an assignment and store them; returns the file."""
    file = path(assignment_id)
    texts = compute(assignment_id)
    file.write_text(json.dumps(texts, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    return file


if __name__ == "__main__":
    assignment, destination = sys.argv[1:3]
    Path(destination).write_text(json.dumps(compute_here(assignment)))
