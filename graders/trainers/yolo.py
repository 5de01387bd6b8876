"""Train the W3A1 road-scene detector: ``make weights NAME=yolo_road`` (seeded).

Steps (:func:`train`):

1. anchors: k-means with the distance 1 - IoU on the (width, height) of the 1,200
   training boxes, in cells of the detector's grid (:func:`yolo_model.detector_anchors`);
2. data: the training images resized once (bicubic, as ``preprocess_image``) and kept as
   uint8;
3. training: the YOLOv2 loss (:func:`detection.yolo_loss`), Adam with a short warm-up and
   a cosine decay, batches drawn from a seeded permutation each epoch. Every image of a
   batch is augmented with a new random draw (:func:`random_frames`): a random window of the
   image, of the image's shape (zoomed in or out, shifted; outside the image is grey),
   mirrored half of the time, with a brightness and contrast change; its boxes are moved
   with the window, cut at its borders, dropped when less than ``MIN_VISIBLE`` of them is
   left, and encoded for the loss. Without it the detector memorises the 1,200 training
   scenes (car AP fell from 0.60 to 0.57 between 10 and 30 epochs). The window is cut and
   resized inside the compiled step (``tf.image.crop_and_resize``);
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

EPOCHS = 40
BATCH_SIZE = 16
LEARNING_RATE = 1.5e-3
WARMUP_STEPS = 100
ZOOM = (0.8, 1.3)      # the window's side is 1 / zoom of the image's: > 1 zooms in
SHIFT = 0.15           # the window's centre moves by up to this fraction of the image
MIN_VISIBLE = 0.4      # a box cut by the window is kept if at least this share of it is left
BRIGHTNESS = 0.1       # added to the [0, 1] pixels, uniform in [-BRIGHTNESS, BRIGHTNESS]
CONTRAST = (0.8, 1.2)  # factor around each image's mean
SMOKE = {"images": 16, "val": 8}  # one step of training, a few validation images


def random_frames(rng: np.random.Generator, boxes: list[np.ndarray]):
    """Random windows for a batch and the boxes seen through them.

    Arguments:
    rng -- the seeded generator
    boxes -- one (n_i, 4) array per image: (x_min, y_min, x_max, y_max), fractions of the image

    Returns:
    windows -- (m, 4) float32 (y1, x1, y2, x2) for ``tf.image.crop_and_resize`` (x1 > x2 when
               the window is mirrored; coordinates may leave [0, 1]: the image is zoomed out)
    kept -- one (index array, (k_i, 4) boxes in the window's fractions) pair per image
    """
    m = len(boxes)
    side = 1.0 / rng.uniform(*ZOOM, size=m)
    centre = 0.5 + rng.uniform(-SHIFT, SHIFT, size=(m, 2))
    mirror = rng.random(m) < 0.5
    origin = centre - side[:, None] / 2
    windows = np.empty((m, 4), dtype=np.float32)
    kept = []
    for i, b in enumerate(boxes):
        x0, y0 = origin[i]
        moved = (np.asarray(b, dtype=np.float64).reshape(-1, 4) - [x0, y0, x0, y0]) / side[i]
        cut = moved.clip(0.0, 1.0)
        area = (moved[:, 2] - moved[:, 0]) * (moved[:, 3] - moved[:, 1])
        cut_area = (cut[:, 2] - cut[:, 0]) * (cut[:, 3] - cut[:, 1])
        index = np.flatnonzero((cut_area >= MIN_VISIBLE * area) & (cut[:, 2] - cut[:, 0] > 1e-3)
                               & (cut[:, 3] - cut[:, 1] > 1e-3))
        cut = cut[index]
        x1, x2 = x0, x0 + side[i]
        if mirror[i]:
            cut = np.stack([1 - cut[:, 2], cut[:, 1], 1 - cut[:, 0], cut[:, 3]], axis=1)
            x1, x2 = x2, x1
        windows[i] = [y0, x1, y0 + side[i], x2]
        kept.append((index, cut))
    return windows, kept


def train(destination: Path, *, smoke: bool = False, seed: int = 0, verbose: bool = True,
          epochs: int | None = None) -> dict:
    """Train the detector, write it at ``destination`` (.keras) and return its metrics."""
    quiet_tensorflow()
    seed_everything(seed)
    import keras
    import tensorflow as tf

    from cnn_course.graders.trainers import detection
    from cnn_course.utils import yolo_model as ym

    start = time.perf_counter()
    input_size = ym.INPUT_SIZE
    grid = ym.grid_shape(input_size)
    anchors = ym.detector_anchors(input_size)
    images, records = ym.load_split("train", input_size, SMOKE["images"] if smoke else None)
    fractions = [ym.box_fractions(r) for r in records]
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
    def train_step(batch, windows, jitter, target, true_boxes, lr):
        optimizer.learning_rate.assign(lr)
        x = tf.cast(batch, tf.float32) / 255.0
        x = tf.image.crop_and_resize(x, windows, tf.range(tf.shape(x)[0]), input_size,
                                     extrapolation_value=0.5)
        mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
        x = (x - mean) * jitter[:, None, None, 1:2] + mean + jitter[:, None, None, 0:1]
        x = tf.clip_by_value(x, 0.0, 1.0)
        with tf.GradientTape() as tape:
            feats = model(x, training=True)
            loss = detection.yolo_loss(target, true_boxes, feats, anchors32, ym.NUM_CLASSES)
        grads = tape.gradient(loss, model.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 10.0)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    rng = np.random.default_rng(seed)
    step, history = 0, []
    for epoch in range(epochs):
        epoch_start = time.perf_counter()
        order = rng.permutation(len(images))
        losses = []
        for b in range(steps_per_epoch):
            idx = np.sort(order[b * BATCH_SIZE:(b + 1) * BATCH_SIZE])
            windows, kept = random_frames(rng, [fractions[i] for i in idx])
            encoded = [ym.encode_targets(cut, records[i]["classes"][index], anchors, grid)
                       for i, (index, cut) in zip(idx, kept, strict=True)]
            jitter = np.stack([rng.uniform(-BRIGHTNESS, BRIGHTNESS, len(idx)),
                               rng.uniform(*CONTRAST, len(idx))], axis=1).astype(np.float32)
            loss = train_step(images[idx], windows, jitter, np.stack([t for t, _ in encoded]),
                              np.stack([tb for _, tb in encoded]),
                              tf.constant(learning_rate(step), tf.float32))
            losses.append(float(loss))
            step += 1
        history.append(float(np.mean(losses)))
        if verbose:
            print(f"[yolo] epoch {epoch + 1}/{epochs}: loss {history[-1]:.3f}, "
                  f"{time.perf_counter() - epoch_start:.0f} s "
                  f"(total {time.perf_counter() - start:.0f} s)",
                  flush=True)
    train_seconds = time.perf_counter() - start

    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    # keras appends nothing when the suffix is .keras; the weights registry passes
    # ".partial-<name>.keras"
    model.save(destination)
    detector = ym.Detector(model=model, anchors=anchors, input_size=tuple(input_size),
                           class_names=ym.road.read_classes())
    evaluation = {}
    for split in ("val", "test"):  # held-out scenes: 240 validation images, 121 test frames
        evaluation[split] = detection.evaluate_map(detector, split, 0.5,
                                                   SMOKE["val"] if smoke else None)
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
        from cnn_course.graders import trainers

        trainers.make("yolo_road")
        info = weights.card("yolo_road")
    metrics = info.get("metrics", {})
    ap = metrics.get("val_ap50", {})
    minutes = info.get("seconds", float("nan")) / 60
    note = (f"seed {info.get('seed')}, {metrics.get('epochs')} epochs at "
            f"{metrics.get('input_size')}, "
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
            rows.append({"assignment": "w3a1",
                         "measure": f"detector AP@0.5 {name} (121 test frames)",
                         "value": test[name], "goal": "", "met": None,
                         "note": "1280x720 frames resized to the detector's input"})
    return rows
