"""Pretrain a MobileNetV2 base offline, on the 12-class source task (``make weights``).

When the ImageNet weights of MobileNetV2 cannot be downloaded, W2A2 adapts this
base instead: the full MobileNetV2 (alpha 1.0, 2,257,984 parameters, the
architecture ``keras.applications`` builds) trained from random initialisation
on ``pretrain_source`` (12 classes x 500 pictures, no alpacas), seeded.

- Resolution: 128x128, the source pictures' own size. A MobileNetV2 has no
  weight that depends on the input size, so the notebook loads the same weights
  into a 160x160 base, and training at 128 costs less than at 160 (training times are
  in docs/results.md).
- Pixels go through ``Rescaling(1 / 127.5, offset=-1)``, which is exactly
  ``mobilenet_v2.preprocess_input``: the notebook's preprocessing matches.
- Augmentation: flips, small rotations, zooms, shifts and contrast changes.
- Batch normalisation momentum 0.9 instead of Keras' 0.999: with a few thousand
  steps the slow moving averages would lag behind the weights, and the base is
  used in inference mode (``training=False``) in the notebook.
- Adam with a warm-up then cosine decay, label smoothing 0.1.

The file written is the whole source classifier's weights
(:func:`cnn_course.utils.mobilenet.source_classifier`): its base for transfer,
its 12-class head so the notebook can show what the base saw before adapting it.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from cnn_course.utils.runtime import quiet_tensorflow

IMAGE_SIZE = (128, 128)
EPOCHS = 8  # more pictures and fewer epochs: the base transfers better (README, W2A2)
BATCH_SIZE = 32
PEAK_LEARNING_RATE = 2e-3
WARMUP_EPOCHS = 2
BN_MOMENTUM = 0.9
LABEL_SMOOTHING = 0.1


def _arrays(dataset):
    """A batched (images, labels) dataset as uint8 images and int labels in memory."""
    import numpy as np

    xs, ys = [], []
    for x, y in dataset:
        xs.append(x.numpy().round().clip(0, 255).astype(np.uint8))
        ys.append(y.numpy())
    return np.concatenate(xs), np.concatenate(ys)


def _augmenter(seed: int):
    import keras

    return keras.Sequential([
        keras.layers.RandomFlip("horizontal", seed=seed),
        keras.layers.RandomRotation(0.06, fill_mode="reflect", seed=seed + 1),
        keras.layers.RandomZoom((-0.25, 0.15), fill_mode="reflect", seed=seed + 2),
        keras.layers.RandomTranslation(0.1, 0.1, fill_mode="reflect", seed=seed + 3),
        keras.layers.RandomContrast(0.2, seed=seed + 4),
    ], name="pretrain_augmentation")


def train(destination: Path, *, smoke: bool = False, seed: int = 0, verbose: bool = True,
          epochs: int | None = None) -> dict:
    """Pretrain the source classifier; write its weights at ``destination`` and return its metrics.

    ``smoke=True``: 64 training pictures, 1 epoch of 2 steps (proves the script runs).
    """
    quiet_tensorflow()
    import keras
    import tensorflow as tf

    from cnn_course.datasets.alpaca import PRETRAIN_CLASSES, load_pretrain_source
    from cnn_course.utils.mobilenet import source_classifier

    keras.utils.set_random_seed(seed)
    started = time.perf_counter()
    train_ds, val_ds = load_pretrain_source(image_size=IMAGE_SIZE, batch_size=64)
    if list(train_ds.class_names) != list(PRETRAIN_CLASSES):
        raise ValueError(f"unexpected source classes {train_ds.class_names}, "
                         f"expected {PRETRAIN_CLASSES}")
    if smoke:  # one batch of each: 64 pictures to train on, 64 to validate
        train_ds, val_ds = train_ds.take(1), val_ds.take(1)
    (x_train, y_train), (x_val, y_val) = _arrays(train_ds), _arrays(val_ds)
    epochs = 1 if smoke else (epochs or EPOCHS)
    steps_per_epoch = math.ceil(len(x_train) / BATCH_SIZE)
    augment = _augmenter(seed)

    def to_float(x, y):
        return tf.cast(x, tf.float32), tf.one_hot(y, len(PRETRAIN_CLASSES))

    train_data = (tf.data.Dataset.from_tensor_slices((x_train, y_train))
                  .shuffle(len(x_train), seed=seed, reshuffle_each_iteration=True)
                  .batch(BATCH_SIZE).map(to_float)
                  .map(lambda x, y: (augment(x, training=True), y),
                       num_parallel_calls=tf.data.AUTOTUNE)
                  .prefetch(tf.data.AUTOTUNE))
    val_data = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(64).map(to_float)
    if smoke:
        train_data = train_data.take(2)

    model = source_classifier((*IMAGE_SIZE, 3))
    for layer in model.get_layer("mobilenet_v2_base").layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = BN_MOMENTUM
    total_steps = epochs * steps_per_epoch
    warmup = min(WARMUP_EPOCHS * steps_per_epoch, total_steps // 4)
    schedule = keras.optimizers.schedules.CosineDecay(
        PEAK_LEARNING_RATE / 10, max(1, total_steps - warmup), alpha=0.01,
        warmup_target=PEAK_LEARNING_RATE, warmup_steps=warmup)
    model.compile(optimizer=keras.optimizers.Adam(schedule),
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=LABEL_SMOOTHING),
                  metrics=["accuracy"])
    # Validation runs once, after the last epoch: it changes nothing in the training, and
    # running it after every epoch spent part of the 15-minute budget.
    history = model.fit(train_data, validation_data=val_data, validation_freq=epochs, epochs=epochs,
                        verbose=2 if verbose else 0, shuffle=False)  # the dataset reshuffles itself
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    model.save_weights(destination)
    val_accuracy = float(history.history["val_accuracy"][-1])
    return {
        "image_size": list(IMAGE_SIZE), "epochs": epochs, "train_images": int(len(x_train)),
        "validation_images": int(len(x_val)), "classes": list(PRETRAIN_CLASSES),
        "train_accuracy": round(float(history.history["accuracy"][-1]), 4),
        "val_accuracy": round(val_accuracy, 4),
        "seconds": round(time.perf_counter() - started, 1),
    }
