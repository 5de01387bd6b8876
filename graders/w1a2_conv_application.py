"""Hidden checks of W1A2, convolutional models in TensorFlow (instructor-only).

Each graded function ``f`` of the notebook has ``check_f(fn, hidden=False)``:

- ``hidden=False`` runs the visible check, ``cnn_course.checks.w1a2_conv_application.check_f``
  (fixed inputs, printed values, the layers of each model as the specification gives them);
- ``hidden=True`` runs the hidden cases: other shapes and settings, compared with
  independent oracles (one-hot columns and scaled images computed here), a few
  training steps on a tiny batch (the loss must fall), and the reference outputs in
  ``graders/reference/`` (models get fixed, seeded weights and fixed inputs).

Every check raises :class:`CheckFailure` with a sentence on the first problem
and returns None when the function is right.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from cnn_course.checks import w1a2_conv_application as visible
from cnn_course.checks._checking import CheckFailure, expect_close, rng_for, seed
from cnn_course.checks._keras_checks import build_model
from cnn_course.checks.w1a2_conv_application import (
    GLOROT,
    dataset_arrays,
    dataset_input,
    one_hot_input,
    shuffled_orders,
    verify_convert_to_one_hot,
    verify_convolutional_model,
    verify_happyModel,
    verify_unshuffled,
)
from cnn_course.graders import reference
from cnn_course.graders.authoring.mutants import Mutant, mutant

ASSIGNMENT_ID = visible.ASSIGNMENT_ID
GRADED_FUNCTIONS = ("convert_to_one_hot", "make_dataset", "happyModel", "convolutional_model")
# Grading a TensorFlow notebook under nbgrader re-runs it: mutants are graded at function level
# only.
NBGRADER_MUTANTS = False

_keras = visible._keras


# ------------------------------------------------------------ expected layers (the specification)
def signs_rows(input_shape: tuple[int, int, int]) -> list[list]:
    """The layers of convolutional_model(input_shape), as the assignment specifies them.

    Valid for any input shape.
    """
    n_H, n_W, n_C = input_shape
    h1, w1 = math.ceil(n_H / 8), math.ceil(n_W / 8)  # "same" pooling keeps the partial windows
    h2, w2 = math.ceil(h1 / 4), math.ceil(w1 / 4)
    return [
        ["Conv2D", (None, n_H, n_W, 8), 4 * 4 * n_C * 8 + 8, "same", "linear", GLOROT],
        ["ReLU", (None, n_H, n_W, 8), 0, None, 0.0, 0.0],
        ["MaxPooling2D", (None, h1, w1, 8), 0, (8, 8), (8, 8), "same"],
        ["Conv2D", (None, h1, w1, 16), 2 * 2 * 8 * 16 + 16, "same", "linear", GLOROT],
        ["ReLU", (None, h1, w1, 16), 0, None, 0.0, 0.0],
        ["MaxPooling2D", (None, h2, w2, 16), 0, (4, 4), (4, 4), "same"],
        ["Flatten", (None, h2 * w2 * 16), 0],
        ["Dense", (None, 6), h2 * w2 * 16 * 6 + 6, "softmax"],
    ]


# ----------------------------------------------------------------------------- oracles
def oracle_one_hot(Y: np.ndarray, C: int) -> np.ndarray:
    out = np.zeros((C, Y.shape[1]))
    for j, label in enumerate(Y[0]):
        out[label, j] = 1.0
    return out


def oracle_scaled(X: np.ndarray) -> np.ndarray:
    """The images as the pipeline yields them, scaled to [0, 1]."""
    return X / 255.0


# ------------------------------------------------------------------- fixed weights and inputs
def set_fixed_weights(model, name: str) -> None:
    """Give every weight of ``model`` a value drawn from a generator seeded by ``name``.

    Moving variances (batch normalisation) are drawn positive. The outputs of
    the model then depend only on its layers, not on how it was initialised.
    """
    rng = rng_for(ASSIGNMENT_ID, "weights", name)
    for weight in model.weights:
        shape = tuple(weight.shape)
        fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
        if "variance" in weight.path:
            value = rng.uniform(0.5, 1.5, shape)
        elif "gamma" in weight.path:
            value = rng.uniform(0.8, 1.2, shape)
        else:
            value = rng.uniform(-1.0, 1.0, shape) / np.sqrt(fan_in)
        weight.assign(value.astype("float32"))


def fixed_images(name: str, shape: tuple[int, ...]) -> np.ndarray:
    return rng_for(ASSIGNMENT_ID, "images", name).uniform(0.0, 1.0, shape).astype("float32")


def model_outputs(model, name: str, input_shape: tuple[int, int, int], m: int = 4) -> np.ndarray:
    """Predictions of ``model`` (inference mode) on fixed images, with fixed weights."""
    set_fixed_weights(model, name)
    return np.asarray(model(fixed_images(name, (m, *input_shape)), training=False),
                      dtype=np.float64)


# ------------------------------------------------------------------------ reference cases
HIDDEN_ONE_HOT = {
    "c6_all": (6, [0, 1, 2, 3, 4, 5, 5, 0]),
    "c10_few": (10, [3, 7, 7, 1]),
    "c2_single": (2, [1]),
}
HIDDEN_DATASETS = {  # (m, n_H, n_W, n_C, label width, batch size)
    "m7_b3_gray": (7, 5, 6, 1, 1, 3),
    "m12_b5": (12, 4, 4, 3, 6, 5),
}
HIDDEN_SIGNS_SHAPES = {"32x48x1": (32, 48, 1), "100x60x3": (100, 60, 3)}


def reference_cases():
    """{function: {case: (args, kwargs)}} for the hidden reference comparisons."""
    cases: dict[str, dict[str, tuple]] = {name: {} for name in GRADED_FUNCTIONS}
    for name, (C, labels) in HIDDEN_ONE_HOT.items():
        cases["convert_to_one_hot"][name] = ((one_hot_input(labels), C), {})
    for name, (m, n_H, n_W, n_C, k, batch_size) in HIDDEN_DATASETS.items():
        X, Y = dataset_input(name, m, n_H, n_W, n_C, k)
        cases["make_dataset"][name] = ((X, Y, batch_size), {"shuffle": False})
    cases["happyModel"]["fixed_weights"] = ((), {})
    for name, shape in HIDDEN_SIGNS_SHAPES.items():
        cases["convolutional_model"][name] = ((shape,), {})
    return cases


def reference_outputs(function: str, result) -> list[np.ndarray]:
    """The arrays of a function's result that the reference file stores."""
    if function == "make_dataset":
        xs, ys = dataset_arrays(result)
        return [np.concatenate(xs), np.concatenate(ys)]
    if function == "happyModel":
        return [model_outputs(result, "happyModel", (64, 64, 3))]
    if function == "convolutional_model":
        shape = tuple(int(d) for d in result.inputs[0].shape[1:])
        return [model_outputs(result, f"convolutional_model_{shape}", shape)]
    return [np.asarray(result)]


def _against_reference(function: str, case: str, actual: list[np.ndarray], what: list[str],
                       atol: float = 1e-7) -> None:
    expected = reference.load(ASSIGNMENT_ID)
    for k, (value, label) in enumerate(zip(actual, what, strict=True)):
        key = f"{function}/{case}/{k}"
        if key not in expected:
            raise RuntimeError(f"reference output {key} is missing: run `make references`.")
        expect_close(value, expected[key], f"{label} (hidden case {case})",
                     "It differs from the reference solution's output", atol=atol, rtol=1e-4)


# ----------------------------------------------------------------------- checks
def check_convert_to_one_hot(convert_to_one_hot: Callable, hidden: bool = False) -> None:
    """convert_to_one_hot turns labels (1, m) into one-hot columns (C, m)."""
    if not hidden:
        return visible.check_convert_to_one_hot(convert_to_one_hot)
    for case, ((Y, C), _) in reference_cases()["convert_to_one_hot"].items():
        out = verify_convert_to_one_hot(convert_to_one_hot, Y, C, oracle_one_hot(Y, C))
        _against_reference("convert_to_one_hot", case, [out], [f"convert_to_one_hot(Y, {C})"])
    print("Hidden tests passed.")


def check_make_dataset(make_dataset: Callable, hidden: bool = False) -> None:
    """make_dataset batches (X / 255, Y) pairs, shuffled with a seed when asked."""
    if not hidden:
        return visible.check_make_dataset(make_dataset)
    for case, ((X, Y, batch_size), _) in reference_cases()["make_dataset"].items():
        images, labels = verify_unshuffled(make_dataset, X, Y, batch_size, case,
                                           oracle_scaled(X), Y)
        _against_reference("make_dataset", case, [images, labels], ["the images", "the labels"])
    X, Y = dataset_input("hidden_orders", 16, 3, 3, 2, 1)
    first, second = shuffled_orders(make_dataset, X, Y, 5, 3, "seed 3", oracle_scaled(X), Y,
                                    passes=2)
    other = shuffled_orders(make_dataset, X, Y, 5, 4, "seed 4", oracle_scaled(X), Y)[0]
    if np.array_equal(first, other):
        raise CheckFailure("seeds 3 and 4 give the same order: pass seed=seed to dataset.shuffle.")
    if np.array_equal(first, second):
        raise CheckFailure("two passes over a shuffled dataset come in the same order: keep "
                           "tf.data's reshuffle_each_iteration=True so that each epoch sees a new "
                           "order.")
    print("Hidden tests passed.")


def _training_batch(name: str, input_shape, m: int, classes: int) -> tuple[np.ndarray, np.ndarray]:
    x = fixed_images(name, (m, *input_shape))
    labels = rng_for(ASSIGNMENT_ID, "labels", name).integers(0, classes, m)
    y = (labels.reshape(-1, 1).astype("float32") if classes == 2
         else np.eye(classes, dtype="float32")[labels])
    return x, y


def expect_training_loss_falls(model, x, y, what: str, steps: int, learning_rate: float,
                               factor: float = 0.9) -> None:
    """Train ``steps`` full-batch steps.

    Fail unless the training loss falls below ``factor`` times the starting loss.

    The training loss (batch statistics) rather than ``evaluate``'s: in inference mode
    BatchNormalization uses its moving averages, which a few steps barely move. One
    ``fit`` call only, so one traced function: this check runs for every mutant.
    """
    # The learning rate is the check's: Adam's default can overshoot in the first full-batch
    # step on happyModel's 32,768 features, and a tiny model learns faster with a larger one.
    try:
        model.optimizer.learning_rate.assign(learning_rate)
        history = model.fit(x, y, epochs=steps, batch_size=len(x), verbose=0,
                            shuffle=False).history["loss"]
    except Exception as error:
        raise CheckFailure(f"{what} could not be trained on a tiny batch: "
                           f"{type(error).__name__}: {error}") from error
    first, last = float(history[0]), float(history[-1])
    if not np.isfinite(last) or last > factor * first:
        raise CheckFailure(f"{what} does not learn: in {steps} training steps on {len(x)} "
                           f"examples the loss went from {first:.4f} to {last:.4f}. Check the "
                           "loss, the last activation and that the layers are trainable.")


def check_happyModel(happyModel: Callable, hidden: bool = False) -> None:
    """happyModel: a compiled Sequential model with the specified layers and 37,633 parameters."""
    if not hidden:
        return visible.check_happyModel(happyModel)
    model = verify_happyModel(happyModel)
    x, y = _training_batch("happy", (64, 64, 3), 16, 2)
    seed(1)
    expect_training_loss_falls(model, x, y, "happyModel()", steps=5, learning_rate=1e-4)
    fresh = build_model(happyModel)
    _against_reference("happyModel", "fixed_weights",
                       [model_outputs(fresh, "happyModel", (64, 64, 3))],
                       ["happyModel's predictions with fixed weights"], atol=1e-5)
    print("Hidden tests passed.")


def check_convolutional_model(convolutional_model: Callable, hidden: bool = False) -> None:
    """convolutional_model: a compiled Functional model with the specified layers.

    For a 64x64x3 input it has 1,310 parameters.
    """
    if not hidden:
        return visible.check_convolutional_model(convolutional_model)
    seed(0)
    for case, shape in {"64x64x3": (64, 64, 3), **HIDDEN_SIGNS_SHAPES}.items():
        model = verify_convolutional_model(convolutional_model, shape, signs_rows(shape))
        if case in HIDDEN_SIGNS_SHAPES:
            _against_reference("convolutional_model", case,
                               [model_outputs(model, f"convolutional_model_{shape}", shape)],
                               [f"convolutional_model({shape})'s predictions with fixed weights"],
                               atol=1e-5)
    seed(1)
    model = build_model(convolutional_model, (64, 64, 3))
    x, y = _training_batch("signs", (64, 64, 3), 24, 6)
    expect_training_loss_falls(model, x, y, "convolutional_model((64, 64, 3))", steps=8,
                               learning_rate=1e-2)
    print("Hidden tests passed.")


CHECKS = {name: globals()[f"check_{name}"] for name in GRADED_FUNCTIONS}


# Mutants: wrong variants of the solution that the checks above must catch
# (see cnn_course.graders.authoring.mutants). No graded function calls another, so each
# mutant fails its own function's tests only.

def _m(name, grade_id, description, edits):
    return mutant(name, grade_id, description, edits, [grade_id], ASSIGNMENT_ID)


MUTANTS: tuple[Mutant, ...] = (
    _m("one_hot_not_transposed", "convert_to_one_hot", "returns (m, C) instead of (C, m)",
       [("Y = np.eye(C)[Y.reshape(-1)].T", "Y = np.eye(C)[Y.reshape(-1)]")]),
    _m("dataset_not_scaled", "make_dataset", "keeps the pixels in [0, 255]",
       [("tf.cast(x, tf.float32) / 255.0", "tf.cast(x, tf.float32)")]),
    _m("dataset_never_shuffled", "make_dataset", "ignores shuffle=True",
       [("if shuffle:", "if False:")]),
    _m("happy_no_batchnorm", "happyModel", "forgets BatchNormalization",
       [("        tf.keras.layers.BatchNormalization(axis=3),\n", "")]),
    _m("happy_softmax", "happyModel", "ends with a softmax on its single unit",
       [('Dense(1, activation="sigmoid")', 'Dense(1, activation="softmax")')]),
    _m("signs_sigmoid", "convolutional_model", "ends with a sigmoid instead of a softmax",
       [('Dense(6, activation="softmax")', 'Dense(6, activation="sigmoid")')]),
    _m("signs_wrong_pool_size", "convolutional_model", "pools 4x4 where the specification says 8x8",
       [("MaxPool2D(pool_size=(8, 8), strides=(8, 8)",
         "MaxPool2D(pool_size=(4, 4), strides=(4, 4)")]),
)
