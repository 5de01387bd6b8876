"""``make bench ASSIGNMENT=w1a2_conv_application``: the notebook in full mode, seeds 0, 1 and 2.

The notebook reports ``happy_test_accuracy`` (Happy House test set, 150 faces) and
``signs_val_accuracy`` (SIGNS validation data: the 120 test images, last epoch).
Goals from the issue: at least 0.95 and 0.90 for the worst seed, the whole notebook
under 2 minutes on 2 cores, smoke mode under 40 s.
"""

from __future__ import annotations

from cnn_course.graders.bench import notebook_rows

ASSIGNMENT_ID = "w1a2_conv_application"
GOALS = {"happy_test_accuracy": (">=", 0.95), "signs_val_accuracy": (">=", 0.90)}


def rows() -> list[dict]:
    return notebook_rows(ASSIGNMENT_ID, goals=GOALS, time_goal_s=120, seeds=(0, 1, 2), smoke_goal_s=40)
