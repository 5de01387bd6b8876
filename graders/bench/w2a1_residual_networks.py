"""``make bench ASSIGNMENT=w2a1_residual_networks``: the notebook in full mode over three seeds.

Goals: test accuracy >= 0.95 (worst of seeds 0, 1, 2), the full notebook (plain-vs-skip
experiment included) within 8 minutes on 2 cores, smoke mode within 90 s; and the
notebook's lesson on every seed: the deep stack with skip connections reaches a higher
test accuracy than the same stack without them.
"""

from __future__ import annotations

from cnn_course.graders.bench import notebook_rows

ASSIGNMENT_ID = "w2a1_residual_networks"
LESSONS = {"skip connections beat the plain stack (test accuracy)":
           lambda m: m["skip_test_accuracy"] > m["plain_test_accuracy"]}


def rows() -> list[dict]:
    return notebook_rows(ASSIGNMENT_ID, goals={"test_accuracy": (">=", 0.95)}, time_goal_s=8 * 60,
                         seeds=(0, 1, 2), smoke_goal_s=90, lessons=LESSONS)
