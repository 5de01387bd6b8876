"""Tests of cnn_course.utils.gradcheck."""

import numpy as np
import pytest

from cnn_course.utils.gradcheck import eval_numerical_gradient_array, rel_error


def test_rel_error_values():
    assert rel_error(np.ones(3), np.ones(3)) == 0.0
    assert rel_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    # |1 - 3| / (1 + 3) = 0.5
    assert rel_error(np.array([1.0, 5.0]), np.array([3.0, 5.0])) == pytest.approx(0.5)
    # two zeros: the 1e-8 floor avoids a division by zero
    assert rel_error(np.zeros(2), np.zeros(2)) == 0.0
    assert isinstance(rel_error(np.ones(2), np.ones(2)), float)


def test_rel_error_rejects_shape_mismatch():
    with pytest.raises(ValueError, match="same shape"):
        rel_error(np.ones(3), np.ones(4))


def test_linear_function_gradient_matches_analytic():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 5))
    M = rng.standard_normal((5, 2))
    df = rng.standard_normal((3, 4, 2))
    # f(x) = x @ M, so d/dx sum(f(x) * df) = df @ M.T
    grad = eval_numerical_gradient_array(lambda z: z @ M, x, df)
    assert grad.shape == x.shape
    assert rel_error(grad, df @ M.T) < 1e-7


def test_quadratic_function_gradient_matches_analytic():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3))
    df = rng.standard_normal((4, 3))
    grad = eval_numerical_gradient_array(lambda z: z**2, x, df)
    assert rel_error(grad, 2 * x * df) < 1e-7


def test_x_is_restored_exactly():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 4)) * 1e3
    before = x.copy()
    eval_numerical_gradient_array(np.tanh, x, np.ones_like(x))
    assert np.array_equal(x, before)


def test_x_is_restored_when_f_raises():
    x = np.arange(6, dtype=np.float64).reshape(2, 3)
    before = x.copy()

    def f(z):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        eval_numerical_gradient_array(f, x, np.ones_like(x))
    assert np.array_equal(x, before)


def test_rejects_integer_x():
    with pytest.raises(ValueError, match="float"):
        eval_numerical_gradient_array(lambda z: z, np.arange(3), np.ones(3))
