"""Vectorised convolution and pooling layers with the graded signatures.

These are reference implementations of the numpy layers that students write
with explicit loops in ``w1a1_conv_step_by_step``. They share the graded
functions' names, signatures and caches exactly, so a notebook or a grader can
swap one for the other, compare them (``gradcheck.rel_error``) and time them.

Conventions (as in the course):

- arrays are channels-last: ``A_prev`` is ``(m, n_H_prev, n_W_prev, n_C_prev)``;
- convolution weights ``W`` are ``(f, f, n_C_prev, n_C)`` and biases ``b``
  ``(1, 1, 1, n_C)``; ``hparameters`` is ``{"stride": s, "pad": p}``;
- pooling ``hparameters`` is ``{"stride": s, "f": f}``; pooling never pads;
- caches are ``(A_prev, W, b, hparameters)`` for conv and ``(A_prev, hparameters)``
  for pooling, holding the caller's objects (not copies);
- no function modifies its inputs; bad arguments raise ``ValueError``.

How they are fast: no function loops over output positions.

- Pooling loops over the ``f * f`` offsets ``(di, dj)`` of the window instead.
  For one offset, the input pixels seen at every output position form one
  strided slice of the input,
  ``A_prev[:, di : di + s*(n_H-1) + 1 : s, dj : dj + s*(n_W-1) + 1 : s, :]`` of shape
  ``(m, n_H, n_W, n_C)``, and one ``np.maximum`` (or addition) handles them all.
- Convolution is a matrix product ("im2col"): a strided view of the padded
  input holds every window, ``(m, n_H, n_W, f, f * n_C_prev)``; copied block by
  block into a matrix with ``f * f * n_C_prev`` columns, it is multiplied by
  ``W.reshape(f * f * n_C_prev, n_C)``. Blocks of about 512 KB keep the copy in
  cache; on (100, 64, 64, 3) float64 inputs with 8 3x3 filters this runs as
  fast as ``tf.nn.conv2d`` on CPU. The backward pass reuses it: ``dW`` from
  the same blocks, ``dA_prev`` as a correlation of ``dZ`` (spread out by the
  stride and padded) with the flipped kernel.
"""

import numbers

import numpy as np

__all__ = ["conv_forward", "conv_backward", "pool_forward", "pool_backward"]

_POOL_MODES = ("max", "average")


# ---------------------------------------------------------------------------
# argument checks


def _check_array(name, x, ndim):
    if not isinstance(x, np.ndarray):
        raise ValueError(f"{name} must be a numpy array, got {type(x).__name__}.")
    if x.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {x.shape}.")
    if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
        raise ValueError(f"{name} must hold real numbers, got dtype {x.dtype}.")


def _int_param(hparameters, key, minimum):
    if not isinstance(hparameters, dict):
        raise ValueError(f"hparameters must be a dict, got {type(hparameters).__name__}.")
    if key not in hparameters:
        raise ValueError(f'hparameters has no key "{key}" (keys: {sorted(hparameters)}).')
    value = hparameters[key]
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f'hparameters["{key}"] must be an integer >= {minimum}, got {value!r}.')
    return int(value)


def _conv_shapes(A_prev, W, b, hparameters):
    """Validate conv arguments; return (stride, pad, n_H, n_W)."""
    _check_array("A_prev", A_prev, 4)
    _check_array("W", W, 4)
    _check_array("b", b, 4)
    stride = _int_param(hparameters, "stride", 1)
    pad = _int_param(hparameters, "pad", 0)
    m, n_H_prev, n_W_prev, n_C_prev = A_prev.shape
    f, f2, w_C_prev, n_C = W.shape
    if f != f2 or f < 1:
        raise ValueError(
            f"W must have shape (f, f, n_C_prev, n_C) with a square kernel, got {W.shape}."
        )
    if w_C_prev != n_C_prev:
        raise ValueError(
            f"W expects {w_C_prev} input channels but A_prev has {n_C_prev} "
            f"(W is {W.shape}, A_prev is {A_prev.shape})."
        )
    if b.shape != (1, 1, 1, n_C):
        raise ValueError(f"b must have shape (1, 1, 1, {n_C}) to match W {W.shape}, got {b.shape}.")
    if f > n_H_prev + 2 * pad or f > n_W_prev + 2 * pad:
        raise ValueError(
            f"the {f}x{f} filter does not fit in the padded input "
            f"({n_H_prev + 2 * pad}x{n_W_prev + 2 * pad} with pad={pad})."
        )
    n_H = (n_H_prev - f + 2 * pad) // stride + 1
    n_W = (n_W_prev - f + 2 * pad) // stride + 1
    return stride, pad, n_H, n_W


def _pool_shapes(A_prev, hparameters, mode):
    """Validate pooling arguments; return (stride, f, n_H, n_W)."""
    if mode not in _POOL_MODES:
        raise ValueError(f'mode must be "max" or "average", got {mode!r}.')
    _check_array("A_prev", A_prev, 4)
    stride = _int_param(hparameters, "stride", 1)
    f = _int_param(hparameters, "f", 1)
    _, n_H_prev, n_W_prev, _ = A_prev.shape
    if f > n_H_prev or f > n_W_prev:
        raise ValueError(
            f"the {f}x{f} pooling window does not fit in the {n_H_prev}x{n_W_prev} input."
        )
    n_H = (n_H_prev - f) // stride + 1
    n_W = (n_W_prev - f) // stride + 1
    return stride, f, n_H, n_W


def _float_dtype(*arrays):
    dtype = np.result_type(*arrays)
    return dtype if np.issubdtype(dtype, np.floating) else np.dtype(np.float64)


def _window(X, di, dj, stride, n_H, n_W):
    """View of the pixels of X met by window offset (di, dj) at every output position."""
    return X[
        :, di : di + stride * (n_H - 1) + 1 : stride, dj : dj + stride * (n_W - 1) + 1 : stride, :
    ]


def _pad_hw(X, pad):
    """Zero-pad the two spatial axes of X (m, n_H, n_W, n_C); returns a new C-contiguous array."""
    padded = np.zeros((X.shape[0], X.shape[1] + 2 * pad, X.shape[2] + 2 * pad, X.shape[3]), X.dtype)
    padded[:, pad : pad + X.shape[1], pad : pad + X.shape[2], :] = X
    return padded


# ---------------------------------------------------------------------------
# convolution

# Upper bound, in bytes, on the im2col block built at once. Measured on a
# 2-core machine with (100, 64, 64, 3) inputs and 8 3x3 filters: 256-512 KB
# blocks are fastest; smaller ones pay Python overhead, and much larger ones
# (2 MB) let OpenBLAS split each product over threads, which made the
# convolution 10 times slower whenever other processes were busy.
_BLOCK_BYTES = 2**19


def _im2col_view(A_pad, f, stride, n_H, n_W):
    """Read-only view (m, n_H, n_W, f, f * n_C_prev) of the windows of A_pad.

    Entry [i, h, w, di, dj * n_C_prev + c] is A_pad[i, h*stride + di, w*stride + dj, c],
    so reshaping a block of it to (-1, f * f * n_C_prev) gives the im2col matrix
    whose columns match W.reshape(f * f * n_C_prev, n_C). A_pad must be
    C-contiguous: then the f * n_C_prev entries of one window row are adjacent
    in memory and one stride describes them.
    """
    m, _, _, n_C_prev = A_pad.shape
    s_m, s_h, s_w, s_c = A_pad.strides
    return np.lib.stride_tricks.as_strided(
        A_pad,
        shape=(m, n_H, n_W, f, f * n_C_prev),
        strides=(s_m, stride * s_h, stride * s_w, s_h, s_c),
        writeable=False,
    )


def _blocks(m, n_H, row_bytes):
    """Split (m, n_H) output rows into blocks of at most about _BLOCK_BYTES of im2col.

    Yields (i0, i1, h0, h1). A block is either whole images (h0=0, h1=n_H) or
    rows of a single image, so Z[i0:i1, h0:h1] is always a contiguous slice.
    """
    rows_per_block = max(1, _BLOCK_BYTES // max(1, row_bytes))
    if rows_per_block >= n_H:
        images = rows_per_block // n_H
        for i0 in range(0, m, images):
            yield i0, min(m, i0 + images), 0, n_H
    else:
        for i0 in range(m):
            for h0 in range(0, n_H, rows_per_block):
                yield i0, i0 + 1, h0, min(n_H, h0 + rows_per_block)


def _correlate(A_pad, W2, f, stride, n_H, n_W):
    """Valid cross-correlation of A_pad (m, H, W, n_in) with W2 (f * f * n_in, n_out).

    Returns a new array (m, n_H, n_W, n_out). A_pad must be C-contiguous.
    """
    m, n_in, n_out = A_pad.shape[0], A_pad.shape[3], W2.shape[1]
    cols = _im2col_view(A_pad, f, stride, n_H, n_W)  # (m, n_H, n_W, f, f * n_in), a view
    Z = np.empty((m, n_H, n_W, n_out), dtype=W2.dtype)
    for i0, i1, h0, h1 in _blocks(m, n_H, n_W * f * f * n_in * A_pad.itemsize):
        # the reshape copies the block's windows into an im2col matrix
        block = cols[i0:i1, h0:h1].reshape(-1, f * f * n_in)  # (rows, f * f * n_in)
        np.matmul(block, W2, out=Z[i0:i1, h0:h1].reshape(-1, n_out))  # Z blocks are contiguous
    return Z


def conv_forward(A_prev, W, b, hparameters):
    """Forward pass of a 2-D convolution (cross-correlation, as in the course).

    Arguments:
    A_prev -- input activations, numpy array (m, n_H_prev, n_W_prev, n_C_prev)
    W -- weights, numpy array (f, f, n_C_prev, n_C)
    b -- biases, numpy array (1, 1, 1, n_C)
    hparameters -- dict with "stride" (int >= 1) and "pad" (int >= 0)

    Returns:
    Z -- conv output, numpy array (m, n_H, n_W, n_C), with
         n_H = floor((n_H_prev - f + 2 * pad) / stride) + 1, same for n_W
    cache -- (A_prev, W, b, hparameters), for conv_backward

    ``A_prev`` is zero-padded by ``pad`` on both spatial axes only. Rows and
    columns left over when the stride does not divide evenly are ignored.
    Z is float64 for integer inputs, else the common float type of the inputs.
    Does not modify A_prev, W, b or hparameters.
    """
    stride, pad, n_H, n_W = _conv_shapes(A_prev, W, b, hparameters)
    n_C_prev = A_prev.shape[3]
    f, n_C = W.shape[0], W.shape[3]
    dtype = _float_dtype(A_prev, W, b)
    # (m, n_H_prev + 2 * pad, n_W_prev + 2 * pad, n_C_prev), a new C-contiguous array
    A_pad = _pad_hw(A_prev.astype(dtype, copy=False), pad)
    W2 = W.astype(dtype, copy=False).reshape(f * f * n_C_prev, n_C)

    Z = _correlate(A_pad, W2, f, stride, n_H, n_W)  # (m, n_H, n_W, n_C)
    Z += b.astype(dtype, copy=False).reshape(n_C)

    cache = (A_prev, W, b, hparameters)
    return Z, cache


def conv_backward(dZ, cache):
    """Backward pass of ``conv_forward``.

    Arguments:
    dZ -- gradient of the cost with respect to Z, numpy array (m, n_H, n_W, n_C)
    cache -- the (A_prev, W, b, hparameters) returned by conv_forward

    Returns:
    dA_prev -- gradient with respect to A_prev, numpy array (m, n_H_prev, n_W_prev, n_C_prev)
    dW -- gradient with respect to W, numpy array (f, f, n_C_prev, n_C)
    db -- gradient with respect to b, numpy array (1, 1, 1, n_C)

    Input pixels that no window reaches (when the stride leaves some over) get
    a zero gradient. Does not modify dZ or anything in the cache.
    """
    if not isinstance(cache, tuple) or len(cache) != 4:
        raise ValueError(
            "cache must be the tuple (A_prev, W, b, hparameters) returned by conv_forward."
        )
    A_prev, W, b, hparameters = cache
    stride, pad, n_H, n_W = _conv_shapes(A_prev, W, b, hparameters)
    m, n_H_prev, n_W_prev, n_C_prev = A_prev.shape
    f, n_C = W.shape[0], W.shape[3]
    _check_array("dZ", dZ, 4)
    if dZ.shape != (m, n_H, n_W, n_C):
        raise ValueError(
            f"dZ has shape {dZ.shape}, expected {(m, n_H, n_W, n_C)}: "
            "the shape of Z for this cache."
        )

    dtype = _float_dtype(dZ, A_prev, W, b)
    # (m, n_H_prev + 2 * pad, n_W_prev + 2 * pad, n_C_prev), a new C-contiguous array
    A_pad = _pad_hw(A_prev.astype(dtype, copy=False), pad)
    dZ = np.ascontiguousarray(dZ, dtype=dtype)  # a new name: the caller's dZ is left alone

    # dW: the im2col matrix of A_pad, transposed, times dZ; built block by block
    cols = _im2col_view(A_pad, f, stride, n_H, n_W)  # (m, n_H, n_W, f, f * n_C_prev), a view
    dW2 = np.zeros((f * f * n_C_prev, n_C), dtype=dtype)
    for i0, i1, h0, h1 in _blocks(m, n_H, n_W * f * f * n_C_prev * A_pad.itemsize):
        block = cols[i0:i1, h0:h1].reshape(-1, f * f * n_C_prev)  # (rows, f * f * n_C_prev)
        dW2 += block.T @ dZ[i0:i1, h0:h1].reshape(-1, n_C)
    dW = dW2.reshape(f, f, n_C_prev, n_C)

    db = dZ.sum(axis=(0, 1, 2)).reshape(1, 1, 1, n_C)

    # dA_pad: a "full" correlation of dZ with the kernel flipped in space and with
    # in/out channels swapped. Spread dZ out by the stride (zeros in between),
    # pad it by f - 1, and correlate with stride 1; the result covers the rows
    # and columns of A_pad that some window reaches, the others get zeros.
    span_H, span_W = stride * (n_H - 1) + 1, stride * (n_W - 1) + 1
    dZ_full = np.zeros((m, span_H + 2 * (f - 1), span_W + 2 * (f - 1), n_C), dtype=dtype)
    dZ_full[:, f - 1 : f - 1 + span_H : stride, f - 1 : f - 1 + span_W : stride, :] = dZ
    W_flip = W.astype(dtype, copy=False)[::-1, ::-1].transpose(0, 1, 3, 2)  # (f, f, n_C, n_C_prev)
    W_flip2 = np.ascontiguousarray(W_flip).reshape(f * f * n_C, n_C_prev)
    dA_pad = np.zeros_like(A_pad)
    dA_pad[:, : span_H + f - 1, : span_W + f - 1, :] = _correlate(
        dZ_full, W_flip2, f, 1, span_H + f - 1, span_W + f - 1
    )
    dA_prev = dA_pad[:, pad : pad + n_H_prev, pad : pad + n_W_prev, :].copy()
    return dA_prev, dW, db


# ---------------------------------------------------------------------------
# pooling


def pool_forward(A_prev, hparameters, mode="max"):
    """Forward pass of max or average pooling (no padding).

    Arguments:
    A_prev -- input activations, numpy array (m, n_H_prev, n_W_prev, n_C_prev)
    hparameters -- dict with "f" (window size, int >= 1) and "stride" (int >= 1)
    mode -- "max" or "average"

    Returns:
    A -- pooled output, numpy array (m, n_H, n_W, n_C_prev), with
         n_H = floor((n_H_prev - f) / stride) + 1, same for n_W
    cache -- (A_prev, hparameters), for pool_backward

    Each channel is pooled separately. A keeps A_prev's float dtype (float64
    for integer input). Does not modify A_prev or hparameters.
    """
    stride, f, n_H, n_W = _pool_shapes(A_prev, hparameters, mode)
    A = _pool(A_prev.astype(_float_dtype(A_prev), copy=False), stride, f, n_H, n_W, mode)
    cache = (A_prev, hparameters)
    return A, cache


def _pool(X, stride, f, n_H, n_W, mode):
    out = _window(X, 0, 0, stride, n_H, n_W).copy()  # (m, n_H, n_W, n_C)
    combine = np.maximum if mode == "max" else np.add
    for di in range(f):
        for dj in range(f):
            if di or dj:
                combine(out, _window(X, di, dj, stride, n_H, n_W), out=out)
    if mode == "average":
        out /= f * f
    return out


def pool_backward(dA, cache, mode="max"):
    """Backward pass of ``pool_forward``.

    Arguments:
    dA -- gradient of the cost with respect to the pooling output, numpy array (m, n_H, n_W, n_C)
    cache -- the (A_prev, hparameters) returned by pool_forward
    mode -- "max" or "average", as in the forward pass

    Returns:
    dA_prev -- gradient with respect to A_prev, numpy array (m, n_H_prev, n_W_prev, n_C)

    Max mode sends each window's gradient to the position of its maximum; when
    several positions tie for the maximum, each of them receives the full
    gradient (the course's mask ``x == np.max(x)``). Average mode spreads it
    evenly, ``dA / (f * f)`` to every position of the window. Where windows
    overlap (stride < f) the contributions add up. Does not modify dA or the cache.
    """
    if not isinstance(cache, tuple) or len(cache) != 2:
        raise ValueError("cache must be the tuple (A_prev, hparameters) returned by pool_forward.")
    A_prev, hparameters = cache
    stride, f, n_H, n_W = _pool_shapes(A_prev, hparameters, mode)
    m, _, _, n_C = A_prev.shape
    _check_array("dA", dA, 4)
    if dA.shape != (m, n_H, n_W, n_C):
        raise ValueError(
            f"dA has shape {dA.shape}, expected {(m, n_H, n_W, n_C)}: "
            "the shape of A for this cache."
        )

    dtype = _float_dtype(dA, A_prev)
    X = A_prev.astype(dtype, copy=False)
    dA = dA.astype(dtype, copy=False)
    dA_prev = np.zeros(A_prev.shape, dtype=dtype)
    if mode == "max":
        A = _pool(X, stride, f, n_H, n_W, "max")  # (m, n_H, n_W, n_C): the max of each window
    else:
        share = dA / (f * f)
    for di in range(f):
        for dj in range(f):
            if mode == "max":
                share = np.where(_window(X, di, dj, stride, n_H, n_W) == A, dA, 0)
            _window(dA_prev, di, dj, stride, n_H, n_W)[...] += share
    return dA_prev
