"""Trainer of the ``resnet50_signs`` weights (``make weights NAME=resnet50_signs``).

It builds the ResNet50 of the W2A1 source solution (``load_functions``), trains it on
SIGNS longer than the notebook does, with a seeded ``tf.data`` pipeline (images kept
``uint8``, converted per batch; random horizontal flips and small translations), Adam with
a cosine-decayed learning rate, and saves the whole model as ``.keras``. The W2A1 notebook
loads and evaluates the file when it is in the cache.
"""

from __future__ import annotations

from pathlib import Path

from cnn_course.utils.runtime import quiet_tensorflow, seed_everything

EPOCHS = 30
BATCH_SIZE = 32
LEARNING_RATE = 1e-3


def _datasets(smoke: bool, seed: int, batch_size: int):
    import keras
    import tensorflow as tf

    from cnn_course.datasets.h5sets import load_signs_dataset

    X_train, Y_train, X_test, Y_test, classes = load_signs_dataset()
    Y_train, Y_test = Y_train[0], Y_test[0]
    if smoke:
        X_train, Y_train, X_test, Y_test = X_train[:8], Y_train[:8], X_test[:8], Y_test[:8]
    augment = keras.Sequential([keras.layers.RandomFlip("horizontal", seed=seed),
                                keras.layers.RandomTranslation(0.1, 0.1, fill_mode="nearest",
                                                               seed=seed)])

    def prepare(x, y):
        return tf.cast(x, tf.float32) / 255.0, tf.one_hot(tf.cast(y, tf.int32), len(classes))

    train = (tf.data.Dataset.from_tensor_slices((X_train, Y_train))
             .shuffle(len(X_train), seed=seed, reshuffle_each_iteration=True)
             .batch(batch_size).map(prepare)
             .map(lambda x, y: (augment(x, training=True), y))
             .prefetch(tf.data.AUTOTUNE))
    test = tf.data.Dataset.from_tensor_slices((X_test, Y_test)).batch(batch_size).map(prepare)
    return train, test.prefetch(tf.data.AUTOTUNE), len(X_train), len(classes)


def train(destination: Path, *, smoke: bool = False, seed: int = 0, verbose: bool = True) -> dict:
    """Train ResNet50 on SIGNS and save it at ``destination`` (.keras); returns its test metrics."""
    quiet_tensorflow()
    import keras
    import numpy as np

    from cnn_course.graders.engine.loading import load_functions

    seed_everything(seed)
    epochs, batch_size = (1, 8) if smoke else (EPOCHS, BATCH_SIZE)
    train_data, test_data, m, num_classes = _datasets(smoke, seed, batch_size)
    model = load_functions("w2a1_residual_networks").ResNet50(input_shape=(64, 64, 3),
                                                              classes=num_classes)
    steps = epochs * int(np.ceil(m / batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, decay_steps=steps)
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="categorical_crossentropy",
                  # smoke: one step, not worth tracing a graph
                  metrics=["accuracy"], run_eagerly=smoke)
    history = model.fit(train_data, validation_data=test_data, epochs=epochs,
                        verbose=2 if verbose else 0, shuffle=False)  # tf.data shuffles
    results = model.evaluate(test_data, verbose=0, return_dict=True)
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    if not destination.name.endswith(".weights.h5"):
        raise ValueError(f"{destination} must end in .weights.h5: students receive weights, "
                         "never the architecture")
    model.save_weights(destination)
    return {"test_accuracy": round(float(results["accuracy"]), 4),
            "test_loss": round(float(results["loss"]), 4),
            "train_accuracy": round(float(history.history["accuracy"][-1]), 4), "epochs": epochs,
            "batch_size": batch_size, "learning_rate": LEARNING_RATE, "train_images": m}
