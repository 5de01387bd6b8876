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
# # Residual Networks
#
# In theory a deeper network can represent more complex functions than a shallow one. In
# practice, a plain stack of many layers is hard to train: the signal and the gradient must
# cross every layer, and they fade (or explode) on the way, so training stalls. **Residual
# networks** (ResNets, He et al., 2015) fix this with *skip connections*: every few layers, the
# input of a block is added back to its output, which gives the gradient a short path to the
# early layers. With them, networks of 50, 100 and even 1,000 layers train well.
#
# **Learning objectives.** By the end of this notebook you will be able to:
#
# - implement the building blocks of ResNets (the identity block and the convolutional block)
#   with the Keras functional API;
# - implement a skip connection, and show by experiment why it helps a deep network train;
# - put the blocks together into ResNet50 and train a state-of-the-art network for image
#   classification on the SIGNS dataset (hand signs for the numbers 0 to 5).

# %% [markdown] nbgrader={"grade": false, "grade_id": "how_graded", "locked": true, "schema_version": 3, "solution": false}
# ## How this notebook is graded
#
# - Each graded function has a `# YOUR CODE HERE` marker followed by
#   `raise NotImplementedError()`: replace that line with your code, and do not change the
#   function's name, arguments or return line.
# - Under that line, the two blocks come with an outline in comments: the layers in order,
#   with `None` where your values go. Remove the `raise` line, uncomment the outline and
#   complete it.
# - Run the test cell under each function. The **visible tests** build your block on a small
#   input, compare its layers with the description, run it on fixed inputs, print a few values
#   and end with `All tests passed.`; when something is wrong they stop with a sentence saying
#   what. **Hidden tests** (other sizes, filters, strides and initializers) run when your
#   notebook is graded, so write general code.
# - Use the Keras layers imported in the setup cell (`Conv2D`, `BatchNormalization`,
#   `Activation`, `Add`, ...), called one after the other on `X` (the functional API).
# - The grader runs only the setup cell and the graded cells: keep any helper you write
#   inside the graded cell that uses it.
# - Run the cells in order, top to bottom: later cells use the functions you wrote earlier.

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
import tempfile
import time
from pathlib import Path

import numpy as np
import matplotlib.pyplot as plt

from cnn_course.utils import quiet_tensorflow, seed_everything
from cnn_course.utils import keras2_h5, resnet_figures, weights
from cnn_course.datasets.h5sets import load_signs_dataset
from cnn_course.checks import w2a1_residual_networks as checks

quiet_tensorflow()  # before TensorFlow is imported: keeps its start-up messages out of the notebook

import tensorflow as tf
import keras
from keras.initializers import GlorotUniform as glorot_uniform
from keras.initializers import RandomUniform as random_uniform
from keras.layers import (Activation, Add, AveragePooling2D, BatchNormalization, Conv2D, Dense,
                          Flatten, Input, MaxPooling2D, ZeroPadding2D)

# %% tags=["parameters"] smoke={"epochs": 1, "batch_size": 8, "n_train": 8, "n_test": 8, "plain_depth": 4, "plain_epochs": 1, "run_functions_eagerly": true} nbgrader={"grade": false, "grade_id": "parameters", "locked": true, "schema_version": 3, "solution": false}
seed = 0                # seeds every random choice (weights, shuffling)
epochs = 20             # ResNet50 training epochs over the 1,080 SIGNS images
bn_momentum = 0.9       # of every BatchNormalization layer while training (the Keras default
                        # is 0.99)
batch_size = 32
learning_rate = 1e-3    # Adam, decayed to 0 along a cosine over the whole training
shift = 0.05            # training images: random left-right flips and shifts up to 5 % (0: none)
label_smoothing = 0.1   # training targets: 1 - 0.1 + 0.1 / 6 for the true class, 0.1 / 6
                        # for the others
n_train = None          # None: every training image; a number: the first n only
n_test = None
plain_depth = 24        # convolutions in the plain-vs-skip experiment
plain_epochs = 8

# %% [markdown] nbgrader={"grade": false, "grade_id": "data_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 1. The problem of very deep networks
#
# ### 1.1 The SIGNS dataset
#
# You will work with the SIGNS dataset: 64x64 colour photographs of a hand showing 0 to 5
# fingers, 1,080 for training and 120 for testing. (This kit ships a generated stand-in of the
# same shape, size and class balance, so that everything runs offline.) The images stay
# `uint8` in memory; a `tf.data` pipeline converts each batch to floats in [0, 1] and the
# labels to one-hot vectors on the fly.

# %% nbgrader={"grade": false, "grade_id": "load_data", "locked": true, "schema_version": 3, "solution": false}
X_train_orig, Y_train_orig, X_test_orig, Y_test_orig, classes = load_signs_dataset()
# images (m, 64, 64, 3), labels (m,)
X_train, Y_train = X_train_orig[:n_train], Y_train_orig[0, :n_train]
X_test, Y_test = X_test_orig[:n_test], Y_test_orig[0, :n_test]
num_classes = len(classes)
print(f"training images: {X_train.shape} {X_train.dtype}, labels {Y_train.shape}")
print(f"test images:     {X_test.shape}, classes {list(classes)}")


def make_dataset(images, labels, training, augment=False):
    """Batches of (float images in [0, 1], one-hot labels); shuffled with the seed when training.

    augment=True: every batch is randomly mirrored left to right and shifted by up to `shift`
    of the image (a new draw at every epoch). A hand showing three fingers still shows three.
    """
    data = tf.data.Dataset.from_tensor_slices((images, labels.astype("int32")))
    if training:
        data = data.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    data = data.batch(batch_size).map(
        lambda x, y: (tf.cast(x, tf.float32) / 255.0, tf.one_hot(y, num_classes)),
        num_parallel_calls=tf.data.AUTOTUNE)
    if augment and shift > 0:
        augmenter = keras.Sequential([
            keras.layers.RandomFlip("horizontal", seed=seed),
            keras.layers.RandomTranslation(shift, shift, fill_mode="reflect", seed=seed + 1),
        ], name="augmentation")
        data = data.map(lambda x, y: (augmenter(x, training=True), y))
    return data.prefetch(tf.data.AUTOTUNE)


train_data, test_data = make_dataset(X_train, Y_train, True), make_dataset(X_test, Y_test, False)
# for ResNet50 (section 4)
augmented_train_data = make_dataset(X_train, Y_train, True, augment=True)

# %% nbgrader={"grade": false, "grade_id": "show_data", "locked": true, "schema_version": 3, "solution": false}
fig = resnet_figures.plot_predictions(X_train_orig[:12], Y_train_orig[0, :12],
                                      title="SIGNS training images and their labels")

# %% [markdown] nbgrader={"grade": false, "grade_id": "plain_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 1.2 An experiment: a deep plain stack against the same stack with skip connections
#
# Before building ResNets, see the problem they solve. The next cells build two networks that
# differ in one thing only:
#
# - a **plain** stack of `plain_depth` 3x3 convolutions (16 filters each, ReLU, no batch
#   normalisation), on the SIGNS images shrunk to 16x16 so that it trains quickly;
# - the **same** stack where, every two convolutions, the input of the pair is added to its
#   output: `x = relu(x + conv(relu(conv(x))))`, a skip connection.
#
# Both start from the same seed and train with the same optimizer for `plain_epochs` epochs.
# The only thing the skip connections change is the path the gradient takes.

# %% nbgrader={"grade": false, "grade_id": "plain_builder", "locked": true, "schema_version": 3, "solution": false}
def deep_stack(depth, skip, width=16):
    """`depth` 3x3 convolutions on 16x16 images; skip=True adds a shortcut around every pair."""
    inputs = keras.Input((64, 64, 3))
    x = keras.layers.AveragePooling2D(4)(inputs)  # (16, 16, 3): small, so that the stack is fast
    x = Conv2D(width, 3, padding="same", activation="relu")(x)
    for _ in range(depth // 2):
        y = Conv2D(width, 3, padding="same", activation="relu")(x)
        y = Conv2D(width, 3, padding="same")(y)
        x = Activation("relu")(Add()([x, y]) if skip else y)
    x = keras.layers.Flatten()(x)  # (16 * 16 * width,): the classifier sees where features are
    outputs = Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="with_skips" if skip else "plain")

# %% tags=["slow"] metrics={"plain_test_accuracy": "accuracies[False]", "skip_test_accuracy": "accuracies[True]"} nbgrader={"grade": false, "grade_id": "plain_experiment", "locked": true, "schema_version": 3, "solution": false}
losses, seconds, accuracies = {}, {}, {}
for skip in (False, True):
    seed_everything(seed)  # the same initial randomness for both networks
    stack = deep_stack(plain_depth, skip)
    stack.compile(optimizer=keras.optimizers.Adam(1e-3), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    start = time.perf_counter()
    run = stack.fit(train_data, epochs=plain_epochs, verbose=0,
                    shuffle=False)  # shuffled by tf.data
    label = f"{plain_depth} convolutions, " + ("with skip connections" if skip else "plain")
    losses[label], seconds[label] = run.history["loss"], time.perf_counter() - start
    accuracy = accuracies[skip] = stack.evaluate(test_data, verbose=0, return_dict=True)["accuracy"]
    print(f"{label:42s} final training loss {losses[label][-1]:.3f}, test accuracy {accuracy:.3f}, "
          f"{seconds[label]:.0f} s")
fig = resnet_figures.plot_loss_curves(losses, title="Deep plain stack vs skip connections")

# %% [markdown] nbgrader={"grade": false, "grade_id": "plain_outro", "locked": true, "schema_version": 3, "solution": false}
# **What to look for.** A uniform guess over 6 classes has a loss of $\ln 6 \approx 1.792$.
# With 24 convolutions the plain stack's loss stays there and its test accuracy at chance
# (1/6), while the stack with skip connections leaves that plateau and its test accuracy rises
# above chance. Same layers, same number of parameters: in the
# residual stack each pair only has to learn a *correction* to its input, so the signal reaches
# the classifier, and the gradient reaches the first layers through the additions instead of
# being multiplied by every weight matrix on the way. Try a larger `plain_depth` yourself.

# %% [markdown] nbgrader={"grade": false, "grade_id": "blocks_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 2. Building a residual network
#
# A ResNet is a stack of two kinds of blocks. Both have the same **main path** of three
# convolutions, "bottleneck" style (a 1x1 convolution that reduces the channels, an fxf
# convolution, a 1x1 convolution that restores them), each followed by batch normalisation;
# they differ in their **shortcut**.
#
# ### 2.1 The identity block
#
# The identity block is used when the input and the output have the same shape: the
# shortcut is the input itself, unchanged.

# %% nbgrader={"grade": false, "grade_id": "figure_identity", "locked": true, "schema_version": 3, "solution": false}
fig = resnet_figures.plot_block("identity")

# %% [markdown] nbgrader={"grade": false, "grade_id": "identity_block_intro", "locked": true, "schema_version": 3, "solution": false}
# **Exercise: `identity_block`.** Implement the block of the figure. Keep a reference to the
# input, `X_shortcut = X`, then build the main path:
#
# 1. `Conv2D` with `F1` filters of 1x1, stride 1, padding `'valid'`; `BatchNormalization(axis=3)`
#    (normalise the channels); `Activation('relu')`.
# 2. `Conv2D` with `F2` filters of fxf, stride 1, padding `'same'`; `BatchNormalization(axis=3)`;
#    `Activation('relu')`.
# 3. `Conv2D` with `F3` filters of 1x1, stride 1, padding `'valid'`; `BatchNormalization(axis=3)`.
#    No ReLU yet.
# 4. The skip connection: `Add()([X, X_shortcut])`, **then** `Activation('relu')`.
#
# Every `Conv2D` gets `kernel_initializer=initializer(seed=0)`, so that your weights (and the
# test outputs) are reproducible. In the functional API each layer is created, then called on
# a tensor: `X = Conv2D(F1, kernel_size=1, ...)(X)`.

# %% nbgrader={"grade": false, "grade_id": "identity_block", "locked": false, "schema_version": 3, "solution": true}
def identity_block(X, f, filters, initializer=random_uniform):
    """The identity block of a ResNet: three convolutions and a shortcut that is the input itself.

    Arguments:
    X -- input tensor of shape (m, n_H_prev, n_W_prev, n_C_prev)
    f -- integer, the size of the middle convolution's window (f x f)
    filters -- list of three integers [F1, F2, F3], the filters of the three convolutions;
               F3 must equal n_C_prev, so that the shortcut can be added
    initializer -- initializer class for the kernels, called as initializer(seed=0)

    Returns:
    X -- output of the block, a tensor of shape (m, n_H_prev, n_W_prev, F3)
    """
    F1, F2, F3 = filters
    X_shortcut = X  # kept to be added back at the end
    ### BEGIN SOLUTION
    ### BEGIN SKELETON
    # # About 10 lines, one layer per line: replace every None.
    # # Main path, first component: 1x1 convolution, batch normalisation, ReLU.
    # X = Conv2D(None, kernel_size=None, strides=None, padding=None, kernel_initializer=None)(X)
    # X = BatchNormalization(axis=None)(X)
    # X = Activation(None)(X)
    # # Second component: f x f convolution, batch normalisation, ReLU.
    # X = Conv2D(None, kernel_size=None, strides=None, padding=None, kernel_initializer=None)(X)
    # X = BatchNormalization(axis=None)(X)
    # X = Activation(None)(X)
    # # Third component: 1x1 convolution and batch normalisation, no ReLU yet.
    # X = Conv2D(None, kernel_size=None, strides=None, padding=None, kernel_initializer=None)(X)
    # X = BatchNormalization(axis=None)(X)
    # # The shortcut joins the main path, then the ReLU.
    # X = Add()([None, None])
    # X = Activation(None)(X)
    ### END SKELETON
    X = Conv2D(F1, kernel_size=1, strides=1, padding="valid",
               kernel_initializer=initializer(seed=0))(X)
    X = BatchNormalization(axis=3)(X)
    X = Activation("relu")(X)
    X = Conv2D(F2, kernel_size=f, strides=1, padding="same",
               kernel_initializer=initializer(seed=0))(X)
    X = BatchNormalization(axis=3)(X)
    X = Activation("relu")(X)
    X = Conv2D(F3, kernel_size=1, strides=1, padding="valid",
               kernel_initializer=initializer(seed=0))(X)
    X = BatchNormalization(axis=3)(X)
    X = Add()([X, X_shortcut])
    X = Activation("relu")(X)
    ### END SOLUTION
    return X


# %% nbgrader={"grade": true, "grade_id": "identity_block_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
"""identity_block has the specified layers and gives the expected outputs in both modes."""
checks.check_identity_block(identity_block)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w2a1_residual_networks as grader
grader.check_identity_block(identity_block, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "bn_modes_intro", "locked": true, "schema_version": 3, "solution": false}
# **Training mode and inference mode.** `BatchNormalization` behaves differently while the
# network trains and when it predicts:
#
# - in **training** mode it normalises each channel with the mean and variance *of the
#   current batch*, and updates running averages of them (its "moving" mean and variance);
# - in **inference** mode it uses those running averages instead, so that a prediction does
#   not depend on the other images of the batch.
#
# In Keras 3 you never set this by hand: `model.fit` runs the layers in training mode,
# `model.predict` and `model.evaluate` in inference mode, and calling a model directly takes a
# `training=` argument. (Course material written for Keras 2 passed `training=True` inside the
# blocks; that would keep batch statistics at prediction time, which is wrong.) The next cell
# runs one identity block both ways on the same batch.

# %% nbgrader={"grade": false, "grade_id": "bn_modes_demo", "locked": true, "schema_version": 3, "solution": false}
seed_everything(seed)
X_input = Input((4, 4, 3))
block = keras.Model(X_input, identity_block(X_input, f=2, filters=[4, 4, 3]))
X = np.random.default_rng(seed).uniform(-1, 1, size=(3, 4, 4, 3)).astype("float32")
out_inference = block(X, training=False).numpy()  # moving statistics: mean 0, variance 1 at start
out_training = block(X, training=True).numpy()    # statistics of this batch
print("inference mode, output[0, 0, 0]:", np.round(out_inference[0, 0, 0], 4))
print("training mode,  output[0, 0, 0]:", np.round(out_training[0, 0, 0], 4))
print("largest difference between the two modes:",
      np.abs(out_inference - out_training).max().round(4))
assert not np.allclose(out_inference, out_training), (
    "BatchNormalization should make the modes differ")

# %% [markdown] nbgrader={"grade": false, "grade_id": "conv_block_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 2.2 The convolutional block
#
# When the block changes the shape (fewer rows and columns, more channels), the input cannot
# be added to the output as it is. The convolutional block puts a **projection** on the
# shortcut: a 1x1 convolution with stride `s` and `F3` filters, followed by batch
# normalisation, which brings the input to the output's shape. The main path is the same as
# before, except that its **first** 1x1 convolution has stride `s` (it halves the height and
# width when `s = 2`).

# %% nbgrader={"grade": false, "grade_id": "figure_convolutional", "locked": true, "schema_version": 3, "solution": false}
fig = resnet_figures.plot_block("convolutional")

# %% [markdown] nbgrader={"grade": false, "grade_id": "convolutional_block_intro", "locked": true, "schema_version": 3, "solution": false}
# **Exercise: `convolutional_block`.** Build:
#
# 1. main path: `Conv2D(F1, 1x1, strides=s, 'valid')`, `BatchNormalization(axis=3)`, ReLU;
#    `Conv2D(F2, fxf, strides=1, 'same')`, `BatchNormalization(axis=3)`, ReLU;
#    `Conv2D(F3, 1x1, strides=1, 'valid')`, `BatchNormalization(axis=3)`;
# 2. shortcut: `Conv2D(F3, 1x1, strides=s, 'valid')` on `X_shortcut`, then
#    `BatchNormalization(axis=3)`;
# 3. `Add()` the two paths, then a ReLU.
#
# Every `Conv2D`, the shortcut's included, gets `kernel_initializer=initializer(seed=0)`.

# %% nbgrader={"grade": false, "grade_id": "convolutional_block", "locked": false, "schema_version": 3, "solution": true}
def convolutional_block(X, f, filters, s=2, initializer=glorot_uniform):
    """The convolutional block of a ResNet: the main path and a projection shortcut, both with
    stride s.

    Arguments:
    X -- input tensor of shape (m, n_H_prev, n_W_prev, n_C_prev)
    f -- integer, the size of the middle convolution's window (f x f)
    filters -- list of three integers [F1, F2, F3], the filters of the main path's convolutions
    s -- integer, the stride of the first 1x1 convolution and of the shortcut's convolution
    initializer -- initializer class for the kernels, called as initializer(seed=0)

    Returns:
    X -- output of the block, a tensor of shape (m, n_H, n_W, F3) with
         n_H = (n_H_prev - 1) // s + 1 and n_W = (n_W_prev - 1) // s + 1
    """
    F1, F2, F3 = filters
    X_shortcut = X
    ### BEGIN SOLUTION
    ### BEGIN SKELETON
    # # About 13 lines, one layer per line: replace every None.
    # # Main path, first component: 1x1 convolution with stride s, batch normalisation, ReLU.
    # X = Conv2D(None, kernel_size=None, strides=None, padding=None, kernel_initializer=None)(X)
    # X = BatchNormalization(axis=None)(X)
    # X = Activation(None)(X)
    # # Second component: f x f convolution, batch normalisation, ReLU.
    # X = Conv2D(None, kernel_size=None, strides=None, padding=None, kernel_initializer=None)(X)
    # X = BatchNormalization(axis=None)(X)
    # X = Activation(None)(X)
    # # Third component: 1x1 convolution and batch normalisation, no ReLU yet.
    # X = Conv2D(None, kernel_size=None, strides=None, padding=None, kernel_initializer=None)(X)
    # X = BatchNormalization(axis=None)(X)
    # # Shortcut: 1x1 convolution with stride s and batch normalisation, on X_shortcut.
    # X_shortcut = Conv2D(None, kernel_size=None, strides=None, padding=None,
    #                     kernel_initializer=None)(X_shortcut)
    # X_shortcut = BatchNormalization(axis=None)(X_shortcut)
    # # Add the two paths, then the ReLU.
    # X = Add()([None, None])
    # X = Activation(None)(X)
    ### END SKELETON
    X = Conv2D(F1, kernel_size=1, strides=s, padding="valid",
               kernel_initializer=initializer(seed=0))(X)
    X = BatchNormalization(axis=3)(X)
    X = Activation("relu")(X)
    X = Conv2D(F2, kernel_size=f, strides=1, padding="same",
               kernel_initializer=initializer(seed=0))(X)
    X = BatchNormalization(axis=3)(X)
    X = Activation("relu")(X)
    X = Conv2D(F3, kernel_size=1, strides=1, padding="valid",
               kernel_initializer=initializer(seed=0))(X)
    X = BatchNormalization(axis=3)(X)
    X_shortcut = Conv2D(F3, kernel_size=1, strides=s, padding="valid",
                        kernel_initializer=initializer(seed=0))(X_shortcut)
    X_shortcut = BatchNormalization(axis=3)(X_shortcut)
    X = Add()([X, X_shortcut])
    X = Activation("relu")(X)
    ### END SOLUTION
    return X


# %% nbgrader={"grade": true, "grade_id": "convolutional_block_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
"""convolutional_block has the specified layers, strides and shortcut, and the expected outputs."""
checks.check_convolutional_block(convolutional_block)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w2a1_residual_networks as grader
grader.check_convolutional_block(convolutional_block, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "resnet50_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 3. ResNet50
#
# ResNet50 (50 layers with weights) stacks your blocks in four stages after a "stem":
#
# - **stem**: `ZeroPadding2D((3, 3))`; `Conv2D(64, (7, 7), strides=(2, 2))` with
#   `kernel_initializer=glorot_uniform(seed=0)`; `BatchNormalization(axis=3)`; ReLU;
#   `MaxPooling2D((3, 3), strides=(2, 2))`;
# - **stage 2**: a convolutional block with `f=3`, filters `[64, 64, 256]` and **`s=1`**, then
#   2 identity blocks with `f=3` and filters `[64, 64, 256]`;
# - **stage 3**: a convolutional block, filters `[128, 128, 512]`, `s=2`, then 3 identity blocks;
# - **stage 4**: a convolutional block, filters `[256, 256, 1024]`, `s=2`, then 5 identity blocks;
# - **stage 5**: a convolutional block, filters `[512, 512, 2048]`, `s=2`, then 2 identity blocks;
# - **head**: `AveragePooling2D(pool_size=(2, 2))`, `Flatten()`, `Dense(classes,
#   activation='softmax')` with `kernel_initializer=glorot_uniform(seed=0)`.
#
# All blocks use `f=3` and their default initializers. Start from `X_input = Input(input_shape)`
# and finish with `keras.Model(inputs=X_input, outputs=X)`. With the defaults the model has
# 23,600,006 parameters.

# %% nbgrader={"grade": false, "grade_id": "ResNet50", "locked": false, "schema_version": 3, "solution": true}
def ResNet50(input_shape=(64, 64, 3), classes=6):
    """ResNet50: stem, four stages of blocks, average pooling and a softmax classifier.

    Arguments:
    input_shape -- shape of one image (n_H, n_W, n_C)
    classes -- integer, the number of classes

    Returns:
    model -- a keras.Model from (None, *input_shape) images to (None, classes) probabilities
    """
    X_input = Input(input_shape)
    ### BEGIN SOLUTION
    X = ZeroPadding2D((3, 3))(X_input)
    X = Conv2D(64, (7, 7), strides=(2, 2), kernel_initializer=glorot_uniform(seed=0))(X)
    X = BatchNormalization(axis=3)(X)
    X = Activation("relu")(X)
    X = MaxPooling2D((3, 3), strides=(2, 2))(X)
    X = convolutional_block(X, f=3, filters=[64, 64, 256], s=1)
    for _ in range(2):
        X = identity_block(X, 3, [64, 64, 256])
    X = convolutional_block(X, f=3, filters=[128, 128, 512], s=2)
    for _ in range(3):
        X = identity_block(X, 3, [128, 128, 512])
    X = convolutional_block(X, f=3, filters=[256, 256, 1024], s=2)
    for _ in range(5):
        X = identity_block(X, 3, [256, 256, 1024])
    X = convolutional_block(X, f=3, filters=[512, 512, 2048], s=2)
    for _ in range(2):
        X = identity_block(X, 3, [512, 512, 2048])
    X = AveragePooling2D(pool_size=(2, 2))(X)
    X = Flatten()(X)
    X = Dense(classes, activation="softmax", kernel_initializer=glorot_uniform(seed=0))(X)
    ### END SOLUTION
    model = keras.Model(inputs=X_input, outputs=X)
    return model


# %% nbgrader={"grade": true, "grade_id": "ResNet50_tests", "locked": true, "points": 4, "schema_version": 3, "solution": false}
"""ResNet50 has the specified stages, layers, output and parameter count."""
checks.check_ResNet50(ResNet50)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w2a1_residual_networks as grader
grader.check_ResNet50(ResNet50, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "train_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 4. Train ResNet50 on SIGNS
#
# Build the model, compile it with Adam and the categorical cross-entropy (the labels are
# one-hot), and train it. The learning rate starts at `learning_rate` and decays to zero along
# a cosine over the whole training: large steps first, then small ones that let the weights
# (and the batch-normalisation statistics) settle. The training data are shuffled with the
# seed and augmented (`augmented_train_data`: random mirror images and shifts of up to
# `shift` = 5 %, so that the 23 million weights cannot just memorise 1,080 pictures); the
# test set serves as validation data, so you can watch both curves. An epoch over the
# 1,080 images takes tens of seconds on a laptop CPU.
#
# Two settings suit a training this short. The next cell sets the momentum of every
# batch-normalisation layer of the built model to `bn_momentum` = 0.9 (the Keras default is
# 0.99), so that the moving mean and variance used in inference mode keep up with weights that
# change fast over a few hundred steps. And the loss uses **label smoothing**
# (`label_smoothing=0.1`: a target of 0.917 for the right class and 0.017 for each other one),
# so that it stops rewarding ever more confidence on 1,080 training pictures, which is also why
# its values never get near 0.

# %% nbgrader={"grade": false, "grade_id": "build_model", "locked": true, "schema_version": 3, "solution": false}
# forget the models built so far (tests, experiment): training runs faster
keras.backend.clear_session()
seed_everything(seed)
model = ResNet50(input_shape=(64, 64, 3), classes=num_classes)
for layer in model.layers:
    if isinstance(layer, BatchNormalization):
        # read at every training step: the moving averages follow faster
        layer.momentum = bn_momentum
steps = epochs * int(np.ceil(len(X_train) / batch_size))
schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=steps)
smoothed_loss = keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing)
model.compile(optimizer=keras.optimizers.Adam(schedule), loss=smoothed_loss, metrics=["accuracy"])
print(f"ResNet50: {model.count_params():,} parameters, {len(model.layers)} layers")

# %% tags=["slow"] nbgrader={"grade": false, "grade_id": "train", "locked": true, "schema_version": 3, "solution": false}
start = time.perf_counter()
history = model.fit(augmented_train_data, validation_data=test_data, epochs=epochs, verbose=2,
                    shuffle=False)
train_seconds = time.perf_counter() - start
print(f"trained {epochs} epochs in {train_seconds:.0f} s")
fig = resnet_figures.plot_history(history.history)

# %% metrics={"test_accuracy": "float(results['accuracy'])"} nbgrader={"grade": false, "grade_id": "evaluate", "locked": true, "schema_version": 3, "solution": false}
results = model.evaluate(test_data, verbose=0, return_dict=True)
print(f"test loss {results['loss']:.4f}, test accuracy {results['accuracy']:.4f}")

probabilities = model.predict(test_data, verbose=0)       # (m_test, 6)
predicted = probabilities.argmax(axis=1)
fig = resnet_figures.plot_predictions(X_test, Y_test, predicted, probabilities.max(axis=1),
                                      title="ResNet50 on SIGNS test images (true / predicted)")

# %% [markdown] nbgrader={"grade": false, "grade_id": "save_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 4.1 Save and reload the model
#
# Keras 3 saves a whole model (architecture, weights, optimizer state) in one `.keras` file
# with `model.save(path)`; `keras.models.load_model(path)` rebuilds it. The reloaded model must
# give exactly the same predictions. (Here the file goes to a temporary folder that is deleted
# afterwards; in your own work, choose where to keep it.)

# %% nbgrader={"grade": false, "grade_id": "save_reload", "locked": true, "schema_version": 3, "solution": false}
with tempfile.TemporaryDirectory() as folder:  # deleted at the end of the cell
    path = Path(folder) / "resnet50_signs.keras"
    model.save(path)  # architecture, weights and optimizer state
    size_mb = path.stat().st_size / 1e6
    reloaded = keras.models.load_model(path)
images, _ = next(iter(test_data))  # one batch is enough to compare the two models
same = np.allclose(reloaded(images, training=False), probabilities[:len(images)], atol=1e-5)
print(f"saved {size_mb:.0f} MB as {path.name}; the reloaded model predicts the same: {same}")
assert same, "the reloaded model should predict exactly what the trained model predicts"

# %% [markdown] nbgrader={"grade": false, "grade_id": "pretrained_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 4.2 A longer-trained ResNet50
#
# The course staff trained the same ResNet50 for longer, with a seeded pipeline and light data
# augmentation, and provide its weights with this notebook as the file
# `resnet50_signs.weights.h5`. A weights file holds numbers only, not the architecture: the
# next cell builds a fresh model with *your* `ResNet50()` and loads the weights into it, which
# works only when your network has exactly the layers of the course's. If the file is not
# there (beside the notebook or in the course's cache folder), the cell says which file is
# missing, and the rest of the notebook runs without it.

# %% metrics={"pretrained_test_accuracy": "pretrained_accuracy if pretrained_path is not None else None"} nbgrader={"grade": false, "grade_id": "pretrained", "locked": true, "schema_version": 3, "solution": false}
pretrained_path = weights.locate("resnet50_signs")  # prints where it found the file
if pretrained_path is None:
    print(weights.missing_message("resnet50_signs"))
else:
    # your architecture, the course's weights
    pretrained = ResNet50(input_shape=(64, 64, 3), classes=6)
    pretrained.load_weights(pretrained_path)
    chosen = pretrained.predict(test_data, verbose=0).argmax(axis=1)
    pretrained_accuracy = float(np.mean(chosen == Y_test))
    print(f"{pretrained_path.name}: test accuracy {pretrained_accuracy:.4f} "
          "(training card: "
          f"{weights.card('resnet50_signs', path=pretrained_path).get('metrics', {})})")
    fig = resnet_figures.plot_predictions(X_test, Y_test, chosen, n=6,
                                          title="Longer-trained ResNet50 (true / predicted)")

# %% [markdown] nbgrader={"grade": false, "grade_id": "original_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 4.3 The original course's model file
#
# If you have the original course's `resnet50.h5` (a ResNet50 trained on SIGNS and saved by
# Keras 2), put it beside this notebook or in the course's data folder: the next cell loads its
# weights into a fresh model built with *your* `ResNet50()`. Keras 3 cannot read a Keras 2 model
# file directly, so `load_keras2_weights` reads the numbers with h5py and assigns them layer by
# layer, by name when the names agree and otherwise in order. If a layer does not fit, it names
# the first one that differs, with both shapes. Without the file, the cell says where it goes.

# %% nbgrader={"grade": false, "grade_id": "original_model", "locked": true, "schema_version": 3, "solution": false}
original_path = keras2_h5.find_original("resnet50.h5")
if original_path is None:
    print(keras2_h5.missing_original("resnet50.h5"))
else:
    original = ResNet50(input_shape=(64, 64, 3), classes=6)
    how = keras2_h5.load_keras2_weights(original, original_path)
    chosen = original.predict(test_data, verbose=0).argmax(axis=1)
    print(f"{original_path}: weights loaded {how}; "
          f"test accuracy {float(np.mean(chosen == Y_test)):.4f}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "summary", "locked": true, "schema_version": 3, "solution": false}
# ## Summary
#
# You built a ResNet50 from two blocks and trained it on SIGNS.
#
# **What to remember.**
#
# - Very deep *plain* networks are hard to train: the gradient fades on its way through many
#   layers. Your experiment showed it on a stack of a couple of dozen convolutions.
# - A **skip connection** adds a block's input to its output, before the last ReLU. The block
#   then only learns a correction to its input, and the gradient has a short path back to the
#   early layers.
# - The **identity block** is used when input and output shapes match; the **convolutional
#   block** puts a 1x1 convolution with stride `s` and batch normalisation on the shortcut when
#   they do not.
# - Batch normalisation behaves differently in training and inference; Keras 3 chooses the mode
#   from `fit`, `predict`/`evaluate` or the `training=` argument.
# - A whole Keras model is saved and reloaded with `model.save("name.keras")` and
#   `keras.models.load_model`.
#
# **What comes next.** In the next assignment you use a network pretrained on a large dataset
# (MobileNetV2) and adapt it to a new task with transfer learning.
