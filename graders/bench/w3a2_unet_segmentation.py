"""``make bench ASSIGNMENT=w3a2_unet_segmentation``: the notebook in full mode over three seeds.

Reported: the pixel accuracy and the mean IoU on the held-out scenes (the last 20 % of the
pairs, never trained on), the training pixel accuracy, and the held-out IoU of every class
(the notebook shows it as a chart; here the median over the seeds, one row per class);
the full notebook within 8 minutes on 2 cores; smoke mode within 90 s.

:func:`original_recipe` (a ``make bench DIFFICULTY=1`` row) asks a different question: is
the stand-in as easy to learn as the real frames? It trains the course's U-Net as the
original course does and compares the training accuracy with the one the original reports.
"""

from __future__ import annotations

import time

from cnn_course.graders.bench import notebook_rows

ASSIGNMENT_ID = "w3a2_unet_segmentation"
# The original course's training, for original_recipe: all 1,060 pairs, 32 filters,
# batches of 32, Adam at its default rate, 5 epochs; it reports 0.89 training accuracy.
ORIGINAL_TRAIN_ACCURACY = 0.89


def iou_rows(runs: list) -> list[dict]:
    """One row per class: its held-out IoU at the median seed (the notebook's
    ``test_iou_per_class``)."""
    import numpy as np

    per_class = [run.metrics.get("test_iou_per_class") for run in runs]
    if not all(isinstance(found, dict) for found in per_class):
        return [{"assignment": "w3a2", "measure": "held-out IoU per class", "value": "missing",
                 "goal": "shown", "met": False, "note": "a run did not report test_iou_per_class"}]
    rows = []
    for name in per_class[0]:
        values = [found[name] for found in per_class if found.get(name) is not None]
        if values:
            rows.append({"assignment": "w3a2", "measure": f"held-out IoU: {name} (median seed)",
                         "value": round(float(np.median(values)), 3), "goal": "", "met": None,
                         "note": f"min {min(values):.3f} / max {max(values):.3f}, "
                                 f"{len(values)} seeds"})
    return rows


def rows() -> list[dict]:
    return notebook_rows(ASSIGNMENT_ID, goals={}, time_goal_s=8 * 60, seeds=(0, 1, 2),
                         smoke_goal_s=90, run_rows=iou_rows)


def original_recipe(seed: int = 0, epochs: int = 5, n_filters: int = 32, folder=None,
                    limit: int | None = None, verbose: int = 0) -> dict:
    """Train the course's U-Net (the grader's own construction) on the stand-in as the
    original course trains it on the real frames; the running training accuracy of each
    epoch, as Keras reports it and as the original quotes it.

    ``folder`` and ``limit`` (the first pairs only) are for tests; the default uses the
    course's 1,060 pairs.
    """
    import keras

    from cnn_course.datasets import carla
    from cnn_course.graders.w3a2_unet_segmentation import expected_unet

    X, Y = carla.load_small(folder, limit=limit)
    keras.utils.set_random_seed(seed)
    model = expected_unet((*X.shape[1:3], 3), n_filters, carla.NUM_CLASSES)
    model.compile(optimizer=keras.optimizers.Adam(),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    started = time.perf_counter()
    history = model.fit(X.astype("float32") / 255, Y[..., None], batch_size=32, epochs=epochs,
                        shuffle=True, verbose=verbose)
    accuracy = [round(float(a), 4) for a in history.history["accuracy"]]
    return {"pairs": len(X), "epochs": epochs, "filters": n_filters, "train_accuracy": accuracy,
            "seconds": round(time.perf_counter() - started, 1)}


def original_recipe_row(seed: int = 0) -> dict:
    """The ``make bench DIFFICULTY=1`` row of :func:`original_recipe` (several minutes)."""
    result = original_recipe(seed)
    final = result["train_accuracy"][-1]
    return {"assignment": "datasets",
            "measure": "carla: the original course's U-Net recipe, training accuracy "
                       f"after {result['epochs']} epochs", "value": final,
            "goal": f"close to the original's {ORIGINAL_TRAIN_ACCURACY} on the real frames",
            "met": None,
            "note": f"by epoch {result['train_accuracy']}; {result['pairs']} pairs, "
                    f"{result['filters']} filters, "
                    f"batch 32, Adam 0.001, seed {seed}, {result['seconds']:.0f} s"}
