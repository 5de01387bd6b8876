"""Checks for W1A2, convolutional models in TensorFlow: Happy House (Sequential), SIGNS (Functional).

Each graded function ``f`` of the notebook has ``check_f(fn, hidden=False)``:

- ``hidden=False`` (the visible test): fixed inputs, prints what it compares;
  the expected layers of each model are written here by hand from the
  assignment's specification (they are the specification, not outputs of the
  solution);
- ``hidden=True`` (the hidden test): other shapes and settings, a few training
  steps on a tiny batch (the loss must fall), and the reference outputs in
  ``graders/reference/`` (models get fixed, seeded weights and fixed inputs).

Every check raises :class:`CheckFailure` with a sentence on the first problem
and returns None when the function is right.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from cnn_course.graders import reference
from cnn_course.graders._checking import (
    CheckFailure,
    call_student,
    expect_array,
    expect_close,
    rng_for,
)
from cnn_course.graders._keras_checks import (
    build_model,
    expect_class,
    expect_compiled,
    expect_layers,
    expect_params,
)
from cnn_course.graders.mutants import Mutant, mutant
from cnn_course.utils.keras_summary import summary

ASSIGNMENT_ID = "w1a2_conv_application"
GRADED_FUNCTIONS = ("convert_to_one_hot", "make_dataset", "happyModel", "convolutional_model")
# Grading a TensorFlow notebook under nbgrader re-runs it: mutants are graded at function level only.
NBGRADER_MUTANTS = False


def _keras():
    import keras

    return keras


def _tf():
    import tensorflow as tf

    # AutoGraph warns on stderr when it cannot read a function's source (graded cells run
    # from a string in fast grading); nbgrader would fail the test cell for it.
    tf.get_logger().setLevel("ERROR")
    return tf


_tf()


# ------------------------------------------------------------ expected layers (the specification)
GLOROT = "GlorotUniform"


def happy_rows() -> list[list]:
    """The layers of happyModel, as the assignment specifies them."""
    return [
        ["ZeroPadding2D", (None, 70, 70, 3), 0, ((3, 3), (3, 3))],
        ["Conv2D", (None, 64, 64, 32), 7 * 7 * 3 * 32 + 32, "valid", "linear", GLOROT],
        ["BatchNormalization", (None, 64, 64, 32), 4 * 32, 3],
        ["ReLU", (None, 64, 64, 32), 0, None, 0.0, 0.0],
        ["MaxPooling2D", (None, 32, 32, 32), 0, (2, 2), (2, 2), "valid"],
        ["Flatten", (None, 32 * 32 * 32), 0],
        ["Dense", (None, 1), 32 * 32 * 32 + 1, "sigmoid"],
    ]


HAPPY_PARAMS = 37_633  # the count; happy_rows adds up to it (a test checks)


def signs_rows(input_shape: tuple[int, int, int]) -> list[list]:
    """The layers of convolutional_model(input_shape), as the assignment specifies them."""
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


SIGNS_PARAMS = 1_310  # for (64, 64, 3), the count


def _print_layers(model, what: str) -> None:
    """Print the rows the checks compare (nothing when the model is not built: expect_layers says why)."""
    try:
        rows = summary(model)
    except ValueError:
        return
    print(f"{what} layers [class, output shape, parameters, settings]:")
    for row in rows:
        print("   ", " ".join(str(v) for v in row))


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
    return np.asarray(model(fixed_images(name, (m, *input_shape)), training=False), dtype=np.float64)


def dataset_arrays(dataset) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The batches of one pass over a dataset of (images, labels), as numpy arrays."""
    xs, ys = [], []
    for element in dataset:
        if not isinstance(element, tuple | list) or len(element) != 2:
            raise CheckFailure("each element of the dataset must be a pair (images, labels): "
                               "build it with tf.data.Dataset.from_tensor_slices((X, Y)).")
        xs.append(np.asarray(element[0]))
        ys.append(np.asarray(element[1]))
    return xs, ys


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


def one_hot_input(labels: list[int]) -> np.ndarray:
    return np.asarray(labels, dtype=np.int64).reshape(1, -1)


def dataset_input(name: str, m: int, n_H: int, n_W: int, n_C: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    rng = rng_for(ASSIGNMENT_ID, "dataset", name)
    X = rng.integers(0, 256, (m, n_H, n_W, n_C), dtype=np.uint8)
    Y = rng.integers(0, 2, (m, k)).astype(np.float32)
    return X, Y


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
def _one_hot_case(convert_to_one_hot: Callable, Y: np.ndarray, C: int) -> np.ndarray:
    m = Y.shape[1]
    hint = "the result has one row per class and one column per example: (C, m)"
    out = call_student(convert_to_one_hot, Y, C)
    if isinstance(out, np.ndarray) and out.shape == (m, C) and m != C:
        raise CheckFailure(f"convert_to_one_hot(Y, {C}) has shape {out.shape}, expected {(C, m)}: "
                           "one row per class, one column per example; did you forget to transpose (.T)?")
    out = expect_array(out, f"convert_to_one_hot(Y, {C})", (C, m), hint=hint)
    expected = np.zeros((C, m))
    for j, label in enumerate(Y[0]):
        expected[label, j] = 1.0
    expect_close(out, expected, f"convert_to_one_hot(Y, {C})",
                 "Column j must hold a single 1, in row Y[0, j], and zeros elsewhere")
    return out


def check_convert_to_one_hot(convert_to_one_hot: Callable, hidden: bool = False) -> None:
    """convert_to_one_hot turns labels (1, m) into one-hot columns (C, m)."""
    if not hidden:
        Y = one_hot_input([1, 0, 3, 2, 2])
        out = _one_hot_case(convert_to_one_hot, Y, 4)
        print("Y =", Y.tolist())
        print("convert_to_one_hot(Y, 4) =\n", out)
        _one_hot_case(convert_to_one_hot, one_hot_input([2, 0]), 5)  # C larger than the largest label
        print("All tests passed.")
        return
    for case, ((Y, C), _) in reference_cases()["convert_to_one_hot"].items():
        out = _one_hot_case(convert_to_one_hot, Y, C)
        _against_reference("convert_to_one_hot", case, [out], [f"convert_to_one_hot(Y, {C})"])
    print("Hidden tests passed.")


def _dataset(make_dataset: Callable, X, Y, batch_size, **kwargs):
    tf = _tf()
    dataset = call_student(make_dataset, X, Y, batch_size, **kwargs)
    if dataset is None:
        raise CheckFailure("make_dataset returned None: it must return the tf.data.Dataset. "
                           "Did you forget `return dataset`?")
    if not isinstance(dataset, tf.data.Dataset):
        raise CheckFailure(f"make_dataset must return a tf.data.Dataset, got {type(dataset).__name__}.")
    return dataset


def _check_unshuffled(make_dataset: Callable, X, Y, batch_size, label: str):
    xs, ys = dataset_arrays(_dataset(make_dataset, X, Y, batch_size, shuffle=False))
    m = len(X)
    sizes = [len(x) for x in xs]
    expected_sizes = [batch_size] * (m // batch_size) + ([m % batch_size] if m % batch_size else [])
    if sizes != expected_sizes:
        raise CheckFailure(f"with {m} examples and batch_size={batch_size} ({label}) the batches hold {sizes} "
                           f"examples, expected {expected_sizes}: batch with dataset.batch(batch_size).")
    if xs[0].shape[1:] != X.shape[1:]:
        raise CheckFailure(f"the images of a batch have shape {xs[0].shape[1:]}, expected {X.shape[1:]} ({label}).")
    if xs[0].dtype != np.float32:
        raise CheckFailure(f"the images of a batch have dtype {xs[0].dtype}, expected float32 ({label}): "
                           "cast them with tf.cast(x, tf.float32) in a map.")
    images, labels = np.concatenate(xs), np.concatenate(ys)
    if images.max() > 1.0:
        raise CheckFailure(f"the images go up to {images.max():g} ({label}); they must lie in [0, 1]: "
                           "divide the uint8 pixels by 255.")
    expect_close(images, X / 255.0, f"the images of the dataset ({label}, shuffle=False)",
                 "Without shuffling, the images come in their original order, divided by 255", atol=1e-6)
    expect_close(labels.reshape(Y.shape), Y, f"the labels of the dataset ({label}, shuffle=False)",
                 "Without shuffling, the labels come unchanged and in their original order")
    return images, labels


def _order(make_dataset: Callable, X, Y, batch_size, seed, label: str, passes: int = 1) -> list[np.ndarray]:
    """The order in which the examples come in each of ``passes`` passes (indices into X)."""
    dataset = _dataset(make_dataset, X, Y, batch_size, shuffle=True, seed=seed)
    flat = X.reshape(len(X), -1).astype(np.float64) / 255.0
    orders = []
    for _ in range(passes):
        xs, ys = dataset_arrays(dataset)
        images = np.concatenate(xs).reshape(len(np.concatenate(xs)), -1)
        labels = np.concatenate(ys).reshape(len(images), -1)
        if len(images) != len(X):
            raise CheckFailure(f"with shuffle=True one pass gives {len(images)} examples, expected {len(X)} "
                               f"({label}): shuffle with a buffer of len(X), then batch, and do not repeat.")
        distance = np.abs(images[:, None, :] - flat[None, :, :]).max(axis=2)  # (m, m)
        order = distance.argmin(axis=1)
        if distance[np.arange(len(order)), order].max() > 1e-5 or len(set(order.tolist())) != len(X):
            raise CheckFailure(f"with shuffle=True the examples of one pass are not exactly those of X ({label}): "
                               "each example must come once per pass, divided by 255.")
        if not np.allclose(labels, Y.reshape(len(Y), -1)[order]):
            raise CheckFailure(f"with shuffle=True an image comes with the label of another example ({label}): "
                               "shuffle the dataset of pairs (X, Y), not the images and labels separately.")
        orders.append(order)
    return orders


def check_make_dataset(make_dataset: Callable, hidden: bool = False) -> None:
    """make_dataset batches (X / 255, Y) pairs, shuffled with a seed when asked."""
    if not hidden:
        X, Y = dataset_input("visible", 10, 4, 4, 3, 2)
        images, _ = _check_unshuffled(make_dataset, X, Y, 4, "10 examples, batch 4")
        print("shuffle=False: batches of 4, 4 and 2; images in [0, 1], X[0, 0, 0] / 255 =", np.round(images[0, 0, 0], 4))
        first = _order(make_dataset, X, Y, 4, 0, "seed 0")[0]
        again = _order(make_dataset, X, Y, 4, 0, "seed 0, second dataset")[0]
        print("shuffle=True, seed=0: examples come in the order", first.tolist())
        if np.array_equal(first, np.arange(len(X))):
            raise CheckFailure("with shuffle=True the examples still come in their original order: "
                               "shuffle the dataset with dataset.shuffle(len(X), seed=seed) before batching.")
        if not np.array_equal(first, again):
            raise CheckFailure("two datasets made with the same seed come in different orders: "
                               "pass seed=seed to dataset.shuffle.")
        print("All tests passed.")
        return
    for case, ((X, Y, batch_size), _) in reference_cases()["make_dataset"].items():
        images, labels = _check_unshuffled(make_dataset, X, Y, batch_size, case)
        _against_reference("make_dataset", case, [images, labels], ["the images", "the labels"])
    X, Y = dataset_input("hidden_orders", 16, 3, 3, 2, 1)
    first, second = _order(make_dataset, X, Y, 5, 3, "seed 3", passes=2)
    other = _order(make_dataset, X, Y, 5, 4, "seed 4")[0]
    if np.array_equal(first, other):
        raise CheckFailure("seeds 3 and 4 give the same order: pass seed=seed to dataset.shuffle.")
    if np.array_equal(first, second):
        raise CheckFailure("two passes over a shuffled dataset come in the same order: keep tf.data's "
                           "reshuffle_each_iteration=True so that each epoch sees a new order.")
    print("Hidden tests passed.")


def _training_batch(name: str, input_shape, m: int, classes: int) -> tuple[np.ndarray, np.ndarray]:
    x = fixed_images(name, (m, *input_shape))
    labels = rng_for(ASSIGNMENT_ID, "labels", name).integers(0, classes, m)
    y = labels.reshape(-1, 1).astype("float32") if classes == 2 else np.eye(classes, dtype="float32")[labels]
    return x, y


def expect_training_loss_falls(model, x, y, what: str, steps: int, learning_rate: float,
                               factor: float = 0.9) -> None:
    """Train ``steps`` full-batch steps; fail unless the training loss falls below ``factor`` x start.

    The training loss (batch statistics) rather than ``evaluate``'s: in inference mode
    BatchNormalization uses its moving averages, which a few steps barely move. One
    ``fit`` call only, so one traced function: this check runs for every mutant.
    """
    # The learning rate is the check's: Adam's default can overshoot in the first full-batch
    # step on happyModel's 32,768 features, and a tiny model learns faster with a larger one.
    try:
        model.optimizer.learning_rate.assign(learning_rate)
        history = model.fit(x, y, epochs=steps, batch_size=len(x), verbose=0, shuffle=False).history["loss"]
    except Exception as error:
        raise CheckFailure(f"{what} could not be trained on a tiny batch: {type(error).__name__}: {error}") from error
    first, last = float(history[0]), float(history[-1])
    if not np.isfinite(last) or last > factor * first:
        raise CheckFailure(f"{what} does not learn: in {steps} training steps on {len(x)} examples the loss went "
                           f"from {first:.4f} to {last:.4f}. Check the loss, the last activation and that the "
                           "layers are trainable.")


def check_happyModel(happyModel: Callable, hidden: bool = False) -> None:
    """happyModel: a compiled Sequential model with the specified layers and 37,633 parameters."""
    keras = _keras()
    keras.utils.set_random_seed(0)
    model = build_model(happyModel)
    expect_class(model, keras.Sequential, "happyModel()",
                 "Build it with tf.keras.Sequential([...]), one layer after the other.")
    if not hidden:
        _print_layers(model, "happyModel()")
    expect_layers(model, happy_rows(), "happyModel()")
    expect_params(model, "happyModel()", HAPPY_PARAMS)
    expect_compiled(model, "happyModel()", "adam", "binary_crossentropy", metrics=["accuracy"])
    if not hidden:
        print(f"{model.count_params():,} parameters; compiled with Adam, binary cross-entropy and accuracy.")
        print("All tests passed.")
        return
    x, y = _training_batch("happy", (64, 64, 3), 16, 2)
    keras.utils.set_random_seed(1)
    expect_training_loss_falls(model, x, y, "happyModel()", steps=5, learning_rate=1e-4)
    fresh = build_model(happyModel)
    _against_reference("happyModel", "fixed_weights", [model_outputs(fresh, "happyModel", (64, 64, 3))],
                       ["happyModel's predictions with fixed weights"], atol=1e-5)
    print("Hidden tests passed.")


def check_convolutional_model(convolutional_model: Callable, hidden: bool = False) -> None:
    """convolutional_model: a compiled Functional model with the specified layers (1,310 parameters for 64x64x3)."""
    keras = _keras()
    keras.utils.set_random_seed(0)
    shapes = {"64x64x3": (64, 64, 3)} if not hidden else {"64x64x3": (64, 64, 3), **HIDDEN_SIGNS_SHAPES}
    for case, shape in shapes.items():
        what = f"convolutional_model({shape})"
        model = build_model(convolutional_model, shape)
        if isinstance(model, keras.Sequential):
            raise CheckFailure(f"{what} is a Sequential model: build it with the Functional API, "
                               "input_img = tf.keras.Input(shape=input_shape), then call each layer on the "
                               "previous output and finish with tf.keras.Model(inputs=input_img, outputs=outputs).")
        found_shape = tuple(int(d) for d in model.inputs[0].shape[1:]) if model.inputs else None
        if found_shape != shape:
            raise CheckFailure(f"{what} takes inputs of shape {found_shape}, expected {shape}: "
                               "use tf.keras.Input(shape=input_shape).")
        if not hidden:
            _print_layers(model, what)
        expect_layers(model, signs_rows(shape), what)
        if shape == (64, 64, 3):
            expect_params(model, what, SIGNS_PARAMS)
        expect_compiled(model, what, "adam", "categorical_crossentropy", metrics=["accuracy"])
        if hidden and case in HIDDEN_SIGNS_SHAPES:
            _against_reference("convolutional_model", case,
                               [model_outputs(model, f"convolutional_model_{shape}", shape)],
                               [f"{what}'s predictions with fixed weights"], atol=1e-5)
    if not hidden:
        print("1,310 parameters; compiled with Adam, categorical cross-entropy and accuracy.")
        print("All tests passed.")
        return
    keras.utils.set_random_seed(1)
    model = build_model(convolutional_model, (64, 64, 3))
    x, y = _training_batch("signs", (64, 64, 3), 24, 6)
    expect_training_loss_falls(model, x, y, "convolutional_model((64, 64, 3))", steps=8, learning_rate=1e-2)
    print("Hidden tests passed.")


CHECKS = {name: globals()[f"check_{name}"] for name in GRADED_FUNCTIONS}


# Mutants: wrong variants of the solution that the checks above must catch
# (see cnn_course.graders.mutants). No graded function calls another, so each
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
       [("MaxPool2D(pool_size=(8, 8), strides=(8, 8)", "MaxPool2D(pool_size=(4, 4), strides=(4, 4)")]),
)
