"""W1A1 specifics: what each kind of wrong answer is told (the common checks: test_assignments.py).

The visible checks live in the student package (cnn_course.checks.w1a1_conv_step_by_step)
and compare with stored expected outputs; tests here also check those stored outputs
against independent oracles (numpy windows, TensorFlow, numerical gradients).
"""

from __future__ import annotations

import numpy as np
import pytest

from cnn_course.checks import expected
from cnn_course.checks import w1a1_conv_step_by_step as checks
from cnn_course.checks._checking import failure_message as _raises
from cnn_course.graders import reference
from cnn_course.graders import w1a1_conv_step_by_step as grader
from cnn_course.graders.authoring.mutants import by_name, mutants, write_notebook
from cnn_course.graders.engine.grading import grade_notebook
from cnn_course.graders.engine.loading import load_functions
from cnn_course.utils.gradcheck import eval_numerical_gradient_array, rel_error

AID = "w1a1_conv_step_by_step"


@pytest.fixture(scope="module")
def solution():
    return load_functions(AID)


def test_visible_checks_show_values(solution, capsys):
    grader.check_conv_forward(solution.conv_forward)
    out = capsys.readouterr().out
    assert "Z.shape = (2, 3, 4, 8)" in out and "Z[0, 2, 1]" in out


def test_the_visible_module_prints_the_same_values_as_the_grader_delegates_to(solution, capsys):
    checks.check_conv_forward(solution.conv_forward)
    direct = capsys.readouterr().out
    grader.check_conv_forward(solution.conv_forward, hidden=False)
    assert capsys.readouterr().out == direct
    assert direct.endswith("All tests passed.\n")


def test_backward_checks_print_the_relative_error_to_the_expected_gradient(solution, capsys):
    checks.check_conv_backward(solution.conv_backward)
    checks.check_pool_backward(solution.pool_backward)
    out = capsys.readouterr().out
    assert out.count("relative error vs expected gradient") == 5


def _visible(function):
    """[(case, args, kwargs, [expected arrays])] of one function's visible cases."""
    cases = checks.visible_cases()[function]
    stored = expected.load(AID)
    return [(case, args, kwargs, [stored[f"{function}/{case}/{k}"] for k in range(3)
                                  if f"{function}/{case}/{k}" in stored])
            for case, (args, kwargs) in cases.items()]


def test_every_visible_case_has_its_expected_output():
    stored = set(expected.load(AID))
    wanted = {f"{fn}/{case}/0" for fn, cs in checks.visible_cases().items() for case in cs}
    assert wanted == {key for key in stored if key.endswith("/0")}
    assert set(checks.visible_cases()) == set(grader.GRADED_FUNCTIONS)


def test_expected_forward_outputs_agree_with_independent_oracles():
    """The stored visible outputs are right, not only what the solution produced."""
    for case, (X, pad), _, (want,) in _visible("zero_pad"):
        np.testing.assert_array_equal(want, grader._pad(X, pad), err_msg=case)
    for case, args, _, (want,) in _visible("conv_output_shape"):
        assert tuple(want.astype(int)) == grader.tf_output_shape(*args), case
        n_H_prev, _, _ = args[0]
        f, pad, stride = args[2:]
        # window positions, counted
        assert want[0] == len(range(0, n_H_prev + 2 * pad - f + 1, stride)), case
    for case, (a, W, b), _, (want,) in _visible("conv_single_step"):
        np.testing.assert_allclose(want, grader.oracle_single_step(a, W, b), rtol=1e-12,
                                   err_msg=case)
    for case, (A_prev, W, b, hp), _, (want,) in _visible("conv_forward"):
        np.testing.assert_allclose(want, grader.tf_conv(A_prev, W, b, hp["stride"], hp["pad"]),
                                   atol=1e-10, err_msg=case)
        np.testing.assert_allclose(
            want, grader.oracle_conv_forward(A_prev, W, b, hp["stride"], hp["pad"]),
            atol=1e-10, err_msg=case)
    for case, (A_prev, hp), kwargs, (want,) in _visible("pool_forward"):
        np.testing.assert_allclose(want,
                                   grader.tf_pool(A_prev, hp["f"], hp["stride"], kwargs["mode"]),
                                   atol=1e-12, err_msg=case)
    for case, (x,), _, (want,) in _visible("create_mask_from_window"):
        np.testing.assert_array_equal(want.astype(bool), grader.oracle_mask(x), err_msg=case)
    assert expected.get(AID, "create_mask_from_window", "tie").sum() == 2, (
        "the tie case marks both maxima")
    for case, (dz, shape), _, (want,) in _visible("distribute_value"):
        np.testing.assert_allclose(want, grader.oracle_distribute(dz, shape), rtol=1e-12,
                                   err_msg=case)
        assert np.isclose(want.sum(), dz)


def test_expected_gradients_agree_with_numerical_gradients_and_tensorflow():
    [(_, (dZ, (A_prev, W, b, hp)), _, want)] = _visible("conv_backward")
    s, p = hp["stride"], hp["pad"]
    numeric = (
        eval_numerical_gradient_array(lambda x: grader.oracle_conv_forward(x, W, b, s, p),
                                      A_prev.copy(), dZ),
        eval_numerical_gradient_array(lambda x: grader.oracle_conv_forward(A_prev, x, b, s, p),
                                      W.copy(), dZ),
        eval_numerical_gradient_array(lambda x: grader.oracle_conv_forward(A_prev, W, x, s, p),
                                      b.copy(), dZ),
    )
    _, autodiff = grader.tf_conv(A_prev, W, b, s, p, dZ)
    for name, got, num, tf_value in zip(("dA_prev", "dW", "db"), want, numeric, autodiff,
                                        strict=True):
        assert rel_error(got, num) < 1e-7, name
        np.testing.assert_allclose(got, tf_value, atol=1e-10, err_msg=name)
    for case, (dA, (A_prev, hp)), kwargs, (want,) in _visible("pool_backward"):
        mode = kwargs["mode"]
        num = eval_numerical_gradient_array(
            lambda x, mode=mode, hp=hp: grader.oracle_pool_forward(x, hp["f"], hp["stride"], mode),
            A_prev.copy(), dA)
        assert rel_error(want, num) < 1e-7, case
        _, tf_value = grader.tf_pool(A_prev, hp["f"], hp["stride"], mode, dA)
        np.testing.assert_allclose(want, tf_value, atol=1e-10, err_msg=case)


def test_the_visible_module_holds_no_oracle_and_no_grader_import():
    import inspect

    source = inspect.getsource(checks)
    for word in ("cnn_course.graders", "einsum", "sliding_window_view", "np.full(", "== x.max()",
                 "eval_numerical_gradient", "tensorflow", "fast_layers"):
        assert word not in source, word


def test_conv_output_shape_names_the_wrong_term(solution):
    def as_floats(input_shape, n_filters, f, pad, stride):
        return tuple(float(n)
                     for n in solution.conv_output_shape(input_shape, n_filters, f, pad, stride))

    def ceil(input_shape, n_filters, f, pad, stride):
        n_H_prev, n_W_prev, _ = input_shape
        return (-(-(n_H_prev - f + 2 * pad) // stride) + 1,
                -(-(n_W_prev - f + 2 * pad) // stride) + 1, n_filters)

    def input_channels(input_shape, n_filters, f, pad, stride):
        return (solution.conv_output_shape(input_shape, n_filters, f, pad, stride)[:2]
                + (input_shape[2],))

    as_floats.__name__ = ceil.__name__ = input_channels.__name__ = "conv_output_shape"
    _raises(grader.check_conv_output_shape, as_floats, "a float, expected an integer",
            "floor division")
    _raises(grader.check_conv_output_shape, ceil, "(4, 4, 8), expected (3, 4, 8)", "rounds up")
    _raises(grader.check_conv_output_shape, input_channels,
            "input's channels, not the number of filters")
    _raises(grader.check_conv_output_shape, as_floats, "a float", hidden=True)


def test_an_unknown_pool_mode_must_raise_a_value_error_and_no_other_error(solution):
    def pool_forward(A_prev, hparameters, mode="max"):
        return solution.pool_forward(A_prev, hparameters,
                                     "average" if mode not in ("max",) else mode)

    def pool_backward(dA, cache, mode="max"):
        if mode not in ("max", "average"):
            raise KeyError(mode)
        return solution.pool_backward(dA, cache, mode)

    _raises(grader.check_pool_forward, pool_forward,
            "mode='min') returned a result, expected a ValueError")
    _raises(grader.check_pool_forward, pool_forward, "mode='avg') returned a result", hidden=True)
    _raises(grader.check_pool_backward, pool_backward,
            "mode='min') raised KeyError, expected a ValueError")


def test_a_value_error_from_the_grading_process_counts_as_a_value_error(solution):
    """Remotely, the student's ValueError arrives as a stand-in class of the same name."""
    from cnn_course.graders.engine.remote import student_error

    def pool_forward(A_prev, hparameters, mode="max"):
        if mode not in ("max", "average"):
            raise student_error("ValueError", "unknown mode")
        return solution.pool_forward(A_prev, hparameters, mode)

    grader.check_pool_forward(pool_forward, hidden=True)
    checks.verify_mode_refused(pool_forward,
                               checks.visible_cases()["pool_forward"]["visible_max"][0])


def test_manual_question_is_graded_by_hand_and_its_rubric_stays_in_the_source():
    from cnn_course.graders.authoring.notebooks import nbgrader_meta, read_notebook, source_path

    cells = {nbgrader_meta(c).get("grade_id"): c for c in read_notebook(source_path(AID)).cells}
    answer = cells["answer_padding_stride_filter"]
    meta = nbgrader_meta(answer)
    assert (answer.cell_type == "markdown" and meta["grade"] and meta["solution"]
            and meta["points"] == 2)
    assert not meta["locked"] and "Rubric" in answer.source
    assert (answer.source.strip().startswith("### BEGIN SOLUTION")
            and answer.source.strip().endswith("### END SOLUTION")), (
        "the whole answer, rubric included, is replaced in the release")
    ids = list(cells)
    assert (ids.index("question_padding_stride_filter")
            == ids.index("answer_padding_stride_filter") - 1)
    assert ids.index("conv_output_shape_tests") < ids.index("conv_forward")


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

    _raises(grader.check_conv_forward, conv_forward,
            "Z has shape (2, 5, 7, 8), expected (2, 3, 4, 8)", "stride")


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


@pytest.mark.parametrize("hidden", [False, True])
def test_a_scalar_kept_as_a_one_element_array_is_refused(solution, hidden):
    """The text asks conv_single_step for a number.

    Z + b, with b of shape (1, 1, 1), is an array.
    """
    def conv_single_step(a_slice_prev, W, b):
        return np.sum(a_slice_prev * W) + b

    _raises(grader.check_conv_single_step, conv_single_step, "Z is an array of shape (1, 1, 1)",
            "b.item()", hidden=hidden)


@pytest.mark.parametrize("hidden", [False, True])
def test_a_mask_of_numbers_is_refused(hidden):
    def create_mask_from_window(x):
        return (x == np.max(x)).astype(int)

    _raises(grader.check_create_mask_from_window, create_mask_from_window, "dtype int64",
            "expected a boolean array", hidden=hidden)


@pytest.mark.parametrize("hidden", [False, True])
def test_a_pad_that_changes_the_dtype_is_refused(solution, hidden):
    def zero_pad(X, pad):
        return solution.zero_pad(X, pad).astype(np.float32)

    _raises(grader.check_zero_pad, zero_pad, "dtype float32, expected X's dtype float64",
            hidden=hidden)


@pytest.mark.parametrize("hidden", [False, True])
def test_every_item_of_the_forward_caches_is_checked(solution, hidden):
    def conv_forward(A_prev, W, b, hparameters):
        Z, _ = solution.conv_forward(A_prev, W, b, hparameters)
        return Z, (A_prev, W, hparameters, b)

    def pool_forward(A_prev, hparameters, mode="max"):
        A, _ = solution.pool_forward(A_prev, hparameters, mode)
        return A, (A_prev, dict(hparameters, f=0))

    _raises(grader.check_conv_forward, conv_forward, "(A_prev, W, b, hparameters), in that order",
            "item 2 is not b", hidden=hidden)
    _raises(grader.check_pool_forward, pool_forward, "item 1 is not hparameters", hidden=hidden)


def test_hidden_checks_use_the_references():
    """Every reference key is compared by some hidden check."""
    cases = grader.reference_cases()
    keys = set(reference.load(AID))
    expected = {f"{fn}/{case}/0" for fn, cs in cases.items() for case in cs}
    assert expected <= keys


def test_the_listed_mutants_exist():
    for name in ("conv_forward_stride_ignored", "conv_backward_padding_not_stripped",
                 "pool_average_uses_max", "conv_forward_bias_once", "output_shape_ceil",
                 "output_shape_pad_once", "output_shape_stride_ignored",
                 "output_shape_input_channels", "pool_forward_any_mode", "pool_backward_any_mode"):
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
