"""Function-level grading: run an assignment's checks on loaded functions.

This is the cheap path (no kernel, no nbgrader): the same checks the test
cells call, visible then hidden, on functions from :func:`load_functions`.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cnn_course.checks._checking import CheckFailure
from cnn_course.graders.engine.loading import load_functions


@dataclass
class TestResult:
    test_id: str  # the grade_id of the test cell
    passed: bool
    message: str  # "" when passed; else the failure, in a sentence


def grade_functions(assignment_id: str, functions) -> dict[str, TestResult]:
    """{test grade_id: TestResult} for every graded function of the assignment."""
    grader = importlib.import_module(f"cnn_course.graders.{assignment_id}")
    results = {}
    for name in grader.GRADED_FUNCTIONS:
        test_id = f"{name}_tests"
        check = getattr(grader, f"check_{name}")
        fn = getattr(functions, name)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                check(fn, hidden=False)
                check(fn, hidden=True)
        except CheckFailure as failure:
            results[test_id] = TestResult(test_id, False, str(failure))
        else:
            results[test_id] = TestResult(test_id, True, "")
    return results


def grade_notebook(assignment_id: str, notebook_path: str | Path) -> dict[str, TestResult]:
    return grade_functions(assignment_id, load_functions(assignment_id, notebook_path))


def kill_report(assignment_id: str) -> list[dict]:
    """Grade every mutant of the assignment; one row per mutant."""
    from cnn_course.graders.authoring.mutants import mutants, write_notebook

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for mutant in mutants(assignment_id):
            path = write_notebook(mutant, Path(tmp) / f"{mutant.name}.ipynb")
            results = grade_notebook(assignment_id, path)
            failed = {t for t, r in results.items() if not r.passed}
            rows.append({
                "mutant": mutant.name,
                "description": mutant.description,
                "killed": bool(failed),
                "failed": sorted(failed),
                "expected": sorted(mutant.fails),
                "as_expected": failed == set(mutant.fails),
                "messages": {t: results[t].message for t in sorted(failed)},
            })
    return rows
