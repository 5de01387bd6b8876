"""Damaged submissions: which of their cells count, and how they are recorded.

A submission is graded by its readable cells, with nbgrader's own rules wherever nbgrader
has one, so that the fast grader and ``nbgrader autograde`` give the same scores:

- a file that is not a notebook (invalid JSON, a missing required key) scores 0 on every test;
- when several cells carry one grade id, the last one keeps it and the others become
  ordinary cells (nbgrader's ``DeduplicateIds``); nbgrader metadata without a grade id is
  ignored, as if the cell were an ordinary one;
- a graded cell turned into a markdown or raw cell is graded as code, because nbgrader's
  ``OverwriteCells`` turns it back into the code cell of the source;
- a graded cell that lost its nbgrader metadata is graded from the last ordinary code cell
  that defines all of the functions of the source's cell: nbgrader runs that cell like any
  other, so the tests see those functions.

Each repair becomes a sentence in the student's incidents. nbgrader itself stops on a
duplicated grade id when ``OverwriteCells.add_missing_cells`` is on (``DeduplicateIds``
leaves an empty ``nbgrader`` entry that ``add_missing_cells`` cannot read):
:class:`DeduplicateGradeIds` replaces that step. A submission that nbgrader still cannot
process gets the sandbox's scores written into the gradebook by :func:`record_without_nbgrader`.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor

# nbgrader's sanitising steps with DeduplicateIds replaced (see the module's docstring).
SANITIZE_STEPS = (
    "nbgrader.preprocessors.ClearOutput",
    "cnn_course.graders.engine.malformed.DeduplicateGradeIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
)


class UnreadableNotebook(ValueError):
    """The submitted file is not a notebook that can be read; the message says why, in words."""


def read_submission(source: str | Path | bytes | nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A submission as a notebook node; raises :class:`UnreadableNotebook` with a sentence."""
    if isinstance(source, nbformat.NotebookNode):
        return source
    try:
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnreadableNotebook("the file is not UTF-8 text") from error
    except OSError as error:
        raise UnreadableNotebook(f"the file could not be opened ({error.strerror})") from error
    try:
        nb = nbformat.reads(text, as_version=4)
    except nbformat.reader.NotJSONError as error:
        cause = error.__cause__
        where = (
            f" (line {cause.lineno}, column {cause.colno})"
            if isinstance(cause, json.JSONDecodeError)
            else ""
        )
        raise UnreadableNotebook(
            f"the file is not valid JSON{where}; it may be truncated or edited outside Jupyter"
        ) from error
    except Exception as error:  # nbformat raises many types for a JSON file that is not a notebook
        detail = str(error).split("\n")[0][:200]
        raise UnreadableNotebook(
            f"the file is not a valid notebook ({type(error).__name__}: {detail})"
        ) from error
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise UnreadableNotebook("the file is not a valid notebook (it has no list of cells)")
    return nb


def _grade_id(cell) -> str | None:
    meta = (
        cell.get("metadata", {}).get("nbgrader") if isinstance(cell.get("metadata"), dict) else None
    )
    grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
    return grade_id if isinstance(grade_id, str) and grade_id else None


def _drop_nbgrader(cell) -> None:
    if isinstance(cell.get("metadata"), dict):
        cell["metadata"].pop("nbgrader", None)


def deduplicate(cells: list) -> tuple[list[str], int]:
    """nbgrader's rule, in place: of the cells sharing a grade id the last keeps it; the others
    and cells whose nbgrader metadata has no grade id become ordinary cells.

    Returns the duplicated grade ids (in notebook order) and how many entries had no grade id.
    """
    seen: set[str] = set()
    duplicated: list[str] = []
    missing = 0
    for cell in reversed(cells):
        if not isinstance(cell.get("metadata"), dict) or "nbgrader" not in cell["metadata"]:
            continue
        grade_id = _grade_id(cell)
        if grade_id is None:
            missing += 1
            _drop_nbgrader(cell)
        elif grade_id in seen:
            duplicated.append(grade_id)
            _drop_nbgrader(cell)
        else:
            seen.add(grade_id)
    return list(dict.fromkeys(reversed(duplicated))), missing


class DeduplicateGradeIds(NbGraderPreprocessor):
    """nbgrader's ``DeduplicateIds`` rule (the last cell keeps a grade id) for damaged notebooks.

    The cells that lose a grade id lose their whole ``nbgrader`` entry, where nbgrader leaves an
    empty one that ``OverwriteCells.add_missing_cells`` then fails on; nbgrader metadata without
    a grade id is dropped the same way instead of stopping the notebook.
    """

    def preprocess(self, nb, resources):
        duplicated, missing = deduplicate(nb.cells)
        for grade_id in duplicated:
            self.log.warning(
                "Cell with id '%s' exists multiple times: the last one keeps it.", grade_id
            )
        if missing:
            self.log.warning(
                "%d cell(s) had nbgrader metadata without a grade id: ignored.", missing
            )
        return nb, resources


@cache
def _source_cells(assignment_id: str) -> tuple[dict[str, list[str]], frozenset[str]]:
    """({graded grade id: the functions its source cell defines}, every grade id of the source)."""
    from cnn_course.graders.authoring.notebooks import read_notebook, source_path
    from cnn_course.graders.engine.loading import graded_functions_of

    source = read_notebook(source_path(assignment_id))
    return graded_functions_of(source), frozenset(filter(None, map(_grade_id, source.cells)))


def _defines(cell) -> set[str]:
    import ast

    from cnn_course.graders.engine.loading import _python_source

    try:
        tree = ast.parse(_python_source(cell.get("source", "")))
    except (SyntaxError, ValueError, TypeError):
        return set()
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.ClassDef)}


def repair(
    assignment_id: str, nb: nbformat.NotebookNode
) -> tuple[nbformat.NotebookNode, list[str]]:
    """A copy of a submission where each graded cell of the source appears at most once, as code.

    Follows the rules of the module's docstring; returns the copy and one sentence per repair
    (none for a well-formed notebook).
    """
    graded, known = _source_cells(assignment_id)
    nb = copy.deepcopy(nb)
    nb.cells = [
        c
        for c in nb.cells
        if isinstance(c, dict)
        and isinstance(c.get("cell_type"), str)
        and isinstance(c.get("source", ""), str)
    ]
    notes = []
    duplicated, missing = deduplicate(nb.cells)
    for grade_id in duplicated:
        if grade_id in known:
            notes.append(
                f"Several cells carry the grade id '{grade_id}': the last one counts, "
                "as in nbgrader; the others are ordinary cells."
            )
    if missing:
        notes.append(
            "A cell has nbgrader metadata without a grade id; it is treated as an ordinary cell."
            if missing == 1
            else f"{missing} cells have nbgrader metadata without a grade id; "
            "they are treated as ordinary cells."
        )
    present = set()
    for position, cell in enumerate(nb.cells):
        grade_id = _grade_id(cell)
        if grade_id not in graded:
            continue
        present.add(grade_id)
        cell["metadata"]["nbgrader"]["solution"] = True  # nbgrader runs it, whatever the flag says
        if cell.cell_type != "code":
            notes.append(
                f"The graded cell '{grade_id}' is a {cell.cell_type} cell; it is graded as "
                "code, as nbgrader turns it back into a code cell."
            )
            nb.cells[position] = nbformat.v4.new_code_cell(
                cell.source, metadata=dict(cell["metadata"])
            )
    for grade_id, functions in graded.items():
        if grade_id in present or not functions:
            continue
        candidates = [
            c
            for c in nb.cells
            if c.cell_type == "code" and _grade_id(c) is None and set(functions) <= _defines(c)
        ]
        names = ", ".join(functions)
        if candidates:
            cell = candidates[-1]
            cell.setdefault("metadata", {})["nbgrader"] = {
                "grade": False,
                "grade_id": grade_id,
                "locked": False,
                "schema_version": 3,
                "solution": True,
            }
            notes.append(
                f"The graded cell '{grade_id}' has lost its nbgrader metadata; the code cell "
                f"that defines {names} is graded in its place."
            )
        else:
            notes.append(
                f"The notebook has no graded cell '{grade_id}' and no code cell that defines "
                f"{names}; the tests of {names} fail."
            )
    return nb, notes


# ----------------------------------------------------------------------------- nbgrader's side

FAILED_STUDENT = re.compile(
    r"There was an error processing assignment '(?P<aid>.*)' for student '(?P<student>.*)'$"
)
FAILED_PATH = re.compile(r"There was an error processing assignment: (?P<path>.*)$")


def failed_students(log: str, assignment_id: str) -> dict[str, str]:
    """{student: the error nbgrader stopped with} for each notebook nbgrader gave up on."""
    lines = log.splitlines()
    failed = {
        m["student"]: ""
        for m in map(FAILED_STUDENT.search, lines)
        if m and m["aid"] == assignment_id
    }
    for number, line in enumerate(lines):
        match = FAILED_PATH.search(line)
        if not match or Path(match["path"]).name != assignment_id:
            continue
        student = Path(match["path"]).parent.name
        block = []
        for following in lines[number + 1 :]:
            if following.startswith("[") and "Traceback (most recent call last)" not in following:
                break
            block.append(following.strip())
        if student in failed:
            failed[student] = last_error("\n".join(block))
    return failed


def last_error(log: str) -> str:
    """The last error of an nbgrader log, in one line: an exception, or an ERROR message."""
    lines = [line.strip() for line in log.splitlines()]
    found = ""
    for number, line in enumerate(lines):
        if re.match(r"^[\w.]+(Error|Exception)\b", line):
            found = line
        elif "| ERROR]" in line:
            text = [line.split("ERROR]", 1)[1]]
            for following in lines[number + 1 :]:
                if not following or following.startswith("["):
                    break
                text.append(following)
            message = " ".join(" ".join(text).split())
            if message and not message.startswith(
                ("There was an error", "Please see", "Traceback")
            ):
                found = message
    return found[:300] or "nbgrader stopped without saying why"


def record_without_nbgrader(
    course: Path, assignment_id: str, student: str, results: dict[str, dict], reason: str
) -> None:
    """Write the sandbox's scores of a submission nbgrader could not process into the gradebook.

    Each test cell scores its points when its check passed, else 0; other graded cells
    (manually graded answers) score 0, as nbgrader scores a missing notebook; each comment
    says why, so formgrader and ``nbgrader export`` show it.
    """
    from nbgrader.api import Gradebook, MissingEntry

    from cnn_course.graders.authoring.notebooks import source_path

    with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}") as gb:
        gb.update_or_create_student(student)
        try:
            gb.find_submission(assignment_id, student)
        except MissingEntry:
            gb.add_submission(assignment_id, student)
        notebook = gb.find_submission_notebook(
            source_path(assignment_id).stem, assignment_id, student
        )
        for grade in notebook.grades:
            result = results.get(grade.name)
            grade.auto_score = grade.max_score if result and result.get("passed") else 0.0
            grade.needs_manual_grade = False
        for comment in notebook.comments:
            comment.auto_comment = f"This notebook could not be graded by nbgrader: {reason}"
        gb.db.commit()
