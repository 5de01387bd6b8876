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
# # Convolutional Neural Networks: Application
#
# In the previous assignment you wrote convolution and pooling layers in numpy, loops and
# all. Now a framework does that work: you build, train and evaluate two convolutional
# networks with TensorFlow's Keras API, each in one of its two styles.
#
# - **The Happy House**: a binary classifier that tells whether a face is smiling, written
#   with the **Sequential** API (a plain stack of layers).
# - **SIGNS**: a six-class classifier that reads how many fingers a hand holds up, written
#   with the **Functional** API (layers called on tensors, like functions).
#
# **Learning objectives.** By the end of this notebook you will be able to:
#
# - build a convolutional neural network (CNN) with TensorFlow;
# - write the helper functions a TensorFlow model needs (one-hot labels, a `tf.data` input
#   pipeline);
# - build a mood classifier with the Sequential API;
# - build a sign-digit classifier with the Functional API;
# - train a CNN for binary and for multiclass classification, and read its results;
# - explain when you need the Functional API instead of the Sequential API.

# %% [markdown] nbgrader={"grade": false, "grade_id": "how_graded", "locked": true, "schema_version": 3, "solution": false}
# ## How this notebook is graded
#
# - Each graded function has a `# YOUR CODE HERE` marker followed by
#   `raise NotImplementedError()`: replace that line with your code, and do not change
#   the function's name, arguments or return line.
# - Run the test cell under each function. The **visible tests** print what they check and
#   end with `All tests passed.`; when something is wrong they stop with a sentence saying
#   what. **Hidden tests** (other input shapes, a few training steps on a tiny batch, and
#   comparisons with the reference solution) run when your notebook is graded.
# - One question near the end is answered in words and graded by your instructor.
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
import time

import numpy as np
import matplotlib.pyplot as plt

from cnn_course.utils import quiet_tensorflow, seed_everything

quiet_tensorflow()  # before TensorFlow is imported: keeps its start-up messages out of the notebook

import tensorflow as tf

from cnn_course.datasets.h5sets import load_happy_dataset, load_signs_dataset
from cnn_course.utils.keras_summary import summary
from cnn_course.checks import w1a2_conv_application as checks

# %% tags=["parameters"] smoke={"happy_epochs": 1, "signs_epochs": 1, "train_examples": 64} nbgrader={"grade": false, "grade_id": "parameters", "locked": true, "schema_version": 3, "solution": false}
seed = 0  # seeds the weights, the shuffling and everything else random
happy_epochs = 30  # Happy House training
happy_batch_size = 16
signs_epochs = 100  # SIGNS training
signs_batch_size = 16
signs_learning_rate = 0.002  # Adam's first step size, decayed to 0 along a cosine
train_examples = None  # None: every training image; a number: the first ones only

# %% [markdown] nbgrader={"grade": false, "grade_id": "helpers_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 1. Helper functions for a TensorFlow model
#
# Before any model, two small helpers that the rest of the notebook uses: one turns class
# labels into the format a multiclass loss expects, the other feeds images to a model in
# shuffled batches. The next cell also defines three plotting helpers (not graded): a grid of
# images with titles, a grid of right and wrong predictions, and the curves of a training.

# %% nbgrader={"grade": false, "grade_id": "plot_helpers", "locked": true, "schema_version": 3, "solution": false}
def show_images(images, titles, suptitle, cols=8):
    """Images in a grid of `cols` columns, each with its title."""
    rows = max(1, int(np.ceil(len(images) / cols)))
    fig, axes = plt.subplots(rows, cols, figsize=(1.7 * cols, 2.0 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    # axes may outnumber images
    for ax, image, title in zip(axes.flat, images, titles, strict=False):
        ax.imshow(image)
        ax.set_title(title, fontsize=8)
    fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def show_predictions(images, labels, predicted, suptitle, n=6):
    """Up to n right and n wrong predictions, each titled with its prediction and true label."""
    right = np.flatnonzero(predicted == labels)[:n]
    wrong = np.flatnonzero(predicted != labels)[:n]
    print(f"{np.sum(predicted != labels)} mistakes on {len(labels)} test images")
    picked = np.concatenate([right, wrong]).astype(int)
    titles = [f"{'ok' if k in right else 'WRONG'}: {predicted[k]} (true {labels[k]})"
              for k in picked]
    return show_images(images[picked], titles, suptitle, cols=n)


# %% nbgrader={"grade": false, "grade_id": "curve_helper", "locked": true, "schema_version": 3, "solution": false}
def show_curves(history, name, loss_name):
    """Loss and accuracy per epoch from a Keras history: training, and validation when there is
    one."""
    epochs_axis = np.arange(1, len(history["loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 3.8))
    for ax, metric in ((ax_loss, "loss"), (ax_acc, "accuracy")):
        for key, label in ((metric, "training"), (f"val_{metric}", "validation")):
            if key in history:
                ax.plot(epochs_axis, history[key], marker=".", label=label)
        ax.grid(alpha=0.3)
        ax.legend()
    ax_loss.set(title=f"{name}: loss per epoch", xlabel="epoch", ylabel=loss_name)
    ax_acc.set(title=f"{name}: accuracy per epoch", xlabel="epoch", ylabel="accuracy",
               ylim=(0, 1.02))
    fig.tight_layout()
    return fig

# %% [markdown] nbgrader={"grade": false, "grade_id": "convert_to_one_hot_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 1.1 One-hot labels
#
# The datasets of this course store labels as a row of integers, shape `(1, m)`: for SIGNS,
# `Y[0, j]` is the number of fingers (0 to 5) shown in image `j`. A softmax output with $C$
# units predicts a probability per class, and the categorical cross-entropy loss compares
# it with a **one-hot** vector: a 1 in the row of the true class and 0 elsewhere. With
# $C = 4$:
#
# $$Y = \begin{bmatrix} 1 & 0 & 3 & 2 \end{bmatrix} \quad \rightarrow \quad
# \begin{bmatrix} 0 & 1 & 0 & 0 \\ 1 & 0 & 0 & 0 \\ 0 & 0 & 0 & 1 \\ 0 & 0 & 1 & 0
# \end{bmatrix}$$
#
# Each **column** is one example, so the result has shape `(C, m)`. Keras wants one example
# per *row*, so the notebook transposes it (`.T`) before training.
#
# **Hint.** `np.eye(C)` is the `C x C` identity matrix: its row `k` is the one-hot vector of
# class `k`. Indexing it with an array of labels, `np.eye(C)[labels]`, picks one row per
# label. `Y.reshape(-1)` flattens the `(1, m)` labels into `m` integers.

# %% nbgrader={"grade": false, "grade_id": "convert_to_one_hot", "locked": false, "schema_version": 3, "solution": true}
def convert_to_one_hot(Y, C):
    """One-hot encode a row of class labels.

    Arguments:
    Y -- numpy array of integers in [0, C), shape (1, m)
    C -- number of classes

    Returns:
    Y -- numpy array of shape (C, m): column j is 1 in row Y[0, j] and 0 elsewhere
    """
    ### BEGIN SOLUTION
    Y = np.eye(C)[Y.reshape(-1)].T
    ### END SOLUTION
    return Y


# %% nbgrader={"grade": true, "grade_id": "convert_to_one_hot_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""convert_to_one_hot turns labels of shape (1, m) into one-hot columns, shape (C, m)."""
checks.check_convert_to_one_hot(convert_to_one_hot)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w1a2_conv_application as grader
grader.check_convert_to_one_hot(convert_to_one_hot, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "make_dataset_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 1.2 An input pipeline with `tf.data`
#
# A model trains on **mini-batches**: a few dozen images at a time, in a new random order at
# every epoch. `tf.data` builds such a pipeline from arrays, step by step:
#
# 1. `tf.data.Dataset.from_tensor_slices((X, Y))` makes a dataset of `(image, label)` pairs,
#    one per example. Keeping each image with its label is what makes shuffling safe.
# 2. If `shuffle` is true, `dataset.shuffle(len(X), seed=seed)` draws the examples in a random
#    order (a buffer as large as the dataset gives a full shuffle; the seed makes it
#    reproducible; by default, every new pass over the dataset, an epoch, gets a new order).
# 3. `dataset.batch(batch_size)` groups consecutive examples into batches; the last one may
#    be smaller.
# 4. `dataset.map(fn)` applies `fn(x, y)` to every batch: here, convert the `uint8` pixels to
#    `float32` and scale them to $[0, 1]$ with `tf.cast(x, tf.float32) / 255.0`. The images
#    stay `uint8` in memory (four times smaller) and are converted on the fly.
# 5. `dataset.prefetch(tf.data.AUTOTUNE)` prepares the next batch while the model trains on
#    the current one.
#
# Each method returns a new dataset: write `dataset = dataset.shuffle(...)`.

# %% nbgrader={"grade": false, "grade_id": "make_dataset", "locked": false, "schema_version": 3, "solution": true}
def make_dataset(X, Y, batch_size, shuffle=True, seed=0):
    """A batched tf.data pipeline of (images scaled to [0, 1], labels).

    Arguments:
    X -- numpy array of uint8 images, shape (m, n_H, n_W, n_C)
    Y -- numpy array of labels, shape (m, k): one row per example
    batch_size -- number of examples per batch (the last batch may be smaller)
    shuffle -- if True, the examples come in a random order, a new one at every pass
    seed -- seed of the shuffling

    Returns:
    dataset -- tf.data.Dataset of pairs (x, y): x float32 of shape (batch, n_H, n_W, n_C) with
               values in [0, 1] (X / 255), y of shape (batch, k)
    """
    if len(X) != len(Y):
        raise ValueError(f"X has {len(X)} examples but Y has {len(Y)}: they must match.")
    ### BEGIN SOLUTION
    dataset = tf.data.Dataset.from_tensor_slices((X, Y))
    if shuffle:
        dataset = dataset.shuffle(len(X), seed=seed)
    dataset = dataset.batch(batch_size)
    dataset = dataset.map(lambda x, y: (tf.cast(x, tf.float32) / 255.0, y),
                          num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.prefetch(tf.data.AUTOTUNE)
    ### END SOLUTION
    return dataset


# %% nbgrader={"grade": true, "grade_id": "make_dataset_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""make_dataset yields batches of (X / 255, Y), shuffled with its seed when asked."""
checks.check_make_dataset(make_dataset)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w1a2_conv_application as grader
grader.check_make_dataset(make_dataset, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "happy_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 2. The Happy House: a mood classifier with the Sequential API
#
# The Happy House only lets in people who smile. A camera at the door takes a 64x64 photo of
# each visitor; your model decides: smiling (1) or not (0). The training set holds 600 faces
# (half of them smiling), the test set 150.
#
# (This course works offline: the faces are drawn by the course package in the format of
# the original dataset, so the numbers you get are those of these images.)

# %% nbgrader={"grade": false, "grade_id": "happy_data", "locked": true, "schema_version": 3, "solution": false}
X_train_orig, Y_train_orig, X_test_orig, Y_test_orig, classes = load_happy_dataset()
X_train, Y_train = X_train_orig[:train_examples], Y_train_orig.T[:train_examples]  # Y: (m, 1)
X_test, Y_test = X_test_orig, Y_test_orig.T
print("X_train:", X_train.shape, X_train.dtype, "  Y_train:", Y_train.shape)
print("X_test: ", X_test.shape, X_test.dtype, "  Y_test: ", Y_test.shape)
print("smiling in the training set:", int(Y_train.sum()), "of", len(Y_train))
mood = {0: "not smiling", 1: "smiling"}
fig = show_images(X_train[:16], [f"{y} ({mood[y]})" for y in Y_train[:16, 0]],
                  "Happy House: training images and their labels")

# %% [markdown] nbgrader={"grade": false, "grade_id": "happyModel_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 2.1 The model: `happyModel`
#
# The Sequential API suits a model that is a plain stack: each layer takes the output of the
# one before, one input, one output. You list the layers in order in
# `tf.keras.Sequential([...])`, starting with `tf.keras.Input(shape=(64, 64, 3))`, which
# tells the model the shape of one image (the batch size is left open).
#
# Build this stack, with `tf.keras.layers`:
#
# | layer | settings | output shape |
# |---|---|---|
# | `ZeroPadding2D` | `padding=3` | (None, 70, 70, 3) |
# | `Conv2D` | 32 filters, 7x7, stride 1 | (None, 64, 64, 32) |
# | `BatchNormalization` | `axis=3` (the channels) | (None, 64, 64, 32) |
# | `ReLU` | | (None, 64, 64, 32) |
# | `MaxPooling2D` | 2x2 (the stride defaults to the pool size) | (None, 32, 32, 32) |
# | `Flatten` | | (None, 32768) |
# | `Dense` | 1 unit, `activation="sigmoid"` | (None, 1) |
#
# The model has 37,633 parameters. Then **compile** it: `model.compile(optimizer="adam",
# loss="binary_crossentropy", metrics=["accuracy"])`. The binary cross-entropy is the loss
# of a single sigmoid output: the probability that the face smiles.

# %% nbgrader={"grade": false, "grade_id": "happyModel", "locked": false, "schema_version": 3, "solution": true}
def happyModel():
    """The Happy House classifier, built with the Sequential API and compiled.

    ZEROPAD2D -> CONV2D -> BATCHNORM -> RELU -> MAXPOOL -> FLATTEN -> DENSE (sigmoid)

    Arguments:
    None

    Returns:
    model -- tf.keras.Sequential taking images of shape (64, 64, 3) and returning, shape (m, 1),
             the probability that each face smiles; compiled with the Adam optimizer,
             the binary cross-entropy loss and the accuracy metric
    """
    ### BEGIN SOLUTION
    model = tf.keras.Sequential([
        tf.keras.Input(shape=(64, 64, 3)),
        tf.keras.layers.ZeroPadding2D(padding=3),
        tf.keras.layers.Conv2D(filters=32, kernel_size=(7, 7), strides=(1, 1)),
        tf.keras.layers.BatchNormalization(axis=3),
        tf.keras.layers.ReLU(),
        tf.keras.layers.MaxPooling2D(pool_size=(2, 2)),
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    ### END SOLUTION
    return model


# %% nbgrader={"grade": true, "grade_id": "happyModel_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""happyModel is a compiled Sequential model with the specified layers and 37,633 parameters."""
checks.check_happyModel(happyModel)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w1a2_conv_application as grader
grader.check_happyModel(happyModel, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "happy_train_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 2.2 Train and evaluate
#
# `model.fit` runs the training loop: for each epoch, one pass over the shuffled training
# batches, a gradient step per batch. Your `make_dataset` shuffles, so `fit` must not try to
# (`shuffle=False` only tells Keras to leave the order to the dataset). Then
# `model.evaluate` measures the loss and the accuracy on the 150 test faces, which the model
# never saw. `seed_everything(seed)` fixes the initial weights and the shuffling, so that
# the run can be repeated.
#
# Two additions of the course (not graded) help this model on 600 faces:
#
# - **data augmentation**: every epoch, each training face is randomly mirrored and shifted
#   by a pixel or two. A mirrored smile is still a smile, so the model sees "new" faces
#   with the right labels and learns the pictures less by heart;
# - a **learning-rate schedule**: Adam's rate (0.001, the default) decays along a cosine to
#   0 at the last epoch, so the last epochs take small steps and the result settles instead
#   of jumping from epoch to epoch.

# %% tags=["slow"] nbgrader={"grade": false, "grade_id": "happy_train", "locked": true, "schema_version": 3, "solution": false}
seed_everything(seed)
augment = tf.keras.Sequential([
    tf.keras.layers.RandomFlip("horizontal", seed=seed),
    # 0.03 * 64: 2 pixels
    tf.keras.layers.RandomTranslation(0.03, 0.03, fill_mode="reflect", seed=seed + 1),
], name="happy_augmentation")
happy_train_ds = make_dataset(X_train, Y_train, happy_batch_size, shuffle=True, seed=seed)
happy_train_ds = happy_train_ds.map(lambda x, y: (augment(x, training=True), y))
happy_test_ds = make_dataset(X_test, Y_test, 64, shuffle=False)
happy_model = happyModel()
cosine = tf.keras.callbacks.LearningRateScheduler(
    lambda epoch: 0.001 * 0.5 * (1 + np.cos(np.pi * epoch / happy_epochs)))
start = time.perf_counter()
happy_history = happy_model.fit(happy_train_ds, epochs=happy_epochs, shuffle=False, verbose=0,
                                callbacks=[cosine])
print(f"trained {happy_epochs} epochs in {time.perf_counter() - start:.1f} s; "
      f"last epoch: loss {happy_history.history['loss'][-1]:.3f}, "
      f"accuracy {happy_history.history['accuracy'][-1]:.3f}")

# %% nbgrader={"grade": false, "grade_id": "happy_curves", "locked": true, "schema_version": 3, "solution": false}
fig = show_curves(happy_history.history, "Happy House", "binary cross-entropy")

# %% metrics={"happy_test_accuracy": "float(happy_accuracy)"} nbgrader={"grade": false, "grade_id": "happy_evaluate", "locked": true, "schema_version": 3, "solution": false}
happy_loss, happy_accuracy = happy_model.evaluate(happy_test_ds, verbose=0)
print(f"Happy House test set: loss {happy_loss:.3f}, accuracy {happy_accuracy:.3f}")
happy_probability = happy_model.predict(happy_test_ds, verbose=0)[:, 0]  # (150,)
happy_predicted = (happy_probability > 0.5).astype(int)
fig = show_predictions(X_test, Y_test[:, 0], happy_predicted,
                       "Happy House test images: predicted label (true label)")

# %% [markdown] nbgrader={"grade": false, "grade_id": "happy_outro", "locked": true, "schema_version": 3, "solution": false}
# With the course settings (see the `parameters` cell) this model reaches a test accuracy
# above 0.9. Without the augmentation and the schedule, its training accuracy climbs to 1.0
# while its test accuracy stays lower: with 32,768 inputs to its last layer and 600 training
# faces, it learns the training pictures by heart (it **overfits**). The wrong predictions
# are worth a look: which faces fool the model?

# %% [markdown] nbgrader={"grade": false, "grade_id": "signs_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 3. SIGNS: a sign-digit classifier with the Functional API
#
# Each SIGNS image shows a hand holding up 0 to 5 fingers: six classes. The training set
# holds 1,080 images (180 per class), the test set 120. The labels become one-hot rows with
# your `convert_to_one_hot` (transposed, one example per row), as the softmax output and
# the categorical cross-entropy need.

# %% nbgrader={"grade": false, "grade_id": "signs_data", "locked": true, "schema_version": 3, "solution": false}
X_train_orig, Y_train_orig, X_test_orig, Y_test_orig, classes = load_signs_dataset()
X_train = X_train_orig[:train_examples]
Y_train = convert_to_one_hot(Y_train_orig, len(classes)).T[:train_examples]  # (m, 6)
X_test, Y_test = X_test_orig, convert_to_one_hot(Y_test_orig, len(classes)).T
print("X_train:", X_train.shape, "  Y_train:", Y_train.shape, "  classes:", classes.tolist())
print("X_test: ", X_test.shape, "  Y_test: ", Y_test.shape)
print("first labels:", Y_train_orig[0, :4].tolist(), "-> one-hot rows:\n", Y_train[:4])
fig = show_images(X_train[:16], [f"y = {y}" for y in Y_train_orig[0, :16]],
                  "SIGNS: training images and their labels (number of fingers)")

# %% [markdown] nbgrader={"grade": false, "grade_id": "convolutional_model_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 3.1 The model: `convolutional_model`
#
# The **Functional API** builds a model as a graph of layer calls. Start from an input
# tensor, call each layer on the output of the previous one, and finally name the inputs and
# outputs of the model:
#
# ```python
# input_img = tf.keras.Input(shape=input_shape)
# Z1 = tf.keras.layers.Conv2D(filters=..., kernel_size=..., padding="same")(input_img)
# A1 = tf.keras.layers.ReLU()(Z1)
# ...
# model = tf.keras.Model(inputs=input_img, outputs=outputs)
# ```
#
# Build this graph:
#
# | step | layer | settings |
# |---|---|---|
# | Z1 | `Conv2D` | 8 filters, 4x4, stride 1, `padding="same"` |
# | A1 | `ReLU` | |
# | P1 | `MaxPool2D` | pool 8x8, stride 8, `padding="same"` |
# | Z2 | `Conv2D` | 16 filters, 2x2, stride 1, `padding="same"` |
# | A2 | `ReLU` | |
# | P2 | `MaxPool2D` | pool 4x4, stride 4, `padding="same"` |
# | F | `Flatten` | |
# | outputs | `Dense` | 6 units, `activation="softmax"` |
#
# For a 64x64x3 input the model has 1,310 parameters. Then compile it with
# `optimizer="adam"`, `loss="categorical_crossentropy"` and `metrics=["accuracy"]`.

# %% nbgrader={"grade": false, "grade_id": "convolutional_model", "locked": false, "schema_version": 3, "solution": true}
def convolutional_model(input_shape):
    """The SIGNS classifier, built with the Functional API and compiled.

    CONV2D -> RELU -> MAXPOOL -> CONV2D -> RELU -> MAXPOOL -> FLATTEN -> DENSE (softmax)

    Arguments:
    input_shape -- shape of one input image, (n_H, n_W, n_C)

    Returns:
    model -- tf.keras.Model taking images of shape input_shape and returning, shape (m, 6),
             the probability of each class; with "same" pooling the two pools give
             ceil(n_H / 8) then ceil(n_H / 32) rows (and the same for the columns); compiled
             with the Adam optimizer, the categorical cross-entropy loss and the accuracy metric
    """
    ### BEGIN SOLUTION
    input_img = tf.keras.Input(shape=input_shape)
    Z1 = tf.keras.layers.Conv2D(filters=8, kernel_size=(4, 4), strides=(1, 1),
                                padding="same")(input_img)
    A1 = tf.keras.layers.ReLU()(Z1)
    P1 = tf.keras.layers.MaxPool2D(pool_size=(8, 8), strides=(8, 8), padding="same")(A1)
    Z2 = tf.keras.layers.Conv2D(filters=16, kernel_size=(2, 2), strides=(1, 1), padding="same")(P1)
    A2 = tf.keras.layers.ReLU()(Z2)
    P2 = tf.keras.layers.MaxPool2D(pool_size=(4, 4), strides=(4, 4), padding="same")(A2)
    F = tf.keras.layers.Flatten()(P2)
    outputs = tf.keras.layers.Dense(6, activation="softmax")(F)
    model = tf.keras.Model(inputs=input_img, outputs=outputs)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    ### END SOLUTION
    return model


# %% nbgrader={"grade": true, "grade_id": "convolutional_model_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""convolutional_model is a compiled Functional model with the given layers, for any input shape."""
checks.check_convolutional_model(convolutional_model)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w1a2_conv_application as grader
grader.check_convolutional_model(convolutional_model, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "signs_train_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 3.2 Train with validation data
#
# This time `fit` also receives `validation_data`: after every epoch it measures the loss
# and the accuracy on the test set, without training on it. The history then tells how the
# model did on images it never learnt from, epoch by epoch.
#
# Your function compiled the model with Adam's default learning rate (0.001). A network this
# small (1,310 parameters) learns slowly, so the next cell compiles it again with a larger
# first step, `signs_learning_rate`, that shrinks to zero along a cosine over the whole
# training: large steps to get going, small ones to settle. Much larger rates do not work
# for this network: its ReLUs stop passing any gradient ("die") and the accuracy stays at
# chance.

# %% tags=["slow"] metrics={"signs_val_accuracy": "float(history['val_accuracy'][-1])"} nbgrader={"grade": false, "grade_id": "signs_train", "locked": true, "schema_version": 3, "solution": false}
seed_everything(seed)
signs_train_ds = make_dataset(X_train, Y_train, signs_batch_size, shuffle=True, seed=seed)
signs_test_ds = make_dataset(X_test, Y_test, 64, shuffle=False)
signs_model = convolutional_model((64, 64, 3))
# batches in the whole training
signs_steps = signs_epochs * int(np.ceil(len(X_train) / signs_batch_size))
signs_schedule = tf.keras.optimizers.schedules.CosineDecay(signs_learning_rate,
                                                           decay_steps=signs_steps)
signs_model.compile(optimizer=tf.keras.optimizers.Adam(signs_schedule),
                    loss="categorical_crossentropy", metrics=["accuracy"])
start = time.perf_counter()
signs_history = signs_model.fit(signs_train_ds, epochs=signs_epochs, validation_data=signs_test_ds,
                                shuffle=False, verbose=0)
history = signs_history.history
print(f"trained {signs_epochs} epochs in {time.perf_counter() - start:.1f} s; last epoch: "
      f"accuracy {history['accuracy'][-1]:.3f}, "
      f"validation accuracy {history['val_accuracy'][-1]:.3f}")

# %% nbgrader={"grade": false, "grade_id": "signs_curves", "locked": true, "schema_version": 3, "solution": false}
fig = show_curves(signs_history.history, "SIGNS", "categorical cross-entropy")

# %% [markdown] nbgrader={"grade": false, "grade_id": "signs_results_intro", "locked": true, "schema_version": 3, "solution": false}
# **Which signs does the model confuse?** A confusion matrix counts, for each true class
# (row), how often each class was predicted (column): a perfect model fills the diagonal
# only. Below it, a few right and wrong predictions on test images.

# %% nbgrader={"grade": false, "grade_id": "signs_confusion", "locked": true, "schema_version": 3, "solution": false}
signs_true = np.argmax(Y_test, axis=1)  # (120,)
signs_predicted = np.argmax(signs_model.predict(signs_test_ds, verbose=0), axis=1)
confusion = np.zeros((len(classes), len(classes)), dtype=int)
np.add.at(confusion, (signs_true, signs_predicted), 1)
fig, ax = plt.subplots(figsize=(4.8, 4.2))
image = ax.imshow(confusion, cmap="Blues")
for (i, j), count in np.ndenumerate(confusion):
    ax.text(j, i, count, ha="center", va="center",
            color="white" if count > confusion.max() / 2 else "black")
ax.set(title="SIGNS test set: confusion matrix", xlabel="predicted class", ylabel="true class",
       xticks=classes, yticks=classes)
fig.colorbar(image, ax=ax)
fig.tight_layout()
print(f"test accuracy: {np.mean(signs_predicted == signs_true):.3f}")
fig = show_predictions(X_test, signs_true, signs_predicted,
                       "SIGNS test images: predicted class (true class)")

# %% [markdown] nbgrader={"grade": false, "grade_id": "functional_question", "locked": true, "schema_version": 3, "solution": false}
# ## 4. Sequential or Functional?
#
# Both of your models are plain stacks, so both APIs could build either of them.
#
# **Question (2 points, graded by your instructor).** When do you *need* the Functional API
# instead of the Sequential API? Give two cases, each with a sentence saying why Sequential
# cannot express it. Write your answer in the next cell.

# %% [markdown] nbgrader={"grade": true, "grade_id": "functional_vs_sequential_answer", "locked": false, "points": 2, "schema_version": 3, "solution": true}
# ### BEGIN SOLUTION
# **Model answer.** A Sequential model is a single chain: exactly one input, exactly one
# output, and each layer reads only the output of the layer just before it. You need the
# Functional API whenever the model is a graph rather than a chain, for example:
#
# 1. **Skip (residual) connections or shared layers**: a tensor is used by more than one
#    later layer, as in a ResNet where `Add()([x, shortcut])` combines the output of a block
#    with its own input; a chain has no way to reach back to an earlier output.
# 2. **Several inputs or several outputs**: for example an image and a table of metadata
#    merged with `Concatenate`, or one network predicting a class and a bounding box; a
#    Sequential model has exactly one input tensor and one output tensor.
#
# Other correct cases: branches that run in parallel and are merged (Inception modules), a
# layer reused on two inputs (siamese networks), reading intermediate outputs (feature
# extraction).
#
# **Rubric (2 points).** 1 point per correct case, up to 2. A case counts when it names a
# structure that is not a single chain (skip connection, residual block, multiple inputs,
# multiple outputs, shared or reused layers, parallel branches merged, access to
# intermediate layers) **and** says why: Sequential allows one input, one output and a
# linear stack only. Half a point for a correct case without the reason. No point for
# answers about model size, speed or accuracy, or for "Functional is more flexible" with
# no case.
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "skip_connection_intro", "locked": true, "schema_version": 3, "solution": false}
# **One such case in code.** The toy model below has a **skip connection**: the output `x`
# of the first convolution goes both through a second convolution and, unchanged, around
# it, and `Add` sums the two paths (the building block of the ResNets of next week). No list
# of layers can say "use `x` twice": the Functional API can, because you name every tensor.

# %% nbgrader={"grade": false, "grade_id": "skip_connection_demo", "locked": true, "schema_version": 3, "solution": false}
seed_everything(seed)
inputs = tf.keras.Input(shape=(64, 64, 3))
x = tf.keras.layers.Conv2D(8, (3, 3), padding="same", activation="relu")(inputs)
y = tf.keras.layers.Conv2D(8, (3, 3), padding="same")(x)
y = tf.keras.layers.Add(name="skip")([x, y])  # the skip connection: x is used twice
y = tf.keras.layers.ReLU()(y)
y = tf.keras.layers.GlobalAveragePooling2D()(y)
outputs = tf.keras.layers.Dense(6, activation="softmax")(y)
toy = tf.keras.Model(inputs=inputs, outputs=outputs)
print("layers of the toy model [class, output shape, parameters, settings]:")
for row in summary(toy):
    print("   ", row)
print("predictions for two test images:", np.round(toy.predict(X_test[:2] / 255.0, verbose=0), 3))

# %% [markdown] nbgrader={"grade": false, "grade_id": "summary", "locked": true, "schema_version": 3, "solution": false}
# ## Summary
#
# You wrote the helpers a TensorFlow model needs and built, trained and evaluated two
# convolutional networks:
#
# - `convert_to_one_hot` turns integer labels into the one-hot vectors of a softmax output;
#   `make_dataset` feeds shuffled batches of `uint8` images, scaled to $[0, 1]$ on the fly;
# - `happyModel`, a **Sequential** stack (pad, convolution, batch normalisation, ReLU, max
#   pooling, a sigmoid unit), is a **binary** classifier trained with the binary
#   cross-entropy;
# - `convolutional_model`, built with the **Functional** API, is a **multiclass** classifier
#   with a softmax over six classes, trained with the categorical cross-entropy.
#
# **What to remember.**
#
# - The last layer and the loss go together: one sigmoid unit with the binary
#   cross-entropy, $C$ softmax units with the categorical cross-entropy on one-hot labels.
# - `compile` chooses the optimizer, the loss and the metrics; `fit` trains; `evaluate` and
#   `predict` measure on data the model has not seen. Validation curves show when a model
#   stops improving.
# - Sequential is enough for a single chain of layers; skip connections, several inputs or
#   outputs, and shared layers need the Functional API.
#
# **What comes next.** Next week you use the Functional API to build a ResNet, whose skip
# connections let networks of fifty layers and more train well.
