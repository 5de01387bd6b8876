"""``make bench`` rows of W2A2: the notebook in full mode over seeds 0, 1, 2, and the
pretrained base.

Goals with the offline base: validation accuracy after fine-tuning at least 0.85 on every
seed and at least 0.15 above the same network trained from scratch on every seed, and the
notebook's lesson on every seed: fine-tuned beats frozen beats from scratch (Keras'
``val_accuracy`` of the last epoch; the ``*_at_0`` metrics count the logit's sign instead
and are reported beside them). With ImageNet weights the notebook should reach 0.97; that
cannot be measured offline, and a row says so. Also the notebook under 4 minutes on 2 cores,
smoke mode under 90 s, and ``make weights`` for the base under 15 minutes (read from the
weights card that ``make weights NAME=mobilenet_v2_source`` writes).
"""

from __future__ import annotations

from cnn_course.graders.bench import notebook_rows

ASSIGNMENT_ID = "w2a2_transfer_learning"


def weights_rows() -> list[dict]:
    """What the pretraining run measured (the card beside the weights), or a row saying it
    is missing."""
    from cnn_course.graders import trainers
    from cnn_course.utils import mobilenet, weights

    source, _, reason = mobilenet.choose_weights(160)
    rows = [{"assignment": "w2a2", "measure": "MobileNetV2 base in use", "value": source,
             "goal": "", "met": None, "note": reason[:200]}]
    card = weights.card(mobilenet.WEIGHTS_NAME)
    if not card:
        rows.append({"assignment": "w2a2", "measure": "make weights NAME=mobilenet_v2_source (s)",
                     "value": "missing", "goal": "<= 900 s", "met": False,
                     "note": trainers.how_to_make("mobilenet_v2_source")})
        return rows
    metrics = card.get("metrics", {})
    rows.append({"assignment": "w2a2", "measure": "make weights NAME=mobilenet_v2_source (s)",
                 "value": card.get("seconds"), "goal": "<= 900 s",
                 "met": (card.get("seconds") or 1e9) <= 900,
                 "note": f"seed {card.get('seed')}, {metrics.get('epochs')} epochs at "
                         f"{metrics.get('image_size')}, trained {card.get('trained')}"})
    rows.append({"assignment": "w2a2", "measure": "source task (12 classes) validation accuracy",
                 "value": metrics.get("val_accuracy"), "goal": "", "met": None,
                 "note": f"{metrics.get('validation_images')} validation pictures; chance 1/12"})
    return rows


def rows() -> list[dict]:
    goals = {"val_accuracy_fine_tuned": (">=", 0.85), "fine_tuned_minus_scratch": (">=", 0.15)}
    derived = {"fine_tuned_minus_scratch":
               lambda m: m["val_accuracy_fine_tuned"] - m["val_accuracy_scratch"]}
    lessons = {"fine-tuned beats frozen beats from scratch (validation accuracy)":
               lambda m: (m["val_accuracy_fine_tuned"] > m["val_accuracy_frozen"]
                          > m["val_accuracy_scratch"])}
    imagenet = {"assignment": "w2a2", "measure": "fine-tuned with ImageNet weights",
                "value": "not measured", "goal": ">= 0.97", "met": None,
                "note": "needs the ImageNet MobileNetV2 weights and the real alpaca photos, "
                        "neither offline"}
    return weights_rows() + notebook_rows(ASSIGNMENT_ID, goals=goals, time_goal_s=240,
                                          seeds=(0, 1, 2), smoke_goal_s=90, derived=derived,
                                          lessons=lessons) + [imagenet]
