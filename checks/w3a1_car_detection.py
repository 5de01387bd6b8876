"""Visible checks of W3A1, car detection with YOLO (anchor assignment, then the post-processing).

One ``check_<function>(<function>)`` per graded function, as the notebook's test cells call
them. ``assign_anchor`` runs boxes chosen so that each usual mistake changes the answer
(a centre on a cell border, a box whose best-IoU and nearest-area anchors differ). The others
run fixed inputs in the original course's shapes (19x19 grids, 5 anchors, 80
classes; 54 boxes for NMS) and edge cases (boxes sticking out of the image, scores exactly at
the threshold, no box above it, boxes that only touch, ``max_boxes`` above the number of
boxes), prints what it checked, raises :class:`CheckFailure` with a sentence on the first
problem, and ends with ``All tests passed.``.

The expected values are the course solution's outputs on these inputs, stored in
``expected/w3a1_car_detection.npz`` (:func:`visible_cases` lists the inputs). A few stored
cases only feed the hints: the same boxes clipped with height and width swapped, the same
scores without ``box_confidence``, the anchor of each box with its width and height
swapped. The comparisons below take the expected values as data;
nothing here computes corners, clips, filters, an IoU or a suppression. The hidden side
(other shapes, thresholds and seeds) is not part of this package.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cnn_course.checks import expected
from cnn_course.checks._checking import (
    CheckFailure,
    call_student,
    expect_close,
    expect_scalar,
    expect_tuple,
    rng_for,
)

ASSIGNMENT_ID = "w3a1_car_detection"
GRADED_FUNCTIONS = (
    "assign_anchor",
    "box_center_to_corners",
    "clip_boxes",
    "yolo_filter_boxes",
    "iou",
    "greedy_nms",
    "yolo_non_max_suppression",
    "yolo_eval",
)


# ------------------------------------------------------------------------ inputs
def anchor_case(name, image_shape, grid_shape, n_anchors=5):
    """(box (x, y, w, h) in pixels, anchors (A, 2) in grid cells): a random box inside the image."""
    rng = rng_for(ASSIGNMENT_ID, "anchor", name)
    height, width = image_shape
    rows, cols = grid_shape
    size = rng.uniform(0.02, 0.6, 2) * [width, height]
    centre = rng.uniform(0, 1, 2) * [width, height]
    anchors = rng.uniform(0.3, 0.4 * min(rows, cols), (n_anchors, 2))
    return tuple(float(v) for v in np.r_[centre, size].round(2)), anchors.round(3)


def centre_case(name, shape):
    """Box centres (x, y) in [0, 1] and sizes (w, h) in [0.01, 0.5], each of shape
    ``shape + (2,)``."""
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
    """scores (n,), boxes (n, 4) (y_min, x_min, y_max, x_max) in pixels, classes (n,),
    float32/int64."""
    rng = rng_for(ASSIGNMENT_ID, "nms", name)
    # distinct: no ties in the order
    scores = ((rng.permutation(n) + 1) / (n + 1)).astype(np.float32)
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


def greedy_case(name, n, **kwargs):
    """The boxes of :func:`nms_case` as (x1, y1, x2, y2) float64 rows, and their scores
    (float64)."""
    scores, boxes, _ = nms_case(name, n, **kwargs)
    return boxes[:, [1, 0, 3, 2]].astype(np.float64), scores.astype(np.float64)


def eval_case(name, lead_shape, n_classes=80):
    """yolo_outputs = (box_xy, box_wh, box_confidence, box_class_probs), float32, as yolo_head
    returns."""
    rng = rng_for(ASSIGNMENT_ID, "eval", name)
    confidence = rng.beta(0.5, 0.5, lead_shape + (1,))
    xy = rng.uniform(0, 1, lead_shape + (2,))
    wh = rng.uniform(0.02, 0.4, lead_shape + (2,))
    logits = rng.normal(0, 4, lead_shape + (n_classes,))
    probs = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probs = probs / probs.sum(axis=-1, keepdims=True)
    return tuple(v.astype(np.float32) for v in (xy, wh, confidence, probs))


# ------------------------------------------------------------------ visible cases
# {case: (args, kwargs)} per function; the case names are the labels the messages show.
# Anchors (w, h) in grid cells: for a box 4 x 1 cells, anchor 1 has the best IoU (0.75), anchor 0
# the nearest area (4) and the best IoU once width and height are swapped.
ANCHORS = ((1.0, 4.0), (3.0, 1.0), (2.0, 2.5))
ANCHOR_CASES = {  # case: (box (x, y, w, h) in pixels, grid_shape, image_shape)
    "a wide box, 19x19 grid on 608x608": ((310.0, 210.0, 128.0, 32.0), (19, 19), (608, 608)),
    "a tall box, 13x13 grid on 416x416": ((100.0, 400.0, 30.0, 100.0), (13, 13), (416, 416)),
    "a centre on a cell border, 9x16 grid on 720x1280":
        ((240.0, 160.0, 300.0, 70.0), (9, 16), (720, 1280)),
    "a centre in the top-left cell, 19x19 grid on 720x1280":
        ((5.0, 3.0, 90.0, 60.0), (19, 19), (720, 1280)),
}
WH_SWAPPED = ", width and height swapped"  # hint cases: the same box with w and h swapped
IOU_PAIRS = {
    "overlap": ((2, 1, 4, 3), (1, 2, 3, 4)),
    "disjoint": ((1, 2, 3, 4), (5, 6, 7, 8)),
    "vertex_touch": ((1, 1, 2, 2), (2, 2, 3, 3)),
    "edge_touch": ((1, 1, 3, 3), (2, 3, 3, 4)),
    "nested": ((0, 0, 10, 8), (2, 2, 5, 4)),
    "identical": ((1.5, 2.5, 4.0, 7.0), (1.5, 2.5, 4.0, 7.0)),
}
CLIP_BOXES = ((-10.0, -20.0, 100.0, 1300.0), (700.0, 5.0, 750.0, 40.0), (10.0, 10.0, 20.0, 20.0))
SWAPPED = ", height and width swapped"  # hint cases: the same boxes clipped to (width, height)
FILTER_MAIN = "19x19x5x80, threshold 0.6"
WITHOUT_CONFIDENCE = ", without box_confidence"  # hint case: box_confidence replaced by ones
# case: slots scoring exactly the threshold
FILTER_TIES = {"5 boxes score exactly 0.5, threshold 0.5": 5}


def _anchor_cases():
    cases = {case: ((box, np.array(ANCHORS), grid, image), {})
             for case, (box, grid, image) in ANCHOR_CASES.items()}
    box, anchors = anchor_case("visible", (720, 1280), (18, 28))
    cases["5 random anchors, 18x28 grid on 720x1280"] = ((box, anchors, (18, 28), (720, 1280)), {})
    return cases


def _corner_cases():
    return {"one box": ((np.array([[0.5, 0.25]]), np.array([[0.2, 0.1]])), {}),
            "19x19x5": (centre_case("visible", (19, 19, 5)), {})}


def _clip_cases():
    # new arrays on every call: a clip_boxes that writes into its input must not change later cases
    return {"3 boxes in 720x1280": ((np.array(CLIP_BOXES), (720, 1280)), {}),
            "random in 720x1280": ((box_case("visible", 12, (720, 1280)), (720, 1280)), {})}


def _filter_cases():
    return {FILTER_MAIN: (filter_case("visible", (19, 19, 5), 80), {"threshold": 0.6}),
            "5 boxes score exactly 0.5, threshold 0.5":
                (filter_case("visible_ties", (19, 19, 5), 80, ties=5), {"threshold": 0.5}),
            "no box above threshold 1.01":
                (filter_case("visible", (19, 19, 5), 80), {"threshold": 1.01})}


def _greedy_cases():
    return {"54 random boxes":
                (greedy_case("visible", 54), {"max_boxes": 10, "iou_threshold": 0.5}),
            "54 random boxes, fewer kept":
                (greedy_case("visible", 54), {"max_boxes": 4, "iou_threshold": 0.3})}


def _nms_cases():
    return {"54 random boxes": (nms_case("visible", 54), {"max_boxes": 10, "iou_threshold": 0.5}),
            "54 random boxes, threshold 0.3":
                (nms_case("visible", 54), {"max_boxes": 15, "iou_threshold": 0.3}),
            "5 separate boxes, max_boxes 10": (nms_case("visible_sep", 5, separated=True),
                                               {"max_boxes": 10, "iou_threshold": 0.5})}


def _eval_cases():
    return {"19x19x5x80 in 720x1280": ((eval_case("visible", (19, 19, 5)), (720, 1280)), {}),
            "thresholds 0.3 and 0.2, 20 boxes":
                ((eval_case("visible", (19, 19, 5)), (720, 1280)),
                 {"max_boxes": 20, "score_threshold": 0.3, "iou_threshold": 0.2})}


def visible_cases():
    """{function: {case: (args, kwargs)}}: the inputs whose expected outputs are stored."""
    clip = {}
    for case, ((boxes, image_shape), kwargs) in _clip_cases().items():
        clip[case] = ((boxes, image_shape), kwargs)
        clip[case + SWAPPED] = ((boxes, image_shape[::-1]), kwargs)
    filters = _filter_cases()
    (boxes, confidence, probs), kwargs = filters[FILTER_MAIN]
    filters[FILTER_MAIN + WITHOUT_CONFIDENCE] = ((boxes, np.ones_like(confidence), probs), kwargs)
    anchor = {}
    for case, ((box, anchors, grid, image), kwargs) in _anchor_cases().items():
        anchor[case] = ((box, anchors, grid, image), kwargs)
        swapped = (box[0], box[1], box[3], box[2])
        anchor[case + WH_SWAPPED] = ((swapped, anchors, grid, image), kwargs)
    return {
        "assign_anchor": anchor,
        "box_center_to_corners": _corner_cases(),
        "clip_boxes": clip,
        "yolo_filter_boxes": filters,
        "iou": {case: (pair, {}) for case, pair in IOU_PAIRS.items()},
        "greedy_nms": _greedy_cases(),
        "yolo_non_max_suppression": _nms_cases(),
        "yolo_eval": _eval_cases(),
    }


def to_numpy(value, what: str) -> np.ndarray:
    """A student's array or tensor as numpy; a sentence if it is neither."""
    if value is None:
        raise CheckFailure(f"{what} is None: did you forget to return it?")
    if hasattr(value, "numpy") and callable(value.numpy):
        value = value.numpy()
    if isinstance(value, list | tuple):
        try:
            value = np.asarray(value)
        except ValueError:
            raise CheckFailure(f"{what} must be an array or a tensor, got a ragged "
                               f"{type(value).__name__}.") from None
    if not isinstance(value, np.ndarray | np.generic):
        raise CheckFailure(f"{what} must be a numpy array or a TensorFlow tensor, got "
                           f"{type(value).__name__}.")
    return np.asarray(value)


def visible_outputs(function: str, result) -> list[np.ndarray]:
    """The arrays of a function's result that the expected file stores."""
    if function in ("yolo_filter_boxes", "yolo_non_max_suppression", "yolo_eval"):
        return [to_numpy(r, function) for r in result]
    if function == "iou":
        return [np.asarray(float(result))]
    if function == "assign_anchor":
        return [np.asarray(anchor_result(result, function), dtype=np.int64)]
    return [to_numpy(result, function)]


def _expected(function: str, case: str, k: int = 0) -> np.ndarray:
    return expected.get(ASSIGNMENT_ID, function, case, k)


def _triplet(function: str, case: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    scores, boxes, classes = (_expected(function, case, k) for k in range(3))
    return scores, boxes, classes.astype(np.int64)


def _done() -> None:
    print("All tests passed.")


# ---------------------------------------------------------------------------- comparisons
def anchor_result(result, case: str) -> tuple[int, int, int]:
    """The student's (row, col, anchor_index) as three Python ints; a sentence if it is not that."""
    result = expect_tuple(result, f"assign_anchor ({case})", 3, "row, col, anchor_index")
    values = []
    for value, name in zip(result, ("row", "col", "anchor_index"), strict=True):
        if hasattr(value, "numpy") and callable(value.numpy):
            value = value.numpy()
        if isinstance(value, np.ndarray) and value.shape == ():
            value = value[()]
        if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
            raise CheckFailure(f"{name} ({case}) must be an integer, got "
                               f"{type(value).__name__} {value!r}: return int(...) of each index.")
        values.append(int(value))
    return tuple(values)


def compare_anchor(got, want, want_wh_swapped, box, grid_shape, image_shape, case: str,
                   nearest_area=None) -> None:
    """(row, col, anchor_index) against the expected ones, with a sentence naming the mistake.

    ``want_wh_swapped``: the anchor a box with width and height swapped gets; ``nearest_area``:
    the anchor of the nearest area (both only sharpen the hint).
    """
    row, col, anchor = got
    want_row, want_col, want_anchor = (int(v) for v in want)
    where = f"assign_anchor{(box, grid_shape, image_shape)} ({case})"
    if (row, col) != (want_row, want_col):
        hint = ("the column is the number of whole cells left of x, x // (width / columns), "
                "and the row the number of whole cells above y")
        if (row, col) == (want_col, want_row):
            hint = ("it looks like row and column are swapped: the row comes from y, the column "
                    "from x")
        elif max(abs(row - want_row), abs(col - want_col)) == 1:
            hint = ("a cell off by one: use // (floor), not round(); a centre exactly on a border "
                    "between two cells belongs to the cell below or to the right")
        raise CheckFailure(f"{where} gives the cell (row {row}, column {col}), expected "
                           f"(row {want_row}, column {want_col}): {hint}.")
    if anchor != want_anchor:
        hint = ("the anchor is the one whose IoU with the box is largest when both share one "
                "centre, with the box's width and height in grid cells: intersection "
                "min(w1, w2) x min(h1, h2)")
        if anchor == int(want_wh_swapped) and want_wh_swapped != want_anchor:
            hint = ("it looks like width and height are swapped: box is (x, y, w, h) and each "
                    "anchor (w, h)")
        elif nearest_area is not None and anchor == nearest_area != want_anchor:
            hint = ("it looks like the anchor of the nearest area is chosen: choose the one of "
                    "the largest IoU")
        raise CheckFailure(f"{where} gives anchor {anchor}, expected anchor {want_anchor}: {hint}.")


def compare_corners(corners: np.ndarray, want: np.ndarray, case: str) -> None:
    """corners against the expected ones; the hint recognises swapped x/y and whole sizes."""
    if corners.shape != want.shape:
        raise CheckFailure(f"corners ({case}) has shape {corners.shape}, expected {want.shape}: "
                           "keep the leading axes and put the 4 corners on the last axis.")
    hint = ("Corners are (y_min, x_min, y_max, x_max): y first, and half the width/height on "
            "each side")
    low, high = want[..., :2], want[..., 2:]
    if np.allclose(corners, want[..., [1, 0, 3, 2]]):
        hint = "It looks like x and y are swapped: the order is (y_min, x_min, y_max, x_max)"
    elif np.allclose(corners, np.concatenate([low - (high - low) / 2, high + (high - low) / 2],
                                             axis=-1)):
        hint = "It looks like the whole width/height is used on each side: use half of it"
    expect_close(corners, want, f"corners ({case})", hint)


def compare_clipped(clipped: np.ndarray, boxes: np.ndarray, want: np.ndarray,
                    want_swapped: np.ndarray, case: str) -> None:
    """clipped against the expected boxes; ``want_swapped`` is what swapped height and width
    give."""
    if clipped.shape != boxes.shape:
        raise CheckFailure(f"clipped ({case}) has shape {clipped.shape}, expected {boxes.shape}.")
    hint = ("Clip every y (columns 0 and 2) into [0, height] and every x (columns 1 and 3) into "
            "[0, width]")
    if np.allclose(clipped, want_swapped):
        hint = "It looks like height and width are swapped: image_shape is (height, width)"
    expect_close(clipped, want, f"clipped ({case})", hint)


def filter_result(yolo_filter_boxes: Callable, args, threshold, case):
    """The student's (scores, boxes, classes) as numpy arrays."""
    result = expect_tuple(call_student(yolo_filter_boxes, *args, threshold=threshold),
                          "yolo_filter_boxes", 3, "scores, boxes, classes")
    return tuple(to_numpy(r, f"{n} ({case})")
                 for r, n in zip(result, ("scores", "boxes", "classes"), strict=True))


def compare_filter(result, want, threshold, case, n_strict=None, n_without_confidence=None) -> None:
    """The student's filtered (scores, boxes, classes) against the expected ones.

    ``n_strict``: how many boxes score strictly above the threshold; ``n_without_confidence``:
    how many pass when the scores ignore box_confidence (both only sharpen the hint).
    """
    scores, boxes, classes = result
    want_scores, want_boxes, want_classes = want
    k = len(want_scores)
    if scores.shape != (k,) or boxes.shape != (k, 4) or classes.shape != (k,):
        hint = ("keep a box when its best class score is >= threshold, and apply the same mask to "
                "all three")
        if scores.ndim == 1 and len(scores) == n_strict != k:
            hint = ("it looks like `>` is used: a box whose score equals the threshold must be "
                    "kept (>=)")
        elif scores.ndim == 1 and len(scores) == n_without_confidence != k:
            hint = ("it looks like the scores ignore box_confidence: box_scores = box_confidence * "
                    "box_class_probs")
        raise CheckFailure(f"with threshold {threshold} ({case}) you return scores {scores.shape}, "
                           f"boxes {boxes.shape} and classes {classes.shape}; expected ({k},), "
                           f"({k}, 4) and ({k},): {hint}.")
    expect_close(scores, want_scores, f"scores ({case})",
                 "Each score is the largest of box_confidence * box_class_probs over the classes",
                 atol=1e-6)
    expect_close(boxes, want_boxes, f"boxes ({case})",
                 "Mask the boxes with the same filtering_mask", atol=1e-6)
    if not np.array_equal(classes.astype(np.int64), np.asarray(want_classes).astype(np.int64)):
        raise CheckFailure(f"classes ({case}) are wrong: each class is the argmax of the box "
                           "scores over the last axis (tf.math.argmax(box_scores, axis=-1)).")


IOU_HINTS = {
    "disjoint": "boxes that do not overlap have IoU 0: clip the intersection's width and height at "
                "0 (max(xi2 - xi1, 0))",
    "vertex_touch": "boxes that only touch have IoU 0",
    "edge_touch": "boxes that only share an edge have IoU 0",
    "identical": "a box with itself has IoU 1: union = area1 + area2 - intersection",
    "nested": "the intersection of nested boxes is the small box; union = area1 + area2 - "
              "intersection",
}


def compare_iou(value: float, want: float, box1, box2, case: str) -> None:
    if not np.isclose(value, want, atol=1e-9):
        hint = IOU_HINTS.get(case, "intersection: from (max x1, max y1) to (min x2, min y2), width "
                                   "and height at least 0; union = area1 + area2 - intersection")
        raise CheckFailure(f"iou({box1}, {box2}) = {value:.6f}, expected {want:.6f}: {hint}.")


def compare_keep(keep, want, max_boxes, iou_threshold, case) -> np.ndarray:
    """The student's kept indices against the ones TensorFlow's NMS keeps."""
    keep = to_numpy(keep, f"keep ({case})")
    want = np.asarray(want).astype(np.int64)
    if keep.ndim != 1 or (keep.size and not np.issubdtype(keep.dtype, np.integer)):
        raise CheckFailure(f"keep ({case}) must be a 1-D array of integer indices, got shape "
                           f"{keep.shape} and dtype {keep.dtype}: return "
                           "np.array(keep, dtype=int).")
    if not np.array_equal(keep, want):
        hint = ("sort by decreasing score, keep the best box left, remove the boxes whose IoU with "
                "it is > iou_threshold, and stop after max_boxes boxes")
        if len(keep) > max_boxes:
            hint = f"it keeps {len(keep)} boxes but max_boxes is {max_boxes}"
        elif len(keep) and len(want) and keep[0] != want[0]:
            hint = "the first box kept must be the one with the highest score (np.argsort(-scores))"
        raise CheckFailure(f"greedy_nms ({case}, max_boxes={max_boxes}, "
                           f"iou_threshold={iou_threshold}) keeps {keep.tolist()}, "
                           f"TensorFlow's NMS keeps {want.tolist()}: {hint}.")
    return keep


def compare_triplet(name, result, want, case, scale_hint=""):
    """A student's (scores, boxes, classes) after NMS against the expected ones, with sentences."""
    scores, boxes, classes = (to_numpy(r, f"{n} ({case})")
                              for r, n in zip(result, ("scores", "boxes", "classes"), strict=True))
    want_scores, want_boxes, want_classes = want
    k = len(want_scores)
    if scores.shape != (k,):
        raise CheckFailure(f"{name} ({case}) returns "
                           f"{scores.shape[0] if scores.ndim else scores.shape} scores, "
                           f"expected {k}: keep the boxes chosen by tf.image.non_max_suppression "
                           "(at most max_boxes) and gather their scores.")
    if boxes.shape != (k, 4):
        raise CheckFailure(f"boxes ({case}) has shape {boxes.shape}, expected ({k}, 4): gather the "
                           "boxes with the same indices as the scores.")
    if classes.shape != (k,):
        raise CheckFailure(f"classes ({case}) has shape {classes.shape}, expected ({k},): gather "
                           "the classes with the same indices as the scores and boxes "
                           "(tf.gather(classes, nms_indices)).")
    expect_close(scores, want_scores, f"scores ({case})",
                 "Keep the boxes chosen by NMS, in its order (best first)", atol=1e-6)
    hint = "Gather the boxes with the indices NMS returns" + scale_hint
    if scale_hint and k and np.abs(boxes).max() < 3 and np.abs(want_boxes).max() > 3:
        hint = ("The boxes look like fractions of the image: scale them to pixels with "
                "scale_boxes(boxes, image_shape)")
    expect_close(boxes, want_boxes, f"boxes ({case})", hint, atol=1e-3, rtol=1e-5)
    if not np.array_equal(classes.astype(np.int64), np.asarray(want_classes).astype(np.int64)):
        raise CheckFailure(f"classes ({case}) are wrong: gather them with the same indices as the "
                           "scores and boxes.")
    return scores, boxes, classes


def nms_result(yolo_non_max_suppression: Callable, args, kwargs):
    return expect_tuple(call_student(yolo_non_max_suppression, *args, **kwargs),
                        "yolo_non_max_suppression", 3, "scores, boxes, classes")


EVAL_ORDER_HINT = ("yolo_outputs is (box_xy, box_wh, box_confidence, box_class_probs), in this "
                   "order, as yolo_head returns it: unpack it in that order.")


def eval_result(yolo_eval: Callable, args, kwargs):
    try:
        result = call_student(yolo_eval, *args, **kwargs)
    except CheckFailure as failure:
        if " raised " not in str(failure):
            raise
        raise CheckFailure(f"{failure} {EVAL_ORDER_HINT}") from failure
    return expect_tuple(result, "yolo_eval", 3, "scores, boxes, classes")


# ----------------------------------------------------------------------- checks
def check_assign_anchor(assign_anchor: Callable) -> None:
    """assign_anchor: the cell of the box centre, and the anchor of the largest shape IoU."""
    for case, ((box, anchors, grid, image), _) in _anchor_cases().items():
        got = anchor_result(call_student(assign_anchor, box, anchors, grid, image), case)
        swapped = _expected("assign_anchor", case + WH_SWAPPED)[2]
        compare_anchor(got, _expected("assign_anchor", case), swapped, box, grid, image, case)
        print(f"{case}: box (x, y, w, h) = {box} -> cell (row {got[0]}, column {got[1]}), "
              f"anchor {got[2]}")
    _done()


def check_box_center_to_corners(box_center_to_corners: Callable) -> None:
    """box_center_to_corners: (y_min, x_min, y_max, x_max) =
    (y - h/2, x - w/2, y + h/2, x + w/2)."""
    for case, ((box_xy, box_wh), _) in _corner_cases().items():
        corners = to_numpy(call_student(box_center_to_corners, box_xy, box_wh), f"corners ({case})")
        compare_corners(corners, _expected("box_center_to_corners", case), case)
        if case == "one box":
            print(f"centre (x, y) = {box_xy[0].tolist()}, size (w, h) = {box_wh[0].tolist()} -> "
                  f"corners (y_min, x_min, y_max, x_max) = {np.round(corners[0], 4).tolist()}")
    _done()


def check_clip_boxes(clip_boxes: Callable) -> None:
    """clip_boxes: y into [0, height], x into [0, width], a new float array, input unchanged."""
    for case, ((boxes, image_shape), _) in _clip_cases().items():
        clipped = to_numpy(call_student(clip_boxes, boxes, image_shape), f"clipped ({case})")
        compare_clipped(clipped, boxes, _expected("clip_boxes", case),
                        _expected("clip_boxes", case + SWAPPED), case)
        if case.startswith("3 boxes"):
            print(f"boxes =\n{boxes}\nclipped to {image_shape} =\n{clipped}")
    _done()


def check_yolo_filter_boxes(yolo_filter_boxes: Callable) -> None:
    """yolo_filter_boxes keeps exactly the boxes whose best class score is >= threshold."""
    for case, (args, kwargs) in _filter_cases().items():
        threshold = kwargs["threshold"]
        result = filter_result(yolo_filter_boxes, args, threshold, case)
        want = _triplet("yolo_filter_boxes", case)
        n_without = (len(_expected("yolo_filter_boxes", case + WITHOUT_CONFIDENCE))
                     if case == FILTER_MAIN else None)
        compare_filter(result, want, threshold, case,
                       n_strict=len(want[0]) - FILTER_TIES.get(case, 0),
                       n_without_confidence=n_without)
        if case == FILTER_MAIN:
            scores, boxes, classes = result
            print(f"kept {len(scores)} of 1805 boxes; scores[2] = {scores[2]:.6f}, boxes[2] = "
                  f"{np.round(boxes[2].astype(float), 6).tolist()}, classes[2] = {classes[2]}")
            print(f"scores.shape = {scores.shape}, boxes.shape = {boxes.shape}, "
                  f"classes.shape = {classes.shape}")
    print("boxes scoring exactly the threshold are kept; no box above the threshold gives empty "
          "outputs")
    _done()


def check_iou(iou: Callable) -> None:
    """iou of overlapping, disjoint, touching, nested and identical boxes."""
    for case, (box1, box2) in IOU_PAIRS.items():
        value = expect_scalar(call_student(iou, box1, box2), f"iou({box1}, {box2})")
        print(f"iou for {case.replace('_', ' ')} boxes {box1} and {box2} = {value:.6f}")
        compare_iou(value, float(_expected("iou", case)), box1, box2, case)
    _done()


def check_greedy_nms(greedy_nms: Callable) -> None:
    """greedy_nms keeps the same boxes, in the same order, as TensorFlow's NMS."""
    for case, ((boxes, scores), kwargs) in _greedy_cases().items():
        keep = call_student(greedy_nms, boxes, scores, **kwargs)
        keep = compare_keep(keep, _expected("greedy_nms", case), kwargs["max_boxes"],
                            kwargs["iou_threshold"], case)
        if case == "54 random boxes":
            print(f"54 random boxes: kept {keep.tolist()} (as TensorFlow's NMS)")
        else:
            print(f"max_boxes={kwargs['max_boxes']}, iou_threshold={kwargs['iou_threshold']}: "
                  f"kept {keep.tolist()}")
    _done()


def check_yolo_non_max_suppression(yolo_non_max_suppression: Callable) -> None:
    """yolo_non_max_suppression keeps the right boxes and gathers their scores, boxes and
    classes."""
    for case, (args, kwargs) in _nms_cases().items():
        result = nms_result(yolo_non_max_suppression, args, kwargs)
        out = compare_triplet("yolo_non_max_suppression", result,
                              _triplet("yolo_non_max_suppression", case),
                              f"{case}, iou_threshold={kwargs['iou_threshold']}")
        print(f"{case}: kept {len(out[0])} boxes; "
              f"scores[:3] = {np.round(out[0][:3].astype(float), 6).tolist()}, "
              f"classes[:3] = {out[2][:3].tolist()}")
    _done()


def check_yolo_eval(yolo_eval: Callable) -> None:
    """yolo_eval chains corners, filtering, scaling to the image and NMS."""
    for case, (args, kwargs) in _eval_cases().items():
        result = eval_result(yolo_eval, args, kwargs)
        out = compare_triplet("yolo_eval", result, _triplet("yolo_eval", case), case,
                              scale_hint=" (after scaling them to the image)")
        print(f"{case}: {len(out[0])} boxes; scores[2] = {out[0][2]:.6f}, boxes[2] = "
              f"{np.round(out[1][2].astype(float), 3).tolist()}, classes[2] = {out[2][2]}")
    _done()
