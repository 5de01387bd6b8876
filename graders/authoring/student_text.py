"""What a student must not read: development notes in the text of a released notebook.

A student reads the lesson, not the lab book. :data:`DEV_NOTES` lists the words and
patterns that mark a development note, each with what it is; :data:`GRADING_ONLY` those
allowed only in the "How this notebook is graded" section (the cell :data:`GRADING_SECTION`).
:func:`dev_notes` finds them in every cell's source, markdown and code alike. Trial
results and the story of a design choice belong in ``docs/assignments/<assignment_id>.md``.
"""

from __future__ import annotations

import re

MAKE_TARGETS = ("setup", "system", "dist", "build", "release", "references", "autograde",
                "nbgrader-autograde", "feedback", "demo", "test", "test-fast", "smoke", "lab",
                "data", "weights", "bench", "lint", "clean")

DEV_NOTES: dict[str, str] = {
    "a lab-book phrase": r"\bour (?:runs|trials|experiments|measurements|machine)\b",
    "a measured version or result":
        r"\(measured\b|\bmeasured\)|,\s*measured\b|\bmeasured (?:with|on) ",
    "a version note": r"\bKeras 3 \(|\b(?:Keras|TensorFlow|nbgrader|numpy|JupyterLab) \d+\.\d+",
    "a make command": r"\bmake (?:" + "|".join(map(re.escape, MAKE_TARGETS)) + r")\b",
    "benchmark machinery": r"\breport_metric\b|\bCNN_COURSE_(?:SMOKE|METRICS)\b",
    "smoke mode": r"\bsmoke(?:_mode)?\b",
    "an eager-execution switch": r"\brun_eagerly\b|\brun_functions_eagerly\b",
    "a date": r"\b20\d\d-[01]\d\b",
    "a trial result":
        r"\bseeds \d+(?:, \d+)*,? and \d+\b|\btrials?\b|\btuning (?:diary|aside|run)s?\b",
    "a work note": r"\b(?:TODO|FIXME|XXX)\b|\bthe issue\b",
}
GRADING_ONLY: dict[str, str] = {
    "grading machinery": r"\bnbgrader\b|\bautograd|\bNBGRADER_\w+",
}
GRADING_SECTION = "how_graded"


def _cell_name(cell, index: int) -> str:
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return grade_id or f"cell {index}"


def dev_notes(nb) -> list[tuple[str, str, str]]:
    """(cell, phrase found, what it is) for each development note in ``nb``'s cells."""
    found = []
    for index, cell in enumerate(nb.cells):
        name = _cell_name(cell, index)
        rules = dict(DEV_NOTES)
        if name != GRADING_SECTION:
            rules.update(GRADING_ONLY)
        for what, pattern in rules.items():
            for match in re.finditer(pattern, cell.get("source", ""), re.IGNORECASE):
                found.append((name, match.group(0), what))
    return found


def describe(notebook: str, notes: list[tuple[str, str, str]]) -> str:
    """One line per note: ``notebook, cell <name>: "<phrase>" (<what it is>)``."""
    return "\n".join(f'{notebook}, cell {cell}: "{phrase}" ({what})'
                     for cell, phrase, what in notes)
