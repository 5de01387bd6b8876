"""Training loss, decoding and mAP of the W3A1 road-scene detector (instructor-only).

They hold what the W3A1 student writes (an IoU, score filtering, non-max suppression, the
whole decoding of the detector's output), so they live here, beside the trainer
(:mod:`cnn_course.graders.trainers.yolo`) and the bench, not in the student package. The
detector itself, its weights and the target encoding are in
:mod:`cnn_course.utils.yolo_model`.

- :func:`yolo_loss`: the YOLOv2 loss on targets of
  :func:`~cnn_course.utils.yolo_model.encode_targets`;
- :func:`decode_features`, :func:`detect`: raw features -> boxes, scores and classes after
  per-class NMS (TensorFlow's);
- :func:`average_precision`, :func:`mean_average_precision`, :func:`evaluate_map`: VOC-style
  AP per class on held-out scenes.
"""

from __future__ import annotations

import numpy as np

from cnn_course.utils.runtime import quiet_tensorflow

quiet_tensorflow()

import tensorflow as tf  # noqa: E402

from cnn_course.utils.yolo import yolo_boxes_to_corners, yolo_head  # noqa: E402
from cnn_course.utils.yolo_model import (  # noqa: E402
    NUM_CLASSES,
    Detector,
    box_fractions,
    load_split,
)

IGNORE_IOU = 0.6  # a prediction overlapping a true box this much is not punished as "no object"


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
    pred_xy, pred_wh, _, _ = yolo_head(raw, anchors, num_classes)
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
    noobj_loss = (1 - obj) * (1 - ignore) * tf.nn.sigmoid_cross_entropy_with_logits(
        tf.zeros_like(to), to)
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
# Decoding and evaluation (TensorFlow's NMS)
# ---------------------------------------------------------------------------------------------

def decode_features(feats, anchors, num_classes=NUM_CLASSES, score_threshold=0.01,
                    iou_threshold=0.45, max_boxes=100):
    """Raw features (m, S, S, A * (5 + C)) -> per image (boxes, scores, classes).

    Per-class NMS selects the boxes kept.

    boxes are corners (y_min, x_min, y_max, x_max) as fractions of the image; scores are
    confidence x class probability; NMS per class (``tf.image.combined_non_max_suppression``).
    """
    xy, wh, confidence, probs = yolo_head(feats, anchors, num_classes)
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
    """Run the detector on images (n, h, w, 3) -> list of (boxes, scores, classes).

    The images are uint8, or float in [0, 1].
    """
    results = []
    for start in range(0, len(images), batch_size):
        batch = np.asarray(images[start:start + batch_size])
        batch = (batch.astype(np.float32) / 255.0 if batch.dtype == np.uint8
                 else batch.astype(np.float32))
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
            t_boxes = np.asarray(t_boxes, float).reshape(-1, 4)[
                np.asarray(t_classes).reshape(-1) == c]
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
        # boxes -> (y_min, x_min, y_max, x_max)
        truths.append((box_fractions(record)[:, [1, 0, 3, 2]], record["classes"]))
    return mean_average_precision(detections, truths, detector.class_names, iou_threshold)
