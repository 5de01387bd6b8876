"""A failed visible check shows its sentence and the student's own lines.

The checks' internals stay out of the traceback.
"""

from __future__ import annotations

import re
import traceback

import nbformat
import pytest

from cnn_course.checks import w1a1_conv_step_by_step as checks
from cnn_course.checks._checking import CheckFailure, trim_traceback

ANSI = re.compile(r"\x1b\[[0-9;]*m")
CHECKS_INTERNALS = re.compile(r"_checking\.py|checks/w1a1|cnn_course[/.]checks"
                              r"|cnn_course[/.]graders")

SETUP = "import numpy as np\nfrom cnn_course.checks import w1a1_conv_step_by_step as checks"
TEST_CELL = ('"""zero_pad adds zeros around height and width only."""\n'
             'checks.check_zero_pad(zero_pad)')
WRONG_VALUES = ("def zero_pad(X, pad):\n"
                "    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), constant_values=1)")
RAISES = ("def zero_pad(X, pad):\n"
          "    widths = ((pad, pad), (pad, pad))\n"
          "    return np.pad(X, widths[5])")


def _pads_with_ones(X, pad):
    import numpy as np

    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), constant_values=1)


def test_the_trimmed_traceback_keeps_only_frames_outside_the_checks():
    with pytest.raises(CheckFailure) as caught:
        checks.check_zero_pad(_pads_with_ones)
    full = "".join(traceback.format_tb(caught.value.__traceback__))
    assert CHECKS_INTERNALS.search(full), "the untrimmed traceback goes through the checks"
    trim_traceback(caught.value)
    frames = traceback.extract_tb(caught.value.__traceback__)
    assert [frame.name for frame in frames] == [
        "test_the_trimmed_traceback_keeps_only_frames_outside_the_checks"]


def _raises(X, pad):
    return X[99]


def test_the_students_own_error_keeps_its_frames_and_loses_the_checks_ones():
    with pytest.raises(CheckFailure) as caught:
        checks.check_zero_pad(_raises)
    trim_traceback(caught.value)
    cause = caught.value.__cause__
    assert isinstance(cause, IndexError)
    assert [frame.name for frame in traceback.extract_tb(cause.__traceback__)] == ["_raises"]


def _run_cells(tmp_path, *sources) -> list[nbformat.NotebookNode]:
    """Run the cells in a real IPython kernel, going on after errors; the executed cells."""
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    return nb.cells


def _shown(cell) -> tuple[str, str]:
    """(ename, the traceback as the student sees it, colours removed) of a cell's error output."""
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert len(errors) == 1, cell.outputs
    return errors[0].ename, ANSI.sub("", "\n".join(errors[0].traceback))


def test_a_failed_check_shows_the_sentence_under_a_few_lines_of_the_notebook(tmp_path):
    cells = _run_cells(tmp_path, SETUP, WRONG_VALUES, TEST_CELL, RAISES, TEST_CELL,
                       "%xmode Plain", TEST_CELL)
    # A wrong answer: the sentence, under the one line of the test cell that failed.
    ename, shown = _shown(cells[2])
    lines = [line for line in shown.splitlines() if line.strip()]
    assert ename == "CheckFailure"
    assert "zero_pad(X, 3) is wrong at" in shown and "border must be zeros" in shown
    assert "----> 2 checks.check_zero_pad(zero_pad)" in shown
    assert not CHECKS_INTERNALS.search(shown), shown
    assert len(lines) <= 6, shown
    # The student's function raised: its own lines are shown, then the sentence; in another
    # traceback mode of IPython too.
    for cell in (cells[4], cells[6]):
        ename, shown = _shown(cell)
        assert ename == "CheckFailure"
        assert "IndexError" in shown and "zero_pad raised IndexError" in shown
        assert not CHECKS_INTERNALS.search(shown), shown
        assert len([line for line in shown.splitlines() if line.strip()]) <= 16, shown
    assert "return np.pad(X, widths[5])" in _shown(cells[4])[1]


def test_other_errors_keep_their_whole_traceback(tmp_path):
    cells = _run_cells(tmp_path, "def f():\n    return 1 / 0", "f()")
    ename, shown = _shown(cells[1])
    assert ename == "ZeroDivisionError" and "return 1 / 0" in shown


def test_outside_ipython_a_check_failure_is_an_ordinary_assertion_error():
    failure = CheckFailure("x is wrong.")
    assert isinstance(failure, AssertionError) and str(failure) == "x is wrong."
    assert failure._render_traceback_() == ["CheckFailure: x is wrong."]  # no IPython shell here


def test_the_fast_grader_writes_the_sentence_alone():
    from cnn_course.graders.engine.fast import _output

    visible = _output({"passed": False, "phase": "visible", "message": "x is wrong."})
    assert visible.output_type == "error" and visible.traceback == ["CheckFailure: x is wrong."]
    hidden = _output({"passed": False, "phase": "hidden", "message": "x is wrong."})
    assert hidden.traceback[0] == "CheckFailure: x is wrong." and len(hidden.traceback) == 2
