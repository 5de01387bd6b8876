"""The YOLOv2-style road-scene detector of W3A1 (``cnn_course.utils.yolo_model``).

The course's notebook runs a pretrained YOLOv2 (608x608 input, 19x19 grid, 5 anchors,
80 COCO classes) that cannot be downloaded here. The course staff train their own detector
on the road-scene stand-in (``cnn_course.datasets.road``) and hand it out with the notebook
(:func:`load_detector` finds the file, see :mod:`cnn_course.utils.weights`). It keeps
YOLOv2's output format, so the notebook's post-processing (``yolo_head``, filtering, NMS) is
the original's:

- input ``(H, W, 3)`` float in [0, 1] (``preprocess_image`` of :mod:`cnn_course.utils.yolo`),
  :data:`INPUT_SIZE` by default;
- output ``(m, S, S, A * (5 + C))`` raw features, per anchor ``[tx, ty, tw, th, to, class
  logits (C)]``, decoded by :func:`cnn_course.utils.yolo.yolo_head`; C = 80 COCO classes;
- anchors ``(A, 2)`` (width, height) in cells of the detector's grid, found by k-means with
  the distance 1 - IoU on the training boxes (:func:`detector_anchors`).

The anchors and the input size travel inside the ``.keras`` file: the model's last layer,
:class:`YoloOutput`, is an identity layer whose config holds them, so one file is the whole
detector (:func:`load_detector` reads them back).

Also here: the target encoding (:func:`encode_targets`, responsible anchor = best IoU of
shapes in the object's centre cell), its inverse (:func:`features_from_targets`, the raw
output a perfect detector gives), and :func:`ground_truth_features`, a frame's labelled
boxes encoded as the detector's output, which the notebook decodes with the student's own
functions when the detector is not available. The training loss, the decoding with
per-class NMS and the mAP evaluation hold what the student writes; they are instructor
code (``cnn_course.graders.trainers.detection``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnn_course.utils.runtime import quiet_tensorflow

quiet_tensorflow()

import keras  # noqa: E402

from cnn_course.datasets import road  # noqa: E402

__all__ = [
    "INPUT_SIZE",
    "NUM_CLASSES",
    "STRIDE",
    "Detector",
    "YoloOutput",
    "box_fractions",
    "build_detector",
    "detector_anchors",
    "encode_targets",
    "features_from_targets",
    "grid_shape",
    "ground_truth_features",
    "load_detector",
    "load_split",
    "untrained_detector",
]

# (height, width) of the detector's input. Wider than tall: the frames are 16:9, and a car
# seen from behind is narrow once a frame is squeezed to a square (car AP@0.5 on the
# validation scenes: 0.70 at 288 x 288 after 55 epochs, 0.75 at 288 x 448 after 40, in
# about the same training time; README, "W3A1 detector").
INPUT_SIZE = (288, 448)
STRIDE = 16  # pixels of the input per grid cell: an 18 x 28 grid at 288 x 448
N_ANCHORS = 5
NUM_CLASSES = len(road.COCO_CLASSES)  # 80: class ids are lines of coco_classes.txt
MAX_BOXES = 32  # true boxes per image kept for the training loss's ignore mask (the data has <= 26)
WEIGHTS_NAME = "yolo_road"


# ---------------------------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------------------------

@keras.saving.register_keras_serializable(package="cnn_course")
class YoloOutput(keras.layers.Layer):
    """Identity on the raw features; carries the anchors and input size in its config."""

    def __init__(self, anchors, input_size, num_classes=NUM_CLASSES, **kwargs):
        super().__init__(**kwargs)
        self.anchors = [[float(w), float(h)] for w, h in np.asarray(anchors).reshape(-1, 2)]
        self.input_size = [int(v) for v in input_size]
        self.num_classes = int(num_classes)

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(anchors=self.anchors, input_size=self.input_size,
                      num_classes=self.num_classes)
        return config


def _conv(x, filters, kernel=3, strides=1, name=None):
    """Conv (no bias) -> BatchNorm -> LeakyReLU(0.1), Darknet's unit."""
    x = keras.layers.Conv2D(filters, kernel, strides=strides, padding="same", use_bias=False,
                            name=f"{name}_conv")(x)
    x = keras.layers.BatchNormalization(momentum=0.97, name=f"{name}_bn")(x)
    return keras.layers.LeakyReLU(negative_slope=0.1, name=f"{name}_act")(x)


def build_detector(input_size=INPUT_SIZE, anchors=None, num_classes=NUM_CLASSES) -> keras.Model:
    """A small YOLOv2-style detector.

    Arguments:
    input_size -- (height, width), multiples of 32
    anchors -- (A, 2) anchor (width, height) in grid cells (default: the training set's k-means)
    num_classes -- C (80: the COCO classes, as the original YOLOv2)

    Returns a keras.Model: (m, height, width, 3) floats in [0, 1] ->
    (m, height / 16, width / 16, A * (5 + C)) raw features for ``yolo_head``.

    Backbone: stride-2 stages of Conv-BN-LeakyReLU (16, 32, 64, 128 filters) down to the
    stride-16 grid, one more stage at stride 32 (256 filters) upsampled and concatenated with
    the stride-16 features (context for large boxes, like YOLOv2's passthrough but the other
    way round), a 3x3 conv (128) and the 1x1 output conv. About 1.55 M parameters.
    """
    height, width = (int(v) for v in input_size)
    if height % 32 or width % 32 or height <= 0 or width <= 0:
        raise ValueError(f"input_size is {input_size}; expected positive multiples of 32")
    anchors = detector_anchors((height, width)) if anchors is None else np.asarray(anchors, float)
    anchors = anchors.reshape(-1, 2)
    depth = anchors.shape[0] * (5 + int(num_classes))
    inputs = keras.Input((height, width, 3), name="image")
    x = _conv(inputs, 16, strides=2, name="s2")  # (H/2, W/2, 16)
    x = _conv(x, 32, strides=2, name="s4")  # (H/4, W/4, 32)
    x = _conv(x, 64, strides=2, name="s8a")  # (H/8, W/8, 64)
    x = _conv(x, 64, name="s8b")
    x = _conv(x, 128, strides=2, name="s16a")  # (H/16, W/16, 128)
    fine = _conv(x, 128, name="s16b")
    x = _conv(fine, 256, strides=2, name="s32a")  # (H/32, W/32, 256)
    x = _conv(x, 256, name="s32b")
    x = _conv(x, 128, kernel=1, name="s32c")
    x = keras.layers.UpSampling2D(2, name="up")(x)  # (H/16, W/16, 128)
    x = keras.layers.Concatenate(name="merge")([x, fine])  # (H/16, W/16, 256)
    x = _conv(x, 128, name="head")
    x = keras.layers.Conv2D(depth, 1, name="features")(x)  # (H/16, W/16, A * (5 + C))
    outputs = YoloOutput(anchors, (height, width), num_classes, name="yolo_output")(x)
    model = keras.Model(inputs, outputs, name="yolo_road")
    # objectness starts near 1 % (prior), so that the many empty cells do not swamp early training
    kernel, bias = model.get_layer("features").get_weights()
    bias = bias.reshape(anchors.shape[0], 5 + int(num_classes))
    bias[:, 4] = np.log(0.01 / 0.99)
    model.get_layer("features").set_weights([kernel, bias.reshape(-1)])
    return model


def grid_shape(input_size) -> tuple[int, int]:
    return int(input_size[0]) // STRIDE, int(input_size[1]) // STRIDE


def detector_anchors(input_size=INPUT_SIZE, k=N_ANCHORS, seed=road.SEED) -> np.ndarray:
    """k-means anchors (1 - IoU distance) of the training boxes, in cells of the detector's grid."""
    grid_h, grid_w = grid_shape(input_size)
    sizes = []
    for record in road.load_annotations("train"):
        b = record["boxes"]
        sizes.append(np.stack([(b[:, 2] - b[:, 0]) / record["width"] * grid_w,
                               (b[:, 3] - b[:, 1]) / record["height"] * grid_h], axis=1))
    return road.kmeans_anchors(np.concatenate(sizes), k, seed)


@dataclass
class Detector:
    """A detector ready to use: the model, its anchors (A, 2) in grid cells, input (h, w), names."""

    model: keras.Model
    anchors: np.ndarray
    input_size: tuple[int, int]
    class_names: list[str]


def _detector_from_model(model: keras.Model) -> Detector:
    head = model.get_layer("yolo_output")
    return Detector(model=model, anchors=np.array(head.anchors, dtype=np.float64),
                    input_size=tuple(head.input_size), class_names=road.read_classes())


def load_detector(verbose: bool = True, path: Path | str | None = None) -> Detector | None:
    """The course's trained detector (see :func:`cnn_course.utils.weights.locate`), or None with
    a sentence."""
    from cnn_course.utils import weights

    path = Path(path) if path else weights.locate(WEIGHTS_NAME, verbose=verbose)
    if path is None or not path.exists():
        if verbose:
            print(weights.missing_message(WEIGHTS_NAME))
        return None
    model = keras.models.load_model(path, compile=False)
    if verbose:
        print(f"Loaded the detector from {path}: input {model.input_shape[1:3]}, "
              f"output {model.output_shape[1:]}.")
    return _detector_from_model(model)


def untrained_detector(seed: int = 0) -> Detector:
    """A freshly initialised detector (seeded) with the default anchors: smoke mode, tests."""
    keras.utils.set_random_seed(int(seed))
    return _detector_from_model(build_detector(INPUT_SIZE))


# ---------------------------------------------------------------------------------------------
# Data and targets
# ---------------------------------------------------------------------------------------------

def box_fractions(record: dict) -> np.ndarray:
    """A record's boxes (x_min, y_min, x_max, y_max) as fractions of its image, shape (n, 4)."""
    return record["boxes"] / np.array([record["width"], record["height"]] * 2)


def load_split(split: str, input_size=INPUT_SIZE, limit: int | None = None):
    """Images of a split resized like ``preprocess_image`` (bicubic) as uint8, and their records.

    Returns (images (n, h, w, 3) uint8, records) where each record's ``boxes`` are
    (x_min, y_min, x_max, y_max) in pixels of the original image (see ``road.load_annotations``).
    """
    from PIL import Image

    records = road.load_annotations(split)[:limit]
    height, width = (int(v) for v in input_size)
    images = np.empty((len(records), height, width, 3), dtype=np.uint8)
    for i, record in enumerate(records):
        with Image.open(record["file"]) as image:
            images[i] = np.asarray(image.convert("RGB").resize((width, height), Image.BICUBIC))
    return images, records


def _wh_iou(wh, anchors):
    inter = (np.minimum(wh[:, None, 0], anchors[None, :, 0])
             * np.minimum(wh[:, None, 1], anchors[None, :, 1]))
    return inter / (wh[:, 0:1] * wh[:, 1:2] + (anchors[:, 0] * anchors[:, 1])[None] - inter)


def encode_targets(boxes, classes, anchors, grid, max_boxes=MAX_BOXES):
    """Encode one image's boxes for the loss.

    Arguments:
    boxes -- (n, 4) true boxes (x_min, y_min, x_max, y_max) as fractions of the image
    classes -- (n,) class ids
    anchors -- (A, 2) anchor (width, height) in grid cells
    grid -- (S_h, S_w)

    Returns:
    target -- (S_h, S_w, A, 6) float32: [x, y, w, h (centre and size, fractions of the image),
              1 (object), class id] at the responsible anchor of each box, zeros elsewhere.
              Responsible: the box's centre cell, the anchor whose shape has the best IoU with
              the box's (if another box took it, the next best free anchor of that cell).
    true_boxes -- (max_boxes, 4) float32 [x, y, w, h] of the boxes (zero-padded)
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    classes = np.asarray(classes).reshape(-1)
    anchors = np.asarray(anchors, dtype=np.float64).reshape(-1, 2)
    grid_h, grid_w = (int(v) for v in grid)
    target = np.zeros((grid_h, grid_w, len(anchors), 6), dtype=np.float32)
    true_boxes = np.zeros((max_boxes, 4), dtype=np.float32)
    if len(boxes) == 0:
        return target, true_boxes
    xy = (boxes[:, :2] + boxes[:, 2:]) / 2
    wh = boxes[:, 2:] - boxes[:, :2]
    order = np.argsort(-(wh[:, 0] * wh[:, 1]))  # large boxes choose first
    ious = _wh_iou(wh * np.array([grid_w, grid_h]), anchors)
    for i in order:
        col = min(int(xy[i, 0] * grid_w), grid_w - 1)
        row = min(int(xy[i, 1] * grid_h), grid_h - 1)
        for a in np.argsort(-ious[i]):
            if target[row, col, a, 4] == 0:
                target[row, col, a] = [xy[i, 0], xy[i, 1], wh[i, 0], wh[i, 1], 1.0, classes[i]]
                break
    n = min(len(boxes), max_boxes)
    true_boxes[:n] = np.concatenate([xy, wh], axis=1)[:n]
    return target, true_boxes


def features_from_targets(target, anchors, num_classes=NUM_CLASSES, logit=20.0):
    """The raw features a perfect detector outputs for encoded targets (m, S, S, A, 6).

    Inverse of the decoding of ``yolo_head``: (m, S, S, A * (5 + C)) float32 whose objectness
    logit is +logit at the responsible anchors and -logit elsewhere, and whose class logits
    are +logit for the true class.
    """
    target = np.asarray(target, dtype=np.float64)
    m, grid_h, grid_w, n_anchors, _ = target.shape
    anchors = np.asarray(anchors, dtype=np.float64).reshape(1, 1, 1, -1, 2)
    obj = target[..., 4:5] > 0
    cols, rows = np.meshgrid(np.arange(grid_w), np.arange(grid_h))
    offset = np.stack([cols, rows], axis=-1)[None, :, :, None, :]
    cell_xy = np.clip(target[..., 0:2] * [grid_w, grid_h] - offset, 1e-6, 1 - 1e-6)
    t_xy = np.where(obj, np.log(cell_xy / (1 - cell_xy)), 0.0)
    safe_wh = np.where(obj, target[..., 2:4] * [grid_w, grid_h], anchors)
    t_wh = np.log(safe_wh / anchors)
    t_o = np.where(obj, logit, -logit)
    logits = np.full(target.shape[:4] + (num_classes,), -logit)
    np.put_along_axis(logits, target[..., 5:6].astype(int), logit, axis=-1)
    feats = np.concatenate([t_xy, t_wh, t_o, logits], axis=-1)
    return feats.reshape(m, grid_h, grid_w, -1).astype(np.float32)


def ground_truth_features(record: dict, anchors, grid, num_classes=NUM_CLASSES,
                          scores=(0.90, 0.99)):
    """A frame's labelled boxes as the raw output (1, S_h, S_w, A * (5 + C)) of a perfect detector.

    Arguments:
    record -- a frame of ``road.load_annotations``: ``boxes`` (n, 4) (x_min, y_min, x_max, y_max)
              in pixels of its ``width`` x ``height`` image, ``classes`` (n,)
    anchors -- (A, 2) anchor (width, height) in grid cells
    grid -- (S_h, S_w)
    scores -- the class score of the smallest and of the largest box

    The boxes are encoded as for training (:func:`encode_targets`: the centre's cell, the
    anchor of the best-fitting shape; a cell holds at most A boxes, more are dropped) and
    turned into raw features (:func:`features_from_targets`), so that ``yolo_head`` decodes
    them back exactly. Each box gets its class and a confident score, evenly spaced by area
    from ``scores[0]`` (smallest) to ``scores[1]`` (largest), so that ``max_boxes`` keeps the
    nearest objects first, as a detector's scores tend to; every other slot scores near 0.
    """
    anchors = np.asarray(anchors, dtype=np.float64).reshape(-1, 2)
    target, _ = encode_targets(box_fractions(record), record["classes"], anchors, grid)
    feats = features_from_targets(target[None], anchors, num_classes)
    feats = feats.reshape(feats.shape[:3] + (len(anchors), 5 + int(num_classes)))
    obj = target[..., 4] > 0
    areas = (target[..., 2] * target[..., 3])[obj]  # (k,) in the order of feats[0][obj]
    rank = np.argsort(np.argsort(areas, kind="stable"), kind="stable")  # 0 for the smallest box
    low, high = scores
    score = low + (high - low) * rank / max(len(areas) - 1, 1)
    feats[0, ..., 4][obj] = np.log(score / (1 - score))  # the objectness logit
    return feats.reshape(feats.shape[:3] + (-1,))
