"""Expected outputs of the visible checks: ``<assignment_id>.npz`` in this folder.

They are the course solution's outputs on the visible cases of
``cnn_course.checks.<assignment_id>`` (its ``visible_cases()``), written by the
instructor's ``make references`` and never edited by hand. Only the visible cases
are here: the notebook prints them anyway.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

EXPECTED_DIR = Path(__file__).resolve().parent


def path(assignment_id: str) -> Path:
    return EXPECTED_DIR / f"{assignment_id}.npz"


def read_npz(file: Path, missing: str) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` file, by key; FileNotFoundError(missing) when there is none."""
    if not file.exists():
        raise FileNotFoundError(missing)
    with np.load(file) as data:
        return {key: data[key] for key in data.files}


@cache
def load(assignment_id: str) -> dict[str, np.ndarray]:
    """{"<function>/<case>/<k>": array} for one assignment."""
    file = path(assignment_id)
    return read_npz(file, f"{file.name} is missing from the course package: reinstall the "
                          "package your course provides.")


def get(assignment_id: str, function: str, case: str, k: int = 0) -> np.ndarray:
    """One expected array; a clear error when the package does not have it."""
    key = f"{function}/{case}/{k}"
    outputs = load(assignment_id)
    if key not in outputs:
        raise KeyError(f"the expected output {key} of {assignment_id} is not in the course "
                       "package: reinstall the package your course provides.")
    return outputs[key]
