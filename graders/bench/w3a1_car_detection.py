"""``make bench ASSIGNMENT=w3a1_car_detection``: the notebook in full mode, and the detector.

Goals: the notebook in full mode within 3 minutes and in smoke mode within
60 s; the detector (``make weights NAME=yolo_road``) trained within 20 minutes on 2 cores,
with mAP@0.5 >= 0.7 for cars on held-out scenes (rows of ``cnn_course.graders.trainers.yolo``).

The notebook reports ``car_recall_test_frames`` (labelled cars of the first test frames
found at IoU >= 0.5 by the student's pipeline) and ``boxes_per_frame``; no goal is set on
them, the detector's quality is measured by mAP below. The notebook uses no random
training, so the three seeds measure the timing spread.
"""

from __future__ import annotations

from cnn_course.graders.bench import notebook_rows

ASSIGNMENT_ID = "w3a1_car_detection"


def detector_rows() -> list[dict]:
    """The detector's rows (training time, mAP@0.5 per class), or one row saying why they
    are missing."""
    try:
        from cnn_course.graders.trainers.yolo import bench_rows
    except ImportError as error:
        return [{"assignment": "w3a1", "measure": "detector (make weights NAME=yolo_road)",
                 "value": "missing", "goal": "", "met": False,
                 "note": f"cnn_course.graders.trainers.yolo: {error}"[:200]}]
    return bench_rows()


def rows() -> list[dict]:
    return notebook_rows(ASSIGNMENT_ID, goals={}, time_goal_s=3 * 60, seeds=(0, 1, 2),
                         smoke_goal_s=60) + detector_rows()
