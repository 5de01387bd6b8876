"""W1A1 specifics: what each kind of wrong answer is told (the common checks: test_assignments.py)."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_course.graders import load_functions, reference
from cnn_course.graders import w1a1_conv_step_by_step as grader
from cnn_course.graders._checking import failure_message as _raises
from cnn_course.graders.grading import grade_notebook
from cnn_course.graders.mutants import by_name, mutants, write_notebook

AID = "w1a1_conv_step_by_step"


@pytest.fixture(scope="module")
def solution():
    return load_functions(AID)


def test_visible_checks_show_values(solution, capsys):
    grader.check_conv_forward(solution.conv_forward)
    out = capsys.readouterr().out
    assert "Z.shape = (2, 3, 4, 8)" in out and "Z[0, 2, 1]" in out


def test_not_implemented_says_so():
    def zero_pad(X, pad):
        raise NotImplementedError()

    _raises(grader.check_zero_pad, zero_pad, "not implemented yet")


def test_a_crash_is_reported_with_its_error():
    def conv_single_step(a_slice_prev, W, b):
        return a_slice_prev @ W  # shapes do not allow it

    _raises(grader.check_conv_single_step, conv_single_step, "conv_single_step raised ValueError")


def test_returning_none_is_reported():
    def distribute_value(dz, shape):
        np.ones(shape) * dz

    _raises(grader.check_distribute_value, distribute_value, "None", "return")


def test_wrong_shape_names_the_formula(solution):
    def conv_forward(A_prev, W, b, hparameters):
        Z, cache = solution.conv_forward(A_prev, W, b, {"stride": 1, "pad": hparameters["pad"]})
        return Z, cache

    _raises(grader.check_conv_forward, conv_forward, "Z has shape (2, 5, 7, 8), expected (2, 3, 4, 8)", "stride")


def test_integer_dtype_is_reported(solution):
    def zero_pad(X, pad):
        return solution.zero_pad(X, pad).astype(int)

    _raises(grader.check_zero_pad, zero_pad, "dtype")


def test_mutating_the_input_is_reported(solution):
    def pool_forward(A_prev, hparameters, mode="max"):
        A, cache = solution.pool_forward(A_prev, hparameters, mode)
        A_prev *= 0
        return A, cache

    _raises(grader.check_pool_forward, pool_forward, "modified its argument number 1 in place")


def test_wrong_return_arity_is_reported(solution):
    def conv_backward(dZ, cache):
        return solution.conv_backward(dZ, cache)[:2]

    _raises(grader.check_conv_backward, conv_backward, "must return 3 values")


def test_wrong_values_point_at_the_first_mismatch(solution):
    def create_mask_from_window(x):
        return x == np.min(x)

    _raises(grader.check_create_mask_from_window, create_mask_from_window, "expected", "np.max")


def test_hidden_checks_use_the_references():
    """Every reference key is compared by some hidden check."""
    cases = grader.reference_cases()
    keys = set(reference.load(AID))
    expected = {f"{fn}/{case}/0" for fn, cs in cases.items() for case in cs}
    assert expected <= keys


def test_the_listed_mutants_exist():
    for name in ("conv_forward_stride_ignored", "conv_backward_padding_not_stripped", "pool_average_uses_max",
                 "conv_forward_bias_once"):
        assert by_name(name).assignment_id == AID
    assert len({m.name for m in mutants()}) == len(mutants())


def test_load_functions_survives_a_broken_graded_cell(tmp_path):
    import nbformat

    path = write_notebook(by_name("single_step_no_bias"), tmp_path / "student.ipynb")
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "zero_pad":
            cell.source = "def zero_pad(X, pad:\n    return X"  # a syntax error
    nbformat.write(nb, path)
    results = grade_notebook(AID, path)
    assert not results["zero_pad_tests"].passed
    assert "failed to run" in results["zero_pad_tests"].message
    assert results["distribute_value_tests"].passed
