# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "goals", "locked": true, "schema_version": 3, "solution": false}
# # Convolutional Neural Networks: Step by Step
#
# Deep-learning frameworks hide a convolution layer behind a single line of code.
# In this assignment you open that line up: you write the two building blocks of a
# convolutional network, the **convolution layer** and the **pooling layer**, in plain
# numpy, first the forward pass and then the backward pass. Loops first, clarity
# before speed; at the end you will measure what the loops cost.
#
# **Learning objectives.** By the end of this notebook you will be able to:
#
# - explain the convolution operation;
# - apply two types of pooling;
# - identify padding, stride and filter, and the purpose of each;
# - implement convolutional and pooling layers in numpy, forward and backward.

# %% [markdown] nbgrader={"grade": false, "grade_id": "notation", "locked": true, "schema_version": 3, "solution": false}
# ## Notation
#
# - A superscript $[l]$ names a layer: $a^{[4]}$ is the activation of the 4th layer,
#   $W^{[5]}$ and $b^{[5]}$ are the parameters of the 5th layer.
# - A superscript $(i)$ names an example of the batch: $x^{(i)}$ is the $i$-th input image
#   and $a^{[2](i)}$ its activation in layer 2.
# - A subscript $c$ names a channel: $a^{[l]}_c$ is channel $c$ of the activation $a^{[l]}$.
# - $n_H$, $n_W$ and $n_C$ are the height, width and number of channels of a layer; the
#   previous layer's are $n_{H_{prev}}$, $n_{W_{prev}}$ and $n_{C_{prev}}$ (in code
#   `n_H_prev`, ...). $m$ is the number of examples in a batch.
# - Arrays are **channels-last**: a batch of activations has shape `(m, n_H, n_W, n_C)`,
#   conv weights `(f, f, n_C_prev, n_C)` and biases `(1, 1, 1, n_C)`.

# %% [markdown] nbgrader={"grade": false, "grade_id": "how_graded", "locked": true, "schema_version": 3, "solution": false}
# ## How this notebook is graded
#
# - Each graded function has a `# YOUR CODE HERE` marker followed by
#   `raise NotImplementedError()`: replace that line with your code, and do not change
#   the function's name, arguments or return line.
# - Run the test cell under each function. The **visible tests** print a few values your
#   function computed and end with `All tests passed.`; when something is wrong they stop
#   with a sentence saying what. **Hidden tests** (other shapes, pads, strides and seeds)
#   run when your notebook is graded, so write general code, not code tuned to the
#   visible values.
# - Run the cells in order, top to bottom: later cells use the functions you wrote earlier.
# - Use numpy only; no TensorFlow inside the graded functions.

# %% nbgrader={"grade": false, "grade_id": "colab_install", "locked": true, "schema_version": 3, "solution": false}
# In Google Colab, install the course package; anywhere else this cell does nothing.
import sys

COLAB_PACKAGE = "cnn-course @ git+https://github.com/cnn-course/cnn-course"
if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "-q", COLAB_PACKAGE], check=True)

# %% tags=["setup"] nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
import time

import numpy as np
import matplotlib.pyplot as plt

from cnn_course.utils import quiet_tensorflow, smoke_mode
from cnn_course.utils import fast_layers, plots
from cnn_course.utils.gradcheck import eval_numerical_gradient_array, rel_error
from cnn_course.graders import w1a1_conv_step_by_step as grader

quiet_tensorflow()  # before TensorFlow is imported: nbgrader fails cells that log to stderr

# %% tags=["parameters"] nbgrader={"grade": false, "grade_id": "parameters", "locked": true, "schema_version": 3, "solution": false}
timing_examples = 100  # images in the loops-vs-vectorised-vs-TensorFlow timing
if smoke_mode():  # CNN_COURSE_SMOKE=1 or nbgrader grading: small and fast
    timing_examples = 4

# %% nbgrader={"grade": false, "grade_id": "zero_pad", "locked": false, "schema_version": 3, "solution": true}
def zero_pad(X, pad):
    """Pad every image of a batch with zeros on its height and width.

    Arguments:
    X -- numpy array of shape (m, n_H, n_W, n_C): a batch of m images
    pad -- integer, number of zeros added on each side of the height and width

    Returns:
    X_pad -- padded images, shape (m, n_H + 2 * pad, n_W + 2 * pad, n_C)
    """
    ### BEGIN SOLUTION
    X_pad = np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant", constant_values=0)
    ### END SOLUTION
    return X_pad


# %% nbgrader={"grade": true, "grade_id": "zero_pad_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""zero_pad adds zeros around height and width only, and keeps the values inside."""
grader.check_zero_pad(zero_pad)
### BEGIN HIDDEN TESTS
grader.check_zero_pad(zero_pad, hidden=True)
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "conv_single_step", "locked": false, "schema_version": 3, "solution": true}
def conv_single_step(a_slice_prev, W, b):
    """Apply one filter to one slice of the previous activation.

    Arguments:
    a_slice_prev -- slice of input data, shape (f, f, n_C_prev)
    W -- weights of one filter, shape (f, f, n_C_prev)
    b -- bias of that filter, shape (1, 1, 1)

    Returns:
    Z -- a scalar: sum(a_slice_prev * W) + b
    """
    ### BEGIN SOLUTION
    s = np.multiply(a_slice_prev, W)  # element-wise product, (f, f, n_C_prev)
    Z = np.sum(s)
    Z = Z + b.item()  # b.item(): float(b) on a (1, 1, 1) array fails in numpy 2
    ### END SOLUTION
    return Z


# %% nbgrader={"grade": true, "grade_id": "conv_single_step_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""conv_single_step returns the scalar sum(a_slice_prev * W) + b."""
grader.check_conv_single_step(conv_single_step)
### BEGIN HIDDEN TESTS
grader.check_conv_single_step(conv_single_step, hidden=True)
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "conv_forward", "locked": false, "schema_version": 3, "solution": true}
def conv_forward(A_prev, W, b, hparameters):
    """Forward pass of a convolution layer.

    Arguments:
    A_prev -- activations of the previous layer, shape (m, n_H_prev, n_W_prev, n_C_prev)
    W -- weights, shape (f, f, n_C_prev, n_C)
    b -- biases, shape (1, 1, 1, n_C)
    hparameters -- dict with keys "stride" and "pad"

    Returns:
    Z -- conv output, shape (m, n_H, n_W, n_C) with
         n_H = floor((n_H_prev - f + 2 * pad) / stride) + 1 (and the same for n_W)
    cache -- (A_prev, W, b, hparameters), for conv_backward
    """
    ### BEGIN SOLUTION
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]

    n_H = (n_H_prev - f + 2 * pad) // stride + 1
    n_W = (n_W_prev - f + 2 * pad) // stride + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = zero_pad(A_prev, pad)

    for i in range(m):
        a_prev_pad = A_prev_pad[i]  # (n_H_prev + 2 pad, n_W_prev + 2 pad, n_C_prev)
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                a_slice_prev = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                for c in range(n_C):
                    Z[i, h, w, c] = conv_single_step(a_slice_prev, W[:, :, :, c], b[:, :, :, c])
    ### END SOLUTION
    cache = (A_prev, W, b, hparameters)
    return Z, cache


# %% nbgrader={"grade": true, "grade_id": "conv_forward_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""conv_forward gives the right output size and values for several pads and strides."""
grader.check_conv_forward(conv_forward)
### BEGIN HIDDEN TESTS
grader.check_conv_forward(conv_forward, hidden=True)
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "pool_forward", "locked": false, "schema_version": 3, "solution": true}
def pool_forward(A_prev, hparameters, mode="max"):
    """Forward pass of a pooling layer.

    Arguments:
    A_prev -- input data, shape (m, n_H_prev, n_W_prev, n_C_prev)
    hparameters -- dict with keys "f" (window size) and "stride"
    mode -- "max" or "average"

    Returns:
    A -- output, shape (m, n_H, n_W, n_C_prev) with
         n_H = floor((n_H_prev - f) / stride) + 1 (and the same for n_W)
    cache -- (A_prev, hparameters), for pool_backward
    """
    ### BEGIN SOLUTION
    if mode not in ("max", "average"):
        raise ValueError(f'mode must be "max" or "average", got {mode!r}')
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    f = hparameters["f"]
    stride = hparameters["stride"]

    n_H = (n_H_prev - f) // stride + 1
    n_W = (n_W_prev - f) // stride + 1
    n_C = n_C_prev
    A = np.zeros((m, n_H, n_W, n_C))

    for i in range(m):
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_prev_slice = A_prev[i, vert_start:vert_end, horiz_start:horiz_end, c]
                    if mode == "max":
                        A[i, h, w, c] = np.max(a_prev_slice)
                    else:
                        A[i, h, w, c] = np.mean(a_prev_slice)
    ### END SOLUTION
    cache = (A_prev, hparameters)
    return A, cache


# %% nbgrader={"grade": true, "grade_id": "pool_forward_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""pool_forward computes max and average pooling with the right window, stride and size."""
grader.check_pool_forward(pool_forward)
### BEGIN HIDDEN TESTS
grader.check_pool_forward(pool_forward, hidden=True)
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "conv_backward", "locked": false, "schema_version": 3, "solution": true}
def conv_backward(dZ, cache):
    """Backward pass of a convolution layer.

    Arguments:
    dZ -- gradient of the cost with respect to Z, shape (m, n_H, n_W, n_C)
    cache -- (A_prev, W, b, hparameters), as returned by conv_forward

    Returns:
    dA_prev -- gradient with respect to A_prev, shape (m, n_H_prev, n_W_prev, n_C_prev)
    dW -- gradient with respect to W, shape (f, f, n_C_prev, n_C)
    db -- gradient with respect to b, shape (1, 1, 1, n_C)
    """
    ### BEGIN SOLUTION
    (A_prev, W, b, hparameters) = cache
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    (m, n_H, n_W, n_C) = dZ.shape

    dA_prev = np.zeros(A_prev.shape)
    dW = np.zeros(W.shape)
    db = np.zeros(b.shape)
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = zero_pad(dA_prev, pad)

    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        da_prev_pad = dA_prev_pad[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                a_slice = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                for c in range(n_C):
                    da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
        # strip the padding: the zeros added by zero_pad get no gradient
        dA_prev[i, :, :, :] = da_prev_pad[pad:pad + n_H_prev, pad:pad + n_W_prev, :]
    ### END SOLUTION
    return dA_prev, dW, db


# %% nbgrader={"grade": true, "grade_id": "conv_backward_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""conv_backward returns dA_prev, dW and db that match numerical gradients."""
grader.check_conv_backward(conv_backward)
### BEGIN HIDDEN TESTS
grader.check_conv_backward(conv_backward, hidden=True)
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "create_mask_from_window", "locked": false, "schema_version": 3, "solution": true}
def create_mask_from_window(x):
    """Mask of the position(s) of the maximum of a pooling window.

    Arguments:
    x -- array of shape (f, f)

    Returns:
    mask -- boolean array of shape (f, f), True where x equals its maximum
    """
    ### BEGIN SOLUTION
    mask = x == np.max(x)
    ### END SOLUTION
    return mask


# %% nbgrader={"grade": true, "grade_id": "create_mask_from_window_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""create_mask_from_window marks the maximum of the window and nothing else."""
grader.check_create_mask_from_window(create_mask_from_window)
### BEGIN HIDDEN TESTS
grader.check_create_mask_from_window(create_mask_from_window, hidden=True)
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "distribute_value", "locked": false, "schema_version": 3, "solution": true}
def distribute_value(dz, shape):
    """Spread a gradient evenly over a pooling window (average pooling).

    Arguments:
    dz -- scalar, the gradient of one output of an average pool
    shape -- (n_H, n_W), the shape of the window

    Returns:
    a -- array of shape (n_H, n_W) whose entries are all dz / (n_H * n_W)
    """
    ### BEGIN SOLUTION
    (n_H, n_W) = shape
    average = dz / (n_H * n_W)
    a = np.ones(shape) * average
    ### END SOLUTION
    return a


# %% nbgrader={"grade": true, "grade_id": "distribute_value_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""distribute_value spreads dz evenly over a window of the given shape."""
grader.check_distribute_value(distribute_value)
### BEGIN HIDDEN TESTS
grader.check_distribute_value(distribute_value, hidden=True)
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "pool_backward", "locked": false, "schema_version": 3, "solution": true}
def pool_backward(dA, cache, mode="max"):
    """Backward pass of a pooling layer.

    Arguments:
    dA -- gradient of the cost with respect to the pooling output, shape (m, n_H, n_W, n_C)
    cache -- (A_prev, hparameters), as returned by pool_forward
    mode -- "max" or "average"

    Returns:
    dA_prev -- gradient with respect to A_prev, same shape as A_prev
    """
    ### BEGIN SOLUTION
    if mode not in ("max", "average"):
        raise ValueError(f'mode must be "max" or "average", got {mode!r}')
    (A_prev, hparameters) = cache
    stride = hparameters["stride"]
    f = hparameters["f"]
    (m, n_H, n_W, n_C) = dA.shape
    dA_prev = np.zeros(A_prev.shape)

    for i in range(m):
        a_prev = A_prev[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    if mode == "max":
                        a_prev_slice = a_prev[vert_start:vert_end, horiz_start:horiz_end, c]
                        mask = create_mask_from_window(a_prev_slice)
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += mask * dA[i, h, w, c]
                    else:
                        da = dA[i, h, w, c]
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += distribute_value(da, (f, f))
    ### END SOLUTION
    return dA_prev


# %% nbgrader={"grade": true, "grade_id": "pool_backward_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""pool_backward routes the gradient to the max (max mode) or spreads it (average mode)."""
grader.check_pool_backward(pool_backward)
### BEGIN HIDDEN TESTS
grader.check_pool_backward(pool_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "summary", "locked": true, "schema_version": 3, "solution": false}
# ## Summary
#
# TODO(helper)
