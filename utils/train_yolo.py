"""Train the W3A1 road-scene detector: ``make weights NAME=yolo_road`` (seeded).

Steps (:func:`train`):

1. anchors: k-means with the distance 1 - IoU on the (width, height) of the 1,200
   training boxes, in cells of the detector's grid (:func:`yolo_model.detector_anchors`);
2. data: the training images resized once (bicubic, as ``preprocess_image``) and kept as
   uint8; each image's targets encoded once for the image and for its mirror image;
3. training: the YOLOv2 loss (:func:`yolo_model.yolo_loss`), Adam with a short warm-up and
   a cosine decay, batches drawn from a seeded permutation each epoch, random horizontal
   flips; uint8 -> float in [0, 1] inside the compiled step;
4. evaluation: AP@0.5 per class and their mean (VOC, all-point interpolation) on the 240
   held-out validation scenes and on the 121 test frames (1280x720, resized to the input);
   the metrics are returned for the weights card.

The result is one ``.keras`` file: the anchors and input size are in the config of the
model's last layer (``YoloOutput``), so ``load_detector`` needs nothing else.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from cnn_course.utils.runtime import quiet_tensorflow, seed_everything

EPOCHS = 10
BATCH_SIZE = 16
LEARNING_RATE = 1.5e-3
WARMUP_STEPS = 100
SMOKE = {"images": 16, "val": 8}  # one step of training, a few validation images


def _encode_all(records, anchors, grid, flip):
    from cnn_course.utils import yolo_model as ym

    targets, true_boxes = [], []
    for record in records:
        b = record["boxes"] / np.array([record["width"], record["height"]] * 2)
        if flip:
            b = np.stack([1 - b[:, 2], b[:, 1], 1 - b[:, 0], b[:, 3]], axis=1)
        t, tb = ym.encode_targets(b, record["classes"], anchors, grid)
        targets.append(t)
        true_boxes.append(tb)
    return np.stack(targets), np.stack(true_boxes)


def train(destination: Path, *, smoke: bool = False, seed: int = 0, verbose: bool = True,
          epochs: int | None = None) -> dict:
    """Train the detector, write it at ``destination`` (.keras) and return its metrics."""
    quiet_tensorflow()
    seed_everything(seed)
    import keras
    import tensorflow as tf

    from cnn_course.utils import yolo_model as ym

    start = time.perf_counter()
    input_size = ym.INPUT_SIZE
    grid = ym.grid_shape(input_size)
    anchors = ym.detector_anchors(input_size)
    images, records = ym.load_split("train", input_size, SMOKE["images"] if smoke else None)
    targets = [_encode_all(records, anchors, grid, flip) for flip in (False, True)]
    if verbose:
        print(f"[yolo] {len(images)} training images at {input_size}, grid {grid}, anchors "
              f"(cells) {np.round(anchors, 2).tolist()}; data ready in "
              f"{time.perf_counter() - start:.0f} s", flush=True)

    model = ym.build_detector(input_size, anchors, ym.NUM_CLASSES)
    epochs = epochs if epochs is not None else (1 if smoke else EPOCHS)
    steps_per_epoch = max(len(images) // BATCH_SIZE, 1)
    total_steps = epochs * steps_per_epoch
    warmup = min(WARMUP_STEPS, max(total_steps // 10, 1))

    def learning_rate(step):
        if step < warmup:
            return LEARNING_RATE * (step + 1) / warmup
        progress = (step - warmup) / max(total_steps - warmup, 1)
        return LEARNING_RATE * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress)))

    optimizer = keras.optimizers.Adam(learning_rate=LEARNING_RATE)
    anchors32 = anchors.astype(np.float32)

    @tf.function(autograph=False)
    def train_step(batch, target, true_boxes, lr):
        optimizer.learning_rate.assign(lr)
        x = tf.cast(batch, tf.float32) / 255.0
        with tf.GradientTape() as tape:
            feats = model(x, training=True)
            loss = ym.yolo_loss(target, true_boxes, feats, anchors32, ym.NUM_CLASSES)
        grads = tape.gradient(loss, model.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 10.0)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    rng = np.random.default_rng(seed)
    step, history = 0, []
    for epoch in range(epochs):
        epoch_start = time.perf_counter()
        order = rng.permutation(len(images))
        flips = rng.random(len(images)) < 0.5
        losses = []
        for b in range(steps_per_epoch):
            idx = np.sort(order[b * BATCH_SIZE:(b + 1) * BATCH_SIZE])
            flip = flips[idx]
            batch = images[idx].copy()
            batch[flip] = batch[flip][:, :, ::-1]
            target = np.where(flip[:, None, None, None, None], targets[1][0][idx], targets[0][0][idx])
            true_boxes = np.where(flip[:, None, None], targets[1][1][idx], targets[0][1][idx])
            loss = train_step(batch, target, true_boxes, tf.constant(learning_rate(step), tf.float32))
            losses.append(float(loss))
            step += 1
        history.append(float(np.mean(losses)))
        if verbose:
            print(f"[yolo] epoch {epoch + 1}/{epochs}: loss {history[-1]:.3f}, "
                  f"{time.perf_counter() - epoch_start:.0f} s (total {time.perf_counter() - start:.0f} s)",
                  flush=True)
    train_seconds = time.perf_counter() - start

    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    # keras appends nothing when the suffix is .keras; the weights registry passes ".partial-<name>.keras"
    model.save(destination)
    detector = ym.Detector(model=model, anchors=anchors, input_size=tuple(input_size),
                           class_names=ym.road.read_classes())
    evaluation = {}
    for split in ("val", "test"):  # held-out scenes: 240 validation images, 121 test frames
        evaluation[split] = ym.evaluate_map(detector, split, 0.5, SMOKE["val"] if smoke else None)
        if verbose:
            print(f"[yolo] AP@0.5 on {split}: "
                  + ", ".join(f"{k} {v:.3f}" for k, v in evaluation[split].items()), flush=True)
    return {
        "input_size": list(input_size), "grid": list(grid), "epochs": epochs,
        "batch_size": BATCH_SIZE, "train_images": len(images),
        "anchors": np.round(anchors, 5).tolist(), "final_loss": round(history[-1], 4),
        "train_seconds": round(train_seconds, 1),
        "val_ap50": {k: round(float(v), 4) for k, v in evaluation["val"].items()},
        "test_ap50": {k: round(float(v), 4) for k, v in evaluation["test"].items()},
    }


def bench_rows() -> list[dict]:
    """``make bench`` rows: the ``make weights`` time and AP@0.5 per class on held-out scenes.

    Reads the weights card when the weights exist (what ``make weights`` measured); trains
    them first otherwise.
    """
    from cnn_course.utils import weights

    info = weights.card("yolo_road")
    if not info or weights.path_if_present("yolo_road") is None:
        weights.make("yolo_road")
        info = weights.card("yolo_road")
    metrics = info.get("metrics", {})
    ap = metrics.get("val_ap50", {})
    minutes = info.get("seconds", float("nan")) / 60
    note = (f"seed {info.get('seed')}, {metrics.get('epochs')} epochs at {metrics.get('input_size')}, "
            f"trained {info.get('trained')}")
    rows = [{"assignment": "w3a1", "measure": "make weights NAME=yolo_road (min, 2 cores)",
             "value": round(minutes, 1), "goal": "< 20", "met": bool(minutes < 20), "note": note}]
    car = ap.get("car")
    rows.append({"assignment": "w3a1", "measure": "detector AP@0.5 car (val, held-out scenes)",
                 "value": car, "goal": ">= 0.7", "met": None if car is None else bool(car >= 0.7),
                 "note": "VOC all-point AP, 240 val images at the detector's input"})
    for name, value in ap.items():
        if name != "car":
            rows.append({"assignment": "w3a1", "measure": f"detector AP@0.5 {name} (val)",
                         "value": value, "goal": "", "met": None})
    test = metrics.get("test_ap50", {})
    for name in ("car", "mAP"):
        if name in test:
            rows.append({"assignment": "w3a1", "measure": f"detector AP@0.5 {name} (121 test frames)",
                         "value": test[name], "goal": "", "met": None,
                         "note": "1280x720 frames resized to the detector's input"})
    return rows
