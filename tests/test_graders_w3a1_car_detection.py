"""W3A1 specifics: the oracles, the edge cases, what each kind of wrong answer is told.

The visible checks (``cnn_course.checks.w3a1_car_detection``, student package) compare with
stored expected outputs; the hidden ones (``cnn_course.graders.w3a1_car_detection``) with
the oracles. The stored outputs are checked against the oracles and TensorFlow here. The
common checks (solution passes, stubs fail, mutants caught, references) are in
test_assignments.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from cnn_course.checks import expected
from cnn_course.checks import w3a1_car_detection as visible
from cnn_course.checks._checking import failure_message as _raises
from cnn_course.graders import w3a1_car_detection as grader
from cnn_course.graders.engine.loading import load_functions
from cnn_course.utils.runtime import quiet_tensorflow

quiet_tensorflow()

import tensorflow as tf  # noqa: E402

from cnn_course.utils.yolo import scale_boxes, yolo_boxes_to_corners, yolo_head  # noqa: E402

AID = "w3a1_car_detection"


@pytest.fixture(scope="module")
def solution():
    return load_functions(AID)


@pytest.mark.parametrize("name", ["visible", "n80_t03", "identical", "max_boxes_above_n"])
def test_the_nms_oracle_is_tensorflows_nms(name):
    for n, max_boxes, threshold in ((54, 10, 0.5), (120, 30, 0.3), (120, 200, 0.7)):
        scores, boxes, _ = visible.nms_case(f"{name}-{n}", n, identical=name == "identical",
                                           separated=name == "max_boxes_above_n")
        expected = tf.image.non_max_suppression(boxes, scores, max_boxes,
                                                iou_threshold=threshold).numpy()
        np.testing.assert_array_equal(grader.oracle_nms(boxes, scores, max_boxes, threshold),
                                      expected)


def test_the_iou_oracle_on_hand_computed_pairs():
    assert grader.iou_matrix([(2, 1, 4, 3)], [(1, 2, 3, 4)])[0, 0] == pytest.approx(1 / 7)
    for name in ("disjoint", "vertex_touch", "edge_touch"):
        assert grader.iou_matrix([visible.IOU_PAIRS[name][0]],
                                 [visible.IOU_PAIRS[name][1]])[0, 0] == 0
    assert grader.iou_matrix([(0, 0, 10, 8)], [(2, 2, 5, 4)])[0, 0] == pytest.approx(6 / 80)


def test_the_filter_cases_hold_what_the_edge_cases_need():
    boxes, confidence, probs = visible.filter_case("visible_ties", (19, 19, 5), 80, ties=5)
    best = (confidence * probs).max(axis=-1)
    assert (best == np.float32(0.5)).sum() == 5, "five slots score exactly the threshold 0.5"
    assert 10 < (best >= 0.6).sum() < 1805, "some boxes, not all, pass the visible threshold"
    assert (best >= 1.01).sum() == 0
    scores, _, _ = grader.oracle_eval(visible.eval_case("none_above", (7, 7, 5)), (720, 1280), 10,
                                      1.01, 0.5)
    assert len(scores) == 0


def test_the_eval_oracle_matches_the_provided_helpers_and_tensorflow():
    """corners -> filter -> scale -> NMS with the course helpers gives the oracle's answer."""
    feats = np.random.default_rng(3).normal(0, 2, (1, 13, 13, 5 * 85)).astype(np.float32)
    anchors = np.array([[0.5, 0.8], [1, 2], [2, 2.5], [3.5, 4], [5, 8]])
    outputs = tuple(t.numpy() for t in yolo_head(feats, anchors, 80))
    xy, wh, confidence, probs = outputs
    corners = yolo_boxes_to_corners(xy, wh)
    scores_all = confidence * probs
    mask = scores_all.max(axis=-1) >= 0.3
    boxes = scale_boxes(tf.boolean_mask(corners, mask), (480, 640))
    scores = scores_all.max(axis=-1)[mask]
    keep = tf.image.non_max_suppression(boxes, scores, 12, iou_threshold=0.4).numpy()
    want = grader.oracle_eval(outputs, (480, 640), 12, 0.3, 0.4)
    np.testing.assert_allclose(want[0], scores[keep], rtol=1e-6)
    np.testing.assert_allclose(want[1], boxes.numpy()[keep], atol=1e-3)


def test_solution_handles_yolo_head_output_with_a_batch_axis(solution):
    feats = np.random.default_rng(4).normal(0, 2, (1, 19, 19, 425)).astype(np.float32)
    outputs = yolo_head(feats, np.ones((5, 2)), 80)
    scores, boxes, classes = solution.yolo_eval(outputs)
    assert boxes.shape[-1] == 4 and len(scores) == len(classes) <= 10


def test_visible_checks_print_values_and_end_with_all_tests_passed(solution, capsys):
    for name in grader.GRADED_FUNCTIONS:
        # the grader's delegates
        for check in (getattr(visible, f"check_{name}"), grader.CHECKS[name]):
            check(getattr(solution, name))
            out = capsys.readouterr().out
            assert out.strip().endswith("All tests passed."), name
            assert len(out.splitlines()) >= 2, f"{name}'s visible check shows what it checked"


def _stored(function, case, k=0):
    return expected.get(grader.ASSIGNMENT_ID, function, case, k)


def test_stored_visible_outputs_agree_with_the_oracles_and_tensorflow():
    """checks/expected holds what the independent oracles (and tf.image.non_max_suppression)
    give."""
    cases = visible.visible_cases()
    assert set(cases) == set(grader.GRADED_FUNCTIONS)
    assert set(expected.load(grader.ASSIGNMENT_ID)) == {
        f"{function}/{case}/{k}" for function, function_cases in cases.items()
        for case in function_cases
        for k in range(3 if function in ("yolo_filter_boxes", "yolo_non_max_suppression",
                                         "yolo_eval") else 1)}
    for case, ((box, anchors, grid, image), _) in cases["assign_anchor"].items():
        want = grader.oracle_assign(box, anchors, grid, image)
        np.testing.assert_array_equal(_stored("assign_anchor", case), want)
    for case, ((xy, wh), _) in cases["box_center_to_corners"].items():
        np.testing.assert_allclose(_stored("box_center_to_corners", case),
                                   grader.oracle_corners(xy, wh), atol=1e-12)
    for case, ((boxes, image_shape), _) in cases["clip_boxes"].items():
        np.testing.assert_allclose(_stored("clip_boxes", case),
                                   grader.oracle_clip(boxes, image_shape), atol=1e-12)
    for case, ((boxes, confidence, probs), kwargs) in cases["yolo_filter_boxes"].items():
        want = grader.oracle_filter(boxes, confidence, probs, np.float32(kwargs["threshold"]))
        for k in range(3):
            np.testing.assert_allclose(_stored("yolo_filter_boxes", case, k), want[k], atol=1e-6,
                                       err_msg=case)
    for case, ((box1, box2), _) in cases["iou"].items():
        assert float(_stored("iou", case)) == pytest.approx(
            grader.iou_matrix([box1], [box2])[0, 0], abs=1e-12)
    assert [float(_stored("iou", c)) for c in ("overlap", "disjoint", "nested", "identical")] == (
        pytest.approx([1 / 7, 0.0, 6 / 80, 1.0]))
    for case, ((boxes, scores), kwargs) in cases["greedy_nms"].items():
        keep = grader.tf_nms(boxes, scores, kwargs["max_boxes"], kwargs["iou_threshold"])
        np.testing.assert_array_equal(_stored("greedy_nms", case), keep)
        np.testing.assert_array_equal(grader.oracle_nms(boxes, scores, **kwargs), keep)
    for case, ((scores, boxes, classes), kwargs) in cases["yolo_non_max_suppression"].items():
        keep = grader.tf_nms(boxes, scores, kwargs["max_boxes"], kwargs["iou_threshold"])
        for k, want in enumerate((scores[keep], boxes[keep], classes[keep])):
            np.testing.assert_allclose(_stored("yolo_non_max_suppression", case, k), want,
                                       atol=1e-6, err_msg=case)
    for case, ((outputs, image_shape), kwargs) in cases["yolo_eval"].items():
        settings = {"max_boxes": 10, "score_threshold": 0.6, "iou_threshold": 0.5, **kwargs}
        want = grader.oracle_eval(outputs, image_shape, **settings)
        assert len(want[0]) >= 3, "the visible check prints the third box"
        for k, atol in enumerate((1e-6, 1e-3, 0)):
            np.testing.assert_allclose(_stored("yolo_eval", case, k), want[k], atol=atol,
                                       err_msg=case)


def test_the_visible_module_holds_no_oracle_and_no_instructor_import():
    """The student package computes no corners, clipping, filtering, IoU or NMS: it compares with
    stored data."""
    import ast
    import inspect

    source = inspect.getsource(visible)
    assert "cnn_course.graders" not in source and "tensorflow" not in source
    assert not any(hasattr(visible, name) for name in ("oracle_corners", "oracle_clip",
                                                      "oracle_filter", "iou_matrix",
                                                      "oracle_nms", "tf_nms", "oracle_eval",
                                                      "reference_cases", "oracle_assign",
                                                      "nearest_area_anchor"))
    called = {node.func.attr if isinstance(node.func, ast.Attribute)
              else getattr(node.func, "id", "")
              for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)}
    answers = {"non_max_suppression", "clip", "minimum", "maximum", "argmax", "argsort",
               "boolean_mask"}
    assert not called & answers, f"the visible checks compute {called & answers}"


@pytest.mark.parametrize("hidden", [False, True])
def test_hints_name_the_mistake_in_visible_and_hidden_checks(solution, hidden):
    def swapped_shape(boxes, image_shape):
        return solution.clip_boxes(boxes, image_shape[::-1])

    _raises(grader.check_clip_boxes, swapped_shape, "height and width are swapped", hidden=hidden)

    def whole_size(box_xy, box_wh):
        return solution.box_center_to_corners(box_xy, 2 * box_wh)

    _raises(grader.check_box_center_to_corners, whole_size, "whole width/height", hidden=hidden)

    def no_confidence(boxes, box_confidence, box_class_probs, threshold=.6):
        return solution.yolo_filter_boxes(boxes, np.ones_like(box_confidence), box_class_probs,
                                          threshold)

    _raises(grader.check_yolo_filter_boxes, no_confidence, "ignore box_confidence", hidden=hidden)

    def ascending(boxes, scores, max_boxes=10, iou_threshold=0.5):
        return solution.greedy_nms(boxes, -scores, max_boxes, iou_threshold)

    _raises(grader.check_greedy_nms, ascending, "highest score", hidden=hidden)


def test_a_strict_threshold_is_told_to_use_greater_or_equal(solution):
    import tensorflow as tf

    def strict(boxes, box_confidence, box_class_probs, threshold=.6):
        box_scores = box_confidence * box_class_probs
        mask = tf.reduce_max(box_scores, axis=-1) > threshold
        return (tf.boolean_mask(tf.reduce_max(box_scores, axis=-1), mask),
                tf.boolean_mask(boxes, mask),
                tf.boolean_mask(tf.argmax(box_scores, axis=-1), mask))

    _raises(grader.check_yolo_filter_boxes, strict, "(>=)", "exactly 0.5")


def test_a_numpy_filter_is_accepted(solution):
    def numpy_filter(boxes, box_confidence, box_class_probs, threshold=.6):
        box_scores = box_confidence * box_class_probs
        best = box_scores.max(axis=-1)
        mask = best >= threshold
        return best[mask], boxes[mask], box_scores.argmax(axis=-1)[mask]

    grader.check_yolo_filter_boxes(numpy_filter)
    grader.check_yolo_filter_boxes(numpy_filter, hidden=True)


def test_iou_messages_name_the_mistake():
    def no_clip(box1, box2):
        inter = ((min(box1[2], box2[2]) - max(box1[0], box2[0]))
                 * (min(box1[3], box2[3]) - max(box1[1], box2[1])))
        area = (box1[2] - box1[0]) * (box1[3] - box1[1]) + (box2[2] - box2[0]) * (box2[3] - box2[1])
        return inter / (area - inter)

    _raises(grader.check_iou, no_clip, "clip the intersection", "at 0")

    def returns_array(box1, box2):
        return np.array([0.5, 0.5])

    _raises(grader.check_iou, returns_array, "single number")


def test_greedy_nms_must_return_integer_indices_and_respect_max_boxes(solution):
    def floats(boxes, scores, max_boxes=10, iou_threshold=0.5):
        return solution.greedy_nms(boxes, scores, max_boxes, iou_threshold).astype(float)

    _raises(grader.check_greedy_nms, floats, "integer indices")

    def too_many(boxes, scores, max_boxes=10, iou_threshold=0.5):
        return solution.greedy_nms(boxes, scores, len(scores), iou_threshold)

    _raises(grader.check_greedy_nms, too_many, "max_boxes is 10")


def test_nms_without_gathered_classes_is_told_to_gather_them():
    def ungathered(scores, boxes, classes, max_boxes=10, iou_threshold=0.5):
        keep = tf.image.non_max_suppression(boxes, scores, max_boxes, iou_threshold=iou_threshold)
        return tf.gather(scores, keep), tf.gather(boxes, keep), classes

    _raises(grader.check_yolo_non_max_suppression, ungathered, "tf.gather(classes, nms_indices)")


def test_unscaled_boxes_are_told_to_use_scale_boxes(solution):
    def unscaled(yolo_outputs, image_shape=(720, 1280), max_boxes=10, score_threshold=.6,
                 iou_threshold=.5):
        xy, wh, confidence, probs = yolo_outputs
        boxes = yolo_boxes_to_corners(xy, wh)
        scores, boxes, classes = solution.yolo_filter_boxes(boxes, confidence, probs,
                                                            score_threshold)
        return solution.yolo_non_max_suppression(scores, boxes, classes, max_boxes,
                                                 iou_threshold)

    _raises(grader.check_yolo_eval, unscaled, "scale_boxes(boxes, image_shape)")


def _anchor_cases():
    """Every (box, anchors, grid_shape, image_shape) the visible and hidden checks use, but the
    one hidden case built on an exact tie."""
    hidden = dict(grader.reference_cases()["assign_anchor"])
    hidden.pop("tie_first_anchor")
    cases = list(visible.visible_cases()["assign_anchor"].values()) + list(hidden.values())
    return [args for args, _ in cases]


def test_the_tie_case_is_an_exact_tie_won_by_the_first_anchor():
    (box, anchors, grid, image), _ = grader.reference_cases()["assign_anchor"]["tie_first_anchor"]
    x, y, w, h = box
    wc, hc = w * grid[1] / image[1], h * grid[0] / image[0]
    inter = np.minimum(wc, anchors[:, 0]) * np.minimum(hc, anchors[:, 1])
    ious = inter / (wc * hc + anchors.prod(axis=1) - inter)
    assert ious[1] == ious[2] == ious.max()
    assert grader.oracle_assign(box, anchors, grid, image) == (9, 9, 1)


def test_the_anchor_cases_separate_the_right_rule_from_the_mistakes():
    """Ties (but one, on purpose) and float borders never decide a case; each wrong rule
    changes some answer."""
    borders = wrong_area = wrong_wh = 0
    for box, anchors, (rows, cols), (height, width) in _anchor_cases():
        x, y, w, h = box
        for formula in (
            lambda v, size, n: v // (size / n),
            lambda v, size, n: np.floor(v * n / size),
            lambda v, size, n: np.floor(v / size * n),
        ):
            assert (
                int(formula(y, height, rows)),
                int(formula(x, width, cols)),
            ) == grader.oracle_assign(box, anchors, (rows, cols), (height, width))[:2], box
        borders += (x * cols / width).is_integer() or (y * rows / height).is_integer()
        wc, hc = w * cols / width, h * rows / height
        inter = np.minimum(wc, anchors[:, 0]) * np.minimum(hc, anchors[:, 1])
        ious = np.sort(inter / (wc * hc + anchors.prod(axis=1) - inter))
        assert ious[-1] - ious[-2] > 1e-6, f"two anchors tie for {box}"
        best = grader.oracle_assign(box, anchors, (rows, cols), (height, width))[2]
        wrong_area += (
            grader.nearest_area_anchor(box, anchors, (rows, cols), (height, width)) != best
        )
        wrong_wh += (
            grader.oracle_assign((x, y, h, w), anchors, (rows, cols), (height, width))[2] != best
        )
    assert borders >= 6 and wrong_area >= 3 and wrong_wh >= 3, (borders, wrong_area, wrong_wh)


@pytest.mark.parametrize("hidden", [False, True])
def test_assign_anchor_hints_name_the_mistake(solution, hidden):
    def swapped_cell(box, anchors, grid_shape, image_shape):
        row, col, anchor = solution.assign_anchor(box, anchors, grid_shape, image_shape)
        return col, row, anchor

    _raises(grader.check_assign_anchor, swapped_cell, "row and column are swapped", hidden=hidden)

    def rounded(box, anchors, grid_shape, image_shape):
        row, col, anchor = solution.assign_anchor(box, anchors, grid_shape, image_shape)
        (height, width), (rows, cols) = image_shape, grid_shape
        return int(round(box[1] * rows / height)), int(round(box[0] * cols / width)), anchor

    _raises(grader.check_assign_anchor, rounded, "use // (floor), not round()", hidden=hidden)

    def swapped_size(box, anchors, grid_shape, image_shape):
        return solution.assign_anchor(
            (box[0], box[1], box[3], box[2]), anchors, grid_shape, image_shape
        )

    _raises(grader.check_assign_anchor, swapped_size, "width and height are swapped", hidden=hidden)

    def as_floats(box, anchors, grid_shape, image_shape):
        return tuple(
            float(v) for v in solution.assign_anchor(box, anchors, grid_shape, image_shape)
        )

    _raises(grader.check_assign_anchor, as_floats, "must be an integer", hidden=hidden)


def test_the_hidden_check_names_the_nearest_area_rule(solution):
    def nearest_area(box, anchors, grid_shape, image_shape):
        row, col, _ = solution.assign_anchor(box, anchors, grid_shape, image_shape)
        return row, col, grader.nearest_area_anchor(box, anchors, grid_shape, image_shape)

    _raises(grader.check_assign_anchor, nearest_area, "anchor", hidden=False)
    _raises(grader.check_assign_anchor, nearest_area, "nearest area", hidden=True)


def test_assign_anchor_agrees_with_the_encoding_figure_on_every_test_frame(solution):
    """The notebook compares the two on one frame; here on every object of 8 test frames."""
    from cnn_course.datasets import road
    from cnn_course.utils import detection_figures as figures

    anchors = road.read_anchors()
    for frame in road.load_annotations("test")[:8]:
        for index, (x0, y0, x1, y1) in enumerate(frame["boxes"]):
            (row, col), anchor, _ = figures.encode_object(frame, index, anchors, grid=19)
            box = ((x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0)
            assert solution.assign_anchor(
                box, anchors, (19, 19), (frame["height"], frame["width"])
            ) == (row, col, anchor)


@pytest.mark.parametrize("hidden", [False, True])
def test_yolo_outputs_unpacked_confidence_first_is_told_the_order(solution, hidden):
    """The original course's order is (box_xy, box_wh, box_confidence, box_class_probs)."""

    def confidence_first(
        yolo_outputs, image_shape=(720, 1280), max_boxes=10, score_threshold=0.6, iou_threshold=0.5
    ):
        confidence, xy, wh, probs = yolo_outputs
        boxes = scale_boxes(yolo_boxes_to_corners(xy, wh), image_shape)
        scores, boxes, classes = solution.yolo_filter_boxes(
            boxes, confidence, probs, score_threshold
        )
        return solution.yolo_non_max_suppression(scores, boxes, classes, max_boxes, iou_threshold)

    _raises(
        grader.check_yolo_eval,
        confidence_first,
        "raised",
        "(box_xy, box_wh, box_confidence, box_class_probs), in this order",
        hidden=hidden,
    )


def test_corner_and_clip_messages(solution):
    def x_first(box_xy, box_wh):
        return np.concatenate([box_xy - box_wh / 2, box_xy + box_wh / 2], axis=-1)

    _raises(grader.check_box_center_to_corners, x_first, "x and y are swapped")

    def in_place(boxes, image_shape):
        np.clip(boxes, 0, None, out=boxes)
        return boxes

    _raises(grader.check_clip_boxes, in_place, "in place")

    def returns_none(boxes, image_shape):
        return None

    _raises(grader.check_clip_boxes, returns_none, "forget to return")


def test_empty_inputs_are_handled_by_the_solution(solution):
    keep = solution.greedy_nms(np.zeros((0, 4)), np.zeros(0))
    assert keep.shape == (0,)
    scores, boxes, classes = solution.yolo_non_max_suppression(np.zeros(0, np.float32),
                                                               np.zeros((0, 4), np.float32),
                                                               np.zeros(0, np.int64))
    assert scores.shape == (0,) and boxes.shape == (0, 4) and classes.shape == (0,)


def test_a_perfect_detectors_features_come_back_as_the_true_boxes(solution):
    """The detector's target encoding, decoded by yolo_head and the solution's yolo_eval, gives the
    boxes back."""
    yolo_model = pytest.importorskip("cnn_course.utils.yolo_model")
    truth = np.array([[0.10, 0.40, 0.30, 0.60], [0.45, 0.42, 0.55, 0.50], [0.70, 0.20, 0.74, 0.60]])
    classes = np.array([2, 7, 0])  # car, truck, person; (x_min, y_min, x_max, y_max) fractions
    anchors = np.array([[0.3, 0.9], [0.9, 2.0], [2.2, 2.6], [3.5, 4.3], [5.4, 8.1]])
    target, _ = yolo_model.encode_targets(truth, classes, anchors, (19, 19))
    feats = yolo_model.features_from_targets(target[None], anchors)
    scores, boxes, out_classes = solution.yolo_eval(yolo_head(feats, anchors, 80), (720, 1280))
    order = np.argsort(np.asarray(boxes)[:, 1])  # left to right, as `truth`
    np.testing.assert_array_equal(np.asarray(out_classes)[order], classes)
    # -> (y_min, x_min, y_max, x_max) pixels
    expected = truth[:, [1, 0, 3, 2]] * [720, 1280, 720, 1280]
    np.testing.assert_allclose(np.asarray(boxes)[order], expected, atol=0.05)
    assert np.all(np.asarray(scores) > 0.99)
