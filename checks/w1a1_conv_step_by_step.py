"""Visible checks of W1A1, convolution and pooling step by step in numpy.

Each graded function ``f`` of the notebook has ``check_f(f)``: it calls ``f`` on fixed
inputs (seeded from the case's name), prints a few of the values it returned, and
compares them with the course solution's outputs on the same inputs, stored in
``expected/w1a1_conv_step_by_step.npz``. Shapes, dtypes, the cache and unchanged
inputs are checked first, so that the first problem is told in a sentence
("Z has shape ..., expected ...: check the stride in the output-size formula").

Nothing here computes a convolution, a pooling or a gradient: the expected values
are stored data, and the checks work only on the visible inputs below. The grader
runs other cases when the notebook is graded.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np

from cnn_course.checks import expected
from cnn_course.checks._checking import (
    CheckFailure,
    call_student,
    expect_array,
    expect_close,
    expect_scalar,
    expect_tuple,
    fn_name,
    rng_for,
)
from cnn_course.utils.gradcheck import rel_error

ASSIGNMENT_ID = "w1a1_conv_step_by_step"

PAD_HINT = "pad only axes 1 and 2 (height, width), `pad` zeros on each side"
POOL_SHAPE_HINT = "n_H = (n_H_prev - f) // stride + 1 (no padding in pooling), channels unchanged"


# ------------------------------------------------------------------------ inputs
def conv_case(name, m, n_H, n_W, n_C_prev, f, n_C, stride, pad):
    """Seeded inputs (A_prev, W, b, hparameters) of a convolution case."""
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


# Visible cases: (label, arguments of conv_case / pool_case).
CONV_FORWARD_CASES = {
    "visible": ("stride 2, pad 1", (2, 5, 7, 4, 3, 8, 2, 1)),
    "visible_s1": ("stride 1, pad 0", (1, 4, 4, 2, 2, 3, 1, 0)),
}
POOL_FORWARD_CASES = {
    "visible": (2, 5, 5, 3, 3, 1),
    "visible_s2": (1, 6, 5, 2, 2, 2),
}
POOL_MODES = ("max", "average")
# conv_backward: stride 2, pad 1, f 3 on 5 x 4 inputs gives a 3 x 2 output with 2 filters.
CONV_BACKWARD_CASE = (2, 5, 4, 3, 3, 2, 2, 1)
CONV_BACKWARD_DZ_SHAPE = (2, 3, 2, 2)
# pool_backward: f 2, stride 1 on 5 x 5 inputs gives a 4 x 4 output.
POOL_BACKWARD_CASE = (2, 5, 5, 2, 2, 1)
POOL_BACKWARD_DA_SHAPE = (2, 4, 4, 2)
MASK_CASES = {  # windows as nested lists; "tie" has its maximum twice
    "visible": [[1.0, 3.0], [4.0, 2.0]],
    "tie": [[5.0, 1.0, 5.0]],
    "negative": [[-1.0, -2.0, -3.0], [-4.0, -5.0, -6.0]],
}
DISTRIBUTE_CASES = {"visible": (2.0, (2, 2)), "rect": (3.0, (1, 3))}
# conv_output_shape: (input_shape, n_filters, f, pad, stride); the first has a floor that matters.
OUTPUT_SHAPE_CASES = {
    "visible": ((6, 7, 3), 8, 3, 1, 2),
    "same": ((64, 64, 3), 16, 3, 1, 1),
}
UNKNOWN_MODE = "min"  # a mode pool_forward and pool_backward must refuse with a ValueError


def visible_cases():
    """{function: {case: (args, kwargs)}}: the inputs of the visible checks."""
    cases: dict[str, dict[str, tuple]] = {}
    cases["zero_pad"] = {
        "visible": ((rng_for("visible", "zero_pad").standard_normal((4, 3, 3, 2)), 3), {})}
    cases["conv_output_shape"] = {case: (args, {}) for case, args in OUTPUT_SHAPE_CASES.items()}
    rng = rng_for("visible", "conv_single_step")
    cases["conv_single_step"] = {"visible": ((rng.standard_normal((4, 4, 3)),
                                              rng.standard_normal((4, 4, 3)),
                                              rng.standard_normal((1, 1, 1))), {})}
    cases["conv_forward"] = {case: (conv_case(case, *dims), {})
                             for case, (_, dims) in CONV_FORWARD_CASES.items()}
    cases["pool_forward"] = {}
    for case, dims in POOL_FORWARD_CASES.items():
        A_prev, hp = pool_case(case, *dims, distinct=False)
        for mode in POOL_MODES:
            cases["pool_forward"][f"{case}_{mode}"] = ((A_prev, hp), {"mode": mode})
    A_prev, W, b, hp = conv_case("visible_backward", *CONV_BACKWARD_CASE)
    dZ = rng_for("visible", "dZ").standard_normal(CONV_BACKWARD_DZ_SHAPE)
    cases["conv_backward"] = {"visible": ((dZ, (A_prev, W, b, hp)), {})}
    cases["create_mask_from_window"] = {case: ((np.array(x),), {})
                                        for case, x in MASK_CASES.items()}
    cases["distribute_value"] = {case: ((dz, shape), {})
                                 for case, (dz, shape) in DISTRIBUTE_CASES.items()}
    A_prev, hp = pool_case("visible_backward", *POOL_BACKWARD_CASE)
    cases["pool_backward"] = {}
    for mode in POOL_MODES:
        dA = rng_for("visible", "dA", mode).standard_normal(POOL_BACKWARD_DA_SHAPE)
        cases["pool_backward"][f"visible_{mode}"] = ((dA, (A_prev, hp)), {"mode": mode})
    return cases


def visible_outputs(function: str, result) -> list[np.ndarray]:
    """The arrays of a function's result that the expected file stores."""
    if function in ("conv_forward", "pool_forward"):
        return [np.asarray(result[0])]
    if function == "conv_backward":
        return [np.asarray(r) for r in result]
    return [np.asarray(result)]


def _expected(function: str, case: str, k: int = 0) -> np.ndarray:
    return expected.get(ASSIGNMENT_ID, function, case, k)


def error_text(actual: np.ndarray, want: np.ndarray) -> str:
    """The relative error, as printed: any right answer prints the same text as the solution.

    Right answers differ from the stored gradient only by rounding (about 1e-16), so
    everything below 1e-12 is printed as "< 1e-12".
    """
    error = rel_error(actual, want)
    return "< 1e-12" if error < 1e-12 else f"{error:.1e}"


# ------------------------------------------------- one case, given its expected values

def verify_zero_pad(zero_pad, X, pad, want):
    m, n_H, n_W, n_C = X.shape
    out = expect_array(call_student(zero_pad, X, pad), f"zero_pad(X, {pad})",
                       (m, n_H + 2 * pad, n_W + 2 * pad, n_C), hint=PAD_HINT)
    if out.dtype != X.dtype:
        raise CheckFailure(f"zero_pad(X, {pad}) has dtype {out.dtype}, expected X's dtype "
                           f"{X.dtype}: padding adds zeros and keeps every value of X exactly "
                           "(np.pad keeps the dtype).")
    expect_close(out, want, f"zero_pad(X, {pad})",
                 "The inside must equal X and the border must be zeros")
    return out


def verify_conv_single_step(conv_single_step, a, W, b, want, show=False):
    Z = call_student(conv_single_step, a, W, b)
    if isinstance(Z, np.ndarray) and Z.ndim > 0:
        hint = ("adding b, an array of shape (1, 1, 1), to the sum makes an array: add b.item()"
                if Z.size == 1 else "np.sum adds up every entry of the product")
        raise CheckFailure(f"Z is an array of shape {Z.shape}, expected a single number "
                           f"(a scalar): {hint}.")
    Z = expect_scalar(Z, "Z")
    want = float(want)
    if show:
        print(f"Z = {Z:.6f}   (expected {want:.6f})")
    if not np.isclose(Z, want, atol=1e-9):
        hint = ""
        if np.isclose(Z, want - b.item()):
            hint = " It looks like the bias b was not added."
        elif np.isclose(Z, b.item()):
            hint = " It looks like only the bias is returned: sum the product a_slice_prev * W."
        raise CheckFailure(f"Z = {Z:.6f}, expected {want:.6f}.{hint}")
    return Z


def conv_shape_hint(A_prev, W, hp, got_shape) -> str:
    """Why Z may have come out with `got_shape`: which term of the output-size formula is off."""
    m, n_H_prev, n_W_prev, _ = A_prev.shape
    f, _, _, n_C = W.shape
    s, p = hp["stride"], hp["pad"]
    guesses = {
        "the stride is ignored": ((n_H_prev - f + 2 * p) + 1, (n_W_prev - f + 2 * p) + 1),
        "the padding is ignored": ((n_H_prev - f) // s + 1, (n_W_prev - f) // s + 1),
        "the +1 is missing": ((n_H_prev - f + 2 * p) // s, (n_W_prev - f + 2 * p) // s),
        "the padding is counted once, not on both sides": ((n_H_prev - f + p) // s + 1,
                                                           (n_W_prev - f + p) // s + 1),
    }
    reasons = [reason for reason, (h, w) in guesses.items() if got_shape == (m, h, w, n_C)]
    if reasons:
        return (f"it looks like {' or '.join(reasons)} in the output-size formula "
                "n_H = (n_H_prev - f + 2 * pad) // stride + 1")
    return ("use n_H = (n_H_prev - f + 2 * pad) // stride + 1, the same for n_W, "
            "and n_C = W.shape[3]")


def expect_cache(cache: tuple, items: tuple, function: str, names: tuple[str, ...]) -> None:
    """Fail unless each item of a forward function's cache is the matching input, unchanged."""
    for k, (value, item, name) in enumerate(zip(cache, items, names, strict=True)):
        if isinstance(item, np.ndarray):
            same = (isinstance(value, np.ndarray) and value.shape == item.shape
                    and np.array_equal(value, item))
        else:
            same = isinstance(value, dict) and value == item
        if not same:
            raise CheckFailure(f"{function}'s cache must be ({', '.join(names)}), in that order: "
                               f"its item {k} is not {name}.")


def output_shape_hint(input_shape, n_filters, f, pad, stride, got) -> str:
    """Why conv_output_shape may have returned ``got``: which term of the formula is off."""
    n_H_prev, n_W_prev, n_C_prev = input_shape
    sizes = {
        "it rounds up instead of down (floor)": lambda n: -(-(n - f + 2 * pad) // stride) + 1,
        "the padding is counted once, not on both sides": lambda n: (n - f + pad) // stride + 1,
        "the stride is ignored": lambda n: n - f + 2 * pad + 1,
        "the +1 is missing": lambda n: (n - f + 2 * pad) // stride,
    }
    want_C = n_filters
    reasons = [reason for reason, size in sizes.items()
               if got[:2] == (size(n_H_prev), size(n_W_prev))]
    if got[2] != want_C and got[2] == n_C_prev:
        reasons.append("n_C is the input's channels, not the number of filters")
    if reasons:
        return f"it looks like {' and '.join(reasons)}"
    return ("n_H = floor((n_H_prev - f + 2 * pad) / stride) + 1, the same for n_W, "
            "and n_C = n_filters (one output channel per filter)")


def verify_conv_output_shape(conv_output_shape, input_shape, n_filters, f, pad, stride, want):
    what = (f"conv_output_shape({input_shape}, n_filters={n_filters}, f={f}, pad={pad}, "
            f"stride={stride})")
    result = expect_tuple(call_student(conv_output_shape, input_shape, n_filters, f, pad, stride),
                          what, 3, "(n_H, n_W, n_C)")
    for name, value in zip(("n_H", "n_W", "n_C"), result, strict=True):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise CheckFailure(f"{what}: {name} is {value!r}, a {type(value).__name__}, "
                               "expected an integer: use // (floor division), which keeps "
                               "integers integers.")
    got = tuple(int(value) for value in result)
    want = tuple(int(value) for value in np.asarray(want).ravel())
    if got != want:
        raise CheckFailure(f"{what} = {got}, expected {want}: "
                           + output_shape_hint(input_shape, n_filters, f, pad, stride, got) + ".")
    return got


def verify_mode_refused(function, args: tuple, mode: str = UNKNOWN_MODE) -> None:
    """Fail unless ``function(*args, mode=mode)`` raises a ValueError (and no other error)."""
    name = fn_name(function)
    what = f"{name}(..., mode={mode!r})"
    try:
        function(*copy.deepcopy(args), mode=mode)
    except NotImplementedError:
        raise CheckFailure(f"{name} is not implemented yet: replace "
                           "`raise NotImplementedError()` with your code.") from None
    except Exception as error:  # the student's error, or its stand-in from the grading process
        if type(error).__name__ != "ValueError":
            raise CheckFailure(f"{what} raised {type(error).__name__}, expected a ValueError: "
                               "before anything else, refuse a mode other than \"max\" and "
                               "\"average\" with `raise ValueError(...)`.") from None
        return
    raise CheckFailure(f"{what} returned a result, expected a ValueError: a mode other than "
                       "\"max\" and \"average\" must be refused, or a typo would silently compute "
                       "something else.")


def verify_conv_forward(conv_forward, A_prev, W, b, hp, label, want):
    result = expect_tuple(call_student(conv_forward, A_prev, W, b, hp), "conv_forward", 2,
                          "Z, cache")
    Z, cache = result
    if isinstance(Z, np.ndarray) and Z.shape != want.shape:
        raise CheckFailure(f"Z has shape {Z.shape}, expected {want.shape} ({label}): "
                           + conv_shape_hint(A_prev, W, hp, Z.shape) + ".")
    Z = expect_array(Z, f"Z ({label})", want.shape)
    cache = expect_tuple(cache, "conv_forward's cache", 4, "(A_prev, W, b, hparameters)")
    expect_cache(cache, (A_prev, W, b, hp), "conv_forward", ("A_prev", "W", "b", "hparameters"))
    expect_close(Z, want, f"Z ({label})",
                 "Check the window bounds (vert_start = h * stride), the padding and the bias")
    return Z


def verify_pool_forward(pool_forward, A_prev, hp, mode, want):
    label = f"mode={mode!r}, f {hp['f']}, stride {hp['stride']}"
    A, cache = expect_tuple(call_student(pool_forward, A_prev, hp, mode=mode), "pool_forward", 2,
                            "A, cache")
    A = expect_array(A, f"A ({label})", want.shape, hint=POOL_SHAPE_HINT)
    cache = expect_tuple(cache, "pool_forward's cache", 2, "(A_prev, hparameters)")
    expect_cache(cache, (A_prev, hp), "pool_forward", ("A_prev", "hparameters"))
    hint = ("Use np.max for mode 'max' and np.mean for mode 'average'; "
            "windows start at h * stride and are f wide")
    expect_close(A, want, f"A ({label})", hint)
    return A


def verify_conv_backward(conv_backward, dZ, cache, want, label):
    A_prev, W, b, _ = cache
    grads = expect_tuple(call_student(conv_backward, dZ, cache), "conv_backward", 3,
                         "dA_prev, dW, db")
    names = ("dA_prev", "dW", "db")
    hints = (
        "Each window of the padded dA_prev accumulates W[:, :, :, c] * dZ[i, h, w, c]; "
        "then strip the padding with [pad:pad + n_H_prev, pad:pad + n_W_prev]",
        "Each dW[:, :, :, c] accumulates a_slice * dZ[i, h, w, c], "
        "where a_slice is the window of the padded A_prev",
        "Each db[:, :, :, c] accumulates dZ[i, h, w, c] over every example and position",
    )
    shapes = (A_prev.shape, W.shape, b.shape)
    out = []
    for value, name, shape, expected_value, hint in zip(grads, names, shapes, want, hints,
                                                        strict=True):
        value = expect_array(value, f"{name} ({label})", shape,
                             hint=f"{name} has the shape of {name[1:]}")
        expect_close(value, expected_value, f"{name} ({label})", hint, atol=1e-6, rtol=1e-5)
        out.append(value)
    return out


def verify_create_mask_from_window(create_mask_from_window, x, want):
    mask = expect_array(call_student(create_mask_from_window, x), f"mask for x = {x.tolist()}",
                        x.shape, "bool")
    if mask.dtype != np.bool_:
        raise CheckFailure(f"mask for x = {x.tolist()} has dtype {mask.dtype}, expected a boolean "
                           "array (True/False): a comparison such as x == value gives one, keep it "
                           "as it is.")
    want = np.asarray(want).astype(bool)
    if not np.array_equal(mask.astype(bool), want):
        raise CheckFailure(f"mask for x = {x.tolist()} is {mask.astype(bool).tolist()}, "
                           f"expected {want.tolist()}: compare x with np.max(x).")
    return mask


def verify_distribute_value(distribute_value, dz, shape, want, show=False):
    a = expect_array(call_student(distribute_value, dz, shape), f"distribute_value({dz}, {shape})",
                     shape)
    if show:
        print(f"distribute_value({dz}, {shape}) =\n", a)
    expect_close(a, want, f"distribute_value({dz}, {shape})",
                 "Every entry is dz / (n_H * n_W), so that the entries sum to dz")
    return a


def verify_pool_backward(pool_backward, dA, cache, mode, want):
    A_prev, hp = cache
    label = f"mode={mode!r}, f {hp['f']}, stride {hp['stride']}"
    dA_prev = expect_array(call_student(pool_backward, dA, cache, mode=mode), f"dA_prev ({label})",
                           A_prev.shape, hint="dA_prev has the shape of A_prev")
    hint = ("In max mode each output's gradient goes to the max of its window "
            "(mask * dA[i, h, w, c]); in average mode it is spread with distribute_value; "
            "overlapping windows add up (+=)")
    expect_close(dA_prev, want, f"dA_prev ({label})", hint, atol=1e-6, rtol=1e-5)
    return dA_prev


# ----------------------------------------------------------------------- checks
def check_zero_pad(zero_pad: Callable) -> None:
    """zero_pad pads height and width with `pad` zeros on each side, nothing else."""
    (x, pad), _ = visible_cases()["zero_pad"]["visible"]
    x_pad = expect_array(call_student(zero_pad, x, pad), "x_pad", (4, 9, 9, 2), hint=PAD_HINT)
    print("x.shape =", x.shape, "  x_pad.shape =", x_pad.shape)
    print("x[1, 1] =\n", x[1, 1], "\nx_pad[1, 1] (all border) =\n", x_pad[1, 1])
    print(f"x_pad[1, {1 + pad}] (x[1, 1] with {pad} zeros on each side) =\n", x_pad[1, 1 + pad])
    verify_zero_pad(zero_pad, x, pad, _expected("zero_pad", "visible"))
    print("All tests passed.")


def check_conv_output_shape(conv_output_shape: Callable) -> None:
    """conv_output_shape returns (n_H, n_W, n_C) of a convolution layer's output, as integers."""
    for case, (args, _) in visible_cases()["conv_output_shape"].items():
        got = verify_conv_output_shape(conv_output_shape, *args,
                                       _expected("conv_output_shape", case))
        input_shape, n_filters, f, pad, stride = args
        print(f"conv_output_shape({input_shape}, n_filters={n_filters}, f={f}, pad={pad}, "
              f"stride={stride}) = {got}")
    print("All tests passed.")


def check_conv_single_step(conv_single_step: Callable) -> None:
    """conv_single_step returns the scalar sum(a_slice_prev * W) + b."""
    (a, W, b), _ = visible_cases()["conv_single_step"]["visible"]
    verify_conv_single_step(conv_single_step, a, W, b, _expected("conv_single_step", "visible"),
                            show=True)
    print("All tests passed.")


def check_conv_forward(conv_forward: Callable) -> None:
    """conv_forward: output size formula, values, and the cache, for several pads and strides."""
    cases = visible_cases()["conv_forward"]
    for case, (label, _) in CONV_FORWARD_CASES.items():
        (A_prev, W, b, hp), _ = cases[case]
        Z = verify_conv_forward(conv_forward, A_prev, W, b, hp, label,
                                _expected("conv_forward", case))
        if case == "visible":
            print("Z.shape =", Z.shape, "  Z's mean =", round(float(Z.mean()), 6))
            print("Z[0, 2, 1] =", np.round(Z[0, 2, 1], 6))
    print("All tests passed.")


def check_pool_forward(pool_forward: Callable) -> None:
    """pool_forward: max and average pooling with the right window, stride and size."""
    for case, ((A_prev, hp), kwargs) in visible_cases()["pool_forward"].items():
        mode = kwargs["mode"]
        A = verify_pool_forward(pool_forward, A_prev, hp, mode, _expected("pool_forward", case))
        if case in ("visible_max", "visible_average"):
            print(f"mode = {mode}: A.shape = {A.shape}, A[1, 1, 1] = {np.round(A[1, 1, 1], 6)}")
    (A_prev, hp), _ = visible_cases()["pool_forward"]["visible_max"]
    verify_mode_refused(pool_forward, (A_prev, hp))
    print("All tests passed.")


def check_conv_backward(conv_backward: Callable) -> None:
    """conv_backward: dA_prev, dW and db match the expected gradients."""
    (dZ, cache), _ = visible_cases()["conv_backward"]["visible"]
    want = [_expected("conv_backward", "visible", k) for k in range(3)]
    grads = verify_conv_backward(conv_backward, dZ, cache, want, "stride 2, pad 1")
    for name, value, expected_value in zip(("dA_prev", "dW", "db"), grads, want, strict=True):
        print(f"{name}: shape {value.shape}, mean {value.mean():.6f}, "
              f"relative error vs expected gradient {error_text(value, expected_value)} "
              "(expect < 1e-7)")
    print("All tests passed.")


def check_create_mask_from_window(create_mask_from_window: Callable) -> None:
    """create_mask_from_window is True exactly where the window holds its maximum."""
    cases = visible_cases()["create_mask_from_window"]
    (x,), _ = cases["visible"]
    mask = expect_array(call_student(create_mask_from_window, x), "mask", x.shape, "bool")
    print("x =\n", x, "\nmask =\n", mask)
    for case, ((x,), _) in cases.items():
        verify_create_mask_from_window(create_mask_from_window, x,
                                       _expected("create_mask_from_window", case))
    print("All tests passed.")


def check_distribute_value(distribute_value: Callable) -> None:
    """distribute_value returns an array of `shape` filled with dz / (n_H * n_W)."""
    for case, ((dz, shape), _) in visible_cases()["distribute_value"].items():
        verify_distribute_value(distribute_value, dz, shape, _expected("distribute_value", case),
                                    show=case == "visible")
    print("All tests passed.")


def check_pool_backward(pool_backward: Callable) -> None:
    """pool_backward routes gradients to the max (max mode) or spreads them (average mode)."""
    for case, ((dA, cache), kwargs) in visible_cases()["pool_backward"].items():
        mode = kwargs["mode"]
        want = _expected("pool_backward", case)
        dA_prev = verify_pool_backward(pool_backward, dA, cache, mode, want)
        print(f"mode = {mode}: dA_prev mean = {dA_prev.mean():.6f}, "
              f"relative error vs expected gradient {error_text(dA_prev, want)} (expect < 1e-7)")
    (dA, cache), _ = visible_cases()["pool_backward"]["visible_max"]
    verify_mode_refused(pool_backward, (dA, cache))
    print("All tests passed.")
