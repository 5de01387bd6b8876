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
# # Car Detection with YOLO
#
# A self-driving car has to know *where* the cars, pedestrians and traffic lights are, not
# only *whether* there are any. In this assignment you run a YOLO ("You Only Look Once")
# detector on dashboard-camera frames and write the post-processing that turns its raw output
# volume into a handful of labelled boxes: score filtering, intersection over union and
# non-max suppression.
#
# The original course uses a YOLOv2 model pretrained on COCO (608x608 input, a 19x19 grid,
# 5 anchors, 80 classes). That file cannot be downloaded here, so this course uses its own
# YOLOv2-style detector, trained on an offline road-scene data set and provided by the course
# staff with this notebook. Its output has exactly the same format, so everything you write
# works on the original too: if you have its files, section 6 says where to put them.
#
# **Learning objectives.** By the end of this notebook you will be able to:
#
# - identify the components used for object detection: landmark, anchor, bounding box, grid;
# - implement object detection with a YOLO model;
# - implement non-max suppression and intersection over union (IoU);
# - handle bounding boxes: convert, scale and clip them.

# %% [markdown] nbgrader={"grade": false, "grade_id": "how_graded", "locked": true, "schema_version": 3, "solution": false}
# ## How this notebook is graded
#
# - Each graded function has a `# YOUR CODE HERE` marker followed by
#   `raise NotImplementedError()`: replace that line with your code, and keep the function's
#   name, arguments and return line.
# - The test cell under each function prints what it checked and ends with `All tests
#   passed.`, or stops with a sentence saying what is wrong. **Hidden tests** (other shapes,
#   thresholds and seeds) run when the notebook is graded: write general code.
# - The grader runs only the setup cell and the graded cells: keep any helper you write
#   inside the graded cell that uses it.
# - Run the cells in order: later cells use the functions you wrote earlier.
# - The helpers `yolo_head`, `yolo_boxes_to_corners`, `scale_boxes`, `preprocess_image`,
#   `draw_boxes`, `read_classes` and `read_anchors` are provided by `cnn_course.utils.yolo`.

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
from pathlib import Path

import numpy as np
import matplotlib.pyplot as plt

from cnn_course.utils import quiet_tensorflow, seed_everything

quiet_tensorflow()  # before TensorFlow is imported: keeps its start-up messages out of the notebook

import tensorflow as tf

from cnn_course.datasets import road
from cnn_course.utils import detection_figures as figures
from cnn_course.utils.yolo import (draw_boxes, preprocess_image, read_anchors, read_classes,
                                   scale_boxes, yolo_boxes_to_corners, yolo_head)
from cnn_course.checks import w3a1_car_detection as checks

# %% tags=["parameters"] smoke={"n_test_images": 1} nbgrader={"grade": false, "grade_id": "parameters", "locked": true, "schema_version": 3, "solution": false}
seed = 0
n_test_images = 6        # test frames the detector runs on at the end
score_threshold = 0.6    # the course's settings for yolo_eval
iou_threshold = 0.5
max_boxes = 10
extra_photo = None       # the path of a photo of your own for the detector, e.g. "my_street.jpg"

# %% [markdown] nbgrader={"grade": false, "grade_id": "problem_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 1. The problem and the model
#
# The data are frames of a camera on a car's dashboard, 1280x720 pixels. Each object of
# interest is labelled with a **bounding box**, given by its class $c$ (an integer, the line
# of `coco_classes.txt`: 0 is `person`, 2 is `car`) and its position. A detector outputs,
# for each box it finds, the probability $p_c$ that there is an object, the box $(b_x, b_y,
# b_h, b_w)$ (centre, height and width) and the class probabilities.
#
# Below: one test frame with its labelled boxes. The classes present in these scenes are
# person, bicycle, car, motorbike, bus, truck, traffic light and stop sign.

# %% nbgrader={"grade": false, "grade_id": "look_at_data", "locked": true, "schema_version": 3, "solution": false}
seed_everything(seed)
class_names = read_classes()              # 80 names; index = class id
course_anchors = read_anchors()           # (5, 2) anchors (w, h) in cells of a 19x19 grid
frames = road.load_annotations("test")    # 1280x720 frames with their boxes
frame = max(frames, key=lambda r: (r["classes"] == 2).sum())  # the frame with the most cars
print(f"{len(class_names)} classes, {len(frames)} test frames; anchors (w, h) in cells:\n",
      np.round(course_anchors, 2))
fig = figures.plot_labelled_frame(frame, class_names)

# %% [markdown] nbgrader={"grade": false, "grade_id": "grid_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 1.1 The grid
#
# YOLO resizes the frame to its input (608x608 in the course) and cuts it into a
# $19 \times 19$ **grid** of cells. The cell that contains the **centre** of an object is
# responsible for detecting it, even when the box spreads over many cells. The network
# runs once over the whole image ("you only look once") and outputs, for every cell, a
# prediction for each anchor box. The red dots below are the box centres; the highlighted
# cells are the ones responsible for them.

# %% nbgrader={"grade": false, "grade_id": "demo_grid", "locked": true, "schema_version": 3, "solution": false}
fig = figures.plot_grid(frame, grid=19, class_names=class_names)

# %% [markdown] nbgrader={"grade": false, "grade_id": "anchors_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 1.2 Anchor boxes
#
# One cell may hold the centres of two objects of different shapes: a pedestrian (tall and
# thin) in front of a car (wide). YOLO therefore predicts **5 boxes per cell**, each relative
# to an **anchor box**, a typical shape. The anchors are found by k-means on the widths and
# heights of the training boxes, with the distance $1 - \text{IoU}$ (so that big and small boxes
# count alike). An object is assigned to the cell of its centre and to the anchor whose shape
# matches its own best. Here are the 5 anchors of `yolo_anchors.txt`, drawn at the centre
# of the image.

# %% nbgrader={"grade": false, "grade_id": "demo_anchors", "locked": true, "schema_version": 3, "solution": false}
fig = figures.plot_anchors(course_anchors, grid=19, image_file=frame["file"])

# %% [markdown] nbgrader={"grade": false, "grade_id": "encoding_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 1.3 The encoding: a 19x19x5x85 volume
#
# For each cell and each anchor the network outputs 85 numbers: $p_c$ (the box confidence),
# $b_x, b_y, b_w, b_h$ and 80 class probabilities. So the output is a $(19, 19, 5, 85)$
# volume, flattened to $(19, 19, 425)$ in the model. The figure shows the target for the
# largest car of the frame: in its centre's cell, only the anchor that fits its shape best
# holds the object ($p_c = 1$, its box, and a 1 for `car`); every other slot has $p_c = 0$.
#
# For each slot the **class score** is $\text{score}_{c} = p_c \times P(c \mid \text{object})$:
# the probability that the box holds an object *of class c*. Each box is labelled with the
# class of its largest score.

# %% nbgrader={"grade": false, "grade_id": "demo_encoding", "locked": true, "schema_version": 3, "solution": false}
fig = figures.plot_encoding(frame, course_anchors, grid=19, class_names=class_names)

# %% [markdown] nbgrader={"grade": false, "grade_id": "assign_anchor_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 1.4 Which cell and which anchor
#
# To build that target, each labelled box goes to one slot of the volume: the **cell** that
# contains its centre and, in that cell, the **anchor** whose shape matches the box best.
# YOLOv2 measures "best" by the IoU of the shapes alone: put the box and the anchor on the
# same centre and compute their intersection over union.
#
# **Your turn: `assign_anchor`.** `box` is `(x, y, w, h)` in pixels (centre, then size),
# `anchors` is an `(A, 2)` array of anchor widths and heights **in grid cells**, as in
# `yolo_anchors.txt`, `grid_shape` is `(rows, columns)` and `image_shape` is
# `(height, width)` in pixels.
#
# 1. A cell is `width / columns` pixels wide and `height / rows` pixels high. The centre's
#    column is the number of whole cells to its left, `int(x // cell_width)`, and its row
#    the number of whole cells above it. A centre exactly on the border between two cells
#    belongs to the cell on the right (or below), as `//` gives.
# 2. Convert the box's width and height to grid cells, like the anchors.
# 3. Two boxes with the same centre overlap on `min(w1, w2) x min(h1, h2)`; the union is
#    both areas minus that intersection. Return the index of the anchor with the largest
#    IoU (the first one on a tie, as `np.argmax` does).
#
# Return `(row, col, anchor_index)` as Python integers.

# %% nbgrader={"grade": false, "grade_id": "assign_anchor", "locked": false, "schema_version": 3, "solution": true}
def assign_anchor(box, anchors, grid_shape, image_shape):
    """The grid cell and the anchor responsible for a labelled box.

    Arguments:
    box -- (x, y, w, h): centre and size of the box, in pixels
    anchors -- array (A, 2): (width, height) of each anchor, in grid cells
    grid_shape -- (rows, columns) of the grid
    image_shape -- (height, width) of the image, in pixels

    Returns:
    row, col -- int: the cell that contains the box centre (a centre on a border between
                cells belongs to the cell below or to the right)
    anchor_index -- int: the anchor with the largest IoU with the box, both on one centre
    """
    ### BEGIN SOLUTION
    x, y, w, h = (float(v) for v in box)
    rows, cols = grid_shape
    height, width = image_shape
    cell_h, cell_w = height / rows, width / cols
    row, col = int(y // cell_h), int(x // cell_w)
    anchors = np.asarray(anchors, dtype=float).reshape(-1, 2)
    w_cells, h_cells = w / cell_w, h / cell_h
    inter = np.minimum(w_cells, anchors[:, 0]) * np.minimum(h_cells, anchors[:, 1])
    ious = inter / (w_cells * h_cells + anchors[:, 0] * anchors[:, 1] - inter)
    anchor_index = int(np.argmax(ious))
    ### END SOLUTION
    return row, col, anchor_index


# %% nbgrader={"grade": true, "grade_id": "assign_anchor_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""assign_anchor finds the cell of the box centre and the anchor of the best shape IoU."""
checks.check_assign_anchor(assign_anchor)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w3a1_car_detection as grader
grader.check_assign_anchor(assign_anchor, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "assign_anchor_demo_intro", "locked": true, "schema_version": 3, "solution": false}
# **Check it yourself.** Your `assign_anchor` on the car of the figure above: the same cell
# and the same anchor.

# %% nbgrader={"grade": false, "grade_id": "assign_anchor_demo", "locked": true, "schema_version": 3, "solution": false}
car = figures.largest_object(frame)                      # index of the largest car of the frame
x0, y0, x1, y1 = frame["boxes"][car]
car_box = ((x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0)  # (x, y, w, h) in pixels
(row, col), anchor, _ = figures.encode_object(frame, car, course_anchors, grid=19)
print(f"the figure: cell (row {row}, column {col}), anchor {anchor}")
frame_shape = (frame["height"], frame["width"])
print("assign_anchor:", assign_anchor(car_box, course_anchors, (19, 19), frame_shape))

# %% [markdown] nbgrader={"grade": false, "grade_id": "landmarks_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 1.5 Landmarks
#
# A box is one way to say where an object is. **Landmark detection** says it with points: the
# network outputs $p$ (is there an object?) and the $(x, y)$ coordinates of a fixed list of
# key points, e.g. the corners of the eyes on a face, or the wheels, lights and roof corners of
# a car. The list must be the same, in the same order, for every training example. The figure
# shows what such an output looks like for one car (points placed from its box, for
# illustration: this course's detector predicts boxes, not landmarks).

# %% nbgrader={"grade": false, "grade_id": "demo_landmarks", "locked": true, "schema_version": 3, "solution": false}
fig = figures.plot_landmarks(frame)

# %% [markdown] nbgrader={"grade": false, "grade_id": "boxes_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 2. Handling bounding boxes
#
# YOLO predicts boxes as a **centre and a size**, $(b_x, b_y)$ and $(b_w, b_h)$, but
# drawing them, comparing them (IoU) and TensorFlow's NMS all want **corners**. In this
# notebook corners are stored as `(y_min, x_min, y_max, x_max)`, TensorFlow's order (rows
# first), except in `iou`, which takes `(x1, y1, x2, y2)` as in the course.
#
# **Your turn: `box_center_to_corners`.** The top-left corner is the centre minus half the
# size; the bottom-right corner is the centre plus half the size. Work on the last axis only,
# so that any batch of boxes `(..., 2)` works.
#
# **Hint.** `box_xy[..., 0]` is every `x`; `np.stack([...], axis=-1)` builds the last axis.

# %% nbgrader={"grade": false, "grade_id": "box_center_to_corners", "locked": false, "schema_version": 3, "solution": true}
def box_center_to_corners(box_xy, box_wh):
    """Convert boxes from centre and size to corners.

    Arguments:
    box_xy -- numpy array (..., 2): box centres (x, y)
    box_wh -- numpy array (..., 2): box sizes (width, height), in the same units

    Returns:
    corners -- numpy array (..., 4): (y_min, x_min, y_max, x_max) of each box
    """
    ### BEGIN SOLUTION
    x, y = box_xy[..., 0], box_xy[..., 1]
    half_w, half_h = box_wh[..., 0] / 2, box_wh[..., 1] / 2
    corners = np.stack([y - half_h, x - half_w, y + half_h, x + half_w], axis=-1)
    ### END SOLUTION
    return corners


# %% nbgrader={"grade": true, "grade_id": "box_center_to_corners_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""box_center_to_corners returns (y_min, x_min, y_max, x_max) for boxes of any batch shape."""
checks.check_box_center_to_corners(box_center_to_corners)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w3a1_car_detection as grader
grader.check_box_center_to_corners(box_center_to_corners, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "clip_boxes_intro", "locked": true, "schema_version": 3, "solution": false}
# A predicted box may stick out of the picture (a car cut by the border). Before drawing
# or reporting a box, **clip** it to the image: every `y` into `[0, height]` and every `x`
# into `[0, width]`.
#
# **Your turn: `clip_boxes`.** Return a new float array and leave `boxes` unchanged.
#
# **Hints.** `np.array(boxes, dtype=float)` makes a copy; `np.clip(a, low, high)` clips;
# `a[..., 0::2]` selects the columns `y_min, y_max` and `a[..., 1::2]` the columns
# `x_min, x_max`. `image_shape` is `(height, width)`, as for numpy images.

# %% nbgrader={"grade": false, "grade_id": "clip_boxes", "locked": false, "schema_version": 3, "solution": true}
def clip_boxes(boxes, image_shape):
    """Clip corner boxes to the image.

    Arguments:
    boxes -- numpy array (n, 4): (y_min, x_min, y_max, x_max) in pixels
    image_shape -- (height, width) of the image

    Returns:
    clipped -- new float numpy array (n, 4), every y in [0, height] and every x in [0, width]
    """
    ### BEGIN SOLUTION
    height, width = image_shape
    clipped = np.array(boxes, dtype=float)
    clipped[..., 0::2] = np.clip(clipped[..., 0::2], 0, height)
    clipped[..., 1::2] = np.clip(clipped[..., 1::2], 0, width)
    ### END SOLUTION
    return clipped


# %% nbgrader={"grade": true, "grade_id": "clip_boxes_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""clip_boxes clips y to [0, height] and x to [0, width] without changing its input."""
checks.check_clip_boxes(clip_boxes)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w3a1_car_detection as grader
grader.check_clip_boxes(clip_boxes, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "filter_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 3. Filtering with a threshold on class scores
#
# The output volume holds $19 \times 19 \times 5 = 1805$ boxes, most of them empty. The first
# filter keeps the boxes whose best class score is at least a threshold. The inputs are:
#
# - `boxes` `(19, 19, 5, 4)`: the corners of every box;
# - `box_confidence` `(19, 19, 5, 1)`: $p_c$ of every box;
# - `box_class_probs` `(19, 19, 5, 80)`: the class probabilities of every box.
#
# **Your turn: `yolo_filter_boxes`.**
#
# 1. Compute the scores `box_scores = box_confidence * box_class_probs` `(19, 19, 5, 80)`
#    (broadcasting multiplies the one confidence by each of the 80 probabilities).
# 2. For each box, find the class with the largest score (`tf.math.argmax`) and that score
#    (`tf.math.reduce_max`), both over the last axis.
# 3. Make a boolean mask: `True` where the score is **at least** `threshold` (`>=`).
# 4. Apply it with `tf.boolean_mask` to the scores, the boxes and the classes.
#
# The leading axes may differ (a batch axis, another grid): use `axis=-1`.

# %% nbgrader={"grade": false, "grade_id": "yolo_filter_boxes", "locked": false, "schema_version": 3, "solution": true}
def yolo_filter_boxes(boxes, box_confidence, box_class_probs, threshold=.6):
    """Keep the boxes whose best class score is at least `threshold`.

    Arguments:
    boxes -- tensor (19, 19, 5, 4): box corners
    box_confidence -- tensor (19, 19, 5, 1): p_c of each box
    box_class_probs -- tensor (19, 19, 5, 80): class probabilities of each box
    threshold -- keep a box if its best class score is >= threshold

    Returns:
    scores -- tensor (None,): class score of each kept box
    boxes -- tensor (None, 4): corners of each kept box
    classes -- tensor (None,): class index of each kept box
    """
    ### BEGIN SOLUTION
    box_scores = box_confidence * box_class_probs                   # (19, 19, 5, 80)
    box_classes = tf.math.argmax(box_scores, axis=-1)               # (19, 19, 5)
    box_class_scores = tf.math.reduce_max(box_scores, axis=-1)      # (19, 19, 5)
    filtering_mask = box_class_scores >= threshold
    scores = tf.boolean_mask(box_class_scores, filtering_mask)
    boxes = tf.boolean_mask(boxes, filtering_mask)
    classes = tf.boolean_mask(box_classes, filtering_mask)
    ### END SOLUTION
    return scores, boxes, classes


# %% nbgrader={"grade": true, "grade_id": "yolo_filter_boxes_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""yolo_filter_boxes keeps exactly the boxes whose best class score is >= threshold."""
checks.check_yolo_filter_boxes(yolo_filter_boxes)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w3a1_car_detection as grader
grader.check_yolo_filter_boxes(yolo_filter_boxes, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "iou_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 4. Non-max suppression
#
# After the threshold, the same car is still found by several neighbouring cells and
# anchors. **Non-max suppression** (NMS) keeps the best box and removes the boxes that
# overlap it too much. Overlap is measured by the **intersection over union**:
#
# $$\text{IoU}(A, B) = \frac{\text{area}(A \cap B)}{\text{area}(A) + \text{area}(B) -
# \text{area}(A \cap B)}.$$
#
# **Your turn: `iou`.** Boxes are `(x1, y1, x2, y2)`: `(x1, y1)` the top-left corner and
# `(x2, y2)` the bottom-right one, with `y` growing downwards. The intersection is the box
# from `(max(x1), max(y1))` to `(min(x2), min(y2))`; its width and height are **0, not
# negative**, when the boxes do not overlap (clip with `max(..., 0)`). Boxes that only touch
# have an IoU of 0.

# %% nbgrader={"grade": false, "grade_id": "iou", "locked": false, "schema_version": 3, "solution": true}
def iou(box1, box2):
    """Intersection over union of two boxes.

    Arguments:
    box1 -- (x1, y1, x2, y2): top-left and bottom-right corners of the first box
    box2 -- (x1, y1, x2, y2) of the second box

    Returns:
    iou -- a float in [0, 1]
    """
    (box1_x1, box1_y1, box1_x2, box1_y2) = box1
    (box2_x1, box2_y1, box2_x2, box2_y2) = box2
    ### BEGIN SOLUTION
    xi1 = max(box1_x1, box2_x1)
    yi1 = max(box1_y1, box2_y1)
    xi2 = min(box1_x2, box2_x2)
    yi2 = min(box1_y2, box2_y2)
    inter_width = max(xi2 - xi1, 0)
    inter_height = max(yi2 - yi1, 0)
    inter_area = inter_width * inter_height
    box1_area = (box1_x2 - box1_x1) * (box1_y2 - box1_y1)
    box2_area = (box2_x2 - box2_x1) * (box2_y2 - box2_y1)
    union_area = box1_area + box2_area - inter_area
    iou = inter_area / union_area
    ### END SOLUTION
    return iou


# %% nbgrader={"grade": true, "grade_id": "iou_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false}
"""iou of overlapping, disjoint, touching, nested and identical boxes."""
checks.check_iou(iou)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w3a1_car_detection as grader
grader.check_iou(iou, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "iou_demo_intro", "locked": true, "schema_version": 3, "solution": false}
# **Check it yourself.** Your `iou` finds the two labelled boxes of the frame that overlap
# most; the figure draws them, with their intersection in yellow.

# %% nbgrader={"grade": false, "grade_id": "iou_demo", "locked": true, "schema_version": 3, "solution": false}
labelled = frame["boxes"]                                  # (x1, y1, x2, y2) rows, in pixels
pairs = [(iou(labelled[i], labelled[j]), i, j)
         for i in range(len(labelled)) for j in range(i + 1, len(labelled))]
best_iou, i, j = max(pairs)
print(f"box1 = {labelled[i].round().tolist()}, box2 = {labelled[j].round().tolist()}: "
      f"IoU = {best_iou:.3f}")
fig = figures.plot_box_pair(frame, labelled[i], labelled[j],
                            title=f"The two labelled boxes that overlap most: IoU = {best_iou:.3f}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "greedy_nms_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 4.1 NMS by hand
#
# The algorithm is greedy:
#
# 1. Sort the boxes by decreasing score.
# 2. Take the box with the highest score still in the list and **keep** it.
# 3. Remove from the list every box whose IoU with it is **greater than** `iou_threshold`.
# 4. Go back to 2 until the list is empty or `max_boxes` boxes are kept.
#
# **Your turn: `greedy_nms`**, in numpy, with your `iou`. `boxes` are `(x1, y1, x2, y2)` rows
# here (the order `iou` wants). Return the indices of the kept boxes, best first.
#
# **Hints.** `np.argsort(-scores)` lists the indices from the best score down; a Python list
# of the remaining indices and a list comprehension make steps 2 and 3 short.

# %% nbgrader={"grade": false, "grade_id": "greedy_nms", "locked": false, "schema_version": 3, "solution": true}
def greedy_nms(boxes, scores, max_boxes=10, iou_threshold=0.5):
    """Greedy non-max suppression with your iou.

    Arguments:
    boxes -- numpy array (n, 4): corners (x1, y1, x2, y2) of each box
    scores -- numpy array (n,): score of each box
    max_boxes -- keep at most this many boxes
    iou_threshold -- remove a box whose IoU with a kept box is > iou_threshold

    Returns:
    keep -- numpy int array (k,), k <= max_boxes: indices of the kept boxes, by decreasing score
    """
    ### BEGIN SOLUTION
    order = list(np.argsort(-scores, kind="stable"))
    keep = []
    while order and len(keep) < max_boxes:
        best = order.pop(0)
        keep.append(best)
        order = [i for i in order if iou(boxes[best], boxes[i]) <= iou_threshold]
    ### END SOLUTION
    return np.array(keep, dtype=int)


# %% nbgrader={"grade": true, "grade_id": "greedy_nms_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""greedy_nms keeps the same boxes, in the same order, as TensorFlow's NMS on random boxes."""
checks.check_greedy_nms(greedy_nms)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w3a1_car_detection as grader
grader.check_greedy_nms(greedy_nms, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "yolo_nms_intro", "locked": true, "schema_version": 3, "solution": false}
# ### 4.2 NMS with TensorFlow
#
# TensorFlow runs the same algorithm, compiled:
# `tf.image.non_max_suppression(boxes, scores, max_output_size, iou_threshold)` returns the
# indices of the kept boxes (boxes as `(y_min, x_min, y_max, x_max)`; IoU does not depend on
# which axis comes first). `tf.gather(values, indices)` then picks the kept entries.
#
# **Your turn: `yolo_non_max_suppression`.** Run NMS on `boxes` and `scores`, then gather
# the kept `scores`, `boxes` **and** `classes` with the same indices.

# %% nbgrader={"grade": false, "grade_id": "yolo_non_max_suppression", "locked": false, "schema_version": 3, "solution": true}
def yolo_non_max_suppression(scores, boxes, classes, max_boxes=10, iou_threshold=0.5):
    """Non-max suppression over a set of boxes, with TensorFlow.

    Arguments:
    scores -- tensor (None,): output of yolo_filter_boxes
    boxes -- tensor (None, 4): corners (y_min, x_min, y_max, x_max), scaled to the image
    classes -- tensor (None,): class of each box
    max_boxes -- keep at most this many boxes
    iou_threshold -- IoU above which a box is removed by a better one

    Returns:
    scores -- tensor (k,): score of each kept box, k <= max_boxes
    boxes -- tensor (k, 4): corners of each kept box
    classes -- tensor (k,): class of each kept box
    """
    ### BEGIN SOLUTION
    nms_indices = tf.image.non_max_suppression(
        boxes, scores, max_boxes, iou_threshold=iou_threshold)
    scores = tf.gather(scores, nms_indices)
    boxes = tf.gather(boxes, nms_indices)
    classes = tf.gather(classes, nms_indices)
    ### END SOLUTION
    return scores, boxes, classes


# %% nbgrader={"grade": true, "grade_id": "yolo_non_max_suppression_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""yolo_non_max_suppression keeps the right boxes and gathers their scores, boxes and classes."""
checks.check_yolo_non_max_suppression(yolo_non_max_suppression)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w3a1_car_detection as grader
grader.check_yolo_non_max_suppression(yolo_non_max_suppression, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nms_compare_intro", "locked": true, "schema_version": 3, "solution": false}
# **Check it yourself.** Your `greedy_nms` and TensorFlow's NMS on 200 random boxes: the same
# boxes, in the same order, and how long each takes.

# %% nbgrader={"grade": false, "grade_id": "nms_compare", "locked": true, "schema_version": 3, "solution": false}
rng = np.random.default_rng(seed)
xy, wh = rng.uniform(0, 1, (200, 2)), rng.uniform(0.05, 0.3, (200, 2))
xyxy = np.concatenate([xy - wh / 2, xy + wh / 2], axis=-1)   # (x1, y1, x2, y2) rows
random_scores = rng.uniform(0, 1, 200)
start = time.perf_counter()
mine = greedy_nms(xyxy, random_scores, max_boxes=20, iou_threshold=0.4)
t_mine, start = time.perf_counter() - start, time.perf_counter()
theirs = tf.image.non_max_suppression(xyxy.astype("float32"), random_scores.astype("float32"),
                                      20, 0.4).numpy()
t_tf = time.perf_counter() - start
print("greedy_nms keeps:", mine.tolist())
print("TensorFlow keeps:", theirs.tolist())
print(f"same boxes in the same order: {np.array_equal(mine, theirs)}; "
      f"greedy_nms {t_mine * 1e3:.1f} ms, TensorFlow {t_tf * 1e3:.1f} ms")

# %% [markdown] nbgrader={"grade": false, "grade_id": "yolo_eval_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 5. Wrapping up the filtering: `yolo_eval`
#
# `yolo_eval` takes the decoded output of the network and returns the final boxes. The
# provided `yolo_head(feats, anchors, num_classes)` decodes the raw features into the tuple
# `yolo_outputs = (box_xy, box_wh, box_confidence, box_class_probs)`: box centres and sizes
# are **fractions of the image**, so they fit any frame size. The box comes first because
# that is how Darknet, the program YOLO was written in, stores the numbers of each anchor:
# $b_x, b_y, b_w, b_h$, then the objectness $p_c$, then the class scores. (Older copies of
# this assignment that you may find online unpack `box_confidence` first; here the order is
# the one above.)
#
# **Your turn: `yolo_eval`.**
#
# 1. Unpack `yolo_outputs` (in the order above).
# 2. Convert the boxes to corners with the provided `yolo_boxes_to_corners(box_xy, box_wh)`.
# 3. Filter them with your `yolo_filter_boxes` and `score_threshold`.
# 4. Scale them to the image, in pixels, with the provided `scale_boxes(boxes, image_shape)`.
# 5. Run your `yolo_non_max_suppression` with `max_boxes` and `iou_threshold`.

# %% nbgrader={"grade": false, "grade_id": "yolo_eval", "locked": false, "schema_version": 3, "solution": true}
def yolo_eval(yolo_outputs, image_shape=(720, 1280), max_boxes=10, score_threshold=.6,
              iou_threshold=.5):
    """Turn the decoded YOLO output into the final boxes, scores and classes.

    Arguments:
    yolo_outputs -- (box_xy, box_wh, box_confidence, box_class_probs), as yolo_head returns:
                    shapes (..., 5, 2), (..., 5, 2), (..., 5, 1), (..., 5, 80), e.g. (19, 19, 5, 80)
    image_shape -- (height, width) of the image, in pixels
    max_boxes -- keep at most this many boxes
    score_threshold -- drop a box whose best class score is below it
    iou_threshold -- IoU above which NMS removes a box

    Returns:
    scores -- tensor (k,): score of each box
    boxes -- tensor (k, 4): (y_min, x_min, y_max, x_max) in pixels of the image
    classes -- tensor (k,): class index of each box
    """
    ### BEGIN SOLUTION
    box_xy, box_wh, box_confidence, box_class_probs = yolo_outputs
    boxes = yolo_boxes_to_corners(box_xy, box_wh)
    scores, boxes, classes = yolo_filter_boxes(boxes, box_confidence, box_class_probs,
                                               threshold=score_threshold)
    boxes = scale_boxes(boxes, image_shape)
    scores, boxes, classes = yolo_non_max_suppression(scores, boxes, classes, max_boxes=max_boxes,
                                                      iou_threshold=iou_threshold)
    ### END SOLUTION
    return scores, boxes, classes


# %% nbgrader={"grade": true, "grade_id": "yolo_eval_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
"""yolo_eval chains corners, filtering, scaling to the image and NMS."""
checks.check_yolo_eval(yolo_eval)
### BEGIN HIDDEN TESTS
from cnn_course.graders import w3a1_car_detection as grader
grader.check_yolo_eval(yolo_eval, hidden=True)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "detector_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 6. Detecting cars in the test frames
#
# Now the real thing. The detector is a YOLOv2-style network trained on the road-scene
# training set; its anchors were found by k-means on the training boxes and travel with the
# weights. Its input has fewer pixels than the course's 608x608, and it is wider than tall,
# like the 16:9 frames: a car seen from behind becomes narrow when a frame is squeezed into a
# square, and distant cars are only a few pixels wide. So its grid is not square either (the
# cell prints it). Nothing else changes, because `yolo_head` returns fractions of the image
# whatever the grid, and your functions never assumed 19 or 5.
#
# **Without the detector.** Its weights file comes from the course staff, with this notebook.
# If it is missing, the next cell says so, and this section runs on the **ground truth**
# instead: the labelled boxes of each frame are encoded as the output volume of section 1.3
# (19x19 grid, the course's 5 anchors), as a perfect detector would output it: at the slot
# responsible for each box, its class and a confident score (0.90 for the smallest box up to
# 0.99 for the largest), and a score near 0 everywhere else. A cell holds at most 5 boxes, one
# an anchor: where more distant cars crowd into one cell, the extra ones are lost, as they
# would be for a detector. That volume goes through `yolo_head` and **your** functions, so the
# boxes you see are the ones your filtering and NMS keep, and the figure titles say so.
#
# **With the original YOLOv2.** The original course runs YOLOv2 from the Darknet project
# (Darknet is the program its authors wrote it in). If you have its three files,
# `yolov2.cfg` (the network), `yolov2.weights` (its weights, pretrained on COCO) and
# `coco.names` (the 80 class names), put them in the course's data folder: the folder named
# by the environment variable `CNN_COURSE_DATA` if it is set, else `~/.cache/cnn-course/data`
# in your home folder (the next cell prints the folder it looked in). The next cell then
# builds that network, reads its anchors and its number of classes from the `.cfg` file,
# resizes every frame to its input size, and this whole section runs on it, with your
# `yolo_eval`. The original course's `yolo.h5` (the same network saved by Keras 2) can take
# the place of `yolov2.weights`: put it beside `yolov2.cfg` and `coco.names`.

# %% metrics={"darknet_yolov2_classes": "len(class_names) if yolov2 is not None else None"} nbgrader={"grade": false, "grade_id": "load_detector", "locked": true, "schema_version": 3, "solution": false}
from cnn_course.utils import darknet, yolo_model  # Darknet's files; the course's detector

yolov2 = darknet.find_yolov2()  # None, after a sentence, unless its 3 files are in the data folder
detector = yolo_model.load_detector() if yolov2 is None else None  # None without its weights too
by_file = {r["file"].name: r for r in frames}  # the labelled boxes of each test frame
ground_truth_note = None
if yolov2 is not None:
    network, input_size, anchors = yolov2.darknet.model, yolov2.input_size, yolov2.anchors
    class_names = yolov2.class_names  # from coco.names
elif detector is not None:
    network, input_size, anchors = detector.model, detector.input_size, detector.anchors
if yolov2 is not None or detector is not None:
    grid_h, grid_w = network.output.shape[1:3]
    print(f"input {input_size}, grid {grid_h}x{grid_w}, {len(anchors)} anchors, "
          f"{len(class_names)} classes")
else:
    input_size, anchors, (grid_h, grid_w) = (608, 608), course_anchors, (19, 19)
    ground_truth_note = "ground truth passed through your yolo_eval (no trained detector available)"
    print(f"No trained detector available: the boxes below are the labelled ones, encoded as a "
          f"{grid_h}x{grid_w}x{len(anchors)}x85 output and decoded by yolo_head and your "
          "functions.")


def detector_output(image_file, image_data):
    """Raw output (1, S_h, S_w, A * (5 + C)) of a frame: the network's, or its boxes encoded."""
    if yolov2 is not None or detector is not None:
        return network(image_data, training=False)
    return yolo_model.ground_truth_features(by_file[Path(image_file).name], anchors,
                                            (grid_h, grid_w))


# %% [markdown] nbgrader={"grade": false, "grade_id": "stages_intro", "locked": true, "schema_version": 3, "solution": false}
# **Filtering and NMS at work.** On one frame: every box of the output with a class score
# above 0.05 (left), the boxes your `yolo_filter_boxes` keeps (middle), and what is left
# after your `yolo_non_max_suppression` (right).

# %% nbgrader={"grade": false, "grade_id": "demo_stages", "locked": true, "schema_version": 3, "solution": false}
test_files = road.test_images()
image, image_data = preprocess_image(frame["file"], model_image_size=input_size)
image_shape = (image.size[1], image.size[0])                  # (720, 1280)
yolo_outputs = yolo_head(detector_output(frame["file"], image_data), anchors, len(class_names))
box_xy, box_wh, box_confidence, box_class_probs = yolo_outputs
corners = scale_boxes(yolo_boxes_to_corners(box_xy, box_wh), image_shape)
low = yolo_filter_boxes(corners, box_confidence, box_class_probs, threshold=0.05)
kept = yolo_filter_boxes(corners, box_confidence, box_class_probs, threshold=score_threshold)
final = yolo_non_max_suppression(*kept, max_boxes, iou_threshold)
stages = {"class score >= 0.05": low, f"yolo_filter_boxes (>= {score_threshold})": kept,
          "after yolo_non_max_suppression": final}
for title, stage in stages.items():
    print(f"{title}: {len(stage[0])} boxes")
stages_note = None
if ground_truth_note:
    stages_note = (f"{frame['file'].name}: ground truth passed through your filtering and NMS "
                   "(no trained detector available)")
    print(stages_note)
fig = figures.plot_stages(image, stages, class_names, title=stages_note)

# %% [markdown] nbgrader={"grade": false, "grade_id": "predict_intro", "locked": true, "schema_version": 3, "solution": false}
# **`predict`** puts everything together for one frame: preprocess, run the network, decode
# with `yolo_head`, your `yolo_eval`, your `clip_boxes`, then print and draw the boxes.

# %% nbgrader={"grade": false, "grade_id": "predict", "locked": true, "schema_version": 3, "solution": false}
def predict(image_file, max_boxes=10, score_threshold=0.6, iou_threshold=0.5):
    """Detect objects in a picture; prints one line a box and returns
    (scores, boxes, classes, image)."""
    image, image_data = preprocess_image(image_file, model_image_size=input_size)
    image_shape = (image.size[1], image.size[0])               # (height, width)
    feats = detector_output(image_file, image_data)            # (1, S_h, S_w, A * 85)
    yolo_outputs = yolo_head(feats, anchors, len(class_names))
    scores, boxes, classes = yolo_eval(yolo_outputs, image_shape, max_boxes, score_threshold,
                                       iou_threshold)
    scores, classes = np.asarray(scores), np.asarray(classes)
    boxes = clip_boxes(np.asarray(boxes), image_shape)
    source = f": {ground_truth_note}" if ground_truth_note else ""
    print(f"Found {len(boxes)} boxes for {Path(image_file).name}{source}")
    for score, (top, left, bottom, right), c in zip(scores, boxes.round().astype(int), classes,
                                                    strict=True):
        print(f"{class_names[c]} {score:.2f} ({left}, {top}) ({right}, {bottom})")
    draw_boxes(image, boxes, classes, scores, class_names)
    return scores, boxes, classes, image


# %% nbgrader={"grade": false, "grade_id": "predict_test", "locked": true, "schema_version": 3, "solution": false}
out_scores, out_boxes, out_classes, drawn = predict(road.road_dir() / "images" / "test.jpg",
                                                    max_boxes, score_threshold, iou_threshold)
fig = figures.show_detections([drawn], ["test.jpg"], title=ground_truth_note)

# %% [markdown] nbgrader={"grade": false, "grade_id": "more_frames_intro", "locked": true, "schema_version": 3, "solution": false}
# **More frames.** The first test frames of the drive, and how many of the labelled cars
# come out (a car counts as found when a box of class `car` overlaps it with an IoU of at
# least 0.5). With the detector, this measures the detector and your post-processing
# together; on the ground truth, it shows how many labelled cars your `yolo_eval` gives back:
# at most `max_boxes` boxes a frame, and NMS removes a box that overlaps a better one too much.

# %% tags=["slow"] metrics={"car_recall_test_frames": "round(car_recall, 4) if detector is not None else None", "boxes_per_frame": "round(n_boxes / max(len(titles), 1), 2) if detector is not None else None"} nbgrader={"grade": false, "grade_id": "more_frames", "locked": true, "schema_version": 3, "solution": false}
drawn_images, titles, n_found, n_cars, n_boxes = [], [], 0, 0, 0
car_id = class_names.index("car") if "car" in class_names else None  # in the detector's classes
for path in [p for p in test_files if p.name != "test.jpg"][:n_test_images]:
    scores, boxes, classes, drawn = predict(path, max_boxes, score_threshold, iou_threshold)
    truth = by_file[path.name]
    cars = truth["boxes"][truth["classes"] == 2]              # (x_min, y_min, x_max, y_max)
    # the detected cars, as (x1, y1, x2, y2) rows
    found = [b[[1, 0, 3, 2]] for b, c in zip(boxes, classes, strict=True) if c == car_id]
    n_found += sum(any(iou(car, f) >= 0.5 for f in found) for car in cars)
    n_cars, n_boxes = n_cars + len(cars), n_boxes + len(boxes)
    drawn_images.append(drawn)
    titles.append(f"{path.name}: {len(boxes)} boxes")
car_recall = n_found / max(n_cars, 1)
print(f"labelled cars found: {n_found} of {n_cars} ({car_recall:.0%}); "
      f"{n_boxes} boxes in {len(titles)} frames")
fig = figures.show_detections(drawn_images, titles, title=ground_truth_note)

# %% [markdown] nbgrader={"grade": false, "grade_id": "extra_photo_intro", "locked": true, "schema_version": 3, "solution": false}
# **Your own photo.** Set `extra_photo` in the parameters cell at the top to the path of a
# picture (JPEG or PNG) and run the notebook again: the cell below runs the detector and your
# functions on it. It needs a network (the course's detector or YOLOv2): the ground truth
# exists only for the test frames.

# %% nbgrader={"grade": false, "grade_id": "extra_photo", "locked": true, "schema_version": 3, "solution": false}
if extra_photo and ground_truth_note:
    print("No network is available, and your photo has no labelled boxes: nothing to detect with.")
elif extra_photo:
    _, _, _, drawn = predict(extra_photo, max_boxes, score_threshold, iou_threshold)
    fig = figures.show_detections([drawn], [Path(extra_photo).name])

# %% [markdown] nbgrader={"grade": false, "grade_id": "summary", "locked": true, "schema_version": 3, "solution": false}
# ## Summary
#
# You wrote how a labelled box is given to the grid, and the post-processing of a YOLO
# detector:
#
# - `assign_anchor`, which finds the cell of a box centre and the anchor of the best shape;
# - `box_center_to_corners` and `clip_boxes`, to handle bounding boxes;
# - `yolo_filter_boxes`, which keeps the boxes whose class score $p_c \times P(c)$ is high
#   enough;
# - `iou`, then non-max suppression twice: by hand (`greedy_nms`) and with TensorFlow
#   (`yolo_non_max_suppression`), which keep the same boxes;
# - `yolo_eval`, which chains them and scales the boxes to the picture.
#
# **What to remember.**
#
# - YOLO runs the network once over the whole picture and outputs a grid $\times$ anchors
#   $\times$ (5 + classes) volume; the cell holding an object's centre, and the anchor that
#   fits its shape best, are responsible for it.
# - Anchor boxes let one cell predict several objects of different shapes; k-means with an
#   IoU distance finds good anchors for a data set.
# - Score thresholding removes the empty slots; non-max suppression removes duplicates,
#   greedily, best box first, using IoU.
# - Landmarks are another output format: a fixed list of $(x, y)$ points instead of a box.
#
# **What comes next.** The next assignment labels every *pixel* of a picture instead of
# drawing boxes: semantic segmentation with a U-Net.
