"""How hard is each stand-in? A model that sees raw pixels one way against a small CNN.

The design asks that a stand-in be a real learning problem: a linear model on raw pixels
(for segmentation, a classifier of single pixels' colours) must be far behind a small CNN.
Each function here trains both on one dataset, seeded, and returns their scores;
``make bench DIFFICULTY=1`` writes them to ``docs/results.md`` (:func:`rows`).

- :func:`h5_difficulty`: Happy House and SIGNS, logistic regression against a small CNN;
- :func:`alpaca_difficulty`: alpaca / not alpaca and the pretraining source, the same pair;
- :func:`carla_difficulty`: the CARLA-style scenes, a per-pixel colour classifier against
  :func:`small_unet`, with two answers that look at no pixel (the majority class and the most
  frequent class at each position).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np

from cnn_course.utils import quiet_tensorflow


def _keras():
    quiet_tensorflow()
    import keras

    return keras


# ----------------------------------------------------------------------------- Happy House, SIGNS

def h5_difficulty(name: str, folder: Path | None = None, epochs=(50, 15), seed: int = 0) -> dict:
    """Test accuracy of a logistic regression on raw pixels and of a small CNN.

    ``name`` is "happy" or "signs"; ``epochs`` = (logistic, cnn), or one int for both.
    Inputs are scaled to [0, 1]. Logistic regression: Flatten -> Dense(1, sigmoid) or
    Dense(6, softmax), Adam 1e-3, batch 32. CNN: three 3x3 conv (16, 32, 64) + 2x2 max-pool
    stages, Dense(64), the same head, Adam 1e-3, batch 16. Both are seeded with
    ``keras.utils.set_random_seed``. Returns {"logistic": acc, "cnn": acc, "logistic_train":
    acc, "cnn_train": acc, "epochs": (e_log, e_cnn), "seconds": {"logistic": s, "cnn": s}}.
    """
    from cnn_course.datasets import h5sets

    loaders = {"happy": h5sets.load_happy_dataset, "signs": h5sets.load_signs_dataset}
    if name not in loaders:
        raise ValueError(f"h5_difficulty knows {sorted(loaders)}, not {name!r}")
    keras = _keras()

    e_log, e_cnn = (epochs, epochs) if np.isscalar(epochs) else epochs
    x_train, y_train, x_test, y_test, classes = loaders[name](folder)
    x_train, x_test = x_train.astype("float32") / 255, x_test.astype("float32") / 255
    y_train, y_test = y_train.ravel(), y_test.ravel()
    binary = len(classes) == 2
    loss = "binary_crossentropy" if binary else "sparse_categorical_crossentropy"

    def fit(body: list, n_epochs: int, lr: float, batch_size: int) -> tuple[float, float, float]:
        keras.utils.set_random_seed(seed)
        inputs = keras.Input((64, 64, 3))
        z = inputs
        for layer in body:
            z = layer(z)
        z = (keras.layers.Dense(1, activation="sigmoid") if binary
             else keras.layers.Dense(len(classes), activation="softmax"))(z)
        model = keras.Model(inputs, z)
        model.compile(keras.optimizers.Adam(lr), loss=loss, metrics=["accuracy"])
        started = time.perf_counter()
        model.fit(x_train, y_train, epochs=n_epochs, batch_size=batch_size, verbose=0)
        seconds = time.perf_counter() - started
        train_acc = model.evaluate(x_train, y_train, verbose=0)[1]
        test_acc = model.evaluate(x_test, y_test, verbose=0)[1]
        return float(train_acc), float(test_acc), seconds

    log_train, log_test, log_s = fit([keras.layers.Flatten()], e_log, 1e-3, 32)
    cnn_body = [  # three conv/pool stages, then a dense layer over the 8 x 8 x 64 map
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
    ]
    cnn_train, cnn_test, cnn_s = fit(cnn_body, e_cnn, 1e-3, 16)
    return {"logistic": log_test, "cnn": cnn_test, "logistic_train": log_train,
            "cnn_train": cnn_train, "epochs": (e_log, e_cnn),
            "seconds": {"logistic": round(log_s, 1), "cnn": round(cnn_s, 1)}}


# ----------------------------------------------------------------------------- alpaca

def _arrays(datasets) -> list[tuple[np.ndarray, np.ndarray]]:
    """(x float32 in [0, 1], y) of each tf.data split, in the order they are read."""
    out = []
    for ds in datasets:
        xs, ys = [], []
        for x, y in ds:
            xs.append(x.numpy() / 255.0)
            ys.append(y.numpy())
        out.append((np.concatenate(xs).astype(np.float32), np.concatenate(ys)))
    return out


def alpaca_difficulty(name: str = "alpaca", folder: Path | None = None, seed: int = 0,
                      image_size=(64, 64), linear_epochs: int | None = None,
                      cnn_epochs: int | None = None) -> dict:
    """Train a linear model on raw pixels and a small CNN on the course's split; report accuracies.

    For "alpaca" (binary) and "pretrain_source" (12 classes). Returns a dict with the
    training / validation accuracy of each model, its epochs and seconds.
    """
    from cnn_course.datasets import alpaca

    if name not in ("alpaca", "pretrain_source"):
        raise ValueError(f"alpaca_difficulty knows 'alpaca' and 'pretrain_source', not {name!r}")
    keras = _keras()

    small = name == "alpaca"  # 262 training images; the pretraining task has 4,800
    linear_epochs = linear_epochs or (100 if small else 10)
    cnn_epochs = cnn_epochs or (20 if small else 5)
    load = alpaca.load_alpaca_datasets if small else alpaca.load_pretrain_source
    train, val = load(image_size=image_size, batch_size=64, folder=folder)
    (x_train, y_train), (x_val, y_val) = _arrays((train, val))
    num_classes = len(train.class_names)
    binary = num_classes == 2
    units, activation = (1, "sigmoid") if binary else (num_classes, "softmax")
    loss = "binary_crossentropy" if binary else "sparse_categorical_crossentropy"
    majority = float(np.bincount(y_val).max() / len(y_val))
    result = {"name": name, "image_size": tuple(image_size), "train": len(y_train),
              "validation": len(y_val), "num_classes": num_classes, "majority": majority}

    def run(label, build, epochs, batch_size, lr):
        keras.utils.set_random_seed(seed)
        model = build()
        steps = epochs * math.ceil(len(y_train) / batch_size)
        schedule = keras.optimizers.schedules.CosineDecay(lr, steps, alpha=0.05)
        model.compile(optimizer=keras.optimizers.Adam(schedule), loss=loss, metrics=["accuracy"])
        started = time.perf_counter()
        history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=epochs,
                            batch_size=batch_size, verbose=0)
        result[label] = {
            "epochs": epochs, "seconds": round(time.perf_counter() - started, 1),
            "train_accuracy": round(float(history.history["accuracy"][-1]), 3),
            "val_accuracy": round(float(history.history["val_accuracy"][-1]), 3),
            "best_val_accuracy": round(float(max(history.history["val_accuracy"])), 3),
        }

    def linear():
        inputs = keras.Input((*image_size, 3))
        outputs = keras.layers.Dense(units, activation=activation)(keras.layers.Flatten()(inputs))
        return keras.Model(inputs, outputs)

    def cnn():
        inputs = keras.Input((*image_size, 3))
        x = keras.layers.RandomFlip("horizontal")(inputs)
        for filters in (16, 32, 64, 128):
            x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
            x = keras.layers.BatchNormalization(momentum=0.9)(x)
            x = keras.layers.ReLU()(x)
            x = keras.layers.MaxPooling2D()(x)
        x = keras.layers.GlobalAveragePooling2D()(x)
        x = keras.layers.Dropout(0.3)(x)
        outputs = keras.layers.Dense(units, activation=activation)(x)
        return keras.Model(inputs, outputs)

    run("linear", linear, linear_epochs, 32, 1e-3)
    run("cnn", cnn, cnn_epochs, 32, 2e-3)
    return result


# ----------------------------------------------------------------------------- CARLA

def carla_scores(truth: np.ndarray, predicted: np.ndarray) -> dict:
    """Pixel accuracy, mean IoU over the classes present in the truth or the prediction, and
    the IoU of each of those classes by name (rounded to 3 digits)."""
    from cnn_course.datasets.carla import CLASS_NAMES, NUM_CLASSES
    from cnn_course.utils.segmentation import segmentation_scores

    scores = segmentation_scores(truth, predicted, NUM_CLASSES)
    iou = scores["iou"]
    return {"pixel_accuracy": scores["pixel_accuracy"], "mean_iou": scores["mean_iou"],
            "iou": {CLASS_NAMES[c]: round(float(iou[c]), 3)
                    for c in np.flatnonzero(~np.isnan(iou))}}


def small_unet(input_shape=(96, 128, 3), n_filters: int = 16, levels: int = 3,
               n_classes: int = 23, batch_norm: bool = True):
    """A small U-Net that outputs logits: ``levels`` resolutions, two 3x3 convolutions each
    (with batch normalisation by default, so that a few epochs on a CPU suffice)."""
    keras = _keras()
    layers = keras.layers

    def convs(x, filters):
        for _ in range(2):
            x = layers.Conv2D(filters, 3, padding="same", use_bias=not batch_norm,
                              kernel_initializer="he_normal")(x)
            if batch_norm:
                x = layers.BatchNormalization()(x)
            x = layers.Activation("relu")(x)
        return x

    inputs = keras.Input(input_shape)
    x = layers.Rescaling(1 / 255)(inputs)
    skips = []
    for level in range(levels - 1):
        x = convs(x, n_filters * 2**level)
        skips.append(x)
        x = layers.MaxPooling2D(2)(x)
    x = convs(x, n_filters * 2 ** (levels - 1))
    for level in reversed(range(levels - 1)):
        x = layers.Conv2DTranspose(n_filters * 2**level, 3, strides=2, padding="same")(x)
        x = convs(layers.Concatenate()([x, skips[level]]), n_filters * 2**level)
    outputs = layers.Conv2D(n_classes, 1)(x)
    return keras.Model(inputs, outputs, name="small_unet")


def carla_difficulty(folder: Path | None = None, seed: int = 0, n_train: int = 800,
                     epochs: int = 6, n_filters: int = 16, batch_size: int = 8,
                     colour_epochs: int = 4, models=("colour", "unet"), verbose: int = 0) -> dict:
    """Train on the first ``n_train`` pairs, score on the rest (held out), all at 96x128.

    - ``colour``: an MLP (3 -> 32 -> 32 -> 23) on the RGB value of single pixels (400,000
      training pixels): what colour alone tells;
    - ``unet``: :func:`small_unet` (3 levels, ``n_filters`` filters), ``epochs`` epochs.

    Returns {"majority", "position", "colour", "unet", "class_frequency", ...}: pixel
    accuracy, mean IoU, per-class IoU and training seconds of each model, and of two answers
    that look at no pixel: always the most frequent class ("majority"), and at each pixel
    position the class most frequent there in the training masks ("position": what the
    layout of the scenes alone tells).
    """
    from cnn_course.datasets.carla import CLASS_NAMES, NUM_CLASSES, load_small

    keras = _keras()
    X, Y = load_small(folder)
    X_train, Y_train, X_test, Y_test = X[:n_train], Y[:n_train], X[n_train:], Y[n_train:]
    if len(X_test) == 0:
        raise ValueError(f"n_train={n_train} leaves no held-out pairs out of {len(X)}")
    frequency = np.bincount(Y.ravel(), minlength=NUM_CLASSES) / Y.size
    majority = int(np.argmax(np.bincount(Y_train.ravel(), minlength=NUM_CLASSES)))
    result = {"n_train": len(X_train), "n_test": len(X_test),
              "class_frequency": {CLASS_NAMES[c]: round(float(frequency[c]), 4)
                                  for c in range(NUM_CLASSES)},
              "majority": carla_scores(Y_test, np.full_like(Y_test, majority))}
    # the most frequent class at each pixel position of the training masks
    classes = np.arange(NUM_CLASSES, dtype=np.uint8)
    at = (Y_train[..., None] == classes).sum(0).argmax(-1)  # (96, 128)
    result["position"] = carla_scores(Y_test, np.broadcast_to(at, Y_test.shape))
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    if "colour" in models:
        keras.utils.set_random_seed(seed)
        pick = np.random.default_rng(seed).choice(Y_train.size, size=min(Y_train.size, 400_000),
                                                  replace=False)
        pixels = X_train.reshape(-1, 3)[pick].astype(np.float32) / 255  # (400000, 3)
        colour = keras.Sequential([keras.Input((3,)), keras.layers.Dense(32, activation="relu"),
                                   keras.layers.Dense(32, activation="relu"),
                                   keras.layers.Dense(NUM_CLASSES)])
        colour.compile(optimizer=keras.optimizers.Adam(3e-3), loss=loss)
        started = time.perf_counter()
        colour.fit(pixels, Y_train.ravel()[pick], batch_size=1024, epochs=colour_epochs,
                   verbose=verbose)
        seconds = time.perf_counter() - started
        logits = colour.predict(X_test.reshape(-1, 3).astype(np.float32) / 255, batch_size=65536,
                                verbose=0)
        result["colour"] = {**carla_scores(Y_test, logits.argmax(-1)), "epochs": colour_epochs,
                            "seconds": round(seconds, 1)}

    if "unet" in models:
        keras.utils.set_random_seed(seed)
        unet = small_unet(X.shape[1:], n_filters=n_filters, n_classes=NUM_CLASSES)
        unet.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss)
        started = time.perf_counter()
        unet.fit(X_train, Y_train, batch_size=batch_size, epochs=epochs, verbose=verbose)
        seconds = time.perf_counter() - started
        predicted = unet.predict(X_test, batch_size=32, verbose=0).argmax(-1)
        result["unet"] = {**carla_scores(Y_test, predicted), "epochs": epochs,
                          "seconds": round(seconds, 1), "filters": n_filters,
                          "batch_size": batch_size}
    return result


# ----------------------------------------------------------------------------- bench rows

MEASURES = (  # (label, what trains): every dataset of the course
    ("happy", lambda: h5_difficulty("happy")),
    ("signs", lambda: h5_difficulty("signs")),
    ("alpaca", lambda: alpaca_difficulty("alpaca")),
    ("carla", lambda: carla_difficulty()),
)


def rows() -> list[dict]:
    """One bench row per dataset: its scores as JSON, and how long the training took."""
    out = []
    for label, run in MEASURES:
        print(f"[bench] difficulty of {label} (trains two models)", flush=True)
        start = time.perf_counter()
        result = run()
        out.append({"assignment": "datasets", "measure": f"{label}: linear vs CNN",
                    "value": json.dumps(result, default=str)[:300],
                    "goal": "CNN >= 20 points ahead", "met": None,
                    "note": f"{time.perf_counter() - start:.0f} s"})
    return out
