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
# # Image Segmentation with U-Net
#
# A classifier says *what* is in a picture. A self-driving car needs more: for every pixel
# of its camera image, is it road, sidewalk, car, pedestrian or sky? Labelling every pixel
# with a class is **semantic segmentation**. In this assignment you build the network that
# made it practical with little data, the **U-Net**, and train it on street scenes in the
# style of the CARLA driving simulator, with classes from road and lane markings to traffic
# signs.
#
# **Learning objectives.** By the end of this notebook you will be able to:
#
# - label a dataset for semantic image segmentation: turn the polygons and boxes an
#   annotator drew on a frame into a mask of class ids, in the dataset's own format;
# - build a U-Net: its contracting path, its expanding path and the skip connections
#   between them;
# - explain the difference between a regular CNN classifier and a U-Net;
# - apply sparse categorical cross-entropy for pixelwise prediction;
# - implement semantic segmentation on the CARLA dataset, and measure it with pixel
#   accuracy and the intersection over union (IoU) of every class on held-out scenes.

# %% [markdown] nbgrader={"grade": false, "grade_id": "how_graded", "locked": true, "schema_version": 3, "solution": false}
# ## How this notebook is graded
#
# - Each graded function has a `# YOUR CODE HERE` marker followed by
#   `raise NotImplementedError()`: replace that line with your code, and do not change
#   the function's name, arguments or return line.
# - Some graded cells (`annotations_to_mask`, `conv_block`, `upsampling_block`) also hold a
#   skeleton under that line: the steps as commented lines and code with `None`
#   placeholders. Delete the `raise` line, then replace every `None` with your code.
# - Run the test cell under each function. The **visible tests** print what they check and
#   end with `All tests passed.`; when something is wrong they stop with a sentence saying
#   what. **Hidden tests** (other image sizes, filter counts and file formats) run when your
#   notebook is graded, so write general code, not code tuned to the visible values.
# - Two questions are answered in words, in the cells marked `YOUR ANSWER HERE`; your
#   instructor grades them by hand.
# - The grader runs only the setup cell and the graded cells: keep any helper you write
#   inside the graded cell that uses it.
# - Run the cells in order, top to bottom: later cells use the functions you wrote earlier.
#   Use the Keras layers imported in the setup cell (`layers.Conv2D`, ...).

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

from cnn_course.utils import quiet_tensorflow, seed_everything

quiet_tensorflow()  # before TensorFlow is imported: keeps its start-up messages out of the notebook

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
import keras
from keras import layers

from cnn_course.datasets import carla, carla_annotations
from cnn_course.utils import segmentation
from cnn_course.checks import w3a2_unet_segmentation as checks

# %% tags=["parameters"] smoke={"n_images": 40, "train_filters": 4, "epochs": 1, "batch_size": 8, "validation_freq": 1} nbgrader={"grade": false, "grade_id": "parameters", "locked": true, "schema_version": 3, "solution": false}
seed = 0                  # seeds the split-free shuffling, the weights and dropout
IMG_SIZE = (96, 128)      # (height, width) every image and mask is resized to
N_CLASSES = 23            # CARLA's semantic tags
held_out_fraction = 0.2   # the last 20 % of the scenes (by file name) are never trained on
n_images = None           # None: all 1,060 pairs
train_filters = 8         # n_filters of the U-Net trained in section 4 (the graded default is 32)
epochs = 36
batch_size = 8
learning_rate = 0.003     # Adam's first step size, decayed to 0 along a cosine over the training
mirror = True             # training pairs: mirrored left to right at random, image and mask
                          # together
validation_freq = 5       # score the held-out scenes every 5 epochs (each scoring costs time)
buffer_size = 500         # shuffle buffer, in images

# %% [markdown] nbgrader={"grade": false, "grade_id": "data_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 1. The data: street scenes and their masks
#
# The dataset has 1,060 pairs of PNG files with the same name in two folders:
#
# - `CameraRGB/`: the camera image, 480x640 pixels, RGB;
# - `CameraMask/`: the **mask**, same size, where each pixel holds the **class id** of what
#   it shows, stored in the red channel (green and blue are 0).
#
# The class ids are CARLA's semantic tags (`carla.class_names()` lists them): 7 is road,
# 8 sidewalk, 10 vehicles, ... CARLA names 23 tags, so the model gets 23 outputs, but these
# frames use only the first 13: the sky is 0 (unlabeled), and the bonnet of the car that
# carries the camera, at the bottom of every frame, is 10 (vehicles). The files here are an
# offline stand-in drawn by this course in the original's layout. The next cell lists the
# files, keeps the **last 20 % of the scenes as a held-out test set** (never trained on, used
# at the end to measure the model) and shows a few pairs, with the mask coloured by class.

# %% nbgrader={"grade": false, "grade_id": "data_paths", "locked": true, "schema_version": 3, "solution": false}
image_paths, mask_paths = carla.image_mask_paths()
image_paths, mask_paths = image_paths[:n_images], mask_paths[:n_images]
n_test = max(1, round(held_out_fraction * len(image_paths)))
train_images, test_images = image_paths[:-n_test], image_paths[-n_test:]
train_masks, test_masks = mask_paths[:-n_test], mask_paths[-n_test:]
print(f"{len(train_images)} training pairs, {len(test_images)} held-out pairs")
print("first pair:", image_paths[0].split("carla")[-1], "+", mask_paths[0].split("carla")[-1])
fig = carla.gallery(rows=2)
fig

# %% [markdown] nbgrader={"grade": false, "grade_id": "process_path_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 1.1 Reading a pair
#
# The input pipeline is a `tf.data.Dataset` of `(image_path, mask_path)` string pairs; a
# function mapped over it turns each pair into tensors. Write that function, `process_path`:
#
# - read each file with `tf.io.read_file` and decode it with
#   `tf.image.decode_png(..., channels=3)` (3 channels whatever the file holds: RGBA and
#   greyscale files are converted);
# - the image: convert the `uint8` values to `float32` in $[0, 1]$ with
#   `tf.image.convert_image_dtype(img, tf.float32)` (it divides by 255; `tf.cast` would not);
# - the mask: the class id sits in one channel and the others are 0, so the **maximum over
#   the channel axis** is the id. Use `tf.math.reduce_max` with `keepdims=True`, so that the
#   mask keeps a channel axis of size 1: shape $(n_H, n_W, 1)$.

# %% nbgrader={"grade": false, "grade_id": "process_path", "locked": false, "schema_version": 3, "solution": true}
def process_path(image_path, mask_path):
    """Read one image and its mask from PNG files.

    Arguments:
    image_path -- scalar string tensor, path of an RGB PNG of n_H x n_W pixels
    mask_path -- scalar string tensor, path of the mask PNG (same size), class id in one channel

    Returns:
    img -- float32 tensor of shape (n_H, n_W, 3), values in [0, 1]
    mask -- uint8 tensor of shape (n_H, n_W, 1), the class id of every pixel
    """
    ### BEGIN SOLUTION
    img = tf.image.decode_png(tf.io.read_file(image_path), channels=3)
    img = tf.image.convert_image_dtype(img, tf.float32)
    mask = tf.image.decode_png(tf.io.read_file(mask_path), channels=3)
    mask = tf.math.reduce_max(mask, axis=-1, keepdims=True)
    ### END SOLUTION
    return img, mask


# %% nbgrader={"grade": true, "grade_id": "process_path_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""process_path decodes the image as floats in [0, 1] and the mask as one channel of class ids."""
checks.check_process_path(process_path)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w3a2_unet_segmentation as grader
grader.check_process_path(process_path, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "preprocess_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 1.2 Resizing
#
# 480x640 is more than a CPU can train on in minutes: `preprocess` shrinks each image and
# its mask to `IMG_SIZE` = (96, 128), a fifth of each side, with
# `tf.image.resize(..., IMG_SIZE, method="nearest")`.
#
# **Why nearest-neighbour?** For the mask it is the only right choice: a new pixel takes the
# value of one old pixel, so it stays a class id. Bilinear interpolation would average the
# ids of neighbours: between "road" (7) and "vehicles" (10) it would invent 8.5, or 8,
# "sidewalk", a class that is not there. The image gets the same resizing so that every image
# pixel still lies exactly on its mask pixel.

# %% nbgrader={"grade": false, "grade_id": "preprocess", "locked": false, "schema_version": 3, "solution": true}
def preprocess(image, mask):
    """Resize an image and its mask to IMG_SIZE with nearest-neighbour sampling.

    Arguments:
    image -- float32 tensor of shape (n_H, n_W, 3)
    mask -- tensor of shape (n_H, n_W, 1), class ids

    Returns:
    input_image -- tensor of shape (96, 128, 3), same dtype as image
    input_mask -- tensor of shape (96, 128, 1), class ids (same dtype as mask)
    """
    ### BEGIN SOLUTION
    input_image = tf.image.resize(image, IMG_SIZE, method="nearest")
    input_mask = tf.image.resize(mask, IMG_SIZE, method="nearest")
    ### END SOLUTION
    return input_image, input_mask


# %% nbgrader={"grade": true, "grade_id": "preprocess_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""preprocess resizes an image and its mask to 96x128 without mixing class ids."""
checks.check_preprocess(preprocess)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w3a2_unet_segmentation as grader
grader.check_preprocess(preprocess, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "pipeline_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 1.3 The pipeline
#
# The next cell chains your two functions into `tf.data` pipelines, one for the training
# scenes and one for the held-out scenes. Decoding PNGs is the slow part, so the resized pairs
# are **cached** in memory after the first pass; the training set is then **shuffled** (with
# the seed), cut into **batches**, and **prefetched** so that the next batch is prepared while
# the model trains on the current one.
#
# The training pairs are also **mirrored** left to right at random (`mirror` in the
# parameters cell), a new draw at every epoch: a mirrored street is still a street, and its
# mask is mirrored with it, so the labels stay right. It is a cheap way to show the model more
# scenes than the folder holds; the held-out scenes are never mirrored.

# %% nbgrader={"grade": false, "grade_id": "pipeline", "locked": true, "schema_version": 3, "solution": false}
def random_mirror(image, mask):
    """The pair mirrored left to right (the width axis) with probability 1/2, both or neither."""
    flip = tf.random.uniform([], seed=seed) < 0.5
    return (tf.where(flip, tf.reverse(image, axis=[1]), image),
            tf.where(flip, tf.reverse(mask, axis=[1]), mask))


def make_dataset(images, masks, shuffle, mirror=False):
    """Batches of (image (b, 96, 128, 3) float32, mask (b, 96, 128, 1) uint8) from file paths."""
    dataset = tf.data.Dataset.from_tensor_slices((images, masks))
    dataset = dataset.map(process_path, num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE).cache()
    if shuffle:
        dataset = dataset.shuffle(buffer_size, seed=seed)
    if mirror:  # after the cache: a new draw at every epoch
        dataset = dataset.map(random_mirror)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


train_dataset = make_dataset(train_images, train_masks, shuffle=True, mirror=mirror)
test_dataset = make_dataset(test_images, test_masks, shuffle=False)
images, masks = next(iter(test_dataset))
print("a batch:", tuple(images.shape), images.dtype.name, "and", tuple(masks.shape),
      masks.dtype.name)
fig, axes = plt.subplots(1, 2, figsize=(8, 3))
axes[0].imshow(images[0])
axes[1].imshow(carla.colourise(masks[0, ..., 0]), interpolation="nearest")
for ax, title in zip(axes, ("image, 96x128", "mask, 96x128 (coloured by class)"), strict=True):
    ax.set_title(title)
    ax.axis("off")
plt.show()

# %% [markdown] nbgrader={"grade": false, "grade_id": "labelling_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 1.4 Labelling new frames
#
# Where do masks come from? People draw them. In an annotation tool (LabelMe, CVAT, ...) an
# annotator outlines each region of a frame, a polygon around the road, a box around a
# sign, picks its class, and the tool saves the shapes, one JSON file per frame. Labelling a
# dataset means turning those shapes into masks in the dataset's own format. The next cell
# writes four new street frames (none of them is in the training or held-out scenes) and
# their annotation files, and draws the shapes of the first one.
# `carla_annotations.read_annotations` reads a file as a list of shapes, **in the order they
# were drawn**:
#
# - `{"label": 7, "polygon": [(x0, y0), (x1, y1), ...]}`: a polygon, its vertices in order;
#   the last vertex joins the first;
# - `{"label": 12, "box": (x0, y0, x1, y1)}`: a box, with `x0 < x1` and `y0 < y1`.
#
# `label` is the class id, and coordinates are pixels from the top-left corner of the frame:
# `x` is the column, `y` the row (not `(row, col)` as numpy indexes). Pixel `(r, c)` (row `r`,
# column `c`) is the square from `(c, r)` to `(c + 1, r + 1)`; its centre is
# `(c + 0.5, r + 0.5)`.

# %% nbgrader={"grade": false, "grade_id": "annotations", "locked": true, "schema_version": 3, "solution": false}
frames = carla_annotations.annotated_frames()
shapes, height, width = carla_annotations.read_annotations(frames[0]["annotation_path"])
kinds = ["box" if "box" in shape else "polygon" for shape in shapes]
print(f"{frames[0]['name']}: {height}x{width}, {kinds.count('polygon')} polygons and "
      f"{kinds.count('box')} boxes, in drawing order; the first and the last:")
print(" ", shapes[0]["label"], carla.class_names()[shapes[0]["label"]], kinds[0],
      [tuple(round(v, 1) for v in p) for p in shapes[0].get("polygon", [])][:4], "...")
print(" ", shapes[-1]["label"], carla.class_names()[shapes[-1]["label"]], kinds[-1])
fig, ax = plt.subplots(figsize=(7, 5.4))
ax.imshow(plt.imread(frames[0]["image_path"]))
carla_annotations.draw_shapes(ax, shapes)
ax.set_title("A new frame and the shapes drawn on it (coloured by class)")
ax.axis("off")
plt.show()

# %% [markdown] nbgrader={"grade": false, "grade_id": "annotations_to_mask_intro", "locked": true, "schema_version": 3, "solution": false}
# Write `annotations_to_mask(annotations, height, width)`, which paints a list of shapes into
# a mask:
#
# - the mask has shape `(height, width)` and dtype `uint8`, one class id per pixel, and holds
#   **0 where no shape is drawn**: 0 is "Unlabeled" among CARLA's tags, which in these frames
#   is also the sky, so annotators never draw the sky;
# - **shapes are drawn in list order**, each painting its class over what is already there,
#   like layers of paint: a car drawn after the road covers that part of the road;
# - **a pixel belongs to a shape when its centre lies inside the shape.** For a box:
#   `x0 <= c + 0.5 < x1` and `y0 <= r + 0.5 < y1` (a centre exactly on the left or top
#   side is inside, on the right or bottom side outside). For a polygon, the **even-odd
#   rule**: a ray from the centre to the right crosses the polygon's edges an odd number of
#   times. Where a polygon crosses itself, as a five-pointed star drawn in one stroke, the
#   rays from its middle cross four edges: the middle is outside;
# - shapes may reach beyond the frame: only the frame's pixels count.
#
# **Many pixels at once (the crossing number).** Take the pixel centres as two arrays, `xs`
# of shape `(width,)` and `ys` of shape `(height, 1)`. The edges of a polygon are the pairs
# of a vertex and the next, the last vertex joining the first:
# `zip(points, np.roll(points, -1, axis=0))` lists them. For an edge from `(x0, y0)` to
# `(x1, y1)`, the ray of a centre at height `y` meets the edge when `(y0 > y) != (y1 > y)`
# (this test counts a vertex that lies on the ray once, and a horizontal edge never), at
# $x_{cross} = x_0 + (y - y_0)\,\frac{x_1 - x_0}{y_1 - y_0}$; the centre is left of the
# crossing when `xs < x_cross`. With `ys` these are `(height, 1)` arrays, and broadcasting
# against `xs` gives the `(height, width)` answer for the edge: toggle `inside` there
# (`inside ^= ...`), once per edge. A division by zero for a horizontal edge is harmless
# (the first test is False on every row); `np.errstate(divide="ignore", invalid="ignore")`
# keeps numpy from warning about it.

# %% nbgrader={"grade": false, "grade_id": "annotations_to_mask", "locked": false, "schema_version": 3, "solution": true}
def annotations_to_mask(annotations, height, width):
    """Paint shapes, in order, into a mask of class ids.

    Arguments:
    annotations -- list of dicts, {"label": id, "polygon": [(x, y), ...]} or
                   {"label": id, "box": (x0, y0, x1, y1)}, in pixels (x: column, y: row)
    height, width -- size of the mask

    Returns:
    mask -- uint8 array of shape (height, width): the label of the last shape covering each
            pixel's centre (c + 0.5, r + 0.5), 0 where none does
    """
    ### BEGIN SOLUTION
    ### BEGIN SKELETON
    # # About 18 lines: replace every None.
    # mask = None                  # (height, width) zeros, dtype uint8
    # xs = None                    # (width,) the x of the pixel centres
    # ys = None                    # (height, 1) the y of the pixel centres
    # for shape in None:           # in order: a later shape paints over an earlier one
    #     if None:                 # a box: the shape has the key "box"
    #         x0, y0, x1, y1 = None
    #         inside = None        # (height, width) bool: x0 <= x < x1 and y0 <= y < y1
    #     if None:                 # a polygon: the shape has the key "polygon"
    #         inside = None        # (height, width) bool, all False
    #         points = None        # the vertices as a float array of shape (n, 2)
    #         for (x0, y0), (x1, y1) in None:  # each edge
    #             crosses = None   # (height, 1) bool: the edge spans the row's y
    #             x_cross = None   # (height, 1) the x where the edge meets the row's y
    #             inside ^= None   # the centres left of the crossing, on those rows
    #     mask[inside] = None
    ### END SKELETON
    mask = np.zeros((height, width), dtype=np.uint8)
    xs = np.arange(width) + 0.5
    ys = np.arange(height)[:, np.newaxis] + 0.5
    for shape in annotations:
        if "box" in shape:
            x0, y0, x1, y1 = shape["box"]
            inside = (x0 <= xs) & (xs < x1) & (y0 <= ys) & (ys < y1)
        else:
            inside = np.zeros((height, width), dtype=bool)
            points = np.asarray(shape["polygon"], dtype=float)
            for (x0, y0), (x1, y1) in zip(points, np.roll(points, -1, axis=0), strict=True):
                crosses = (y0 > ys) != (y1 > ys)
                with np.errstate(divide="ignore", invalid="ignore"):
                    x_cross = x0 + (ys - y0) * (x1 - x0) / (y1 - y0)
                inside ^= crosses & (xs < x_cross)
        mask[inside] = shape["label"]
    ### END SOLUTION
    return mask


# %% nbgrader={"grade": true, "grade_id": "annotations_to_mask_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""annotations_to_mask paints boxes and polygons in order, by pixel centre, even-odd, as uint8."""
checks.check_annotations_to_mask(annotations_to_mask)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w3a2_unet_segmentation as grader
grader.check_annotations_to_mask(annotations_to_mask, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "labelled_intro", "locked": true, "schema_version": 3, "solution": false}
# **Your labels, in the dataset's format.** The next cell paints the masks of the four frames
# with your function and writes each as a PNG in the format of `CameraMask/` (the class id in
# the red channel), in a `CameraMask/` folder beside the frames. The dataset's own loader
# (`carla.load_pair`) accepts them, and your `process_path` reads them back: they join the
# pipeline as a small labelled set, `labelled_dataset`, on which section 5 measures the
# trained U-Net.

# %% nbgrader={"grade": false, "grade_id": "labelled", "locked": true, "schema_version": 3, "solution": false}
for item in frames:
    frame_shapes, n_H, n_W = carla_annotations.read_annotations(item["annotation_path"])
    carla_annotations.write_mask(item["mask_path"], annotations_to_mask(frame_shapes, n_H, n_W))
    carla.load_pair(item["image_path"], item["mask_path"])  # raises if a file is not in the format
labelled_images = [item["image_path"] for item in frames]
labelled_masks = [item["mask_path"] for item in frames]
labelled_dataset = make_dataset(labelled_images, labelled_masks, shuffle=False)
image, mask = process_path(tf.constant(labelled_images[0]), tf.constant(labelled_masks[0]))
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
axes[0].imshow(image)
carla_annotations.draw_shapes(axes[0], shapes)
axes[1].imshow(carla.colourise(mask[..., 0]), interpolation="nearest")
titles = ("the frame and its shapes", "your mask, read back by process_path")
for ax, title in zip(axes, titles, strict=True):
    ax.set_title(title)
    ax.axis("off")
plt.show()

# %% [markdown] nbgrader={"grade": false, "grade_id": "unet_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 2. The U-Net
#
# A segmentation network must output a class score for every pixel: its output has the
# height and width of its input. The U-Net (Ronneberger et al., 2015) gets there with two
# paths, drawn as the two arms of a "U":
#
# - the **contracting path** (encoder) is a regular CNN: blocks of two 3x3 convolutions,
#   each followed by a 2x2 max pooling that halves the height and width while the number of
#   filters doubles. Deeper blocks see larger parts of the scene and learn *what* is there,
#   but the pooling throws away *where* exactly;
# - the **expanding path** (decoder) climbs back: each block doubles the height and width
#   with a **transposed convolution**, then **concatenates** the feature maps of the encoder
#   block of the same size, the **skip connection**, and mixes both with two convolutions.
#   The skip brings back the fine detail the pooling lost, so edges land on the right pixel;
# - at the top, a 1x1 convolution turns the features of each pixel into `n_classes` scores.
#
# ```
# 96x128x32 ----------------------------------------------> concat -> 96x128x32 -> 1x1 conv -> 23
#    48x64x64 ----------------------------------> concat -> 48x64x64
#       24x32x128 --------------------> concat -> 24x32x128
#          12x16x256 ----> concat -> 12x16x256
#                 6x8x512 (bottleneck)
# ```
#
# ### 2.1 The encoder block
#
# `conv_block` builds one step of the contracting path and returns two tensors:
# `next_layer`, the input of the next (deeper) block, and `skip_connection`, what the decoder
# will concatenate.
#
# 1. Two `layers.Conv2D(n_filters, 3, activation="relu", padding="same",
#    kernel_initializer="he_normal")` in a row ("same" keeps the size; He initialisation
#    suits ReLU).
# 2. If `dropout_prob > 0`, a `layers.Dropout(dropout_prob)`.
# 3. The skip connection is the result so far, **before** any pooling: it keeps the full size.
# 4. If `max_pooling`, `next_layer` is a `layers.MaxPooling2D(pool_size=(2, 2))` of it;
#    otherwise `next_layer` is the same tensor as the skip connection.

# %% nbgrader={"grade": false, "grade_id": "conv_block", "locked": false, "schema_version": 3, "solution": true}
def conv_block(inputs=None, n_filters=32, dropout_prob=0, max_pooling=True):
    """One block of the contracting path.

    Arguments:
    inputs -- Keras tensor of shape (None, n_H, n_W, n_C_prev)
    n_filters -- number of filters of both convolutions
    dropout_prob -- dropout rate after the convolutions (no Dropout layer when 0)
    max_pooling -- whether to end with a 2x2 max pooling

    Returns:
    next_layer -- (None, n_H // 2, n_W // 2, n_filters) with pooling, else the skip connection
    skip_connection -- (None, n_H, n_W, n_filters), the output before pooling
    """
    ### BEGIN SOLUTION
    ### BEGIN SKELETON
    # # About 8 lines: replace every None.
    # conv = layers.Conv2D(None, None, activation=None, padding=None,
    #                      kernel_initializer=None)(inputs)
    # conv = layers.Conv2D(None, None, activation=None, padding=None,
    #                      kernel_initializer=None)(None)
    # # A Dropout layer on conv, only when dropout_prob is above 0 (2 lines).
    # next_layer = None       # MaxPooling2D of conv when max_pooling, else conv itself
    # skip_connection = None  # conv, taken before any pooling
    ### END SKELETON
    conv = layers.Conv2D(n_filters, 3, activation="relu", padding="same",
                         kernel_initializer="he_normal")(inputs)
    conv = layers.Conv2D(n_filters, 3, activation="relu", padding="same",
                         kernel_initializer="he_normal")(conv)
    if dropout_prob > 0:
        conv = layers.Dropout(dropout_prob)(conv)
    next_layer = layers.MaxPooling2D(pool_size=(2, 2))(conv) if max_pooling else conv
    skip_connection = conv
    ### END SOLUTION
    return next_layer, skip_connection


# %% nbgrader={"grade": true, "grade_id": "conv_block_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""conv_block: two he_normal relu convolutions, optional dropout, the skip taken before pooling."""
checks.check_conv_block(conv_block)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w3a2_unet_segmentation as grader
grader.check_conv_block(conv_block, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "upsampling_block_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 2.2 The decoder block
#
# `upsampling_block` takes `expansive_input`, the output of the block below (small, many
# channels), and `contractive_input`, the skip connection of the encoder block of the size
# to reach:
#
# 1. `layers.Conv2DTranspose(n_filters, (3, 3), strides=(2, 2), padding="same")` on
#    `expansive_input`: a learnt upsampling that doubles the height and width;
# 2. `layers.concatenate([..., contractive_input], axis=3)`: stack the upsampled maps and
#    the skip connection along the channel axis (axis 3 of `(batch, n_H, n_W, n_C)`);
# 3. two `Conv2D(n_filters, 3, activation="relu", padding="same",
#    kernel_initializer="he_normal")`, as in the encoder.

# %% nbgrader={"grade": false, "grade_id": "upsampling_block", "locked": false, "schema_version": 3, "solution": true}
def upsampling_block(expansive_input, contractive_input, n_filters=32):
    """One block of the expanding path.

    Arguments:
    expansive_input -- Keras tensor (None, n_H, n_W, n_C), from the block below
    contractive_input -- Keras tensor (None, 2 * n_H, 2 * n_W, n_C_skip), the skip connection
    n_filters -- number of filters of the transposed and the two plain convolutions

    Returns:
    conv -- Keras tensor of shape (None, 2 * n_H, 2 * n_W, n_filters)
    """
    ### BEGIN SOLUTION
    ### BEGIN SKELETON
    # # About 7 lines: replace every None.
    # up = layers.Conv2DTranspose(None, None, strides=None, padding=None)(expansive_input)
    # merge = layers.concatenate([None, None], axis=None)
    # conv = layers.Conv2D(None, None, activation=None, padding=None,
    #                      kernel_initializer=None)(merge)
    # conv = layers.Conv2D(None, None, activation=None, padding=None,
    #                      kernel_initializer=None)(None)
    ### END SKELETON
    up = layers.Conv2DTranspose(n_filters, (3, 3), strides=(2, 2), padding="same")(expansive_input)
    merge = layers.concatenate([up, contractive_input], axis=3)
    conv = layers.Conv2D(n_filters, 3, activation="relu", padding="same",
                         kernel_initializer="he_normal")(merge)
    conv = layers.Conv2D(n_filters, 3, activation="relu", padding="same",
                         kernel_initializer="he_normal")(conv)
    ### END SOLUTION
    return conv


# %% nbgrader={"grade": true, "grade_id": "upsampling_block_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""upsampling_block: stride-2 transposed convolution, skip concatenated, two convolutions."""
checks.check_upsampling_block(upsampling_block)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w3a2_unet_segmentation as grader
grader.check_upsampling_block(upsampling_block, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "unet_model_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 2.3 The whole model
#
# Assemble the U-Net from your blocks, with `n` = `n_filters`:
#
# | step | block | filters | output (defaults) |
# |---|---|---|---|
# | 1 | `conv_block` | n | skip 96x128x32, next 48x64 |
# | 2 | `conv_block` | 2n | skip 48x64x64, next 24x32 |
# | 3 | `conv_block` | 4n | skip 24x32x128, next 12x16 |
# | 4 | `conv_block`, `dropout_prob=0.3` | 8n | skip 12x16x256, next 6x8 |
# | 5 | `conv_block`, `dropout_prob=0.3`, `max_pooling=False` | 16n | 6x8x512 |
# | 6 | `upsampling_block` with the skip of step 4 | 8n | 12x16x256 |
# | 7 | `upsampling_block` with the skip of step 3 | 4n | 24x32x128 |
# | 8 | `upsampling_block` with the skip of step 2 | 2n | 48x64x64 |
# | 9 | `upsampling_block` with the skip of step 1 | n | 96x128x32 |
# | 10 | `Conv2D(n, 3, ...)` as in `conv_block`: relu, `"same"`, `"he_normal"` | n | 96x128x32 |
# | 11 | `Conv2D(n_classes, 1, padding="same")`, **no activation** | n_classes | 96x128x23 |
#
# The last layer outputs **logits**, raw scores, not probabilities: section 3 explains why.
# With the defaults the model has 8,640,471 parameters. Each step's input is the
# `next_layer` of the step before (or, in the decoder, the output of the block before).

# %% nbgrader={"grade": false, "grade_id": "unet_model", "locked": false, "schema_version": 3, "solution": true}
def unet_model(input_size=(96, 128, 3), n_filters=32, n_classes=23):
    """The U-Net: four encoder blocks, a bottleneck, four decoder blocks with skips, 1x1 logits.

    Arguments:
    input_size -- (n_H, n_W, n_C) of the input images; n_H and n_W divisible by 16
    n_filters -- filters of the first block (doubled at each level down)
    n_classes -- number of classes

    Returns:
    model -- keras.Model from (None, n_H, n_W, n_C) to logits (None, n_H, n_W, n_classes)
    """
    ### BEGIN SOLUTION
    inputs = keras.Input(input_size)
    x, skip1 = conv_block(inputs, n_filters)
    x, skip2 = conv_block(x, n_filters * 2)
    x, skip3 = conv_block(x, n_filters * 4)
    x, skip4 = conv_block(x, n_filters * 8, dropout_prob=0.3)
    x, _ = conv_block(x, n_filters * 16, dropout_prob=0.3, max_pooling=False)
    x = upsampling_block(x, skip4, n_filters * 8)
    x = upsampling_block(x, skip3, n_filters * 4)
    x = upsampling_block(x, skip2, n_filters * 2)
    x = upsampling_block(x, skip1, n_filters)
    x = layers.Conv2D(n_filters, 3, activation="relu", padding="same",
                      kernel_initializer="he_normal")(x)
    outputs = layers.Conv2D(n_classes, 1, padding="same")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    ### END SOLUTION
    return model


# %% nbgrader={"grade": true, "grade_id": "unet_model_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
"""unet_model has the U-Net's layers, shapes, dropout rates and 8,640,471 parameters."""
checks.check_unet_model(unet_model)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w3a2_unet_segmentation as grader
grader.check_unet_model(unet_model, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "unet_summary_intro", "locked": true, "schema_version": 3, "solution": false}
# **Where do the parameters sit?** The next cell counts them per kind of layer. Most are in
# the deep blocks: a 3x3 convolution from 512 to 512 channels alone has 2.4 million.

# %% nbgrader={"grade": false, "grade_id": "unet_summary", "locked": true, "schema_version": 3, "solution": false}
unet = unet_model((*IMG_SIZE, 3), n_filters=32, n_classes=N_CLASSES)
counts = {}
for layer in unet.layers:
    counts[type(layer).__name__] = counts.get(type(layer).__name__, 0) + layer.count_params()
for name, count in counts.items():
    print(f"{name:16s} {count:>10,}")
print(f"{'total':16s} {unet.count_params():>10,}  (output {tuple(unet.output.shape)})")

# %% [markdown] nbgrader={"grade": false, "grade_id": "question_cnn_vs_unet", "locked": true, "schema_version": 3, "solution": false}
# ### Question 1 (2 points, graded by hand)
#
# In a few sentences: how does a regular CNN classifier (as in the previous assignments)
# differ from a U-Net? Compare what each outputs, what happens to the height and width of the
# feature maps along the network, and what the skip connections are for.

# %% [markdown] nbgrader={"grade": true, "grade_id": "answer_cnn_vs_unet", "locked": false, "points": 2, "schema_version": 3, "solution": true}
# ### BEGIN SOLUTION
# A regular CNN classifier outputs one label (a vector of class scores) for the whole
# image: convolutions and pooling shrink the height and width step by step and dense layers
# at the end throw the spatial layout away. A U-Net outputs a class score for every pixel,
# an output with the height and width of the input: after the contracting path (a regular
# CNN without the dense head) an expanding path upsamples back with transposed convolutions.
# The skip connections concatenate the encoder's full-resolution feature maps into the
# decoder, giving back the precise positions that pooling discarded, so that boundaries are
# sharp; they also give the gradient a short path to the early layers.
#
# Rubric (2 points): 1 point for "one label per image vs one label per pixel (output as large
# as the input)"; 1 point for the skip connections bringing back spatial detail lost by
# pooling (downsampling then upsampling path mentioned).
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "loss_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 3. The loss: sparse categorical cross-entropy on logits
#
# For every pixel the model outputs 23 numbers, and the mask says which class is right. The
# loss is the cross-entropy of every pixel, averaged: for a pixel of true class $y$ with
# scores $z_1, \dots, z_{23}$,
#
# $$\mathcal{L} = -\log \frac{e^{z_y}}{\sum_{k} e^{z_k}} = -z_y + \log \sum_k e^{z_k}.$$
#
# Keras computes it with `keras.losses.SparseCategoricalCrossentropy`, and two of its settings
# matter here:
#
# - **sparse**: the loss takes the labels as class *ids*, one integer per pixel, as in the
#   masks of shape `(b, 96, 128, 1)`; its non-sparse sibling `CategoricalCrossentropy` takes
#   one-hot labels, of shape `(b, 96, 128, 23)`;
# - **`from_logits=True`**: the loss takes raw scores $z$ (logits), applies the softmax itself
#   and computes the formula above in one step; with `from_logits=False` it expects
#   probabilities, that is a softmax as the model's last layer.
#
# Question 2 below asks you why these are the right settings for a U-Net. Hints: compare the
# shapes (and the memory) of the two kinds of labels; and think about what happens to
# $\log(\text{softmax}(z)_y)$ when a probability is rounded to 0 in float32.
#
# Write `compile_unet`: compile `model` with the Adam optimizer at `learning_rate`, this loss
# with `from_logits=True`, and the metric `"accuracy"` (for a segmentation it is the
# **pixel accuracy**: the share of pixels whose highest score is the true class).

# %% nbgrader={"grade": false, "grade_id": "compile_unet", "locked": false, "schema_version": 3, "solution": true}
def compile_unet(model, learning_rate=0.001):
    """Compile a segmentation model whose output holds one logit per class and pixel.

    Arguments:
    model -- keras.Model with output (None, n_H, n_W, n_classes), logits (no activation)
    learning_rate -- learning rate of the Adam optimizer

    Returns:
    model -- the same model, compiled (Adam, cross-entropy on class ids and logits, accuracy)
    """
    ### BEGIN SOLUTION
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    ### END SOLUTION
    return model


# %% nbgrader={"grade": true, "grade_id": "compile_unet_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""compile_unet uses Adam, sparse categorical cross-entropy from logits and accuracy."""
checks.check_compile_unet(compile_unet)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w3a2_unet_segmentation as grader
grader.check_compile_unet(compile_unet, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "question_loss", "locked": true, "schema_version": 3, "solution": false}
# ### Question 2 (2 points, graded by hand)
#
# Why is the loss *sparse* categorical cross-entropy here, and why `from_logits=True`? What
# would go wrong with a softmax as the last layer of `unet_model` while keeping
# `from_logits=True`?

# %% [markdown] nbgrader={"grade": true, "grade_id": "answer_loss", "locked": false, "points": 2, "schema_version": 3, "solution": true}
# ### BEGIN SOLUTION
# Sparse: the masks hold one integer class id per pixel; the sparse loss takes those ids
# directly, while the non-sparse one needs one-hot masks (23 channels per pixel, 23 times the
# memory, for the same value). from_logits=True: the model's last layer outputs raw scores,
# and the loss applies softmax and log together (log-sum-exp), which is numerically stable;
# a separate softmax can underflow to 0 and give log(0). With a softmax in the model and
# from_logits=True, softmax is applied twice: the "logits" are squeezed into [0, 1], the
# predicted distribution becomes almost uniform and gradients are small, so it learns badly.
#
# Rubric (2 points): 1 point for sparse = integer labels instead of one-hot; 1 point for
# from_logits = no activation in the model, stable softmax + log in the loss (double softmax
# named as the problem).
# ### END SOLUTION

# %% [markdown] nbgrader={"grade": false, "grade_id": "train_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 4. Training
#
# The cell below trains your `unet_model` with `train_filters` = 8 filters (set in the
# parameters cell) rather than the graded default of 32: the smaller network trains several
# times faster, so that training fits in minutes on a laptop's CPU. It trains for `epochs`
# epochs on the training scenes, and reports the held-out scenes' loss and pixel accuracy
# every `validation_freq` epochs (`validation_data`; they are never used to update the
# weights). The learning rate starts at
# `learning_rate` and decays to zero along a cosine: large steps first, small ones at the end.
# With a GPU, try `train_filters = 32`.

# %% tags=["slow"] metrics={"train_seconds": "round(train_seconds, 1)"} nbgrader={"grade": false, "grade_id": "train", "locked": true, "schema_version": 3, "solution": false}
seed_everything(seed)
model = unet_model((*IMG_SIZE, 3), n_filters=train_filters, n_classes=N_CLASSES)
steps = epochs * len(train_dataset)  # batches in the whole training
compile_unet(model,
             learning_rate=keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=steps))
start = time.perf_counter()
# shuffle=False: the dataset shuffles itself (buffer_size), Keras cannot shuffle a tf.data dataset.
history = model.fit(train_dataset, epochs=epochs, validation_data=test_dataset,
                    validation_freq=validation_freq, shuffle=False, verbose=2)
train_seconds = time.perf_counter() - start
print(f"{epochs} epochs of {len(train_images)} images in {train_seconds:.0f} s")

# %% nbgrader={"grade": false, "grade_id": "curves", "locked": true, "schema_version": 3, "solution": false}
fig = segmentation.plot_history(history, validation_freq)
fig

# %% [markdown] nbgrader={"grade": false, "grade_id": "evaluate_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 5. How good is it? Pixel accuracy and IoU on held-out scenes
#
# The model outputs 23 logits per pixel; `create_mask` (given) keeps the class with the highest
# one. Pixel accuracy alone flatters a segmentation: road and sky cover most of a street scene,
# so a model that never finds a pedestrian loses almost nothing. The **intersection over
# union** of a class, the pixels that are that class in both the truth and the prediction
# divided by the pixels that are that class in either, scores each class on its own; its mean
# over the classes present, the **mean IoU**, is the usual summary of a segmentation. The
# last line scores the model on the four frames you labelled in section 1.4, with your masks
# as the truth: new scenes, as the held-out ones.

# %% metrics={"train_pixel_accuracy": "round(scores['train']['pixel_accuracy'], 4)", "test_pixel_accuracy": "round(scores['test']['pixel_accuracy'], 4)", "test_mean_iou": "round(scores['test']['mean_iou'], 4)", "labelled_pixel_accuracy": "round(scores['labelled']['pixel_accuracy'], 4)", "test_iou_per_class": "{name: round(float(v), 4) for name, v in zip(carla.class_names(), scores['test']['iou'], strict=True) if v == v}"} nbgrader={"grade": false, "grade_id": "evaluate", "locked": true, "schema_version": 3, "solution": false}
def create_mask(pred_mask):
    """Logits (m, n_H, n_W, n_classes) -> class ids (m, n_H, n_W, 1): the best class of each
    pixel."""
    return tf.argmax(pred_mask, axis=-1)[..., tf.newaxis]


def predict_masks(dataset):
    """(true masks, predicted masks) over a whole dataset, both (m, n_H, n_W, 1)."""
    truths, predictions = [], []
    for images, masks in dataset:
        truths.append(masks.numpy())
        predictions.append(create_mask(model.predict_on_batch(images)).numpy())
    return np.concatenate(truths), np.concatenate(predictions)


scores = {}
splits = (("train", train_dataset), ("test", test_dataset), ("labelled", labelled_dataset))
for split, dataset in splits:
    scores[split] = segmentation.segmentation_scores(*predict_masks(dataset), N_CLASSES)
    print(f"{split:8s} pixel accuracy {scores[split]['pixel_accuracy']:.3f}   "
          f"mean IoU {scores[split]['mean_iou']:.3f}")
fig = segmentation.plot_iou(scores["test"]["iou"], carla.class_names(),
                            "IoU per class, held-out scenes")
fig

# %% [markdown] nbgrader={"grade": false, "grade_id": "predictions_intro", "locked": true, "schema_version": 3, "solution": false}
# **See it.** Held-out scenes beside their true and predicted masks. Large regions (road,
# sky, buildings) come first; thin and rare classes (poles, signs, lane lines, pedestrians)
# are where the IoU chart above shows the model still failing.

# %% nbgrader={"grade": false, "grade_id": "predictions", "locked": true, "schema_version": 3, "solution": false}
images, masks = next(iter(test_dataset))
predicted = create_mask(model.predict_on_batch(images)).numpy()
show = min(3, len(images))
fig = segmentation.plot_predictions(images[:show], masks[:show], predicted[:show],
                                    carla.class_names(), carla.PALETTE,
                                    "Held-out scenes: image, true mask, predicted mask")
fig

# %% [markdown] nbgrader={"grade": false, "grade_id": "summary", "locked": true, "schema_version": 3, "solution": false}
# ## Summary
#
# You built a U-Net and trained it to label every pixel of a street scene:
#
# - masks from an annotation tool's shapes (`annotations_to_mask`): polygons and boxes
#   painted in order, a pixel in a shape when its centre is (even-odd rule), written in the
#   dataset's own mask format and read back by the pipeline;
# - a `tf.data` pipeline that decodes image/mask pairs (`process_path`), resizes them with
#   nearest-neighbour sampling so that masks keep valid class ids (`preprocess`), and caches,
#   shuffles, batches and prefetches them;
# - the encoder block (`conv_block`), the decoder block with its skip connection
#   (`upsampling_block`) and the whole U-Net (`unet_model`);
# - the loss of pixelwise classification: sparse categorical cross-entropy on logits
#   (`compile_unet`);
# - an honest measurement on held-out scenes: pixel accuracy, IoU per class and mean IoU.
#
# **What to remember.**
#
# - Segmentation is classification of every pixel: the output has the input's height and
#   width, with one score per class.
# - The contracting path learns what is in the scene; the expanding path and the skip
#   connections put it back in the right place.
# - Masks are resized with nearest-neighbour sampling, never interpolated.
# - Integer labels: *sparse* cross-entropy. No softmax in the model: `from_logits=True`.
# - Pixel accuracy is dominated by the large classes; read the per-class IoU.
# - Labels are data too: a precise rule (pixel centres, drawing order) makes every mask
#   reproducible from its annotation file.
