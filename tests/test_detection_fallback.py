"""W3A1 without the detector's weights: the ground truth, encoded as the detector's output,
comes back.

The notebook's last section then encodes each frame's labelled boxes with
``yolo_model.ground_truth_features`` (the course's 19x19 grid and 5 anchors) and decodes them
with ``yolo_head`` and the student's ``yolo_eval``. Here the source solution's ``yolo_eval``
must give back the labelled boxes (IoU > 0.9, same class) on the frames the notebook shows.
"""

from __future__ import annotations

import numpy as np
import pytest

from cnn_course.utils.runtime import quiet_tensorflow

quiet_tensorflow()

from cnn_course.datasets import road  # noqa: E402
from cnn_course.graders.engine.loading import load_functions  # noqa: E402
from cnn_course.graders.w3a1_car_detection import iou_matrix  # noqa: E402
from cnn_course.utils import yolo_model  # noqa: E402
from cnn_course.utils.yolo import read_anchors, yolo_head  # noqa: E402

GRID = (19, 19)
IMAGE_SHAPE = (720, 1280)  # (height, width) of the test frames
NOTEBOOK_FRAMES = ["test.jpg", "0001.jpg", "0002.jpg", "0003.jpg", "0004.jpg", "0005.jpg",
                   "0006.jpg"]


@pytest.fixture(scope="module")
def solution():
    return load_functions("w3a1_car_detection")


@pytest.fixture(scope="module")
def frames():
    return {r["file"].name: r for r in road.load_annotations("test")}


def _through_yolo_eval(solution, record, **settings):
    """The frame's labelled boxes, encoded, decoded by yolo_head and the solution's yolo_eval
    (numpy)."""
    anchors = read_anchors()
    feats = yolo_model.ground_truth_features(record, anchors, GRID)
    scores, boxes, classes = solution.yolo_eval(yolo_head(feats, anchors, yolo_model.NUM_CLASSES),
                                                IMAGE_SHAPE, **settings)
    return np.asarray(scores), np.asarray(boxes), np.asarray(classes)


def _matches(record, boxes, classes):
    """For each returned box, the index of the labelled box it is (IoU > 0.9, same class); fails
    otherwise."""
    # -> (y_min, x_min, y_max, x_max) pixels, as yolo_eval returns
    truth = record["boxes"][:, [1, 0, 3, 2]]
    overlaps = iou_matrix(boxes, truth)  # IoU does not depend on which axis comes first
    index = overlaps.argmax(axis=1)
    assert np.all(overlaps[np.arange(len(boxes)), index] > 0.9), overlaps.max(axis=1)
    np.testing.assert_array_equal(classes, record["classes"][index])
    assert len(set(index.tolist())) == len(index), "each labelled box comes back once"
    return index


def test_ground_truth_features_hold_a_confident_score_at_each_box_and_near_zero_elsewhere(frames):
    record = frames["test.jpg"]
    anchors = read_anchors()
    feats = yolo_model.ground_truth_features(record, anchors, GRID)
    assert feats.shape == (1, 19, 19, 5 * 85) and feats.dtype == np.float32
    _, _, confidence, probs = yolo_head(feats, anchors, yolo_model.NUM_CLASSES)
    best = (confidence * probs).numpy().max(axis=-1).ravel()
    confident = np.sort(best[best > 0.5])
    assert len(confident) == len(record["classes"])
    assert confident[0] == pytest.approx(0.90, abs=0.01)
    assert confident[-1] == pytest.approx(0.99, abs=1e-4)
    assert best[best <= 0.5].max() < 1e-6


@pytest.mark.parametrize("name", NOTEBOOK_FRAMES)
def test_the_solutions_yolo_eval_gives_every_labelled_box_back(solution, frames, name):
    record = frames[name]
    n = len(record["classes"])
    scores, boxes, classes = _through_yolo_eval(solution, record, max_boxes=n, score_threshold=0.6,
                                                iou_threshold=0.5)
    assert len(scores) == n, f"{len(scores)} boxes for {n} labelled ones"
    index = _matches(record, boxes, classes)
    assert sorted(index.tolist()) == list(range(n))


def test_with_the_course_settings_the_largest_labelled_boxes_come_first(solution, frames):
    record = frames["test.jpg"]  # 12 labelled boxes, max_boxes 10
    scores, boxes, classes = _through_yolo_eval(solution, record)
    assert len(scores) == 10 and np.all(np.diff(scores) < 0) and scores.min() > 0.89
    index = _matches(record, boxes, classes)
    x0, y0, x1, y1 = record["boxes"].T
    largest = np.argsort(-(x1 - x0) * (y1 - y0))[:10]
    assert set(index.tolist()) == set(largest.tolist())


def test_the_busiest_frame_keeps_only_true_boxes(solution, frames):
    """The stages figure's frame: a cell holds at most 5 boxes and NMS removes big overlaps; all
    kept are true."""
    record = max(frames.values(), key=lambda r: (r["classes"] == 2).sum())
    scores, boxes, classes = _through_yolo_eval(solution, record, max_boxes=len(record["classes"]))
    assert len(scores) >= len(record["classes"]) - 3
    _matches(record, boxes, classes)
