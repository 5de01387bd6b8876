"""Generate the stored outputs of the source solutions (``make references``).

Two files per assignment, both from the source notebook's solution, never edited by hand:

- ``graders/reference/<id>.npz`` (instructor-only): outputs on the hidden cases,
  ``reference_cases()`` / ``reference_outputs()`` of ``cnn_course.graders.<id>``;
- ``checks/expected/<id>.npz`` (student package): outputs on the visible cases,
  ``visible_cases()`` / ``visible_outputs()`` of ``cnn_course.checks.<id>``.

Then what the visible checks print on the solution, the notebooks' "Expected output"
blocks (``graders/reference/<id>.expected_output.json``, :mod:`.expected_output`).

Tests regenerate both and compare with what is committed.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np

from cnn_course.checks import expected
from cnn_course.graders import reference
from cnn_course.graders.authoring import expected_output


def _run(functions, cases: dict, outputs_of) -> dict[str, np.ndarray]:
    outputs = {}
    for function, function_cases in cases.items():
        for case, (args, kwargs) in function_cases.items():
            result = getattr(functions, function)(*args, **kwargs)
            for k, array in enumerate(outputs_of(function, result)):
                outputs[f"{function}/{case}/{k}"] = np.asarray(array, dtype=np.float64)
    return outputs


def compute(assignment_id: str, notebook_path=None) -> dict[str, np.ndarray]:
    """The solution's outputs on the hidden cases of ``cnn_course.graders.<assignment_id>``."""
    from cnn_course.graders.engine.loading import load_functions

    grader = importlib.import_module(f"cnn_course.graders.{assignment_id}")
    return _run(load_functions(assignment_id, notebook_path), grader.reference_cases(),
                grader.reference_outputs)


def compute_visible(assignment_id: str, notebook_path=None) -> dict[str, np.ndarray]:
    """The solution's outputs on the visible cases of ``cnn_course.checks.<assignment_id>``."""
    from cnn_course.graders.engine.loading import load_functions

    checks = importlib.import_module(f"cnn_course.checks.{assignment_id}")
    return _run(load_functions(assignment_id, notebook_path), checks.visible_cases(),
                checks.visible_outputs)


def has_hidden(assignment_id: str) -> bool:
    return hasattr(importlib.import_module(f"cnn_course.graders.{assignment_id}"),
                   "reference_cases")


def has_visible(assignment_id: str) -> bool:
    import importlib.util

    if importlib.util.find_spec(f"cnn_course.checks.{assignment_id}") is None:
        return False
    return hasattr(importlib.import_module(f"cnn_course.checks.{assignment_id}"), "visible_cases")


def generate(assignment_id: str, destination: Path | None = None) -> list[Path]:
    """Write the hidden and the visible outputs of one assignment; returns the files written."""
    written = []
    if has_hidden(assignment_id):
        target = destination or reference.path(assignment_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(target, **compute(assignment_id))
        reference.load.cache_clear()
        written.append(target)
    if has_visible(assignment_id):
        target = expected.path(assignment_id)
        np.savez_compressed(target, **compute_visible(assignment_id))
        expected.load.cache_clear()
        written.append(target)
    # Last: the visible checks print values read from checks/expected/.
    written.append(expected_output.write(assignment_id))
    return written
