"""Mutants: wrong variants of the source solutions that the checks must catch.

A mutant edits the text of one graded cell of the source notebook (each edit
must match exactly once, so a mutant cannot silently stop applying when the
solution changes) and names the test cells it must fail: its own function's
tests, plus the tests of the functions that call it. ``kill_report`` grades
every mutant at function level and compares.

Each assignment lists its mutants in ``MUTANTS`` at the end of its grader
module, ``cnn_course.graders.<assignment_id>``.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Mutant:
    name: str
    assignment_id: str
    grade_id: str  # the graded cell to edit
    description: str
    edits: tuple[tuple[str, str], ...]  # (old, new) text replacements, each matching once
    fails: frozenset[str]  # test grade_ids that must fail


def mutant(name, grade_id, description, edits, fails, assignment_id) -> Mutant:
    """A Mutant whose ``fails`` are function names (their ``<name>_tests`` cells must fail)."""
    return Mutant(name, assignment_id, grade_id, description, tuple(edits),
                  frozenset(f"{t}_tests" for t in fails))


def mutants(assignment_id: str | None = None) -> list[Mutant]:
    """The mutants of one assignment (``MUTANTS`` of its grader module), or of every assignment."""
    import importlib
    import importlib.util

    from cnn_course.graders.authoring.notebooks import assignments

    found = []
    for aid in assignments() if assignment_id is None else [assignment_id]:
        if importlib.util.find_spec(f"cnn_course.graders.{aid}"):
            found += list(getattr(importlib.import_module(f"cnn_course.graders.{aid}"),
                                  "MUTANTS", ()))
    return found


def by_name(name: str) -> Mutant:
    for m in mutants():
        if m.name == name:
            return m
    raise KeyError(f"no mutant named {name!r}; known: {', '.join(m.name for m in mutants())}")

def apply(mutant: Mutant, nb):
    """A copy of the notebook with the mutant's edits applied to its graded cell."""
    # imported here, not at module import: grader modules (imported by notebooks) import this one
    import nbformat

    from cnn_course.graders.authoring.notebooks import nbgrader_meta

    nb = nbformat.from_dict(nb)
    cells = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") == mutant.grade_id]
    if len(cells) != 1:
        raise ValueError(f"mutant {mutant.name}: no single cell with grade_id {mutant.grade_id!r}")
    cell = cells[0]
    for old, new in mutant.edits:
        count = cell.source.count(old)
        if count != 1:
            raise ValueError(f"mutant {mutant.name}: {old!r} occurs {count} times in "
                             f"{mutant.grade_id}, expected once")
        cell.source = cell.source.replace(old, new)
    return nb


def write_notebook(mutant: Mutant, destination: Path) -> Path:
    """The built source notebook with the mutant applied, as .ipynb at destination."""
    import nbformat

    from cnn_course.graders.authoring.notebooks import build_notebook, source_path

    with tempfile.TemporaryDirectory() as tmp:
        built = build_notebook(source_path(mutant.assignment_id), Path(tmp) / "source.ipynb")
        nb = apply(mutant, nbformat.read(built, as_version=4))
    destination.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, destination)
    return destination
