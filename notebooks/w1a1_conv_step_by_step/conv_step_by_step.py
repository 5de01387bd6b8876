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
# - The longer functions come with an outline in comments under that line: the loops and
#   steps in order, with `None` where your code goes and about how many lines each step
#   takes. Remove the `raise` line, uncomment the outline and complete it.
# - Run the test cell under each function. The **visible tests** print a few values your
#   function computed and end with `All tests passed.`; when something is wrong they stop
#   with a sentence saying what. **Hidden tests** (other shapes, pads, strides and seeds)
#   run when your notebook is graded, so write general code, not code tuned to the
#   visible values.
# - Run the cells in order, top to bottom: later cells use the functions you wrote earlier.
# - The grader runs only the setup cell and the graded cells: keep any helper you write
#   inside the graded cell that uses it.
# - Use numpy only; no TensorFlow inside the graded functions.
# - One question is answered in words, in the cell under it, and graded by your instructor.

# %% nbgrader={"grade": false, "grade_id": "colab_install", "locked": true, "schema_version": 3, "solution": false}
# In Google Colab, install the course package; anywhere else this cell does nothing.
import os
import sys
from pathlib import Path

STUDENT_PACKAGE = "cnn_course-0.1.0-py3-none-any.whl"  # what the course installs (set at release)
if "google.colab" in sys.modules:
    import subprocess

    install = STUDENT_PACKAGE
    if install.endswith(".whl") and "://" not in install:  # the wheel handed out with this notebook
        found = sorted(Path.cwd().glob(install))
        if not found:
            from google.colab import drive

            drive.mount("/content/drive")  # the assignment folder may be in your Drive
            found = sorted(Path("/content/drive/MyDrive").rglob(install))
        if not found:
            raise FileNotFoundError(f"{install} came with this notebook: upload it with the "
                                    "Files pane on the left, or put it beside the notebook in "
                                    "your Drive.")
        install = str(found[0])
        os.environ["CNN_COURSE_ASSETS"] = str(found[0].parent)  # the weights files lie beside it
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", install], check=True)

# %% tags=["setup"] nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
import time

import numpy as np
import matplotlib.pyplot as plt

from cnn_course.utils import quiet_tensorflow
from cnn_course.utils import fast_layers, plots
from cnn_course.utils.gradcheck import eval_numerical_gradient_array, rel_error
from cnn_course.checks import w1a1_conv_step_by_step as checks

quiet_tensorflow()  # before TensorFlow is imported: keeps its start-up messages out of the notebook

# %% tags=["parameters"] smoke={"timing_examples": 4} nbgrader={"grade": false, "grade_id": "parameters", "locked": true, "schema_version": 3, "solution": false}
timing_examples = 100  # images in the loops-vs-vectorised-vs-TensorFlow timing

# %% [markdown] nbgrader={"grade": false, "grade_id": "roadmap", "locked": true, "schema_version": 3, "solution": false}
# ## Roadmap
#
# You will write nine small functions, each building on the previous ones, and answer one
# question in words:
#
# 1. **Convolution, forward**: `zero_pad`, `conv_output_shape` (the size of the output),
#    `conv_single_step` (one window), `conv_forward` (the whole layer).
# 2. **Pooling, forward**: `pool_forward`, in max and average mode.
# 3. **Backward passes**: `conv_backward`, then `create_mask_from_window` and
#    `distribute_value`, the two helpers of `pool_backward`.
#
# Along the way, figures show what each piece does to a real photograph. At the end you
# check your gradients numerically and time your loops against vectorised code and
# TensorFlow.

# %% [markdown] nbgrader={"grade": false, "grade_id": "zero_pad_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 1. Convolution, forward pass
#
# ### 1.1 Zero padding
#
# Padding surrounds each image with a frame of zeros, `pad` pixels thick, on the height
# and the width (never on the batch or channel axis). It serves two purposes:
#
# - **It keeps the size.** A 3x3 filter on a 64x64 image without padding gives 62x62;
#   after ten such layers the image is 44x44. With `pad = 1` the output stays 64x64 (a
#   "same" convolution), so you can stack many layers.
# - **It keeps the border.** Without padding, a corner pixel falls inside one window only,
#   while a central pixel falls in nine: the border counts less. With padding every pixel
#   of the image is visited as often.
#
# A batch of shape $(m, n_H, n_W, n_C)$ becomes $(m, n_H + 2p, n_W + 2p, n_C)$.
#
# **Hint.** `np.pad(array, pad_width, mode="constant", constant_values=0)` takes one
# `(before, after)` pair per axis in `pad_width`; use `(0, 0)` for the axes you leave alone.

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
checks.check_zero_pad(zero_pad)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w1a1_conv_step_by_step as grader
grader.check_zero_pad(zero_pad, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "demo_zero_pad_intro", "locked": true, "schema_version": 3, "solution": false}
# **See it.** The next cell pads a 64x64 photograph with your `zero_pad` (`pad = 8`, so that
# the frame is easy to see). The dashed line marks where the original pixels are.

# %% nbgrader={"grade": false, "grade_id": "demo_zero_pad", "locked": true, "schema_version": 3, "solution": false}
image = plots.load_sample_image(64)             # (64, 64, 3), values in [0, 1]
pad = 8
padded = zero_pad(image[np.newaxis], pad)[0]    # zero_pad works on a batch: add, then drop, axis 0
fig = plots.plot_padding(image, padded, pad)

# %% [markdown] nbgrader={"grade": false, "grade_id": "conv_single_step_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 1.2 One step of convolution
#
# A filter is a small block of weights, `f x f x n_C_prev`: as deep as its input. One step
# of convolution places the filter on one window of the input, the slice `a_slice_prev` of
# the same shape, multiplies the two element by element, adds everything up and adds the
# bias:
#
# $$Z = \sum_{i=1}^{f} \sum_{j=1}^{f} \sum_{k=1}^{n_{C_{prev}}} a_{i,j,k}\, W_{i,j,k} \; + \; b$$
#
# The result is **one number**: how strongly this window matches the pattern the filter
# encodes. A convolution layer repeats this step for every window and every filter.
#
# **Hints.** `a * W` (or `np.multiply`) multiplies element by element; `np.sum` adds up
# every entry. `b` is an array of shape `(1, 1, 1)`: `b.item()` turns it into a Python
# number, so that `Z` comes out as a scalar and not as an array.

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
checks.check_conv_single_step(conv_single_step)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w1a1_conv_step_by_step as grader
grader.check_conv_single_step(conv_single_step, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "conv_forward_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 1.3 The convolution layer
#
# The layer slides each filter over the padded input. The **stride** $s$ is the step
# between two neighbouring windows: output position `(h, w)` reads the window whose
# top-left corner is at row `h * s` and column `w * s` of the padded input. With a filter
# of size $f$ and padding $p$, the output has
#
# $$n_H = \left\lfloor \frac{n_{H_{prev}} - f + 2p}{s} \right\rfloor + 1, \qquad
# n_W = \left\lfloor \frac{n_{W_{prev}} - f + 2p}{s} \right\rfloor + 1, \qquad
# n_C = \text{number of filters}.$$
#
# The floor $\lfloor\cdot\rfloor$ drops the last window when it would stick out of the
# padded input. Each filter produces one output channel, so a layer with 8 filters turns
# any input into 8 channels.
#
# The figure below shows a 7x7 input (its cells numbered), a 3x3 window and stride 2: the
# first windows, and the output cell each one fills.

# %% nbgrader={"grade": false, "grade_id": "demo_sliding_window_stride", "locked": true, "schema_version": 3, "solution": false}
x = np.arange(1, 50).reshape(7, 7)  # a one-channel 7 x 7 input
fig = plots.plot_sliding_window(x, f=3, stride=2, pad=0)

# %% [markdown] nbgrader={"grade": false, "grade_id": "demo_sliding_window_pad_intro", "locked": true, "schema_version": 3, "solution": false}
# Now padding: a 5x5 input, `pad = 1` (the grey zeros), stride 1. The output keeps the
# input's 5x5 size, and the corner values take part in as many windows as their neighbours.
# Row and column numbers in the titles count in the *padded* input.

# %% nbgrader={"grade": false, "grade_id": "demo_sliding_window_pad", "locked": true, "schema_version": 3, "solution": false}
x = np.arange(1, 26).reshape(5, 5)
fig = plots.plot_sliding_window(x, f=3, stride=1, pad=1)

# %% [markdown] nbgrader={"grade": false, "grade_id": "conv_output_shape_intro", "locked": true, "schema_version": 3, "solution": false}
# **Your turn: `conv_output_shape`.** Before writing the layer, compute the shape of what it
# outputs. `conv_output_shape(input_shape, n_filters, f, pad, stride)` takes the shape
# `(n_H_prev, n_W_prev, n_C_prev)` of one input (no batch axis) and the layer's settings, and
# returns `(n_H, n_W, n_C)`: the formula above for the height and the width, and one channel
# per filter.
#
# **Hint.** `//` divides integers and rounds down, which is the floor of the formula; the
# three sizes must be integers.

# %% nbgrader={"grade": false, "grade_id": "conv_output_shape", "locked": false, "schema_version": 3, "solution": true}
def conv_output_shape(input_shape, n_filters, f, pad, stride):
    """Shape of a convolution layer's output for one input.

    Arguments:
    input_shape -- (n_H_prev, n_W_prev, n_C_prev), the shape of one input
    n_filters -- number of filters of the layer
    f -- size of each filter (f x f)
    pad -- number of zeros added on each side of the height and width
    stride -- step between two neighbouring windows

    Returns:
    (n_H, n_W, n_C) -- a tuple of three integers
    """
    ### BEGIN SOLUTION
    n_H_prev, n_W_prev, n_C_prev = input_shape
    n_H = int(np.floor((n_H_prev + 2 * pad - f) / stride)) + 1
    n_W = int(np.floor((n_W_prev + 2 * pad - f) / stride)) + 1
    n_C = n_filters
    ### END SOLUTION
    return (n_H, n_W, n_C)


# %% nbgrader={"grade": true, "grade_id": "conv_output_shape_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""conv_output_shape applies the output-size formula (floor included), one channel per filter."""
checks.check_conv_output_shape(conv_output_shape)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w1a1_conv_step_by_step as grader
grader.check_conv_output_shape(conv_output_shape, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "layer_shapes_intro", "locked": true, "schema_version": 3, "solution": false}
# **Use it.** Three convolution layers, one after the other, on a 64x64 colour image. Work
# out each output shape on paper first, then run the next cell, which computes them with
# your `conv_output_shape`.
#
# | layer | input shape | filters | $f$ | pad | stride | output shape |
# |---|---|---|---|---|---|---|
# | conv1 | (64, 64, 3) | 8 | 3 | 1 | 1 | ? |
# | conv2 | output of conv1 | 16 | 5 | 0 | 2 | ? |
# | conv3 | output of conv2 | 32 | 3 | 1 | 2 | ? |
#
# Which layer keeps the height and width, and why? Which settings halve them?

# %% nbgrader={"grade": false, "grade_id": "demo_layer_shapes", "locked": true, "schema_version": 3, "solution": false}
# name, filters, f, pad, s
layers = [("conv1", 8, 3, 1, 1), ("conv2", 16, 5, 0, 2), ("conv3", 32, 3, 1, 2)]
shape = (64, 64, 3)
for name, n_filters, f, pad, stride in layers:
    output = conv_output_shape(shape, n_filters, f, pad, stride)
    print(f"{name}: {shape} -> {output}  ({n_filters} filters, f={f}, pad={pad}, stride={stride})")
    shape = output

# %% [markdown] nbgrader={"grade": false, "grade_id": "question_padding_stride_filter", "locked": true, "schema_version": 3, "solution": false}
# ### Question (2 points, graded by hand)
#
# In a few sentences: what do the **padding**, the **stride** and the **filter** each do in a
# convolution layer, and why would you pad? Write your answer in the next cell.

# %% [markdown] nbgrader={"grade": true, "grade_id": "answer_padding_stride_filter", "locked": false, "points": 2, "schema_version": 3, "solution": true}
# ### BEGIN SOLUTION
# The filter is a small block of learnt weights, as deep as its input: at each position it
# multiplies a window of the input element by element and adds everything up (plus a bias),
# so each output value says how strongly that window matches the pattern the filter encodes
# (an edge, a texture); each filter gives one output channel. The stride is the step between
# two windows: a stride of 2 visits every other position and roughly halves the height and
# width. Padding adds a frame of zeros around the input before the filter slides over it. We
# pad to keep the height and width (a "same" convolution, so that many layers can be stacked
# without the image shrinking away), and so that the pixels at the border take part in as
# many windows as the others instead of being nearly ignored.
#
# Rubric (2 points): 1 point for what the filter and the stride do (a learnt pattern
# detector applied to every window, one output channel per filter; the step between windows,
# which shrinks the output); 1 point for padding (zeros around the input) and at least one
# reason to pad (keep the size, use the border pixels as much as the others).
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "conv_forward_howto", "locked": true, "schema_version": 3, "solution": false}
# **Your turn: `conv_forward`.** Four nested loops: over the examples `i`, the output rows
# `h`, the output columns `w` and the filters `c`. For each position:
#
# ```
# vert_start = h * stride        vert_end = vert_start + f
# horiz_start = w * stride       horiz_end = horiz_start + f
# a_slice_prev = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
# ```
#
# then one `conv_single_step` with filter `c` gives `Z[i, h, w, c]`.
#
# **Hints.**
#
# - Read the sizes from the shapes: `(m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape`,
#   `(f, f, n_C_prev, n_C) = W.shape`.
# - Compute `n_H` and `n_W` with the formula above; `//` is floor division on integers.
# - Pad once with your `zero_pad`, then allocate the output with `np.zeros`.
# - Filter `c` is `W[:, :, :, c]` and its bias `b[:, :, :, c]`.

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
    ### BEGIN SKELETON
    # # About 20 lines: replace every None, keeping the loops in this order.
    # (m, n_H_prev, n_W_prev, n_C_prev) = None   # from A_prev's shape
    # (f, f, n_C_prev, n_C) = None               # from W's shape
    # stride = None
    # pad = None
    #
    # n_H = None          # the output-size formula
    # n_W = None
    # Z = None            # zeros of shape (m, n_H, n_W, n_C)
    # A_prev_pad = None   # A_prev padded once, with your zero_pad
    #
    # for i in range(None):                   # every example
    #     a_prev_pad = None                   # its padded activation
    #     for h in range(None):               # every output row
    #         vert_start = None
    #         vert_end = None
    #         for w in range(None):           # every output column
    #             horiz_start = None
    #             horiz_end = None
    #             a_slice_prev = None         # the window, (f, f, n_C_prev)
    #             for c in range(None):       # every filter
    #                 Z[i, h, w, c] = None    # one conv_single_step with filter c and its bias
    ### END SKELETON
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
checks.check_conv_forward(conv_forward)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w1a1_conv_step_by_step as grader
grader.check_conv_forward(conv_forward, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "demo_edge_detection_intro", "locked": true, "schema_version": 3, "solution": false}
# **What does a filter do?** Here is a hand-made filter: `+1` on its left column, `-1` on its
# right column. On a flat region the two cancel out and the output is near zero; where the
# picture is brighter on the left than on the right, the output is large and positive (red),
# and in the opposite case negative (blue). It is a **vertical-edge detector**. Your
# `conv_forward` applies it to a gray version of the photograph.

# %% nbgrader={"grade": false, "grade_id": "demo_edge_detection", "locked": true, "schema_version": 3, "solution": false}
gray = plots.load_sample_image(128, gray=True)  # (128, 128), values in [0, 1]
vertical_edge = np.array([[1.0, 0.0, -1.0],
                          [1.0, 0.0, -1.0],
                          [1.0, 0.0, -1.0]])
A_prev = gray.reshape(1, 128, 128, 1)           # a batch of one image with one channel
W = vertical_edge.reshape(3, 3, 1, 1)           # one filter reading one channel
b = np.zeros((1, 1, 1, 1))
Z, _ = conv_forward(A_prev, W, b, {"pad": 1, "stride": 1})
fig = plots.plot_edge_detection(gray, vertical_edge, Z[0, :, :, 0])

# %% [markdown] nbgrader={"grade": false, "grade_id": "demo_edge_detection_outro", "locked": true, "schema_version": 3, "solution": false}
# Notice the stripes of the flag and the sides of the face and collar. The thin red line on
# the right border is the padding at work: there the bright background meets the zeros
# added by `zero_pad`. Try `vertical_edge.T` to find horizontal edges instead.
#
# In a trained network nobody writes these weights by hand: the first layers *learn* filters
# much like this one, and deeper layers combine their outputs into detectors of textures,
# parts and objects.

# %% [markdown] nbgrader={"grade": false, "grade_id": "pool_forward_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 2. Pooling, forward pass
#
# A pooling layer shrinks the height and width of its input, which makes later layers
# cheaper and the network less sensitive to where exactly a feature sits. It slides an
# `f x f` window with a stride, like a convolution, but it has **no parameters to learn**
# and it works on **each channel separately**:
#
# - **max pooling** keeps the largest value of each window: "was this feature present
#   anywhere in the window?";
# - **average pooling** keeps the mean of each window: a smoothed, lower-resolution summary.
#
# Pooling here uses no padding, and the number of channels does not change:
#
# $$n_H = \left\lfloor \frac{n_{H_{prev}} - f}{s} \right\rfloor + 1, \qquad
# n_W = \left\lfloor \frac{n_{W_{prev}} - f}{s} \right\rfloor + 1, \qquad n_C = n_{C_{prev}}.$$
#
# **Hints.** The loops are those of `conv_forward`, with the channel `c` of the input in
# place of the filter. The window is the 2D slice
# `A_prev[i, vert_start:vert_end, horiz_start:horiz_end, c]`; reduce it with `np.max` or
# `np.mean`. The hyperparameters are `hparameters["f"]` and `hparameters["stride"]`. Any
# `mode` other than `"max"` and `"average"` should raise a `ValueError`.

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
    ### BEGIN SKELETON
    # # About 20 lines: replace every None.
    # # First refuse a mode other than "max" and "average" with a ValueError (2 lines).
    # (m, n_H_prev, n_W_prev, n_C_prev) = None   # from A_prev's shape
    # f = None
    # stride = None
    #
    # n_H = None          # no padding in pooling
    # n_W = None
    # n_C = None
    # A = None            # zeros of shape (m, n_H, n_W, n_C)
    #
    # for i in range(None):                   # every example
    #     for h in range(None):               # every output row
    #         vert_start = None
    #         vert_end = None
    #         for w in range(None):           # every output column
    #             horiz_start = None
    #             horiz_end = None
    #             for c in range(None):       # every channel
    #                 a_prev_slice = None     # the window of channel c, (f, f)
    #                 # The max of the window in mode "max", its mean in mode "average" (4 lines).
    #                 A[i, h, w, c] = None
    ### END SKELETON
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
checks.check_pool_forward(pool_forward)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w1a1_conv_step_by_step as grader
grader.check_pool_forward(pool_forward, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "demo_pooling_intro", "locked": true, "schema_version": 3, "solution": false}
# **See it.** Your `pool_forward` with `f = 4` and stride 4 turns the 64x64 photograph into
# 16x16, each output pixel summarising a 4x4 block, channel by channel. Max pooling keeps the
# brightest value of each block, so thin bright details (the white collar, the stars) spread
# out; average pooling blurs them.

# %% nbgrader={"grade": false, "grade_id": "demo_pooling", "locked": true, "schema_version": 3, "solution": false}
image = plots.load_sample_image(64)                     # (64, 64, 3)
hparameters = {"f": 4, "stride": 4}
A_max, _ = pool_forward(image[np.newaxis], hparameters, mode="max")
A_avg, _ = pool_forward(image[np.newaxis], hparameters, mode="average")
fig = plots.plot_pooling(image, A_max[0], A_avg[0], f=4, stride=4)

# %% [markdown] nbgrader={"grade": false, "grade_id": "backward_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 3. Backward passes
#
# Frameworks compute the backward pass for you; writing it once shows where each gradient
# comes from. A backward function receives the gradient of the cost with respect to the
# layer's **output** and returns the gradients with respect to its **inputs** and
# **parameters**, using what the forward pass left in its `cache`.

# %% [markdown] nbgrader={"grade": false, "grade_id": "conv_backward_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 3.1 Convolution backward
#
# Each output value is $Z_{hwc} = \sum a_{slice} \cdot W_c + b_c$, where $a_{slice}$ is the
# window read at position `(h, w)`. Its derivatives are simple: $W_c$ with respect to the
# window, $a_{slice}$ with respect to the filter, and $1$ with respect to the bias. By the
# chain rule, every output `(i, h, w, c)` **adds** its share, weighted by
# $dZ_{hwc}$ = `dZ[i, h, w, c]`:
#
# $$dA_{slice} \mathrel{+}= W_c \, dZ_{hwc}, \qquad dW_c \mathrel{+}= a_{slice}\, dZ_{hwc},
# \qquad db_c = \sum_{i,h,w} dZ_{hwc}.$$
#
# The sums are there because a pixel belongs to several windows and a filter is used at
# every position: each use contributes to its gradient.
#
# **Hints.**
#
# - Reuse the four loops and slice indices of `conv_forward`.
# - Work on padded arrays: `A_prev_pad = zero_pad(A_prev, pad)` and a padded `dA_prev_pad`
#   full of zeros, then `dA_prev_pad[i, vert_start:vert_end, horiz_start:horiz_end, :] += ...`
#   and `dW[:, :, :, c] += ...`.
# - At the end of each example, copy the inner part of `dA_prev_pad[i]` into `dA_prev[i]`:
#   the padding zeros are constants and get no gradient. Careful: `x[pad:-pad]` is empty
#   when `pad = 0`; `x[pad:pad + n_H_prev]` always works.

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
    ### BEGIN SKELETON
    # # About 25 lines: replace every None.
    # (A_prev, W, b, hparameters) = None         # what conv_forward kept
    # (m, n_H_prev, n_W_prev, n_C_prev) = None
    # (f, f, n_C_prev, n_C) = None
    # stride = None
    # pad = None
    # (m, n_H, n_W, n_C) = None                  # from dZ's shape
    #
    # dA_prev = None      # zeros shaped like A_prev
    # dW = None           # zeros shaped like W
    # db = None           # zeros shaped like b
    # A_prev_pad = None   # both padded with your zero_pad
    # dA_prev_pad = None
    #
    # for i in range(None):                   # every example
    #     a_prev_pad = None
    #     da_prev_pad = None
    #     for h in range(None):               # every output row
    #         vert_start = None
    #         vert_end = None
    #         for w in range(None):           # every output column
    #             horiz_start = None
    #             horiz_end = None
    #             a_slice = None              # the window of a_prev_pad
    #             for c in range(None):       # every filter: add this output's share
    #                 da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += None
    #                 dW[:, :, :, c] += None
    #                 db[:, :, :, c] += None
    #     dA_prev[i, :, :, :] = None          # da_prev_pad without its padding
    ### END SKELETON
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
                    da_prev_pad[vert_start:vert_end,
                                horiz_start:horiz_end, :] += W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
        # strip the padding: the zeros added by zero_pad get no gradient
        dA_prev[i, :, :, :] = da_prev_pad[pad:pad + n_H_prev, pad:pad + n_W_prev, :]
    ### END SOLUTION
    return dA_prev, dW, db


# %% nbgrader={"grade": true, "grade_id": "conv_backward_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""conv_backward returns dA_prev, dW and db that match numerical gradients."""
checks.check_conv_backward(conv_backward)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w1a1_conv_step_by_step as grader
grader.check_conv_backward(conv_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "create_mask_from_window_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 3.2 Pooling backward
#
# A pooling layer has no parameters, so its backward pass only computes `dA_prev`. It needs
# two helpers, one per mode.
#
# **Max pooling.** The output of a window is its largest entry; nudging any other entry does
# not change it. So the whole gradient of that output goes to the position of the maximum,
# and the other entries get zero. A **mask** records that position:
#
# $$X = \begin{bmatrix} 1 & 3 \\ 4 & 2 \end{bmatrix} \quad \rightarrow \quad
# M = \begin{bmatrix} 0 & 0 \\ 1 & 0 \end{bmatrix}$$
#
# **Hint.** Comparing an array with a number, `x == value`, gives a boolean array of the same
# shape; `np.max(x)` is the value to compare with.

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
checks.check_create_mask_from_window(create_mask_from_window)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w1a1_conv_step_by_step as grader
grader.check_create_mask_from_window(create_mask_from_window, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "distribute_value_intro", "locked": true, "schema_version": 3, "solution": false}
# **Average pooling.** Every entry of an `n_H x n_W` window counts for $1/(n_H n_W)$ of the
# output, so the gradient `dz` of that output is shared equally:
#
# $$dz = 2,\ \text{window } 2 \times 2 \quad \rightarrow \quad
# \begin{bmatrix} 1/2 & 1/2 \\ 1/2 & 1/2 \end{bmatrix}$$
#
# **Hint.** `np.ones(shape)` times a number gives an array filled with that number.

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
checks.check_distribute_value(distribute_value)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w1a1_conv_step_by_step as grader
grader.check_distribute_value(distribute_value, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "pool_backward_intro", "locked": true, "schema_version": 3, "solution": false}
# **Putting it together: `pool_backward`.** Loop over `i`, `h`, `w` and `c` as in
# `pool_forward`, and for each output send its gradient `dA[i, h, w, c]` back to its window
# of `dA_prev`:
#
# - in max mode, take the window of `A_prev` (from the cache), build its mask, and add
#   `mask * dA[i, h, w, c]` to the same window of `dA_prev`;
# - in average mode, add `distribute_value(dA[i, h, w, c], (f, f))` to the window.
#
# Add with `+=`, never assign: when the stride is smaller than `f`, windows overlap and an
# input entry collects gradient from several outputs.

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
    ### BEGIN SKELETON
    # # About 20 lines: replace every None.
    # # First refuse a mode other than "max" and "average" with a ValueError (2 lines).
    # (A_prev, hparameters) = None            # what pool_forward kept
    # stride = None
    # f = None
    # (m, n_H, n_W, n_C) = None               # from dA's shape
    # dA_prev = None                          # zeros shaped like A_prev
    #
    # for i in range(None):                   # every example
    #     a_prev = None
    #     for h in range(None):               # every output row
    #         vert_start = None
    #         vert_end = None
    #         for w in range(None):           # every output column
    #             horiz_start = None
    #             horiz_end = None
    #             for c in range(None):       # every channel
    #                 # Mode "max": the mask of a_prev's window in channel c, times dA[i, h, w, c];
    #                 # mode "average": dA[i, h, w, c] spread by distribute_value (about 6 lines).
    #                 dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += None
    ### END SKELETON
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
                        dA_prev[i, vert_start:vert_end,
                                horiz_start:horiz_end, c] += mask * dA[i, h, w, c]
                    else:
                        da = dA[i, h, w, c]
                        dA_prev[i, vert_start:vert_end,
                                horiz_start:horiz_end, c] += distribute_value(da, (f, f))
    ### END SOLUTION
    return dA_prev


# %% nbgrader={"grade": true, "grade_id": "pool_backward_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""pool_backward routes the gradient to the max (max mode) or spreads it (average mode)."""
checks.check_pool_backward(pool_backward)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w1a1_conv_step_by_step as grader
grader.check_pool_backward(pool_backward, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "gradcheck_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 4. Check your backward pass numerically
#
# The tests compared your gradients with known values. A gradient check needs no known
# values at all: it estimates each derivative from the forward pass alone, with a centred
# difference,
#
# $$\frac{\partial L}{\partial x_k} \approx \frac{L(x + h\,e_k) - L(x - h\,e_k)}{2h},
# \qquad h = 10^{-5},$$
#
# where $L = \sum (\text{forward}(x) \cdot d_{out})$ for a random upstream gradient
# $d_{out}$; the gradient of that $L$ is exactly what your backward function returns for
# `d_out`. `eval_numerical_gradient_array(f, x, d_out)` computes the estimate and
# `rel_error(a, b)` the largest relative difference, $\max |a - b| / (|a| + |b|)$. For a
# correct backward pass in float64 it is **around 1e-8 or smaller**; above about 1e-5 there
# is almost surely a bug. This is how you would test a layer you invent yourself.

# %% nbgrader={"grade": false, "grade_id": "gradcheck_conv", "locked": true, "schema_version": 3, "solution": false}
rng = np.random.default_rng(1)
A_prev = rng.standard_normal((2, 5, 5, 3))
W = rng.standard_normal((3, 3, 3, 4))
b = rng.standard_normal((1, 1, 1, 4))
hparameters = {"pad": 1, "stride": 2}
Z, cache = conv_forward(A_prev, W, b, hparameters)
dZ = rng.standard_normal(Z.shape)  # a random upstream gradient
dA_prev, dW, db = conv_backward(dZ, cache)

errors = {
    "dA_prev": rel_error(dA_prev, eval_numerical_gradient_array(
        lambda a: conv_forward(a, W, b, hparameters)[0], A_prev, dZ)),
    "dW": rel_error(dW, eval_numerical_gradient_array(
        lambda w: conv_forward(A_prev, w, b, hparameters)[0], W, dZ)),
    "db": rel_error(db, eval_numerical_gradient_array(
        lambda v: conv_forward(A_prev, W, v, hparameters)[0], b, dZ)),
}
for name, error in errors.items():
    print(f"conv_backward {name:8s} relative error: {error:.1e}  "
          "(expected: around 1e-8 or smaller)")
    assert error < 1e-6, f"{name} disagrees with the numerical gradient: check conv_backward"

# %% [markdown] nbgrader={"grade": false, "grade_id": "gradcheck_pool_intro", "locked": true, "schema_version": 3, "solution": false}
# Max pooling is not differentiable where two entries of a window tie for the maximum: a
# nudge of $h$ would change which one wins. The input below holds distinct values, spaced far
# more than $h$ apart, so that the check is meaningful. The windows (`f = 3`, stride 2)
# overlap, which also checks that your gradients add up.

# %% nbgrader={"grade": false, "grade_id": "gradcheck_pool", "locked": true, "schema_version": 3, "solution": false}
rng = np.random.default_rng(2)
shape = (2, 5, 5, 3)
A_prev = rng.permutation(np.prod(shape)).reshape(shape) / np.prod(shape)  # distinct values
hparameters = {"f": 3, "stride": 2}


def pool_gradient_error(mode):
    """rel_error between pool_backward and the numerical gradient, in the given mode."""
    A, cache = pool_forward(A_prev, hparameters, mode=mode)
    dA = rng.standard_normal(A.shape)
    numerical = eval_numerical_gradient_array(
        lambda a: pool_forward(a, hparameters, mode=mode)[0], A_prev, dA)
    return rel_error(pool_backward(dA, cache, mode=mode), numerical)


for mode in ("max", "average"):
    error = pool_gradient_error(mode)
    print(f"pool_backward {mode:8s} relative error: {error:.1e}  "
          "(expected: around 1e-8 or smaller)")
    assert error < 1e-6, f"pool_backward disagrees with the numerical gradient in {mode} mode"

# %% [markdown] nbgrader={"grade": false, "grade_id": "timing_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 5. How fast is a loop?
#
# Your layers are correct, but every window costs a trip through the Python interpreter.
# Here the same convolution runs three ways, on the same data (`timing_examples` images of
# 64x64x3, 8 filters of 3x3, pad 1, stride 1):
#
# - **your `conv_forward`**: Python loops over every example, row, column and filter;
# - **`fast_layers.conv_forward`** (from this course's package, same signature): it builds a
#   strided *view* of every window of every image (no copy, no Python loop over positions),
#   then multiplies the windows by all the filters in a few large numpy matrix products;
# - **`tf.nn.conv2d`**: TensorFlow's compiled, multi-threaded convolution kernel.
#
# All three must agree to `1e-6`. The loop version takes a while with 100 images (tens of
# seconds on a laptop).

# %% nbgrader={"grade": false, "grade_id": "timing_data", "locked": true, "schema_version": 3, "solution": false}
rng = np.random.default_rng(0)
A_prev = rng.standard_normal((timing_examples, 64, 64, 3))
W = rng.standard_normal((3, 3, 3, 8))
b = rng.standard_normal((1, 1, 1, 8))
hparameters = {"pad": 1, "stride": 1}
seconds = {}  # implementation -> best run time


def best_time(fn, repeats=1):
    """Run fn() `repeats` times; return the shortest wall-clock time and the last result."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result

# %% tags=["slow"] nbgrader={"grade": false, "grade_id": "timing_loops", "locked": true, "schema_version": 3, "solution": false}
seconds["your conv_forward (loops)"], (Z_loops, _) = best_time(
    lambda: conv_forward(A_prev, W, b, hparameters))
print(f"your conv_forward: {seconds['your conv_forward (loops)']:.2f} s")

# %% nbgrader={"grade": false, "grade_id": "timing_fast", "locked": true, "schema_version": 3, "solution": false}
import tensorflow as tf  # after quiet_tensorflow() (setup cell), so nothing is logged

A_prev_pad = np.pad(A_prev, ((0, 0), (1, 1), (1, 1), (0, 0)))  # pad here, then "VALID"


def tf_conv():
    return tf.nn.conv2d(A_prev_pad, W, strides=1, padding="VALID").numpy() + b


tf_conv()  # the first call sets TensorFlow up: keep it out of the timing
seconds["fast_layers.conv_forward"], (Z_fast, _) = best_time(
    lambda: fast_layers.conv_forward(A_prev, W, b, hparameters), repeats=5)
seconds["tf.nn.conv2d"], Z_tf = best_time(tf_conv, repeats=5)

# %% tags=["slow"] nbgrader={"grade": false, "grade_id": "timing_results", "locked": true, "schema_version": 3, "solution": false}
np.testing.assert_allclose(Z_fast, Z_loops, atol=1e-6)
np.testing.assert_allclose(Z_tf, Z_loops, atol=1e-6)
print(f"{timing_examples} images 64x64x3, 8 filters 3x3: the three outputs agree to 1e-6\n")
print(f"{'implementation':28s} {'seconds':>9s} {'speed-up':>9s}")
for name, t in seconds.items():
    print(f"{name:28s} {t:9.4f} {seconds['your conv_forward (loops)'] / t:8.0f}x")
fig = plots.plot_timings(list(seconds), list(seconds.values()))

# %% [markdown] nbgrader={"grade": false, "grade_id": "timing_outro", "locked": true, "schema_version": 3, "solution": false}
# The loops lose by two to three orders of magnitude, for the same arithmetic. That is why
# real networks never run Python loops over pixels: the vectorised version hands numpy a
# few large operations, and TensorFlow adds compiled kernels and all your CPU cores (or a
# GPU). You wrote the loops to understand the layer; from the next assignment on, a
# framework runs it for you.

# %% [markdown] nbgrader={"grade": false, "grade_id": "summary", "locked": true, "schema_version": 3, "solution": false}
# ## Summary
#
# You built, in numpy, the two layers every convolutional network is made of:
#
# - a **convolution layer**, forward (`zero_pad`, `conv_output_shape`, `conv_single_step`,
#   `conv_forward`) and backward (`conv_backward`);
# - a **pooling layer**, max and average, forward (`pool_forward`) and backward
#   (`create_mask_from_window`, `distribute_value`, `pool_backward`);
#
# and you checked the backward passes against numerical gradients.
#
# **What to remember.**
#
# - Output size of a convolution with filter $f$, padding $p$ and stride $s$:
#   $n_H = \left\lfloor \frac{n_{H_{prev}} - f + 2p}{s} \right\rfloor + 1$ (and the same for
#   $n_W$); $n_C$ is the number of filters. Pooling: the same formula with $p = 0$, and
#   $n_C = n_{C_{prev}}$.
# - Padding keeps the size and the border; the stride skips positions and shrinks the output.
# - A filter is a pattern detector, as deep as its input; its weights are learnt.
# - Pooling has no parameters: max pooling sends the gradient to the maximum, average pooling
#   spreads it evenly.
# - In a backward pass, gradients **add up** over every place a value was used.
#
# **What comes next.** In the next assignment you build and train whole convolutional
# networks with Keras, where `Conv2D` and `MaxPooling2D` do all of this in one line each, and
# the backward pass comes for free.
