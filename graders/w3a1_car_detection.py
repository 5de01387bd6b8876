"""Hidden checks of W3A1, car detection with YOLO (instructor-only).

Each graded function ``f`` of the notebook has ``check_f(fn, hidden=False)``:

- ``hidden=False`` runs the visible check of :mod:`cnn_course.checks.w3a1_car_detection`
  (fixed seeds in the original course's shapes, compared with the stored expected outputs);
- ``hidden=True`` (the hidden test): other shapes, thresholds and seeds, edge cases (all
  boxes identical, ``max_boxes`` larger than the number of boxes, no boxes at all), compared
  with the numpy oracles below, with ``tf.image.non_max_suppression`` for NMS, and with the
  reference outputs in ``graders/reference/``.

The oracles share no code with the notebook's solution: greedy NMS here is vectorised over
an IoU matrix, filtering is written with numpy indexing. They also check the visible module's
stored expected outputs (tests/test_graders_w3a1_car_detection.py). Every check raises
:class:`CheckFailure` with a sentence on the first problem and returns None when the
function is right.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cnn_course.checks import w3a1_car_detection as visible
from cnn_course.checks._checking import (
    call_student,
    expect_close,
    expect_scalar,
    rng_for,
)
from cnn_course.checks.w3a1_car_detection import (
    ASSIGNMENT_ID,
    GRADED_FUNCTIONS,
    anchor_case,
    anchor_result,
    box_case,
    centre_case,
    compare_anchor,
    compare_clipped,
    compare_corners,
    compare_filter,
    compare_iou,
    compare_keep,
    compare_triplet,
    eval_case,
    eval_result,
    filter_case,
    filter_result,
    nms_case,
    nms_result,
    to_numpy,
    visible_outputs,
)
from cnn_course.graders import reference
from cnn_course.utils._tf import tensorflow


# ----------------------------------------------------------------------------- oracles
def oracle_assign(box, anchors, grid_shape, image_shape):
    """(row, col, anchor) by brute force: every cell is tested for the centre, every anchor's IoU
    is computed in pixels.

    A cell holds the points from its top-left corner up to (not including) the next cell's;
    an anchor (in cells) is drawn in pixels on the box's centre and compared with iou_matrix.
    """
    x, y, w, h = (float(v) for v in box)
    rows, cols = grid_shape
    height, width = image_shape
    cell = None
    for r in range(rows):
        for c in range(cols):
            left, top = c * width / cols, r * height / rows
            if left <= x < (c + 1) * width / cols and top <= y < (r + 1) * height / rows:
                cell = (r, c)
    assert cell is not None, f"the centre {(x, y)} is outside the {height}x{width} image"
    box_xyxy = [(x - w / 2, y - h / 2, x + w / 2, y + h / 2)]
    best, best_iou = 0, -1.0
    for k, (anchor_w, anchor_h) in enumerate(np.asarray(anchors, dtype=float).reshape(-1, 2)):
        aw, ah = anchor_w * width / cols, anchor_h * height / rows  # in pixels
        overlap = iou_matrix(box_xyxy, [(x - aw / 2, y - ah / 2, x + aw / 2, y + ah / 2)])[0, 0]
        if overlap > best_iou:
            best, best_iou = k, overlap
    return cell[0], cell[1], best


def nearest_area_anchor(box, anchors, grid_shape, image_shape) -> int:
    """The anchor whose area (in cells) is nearest the box's: a wrong rule the hints recognise."""
    _, _, w, h = box
    rows, cols = grid_shape
    height, width = image_shape
    anchors = np.asarray(anchors, dtype=float).reshape(-1, 2)
    return int(np.argmin(np.abs(anchors.prod(axis=1) - (w * cols / width) * (h * rows / height))))


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
    """Flattened, row-major: scores (k,), boxes (k, 4), classes (k,) of the boxes scoring
    >= threshold."""
    box_scores = (box_confidence * box_class_probs).reshape(-1, box_class_probs.shape[-1])
    best = box_scores.argmax(axis=1)
    best_score = box_scores[np.arange(len(box_scores)), best]
    keep = np.flatnonzero(best_score >= threshold)
    return best_score[keep], boxes.reshape(-1, 4)[keep], best[keep]


def iou_matrix(a, b):
    """IoU of every row of a (n, 4) with every row of b (m, 4); corners in (x1, y1, x2, y2)
    order."""
    a, b = np.asarray(a, dtype=np.float64)[:, None], np.asarray(b, dtype=np.float64)[None]
    inter_w = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    inter_h = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = inter_w * inter_h
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    return inter / (area_a + area_b - inter)


def oracle_nms(boxes, scores, max_boxes, iou_threshold):
    """Indices kept by greedy NMS (any corner order: IoU is the same with x and y swapped)."""
    boxes, scores = (np.asarray(boxes, dtype=np.float64).reshape(-1, 4),
                     np.asarray(scores).reshape(-1))
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
    tf = tensorflow()
    return tf.image.non_max_suppression(np.asarray(boxes, np.float32).reshape(-1, 4),
                                        np.asarray(scores, np.float32).reshape(-1), max_boxes,
                                        iou_threshold=iou_threshold).numpy()


def oracle_eval(yolo_outputs, image_shape, max_boxes, score_threshold, iou_threshold):
    xy, wh, confidence, probs = (np.asarray(v, dtype=np.float32) for v in yolo_outputs)
    corners = oracle_corners(xy, wh).astype(np.float32)
    scores, boxes, classes = oracle_filter(corners, confidence, probs, np.float32(score_threshold))
    height, width = image_shape
    boxes = boxes * np.array([height, width, height, width], dtype=np.float32)
    keep = oracle_nms(boxes, scores, max_boxes, iou_threshold)
    return scores[keep], boxes[keep], classes[keep]


# ------------------------------------------------------------------------ hidden cases
# `make references` stores the solution's outputs on them.
HIDDEN_ANCHOR = {  # name: (image_shape, grid_shape, anchors: 5 random ones, or the course's)
    "random_608_19x19": ((608, 608), (19, 19)),
    "random_720x1280_18x28": ((720, 1280), (18, 28)),
    "random_416_13x13_3_anchors": ((416, 416), (13, 13)),
    "random_480x640_15x20": ((480, 640), (15, 20)),
}
# name: (box (x, y, w, h) in pixels, grid_shape, image_shape), a centre on a border between cells
ANCHOR_BORDERS = {
    "border_x_608": ((64.0, 300.0, 100.0, 40.0), (19, 19), (608, 608)),
    "border_y_608": ((300.0, 416.0, 40.0, 100.0), (19, 19), (608, 608)),
    "border_corner_720x1280": ((640.0, 400.0, 200.0, 150.0), (9, 16), (720, 1280)),
    "border_both_288x448": ((208.0, 144.0, 50.0, 20.0), (18, 28), (288, 448)),
    "origin_416": ((0.0, 0.0, 60.0, 60.0), (13, 13), (416, 416)),
}
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


def _iou_random_pairs():
    rng = rng_for(ASSIGNMENT_ID, "iou", "random")
    lo = rng.uniform(0, 10, (12, 2, 2))
    hi = lo + rng.uniform(0.5, 6, (12, 2, 2))
    return {f"random_{k}": (tuple(np.r_[lo[k, 0], hi[k, 0]].round(3).tolist()),
                            tuple(np.r_[lo[k, 1], hi[k, 1]].round(3).tolist())) for k in range(12)}


def reference_cases():
    """{function: {case: (args, kwargs)}} for the hidden reference comparisons."""
    cases: dict[str, dict[str, tuple]] = {name: {} for name in GRADED_FUNCTIONS}
    for name, (image_shape, grid_shape) in HIDDEN_ANCHOR.items():
        for k in range(6):
            n_anchors = 3 if "3_anchors" in name else 5
            box, anchors = anchor_case(f"{name}_{k}", image_shape, grid_shape, n_anchors)
            cases["assign_anchor"][f"{name}_{k}"] = ((box, anchors, grid_shape, image_shape), {})
    border_anchors = anchor_case("borders", (608, 608), (19, 19))[1]
    for name, (box, grid_shape, image_shape) in ANCHOR_BORDERS.items():
        cases["assign_anchor"][name] = ((box, border_anchors, grid_shape, image_shape), {})
    # anchors 1 and 2 have exactly the same IoU with this box: the first one is chosen
    tie_anchors = np.array([[0.5, 0.5], [1.0, 2.0], [2.0, 1.0]])
    cases["assign_anchor"]["tie_first_anchor"] = (((300.0, 300.0, 64.0, 64.0), tie_anchors,
                                                   (19, 19), (608, 608)), {})
    for name, shape in (("n3", (3,)), ("batch_13x13x5", (2, 13, 13, 5))):
        cases["box_center_to_corners"][name] = (centre_case(name, shape), {})
    for name, (n, image_shape) in (("480x640", (20, (480, 640))),
                                   ("tall_300x200", (15, (300, 200)))):
        cases["clip_boxes"][name] = ((box_case(name, n, image_shape), image_shape), {})
    for name, (lead, n_classes, ties, threshold) in HIDDEN_FILTER.items():
        cases["yolo_filter_boxes"][name] = (filter_case(name, lead, n_classes, ties),
                                            {"threshold": threshold})
    for name, pair in _iou_random_pairs().items():
        cases["iou"][name] = (pair, {})
    for name, (n, identical, separated, max_boxes, threshold) in HIDDEN_NMS.items():
        scores, boxes, classes = nms_case(name, n, identical, separated)
        xyxy = boxes[:, [1, 0, 3, 2]].astype(np.float64)
        cases["greedy_nms"][name] = ((xyxy, scores.astype(np.float64)),
                                     {"max_boxes": max_boxes, "iou_threshold": threshold})
        cases["yolo_non_max_suppression"][name] = (
            (scores, boxes, classes), {"max_boxes": max_boxes, "iou_threshold": threshold})
    for name, (lead, image_shape, max_boxes, score_t, iou_t) in HIDDEN_EVAL.items():
        cases["yolo_eval"][name] = ((eval_case(name, lead), image_shape),
                                    {"max_boxes": max_boxes, "score_threshold": score_t,
                                     "iou_threshold": iou_t})
    return cases


def reference_outputs(function: str, result) -> list[np.ndarray]:
    """The arrays of a function's result that the reference file stores."""
    return visible_outputs(function, result)


def _against_reference(function: str, case: str, actual: list, what: list[str], atol=1e-7) -> None:
    expected = reference.load(ASSIGNMENT_ID)
    for k, (value, label) in enumerate(zip(actual, what, strict=True)):
        key = f"{function}/{case}/{k}"
        if key not in expected:
            raise RuntimeError(f"reference output {key} is missing: run `make references`.")
        expect_close(np.asarray(value, dtype=float), expected[key], f"{label} (hidden case {case})",
                     "It differs from the reference solution's output", atol=atol, rtol=1e-5)


def _done() -> None:
    print("Hidden tests passed.")


# ----------------------------------------------------------------------- checks
def check_assign_anchor(assign_anchor: Callable, hidden: bool = False) -> None:
    """assign_anchor: the cell of the box centre, and the anchor of the largest shape IoU."""
    if not hidden:
        return visible.check_assign_anchor(assign_anchor)
    for case, ((box, anchors, grid, image), _) in reference_cases()["assign_anchor"].items():
        got = anchor_result(call_student(assign_anchor, box, anchors, grid, image), case)
        swapped = (box[0], box[1], box[3], box[2])
        compare_anchor(got, oracle_assign(box, anchors, grid, image),
                       oracle_assign(swapped, anchors, grid, image)[2], box, grid, image, case,
                       nearest_area=nearest_area_anchor(box, anchors, grid, image))
        _against_reference("assign_anchor", case, [np.asarray(got)], ["(row, col, anchor_index)"])
    _done()


def check_box_center_to_corners(box_center_to_corners: Callable, hidden: bool = False) -> None:
    """box_center_to_corners: (y_min, x_min, y_max, x_max) =
    (y - h/2, x - w/2, y + h/2, x + w/2)."""
    if not hidden:
        return visible.check_box_center_to_corners(box_center_to_corners)
    for case, ((box_xy, box_wh), _) in reference_cases()["box_center_to_corners"].items():
        corners = to_numpy(call_student(box_center_to_corners, box_xy, box_wh), f"corners ({case})")
        compare_corners(corners, oracle_corners(box_xy, box_wh), case)
        _against_reference("box_center_to_corners", case, [corners], ["corners"])
    _done()


def check_clip_boxes(clip_boxes: Callable, hidden: bool = False) -> None:
    """clip_boxes: y into [0, height], x into [0, width], a new float array, input unchanged."""
    if not hidden:
        return visible.check_clip_boxes(clip_boxes)
    for case, ((boxes, image_shape), _) in reference_cases()["clip_boxes"].items():
        clipped = to_numpy(call_student(clip_boxes, boxes, image_shape), f"clipped ({case})")
        compare_clipped(clipped, boxes, oracle_clip(boxes, image_shape),
                        oracle_clip(boxes, image_shape[::-1]), case)
        _against_reference("clip_boxes", case, [clipped], ["clipped"])
    _done()


def check_yolo_filter_boxes(yolo_filter_boxes: Callable, hidden: bool = False) -> None:
    """yolo_filter_boxes keeps exactly the boxes whose best class score is >= threshold."""
    if not hidden:
        return visible.check_yolo_filter_boxes(yolo_filter_boxes)
    for case, (args, kwargs) in reference_cases()["yolo_filter_boxes"].items():
        boxes, confidence, probs = args
        threshold = kwargs["threshold"]
        result = filter_result(yolo_filter_boxes, args, threshold, case)
        want = oracle_filter(boxes, confidence, probs, np.float32(threshold))
        n_strict = int((oracle_filter(boxes, confidence, probs, -np.inf)[0] > threshold).sum())
        n_without = len(oracle_filter(boxes, np.ones_like(confidence), probs,
                                      np.float32(threshold))[0])
        compare_filter(result, want, threshold, case, n_strict=n_strict,
                       n_without_confidence=n_without)
        _against_reference("yolo_filter_boxes", case, list(result),
                           ["scores", "boxes", "classes"], atol=1e-6)
    _done()


def check_iou(iou: Callable, hidden: bool = False) -> None:
    """iou of overlapping, disjoint, touching, nested and identical boxes, and of random pairs."""
    if not hidden:
        return visible.check_iou(iou)
    for case, ((box1, box2), _) in reference_cases()["iou"].items():
        value = expect_scalar(call_student(iou, box1, box2), f"iou({box1}, {box2})")
        compare_iou(value, float(iou_matrix([box1], [box2])[0, 0]), box1, box2, case)
        _against_reference("iou", case, [np.asarray(value)], ["iou"])
    _done()


def check_greedy_nms(greedy_nms: Callable, hidden: bool = False) -> None:
    """greedy_nms keeps the same boxes, in the same order, as TensorFlow's NMS."""
    if not hidden:
        return visible.check_greedy_nms(greedy_nms)
    for case, ((boxes, scores), kwargs) in reference_cases()["greedy_nms"].items():
        max_boxes, iou_threshold = kwargs["max_boxes"], kwargs["iou_threshold"]
        want = oracle_nms(boxes, scores, max_boxes, iou_threshold)
        if len(boxes):
            theirs = tf_nms(boxes, scores, max_boxes, iou_threshold)
            assert np.array_equal(want, theirs), (
                f"grader's oracle and TensorFlow disagree on {case}")
        keep = call_student(greedy_nms, boxes, scores, max_boxes=max_boxes,
                            iou_threshold=iou_threshold)
        keep = compare_keep(keep, want, max_boxes, iou_threshold, case)
        _against_reference("greedy_nms", case, [keep], ["keep"])
    _done()


def check_yolo_non_max_suppression(yolo_non_max_suppression: Callable,
                                   hidden: bool = False) -> None:
    """yolo_non_max_suppression keeps the right boxes and gathers their scores, boxes and
    classes."""
    if not hidden:
        return visible.check_yolo_non_max_suppression(yolo_non_max_suppression)
    for case, (args, kwargs) in reference_cases()["yolo_non_max_suppression"].items():
        scores, boxes, classes = args
        result = nms_result(yolo_non_max_suppression, args, kwargs)
        keep = oracle_nms(boxes, scores, kwargs["max_boxes"], kwargs["iou_threshold"])
        out = compare_triplet("yolo_non_max_suppression", result,
                              (scores[keep], boxes[keep], classes[keep]),
                              f"{case}, iou_threshold={kwargs['iou_threshold']}")
        _against_reference("yolo_non_max_suppression", case, list(out),
                           ["scores", "boxes", "classes"], atol=1e-5)
    _done()


def check_yolo_eval(yolo_eval: Callable, hidden: bool = False) -> None:
    """yolo_eval chains corners, filtering, scaling to the image and NMS."""
    if not hidden:
        return visible.check_yolo_eval(yolo_eval)
    for case, ((outputs, image_shape), kwargs) in reference_cases()["yolo_eval"].items():
        result = eval_result(yolo_eval, (outputs, image_shape), kwargs)
        want = oracle_eval(outputs, image_shape, **{"max_boxes": 10, "score_threshold": 0.6,
                                                    "iou_threshold": 0.5, **kwargs})
        out = compare_triplet("yolo_eval", result, want, case,
                              scale_hint=" (after scaling them to the image)")
        _against_reference("yolo_eval", case, list(out), ["scores", "boxes", "classes"], atol=1e-3)
    _done()


CHECKS = {name: globals()[f"check_{name}"] for name in GRADED_FUNCTIONS}


# Mutants: wrong variants of the solution that the checks above must catch
# (see cnn_course.graders.authoring.mutants). yolo_eval calls yolo_filter_boxes and
# yolo_non_max_suppression; greedy_nms calls iou.
#
# MUTANTS is built on first access (module __getattr__): cnn_course.graders.authoring.mutants
# imports nbformat and jsonschema, seconds that the notebook's setup cell, which imports this
# module, should not pay (nbgrader gives a cell 30 s).

def _m(name, grade_id, description, edits, fails):
    from cnn_course.graders.authoring.mutants import mutant

    return mutant(name, grade_id, description, edits, fails, ASSIGNMENT_ID)


def _mutants() -> tuple:
    return (
        _m("anchor_row_col_swapped", "assign_anchor", "takes the row from x and the column from y",
           [("row, col = int(y // cell_h), int(x // cell_w)",
             "col, row = int(y // cell_h), int(x // cell_w)")], ["assign_anchor"]),
        _m("anchor_wh_swapped", "assign_anchor",
           "compares the anchors with the box's height and width swapped",
           [("w_cells, h_cells = w / cell_w, h / cell_h",
             "w_cells, h_cells = h / cell_h, w / cell_w")], ["assign_anchor"]),
        _m("anchor_nearest_area", "assign_anchor",
           "picks the anchor of the nearest area instead of the best IoU",
           [("anchor_index = int(np.argmax(ious))",
             "anchor_index = int(np.argmin(np.abs(anchors.prod(axis=1) - w_cells * h_cells)))")],
           ["assign_anchor"]),
        _m("anchor_tie_last", "assign_anchor", "takes the last anchor of a tie, not the first",
           [("anchor_index = int(np.argmax(ious))",
             "anchor_index = len(ious) - 1 - int(np.argmax(ious[::-1]))")], ["assign_anchor"]),
        _m("anchor_cell_rounded", "assign_anchor",
           "rounds the centre's cell coordinates instead of flooring them",
           [("row, col = int(y // cell_h), int(x // cell_w)",
             "row, col = int(round(y / cell_h)), int(round(x / cell_w))")], ["assign_anchor"]),
        _m("anchor_border_left", "assign_anchor",
           "gives a centre on a cell border to the cell above or left",
           [("row, col = int(y // cell_h), int(x // cell_w)",
             "row, col = int(np.ceil(y / cell_h)) - 1, int(np.ceil(x / cell_w)) - 1")],
           ["assign_anchor"]),
        _m("corners_full_size", "box_center_to_corners",
           "uses the whole width and height on each side",
           [("box_wh[..., 0] / 2, box_wh[..., 1] / 2", "box_wh[..., 0], box_wh[..., 1]")],
           ["box_center_to_corners"]),
        _m("corners_x_first", "box_center_to_corners", "returns (x_min, y_min, x_max, y_max)",
           [("[y - half_h, x - half_w, y + half_h, x + half_w]",
             "[x - half_w, y - half_h, x + half_w, y + half_h]")],
           ["box_center_to_corners"]),
        _m("clip_height_width_swapped", "clip_boxes", "clips y to the width and x to the height",
           [("height, width = image_shape", "width, height = image_shape")], ["clip_boxes"]),
        _m("clip_in_place", "clip_boxes", "clips the input array in place instead of a copy",
           [("clipped = np.array(boxes, dtype=float)", "clipped = boxes")], ["clip_boxes"]),
        _m("filter_strict_threshold", "yolo_filter_boxes", "uses > instead of >= for the threshold",
           [("box_class_scores >= threshold", "box_class_scores > threshold")],
           ["yolo_filter_boxes"]),
        _m("filter_without_confidence", "yolo_filter_boxes",
           "scores the boxes by class probability only",
           [("box_scores = box_confidence * box_class_probs", "box_scores = box_class_probs")],
           ["yolo_filter_boxes", "yolo_eval"]),
        _m("iou_union_keeps_intersection", "iou",
           "does not subtract the intersection from the union",
           [("union_area = box1_area + box2_area - inter_area",
             "union_area = box1_area + box2_area")],
           ["iou", "greedy_nms"]),
        _m("iou_negative_overlap", "iou", "does not clip the intersection's width and height at 0",
           [("inter_width = max(xi2 - xi1, 0)", "inter_width = xi2 - xi1"),
            ("inter_height = max(yi2 - yi1, 0)", "inter_height = yi2 - yi1")],
           ["iou", "greedy_nms"]),
        _m("greedy_nms_ascending", "greedy_nms", "starts from the lowest score",
           [("np.argsort(-scores", "np.argsort(scores")], ["greedy_nms"]),
        _m("greedy_nms_no_max_boxes", "greedy_nms", "ignores max_boxes",
           [("while order and len(keep) < max_boxes:", "while order:")], ["greedy_nms"]),
        _m("nms_classes_not_gathered", "yolo_non_max_suppression",
           "returns the classes without gathering them",
           [("classes = tf.gather(classes, nms_indices)", "classes = classes")],
           ["yolo_non_max_suppression", "yolo_eval"]),
        _m("nms_threshold_ignored", "yolo_non_max_suppression",
           "ignores iou_threshold (TensorFlow's default 0.5)",
           [("max_boxes, iou_threshold=iou_threshold)", "max_boxes)")],
           ["yolo_non_max_suppression", "yolo_eval"]),
        _m("eval_boxes_not_scaled", "yolo_eval", "does not scale the boxes to the image",
           [("    boxes = scale_boxes(boxes, image_shape)\n", "")], ["yolo_eval"]),
        _m("eval_score_threshold_ignored", "yolo_eval", "filters with the default threshold 0.6",
           [("threshold=score_threshold)", ")")], ["yolo_eval"]),
        _m("eval_confidence_first", "yolo_eval",
           "unpacks yolo_outputs with box_confidence first",
           [("box_xy, box_wh, box_confidence, box_class_probs = yolo_outputs",
             "box_confidence, box_xy, box_wh, box_class_probs = yolo_outputs")], ["yolo_eval"]),
    )


def __getattr__(name: str):
    if name == "MUTANTS":
        globals()["MUTANTS"] = value = _mutants()
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
