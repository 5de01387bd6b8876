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
# # Transfer Learning with MobileNetV2
#
# A network trained on a large, varied image collection has learnt features (edges,
# textures, fur, legs, shapes) that are useful far beyond its own classes. In this
# assignment you reuse such a network, **MobileNetV2**, to build an alpaca detector from
# only 262 training photos: first you keep its weights frozen and train a new head on top,
# then you **fine-tune** its last layers. Finally you compare with the same network trained
# from scratch on the same photos, to see what the pretrained weights buy.
#
# **Learning objectives.** By the end of this notebook you will be able to:
#
# - create a dataset from a directory of images;
# - preprocess and augment data with the Sequential API;
# - adapt a pretrained model to new data with the Functional API and MobileNet;
# - fine-tune a classifier's final layers to improve its accuracy.

# %% [markdown] nbgrader={"grade": false, "grade_id": "how_graded", "locked": true, "schema_version": 3, "solution": false}
# ## How this notebook is graded
#
# - Each graded function has a `# YOUR CODE HERE` marker followed by
#   `raise NotImplementedError()`: replace that line with your code, and do not change
#   the function's name, arguments or return line.
# - Run the test cell under each function. The **visible tests** print what they check and
#   end with `All tests passed.`; **hidden tests** (other image sizes and settings) run when
#   your notebook is graded.
# - The grader runs only the setup cell and the graded cells: keep any helper you write
#   inside the graded cell that uses it.
# - Run the cells in order, top to bottom. Training cells are short on purpose; the numbers
#   they print depend on your machine's speed only through the time they take.

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
import tensorflow.keras.layers as tfl
from tensorflow.keras.applications.mobilenet_v2 import preprocess_input
from tensorflow.keras.losses import BinaryCrossentropy
from tensorflow.keras.optimizers import Adam
from tensorflow.keras.utils import image_dataset_from_directory

from cnn_course.datasets.alpaca import alpaca_dir
from cnn_course.utils.mobilenet import BASE_NAME, base_predictions, pretrained_base
from cnn_course.checks import w2a2_transfer_learning as checks

# %% tags=["parameters"] smoke={"initial_epochs": 1, "fine_tune_epochs": 1, "scratch_epochs": 1, "train_batches": 2, "run_functions_eagerly": true} nbgrader={"grade": false, "grade_id": "parameters", "locked": true, "schema_version": 3, "solution": false}
seed = 0
IMG_SIZE = (160, 160)      # MobileNetV2 input size (height, width)
BATCH_SIZE = 32
initial_epochs = 5         # training the new head on the frozen base
fine_tune_epochs = 5       # then fine-tuning the top of the base
scratch_epochs = 10        # the same network from random weights, all layers trained
base_learning_rate = 0.001
fine_tune_at = 120         # first layer of the base that fine-tuning trains
train_batches = None       # None: every training batch; a number: the first batches only

# %% [markdown] nbgrader={"grade": false, "grade_id": "data_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 1. Create the dataset and split it into training and validation sets
#
# The photos sit in one folder per class, `alpaca/` and `not alpaca/`. Keras'
# `image_dataset_from_directory` reads such a folder directly: it takes the class names
# from the sub-folder names (in alphabetical order, so `alpaca` is label 0 and
# `not alpaca` label 1), resizes every photo to `image_size`, and with `validation_split`
# and `subset` keeps 80% of the files for training and 20% for validation. Both calls must
# use the **same `seed`**, or the two subsets would overlap.
#
# ### Exercise 1 - create_datasets
#
# Return `(train_dataset, validation_dataset)`, two calls of `image_dataset_from_directory`
# on `directory`:
#
# - both with `shuffle=True`, `batch_size=batch_size`, `image_size=image_size`,
#   `validation_split=0.2` and `seed=seed` (the function's arguments, not the constants);
# - the first with `subset="training"` (80% of the files), the second with
#   `subset="validation"` (the other 20%).
#
# Leave the labels to their default: each photo gets the number of its sub-folder (0 or 1).
# Return the datasets as Keras gives them: they carry the `class_names` that the next cell
# prints.

# %% nbgrader={"grade": false, "grade_id": "create_datasets", "locked": false, "schema_version": 3, "solution": true}
def create_datasets(directory, image_size=IMG_SIZE, batch_size=BATCH_SIZE, seed=42):
    """Split a folder of photos, one sub-folder per class, into a training and a validation dataset.

    Arguments:
    directory -- path of the folder; its sub-folders' names are the class names
    image_size -- (n_H, n_W): every photo is resized to it
    batch_size -- number of photos per batch
    seed -- shuffles the files, the same way for both subsets

    Returns:
    train_dataset -- tf.data.Dataset of (images (m, n_H, n_W, 3) float32, labels (m,) int32):
                     80% of the files
    validation_dataset -- the same for the other 20%
    """
    ### BEGIN SOLUTION
    train_dataset = image_dataset_from_directory(
        directory, validation_split=0.2, subset="training", seed=seed,
        shuffle=True, image_size=image_size, batch_size=batch_size)
    validation_dataset = image_dataset_from_directory(
        directory, validation_split=0.2, subset="validation", seed=seed,
        shuffle=True, image_size=image_size, batch_size=batch_size)
    ### END SOLUTION
    return train_dataset, validation_dataset


# %% nbgrader={"grade": true, "grade_id": "create_datasets_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""create_datasets splits a folder 80/20 without overlap, with the given image and batch size."""
checks.check_create_datasets(create_datasets)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w2a2_transfer_learning as grader
grader.check_create_datasets(create_datasets, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "load_data_intro", "locked": true, "schema_version": 3, "solution": false}
# **Load the alpacas.** The next cell splits the course's alpaca folder with your
# `create_datasets`. `prefetch` lets TensorFlow read the next batch while the model trains
# on the current one.

# %% nbgrader={"grade": false, "grade_id": "load_data", "locked": true, "schema_version": 3, "solution": false}
directory = alpaca_dir()  # the course's offline alpaca folder (prepared on first use)
train_dataset, validation_dataset = create_datasets(directory, IMG_SIZE, BATCH_SIZE, seed=42)
class_names = train_dataset.class_names
print("classes:", class_names)
if train_batches is not None:  # the first batches only
    train_dataset = train_dataset.take(train_batches)
    validation_dataset = validation_dataset.take(1)
train_dataset = train_dataset.prefetch(buffer_size=tf.data.AUTOTUNE)
validation_dataset = validation_dataset.prefetch(buffer_size=tf.data.AUTOTUNE)

# %% nbgrader={"grade": false, "grade_id": "show_batch", "locked": true, "schema_version": 3, "solution": false}
images, labels = next(iter(train_dataset))  # one batch: images (32, 160, 160, 3) floats in [0, 255]
fig, axes = plt.subplots(3, 3, figsize=(7, 7))
for image, label, ax in zip(images[:9], labels[:9], axes.flat, strict=True):
    ax.imshow(image.numpy().astype("uint8"))
    ax.set_title(class_names[int(label)])
    ax.axis("off")
fig.suptitle("A training batch and its labels")
plt.show()

# %% [markdown] nbgrader={"grade": false, "grade_id": "augment_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 2. Preprocess and augment the data
#
# With 262 photos, the model could memorise the training set. **Data augmentation** shows it
# a slightly different version of each photo at every epoch (mirrored, rotated), so it
# learns what an alpaca looks like rather than these particular pictures. Keras has
# augmentation *layers*: they transform their input only while training, and let it
# through unchanged at inference.
#
# ### Exercise 2 - data_augmenter
#
# Return a `tf.keras.Sequential` model made of exactly two layers, in this order:
#
# - `RandomFlip('horizontal')`: mirror the image left-right half of the time;
# - `RandomRotation(0.2)`: rotate it by up to 20% of a full turn either way.
#
# **Hint.** Create `tf.keras.Sequential()` and add each layer with its `.add(...)` method
# (the layers are `tfl.RandomFlip` and `tfl.RandomRotation`).

# %% nbgrader={"grade": false, "grade_id": "data_augmenter", "locked": false, "schema_version": 3, "solution": true}
def data_augmenter():
    """Create the Sequential model of the two augmentation layers.

    Returns:
    data_augmentation -- tf.keras.Sequential of RandomFlip('horizontal') then RandomRotation(0.2);
                         maps images (m, n_H, n_W, 3) to images of the same shape
    """
    ### BEGIN SOLUTION
    data_augmentation = tf.keras.Sequential()
    data_augmentation.add(tfl.RandomFlip("horizontal"))
    data_augmentation.add(tfl.RandomRotation(0.2))
    ### END SOLUTION
    return data_augmentation


# %% nbgrader={"grade": true, "grade_id": "data_augmenter_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""data_augmenter returns a Sequential of RandomFlip('horizontal') then RandomRotation(0.2)."""
checks.check_data_augmenter(data_augmenter)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w2a2_transfer_learning as grader
grader.check_data_augmenter(data_augmenter, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "show_augmented_intro", "locked": true, "schema_version": 3, "solution": false}
# **See it.** One training photo, augmented nine times by your `data_augmenter` (called with
# `training=True`, as `fit` does).

# %% nbgrader={"grade": false, "grade_id": "show_augmented", "locked": true, "schema_version": 3, "solution": false}
seed_everything(seed)
data_augmentation = data_augmenter()
first_image = images[0:1]  # (1, 160, 160, 3)
fig, axes = plt.subplots(3, 3, figsize=(7, 7))
for ax in axes.flat:
    augmented = data_augmentation(first_image, training=True)
    ax.imshow(augmented[0].numpy().astype("uint8"))
    ax.axis("off")
fig.suptitle(f"One '{class_names[int(labels[0])]}' photo, augmented nine times")
plt.show()

# %% [markdown] nbgrader={"grade": false, "grade_id": "base_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 3. The pretrained MobileNetV2
#
# MobileNetV2 was designed to run fast on phones. Its building block, the **inverted
# residual block**, expands the channels with a 1x1 convolution, filters each channel
# separately with a cheap 3x3 *depthwise* convolution, projects back to few channels with
# another 1x1 convolution (a linear *bottleneck*), and adds a shortcut around it all.
#
# **Which weights?** The original lesson uses MobileNetV2 trained on ImageNet (1.4 million
# photos, 1,000 classes). `pretrained_base` (from this course's package) uses them when
# Keras has them or can download them. Otherwise it uses a MobileNetV2 that the course
# staff pretrained on 6,000 pictures of 12 classes (bicycles, birds, boats, cars, cats,
# chairs, dogs, flowers, horses, houses, sheep and trees) and provide with this notebook,
# as the file `mobilenet_v2_source.weights.h5`. **No alpaca** in it: any alpaca knowledge
# must come from transfer. If neither is available, the base starts from random weights
# and the notebook still runs to the end, without the benefit of transfer. The next cell
# says which base you have, and why.

# %% nbgrader={"grade": false, "grade_id": "load_base", "locked": true, "schema_version": 3, "solution": false}
IMG_SHAPE = IMG_SIZE + (3,)
base_model, base_source, base_reason = pretrained_base(IMG_SHAPE)
print(f"MobileNetV2 base: {base_source} weights, because {base_reason}.")
print(f"{len(base_model.layers)} layers, {base_model.count_params():,} parameters; "
      f"a {IMG_SHAPE} image becomes a feature map of shape {tuple(base_model.output.shape[1:])}")
for layer in base_model.layers[-4:]:  # the last layers: a 1x1 convolution to 1280 channels
    print(f"  {layer.name:14s} {type(layer).__name__:20s} {tuple(layer.output.shape[1:])}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "base_predictions_intro", "locked": true, "schema_version": 3, "solution": false}
# **What does the pretrained network see?** Before adapting it, look at what the whole
# pretrained network (base *and* its original top) predicts on alpaca photos: with
# ImageNet weights, its top classes among 1,000; with the course's base, among its 12
# source classes. It has never been taught "alpaca": it can only name its own classes.

# %% nbgrader={"grade": false, "grade_id": "show_base_predictions", "locked": true, "schema_version": 3, "solution": false}
shown = images[:6]
source, top_classes = base_predictions(shown.numpy(), top=2)
fig, axes = plt.subplots(2, 3, figsize=(9, 6.5))
for image, label, guesses, ax in zip(shown, labels[:6], top_classes, axes.flat, strict=True):
    ax.imshow(image.numpy().astype("uint8"))
    words = "\n".join(f"{name} {p:.0%}" for name, p in guesses) or "(no top available)"
    ax.set_title(f"[{class_names[int(label)]}]\n{words}", fontsize=9)
    ax.axis("off")
fig.suptitle(f"The pretrained network's own top-2 classes ({source} weights)")
fig.tight_layout()
plt.show()

# %% [markdown] nbgrader={"grade": false, "grade_id": "alpaca_model_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 4. Adapt the pretrained model to the alpacas
#
# You keep everything the base has learnt and replace its top with a new, tiny head that
# answers one question: alpaca or not? Three steps:
#
# 1. **Freeze the base** (`base_model.trainable = False`): its 2.26 million weights stay as
#    they are, only the head trains.
# 2. **Preprocess like the base's training did**: MobileNetV2 expects pixels in [-1, 1];
#    `preprocess_input` maps [0, 255] there.
# 3. **Call the base with `training=False`**: its batch-normalisation layers must keep the
#    mean and variance they learnt on the base's large dataset rather than use those of your
#    small batches, and the base that `pretrained_base` gives you keeps them even in the
#    layers that fine-tuning unfreezes.
#
# ### Exercise 3 - alpaca_model
#
# Build with the Functional API: `tf.keras.Input(shape=input_shape)` -> `data_augmentation`
# -> `preprocess_input` -> `base_model(x, training=False)` -> `tfl.GlobalAveragePooling2D()`
# -> `tfl.Dropout(0.2)` -> `tfl.Dense(1)` (one unit, **no activation**: the output is a
# logit). Compile with `Adam(learning_rate=0.001)`, the loss
# `BinaryCrossentropy(from_logits=True)` and `metrics=["accuracy"]`, and return the model.
# The base is given: `pretrained_base(input_shape)` returns a MobileNetV2 without its top
# (`include_top=False`) and with the best weights available.

# %% nbgrader={"grade": false, "grade_id": "alpaca_model", "locked": false, "schema_version": 3, "solution": true}
def alpaca_model(image_shape=IMG_SIZE, data_augmentation=None):
    """Define a binary classifier: frozen pretrained MobileNetV2 and a new one-unit head.

    Arguments:
    image_shape -- (n_H, n_W): the size of the input images
    data_augmentation -- a Sequential of augmentation layers (default: data_augmenter())

    Returns:
    model -- compiled tf.keras.Model: input (m, n_H, n_W, 3) pixels in [0, 255],
             output (m, 1) logits (positive: "not alpaca", label 1); only the head is trainable
    """
    if data_augmentation is None:
        data_augmentation = data_augmenter()
    input_shape = image_shape + (3,)
    base_model, _, _ = pretrained_base(input_shape)  # MobileNetV2, include_top=False, pretrained
    ### BEGIN SOLUTION
    base_model.trainable = False
    inputs = tf.keras.Input(shape=input_shape)
    x = data_augmentation(inputs)
    x = preprocess_input(x)
    x = base_model(x, training=False)
    x = tfl.GlobalAveragePooling2D()(x)
    x = tfl.Dropout(0.2)(x)
    outputs = tfl.Dense(1)(x)
    model = tf.keras.Model(inputs, outputs)
    model.compile(optimizer=Adam(learning_rate=0.001),
                  loss=BinaryCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    ### END SOLUTION
    return model


# %% nbgrader={"grade": true, "grade_id": "alpaca_model_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""alpaca_model has the expected layers, parameters, frozen base, preprocessing and compilation."""
checks.check_alpaca_model(alpaca_model)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w2a2_transfer_learning as grader
grader.check_alpaca_model(alpaca_model, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "train_head_intro", "locked": true, "schema_version": 3, "solution": false}
# **Train the head.** Only 1,281 weights learn (1,280 features in, one logit out, plus a
# bias), so each epoch is quick.

# %% tags=["slow"] metrics={"val_accuracy_frozen": "float(frozen_accuracy)"} nbgrader={"grade": false, "grade_id": "train_head", "locked": true, "schema_version": 3, "solution": false}
seed_everything(seed)
model = alpaca_model(IMG_SIZE, data_augmenter())
start = time.perf_counter()
history = model.fit(train_dataset, validation_data=validation_dataset, epochs=initial_epochs,
                    verbose=2, shuffle=False)  # the dataset reshuffles itself at every epoch
print(f"{initial_epochs} epochs in {time.perf_counter() - start:.0f} s")
frozen_accuracy = history.history["val_accuracy"][-1]
print(f"validation accuracy with the frozen base: {frozen_accuracy:.3f}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "fine_tune_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 5. Fine-tuning the model
#
# The base's early layers detect generic patterns (edges, colours, textures); its last
# layers combine them into the features of its *source* classes. **Fine-tuning** unfreezes
# those last layers and trains them a little on the new task, with a **small learning
# rate**, so that they adapt to alpacas without forgetting what they know.
#
# ### Exercise 4 - fine_tune
#
# 1. Get the base from the model by its name: `model.get_layer(BASE_NAME)` (Keras 3 does not
#    list `preprocess_input` among `model.layers`, so never count on a layer's index).
# 2. Make the base trainable, then freeze again every layer **before** `fine_tune_at`
#    (`base_model.layers[:fine_tune_at]`), one by one, with `layer.trainable = False`.
# 3. Recompile (a change of `trainable` only takes effect on `compile`): `Adam` with a
#    learning rate of **a tenth** of `base_learning_rate`, `BinaryCrossentropy(from_logits=True)`
#    and `metrics=["accuracy"]`. Return the model.

# %% nbgrader={"grade": false, "grade_id": "fine_tune", "locked": false, "schema_version": 3, "solution": true}
def fine_tune(model, fine_tune_at=120, base_learning_rate=0.001):
    """Unfreeze the top of the model's MobileNetV2 base and recompile the model for fine-tuning.

    Arguments:
    model -- a model built by alpaca_model (base frozen), usually already trained
    fine_tune_at -- index in base_model.layers of the first layer to train
    base_learning_rate -- the learning rate of the first training phase

    Returns:
    model -- the same model: base layers [fine_tune_at:] trainable, earlier ones frozen;
             compiled with Adam(base_learning_rate / 10), BinaryCrossentropy(from_logits=True)
             and the accuracy metric
    """
    ### BEGIN SOLUTION
    base_model = model.get_layer(BASE_NAME)
    base_model.trainable = True
    for layer in base_model.layers[:fine_tune_at]:
        layer.trainable = False
    model.compile(optimizer=Adam(learning_rate=0.1 * base_learning_rate),
                  loss=BinaryCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    ### END SOLUTION
    return model


# %% nbgrader={"grade": true, "grade_id": "fine_tune_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""fine_tune freezes the base below fine_tune_at only and recompiles at a tenth of the rate."""
checks.check_fine_tune(fine_tune)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w2a2_transfer_learning as grader
grader.check_fine_tune(fine_tune, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "train_fine_intro", "locked": true, "schema_version": 3, "solution": false}
# **Continue training.** `initial_epoch` makes `fit` number the new epochs after the first
# phase's, so both phases draw as one curve.

# %% tags=["slow"] metrics={"val_accuracy_fine_tuned": "float(fine_accuracy)", "val_accuracy_fine_tuned_at_0": "float(np.mean(np.concatenate([(model.predict(x, verbose=0)[:, 0] > 0) == (y.numpy() == 1) for x, y in validation_dataset])))"} nbgrader={"grade": false, "grade_id": "train_fine", "locked": true, "schema_version": 3, "solution": false}
model = fine_tune(model, fine_tune_at, base_learning_rate)
trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
print(f"trainable parameters while fine-tuning: {trainable:,}")
total_epochs = initial_epochs + fine_tune_epochs
start = time.perf_counter()
history_fine = model.fit(train_dataset, validation_data=validation_dataset, epochs=total_epochs,
                         initial_epoch=history.epoch[-1] + 1, verbose=2, shuffle=False)
print(f"{fine_tune_epochs} epochs in {time.perf_counter() - start:.0f} s")
fine_accuracy = history_fine.history["val_accuracy"][-1]
print(f"validation accuracy: {frozen_accuracy:.3f} frozen -> {fine_accuracy:.3f} fine-tuned")

# %% [markdown] nbgrader={"grade": false, "grade_id": "scratch_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 6. What does transfer buy? The same network from scratch
#
# The same network (augmentation, preprocessing, MobileNetV2, pooling, dropout, one logit),
# now from **random** weights and with every layer trained, on the same 262 photos, for as
# many epochs as both phases above together.
#
# One setting differs. A batch normalisation layer keeps running averages of its inputs'
# mean and variance, and uses them instead of the batch's at validation. They start at 0
# and 1 and move by `1 - momentum` of the gap at each step. Keras' MobileNetV2 uses a
# momentum of 0.999, so 91 % of those starting values would remain after the 90 steps of
# this training, far from what the new weights produce. The cell sets the momentum to 0.9,
# so the averages follow the training (a pretrained base's layers already hold the right
# ones).

# %% tags=["slow"] metrics={"val_accuracy_scratch": "float(scratch_accuracy)", "val_accuracy_scratch_at_0": "float(np.mean(np.concatenate([(scratch_model.predict(x, verbose=0)[:, 0] > 0) == (y.numpy() == 1) for x, y in validation_dataset])))"} nbgrader={"grade": false, "grade_id": "train_scratch", "locked": true, "schema_version": 3, "solution": false}
seed_everything(seed)
inputs = tf.keras.Input(shape=IMG_SHAPE)
x = preprocess_input(data_augmenter()(inputs))
scratch_base = tf.keras.applications.MobileNetV2(input_shape=IMG_SHAPE, include_top=False,
                                                 weights=None)
for layer in scratch_base.layers:  # statistics that can follow 90 steps (see above)
    if isinstance(layer, tfl.BatchNormalization):
        layer.momentum = 0.9
x = tfl.Dropout(0.2)(tfl.GlobalAveragePooling2D()(scratch_base(x)))
scratch_model = tf.keras.Model(inputs, tfl.Dense(1)(x))
scratch_model.compile(optimizer=Adam(learning_rate=base_learning_rate),
                      loss=BinaryCrossentropy(from_logits=True), metrics=["accuracy"])
start = time.perf_counter()
history_scratch = scratch_model.fit(train_dataset, validation_data=validation_dataset,
                                    epochs=scratch_epochs, verbose=0, shuffle=False)
scratch_accuracy = history_scratch.history["val_accuracy"][-1]
print(f"from scratch, {scratch_epochs} epochs in {time.perf_counter() - start:.0f} s: "
      f"validation accuracy {scratch_accuracy:.3f}")

# %% nbgrader={"grade": false, "grade_id": "plot_curves", "locked": true, "schema_version": 3, "solution": false}
transfer_curve = history.history["val_accuracy"] + history_fine.history["val_accuracy"]
scratch_curve = history_scratch.history["val_accuracy"]
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(range(1, len(transfer_curve) + 1), transfer_curve, "o-", label="pretrained base (transfer)")
ax.plot(range(1, len(scratch_curve) + 1), scratch_curve, "s--",
        label="random weights (from scratch)")
ax.axvline(initial_epochs + 0.5, color="gray", linestyle=":", label="start of fine-tuning")
ax.set_xlabel("epoch")
ax.set_ylabel("validation accuracy")
ax.set_ylim(0, 1.02)
ax.set_title(f"Transfer learning vs from scratch ({base_source} base)")
ax.legend(loc="lower right")
plt.show()

# %% nbgrader={"grade": false, "grade_id": "show_predictions", "locked": true, "schema_version": 3, "solution": false}
val_images, val_labels = next(iter(validation_dataset))
logits = model.predict(val_images, verbose=0)[:, 0]  # > 0 means "not alpaca" (label 1)
fig, axes = plt.subplots(2, 4, figsize=(10, 5.5))
for image, label, logit, ax in zip(val_images[:8], val_labels[:8], logits[:8], axes.flat,
                                   strict=True):
    guess = class_names[int(logit > 0)]
    ax.imshow(image.numpy().astype("uint8"))
    ax.set_title(f"{guess}\n(true: {class_names[int(label)]})",
                 color="green" if guess == class_names[int(label)] else "red", fontsize=9)
    ax.axis("off")
fig.suptitle("Fine-tuned model on validation photos (green: right, red: wrong)")
plt.show()

# %% [markdown] nbgrader={"grade": false, "grade_id": "summary", "locked": true, "schema_version": 3, "solution": false}
# ## Summary
#
# You built an alpaca detector from 262 photos by reusing a pretrained MobileNetV2:
#
# - `create_datasets` turned a folder per class into labelled training and validation
#   sets with `image_dataset_from_directory` (same `seed` for both subsets);
# - `data_augmenter` added random flips and rotations, active only while training;
# - `alpaca_model` froze the base, preprocessed the pixels as the base expects, called it
#   with `training=False`, and trained only a new 1,281-weight head;
# - `fine_tune` unfroze the base's last layers and trained them with a tenth of the
#   learning rate, continuing the same training run with `initial_epoch`.
#
# **What to remember.**
#
# - Reuse a network trained on a big, varied dataset when yours is small: its features
#   transfer, and the new head needs few examples. The same network from random weights,
#   on the same photos, does much worse.
# - Match the base's preprocessing, and run its batch normalisation in inference mode
#   (`training=False`), so that it keeps the statistics it learnt on its large dataset.
# - Fine-tune late layers only, with a small learning rate, after the head has trained:
#   a random head would send large gradients into the pretrained weights.
# - A one-unit `Dense` without activation outputs a logit: pair it with
#   `from_logits=True`; its decision point is 0 (a probability of 0.5).
