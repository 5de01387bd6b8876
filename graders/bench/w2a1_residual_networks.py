"""``make bench ASSIGNMENT=w2a1_residual_networks``: the notebook in full mode over three seeds.

Goals from the issue: test accuracy >= 0.95 (worst of seeds 0, 1, 2), the full notebook
(plain-vs-skip experiment included) within 8 minutes on 2 cores, smoke mode within 90 s.
"""

from __future__ import annotations

from cnn_course.graders.bench import notebook_rows

ASSIGNMENT_ID = "w2a1_residual_networks"


def rows() -> list[dict]:
    return notebook_rows(ASSIGNMENT_ID, goals={"test_accuracy": (">=", 0.95)}, time_goal_s=8 * 60,
                         seeds=(0, 1, 2), smoke_goal_s=90)
