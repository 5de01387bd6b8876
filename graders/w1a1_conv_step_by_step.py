"""Checks for W1A1, convolution and pooling step by step in numpy.

Each graded function ``f`` of the notebook has ``check_f(fn, hidden=False)``:

- ``hidden=False`` (the visible test): fixed seeds, prints what it compares,
  and compares with small numpy oracles written here;
- ``hidden=True`` (the hidden test): other shapes, pads, strides and seeds,
  compared with independent oracles (TensorFlow ops and autodiff, numerical
  gradients) and with the reference outputs in ``graders/reference/``.

Every check raises :class:`CheckFailure` with a sentence on the first problem
and returns None when the function is right.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnn_course.graders import reference
from cnn_course.graders._checking import (
    CheckFailure,
    call_student,
    expect_array,
    expect_close,
    expect_scalar,
    expect_tuple,
    rng_for,
)
from cnn_course.graders.mutants import Mutant, mutant
from cnn_course.utils.gradcheck import eval_numerical_gradient_array, rel_error

ASSIGNMENT_ID = "w1a1_conv_step_by_step"
GRADED_FUNCTIONS = (
    "zero_pad",
    "conv_single_step",
    "conv_forward",
    "pool_forward",
    "conv_backward",
    "create_mask_from_window",
    "distribute_value",
    "pool_backward",
)
# A W1A1 submission takes ~15 s under nbgrader: the sample cohort grades every mutant there too.
NBGRADER_MUTANTS = True

# ----------------------------------------------------------------------------- oracles
# Small, obviously-correct numpy versions used by the visible checks. They share
# no code with the notebook's solution (windows come from sliding_window_view).


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


def _tf():
    from cnn_course.utils import quiet_tensorflow

    quiet_tensorflow()
    import tensorflow as tf

    return tf


def tf_conv(A_prev, W, b, stride, pad, dZ=None):
    """Z from tf.nn.conv2d and, given dZ, the gradients (dA_prev, dW, db) from autodiff."""
    tf = _tf()
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


def tf_pool(A_prev, f, stride, mode, dA=None):
    """Pooling output from tf.nn and, given dA, the gradient with respect to A_prev."""
    tf = _tf()
    A = tf.constant(A_prev, dtype=tf.float64)
    op = tf.nn.max_pool2d if mode == "max" else tf.nn.avg_pool2d
    with tf.GradientTape() as tape:
        tape.watch(A)
        out = op(A, ksize=f, strides=stride, padding="VALID")
        loss = tf.reduce_sum(out * (dA if dA is not None else 0.0))
    if dA is None:
        return out.numpy()
    return out.numpy(), tape.gradient(loss, A).numpy()


# ------------------------------------------------------------------------ inputs
def conv_case(name, m, n_H, n_W, n_C_prev, f, n_C, stride, pad):
    rng = rng_for(ASSIGNMENT_ID, "conv", name)
    A_prev = rng.standard_normal((m, n_H, n_W, n_C_prev))
    W = rng.standard_normal((f, f, n_C_prev, n_C))
    b = rng.standard_normal((1, 1, 1, n_C))
    return A_prev, W, b, {"stride": stride, "pad": pad}


def pool_case(name, m, n_H, n_W, n_C, f, stride, distinct=True):
    """Inputs for pooling; `distinct` makes every value different (no ties in a window)."""
    rng = rng_for(ASSIGNMENT_ID, "pool", name)
    size = m * n_H * n_W * n_C
    values = rng.permutation(size) / size - 0.5 if distinct else rng.standard_normal(size)
    return values.reshape(m, n_H, n_W, n_C), {"stride": stride, "f": f}


# The hidden cases; `make references` stores the solution's outputs on them.
HIDDEN_CONV = {
    "stride2_pad0": (2, 7, 9, 3, 3, 4, 2, 0),
    "stride1_pad2": (3, 5, 5, 2, 2, 3, 1, 2),
    "stride3_pad1_uneven": (1, 8, 6, 1, 4, 2, 3, 1),
    "one_by_one": (2, 4, 4, 5, 1, 3, 1, 0),
}
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
        dZ = rng_for(ASSIGNMENT_ID, "dZ", name).standard_normal(oracle_conv_forward(A_prev, W, b, hp["stride"], hp["pad"]).shape)
        cases["conv_backward"][name] = ((dZ, (A_prev, W, b, hp)), {})
    for name, dims in HIDDEN_POOL.items():
        A_prev, hp = pool_case(name, *dims)
        for mode in ("max", "average"):
            cases["pool_forward"][f"{name}_{mode}"] = ((A_prev, hp), {"mode": mode})
            dA = rng_for(ASSIGNMENT_ID, "dA", name).standard_normal(oracle_pool_forward(A_prev, hp["f"], hp["stride"], mode).shape)
            cases["pool_backward"][f"{name}_{mode}"] = ((dA, (A_prev, hp)), {"mode": mode})
    for name, shape in (("3x3", (3, 3)), ("2x4", (2, 4))):
        x = rng_for(ASSIGNMENT_ID, "mask", name).permutation(int(np.prod(shape))).reshape(shape) * 0.5
        cases["create_mask_from_window"][name] = ((x,), {})
    for name, (dz, shape) in (("3x3", (2.0, (3, 3))), ("2x5", (-1.5, (2, 5)))):
        cases["distribute_value"][name] = ((dz, shape), {})
    return cases


def reference_outputs(function: str, result) -> list[np.ndarray]:
    """The arrays of a function's result that the reference file stores."""
    if function in ("conv_forward", "pool_forward"):
        return [np.asarray(result[0])]
    if function == "conv_backward":
        return [np.asarray(r) for r in result]
    return [np.asarray(result)]


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
        x = rng_for("visible", "zero_pad").standard_normal((4, 3, 3, 2))
        x_pad = expect_array(call_student(zero_pad, x, 3), "x_pad", (4, 9, 9, 2),
                             hint="pad only axes 1 and 2 (height, width), `pad` zeros on each side")
        print("x.shape =", x.shape, "  x_pad.shape =", x_pad.shape)
        print("x[1, 1] =\n", x[1, 1], "\nx_pad[1, 1] =\n", x_pad[1, 1])
        cases = {"visible": ((x, 3), {})}
    else:
        cases = reference_cases()["zero_pad"]
    for case, ((X, pad), _) in cases.items():
        m, n_H, n_W, n_C = X.shape
        out = expect_array(call_student(zero_pad, X, pad), f"zero_pad(X, {pad})",
                           (m, n_H + 2 * pad, n_W + 2 * pad, n_C),
                           hint="pad only axes 1 and 2 (height, width), `pad` zeros on each side")
        expect_close(out, _pad(X, pad), f"zero_pad(X, {pad})",
                     "The inside must equal X and the border must be zeros")
        if hidden:
            _against_reference("zero_pad", case, [out], ["zero_pad(X, pad)"])
    print("All tests passed." if not hidden else "Hidden tests passed.")


def check_conv_single_step(conv_single_step: Callable, hidden: bool = False) -> None:
    """conv_single_step returns the scalar sum(a_slice_prev * W) + b."""
    if not hidden:
        rng = rng_for("visible", "conv_single_step")
        cases = {"visible": ((rng.standard_normal((4, 4, 3)), rng.standard_normal((4, 4, 3)),
                              rng.standard_normal((1, 1, 1))), {})}
    else:
        cases = reference_cases()["conv_single_step"]
    for case, ((a, W, b), _) in cases.items():
        Z = expect_scalar(call_student(conv_single_step, a, W, b), "Z")
        expected = float(np.sum(a * W) + b.reshape(()))
        if not hidden:
            print(f"Z = {Z:.6f}   (expected {expected:.6f})")
        if not np.isclose(Z, expected, atol=1e-9):
            hint = ""
            if np.isclose(Z, expected - b.item()):
                hint = " It looks like the bias b was not added."
            elif np.isclose(Z, b.item()):
                hint = " It looks like only the bias is returned: sum the product a_slice_prev * W."
            raise CheckFailure(f"Z = {Z:.6f}, expected {expected:.6f}.{hint}")
        if hidden:
            _against_reference("conv_single_step", case, [np.asarray(Z)], ["Z"])
    print("All tests passed." if not hidden else "Hidden tests passed.")


def _conv_shape_hint(A_prev, W, hp, got_shape) -> str:
    m, n_H_prev, n_W_prev, _ = A_prev.shape
    f, _, _, n_C = W.shape
    s, p = hp["stride"], hp["pad"]
    guesses = {
        "the stride is ignored": ((n_H_prev - f + 2 * p) + 1, (n_W_prev - f + 2 * p) + 1),
        "the padding is ignored": ((n_H_prev - f) // s + 1, (n_W_prev - f) // s + 1),
        "the +1 is missing": ((n_H_prev - f + 2 * p) // s, (n_W_prev - f + 2 * p) // s),
        "the padding is counted once, not on both sides": ((n_H_prev - f + p) // s + 1, (n_W_prev - f + p) // s + 1),
    }
    reasons = [reason for reason, (h, w) in guesses.items() if got_shape == (m, h, w, n_C)]
    if reasons:
        return (f"it looks like {' or '.join(reasons)} in the output-size formula "
                "n_H = (n_H_prev - f + 2 * pad) // stride + 1")
    return "use n_H = (n_H_prev - f + 2 * pad) // stride + 1, the same for n_W, and n_C = W.shape[3]"


def _check_conv_forward_case(conv_forward, A_prev, W, b, hp, label, expected):
    result = expect_tuple(call_student(conv_forward, A_prev, W, b, hp), "conv_forward", 2, "Z, cache")
    Z, cache = result
    if isinstance(Z, np.ndarray) and Z.shape != expected.shape:
        raise CheckFailure(f"Z has shape {Z.shape}, expected {expected.shape} ({label}): "
                           + _conv_shape_hint(A_prev, W, hp, Z.shape) + ".")
    Z = expect_array(Z, f"Z ({label})", expected.shape)
    cache = expect_tuple(cache, "conv_forward's cache", 4, "(A_prev, W, b, hparameters)")
    if not (cache[0] is A_prev or np.array_equal(cache[0], A_prev)) or not np.array_equal(cache[1], W):
        raise CheckFailure("conv_forward's cache must be (A_prev, W, b, hparameters), in that order.")
    expect_close(Z, expected, f"Z ({label})",
                 "Check the window bounds (vert_start = h * stride), the padding and the bias")
    return Z


def check_conv_forward(conv_forward: Callable, hidden: bool = False) -> None:
    """conv_forward: output size formula, values, and the cache, for several pads and strides."""
    if not hidden:
        A_prev, W, b, hp = conv_case("visible", 2, 5, 7, 4, 3, 8, 2, 1)
        expected = oracle_conv_forward(A_prev, W, b, 2, 1)
        Z = _check_conv_forward_case(conv_forward, A_prev, W, b, hp, "stride 2, pad 1", expected)
        print("Z.shape =", Z.shape, "  Z's mean =", round(float(Z.mean()), 6))
        print("Z[0, 2, 1] =", np.round(Z[0, 2, 1], 6))
        A_prev, W, b, hp = conv_case("visible_s1", 1, 4, 4, 2, 2, 3, 1, 0)
        _check_conv_forward_case(conv_forward, A_prev, W, b, hp, "stride 1, pad 0",
                                 oracle_conv_forward(A_prev, W, b, 1, 0))
        print("All tests passed.")
        return
    for case, ((A_prev, W, b, hp), _) in reference_cases()["conv_forward"].items():
        expected = tf_conv(A_prev, W, b, hp["stride"], hp["pad"])
        label = f"stride {hp['stride']}, pad {hp['pad']}, f {W.shape[0]}"
        Z = _check_conv_forward_case(conv_forward, A_prev, W, b, hp, label, expected)
        _against_reference("conv_forward", case, [Z], [f"Z ({label})"])
    print("Hidden tests passed.")


def _check_pool_forward_case(pool_forward, A_prev, hp, mode, expected):
    label = f"mode={mode!r}, f {hp['f']}, stride {hp['stride']}"
    A, cache = expect_tuple(call_student(pool_forward, A_prev, hp, mode=mode), "pool_forward", 2, "A, cache")
    A = expect_array(A, f"A ({label})", expected.shape,
                     hint="n_H = (n_H_prev - f) // stride + 1 (no padding in pooling), channels unchanged")
    cache = expect_tuple(cache, "pool_forward's cache", 2, "(A_prev, hparameters)")
    hint = ("Use np.max for mode 'max' and np.mean for mode 'average'; "
            "windows start at h * stride and are f wide")
    expect_close(A, expected, f"A ({label})", hint)
    return A


def check_pool_forward(pool_forward: Callable, hidden: bool = False) -> None:
    """pool_forward: max and average pooling with the right window, stride and size."""
    if not hidden:
        A_prev, hp = pool_case("visible", 2, 5, 5, 3, 3, 1, distinct=False)
        for mode in ("max", "average"):
            A = _check_pool_forward_case(pool_forward, A_prev, hp, mode,
                                         oracle_pool_forward(A_prev, 3, 1, mode))
            print(f"mode = {mode}: A.shape = {A.shape}, A[1, 1, 1] = {np.round(A[1, 1, 1], 6)}")
        A_prev, hp = pool_case("visible_s2", 1, 6, 5, 2, 2, 2, distinct=False)
        for mode in ("max", "average"):
            _check_pool_forward_case(pool_forward, A_prev, hp, mode, oracle_pool_forward(A_prev, 2, 2, mode))
        print("All tests passed.")
        return
    for case, ((A_prev, hp), kwargs) in reference_cases()["pool_forward"].items():
        mode = kwargs["mode"]
        A = _check_pool_forward_case(pool_forward, A_prev, hp, mode, tf_pool(A_prev, hp["f"], hp["stride"], mode))
        _against_reference("pool_forward", case, [A], [f"A (mode={mode!r})"])
    print("Hidden tests passed.")


def _check_conv_backward_case(conv_backward, dZ, cache, expected, label):
    A_prev, W, b, _ = cache
    grads = expect_tuple(call_student(conv_backward, dZ, cache), "conv_backward", 3, "dA_prev, dW, db")
    names = ("dA_prev", "dW", "db")
    hints = (
        "Each window of the padded dA_prev accumulates W[:, :, :, c] * dZ[i, h, w, c]; "
        "then strip the padding with [pad:pad + n_H_prev, pad:pad + n_W_prev]",
        "Each dW[:, :, :, c] accumulates a_slice * dZ[i, h, w, c], where a_slice is the window of the padded A_prev",
        "Each db[:, :, :, c] accumulates dZ[i, h, w, c] over every example and position",
    )
    shapes = (A_prev.shape, W.shape, b.shape)
    out = []
    for value, name, shape, want, hint in zip(grads, names, shapes, expected, hints, strict=True):
        value = expect_array(value, f"{name} ({label})", shape, hint=f"{name} has the shape of {name[1:]}")
        expect_close(value, want, f"{name} ({label})", hint, atol=1e-6, rtol=1e-5)
        out.append(value)
    return out


def check_conv_backward(conv_backward: Callable, hidden: bool = False) -> None:
    """conv_backward: dA_prev, dW and db match numerical gradients (visible) or TensorFlow's."""
    if not hidden:
        A_prev, W, b, hp = conv_case("visible_backward", 2, 5, 4, 3, 3, 2, 2, 1)
        dZ = rng_for("visible", "dZ").standard_normal(oracle_conv_forward(A_prev, W, b, 2, 1).shape)
        numeric = (
            eval_numerical_gradient_array(lambda x: oracle_conv_forward(x, W, b, 2, 1), A_prev.copy(), dZ),
            eval_numerical_gradient_array(lambda x: oracle_conv_forward(A_prev, x, b, 2, 1), W.copy(), dZ),
            eval_numerical_gradient_array(lambda x: oracle_conv_forward(A_prev, W, x, 2, 1), b.copy(), dZ),
        )
        grads = _check_conv_backward_case(conv_backward, dZ, (A_prev, W, b, hp), numeric, "stride 2, pad 1")
        for name, value, want in zip(("dA_prev", "dW", "db"), grads, numeric, strict=True):
            print(f"{name}: shape {value.shape}, mean {value.mean():.6f}, "
                  f"relative error vs numerical gradient {rel_error(value, want):.1e} (expect < 1e-7)")
        print("All tests passed.")
        return
    for case, ((dZ, cache), _) in reference_cases()["conv_backward"].items():
        A_prev, W, b, hp = cache
        _, expected = tf_conv(A_prev, W, b, hp["stride"], hp["pad"], dZ)
        label = f"stride {hp['stride']}, pad {hp['pad']}, f {W.shape[0]}"
        grads = _check_conv_backward_case(conv_backward, dZ, cache, expected, label)
        _against_reference("conv_backward", case, grads, [f"{n} ({label})" for n in ("dA_prev", "dW", "db")])
    print("Hidden tests passed.")


def check_create_mask_from_window(create_mask_from_window: Callable, hidden: bool = False) -> None:
    """create_mask_from_window is True exactly where the window holds its maximum."""
    if not hidden:
        x = np.array([[1.0, 3.0], [4.0, 2.0]])
        mask = expect_array(call_student(create_mask_from_window, x), "mask", x.shape, "bool")
        print("x =\n", x, "\nmask =\n", mask)
        cases = {"visible": ((x,), {}), "tie": ((np.array([[5.0, 1.0, 5.0]]),), {}),
                 "negative": ((-np.arange(1.0, 7.0).reshape(2, 3),), {})}
    else:
        cases = reference_cases()["create_mask_from_window"]
    for case, ((x,), _) in cases.items():
        mask = expect_array(call_student(create_mask_from_window, x), f"mask for x = {x.tolist()}", x.shape, "bool")
        expected = x == x.max()
        if not np.array_equal(mask.astype(bool), expected):
            raise CheckFailure(f"mask for x = {x.tolist()} is {mask.astype(bool).tolist()}, "
                               f"expected {expected.tolist()}: compare x with np.max(x).")
        if hidden:
            _against_reference("create_mask_from_window", case, [mask.astype(float)], ["mask"])
    print("All tests passed." if not hidden else "Hidden tests passed.")


def check_distribute_value(distribute_value: Callable, hidden: bool = False) -> None:
    """distribute_value returns an array of `shape` filled with dz / (n_H * n_W)."""
    cases = {"visible": ((2.0, (2, 2)), {}), "rect": ((3.0, (1, 3)), {})} if not hidden \
        else reference_cases()["distribute_value"]
    for case, ((dz, shape), _) in cases.items():
        a = expect_array(call_student(distribute_value, dz, shape), f"distribute_value({dz}, {shape})", shape)
        if case == "visible":
            print(f"distribute_value({dz}, {shape}) =\n", a)
        expect_close(a, np.full(shape, dz / (shape[0] * shape[1])), f"distribute_value({dz}, {shape})",
                     "Every entry is dz / (n_H * n_W), so that the entries sum to dz")
        if hidden:
            _against_reference("distribute_value", case, [a], ["a"])
    print("All tests passed." if not hidden else "Hidden tests passed.")


def _check_pool_backward_case(pool_backward, dA, cache, mode, expected):
    A_prev, hp = cache
    label = f"mode={mode!r}, f {hp['f']}, stride {hp['stride']}"
    dA_prev = expect_array(call_student(pool_backward, dA, cache, mode=mode), f"dA_prev ({label})",
                           A_prev.shape, hint="dA_prev has the shape of A_prev")
    hint = ("In max mode each output's gradient goes to the max of its window (mask * dA[i, h, w, c]); "
            "in average mode it is spread with distribute_value; overlapping windows add up (+=)")
    expect_close(dA_prev, expected, f"dA_prev ({label})", hint, atol=1e-6, rtol=1e-5)
    return dA_prev


def check_pool_backward(pool_backward: Callable, hidden: bool = False) -> None:
    """pool_backward routes gradients to the max (max mode) or spreads them (average mode)."""
    if not hidden:
        A_prev, hp = pool_case("visible_backward", 2, 5, 5, 2, 2, 1)
        for mode in ("max", "average"):
            dA = rng_for("visible", "dA", mode).standard_normal(oracle_pool_forward(A_prev, 2, 1, mode).shape)
            numeric = eval_numerical_gradient_array(
                lambda x, mode=mode: oracle_pool_forward(x, 2, 1, mode), A_prev.copy(), dA)
            dA_prev = _check_pool_backward_case(pool_backward, dA, (A_prev, hp), mode, numeric)
            print(f"mode = {mode}: dA_prev mean = {dA_prev.mean():.6f}, "
                  f"relative error vs numerical gradient {rel_error(dA_prev, numeric):.1e} (expect < 1e-7)")
        print("All tests passed.")
        return
    for case, ((dA, cache), kwargs) in reference_cases()["pool_backward"].items():
        A_prev, hp = cache
        mode = kwargs["mode"]
        _, expected = tf_pool(A_prev, hp["f"], hp["stride"], mode, dA)
        dA_prev = _check_pool_backward_case(pool_backward, dA, cache, mode, expected)
        _against_reference("pool_backward", case, [dA_prev], [f"dA_prev (mode={mode!r})"])
    print("Hidden tests passed.")


CHECKS = {name: globals()[f"check_{name}"] for name in GRADED_FUNCTIONS}


# Mutants: wrong variants of the solution that the checks above must catch
# (see cnn_course.graders.mutants).

def _m(name, grade_id, description, edits, fails):
    return mutant(name, grade_id, description, edits, fails, "w1a1_conv_step_by_step")


_PAD = "((0, 0), (pad, pad), (pad, pad), (0, 0))"
_STRIDE = (("vert_start = h * stride", "vert_start = h"), ("horiz_start = w * stride", "horiz_start = w"))

MUTANTS: tuple[Mutant, ...] = (
    # zero_pad is used by conv_forward and conv_backward, so their tests fail too.
    _m("zero_pad_pads_channels", "zero_pad", "pads the channel axis as well",
       [(_PAD, "((0, 0), (pad, pad), (pad, pad), (pad, pad))")], ["zero_pad", "conv_forward", "conv_backward"]),
    _m("zero_pad_one_side", "zero_pad", "puts all 2 * pad zeros before the image",
       [(_PAD, "((0, 0), (2 * pad, 0), (2 * pad, 0), (0, 0))")], ["zero_pad", "conv_forward", "conv_backward"]),
    # conv_single_step is used by conv_forward only.
    _m("single_step_no_bias", "conv_single_step", "forgets the bias",
       [("Z = Z + b.item()", "Z = Z")], ["conv_single_step", "conv_forward"]),
    _m("single_step_mean", "conv_single_step", "averages instead of summing",
       [("Z = np.sum(s)", "Z = np.mean(s)")], ["conv_single_step", "conv_forward"]),
    _m("conv_forward_stride_ignored", "conv_forward", "moves the window one pixel at a time whatever the stride",
       _STRIDE, ["conv_forward"]),
    _m("conv_forward_bias_once", "conv_forward", "adds the bias once per image instead of at every position",
       [("Z[i, h, w, c] = conv_single_step(a_slice_prev, W[:, :, :, c], b[:, :, :, c])",
         "Z[i, h, w, c] = np.sum(a_slice_prev * W[:, :, :, c]) + (b[0, 0, 0, c] if h == w == 0 else 0)")],
       ["conv_forward"]),
    _m("conv_forward_no_plus_one", "conv_forward", "drops the +1 of the output-size formula",
       [("n_H = (n_H_prev - f + 2 * pad) // stride + 1", "n_H = (n_H_prev - f + 2 * pad) // stride"),
        ("n_W = (n_W_prev - f + 2 * pad) // stride + 1", "n_W = (n_W_prev - f + 2 * pad) // stride")],
       ["conv_forward"]),
    _m("conv_forward_pad_once", "conv_forward", "counts the padding on one side only",
       [("n_H = (n_H_prev - f + 2 * pad)", "n_H = (n_H_prev - f + pad)"),
        ("n_W = (n_W_prev - f + 2 * pad)", "n_W = (n_W_prev - f + pad)")], ["conv_forward"]),
    _m("pool_average_uses_max", "pool_forward", "average pooling takes the max",
       [("A[i, h, w, c] = np.mean(a_prev_slice)", "A[i, h, w, c] = np.max(a_prev_slice)")], ["pool_forward"]),
    _m("pool_forward_stride_ignored", "pool_forward", "ignores the stride", _STRIDE, ["pool_forward"]),
    _m("conv_backward_padding_not_stripped", "conv_backward",
       "strips the padding from the wrong side of dA_prev",
       [("da_prev_pad[pad:pad + n_H_prev, pad:pad + n_W_prev, :]", "da_prev_pad[:n_H_prev, :n_W_prev, :]")],
       ["conv_backward"]),
    _m("conv_backward_dW_uses_W", "conv_backward", "multiplies dZ by W instead of the input slice for dW",
       [("dW[:, :, :, c] += a_slice * dZ[i, h, w, c]", "dW[:, :, :, c] += W[:, :, :, c] * dZ[i, h, w, c]")],
       ["conv_backward"]),
    _m("conv_backward_db_overwritten", "conv_backward", "overwrites db instead of accumulating it",
       [("db[:, :, :, c] += dZ[i, h, w, c]", "db[:, :, :, c] = dZ[i, h, w, c]")], ["conv_backward"]),
    _m("conv_backward_stride_ignored", "conv_backward", "ignores the stride", _STRIDE, ["conv_backward"]),
    # create_mask_from_window is used by pool_backward's max mode.
    _m("mask_of_min", "create_mask_from_window", "marks the minimum",
       [("mask = x == np.max(x)", "mask = x == np.min(x)")], ["create_mask_from_window", "pool_backward"]),
    # Differs only on ties; pool_backward's checks use tie-free inputs, so only its own test fails.
    _m("mask_first_max_only", "create_mask_from_window", "marks only the first maximum when there are ties",
       [("mask = x == np.max(x)", "mask = np.arange(x.size).reshape(x.shape) == np.argmax(x)")],
       ["create_mask_from_window"]),
    # distribute_value is used by pool_backward's average mode.
    _m("distribute_not_averaged", "distribute_value", "copies dz to every position instead of dz / (n_H * n_W)",
       [("average = dz / (n_H * n_W)", "average = dz")], ["distribute_value", "pool_backward"]),
    _m("distribute_by_height", "distribute_value", "divides by n_H only",
       [("average = dz / (n_H * n_W)", "average = dz / n_H")], ["distribute_value", "pool_backward"]),
    _m("pool_backward_mask_unscaled", "pool_backward", "adds the mask without multiplying by dA",
       [("+= mask * dA[i, h, w, c]", "+= mask")], ["pool_backward"]),
    _m("pool_backward_overwrites", "pool_backward", "overwrites overlapping windows instead of adding",
       [("+= distribute_value(da, (f, f))", "= distribute_value(da, (f, f))")], ["pool_backward"]),
    _m("pool_backward_stride_ignored", "pool_backward", "ignores the stride", _STRIDE, ["pool_backward"]),
)
