"""nbgrader preprocessor: keep hidden tests out of the feedback's tracebacks.

nbgrader's ClearHiddenTests removes the hidden block from a test cell's source,
but the saved traceback of a failing hidden check still quotes its lines (the
hidden call and its arguments). This preprocessor runs before it and replaces
such a traceback with the error's one-line message and a note.
"""

from __future__ import annotations

import re

from nbgrader.preprocessors import NbGraderPreprocessor

HIDDEN_BLOCK = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
NOTE = "(A hidden test failed; its code is not shown. The message above says what is wrong.)"


def strip_hidden_tracebacks(cell) -> bool:
    """Rewrite the error outputs of a test cell that quote hidden code; True if any changed."""
    hidden = [
        line.strip()
        for block in HIDDEN_BLOCK.findall(cell.get("source", ""))
        for line in block.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    if not hidden:
        return False
    changed = False
    for output in cell.get("outputs", []):
        if output.get("output_type") != "error":
            continue
        text = ANSI.sub("", "\n".join(output.get("traceback", [])))
        if any(line in text for line in hidden):
            output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}",
                                   NOTE]
            changed = True
    return changed


class StripHiddenTracebacks(NbGraderPreprocessor):
    """Enabled by default (nbconvert's base Preprocessor is not), as nbgrader's own are."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code":
            strip_hidden_tracebacks(cell)
        return cell, resources
