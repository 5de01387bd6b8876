"""Hidden checks of W1A1, convolution and pooling step by step in numpy (instructor-only).

Each graded function ``f`` of the notebook has ``check_f(fn, hidden=False)``:

- ``hidden=False`` runs the visible check, ``cnn_course.checks.w1a1_conv_step_by_step.check_f``
  (fixed seeds, printed values, the solution's stored outputs on those inputs);
- ``hidden=True`` runs the hidden cases: other shapes, pads, strides and seeds,
  compared with independent oracles (numpy windows from ``sliding_window_view``,
  TensorFlow ops and autodiff) and with the reference outputs in ``graders/reference/``.

Every check raises :class:`CheckFailure` with a sentence on the first problem
and returns None when the function is right.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnn_course.checks import w1a1_conv_step_by_step as visible
from cnn_course.checks._checking import expect_close, rng_for
from cnn_course.checks.w1a1_conv_step_by_step import (
    conv_case,
    pool_case,
    verify_conv_backward,
    verify_conv_forward,
    verify_conv_output_shape,
    verify_conv_single_step,
    verify_create_mask_from_window,
    verify_distribute_value,
    verify_mode_refused,
    verify_pool_backward,
    verify_pool_forward,
    verify_zero_pad,
)
from cnn_course.graders import reference
from cnn_course.graders.authoring.mutants import Mutant, mutant
from cnn_course.utils._tf import tensorflow

ASSIGNMENT_ID = visible.ASSIGNMENT_ID
GRADED_FUNCTIONS = (
    "zero_pad",
    "conv_output_shape",
    "conv_single_step",
    "conv_forward",
    "pool_forward",
    "conv_backward",
    "create_mask_from_window",
    "distribute_value",
    "pool_backward",
)
# A W1A1 submission takes about 10 s under nbgrader, so the sample cohort sends these
# mutants through it (every test cell loses points on at least one, and the last fails a
# hidden check only); all of them are graded at function level and by the fast grader.
NBGRADER_MUTANTS = (
    "output_shape_ceil",
    "zero_pad_one_side",
    "single_step_array",
    "conv_forward_stride_ignored",
    "pool_forward_any_mode",
    "pool_average_uses_max",
    "conv_backward_dW_uses_W",
    "mask_first_max_only",
    "distribute_by_height",
    "pool_backward_stride_ignored",
)

# ----------------------------------------------------------------------------- oracles
# Small, obviously-correct numpy versions, and TensorFlow. They share no code with
# the notebook's solution (windows come from sliding_window_view).


def _pad(X: np.ndarray, pad: int) -> np.ndarray:
    m, n_H, n_W, n_C = X.shape
    out = np.zeros((m, n_H + 2 * pad, n_W + 2 * pad, n_C), dtype=X.dtype)
    out[:, pad:pad + n_H, pad:pad + n_W, :] = X
    return out


def _windows(X: np.ndarray, f: int, stride: int) -> np.ndarray:
    """(m, n_H, n_W, n_C, f, f) view of every f x f window taken every `stride` pixels."""
    return sliding_window_view(X, (f, f), axis=(1, 2))[:, ::stride, ::stride]


def oracle_conv_forward(A_prev, W, b, stride, pad):
    windows = _windows(_pad(A_prev, pad), W.shape[0], stride)  # (m, n_H, n_W, n_C_prev, f, f)
    return np.einsum("mhwcij,ijcn->mhwn", windows, W) + b.reshape(1, 1, 1, -1)


def oracle_pool_forward(A_prev, f, stride, mode):
    windows = _windows(A_prev, f, stride)
    return windows.max(axis=(4, 5)) if mode == "max" else windows.mean(axis=(4, 5))


def oracle_single_step(a, W, b):
    return float(np.sum(a * W) + b.reshape(()))


def oracle_mask(x):
    return x == x.max()


def oracle_distribute(dz, shape):
    return np.full(shape, dz / (shape[0] * shape[1]))


def tf_conv(A_prev, W, b, stride, pad, dZ=None):
    """Z from tf.nn.conv2d and, given dZ, the gradients (dA_prev, dW, db) from autodiff."""
    tf = tensorflow()
    A = tf.constant(A_prev, dtype=tf.float64)
    Wt = tf.constant(W, dtype=tf.float64)
    bt = tf.constant(b.reshape(-1), dtype=tf.float64)
    with tf.GradientTape() as tape:
        tape.watch([A, Wt, bt])
        padded = tf.pad(A, [[0, 0], [pad, pad], [pad, pad], [0, 0]])
        Z = tf.nn.conv2d(padded, Wt, strides=stride, padding="VALID") + bt
        loss = tf.reduce_sum(Z * (dZ if dZ is not None else 0.0))
    if dZ is None:
        return Z.numpy()
    dA, dW, db = tape.gradient(loss, [A, Wt, bt])
    return Z.numpy(), (dA.numpy(), dW.numpy(), db.numpy().reshape(b.shape))


def tf_output_shape(input_shape, n_filters, f, pad, stride) -> tuple[int, int, int]:
    """The shape of tf.nn.conv2d's output for one zero-padded input of ``input_shape``.

    The batch axis is dropped.
    """
    tf = tensorflow()
    n_H_prev, n_W_prev, n_C_prev = input_shape
    x = tf.zeros((1, n_H_prev + 2 * pad, n_W_prev + 2 * pad, n_C_prev))
    out = tf.nn.conv2d(x, tf.zeros((f, f, n_C_prev, n_filters)), strides=stride, padding="VALID")
    return tuple(int(n) for n in out.shape[1:])


def tf_pool(A_prev, f, stride, mode, dA=None):
    """Pooling output from tf.nn and, given dA, the gradient with respect to A_prev."""
    tf = tensorflow()
    A = tf.constant(A_prev, dtype=tf.float64)
    op = tf.nn.max_pool2d if mode == "max" else tf.nn.avg_pool2d
    with tf.GradientTape() as tape:
        tape.watch(A)
        out = op(A, ksize=f, strides=stride, padding="VALID")
        loss = tf.reduce_sum(out * (dA if dA is not None else 0.0))
    if dA is None:
        return out.numpy()
    return out.numpy(), tape.gradient(loss, A).numpy()


# ------------------------------------------------------------------------ hidden cases
# `make references` stores the solution's outputs on them.
HIDDEN_CONV = {
    "stride2_pad0": (2, 7, 9, 3, 3, 4, 2, 0),
    "stride1_pad2": (3, 5, 5, 2, 2, 3, 1, 2),
    "stride3_pad1_uneven": (1, 8, 6, 1, 4, 2, 3, 1),
    "one_by_one": (2, 4, 4, 5, 1, 3, 1, 0),
}
# conv_output_shape: (input_shape, n_filters, f, pad, stride)
HIDDEN_OUTPUT_SHAPE = {
    "s3_p2_uneven": ((11, 9, 5), 4, 3, 2, 3),
    "f5_s2_p0": ((10, 13, 1), 6, 5, 0, 2),
    "one_by_one": ((7, 7, 16), 2, 1, 0, 1),
    "f4_s4_p1": ((15, 20, 2), 3, 4, 1, 4),
}
# a plausible typo of "average", which pool_forward and pool_backward must refuse
HIDDEN_MODE = "avg"
HIDDEN_POOL = {
    "f2_s2": (2, 6, 6, 3, 2, 2),
    "f3_s1": (1, 5, 7, 2, 3, 1),
    "f3_s2_uneven": (2, 8, 7, 1, 3, 2),
}


def reference_cases():
    """{function: {case: (args, kwargs)}} for the hidden reference comparisons."""
    cases: dict[str, dict[str, tuple]] = {name: {} for name in GRADED_FUNCTIONS}
    for name, pad in (("pad1", 1), ("pad3", 3), ("pad0", 0)):
        X = rng_for(ASSIGNMENT_ID, "pad", name).standard_normal((2, 3, 4, 2))
        cases["zero_pad"][name] = ((X, pad), {})
    for name, shape in (("f3_c4", (3, 3, 4)), ("f5_c1", (5, 5, 1))):
        rng = rng_for(ASSIGNMENT_ID, "single", name)
        cases["conv_single_step"][name] = ((rng.standard_normal(shape), rng.standard_normal(shape),
                                            rng.standard_normal((1, 1, 1))), {})
    for name, dims in HIDDEN_CONV.items():
        A_prev, W, b, hp = conv_case(name, *dims)
        cases["conv_forward"][name] = ((A_prev, W, b, hp), {})
        dZ = rng_for(ASSIGNMENT_ID, "dZ", name).standard_normal(
            oracle_conv_forward(A_prev, W, b, hp["stride"], hp["pad"]).shape)
        cases["conv_backward"][name] = ((dZ, (A_prev, W, b, hp)), {})
    for name, dims in HIDDEN_POOL.items():
        A_prev, hp = pool_case(name, *dims)
        for mode in ("max", "average"):
            cases["pool_forward"][f"{name}_{mode}"] = ((A_prev, hp), {"mode": mode})
            dA = rng_for(ASSIGNMENT_ID, "dA", name).standard_normal(
                oracle_pool_forward(A_prev, hp["f"], hp["stride"], mode).shape)
            cases["pool_backward"][f"{name}_{mode}"] = ((dA, (A_prev, hp)), {"mode": mode})
    for name, shape in (("3x3", (3, 3)), ("2x4", (2, 4))):
        x = (rng_for(ASSIGNMENT_ID, "mask", name).permutation(int(np.prod(shape))).reshape(shape)
             * 0.5)
        cases["create_mask_from_window"][name] = ((x,), {})
    for name, (dz, shape) in (("3x3", (2.0, (3, 3))), ("2x5", (-1.5, (2, 5)))):
        cases["distribute_value"][name] = ((dz, shape), {})
    for name, args in HIDDEN_OUTPUT_SHAPE.items():
        cases["conv_output_shape"][name] = (args, {})
    return cases


reference_outputs = visible.visible_outputs  # the same arrays of each result are stored


def _against_reference(function: str, case: str, actual: list[np.ndarray], what: list[str]) -> None:
    expected = reference.load(ASSIGNMENT_ID)
    for k, (value, label) in enumerate(zip(actual, what, strict=True)):
        key = f"{function}/{case}/{k}"
        if key not in expected:
            raise RuntimeError(f"reference output {key} is missing: run `make references`.")
        expect_close(value, expected[key], f"{label} (hidden case {case})",
                     "It differs from the reference solution's output")


# ----------------------------------------------------------------------- checks
def check_zero_pad(zero_pad: Callable, hidden: bool = False) -> None:
    """zero_pad pads height and width with `pad` zeros on each side, nothing else."""
    if not hidden:
        return visible.check_zero_pad(zero_pad)
    for case, ((X, pad), _) in reference_cases()["zero_pad"].items():
        out = verify_zero_pad(zero_pad, X, pad, _pad(X, pad))
        _against_reference("zero_pad", case, [out], ["zero_pad(X, pad)"])
    print("Hidden tests passed.")


def check_conv_output_shape(conv_output_shape: Callable, hidden: bool = False) -> None:
    """conv_output_shape returns (n_H, n_W, n_C) of a convolution layer's output, as integers."""
    if not hidden:
        return visible.check_conv_output_shape(conv_output_shape)
    for case, (args, _) in reference_cases()["conv_output_shape"].items():
        shape = verify_conv_output_shape(conv_output_shape, *args, tf_output_shape(*args))
        _against_reference("conv_output_shape", case, [np.asarray(shape, dtype=float)],
                           ["the output shape"])
    print("Hidden tests passed.")


def check_conv_single_step(conv_single_step: Callable, hidden: bool = False) -> None:
    """conv_single_step returns the scalar sum(a_slice_prev * W) + b."""
    if not hidden:
        return visible.check_conv_single_step(conv_single_step)
    for case, ((a, W, b), _) in reference_cases()["conv_single_step"].items():
        Z = verify_conv_single_step(conv_single_step, a, W, b, oracle_single_step(a, W, b))
        _against_reference("conv_single_step", case, [np.asarray(Z)], ["Z"])
    print("Hidden tests passed.")


def check_conv_forward(conv_forward: Callable, hidden: bool = False) -> None:
    """conv_forward: output size formula, values, and the cache, for several pads and strides."""
    if not hidden:
        return visible.check_conv_forward(conv_forward)
    for case, ((A_prev, W, b, hp), _) in reference_cases()["conv_forward"].items():
        expected = tf_conv(A_prev, W, b, hp["stride"], hp["pad"])
        label = f"stride {hp['stride']}, pad {hp['pad']}, f {W.shape[0]}"
        Z = verify_conv_forward(conv_forward, A_prev, W, b, hp, label, expected)
        _against_reference("conv_forward", case, [Z], [f"Z ({label})"])
    print("Hidden tests passed.")


def check_pool_forward(pool_forward: Callable, hidden: bool = False) -> None:
    """pool_forward: max and average pooling with the right window, stride and size."""
    if not hidden:
        return visible.check_pool_forward(pool_forward)
    for case, ((A_prev, hp), kwargs) in reference_cases()["pool_forward"].items():
        mode = kwargs["mode"]
        A = verify_pool_forward(pool_forward, A_prev, hp, mode,
                                tf_pool(A_prev, hp["f"], hp["stride"], mode))
        _against_reference("pool_forward", case, [A], [f"A (mode={mode!r})"])
    (A_prev, hp), _ = next(iter(reference_cases()["pool_forward"].values()))
    verify_mode_refused(pool_forward, (A_prev, hp), HIDDEN_MODE)
    print("Hidden tests passed.")


def check_conv_backward(conv_backward: Callable, hidden: bool = False) -> None:
    """conv_backward: dA_prev, dW and db match the expected gradients (visible) or TensorFlow's."""
    if not hidden:
        return visible.check_conv_backward(conv_backward)
    for case, ((dZ, cache), _) in reference_cases()["conv_backward"].items():
        A_prev, W, b, hp = cache
        _, expected = tf_conv(A_prev, W, b, hp["stride"], hp["pad"], dZ)
        label = f"stride {hp['stride']}, pad {hp['pad']}, f {W.shape[0]}"
        grads = verify_conv_backward(conv_backward, dZ, cache, expected, label)
        _against_reference("conv_backward", case, grads,
                           [f"{n} ({label})" for n in ("dA_prev", "dW", "db")])
    print("Hidden tests passed.")


def check_create_mask_from_window(create_mask_from_window: Callable, hidden: bool = False) -> None:
    """create_mask_from_window is True exactly where the window holds its maximum."""
    if not hidden:
        return visible.check_create_mask_from_window(create_mask_from_window)
    for case, ((x,), _) in reference_cases()["create_mask_from_window"].items():
        mask = verify_create_mask_from_window(create_mask_from_window, x, oracle_mask(x))
        _against_reference("create_mask_from_window", case, [mask.astype(float)], ["mask"])
    print("Hidden tests passed.")


def check_distribute_value(distribute_value: Callable, hidden: bool = False) -> None:
    """distribute_value returns an array of `shape` filled with dz / (n_H * n_W)."""
    if not hidden:
        return visible.check_distribute_value(distribute_value)
    for case, ((dz, shape), _) in reference_cases()["distribute_value"].items():
        a = verify_distribute_value(distribute_value, dz, shape, oracle_distribute(dz, shape))
        _against_reference("distribute_value", case, [a], ["a"])
    print("Hidden tests passed.")


def check_pool_backward(pool_backward: Callable, hidden: bool = False) -> None:
    """pool_backward routes gradients to the max (max mode) or spreads them (average mode)."""
    if not hidden:
        return visible.check_pool_backward(pool_backward)
    for case, ((dA, cache), kwargs) in reference_cases()["pool_backward"].items():
        A_prev, hp = cache
        mode = kwargs["mode"]
        _, expected = tf_pool(A_prev, hp["f"], hp["stride"], mode, dA)
        dA_prev = verify_pool_backward(pool_backward, dA, cache, mode, expected)
        _against_reference("pool_backward", case, [dA_prev], [f"dA_prev (mode={mode!r})"])
    (dA, cache), _ = next(iter(reference_cases()["pool_backward"].values()))
    verify_mode_refused(pool_backward, (dA, cache), HIDDEN_MODE)
    print("Hidden tests passed.")


CHECKS = {name: globals()[f"check_{name}"] for name in GRADED_FUNCTIONS}


# Mutants: wrong variants of the solution that the checks above must catch
# (see cnn_course.graders.authoring.mutants).

def _m(name, grade_id, description, edits, fails):
    return mutant(name, grade_id, description, edits, fails, "w1a1_conv_step_by_step")


_PAD = "((0, 0), (pad, pad), (pad, pad), (0, 0))"
_STRIDE = (("vert_start = h * stride", "vert_start = h"),
           ("horiz_start = w * stride", "horiz_start = w"))

_N_H = "n_H = int(np.floor((n_H_prev + 2 * pad - f) / stride)) + 1"
_N_W = "n_W = int(np.floor((n_W_prev + 2 * pad - f) / stride)) + 1"
_REFUSE = """    if mode not in ("max", "average"):
        raise ValueError(f'mode must be "max" or "average", got {mode!r}')
"""

MUTANTS: tuple[Mutant, ...] = (
    _m("output_shape_ceil", "conv_output_shape", "rounds the division up instead of down",
       [(_N_H, _N_H.replace("np.floor", "np.ceil")), (_N_W, _N_W.replace("np.floor", "np.ceil"))],
       ["conv_output_shape"]),
    _m("output_shape_pad_once", "conv_output_shape", "counts the padding on one side only",
       [(_N_H, _N_H.replace("2 * pad", "pad")), (_N_W, _N_W.replace("2 * pad", "pad"))],
       ["conv_output_shape"]),
    _m("output_shape_stride_ignored", "conv_output_shape", "ignores the stride",
       [(_N_H, _N_H.replace(" / stride", "")), (_N_W, _N_W.replace(" / stride", ""))],
       ["conv_output_shape"]),
    _m("output_shape_input_channels", "conv_output_shape",
       "keeps the input's channels instead of n_filters",
       [("n_C = n_filters", "n_C = n_C_prev")], ["conv_output_shape"]),
    _m("pool_forward_any_mode", "pool_forward",
       "averages for any mode other than \"max\" instead of refusing it",
       [(_REFUSE, "")], ["pool_forward"]),
    _m("pool_backward_any_mode", "pool_backward",
       "spreads the gradient for any mode other than \"max\"",
       [(_REFUSE, "")], ["pool_backward"]),
    # zero_pad is used by conv_forward and conv_backward, so their tests fail too.
    _m("zero_pad_pads_channels", "zero_pad", "pads the channel axis as well",
       [(_PAD, "((0, 0), (pad, pad), (pad, pad), (pad, pad))")],
       ["zero_pad", "conv_forward", "conv_backward"]),
    _m("zero_pad_one_side", "zero_pad", "puts all 2 * pad zeros before the image",
       [(_PAD, "((0, 0), (2 * pad, 0), (2 * pad, 0), (0, 0))")],
       ["zero_pad", "conv_forward", "conv_backward"]),
    # conv_single_step is used by conv_forward only.
    _m("single_step_no_bias", "conv_single_step", "forgets the bias",
       [("Z = Z + b.item()", "Z = Z")], ["conv_single_step", "conv_forward"]),
    _m("single_step_mean", "conv_single_step", "averages instead of summing",
       [("Z = np.sum(s)", "Z = np.mean(s)")], ["conv_single_step", "conv_forward"]),
    # numpy refuses to store a (1, 1, 1) array in one element of conv_forward's Z.
    _m("single_step_array", "conv_single_step", "returns a (1, 1, 1) array instead of a scalar",
       [("Z = Z + b.item()", "Z = Z + b")], ["conv_single_step", "conv_forward"]),
    # float16 rounds X far beyond the convolutions' tolerances, so their tests fail for sure.
    _m("zero_pad_float16", "zero_pad", "returns float16 whatever the dtype of X",
       [(f"X_pad = np.pad(X, {_PAD}, mode=\"constant\", constant_values=0)",
         f"X_pad = np.pad(X, {_PAD}, mode=\"constant\", constant_values=0).astype(np.float16)")],
       ["zero_pad", "conv_forward", "conv_backward"]),
    _m("conv_forward_cache_order", "conv_forward", "caches b and hparameters in the wrong order",
       [("cache = (A_prev, W, b, hparameters)", "cache = (A_prev, W, hparameters, b)")],
       ["conv_forward"]),
    _m("pool_forward_cache_order", "pool_forward", "caches (hparameters, A_prev)",
       [("cache = (A_prev, hparameters)", "cache = (hparameters, A_prev)")], ["pool_forward"]),
    _m("conv_forward_stride_ignored", "conv_forward",
       "moves the window one pixel at a time whatever the stride",
       _STRIDE, ["conv_forward"]),
    _m("conv_forward_bias_once", "conv_forward",
       "adds the bias once per image instead of at every position",
       [("Z[i, h, w, c] = conv_single_step(a_slice_prev, W[:, :, :, c], b[:, :, :, c])",
         "Z[i, h, w, c] = np.sum(a_slice_prev * W[:, :, :, c]) "
         "+ (b[0, 0, 0, c] if h == w == 0 else 0)")],
       ["conv_forward"]),
    _m("conv_forward_no_plus_one", "conv_forward", "drops the +1 of the output-size formula",
       [("n_H = (n_H_prev - f + 2 * pad) // stride + 1",
         "n_H = (n_H_prev - f + 2 * pad) // stride"),
        ("n_W = (n_W_prev - f + 2 * pad) // stride + 1",
         "n_W = (n_W_prev - f + 2 * pad) // stride")],
       ["conv_forward"]),
    _m("conv_forward_pad_once", "conv_forward", "counts the padding on one side only",
       [("n_H = (n_H_prev - f + 2 * pad)", "n_H = (n_H_prev - f + pad)"),
        ("n_W = (n_W_prev - f + 2 * pad)", "n_W = (n_W_prev - f + pad)")], ["conv_forward"]),
    _m("pool_average_uses_max", "pool_forward", "average pooling takes the max",
       [("A[i, h, w, c] = np.mean(a_prev_slice)", "A[i, h, w, c] = np.max(a_prev_slice)")],
       ["pool_forward"]),
    _m("pool_forward_stride_ignored", "pool_forward", "ignores the stride", _STRIDE,
       ["pool_forward"]),
    _m("conv_backward_padding_not_stripped", "conv_backward",
       "strips the padding from the wrong side of dA_prev",
       [("da_prev_pad[pad:pad + n_H_prev, pad:pad + n_W_prev, :]",
         "da_prev_pad[:n_H_prev, :n_W_prev, :]")],
       ["conv_backward"]),
    _m("conv_backward_dW_uses_W", "conv_backward",
       "multiplies dZ by W instead of the input slice for dW",
       [("dW[:, :, :, c] += a_slice * dZ[i, h, w, c]",
         "dW[:, :, :, c] += W[:, :, :, c] * dZ[i, h, w, c]")],
       ["conv_backward"]),
    _m("conv_backward_db_overwritten", "conv_backward", "overwrites db instead of accumulating it",
       [("db[:, :, :, c] += dZ[i, h, w, c]", "db[:, :, :, c] = dZ[i, h, w, c]")],
       ["conv_backward"]),
    _m("conv_backward_stride_ignored", "conv_backward", "ignores the stride", _STRIDE,
       ["conv_backward"]),
    # create_mask_from_window is used by pool_backward's max mode.
    _m("mask_of_min", "create_mask_from_window", "marks the minimum",
       [("mask = x == np.max(x)", "mask = x == np.min(x)")],
       ["create_mask_from_window", "pool_backward"]),
    # Differs only on ties; pool_backward's checks use tie-free inputs, so only its own test fails.
    _m("mask_first_max_only", "create_mask_from_window",
       "marks only the first maximum when there are ties",
       [("mask = x == np.max(x)", "mask = np.arange(x.size).reshape(x.shape) == np.argmax(x)")],
       ["create_mask_from_window"]),
    # A float mask gives pool_backward the same values: only its own test fails.
    _m("mask_as_floats", "create_mask_from_window", "returns 0.0/1.0 floats instead of booleans",
       [("mask = x == np.max(x)", "mask = (x == np.max(x)).astype(float)")],
       ["create_mask_from_window"]),
    # distribute_value is used by pool_backward's average mode.
    _m("distribute_not_averaged", "distribute_value",
       "copies dz to every position instead of dz / (n_H * n_W)",
       [("average = dz / (n_H * n_W)", "average = dz")], ["distribute_value", "pool_backward"]),
    _m("distribute_by_height", "distribute_value", "divides by n_H only",
       [("average = dz / (n_H * n_W)", "average = dz / n_H")],
       ["distribute_value", "pool_backward"]),
    _m("pool_backward_mask_unscaled", "pool_backward", "adds the mask without multiplying by dA",
       [("+= mask * dA[i, h, w, c]", "+= mask")], ["pool_backward"]),
    _m("pool_backward_overwrites", "pool_backward",
       "overwrites overlapping windows instead of adding",
       [("+= distribute_value(da, (f, f))", "= distribute_value(da, (f, f))")], ["pool_backward"]),
    _m("pool_backward_stride_ignored", "pool_backward", "ignores the stride", _STRIDE,
       ["pool_backward"]),
)
