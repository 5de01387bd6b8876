"""Tests of cnn_course.utils.fast_layers.

Three oracles: the straightforward loop versions below (written the way the
course's students write them), TensorFlow's ops, and numerical gradients.
"""

import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

import numpy as np
import pytest

from cnn_course.utils.fast_layers import conv_backward, conv_forward, pool_backward, pool_forward
from cnn_course.utils.gradcheck import eval_numerical_gradient_array, rel_error

# ---------------------------------------------------------------------------
# naive loop versions (the oracle written like the course's graded functions)


def naive_conv_forward(A_prev, W, b, hparameters):
    m, n_H_prev, n_W_prev, _ = A_prev.shape
    f, _, _, n_C = W.shape
    s, p = hparameters["stride"], hparameters["pad"]
    n_H = (n_H_prev - f + 2 * p) // s + 1
    n_W = (n_W_prev - f + 2 * p) // s + 1
    A_pad = np.pad(A_prev, ((0, 0), (p, p), (p, p), (0, 0)))
    Z = np.zeros((m, n_H, n_W, n_C))
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    a_slice = A_pad[i, h * s : h * s + f, w * s : w * s + f, :]
                    Z[i, h, w, c] = np.sum(a_slice * W[..., c]) + b[0, 0, 0, c]
    return Z


def naive_conv_backward(dZ, A_prev, W, hparameters):
    f = W.shape[0]
    s, p = hparameters["stride"], hparameters["pad"]
    m, n_H, n_W, n_C = dZ.shape
    A_pad = np.pad(A_prev, ((0, 0), (p, p), (p, p), (0, 0)))
    dA_pad = np.zeros_like(A_pad)
    dW = np.zeros_like(W)
    db = np.zeros((1, 1, 1, n_C))
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    rows = slice(h * s, h * s + f)
                    cols = slice(w * s, w * s + f)
                    dA_pad[i, rows, cols, :] += W[..., c] * dZ[i, h, w, c]
                    dW[..., c] += A_pad[i, rows, cols, :] * dZ[i, h, w, c]
                    db[..., c] += dZ[i, h, w, c]
    n_H_prev, n_W_prev = A_prev.shape[1:3]
    return dA_pad[:, p : p + n_H_prev, p : p + n_W_prev, :], dW, db


def naive_pool_forward(A_prev, hparameters, mode):
    m, n_H_prev, n_W_prev, n_C = A_prev.shape
    f, s = hparameters["f"], hparameters["stride"]
    n_H = (n_H_prev - f) // s + 1
    n_W = (n_W_prev - f) // s + 1
    A = np.zeros((m, n_H, n_W, n_C))
    reduce = np.max if mode == "max" else np.mean
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    A[i, h, w, c] = reduce(A_prev[i, h * s : h * s + f, w * s : w * s + f, c])
    return A


def naive_pool_backward(dA, A_prev, hparameters, mode):
    f, s = hparameters["f"], hparameters["stride"]
    m, n_H, n_W, n_C = dA.shape
    dA_prev = np.zeros(A_prev.shape)
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    rows = slice(h * s, h * s + f)
                    cols = slice(w * s, w * s + f)
                    if mode == "max":
                        x = A_prev[i, rows, cols, c]
                        dA_prev[i, rows, cols, c] += (x == np.max(x)) * dA[i, h, w, c]
                    else:
                        dA_prev[i, rows, cols, c] += dA[i, h, w, c] / (f * f)
    return dA_prev


# ---------------------------------------------------------------------------
# cases: (A_prev shape, f, n_C, stride, pad)

CONV_CASES = [
    ((2, 5, 5, 3), 3, 4, 1, 0),
    ((2, 5, 7, 3), 3, 2, 1, 1),
    ((3, 7, 6, 2), 3, 5, 2, 1),
    ((1, 8, 8, 4), 2, 3, 2, 0),
    ((2, 9, 7, 1), 4, 2, 3, 2),  # stride leaves rows and columns over
    ((2, 4, 4, 3), 1, 6, 1, 0),  # 1x1 convolution
    ((1, 3, 3, 2), 5, 2, 1, 1),  # filter larger than the unpadded input
    ((2, 5, 4, 3), 3, 4, 4, 3),  # pad larger than the filter
]

POOL_CASES = [
    ((2, 4, 4, 3), 2, 2),
    ((2, 5, 7, 3), 3, 1),
    ((3, 7, 6, 2), 3, 2),  # overlapping windows
    ((1, 9, 8, 4), 2, 3),  # stride larger than the window
    ((2, 5, 5, 1), 1, 1),
    ((2, 6, 6, 2), 6, 1),  # one window covers everything
]


def _conv_inputs(shape, f, n_C, seed):
    rng = np.random.default_rng(seed)
    A_prev = rng.standard_normal(shape)
    W = rng.standard_normal((f, f, shape[3], n_C))
    b = rng.standard_normal((1, 1, 1, n_C))
    return A_prev, W, b


def _distinct_inputs(shape, seed):
    """Values in [-1, 1) with no ties, far more than h apart.

    Safe for max-pooling gradient checks.
    """
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    return rng.permutation(size).reshape(shape).astype(np.float64) * (2 / size) - 1


# ---------------------------------------------------------------------------
# convolution against the loops


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("shape, f, n_C, stride, pad", CONV_CASES)
def test_conv_forward_matches_loops(shape, f, n_C, stride, pad, seed):
    A_prev, W, b = _conv_inputs(shape, f, n_C, seed)
    hparameters = {"stride": stride, "pad": pad}
    Z, cache = conv_forward(A_prev, W, b, hparameters)
    expected = naive_conv_forward(A_prev, W, b, hparameters)
    assert Z.shape == expected.shape
    assert np.max(np.abs(Z - expected)) < 1e-10
    assert cache[0] is A_prev and cache[1] is W and cache[2] is b and cache[3] is hparameters


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("shape, f, n_C, stride, pad", CONV_CASES)
def test_conv_backward_matches_loops(shape, f, n_C, stride, pad, seed):
    A_prev, W, b = _conv_inputs(shape, f, n_C, seed)
    hparameters = {"stride": stride, "pad": pad}
    Z, cache = conv_forward(A_prev, W, b, hparameters)
    dZ = np.random.default_rng(seed + 100).standard_normal(Z.shape)
    dA_prev, dW, db = conv_backward(dZ, cache)
    e_dA, e_dW, e_db = naive_conv_backward(dZ, A_prev, W, hparameters)
    assert dA_prev.shape == A_prev.shape and dW.shape == W.shape and db.shape == b.shape
    assert np.max(np.abs(dA_prev - e_dA)) < 1e-10
    assert np.max(np.abs(dW - e_dW)) < 1e-10
    assert np.max(np.abs(db - e_db)) < 1e-10


@pytest.mark.parametrize("shape, f, n_C, stride, pad", CONV_CASES[:5])
def test_conv_backward_matches_numerical_gradient(shape, f, n_C, stride, pad):
    A_prev, W, b = _conv_inputs(shape, f, n_C, 7)
    hparameters = {"stride": stride, "pad": pad}
    Z, cache = conv_forward(A_prev, W, b, hparameters)
    dZ = np.random.default_rng(8).standard_normal(Z.shape)
    dA_prev, dW, db = conv_backward(dZ, cache)

    dA_num = eval_numerical_gradient_array(
        lambda x: conv_forward(x, W, b, hparameters)[0], A_prev, dZ
    )
    dW_num = eval_numerical_gradient_array(
        lambda w: conv_forward(A_prev, w, b, hparameters)[0], W, dZ
    )
    db_num = eval_numerical_gradient_array(
        lambda v: conv_forward(A_prev, W, v, hparameters)[0], b, dZ
    )
    assert rel_error(dA_prev, dA_num) < 1e-7
    assert rel_error(dW, dW_num) < 1e-7
    assert rel_error(db, db_num) < 1e-7


# ---------------------------------------------------------------------------
# pooling against the loops


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("shape, f, stride", POOL_CASES)
def test_pool_forward_matches_loops(shape, f, stride, seed, mode):
    A_prev = np.random.default_rng(seed).standard_normal(shape)
    hparameters = {"stride": stride, "f": f}
    A, cache = pool_forward(A_prev, hparameters, mode=mode)
    expected = naive_pool_forward(A_prev, hparameters, mode)
    assert A.shape == expected.shape
    assert np.max(np.abs(A - expected)) < 1e-10
    assert cache[0] is A_prev and cache[1] is hparameters


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("shape, f, stride", POOL_CASES)
def test_pool_backward_matches_loops(shape, f, stride, seed, mode):
    A_prev = np.random.default_rng(seed).standard_normal(shape)
    hparameters = {"stride": stride, "f": f}
    A, cache = pool_forward(A_prev, hparameters, mode=mode)
    dA = np.random.default_rng(seed + 100).standard_normal(A.shape)
    dA_prev = pool_backward(dA, cache, mode=mode)
    expected = naive_pool_backward(dA, A_prev, hparameters, mode)
    assert dA_prev.shape == A_prev.shape
    assert np.max(np.abs(dA_prev - expected)) < 1e-10


def test_max_pool_backward_with_ties_follows_the_course_mask():
    # integers in 0..2 give many ties inside each window
    A_prev = np.random.default_rng(3).integers(0, 3, size=(2, 6, 6, 2)).astype(np.float64)
    for f, stride in [(2, 2), (3, 1), (3, 2)]:
        hparameters = {"stride": stride, "f": f}
        A, cache = pool_forward(A_prev, hparameters, mode="max")
        dA = np.random.default_rng(4).standard_normal(A.shape)
        dA_prev = pool_backward(dA, cache, mode="max")
        expected = naive_pool_backward(dA, A_prev, hparameters, "max")
        assert np.max(np.abs(dA_prev - expected)) < 1e-10


def test_max_pool_backward_on_a_small_example():
    A_prev = np.array([[1.0, 3.0], [3.0, 2.0]]).reshape(1, 2, 2, 1)
    A, cache = pool_forward(A_prev, {"stride": 1, "f": 2})
    dA_prev = pool_backward(np.full((1, 1, 1, 1), 5.0), cache)
    # both positions holding the maximum 3 receive the gradient
    np.testing.assert_array_equal(dA_prev.reshape(2, 2), [[0.0, 5.0], [5.0, 0.0]])
    dA_avg = pool_backward(np.full((1, 1, 1, 1), 4.0), cache, mode="average")
    np.testing.assert_array_equal(dA_avg.reshape(2, 2), np.ones((2, 2)))


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("shape, f, stride", POOL_CASES[:4])
def test_pool_backward_matches_numerical_gradient(shape, f, stride, mode):
    A_prev = _distinct_inputs(shape, 5)
    hparameters = {"stride": stride, "f": f}
    A, cache = pool_forward(A_prev, hparameters, mode=mode)
    dA = np.random.default_rng(6).standard_normal(A.shape)
    dA_prev = pool_backward(dA, cache, mode=mode)
    dA_num = eval_numerical_gradient_array(
        lambda x: pool_forward(x, hparameters, mode=mode)[0], A_prev, dA
    )
    assert rel_error(dA_prev, dA_num) < 1e-7


# ---------------------------------------------------------------------------
# TensorFlow as the oracle


@pytest.fixture(scope="module")
def tf():
    return pytest.importorskip("tensorflow")


@pytest.mark.parametrize("shape, f, n_C, stride, pad", CONV_CASES)
def test_conv_forward_matches_tensorflow(tf, shape, f, n_C, stride, pad):
    A_prev, W, b = _conv_inputs(shape, f, n_C, 11)
    Z, _ = conv_forward(A_prev, W, b, {"stride": stride, "pad": pad})
    A_pad = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    x, w = tf.constant(A_pad, dtype=tf.float64), tf.constant(W, dtype=tf.float64)
    expected = tf.nn.conv2d(x, w, strides=stride, padding="VALID").numpy() + b
    assert expected.dtype == np.float64
    assert Z.shape == expected.shape
    assert np.max(np.abs(Z - expected)) < 1e-10


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("shape, f, stride", POOL_CASES)
def test_pool_forward_matches_tensorflow(tf, shape, f, stride, mode):
    A_prev = np.random.default_rng(12).standard_normal(shape)
    A, _ = pool_forward(A_prev, {"stride": stride, "f": f}, mode=mode)
    op = tf.nn.max_pool2d if mode == "max" else tf.nn.avg_pool2d
    x = tf.constant(A_prev, dtype=tf.float64)
    expected = op(x, ksize=f, strides=stride, padding="VALID").numpy()
    assert expected.dtype == np.float64
    assert A.shape == expected.shape
    assert np.max(np.abs(A - expected)) < 1e-10


# ---------------------------------------------------------------------------
# inputs are left alone, outputs are new arrays


def test_functions_do_not_modify_their_inputs():
    A_prev, W, b = _conv_inputs((2, 6, 6, 3), 3, 4, 0)
    hparameters = {"stride": 2, "pad": 1}
    saved = [A_prev.copy(), W.copy(), b.copy(), dict(hparameters)]
    Z, cache = conv_forward(A_prev, W, b, hparameters)
    dZ = np.ones_like(Z)
    dA_prev, dW, db = conv_backward(dZ, cache)
    for x, y in zip(saved[:3], (A_prev, W, b), strict=True):
        np.testing.assert_array_equal(x, y)
    assert hparameters == saved[3]
    np.testing.assert_array_equal(dZ, np.ones_like(Z))
    assert not np.shares_memory(dA_prev, A_prev)

    pool_h = {"stride": 1, "f": 3}
    for mode in ("max", "average"):
        A, pcache = pool_forward(A_prev, pool_h, mode=mode)
        dA = np.ones_like(A)
        dA_prev = pool_backward(dA, pcache, mode=mode)
        np.testing.assert_array_equal(A_prev, saved[0])
        np.testing.assert_array_equal(dA, np.ones_like(A))
        assert pool_h == {"stride": 1, "f": 3}
        assert not np.shares_memory(A, A_prev) and not np.shares_memory(dA_prev, A_prev)


def test_float32_and_integer_inputs():
    A_prev, W, b = _conv_inputs((1, 5, 5, 2), 3, 2, 0)
    Z32, _ = conv_forward(
        A_prev.astype(np.float32),
        W.astype(np.float32),
        b.astype(np.float32),
        {"stride": 1, "pad": 1},
    )
    assert Z32.dtype == np.float32
    A_int = np.arange(2 * 4 * 4 * 1).reshape(2, 4, 4, 1)
    A, _ = pool_forward(A_int, {"stride": 2, "f": 2}, mode="average")
    assert A.dtype == np.float64
    np.testing.assert_allclose(A, naive_pool_forward(A_int, {"stride": 2, "f": 2}, "average"))


# ---------------------------------------------------------------------------
# argument validation


def test_conv_forward_rejects_bad_arguments():
    A_prev, W, b = _conv_inputs((2, 5, 5, 3), 3, 4, 0)
    h = {"stride": 1, "pad": 0}
    with pytest.raises(ValueError, match="4 dimensions"):
        conv_forward(A_prev[0], W, b, h)
    with pytest.raises(ValueError, match="input channels"):
        conv_forward(A_prev[..., :2], W, b, h)
    with pytest.raises(ValueError, match="b must have shape"):
        conv_forward(A_prev, W, b.reshape(1, 1, 4, 1), h)
    with pytest.raises(ValueError, match="b must have 4 dimensions"):
        conv_forward(A_prev, W, b.reshape(4), h)
    with pytest.raises(ValueError, match="square"):
        conv_forward(A_prev, W[:2], b, h)
    with pytest.raises(ValueError, match='"pad"'):
        conv_forward(A_prev, W, b, {"stride": 1})
    with pytest.raises(ValueError, match="stride"):
        conv_forward(A_prev, W, b, {"stride": 0, "pad": 0})
    with pytest.raises(ValueError, match="pad"):
        conv_forward(A_prev, W, b, {"stride": 1, "pad": -1})
    with pytest.raises(ValueError, match="does not fit"):
        conv_forward(A_prev[:, :2, :2], W, b, h)
    with pytest.raises(ValueError, match="numpy array"):
        conv_forward(A_prev.tolist(), W, b, h)


def test_backward_rejects_bad_arguments():
    A_prev, W, b = _conv_inputs((2, 5, 5, 3), 3, 4, 0)
    Z, cache = conv_forward(A_prev, W, b, {"stride": 1, "pad": 0})
    with pytest.raises(ValueError, match="dZ has shape"):
        conv_backward(Z[:, :2], cache)
    with pytest.raises(ValueError, match="cache"):
        conv_backward(Z, cache[:3])
    A, pcache = pool_forward(A_prev, {"stride": 1, "f": 2})
    with pytest.raises(ValueError, match="dA has shape"):
        pool_backward(A[:1], pcache)
    with pytest.raises(ValueError, match="cache"):
        pool_backward(A, (A_prev,))


def test_pool_rejects_unknown_mode_and_bad_hparameters():
    A_prev = np.zeros((1, 4, 4, 1))
    with pytest.raises(ValueError, match='"max" or "average"'):
        pool_forward(A_prev, {"stride": 1, "f": 2}, mode="min")
    A, cache = pool_forward(A_prev, {"stride": 1, "f": 2})
    with pytest.raises(ValueError, match='"max" or "average"'):
        pool_backward(A, cache, mode="mean")
    with pytest.raises(ValueError, match='"f"'):
        pool_forward(A_prev, {"stride": 1})
    with pytest.raises(ValueError, match="does not fit"):
        pool_forward(A_prev, {"stride": 1, "f": 5})
    with pytest.raises(ValueError, match="integer"):
        pool_forward(A_prev, {"stride": 1.5, "f": 2})


@pytest.mark.parametrize("block_bytes", [1, 900, 5000])
def test_conv_matches_loops_with_small_blocks(monkeypatch, block_bytes):
    # small blocks force the splits into row blocks of one image and into groups of images
    import cnn_course.utils.fast_layers as fast_layers

    monkeypatch.setattr(fast_layers, "_BLOCK_BYTES", block_bytes)
    A_prev, W, b = _conv_inputs((3, 7, 6, 2), 3, 4, 9)
    hparameters = {"stride": 2, "pad": 1}
    Z, cache = conv_forward(A_prev, W, b, hparameters)
    assert np.max(np.abs(Z - naive_conv_forward(A_prev, W, b, hparameters))) < 1e-10
    dZ = np.random.default_rng(10).standard_normal(Z.shape)
    for got, expected in zip(
        conv_backward(dZ, cache), naive_conv_backward(dZ, A_prev, W, hparameters), strict=True
    ):
        assert np.max(np.abs(got - expected)) < 1e-10
