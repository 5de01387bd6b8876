"""Numerical gradient checks for the numpy layers.

A backward pass is checked by comparing it with a centred-difference estimate
of the same gradient. Both helpers work in float64; in float32 the errors below
grow by several orders of magnitude and the checks stop being meaningful.

Typical use, for a layer ``out, cache = layer_forward(x, ...)``::

    dout = np.random.randn(*out.shape)
    dx_num = eval_numerical_gradient_array(lambda x: layer_forward(x, ...)[0], x, dout)
    dx, ... = layer_backward(dout, cache)
    rel_error(dx, dx_num)   # around 1e-8 or smaller for a correct backward pass
"""

import numpy as np


def rel_error(x, y) -> float:
    """Maximum relative error between two arrays of the same shape.

    Arguments:
    x, y -- array-likes with identical shapes

    Returns:
    error -- ``max(|x - y| / max(1e-8, |x| + |y|))`` as a Python float (0.0 for
             empty arrays)

    Expected values when comparing an analytic gradient with
    ``eval_numerical_gradient_array`` in float64: around 1e-8 or smaller for
    smooth layers (convolution, average pooling, affine); max pooling gives the
    same when no two values of a window are within ``h`` of each other. Errors
    above about 1e-5 almost always mean a bug.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"rel_error needs arrays of the same shape, got {x.shape} and {y.shape}.")
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """Numerical gradient of ``sum(f(x) * df)`` with respect to ``x``.

    Each entry of ``x`` is moved by ``+h`` and ``-h`` in place, ``f`` is
    evaluated at both points and the centred difference is taken, so the call
    costs ``2 * x.size`` evaluations of ``f``. The entry is restored to its exact
    original value afterwards (even if ``f`` raises), so ``x`` is unchanged on
    return.

    Arguments:
    f  -- function taking ``x`` and returning an array of the shape of ``df``;
          it must read ``x`` afresh on each call (not a copy made beforehand)
    x  -- float numpy array, the point at which to differentiate, any shape;
          float64 is needed for the accuracy stated below
    df -- numpy array of the shape of ``f(x)``: the upstream gradient
    h  -- step of the centred difference

    Returns:
    grad -- numpy array of the shape and dtype of ``x``

    The truncation error of the centred difference is O(h**2) and the rounding
    error O(eps / h); with ``h=1e-5`` in float64 the estimate agrees with a
    correct analytic gradient to a relative error (``rel_error``) of around
    1e-8 or smaller for smooth layers.
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise ValueError("x must be a float numpy array, modified in place during the check.")
    df = np.asarray(df)
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readonly"])
    while not it.finished:
        ix = it.multi_index
        old_value = x[ix]
        try:
            x[ix] = old_value + h
            pos = np.array(f(x), dtype=np.float64, copy=True)
            x[ix] = old_value - h
            neg = np.array(f(x), dtype=np.float64, copy=True)
        finally:
            x[ix] = old_value
        if pos.shape != df.shape:
            raise ValueError(
                f"f(x) has shape {pos.shape} but df has shape {df.shape}; they must match."
            )
        grad[ix] = np.sum((pos - neg) * df) / (2 * h)
        it.iternext()
    return grad
