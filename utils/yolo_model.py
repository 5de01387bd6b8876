"""The YOLOv2-style road-scene detector of W3A1 (``cnn_course.utils.yolo_model``).

The course's notebook runs a pretrained YOLOv2 (608x608 input, 19x19 grid, 5 anchors,
80 COCO classes) that cannot be downloaded here. This project trains its own detector on
the road-scene stand-in (``cnn_course.datasets.road``) with :mod:`cnn_course.utils.train_yolo`
(``make weights NAME=yolo_road``) and keeps YOLOv2's output format, so the notebook's
post-processing (``yolo_head``, filtering, NMS) is the original's:

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
shapes in the object's centre cell), the YOLOv2 loss (:func:`yolo_loss`), decoding with
per-class NMS (:func:`detect`, TensorFlow's NMS, no student code) and VOC-style mAP
(:func:`average_precision`, :func:`mean_average_precision`, :func:`evaluate_map`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnn_course.utils.runtime import quiet_tensorflow

quiet_tensorflow()

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from cnn_course.datasets import road  # noqa: E402
from cnn_course.utils.yolo import yolo_boxes_to_corners, yolo_head  # noqa: E402

__all__ = [
    "INPUT_SIZE",
    "NUM_CLASSES",
    "STRIDE",
    "Detector",
    "YoloOutput",
    "average_precision",
    "build_detector",
    "decode_features",
    "detect",
    "detector_anchors",
    "encode_targets",
    "evaluate_map",
    "features_from_targets",
    "load_detector",
    "load_split",
    "mean_average_precision",
    "untrained_detector",
    "yolo_loss",
]

# (height, width) of the detector's input. Wider than tall: the frames are 16:9, and a car
# seen from behind is narrow once a frame is squeezed to a square (car AP@0.5 on the
# validation scenes: 0.70 at 288 x 288 after 55 epochs, 0.75 at 288 x 448 after 40, in
# about the same training time; README, "W3A1 detector").
INPUT_SIZE = (288, 448)
STRIDE = 16  # pixels of the input per grid cell: an 18 x 28 grid at 288 x 448
N_ANCHORS = 5
NUM_CLASSES = len(road.COCO_CLASSES)  # 80: class ids are lines of coco_classes.txt
MAX_BOXES = 32  # true boxes per image kept for the loss's ignore mask (the data has <= 26)
IGNORE_IOU = 0.6  # a prediction overlapping a true box this much is not punished as "no object"
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
        config.update(anchors=self.anchors, input_size=self.input_size, num_classes=self.num_classes)
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
    """The trained detector (``make weights NAME=yolo_road``), or None with a sentence if missing."""
    from cnn_course.utils import weights

    path = Path(path) if path else weights.path_if_present(WEIGHTS_NAME)
    if path is None or not path.exists():
        if verbose:
            print(f"The trained detector is missing: {weights.how_to_make(WEIGHTS_NAME)}.")
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
    inter = np.minimum(wh[:, None, 0], anchors[None, :, 0]) * np.minimum(wh[:, None, 1], anchors[None, :, 1])
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


# ---------------------------------------------------------------------------------------------
# Loss
# ---------------------------------------------------------------------------------------------

def _box_iou(a_xy, a_wh, b_xy, b_wh):
    """IoU of centre/size boxes, broadcasting."""
    a_min, a_max = a_xy - a_wh / 2, a_xy + a_wh / 2
    b_min, b_max = b_xy - b_wh / 2, b_xy + b_wh / 2
    inter_wh = tf.maximum(tf.minimum(a_max, b_max) - tf.maximum(a_min, b_min), 0.0)
    inter = inter_wh[..., 0] * inter_wh[..., 1]
    union = a_wh[..., 0] * a_wh[..., 1] + b_wh[..., 0] * b_wh[..., 1] - inter
    return inter / tf.maximum(union, 1e-9)


def yolo_loss(target, true_boxes, feats, anchors, num_classes=NUM_CLASSES, parts=False):
    """The YOLOv2 loss, summed over the grid and averaged over the images.

    Arguments:
    target -- (m, S, S, A, 6) from :func:`encode_targets`
    true_boxes -- (m, max_boxes, 4) from :func:`encode_targets`
    feats -- (m, S, S, A * (5 + C)) raw detector outputs
    anchors -- (A, 2) in grid cells

    Terms (responsible anchors: object mask 1): squared error of the centre offsets in the
    cell (sigmoid(t_xy)) and of t_wh against log(size / anchor), weighted by 2 - w * h (small
    boxes count more); objectness cross-entropy towards 1; "no object" cross-entropy towards 0
    for the other anchors, except predictions whose box overlaps a true box with IoU above
    IGNORE_IOU; class cross-entropy (softmax). Returns the total, or a dict of the terms.
    """
    anchors = np.asarray(anchors, dtype=np.float32).reshape(-1, 2)
    target = tf.convert_to_tensor(target, tf.float32)
    true_boxes = tf.convert_to_tensor(true_boxes, tf.float32)
    feats = tf.convert_to_tensor(feats, tf.float32)
    m = tf.shape(feats)[0]
    grid_h, grid_w = target.shape[1], target.shape[2]
    raw = tf.reshape(feats, [m, grid_h, grid_w, anchors.shape[0], 5 + num_classes])
    _, pred_xy, pred_wh, _ = yolo_head(raw, anchors, num_classes)
    obj = target[..., 4]  # (m, S, S, A)
    scale = tf.constant([grid_w, grid_h], tf.float32)
    cols, rows = tf.meshgrid(tf.range(grid_w), tf.range(grid_h))
    offset = tf.cast(tf.stack([cols, rows], axis=-1), tf.float32)[None, :, :, None, :]
    true_cell_xy = target[..., 0:2] * scale - offset
    safe_wh = tf.where(obj[..., None] > 0, target[..., 2:4] * scale, anchors)
    true_t_wh = tf.math.log(safe_wh / anchors)
    weight = obj * (2.0 - target[..., 2] * target[..., 3])
    xy_loss = weight * tf.reduce_sum(tf.square(tf.sigmoid(raw[..., 0:2]) - true_cell_xy), -1)
    wh_loss = weight * tf.reduce_sum(tf.square(raw[..., 2:4] - true_t_wh), -1)
    # ignore mask: best IoU of each prediction with the image's true boxes
    iou = _box_iou(pred_xy[..., None, :], pred_wh[..., None, :],
                   true_boxes[:, None, None, None, :, 0:2], true_boxes[:, None, None, None, :, 2:4])
    ignore = tf.cast(tf.reduce_max(iou, axis=-1) > IGNORE_IOU, tf.float32)
    to = raw[..., 4]
    obj_loss = obj * tf.nn.sigmoid_cross_entropy_with_logits(tf.ones_like(to), to)
    noobj_loss = (1 - obj) * (1 - ignore) * tf.nn.sigmoid_cross_entropy_with_logits(tf.zeros_like(to), to)
    class_loss = obj * tf.nn.sparse_softmax_cross_entropy_with_logits(
        tf.cast(target[..., 5], tf.int32), raw[..., 5:])
    m_float = tf.cast(m, tf.float32)
    terms = {name: tf.reduce_sum(value) / m_float for name, value in (
        ("xy", xy_loss), ("wh", wh_loss), ("object", obj_loss), ("no_object", noobj_loss),
        ("class", class_loss))}
    total = tf.add_n(list(terms.values()))
    if parts:
        return {"total": total, **terms}
    return total


# ---------------------------------------------------------------------------------------------
# Decoding and evaluation (TensorFlow's NMS; no student code)
# ---------------------------------------------------------------------------------------------

def decode_features(feats, anchors, num_classes=NUM_CLASSES, score_threshold=0.01,
                    iou_threshold=0.45, max_boxes=100):
    """Raw features (m, S, S, A * (5 + C)) -> per image (boxes, scores, classes) after per-class NMS.

    boxes are corners (y_min, x_min, y_max, x_max) as fractions of the image; scores are
    confidence x class probability; NMS per class (``tf.image.combined_non_max_suppression``).
    """
    confidence, xy, wh, probs = yolo_head(feats, anchors, num_classes)
    corners = yolo_boxes_to_corners(xy, wh)  # (m, S, S, A, 4)
    m = tf.shape(corners)[0]
    boxes = tf.reshape(corners, [m, -1, 1, 4])
    scores = tf.reshape(confidence * probs, [m, -1, num_classes])
    out_boxes, out_scores, out_classes, valid = tf.image.combined_non_max_suppression(
        boxes, scores, max_output_size_per_class=max_boxes, max_total_size=max_boxes,
        iou_threshold=iou_threshold, score_threshold=score_threshold, clip_boxes=False)
    results = []
    for i in range(int(m)):
        n = int(valid[i])
        results.append((out_boxes[i, :n].numpy(), out_scores[i, :n].numpy(),
                        out_classes[i, :n].numpy().astype(np.int64)))
    return results


def detect(detector: Detector, images, batch_size=32, **kwargs):
    """Run the detector on uint8 (or [0, 1] float) images (n, h, w, 3) -> list of (boxes, scores, classes)."""
    results = []
    for start in range(0, len(images), batch_size):
        batch = np.asarray(images[start:start + batch_size])
        batch = batch.astype(np.float32) / 255.0 if batch.dtype == np.uint8 else batch.astype(np.float32)
        feats = detector.model(batch, training=False)
        results += decode_features(feats, detector.anchors, len(detector.class_names), **kwargs)
    return results


def _corner_iou(box, boxes):
    """IoU of one (y_min, x_min, y_max, x_max) box with (n, 4) boxes."""
    y0, x0 = np.maximum(box[0], boxes[:, 0]), np.maximum(box[1], boxes[:, 1])
    y1, x1 = np.minimum(box[2], boxes[:, 2]), np.minimum(box[3], boxes[:, 3])
    inter = np.clip(y1 - y0, 0, None) * np.clip(x1 - x0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-12)


def average_precision(recall, precision) -> float:
    """VOC AP with all-point interpolation: area under the precision envelope."""
    r = np.concatenate([[0.0], np.asarray(recall, float), [1.0]])
    p = np.concatenate([[0.0], np.asarray(precision, float), [0.0]])
    p = np.maximum.accumulate(p[::-1])[::-1]
    steps = np.flatnonzero(r[1:] != r[:-1])
    return float(np.sum((r[steps + 1] - r[steps]) * p[steps + 1]))


def mean_average_precision(detections, truths, class_names, iou_threshold=0.5) -> dict:
    """mAP@iou_threshold (VOC style) of detections against true boxes, per class.

    Arguments:
    detections -- per image (boxes (k, 4), scores (k,), classes (k,)), corners in any one unit
    truths -- per image (boxes (n, 4), classes (n,)), same corner order and unit
    class_names -- names indexed by class id

    Returns {class name: AP} for each class with at least one true box, and "mAP" (their mean).
    A detection matches the unmatched true box of its class with the best IoU >= iou_threshold,
    in decreasing score order; each true box matches once (later ones are false positives).
    """
    if len(detections) != len(truths):
        raise ValueError(f"{len(detections)} images of detections for {len(truths)} of true boxes")
    present = sorted({int(c) for _, classes in truths for c in np.asarray(classes).reshape(-1)})
    result = {}
    for c in present:
        records, n_true = [], 0
        for image, ((boxes, scores, classes), (_, t_classes)) in enumerate(
                zip(detections, truths, strict=True)):
            n_true += int(np.sum(np.asarray(t_classes) == c))
            keep = np.asarray(classes).reshape(-1) == c
            records += [(float(s), image, np.asarray(b, float))
                        for s, b in zip(np.asarray(scores).reshape(-1)[keep],
                                        np.asarray(boxes).reshape(-1, 4)[keep], strict=True)]
        records.sort(key=lambda r: -r[0])
        used = {}
        hits = np.zeros(len(records))
        for k, (_, image, box) in enumerate(records):
            t_boxes, t_classes = truths[image]
            t_boxes = np.asarray(t_boxes, float).reshape(-1, 4)[np.asarray(t_classes).reshape(-1) == c]
            if len(t_boxes) == 0:
                continue
            ious = _corner_iou(box, t_boxes)
            taken = used.setdefault(image, np.zeros(len(t_boxes), bool))
            ious[taken] = -1.0
            best = int(np.argmax(ious))
            if ious[best] >= iou_threshold:
                taken[best] = True
                hits[k] = 1.0
        tp = np.cumsum(hits)
        recall = tp / max(n_true, 1)
        precision = tp / np.arange(1, len(records) + 1)
        result[class_names[c]] = average_precision(recall, precision) if len(records) else 0.0
    result["mAP"] = float(np.mean([result[class_names[c]] for c in present])) if present else 0.0
    return result


def evaluate_map(detector: Detector, split: str = "val", iou_threshold: float = 0.5,
                 limit: int | None = None) -> dict:
    """mAP@iou_threshold per class of a detector on a split's held-out scenes ("val" by default).

    The split's images are resized to the detector's input (as ``preprocess_image`` does);
    boxes are compared as fractions of the image. Returns {class name: AP, ..., "mAP": mean}.
    """
    images, records = load_split(split, detector.input_size, limit)
    detections = detect(detector, images)
    truths = []
    for record in records:
        truths.append((box_fractions(record)[:, [1, 0, 3, 2]], record["classes"]))  # -> (y_min, x_min, y_max, x_max)
    return mean_average_precision(detections, truths, detector.class_names, iou_threshold)
