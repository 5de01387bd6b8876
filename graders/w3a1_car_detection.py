"""Checks for W3A1, car detection with YOLO (post-processing of the detector's output).

Each graded function ``f`` of the notebook has ``check_f(fn, hidden=False)``:

- ``hidden=False`` (the visible test): fixed seeds, in the original course's shapes
  (19x19 grids, 5 anchors, 80 classes; 54 boxes for NMS), plus edge cases (scores exactly
  at the threshold, no box above it), compared with numpy oracles written here;
- ``hidden=True`` (the hidden test): other shapes, thresholds and seeds, edge cases (all
  boxes identical, ``max_boxes`` larger than the number of boxes, no boxes at all), compared
  with the oracles, with ``tf.image.non_max_suppression`` for NMS, and with the reference
  outputs in ``graders/reference/``.

The oracles share no code with the notebook's solution: greedy NMS here is vectorised over
an IoU matrix, filtering is written with numpy indexing. Every check raises
:class:`CheckFailure` with a sentence on the first problem and returns None when the
function is right.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cnn_course.graders import reference
from cnn_course.graders._checking import (
    CheckFailure,
    call_student,
    expect_close,
    expect_scalar,
    expect_tuple,
    rng_for,
)

ASSIGNMENT_ID = "w3a1_car_detection"
GRADED_FUNCTIONS = (
    "box_center_to_corners",
    "clip_boxes",
    "yolo_filter_boxes",
    "iou",
    "greedy_nms",
    "yolo_non_max_suppression",
    "yolo_eval",
)


def _tf():
    from cnn_course.utils import quiet_tensorflow

    quiet_tensorflow()
    import tensorflow as tf

    return tf


# ----------------------------------------------------------------------------- oracles
def oracle_corners(box_xy, box_wh):
    """(..., 2) centres (x, y) and sizes (w, h) -> (..., 4) corners (y_min, x_min, y_max, x_max)."""
    xy, wh = np.asarray(box_xy), np.asarray(box_wh)
    lo, hi = xy - wh / 2.0, xy + wh / 2.0  # (x, y) order
    return np.concatenate([lo[..., ::-1], hi[..., ::-1]], axis=-1)


def oracle_clip(boxes, image_shape):
    height, width = image_shape
    limits = np.array([height, width, height, width], dtype=float)
    return np.minimum(np.maximum(np.asarray(boxes, dtype=float), 0.0), limits)


def oracle_filter(boxes, box_confidence, box_class_probs, threshold):
    """Flattened, row-major: scores (k,), boxes (k, 4), classes (k,) of the boxes scoring >= threshold."""
    box_scores = (box_confidence * box_class_probs).reshape(-1, box_class_probs.shape[-1])
    best = box_scores.argmax(axis=1)
    best_score = box_scores[np.arange(len(box_scores)), best]
    keep = np.flatnonzero(best_score >= threshold)
    return best_score[keep], boxes.reshape(-1, 4)[keep], best[keep]


def iou_matrix(a, b):
    """IoU of every row of a (n, 4) with every row of b (m, 4); corners in (x1, y1, x2, y2) order."""
    a, b = np.asarray(a, dtype=np.float64)[:, None], np.asarray(b, dtype=np.float64)[None]
    inter_w = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    inter_h = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = inter_w * inter_h
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    return inter / (area_a + area_b - inter)


def oracle_nms(boxes, scores, max_boxes, iou_threshold):
    """Indices kept by greedy NMS (any corner order: IoU is the same with x and y swapped)."""
    boxes, scores = np.asarray(boxes, dtype=np.float64).reshape(-1, 4), np.asarray(scores).reshape(-1)
    if len(boxes) == 0:
        return np.zeros(0, dtype=int)
    overlaps = iou_matrix(boxes, boxes)
    alive = np.ones(len(boxes), dtype=bool)
    keep = []
    for i in np.argsort(-scores, kind="stable"):
        if len(keep) == max_boxes:
            break
        if alive[i]:
            keep.append(i)
            alive &= ~(overlaps[i] > iou_threshold)
    return np.array(keep, dtype=int)


def tf_nms(boxes, scores, max_boxes, iou_threshold):
    tf = _tf()
    return tf.image.non_max_suppression(np.asarray(boxes, np.float32).reshape(-1, 4),
                                        np.asarray(scores, np.float32).reshape(-1), max_boxes,
                                        iou_threshold=iou_threshold).numpy()


def oracle_eval(yolo_outputs, image_shape, max_boxes, score_threshold, iou_threshold):
    confidence, xy, wh, probs = (np.asarray(v, dtype=np.float32) for v in yolo_outputs)
    corners = oracle_corners(xy, wh).astype(np.float32)
    scores, boxes, classes = oracle_filter(corners, confidence, probs, np.float32(score_threshold))
    height, width = image_shape
    boxes = boxes * np.array([height, width, height, width], dtype=np.float32)
    keep = oracle_nms(boxes, scores, max_boxes, iou_threshold)
    return scores[keep], boxes[keep], classes[keep]


# ------------------------------------------------------------------------ inputs
def centre_case(name, shape):
    rng = rng_for(ASSIGNMENT_ID, "centre", name)
    return rng.uniform(0, 1, shape + (2,)), rng.uniform(0.01, 0.5, shape + (2,))


def box_case(name, n, image_shape, spread=0.3):
    """n boxes (y_min, x_min, y_max, x_max) in pixels, some sticking out of every side."""
    rng = rng_for(ASSIGNMENT_ID, "clip", name)
    height, width = image_shape
    centre = rng.uniform(-spread, 1 + spread, (n, 2)) * [height, width]
    size = rng.uniform(0.05, 0.6, (n, 2)) * [height, width]
    return np.concatenate([centre - size / 2, centre + size / 2], axis=1)


def filter_case(name, lead_shape, n_classes, ties=0):
    """(boxes, box_confidence, box_class_probs) as float32; `ties` slots score exactly 0.5."""
    rng = rng_for(ASSIGNMENT_ID, "filter", name)
    boxes = rng.normal(1, 4, lead_shape + (4,)).astype(np.float32)
    confidence = rng.uniform(0, 1, lead_shape + (1,)).astype(np.float32)
    logits = rng.normal(0, 3, lead_shape + (n_classes,))
    probs = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probs = (probs / probs.sum(axis=-1, keepdims=True)).astype(np.float32)
    flat_conf, flat_probs = confidence.reshape(-1, 1), probs.reshape(-1, n_classes)
    for k, slot in enumerate(rng.choice(len(flat_conf), ties, replace=False)):
        flat_conf[slot] = 1.0
        flat_probs[slot] = 0.5 / (n_classes - 1)
        flat_probs[slot, (3 * k + 2) % n_classes] = 0.5  # best class score exactly 0.5
    return boxes, confidence, probs


def nms_case(name, n, identical=False, separated=False):
    """scores (n,), boxes (n, 4) (y_min, x_min, y_max, x_max) in pixels, classes (n,), float32/int64."""
    rng = rng_for(ASSIGNMENT_ID, "nms", name)
    scores = ((rng.permutation(n) + 1) / (n + 1)).astype(np.float32)  # distinct: no ties in the order
    if separated:  # a diagonal of boxes that never overlap
        corner = np.arange(n)[:, None] * 50.0 + rng.uniform(0, 5, (n, 2))
        boxes = np.concatenate([corner, corner + 40.0], axis=1)
    else:
        centre = rng.uniform(0, 400, (n, 2))
        size = rng.uniform(20, 150, (n, 2))
        boxes = np.concatenate([centre - size / 2, centre + size / 2], axis=1)
    if identical:
        boxes = np.repeat(boxes[:1], n, axis=0)
    classes = rng.integers(0, 80, n).astype(np.int64)
    return scores, boxes.astype(np.float32), classes


def eval_case(name, lead_shape, n_classes=80):
    """yolo_outputs = (box_confidence, box_xy, box_wh, box_class_probs), float32, as yolo_head returns."""
    rng = rng_for(ASSIGNMENT_ID, "eval", name)
    confidence = rng.beta(0.5, 0.5, lead_shape + (1,))
    xy = rng.uniform(0, 1, lead_shape + (2,))
    wh = rng.uniform(0.02, 0.4, lead_shape + (2,))
    logits = rng.normal(0, 4, lead_shape + (n_classes,))
    probs = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probs = probs / probs.sum(axis=-1, keepdims=True)
    return tuple(v.astype(np.float32) for v in (confidence, xy, wh, probs))


# Hidden cases; `make references` stores the solution's outputs on them.
HIDDEN_FILTER = {  # name: (lead shape, classes, ties, threshold)
    "batch_13x13_t05": ((1, 13, 13, 5), 80, 6, 0.5),
    "grid_7x7_3_anchors_t03": ((7, 7, 3), 10, 0, 0.3),
    "none_above": ((19, 19, 5), 80, 0, 1.01),
}
HIDDEN_NMS = {  # name: (n, identical, separated, max_boxes, iou_threshold)
    "n80_t03": (80, False, False, 15, 0.3),
    "n40_t07": (40, False, False, 8, 0.7),
    "identical": (12, True, False, 10, 0.5),
    "max_boxes_above_n": (6, False, True, 10, 0.5),
    "empty": (0, False, False, 10, 0.5),
}
HIDDEN_EVAL = {  # name: (lead shape, image_shape, max_boxes, score_threshold, iou_threshold)
    "batch_13x13_480x640": ((1, 13, 13, 5), (480, 640), 12, 0.5, 0.4),
    "19x19_square_t07": ((19, 19, 5), (608, 608), 5, 0.7, 0.6),
    "none_above": ((7, 7, 5), (720, 1280), 10, 1.01, 0.5),
}
IOU_PAIRS = {
    "overlap": ((2, 1, 4, 3), (1, 2, 3, 4)),
    "disjoint": ((1, 2, 3, 4), (5, 6, 7, 8)),
    "vertex_touch": ((1, 1, 2, 2), (2, 2, 3, 3)),
    "edge_touch": ((1, 1, 3, 3), (2, 3, 3, 4)),
    "nested": ((0, 0, 10, 8), (2, 2, 5, 4)),
    "identical": ((1.5, 2.5, 4.0, 7.0), (1.5, 2.5, 4.0, 7.0)),
}


def _iou_random_pairs():
    rng = rng_for(ASSIGNMENT_ID, "iou", "random")
    lo = rng.uniform(0, 10, (12, 2, 2))
    hi = lo + rng.uniform(0.5, 6, (12, 2, 2))
    return {f"random_{k}": (tuple(np.r_[lo[k, 0], hi[k, 0]].round(3).tolist()),
                            tuple(np.r_[lo[k, 1], hi[k, 1]].round(3).tolist())) for k in range(12)}


def reference_cases():
    """{function: {case: (args, kwargs)}} for the hidden reference comparisons."""
    cases: dict[str, dict[str, tuple]] = {name: {} for name in GRADED_FUNCTIONS}
    for name, shape in (("n3", (3,)), ("batch_13x13x5", (2, 13, 13, 5))):
        cases["box_center_to_corners"][name] = (centre_case(name, shape), {})
    for name, (n, image_shape) in (("480x640", (20, (480, 640))), ("tall_300x200", (15, (300, 200)))):
        cases["clip_boxes"][name] = ((box_case(name, n, image_shape), image_shape), {})
    for name, (lead, n_classes, ties, threshold) in HIDDEN_FILTER.items():
        cases["yolo_filter_boxes"][name] = (filter_case(name, lead, n_classes, ties), {"threshold": threshold})
    for name, pair in _iou_random_pairs().items():
        cases["iou"][name] = (pair, {})
    for name, (n, identical, separated, max_boxes, threshold) in HIDDEN_NMS.items():
        scores, boxes, classes = nms_case(name, n, identical, separated)
        xyxy = boxes[:, [1, 0, 3, 2]].astype(np.float64)
        cases["greedy_nms"][name] = ((xyxy, scores.astype(np.float64)),
                                     {"max_boxes": max_boxes, "iou_threshold": threshold})
        cases["yolo_non_max_suppression"][name] = ((scores, boxes, classes),
                                                   {"max_boxes": max_boxes, "iou_threshold": threshold})
    for name, (lead, image_shape, max_boxes, score_t, iou_t) in HIDDEN_EVAL.items():
        cases["yolo_eval"][name] = ((eval_case(name, lead), image_shape),
                                    {"max_boxes": max_boxes, "score_threshold": score_t, "iou_threshold": iou_t})
    return cases


def _numpy(value, what: str) -> np.ndarray:
    """A student's array or tensor as numpy; a sentence if it is neither."""
    if value is None:
        raise CheckFailure(f"{what} is None: did you forget to return it?")
    if hasattr(value, "numpy") and callable(value.numpy):
        value = value.numpy()
    if isinstance(value, list | tuple):
        try:
            value = np.asarray(value)
        except ValueError:
            raise CheckFailure(f"{what} must be an array or a tensor, got a ragged {type(value).__name__}.") from None
    if not isinstance(value, np.ndarray | np.generic):
        raise CheckFailure(f"{what} must be a numpy array or a TensorFlow tensor, got {type(value).__name__}.")
    return np.asarray(value)


def reference_outputs(function: str, result) -> list[np.ndarray]:
    """The arrays of a function's result that the reference file stores."""
    if function in ("yolo_filter_boxes", "yolo_non_max_suppression", "yolo_eval"):
        return [_numpy(r, function) for r in result]
    if function == "iou":
        return [np.asarray(float(result))]
    return [_numpy(result, function)]


def _against_reference(function: str, case: str, actual: list, what: list[str], atol=1e-7) -> None:
    expected = reference.load(ASSIGNMENT_ID)
    for k, (value, label) in enumerate(zip(actual, what, strict=True)):
        key = f"{function}/{case}/{k}"
        if key not in expected:
            raise RuntimeError(f"reference output {key} is missing: run `make references`.")
        expect_close(np.asarray(value, dtype=float), expected[key], f"{label} (hidden case {case})",
                     "It differs from the reference solution's output", atol=atol, rtol=1e-5)


def _done(hidden: bool) -> None:
    print("All tests passed." if not hidden else "Hidden tests passed.")


# ----------------------------------------------------------------------- checks
def check_box_center_to_corners(box_center_to_corners: Callable, hidden: bool = False) -> None:
    """box_center_to_corners: (y_min, x_min, y_max, x_max) = (y - h/2, x - w/2, y + h/2, x + w/2)."""
    if not hidden:
        box_xy, box_wh = np.array([[0.5, 0.25]]), np.array([[0.2, 0.1]])
        cases = {"one box": ((box_xy, box_wh), {}), "19x19x5": (centre_case("visible", (19, 19, 5)), {})}
    else:
        cases = reference_cases()["box_center_to_corners"]
    for case, ((box_xy, box_wh), _) in cases.items():
        corners = _numpy(call_student(box_center_to_corners, box_xy, box_wh), f"corners ({case})")
        expected = oracle_corners(box_xy, box_wh)
        if corners.shape != expected.shape:
            raise CheckFailure(f"corners ({case}) has shape {corners.shape}, expected {expected.shape}: "
                               "keep the leading axes and put the 4 corners on the last axis.")
        hint = "Corners are (y_min, x_min, y_max, x_max): y first, and half the width/height on each side"
        if np.allclose(corners, oracle_corners(box_xy[..., ::-1], box_wh[..., ::-1])):
            hint = "It looks like x and y are swapped: the order is (y_min, x_min, y_max, x_max)"
        elif np.allclose(corners, oracle_corners(box_xy, 2 * box_wh)):
            hint = "It looks like the whole width/height is used on each side: use half of it"
        expect_close(corners, expected, f"corners ({case})", hint)
        if case == "one box":
            print(f"centre (x, y) = {box_xy[0].tolist()}, size (w, h) = {box_wh[0].tolist()} -> "
                  f"corners (y_min, x_min, y_max, x_max) = {np.round(corners[0], 4).tolist()}")
        if hidden:
            _against_reference("box_center_to_corners", case, [corners], ["corners"])
    _done(hidden)


def check_clip_boxes(clip_boxes: Callable, hidden: bool = False) -> None:
    """clip_boxes: y into [0, height], x into [0, width], a new float array, input unchanged."""
    if not hidden:
        boxes = np.array([[-10.0, -20.0, 100.0, 1300.0], [700.0, 5.0, 750.0, 40.0], [10.0, 10.0, 20.0, 20.0]])
        cases = {"3 boxes in 720x1280": ((boxes, (720, 1280)), {}),
                 "random in 720x1280": ((box_case("visible", 12, (720, 1280)), (720, 1280)), {})}
    else:
        cases = reference_cases()["clip_boxes"]
    for case, ((boxes, image_shape), _) in cases.items():
        clipped = _numpy(call_student(clip_boxes, boxes, image_shape), f"clipped ({case})")
        if clipped.shape != boxes.shape:
            raise CheckFailure(f"clipped ({case}) has shape {clipped.shape}, expected {boxes.shape}.")
        expected = oracle_clip(boxes, image_shape)
        hint = "Clip every y (columns 0 and 2) into [0, height] and every x (columns 1 and 3) into [0, width]"
        if np.allclose(clipped, oracle_clip(boxes, image_shape[::-1])):
            hint = "It looks like height and width are swapped: image_shape is (height, width)"
        expect_close(clipped, expected, f"clipped ({case})", hint)
        if case.startswith("3 boxes"):
            print(f"boxes =\n{boxes}\nclipped to {image_shape} =\n{clipped}")
        if hidden:
            _against_reference("clip_boxes", case, [clipped], ["clipped"])
    _done(hidden)


def _filter_result(fn, args, kwargs, case):
    result = expect_tuple(call_student(fn, *args, **kwargs), "yolo_filter_boxes", 3, "scores, boxes, classes")
    scores, boxes, classes = (_numpy(r, f"{n} ({case})") for r, n in zip(result, ("scores", "boxes", "classes"),
                                                                           strict=True))
    return scores, boxes, classes


def _check_filter_case(fn, args, threshold, case):
    boxes_in, confidence, probs = args
    scores, boxes, classes = _filter_result(fn, args, {"threshold": threshold}, case)
    want_scores, want_boxes, want_classes = oracle_filter(boxes_in, confidence, probs, np.float32(threshold))
    k = len(want_scores)
    if scores.shape != (k,) or boxes.shape != (k, 4) or classes.shape != (k,):
        hint = "keep a box when its best class score is >= threshold, and apply the same mask to all three"
        n_strict = int((oracle_filter(boxes_in, confidence, probs, -np.inf)[0] > threshold).sum())
        n_probs = len(oracle_filter(boxes_in, np.ones_like(confidence), probs, np.float32(threshold))[0])
        if scores.ndim == 1 and len(scores) == n_strict != k:
            hint = "it looks like `>` is used: a box whose score equals the threshold must be kept (>=)"
        elif scores.ndim == 1 and len(scores) == n_probs != k:
            hint = "it looks like the scores ignore box_confidence: box_scores = box_confidence * box_class_probs"
        raise CheckFailure(f"with threshold {threshold} ({case}) you return scores {scores.shape}, boxes "
                           f"{boxes.shape} and classes {classes.shape}; expected ({k},), ({k}, 4) and ({k},): {hint}.")
    expect_close(scores, want_scores, f"scores ({case})",
                 "Each score is the largest of box_confidence * box_class_probs over the classes", atol=1e-6)
    expect_close(boxes, want_boxes, f"boxes ({case})", "Mask the boxes with the same filtering_mask", atol=1e-6)
    if not np.array_equal(classes.astype(np.int64), want_classes):
        raise CheckFailure(f"classes ({case}) are wrong: each class is the argmax of the box scores over the "
                           "last axis (tf.math.argmax(box_scores, axis=-1)).")
    return scores, boxes, classes


def check_yolo_filter_boxes(yolo_filter_boxes: Callable, hidden: bool = False) -> None:
    """yolo_filter_boxes keeps exactly the boxes whose best class score is >= threshold."""
    if not hidden:
        args = filter_case("visible", (19, 19, 5), 80)
        scores, boxes, classes = _check_filter_case(yolo_filter_boxes, args, 0.6, "19x19x5x80, threshold 0.6")
        print(f"kept {len(scores)} of 1805 boxes; scores[2] = {scores[2]:.6f}, boxes[2] = "
              f"{np.round(boxes[2].astype(float), 6).tolist()}, classes[2] = {classes[2]}")
        print(f"scores.shape = {scores.shape}, boxes.shape = {boxes.shape}, classes.shape = {classes.shape}")
        _check_filter_case(yolo_filter_boxes, filter_case("visible_ties", (19, 19, 5), 80, ties=5), 0.5,
                           "5 boxes score exactly 0.5, threshold 0.5")
        _check_filter_case(yolo_filter_boxes, args, 1.01, "no box above threshold 1.01")
        print("boxes scoring exactly the threshold are kept; no box above the threshold gives empty outputs")
        _done(hidden)
        return
    for case, (args, kwargs) in reference_cases()["yolo_filter_boxes"].items():
        result = _check_filter_case(yolo_filter_boxes, args, kwargs["threshold"], case)
        _against_reference("yolo_filter_boxes", case, list(result), ["scores", "boxes", "classes"], atol=1e-6)
    _done(hidden)


def check_iou(iou: Callable, hidden: bool = False) -> None:
    """iou of overlapping, disjoint, touching, nested and identical boxes, and of random pairs."""
    cases = IOU_PAIRS if not hidden else {k: v for k, (v, _) in reference_cases()["iou"].items()}
    hints = {
        "disjoint": "boxes that do not overlap have IoU 0: clip the intersection's width and height at 0 "
                    "(max(xi2 - xi1, 0))",
        "vertex_touch": "boxes that only touch have IoU 0",
        "edge_touch": "boxes that only share an edge have IoU 0",
        "identical": "a box with itself has IoU 1: union = area1 + area2 - intersection",
        "nested": "the intersection of nested boxes is the small box; union = area1 + area2 - intersection",
    }
    for case, (box1, box2) in cases.items():
        value = expect_scalar(call_student(iou, box1, box2), f"iou({box1}, {box2})")
        expected = float(iou_matrix([box1], [box2])[0, 0])
        if not hidden:
            print(f"iou for {case.replace('_', ' ')} boxes {box1} and {box2} = {value:.6f}")
        if not np.isclose(value, expected, atol=1e-9):
            hint = hints.get(case, "intersection: from (max x1, max y1) to (min x2, min y2), width and height "
                                   "at least 0; union = area1 + area2 - intersection")
            raise CheckFailure(f"iou({box1}, {box2}) = {value:.6f}, expected {expected:.6f}: {hint}.")
        if hidden:
            _against_reference("iou", case, [np.asarray(value)], ["iou"])
    _done(hidden)


def _check_greedy_case(greedy_nms, boxes, scores, max_boxes, iou_threshold, case):
    keep = _numpy(call_student(greedy_nms, boxes, scores, max_boxes=max_boxes, iou_threshold=iou_threshold),
                  f"keep ({case})")
    expected = oracle_nms(boxes, scores, max_boxes, iou_threshold)
    if len(boxes):
        theirs = tf_nms(boxes, scores, max_boxes, iou_threshold)
        assert np.array_equal(expected, theirs), f"grader's oracle and TensorFlow disagree on {case}"
    if keep.ndim != 1 or (keep.size and not np.issubdtype(keep.dtype, np.integer)):
        raise CheckFailure(f"keep ({case}) must be a 1-D array of integer indices, got shape {keep.shape} and "
                           f"dtype {keep.dtype}: return np.array(keep, dtype=int).")
    if not np.array_equal(keep, expected):
        hint = ("sort by decreasing score, keep the best box left, remove the boxes whose IoU with it is "
                "> iou_threshold, and stop after max_boxes boxes")
        if len(keep) > max_boxes:
            hint = f"it keeps {len(keep)} boxes but max_boxes is {max_boxes}"
        elif len(keep) and len(expected) and keep[0] != expected[0]:
            hint = "the first box kept must be the one with the highest score (np.argsort(-scores))"
        raise CheckFailure(f"greedy_nms ({case}, max_boxes={max_boxes}, iou_threshold={iou_threshold}) keeps "
                           f"{keep.tolist()}, TensorFlow's NMS keeps {expected.tolist()}: {hint}.")
    return keep


def check_greedy_nms(greedy_nms: Callable, hidden: bool = False) -> None:
    """greedy_nms keeps the same boxes, in the same order, as TensorFlow's NMS."""
    if not hidden:
        scores, boxes, _ = nms_case("visible", 54)
        xyxy, scores = boxes[:, [1, 0, 3, 2]].astype(np.float64), scores.astype(np.float64)
        keep = _check_greedy_case(greedy_nms, xyxy, scores, 10, 0.5, "54 random boxes")
        print(f"54 random boxes: kept {keep.tolist()} (as TensorFlow's NMS)")
        keep = _check_greedy_case(greedy_nms, xyxy, scores, 4, 0.3, "54 random boxes, fewer kept")
        print(f"max_boxes=4, iou_threshold=0.3: kept {keep.tolist()}")
        _done(hidden)
        return
    for case, ((boxes, scores), kwargs) in reference_cases()["greedy_nms"].items():
        keep = _check_greedy_case(greedy_nms, boxes, scores, kwargs["max_boxes"], kwargs["iou_threshold"], case)
        _against_reference("greedy_nms", case, [keep], ["keep"])
    _done(hidden)


def _check_triplet(name, result, expected, case, scale_hint=""):
    """scores, boxes, classes of a student against the expected ones, with sentences."""
    scores, boxes, classes = (_numpy(r, f"{n} ({case})") for r, n in zip(result, ("scores", "boxes", "classes"),
                                                                           strict=True))
    want_scores, want_boxes, want_classes = expected
    k = len(want_scores)
    if scores.shape != (k,):
        raise CheckFailure(f"{name} ({case}) returns {scores.shape[0] if scores.ndim else scores.shape} scores, "
                           f"expected {k}: keep the boxes chosen by tf.image.non_max_suppression "
                           "(at most max_boxes) and gather their scores.")
    if boxes.shape != (k, 4):
        raise CheckFailure(f"boxes ({case}) has shape {boxes.shape}, expected ({k}, 4): gather the boxes with "
                           "the same indices as the scores.")
    if classes.shape != (k,):
        raise CheckFailure(f"classes ({case}) has shape {classes.shape}, expected ({k},): gather the classes with "
                           "the same indices as the scores and boxes (tf.gather(classes, nms_indices)).")
    expect_close(scores, want_scores, f"scores ({case})",
                 "Keep the boxes chosen by NMS, in its order (best first)", atol=1e-6)
    hint = "Gather the boxes with the indices NMS returns" + scale_hint
    if scale_hint and k and np.abs(boxes).max() < 3 and np.abs(want_boxes).max() > 3:
        hint = "The boxes look like fractions of the image: scale them to pixels with scale_boxes(boxes, image_shape)"
    expect_close(boxes, want_boxes, f"boxes ({case})", hint, atol=1e-3, rtol=1e-5)
    if not np.array_equal(classes.astype(np.int64), want_classes.astype(np.int64)):
        raise CheckFailure(f"classes ({case}) are wrong: gather them with the same indices as the scores and boxes.")
    return scores, boxes, classes


def check_yolo_non_max_suppression(yolo_non_max_suppression: Callable, hidden: bool = False) -> None:
    """yolo_non_max_suppression keeps the right boxes and gathers their scores, boxes and classes."""
    cases = reference_cases()["yolo_non_max_suppression"] if hidden else {
        "54 random boxes": (nms_case("visible", 54), {"max_boxes": 10, "iou_threshold": 0.5}),
        "54 random boxes, threshold 0.3": (nms_case("visible", 54), {"max_boxes": 15, "iou_threshold": 0.3}),
        "5 separate boxes, max_boxes 10": (nms_case("visible_sep", 5, separated=True),
                                           {"max_boxes": 10, "iou_threshold": 0.5}),
    }
    for case, ((scores, boxes, classes), kwargs) in cases.items():
        result = expect_tuple(call_student(yolo_non_max_suppression, scores, boxes, classes, **kwargs),
                              "yolo_non_max_suppression", 3, "scores, boxes, classes")
        keep = oracle_nms(boxes, scores, kwargs["max_boxes"], kwargs["iou_threshold"])
        out = _check_triplet("yolo_non_max_suppression", result, (scores[keep], boxes[keep], classes[keep]),
                             f"{case}, iou_threshold={kwargs['iou_threshold']}")
        if not hidden:
            print(f"{case}: kept {len(out[0])} boxes; scores[:3] = {np.round(out[0][:3].astype(float), 6).tolist()}, "
                  f"classes[:3] = {out[2][:3].tolist()}")
        else:
            _against_reference("yolo_non_max_suppression", case, list(out), ["scores", "boxes", "classes"],
                               atol=1e-5)
    _done(hidden)


def check_yolo_eval(yolo_eval: Callable, hidden: bool = False) -> None:
    """yolo_eval chains corners, filtering, scaling to the image and NMS."""
    if hidden:
        cases = reference_cases()["yolo_eval"]
    else:
        cases = {"19x19x5x80 in 720x1280": ((eval_case("visible", (19, 19, 5)), (720, 1280)), {}),
                 "thresholds 0.3 and 0.2, 20 boxes": ((eval_case("visible", (19, 19, 5)), (720, 1280)),
                                                      {"max_boxes": 20, "score_threshold": 0.3, "iou_threshold": 0.2})}
    for case, ((outputs, image_shape), kwargs) in cases.items():
        settings = {"max_boxes": 10, "score_threshold": 0.6, "iou_threshold": 0.5, **kwargs}
        result = expect_tuple(call_student(yolo_eval, outputs, image_shape, **kwargs), "yolo_eval", 3,
                              "scores, boxes, classes")
        expected = oracle_eval(outputs, image_shape, **settings)
        out = _check_triplet("yolo_eval", result, expected, case, scale_hint=" (after scaling them to the image)")
        if not hidden:
            print(f"{case}: {len(out[0])} boxes; scores[2] = {out[0][2]:.6f}, boxes[2] = "
                  f"{np.round(out[1][2].astype(float), 3).tolist()}, classes[2] = {out[2][2]}")
        else:
            _against_reference("yolo_eval", case, list(out), ["scores", "boxes", "classes"], atol=1e-3)
    _done(hidden)


CHECKS = {name: globals()[f"check_{name}"] for name in GRADED_FUNCTIONS}


# Mutants: wrong variants of the solution that the checks above must catch
# (see cnn_course.graders.mutants). yolo_eval calls yolo_filter_boxes and
# yolo_non_max_suppression; greedy_nms calls iou.
#
# MUTANTS is built on first access (module __getattr__): cnn_course.graders.mutants imports
# nbformat and jsonschema, seconds that the notebook's setup cell, which imports this module,
# should not pay (nbgrader gives a cell 30 s).

def _m(name, grade_id, description, edits, fails):
    from cnn_course.graders.mutants import mutant

    return mutant(name, grade_id, description, edits, fails, ASSIGNMENT_ID)


def _mutants() -> tuple:
    return (
        _m("corners_full_size", "box_center_to_corners", "uses the whole width and height on each side",
           [("box_wh[..., 0] / 2, box_wh[..., 1] / 2", "box_wh[..., 0], box_wh[..., 1]")], ["box_center_to_corners"]),
        _m("corners_x_first", "box_center_to_corners", "returns (x_min, y_min, x_max, y_max)",
           [("[y - half_h, x - half_w, y + half_h, x + half_w]", "[x - half_w, y - half_h, x + half_w, y + half_h]")],
           ["box_center_to_corners"]),
        _m("clip_height_width_swapped", "clip_boxes", "clips y to the width and x to the height",
           [("height, width = image_shape", "width, height = image_shape")], ["clip_boxes"]),
        _m("clip_in_place", "clip_boxes", "clips the input array in place instead of a copy",
           [("clipped = np.array(boxes, dtype=float)", "clipped = boxes")], ["clip_boxes"]),
        _m("filter_strict_threshold", "yolo_filter_boxes", "uses > instead of >= for the threshold",
           [("box_class_scores >= threshold", "box_class_scores > threshold")], ["yolo_filter_boxes"]),
        _m("filter_without_confidence", "yolo_filter_boxes", "scores the boxes by class probability only",
           [("box_scores = box_confidence * box_class_probs", "box_scores = box_class_probs")],
           ["yolo_filter_boxes", "yolo_eval"]),
        _m("iou_union_keeps_intersection", "iou", "does not subtract the intersection from the union",
           [("union_area = box1_area + box2_area - inter_area", "union_area = box1_area + box2_area")],
           ["iou", "greedy_nms"]),
        _m("iou_negative_overlap", "iou", "does not clip the intersection's width and height at 0",
           [("inter_width = max(xi2 - xi1, 0)", "inter_width = xi2 - xi1"),
            ("inter_height = max(yi2 - yi1, 0)", "inter_height = yi2 - yi1")], ["iou", "greedy_nms"]),
        _m("greedy_nms_ascending", "greedy_nms", "starts from the lowest score",
           [("np.argsort(-scores", "np.argsort(scores")], ["greedy_nms"]),
        _m("greedy_nms_no_max_boxes", "greedy_nms", "ignores max_boxes",
           [("while order and len(keep) < max_boxes:", "while order:")], ["greedy_nms"]),
        _m("nms_classes_not_gathered", "yolo_non_max_suppression", "returns the classes without gathering them",
           [("classes = tf.gather(classes, nms_indices)", "classes = classes")],
           ["yolo_non_max_suppression", "yolo_eval"]),
        _m("nms_threshold_ignored", "yolo_non_max_suppression", "ignores iou_threshold (TensorFlow's default 0.5)",
           [("max_boxes, iou_threshold=iou_threshold)", "max_boxes)")], ["yolo_non_max_suppression", "yolo_eval"]),
        _m("eval_boxes_not_scaled", "yolo_eval", "does not scale the boxes to the image",
           [("    boxes = scale_boxes(boxes, image_shape)\n", "")], ["yolo_eval"]),
        _m("eval_score_threshold_ignored", "yolo_eval", "filters with the default threshold 0.6",
           [("threshold=score_threshold)", ")")], ["yolo_eval"]),
    )


def __getattr__(name: str):
    if name == "MUTANTS":
        globals()["MUTANTS"] = value = _mutants()
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
