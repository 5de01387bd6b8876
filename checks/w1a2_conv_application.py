"""Visible checks of W1A2, convolutional models in TensorFlow.

Happy House (Sequential), SIGNS (Functional).

Each graded function ``f`` of the notebook has ``check_f(f)``:

- ``convert_to_one_hot`` and ``make_dataset`` run on fixed inputs (seeded from the
  case's name) and are compared with the course solution's outputs on the same
  inputs, stored in ``expected/w1a2_conv_application.npz``; the shuffled pipeline is
  checked by its properties (every example once per pass, each image with its own
  label, a different order than the original, the same order for the same seed);
- ``happyModel`` and ``convolutional_model`` are compared, layer by layer, with the
  rows below: the class, output shape, parameter count and main settings of each
  layer, written by hand from the assignment's specification (they are data, the
  rows ``summary(model)`` prints), then the parameter total and the compile settings.

Nothing here builds a model or computes a graded function's result. The grader runs
other cases when the notebook is graded.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cnn_course.checks import expected
from cnn_course.checks._checking import (
    CheckFailure,
    call_student,
    expect_array,
    expect_close,
    rng_for,
    seed,
)
from cnn_course.checks._keras_checks import (
    build_model,
    expect_class,
    expect_compiled,
    expect_layers,
    expect_params,
)
from cnn_course.utils._tf import tensorflow
from cnn_course.utils.keras_summary import summary

ASSIGNMENT_ID = "w1a2_conv_application"


def _keras():
    import keras

    return keras


tensorflow()


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


HAPPY_PARAMS = 37_633  # happy_rows adds up to it (a test checks)

SIGNS_SHAPE = (64, 64, 3)  # the input shape of the visible check


def signs_rows_64x64x3() -> list[list]:
    """The layers of convolutional_model((64, 64, 3)), as the assignment specifies them."""
    return [
        ["Conv2D", (None, 64, 64, 8), 4 * 4 * 3 * 8 + 8, "same", "linear", GLOROT],
        ["ReLU", (None, 64, 64, 8), 0, None, 0.0, 0.0],
        ["MaxPooling2D", (None, 8, 8, 8), 0, (8, 8), (8, 8), "same"],
        ["Conv2D", (None, 8, 8, 16), 2 * 2 * 8 * 16 + 16, "same", "linear", GLOROT],
        ["ReLU", (None, 8, 8, 16), 0, None, 0.0, 0.0],
        ["MaxPooling2D", (None, 2, 2, 16), 0, (4, 4), (4, 4), "same"],
        ["Flatten", (None, 2 * 2 * 16), 0],
        ["Dense", (None, 6), 2 * 2 * 16 * 6 + 6, "softmax"],
    ]


SIGNS_PARAMS = 1_310  # for (64, 64, 3); signs_rows_64x64x3 adds up to it (a test checks)


def print_layers(model, what: str) -> None:
    """Print the rows the checks compare.

    Nothing when the model is not built: expect_layers says why.
    """
    try:
        rows = summary(model)
    except ValueError:
        return
    print(f"{what} layers [class, output shape, parameters, settings]:")
    for row in rows:
        print("   ", " ".join(str(v) for v in row))


# ------------------------------------------------------------------------ inputs
def one_hot_input(labels: list[int]) -> np.ndarray:
    """Labels as the course's datasets store them: integers, shape (1, m)."""
    return np.asarray(labels, dtype=np.int64).reshape(1, -1)


def dataset_input(name: str, m: int, n_H: int, n_W: int, n_C: int,
                  k: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded uint8 images (m, n_H, n_W, n_C) and 0/1 labels (m, k)."""
    rng = rng_for(ASSIGNMENT_ID, "dataset", name)
    X = rng.integers(0, 256, (m, n_H, n_W, n_C), dtype=np.uint8)
    Y = rng.integers(0, 2, (m, k)).astype(np.float32)
    return X, Y


# c_larger: C above the largest label
ONE_HOT_CASES = {"visible": ([1, 0, 3, 2, 2], 4), "c_larger": ([2, 0], 5)}
DATASET_CASE = ("visible", 10, 4, 4, 3, 2)  # 10 examples of 4 x 4 x 3, labels of width 2
DATASET_BATCH = 4


def visible_cases():
    """{function: {case: (args, kwargs)}}: the inputs whose outputs the visible checks compare."""
    X, Y = dataset_input(*DATASET_CASE)
    return {
        "convert_to_one_hot": {case: ((one_hot_input(labels), C), {})
                               for case, (labels, C) in ONE_HOT_CASES.items()},
        "make_dataset": {"visible": ((X, Y, DATASET_BATCH), {"shuffle": False})},
    }


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


def visible_outputs(function: str, result) -> list[np.ndarray]:
    """The arrays of a function's result that the expected file stores."""
    if function == "make_dataset":
        xs, ys = dataset_arrays(result)
        return [np.concatenate(xs), np.concatenate(ys)]
    return [np.asarray(result)]


def _expected(function: str, case: str, k: int = 0) -> np.ndarray:
    return expected.get(ASSIGNMENT_ID, function, case, k)


# ------------------------------------------------- one case, given its expected values

def verify_convert_to_one_hot(convert_to_one_hot: Callable, Y: np.ndarray, C: int,
                              want: np.ndarray) -> np.ndarray:
    m = Y.shape[1]
    hint = "the result has one row per class and one column per example: (C, m)"
    out = call_student(convert_to_one_hot, Y, C)
    if isinstance(out, np.ndarray) and out.shape == (m, C) and m != C:
        raise CheckFailure(f"convert_to_one_hot(Y, {C}) has shape {out.shape}, expected {(C, m)}: "
                           "one row per class, one column per example; did you forget to "
                           "transpose (.T)?")
    out = expect_array(out, f"convert_to_one_hot(Y, {C})", (C, m), hint=hint)
    expect_close(out, want, f"convert_to_one_hot(Y, {C})",
                 "Column j must hold a single 1, in row Y[0, j], and zeros elsewhere")
    return out


def student_dataset(make_dataset: Callable, X, Y, batch_size, **kwargs):
    """Call make_dataset; fail unless it returns a tf.data.Dataset."""
    tf = tensorflow()
    dataset = call_student(make_dataset, X, Y, batch_size, **kwargs)
    if dataset is None:
        raise CheckFailure("make_dataset returned None: it must return the tf.data.Dataset. "
                           "Did you forget `return dataset`?")
    if not isinstance(dataset, tf.data.Dataset):
        raise CheckFailure("make_dataset must return a tf.data.Dataset, "
                           f"got {type(dataset).__name__}.")
    return dataset


def verify_unshuffled(make_dataset: Callable, X, Y, batch_size, label: str, want_images,
                      want_labels):
    """One pass with shuffle=False: batch sizes, image shape and dtype, then the values in order."""
    xs, ys = dataset_arrays(student_dataset(make_dataset, X, Y, batch_size, shuffle=False))
    m = len(X)
    sizes = [len(x) for x in xs]
    expected_sizes = [batch_size] * (m // batch_size) + ([m % batch_size] if m % batch_size else [])
    if sizes != expected_sizes:
        raise CheckFailure(f"with {m} examples and batch_size={batch_size} ({label}) the batches "
                           f"hold {sizes} examples, expected {expected_sizes}: batch with "
                           "dataset.batch(batch_size).")
    if xs[0].shape[1:] != X.shape[1:]:
        raise CheckFailure(f"the images of a batch have shape {xs[0].shape[1:]}, "
                           f"expected {X.shape[1:]} ({label}).")
    if xs[0].dtype != np.float32:
        raise CheckFailure(f"the images of a batch have dtype {xs[0].dtype}, expected float32 "
                           f"({label}): cast them with tf.cast(x, tf.float32) in a map.")
    images, labels = np.concatenate(xs), np.concatenate(ys)
    if images.max() > 1.0:
        raise CheckFailure(f"the images go up to {images.max():g} ({label}); they must lie in "
                           "[0, 1]: divide the uint8 pixels by 255.")
    expect_close(images, want_images, f"the images of the dataset ({label}, shuffle=False)",
                 "Without shuffling, the images come in their original order, divided by 255",
                 atol=1e-6)
    expect_close(labels.reshape(Y.shape), want_labels,
                 f"the labels of the dataset ({label}, shuffle=False)",
                 "Without shuffling, the labels come unchanged and in their original order")
    return images, labels


def shuffled_orders(make_dataset: Callable, X, Y, batch_size, seed, label: str, want_images,
                    want_labels, passes: int = 1) -> list[np.ndarray]:
    """The order in which the examples come in each of ``passes`` passes (indices into X).

    ``want_images`` and ``want_labels`` are the examples in their original order, as
    the pipeline yields them (images scaled to [0, 1]); each shuffled example is
    matched with one of them.
    """
    dataset = student_dataset(make_dataset, X, Y, batch_size, shuffle=True, seed=seed)
    flat = np.asarray(want_images, dtype=np.float64).reshape(len(X), -1)
    originals = np.asarray(want_labels).reshape(len(X), -1)
    orders = []
    for _ in range(passes):
        xs, ys = dataset_arrays(dataset)
        images = np.concatenate(xs).reshape(len(np.concatenate(xs)), -1)
        labels = np.concatenate(ys).reshape(len(images), -1)
        if len(images) != len(X):
            raise CheckFailure(f"with shuffle=True one pass gives {len(images)} examples, "
                               f"expected {len(X)} ({label}): shuffle with a buffer of len(X), "
                               "then batch, and do not repeat.")
        distance = np.abs(images[:, None, :] - flat[None, :, :]).max(axis=2)  # (m, m)
        order = distance.argmin(axis=1)
        if (distance[np.arange(len(order)), order].max() > 1e-5
                or len(set(order.tolist())) != len(X)):
            raise CheckFailure("with shuffle=True the examples of one pass are not exactly those "
                               f"of X ({label}): each example must come once per pass, "
                               "divided by 255.")
        if not np.allclose(labels, originals[order]):
            raise CheckFailure("with shuffle=True an image comes with the label of another "
                               f"example ({label}): shuffle the dataset of pairs (X, Y), not the "
                               "images and labels separately.")
        orders.append(order)
    return orders


def verify_happyModel(happyModel: Callable, show: bool = False):
    """Build happyModel (seed 0); check its class, layers, parameters and compile settings."""
    keras = _keras()
    seed(0)
    model = build_model(happyModel)
    expect_class(model, keras.Sequential, "happyModel()",
                 "Build it with tf.keras.Sequential([...]), one layer after the other.")
    if show:
        print_layers(model, "happyModel()")
    expect_layers(model, happy_rows(), "happyModel()")
    expect_params(model, "happyModel()", HAPPY_PARAMS)
    expect_compiled(model, "happyModel()", "adam", "binary_crossentropy", metrics=["accuracy"])
    return model


def verify_convolutional_model(convolutional_model: Callable, shape: tuple[int, int, int],
                               rows: list[list], show: bool = False):
    """Build convolutional_model(shape).

    Check it is Functional, its input, layers and compile settings.
    """
    keras = _keras()
    what = f"convolutional_model({shape})"
    model = build_model(convolutional_model, shape)
    if isinstance(model, keras.Sequential):
        raise CheckFailure(f"{what} is a Sequential model: build it with the Functional API, "
                           "input_img = tf.keras.Input(shape=input_shape), then call each "
                           "layer on the previous output and finish with "
                           "tf.keras.Model(inputs=input_img, outputs=outputs).")
    found_shape = tuple(int(d) for d in model.inputs[0].shape[1:]) if model.inputs else None
    if found_shape != shape:
        raise CheckFailure(f"{what} takes inputs of shape {found_shape}, expected {shape}: "
                           "use tf.keras.Input(shape=input_shape).")
    if show:
        print_layers(model, what)
    expect_layers(model, rows, what)
    if shape == SIGNS_SHAPE:
        expect_params(model, what, SIGNS_PARAMS)
    expect_compiled(model, what, "adam", "categorical_crossentropy", metrics=["accuracy"])
    return model


# ----------------------------------------------------------------------- checks
def check_convert_to_one_hot(convert_to_one_hot: Callable) -> None:
    """convert_to_one_hot turns labels (1, m) into one-hot columns (C, m)."""
    for case, ((Y, C), _) in visible_cases()["convert_to_one_hot"].items():
        out = verify_convert_to_one_hot(convert_to_one_hot, Y, C,
                                        _expected("convert_to_one_hot", case))
        if case == "visible":
            print("Y =", Y.tolist())
            print(f"convert_to_one_hot(Y, {C}) =\n", out)
    print("All tests passed.")


def check_make_dataset(make_dataset: Callable) -> None:
    """make_dataset batches (X / 255, Y) pairs, shuffled with a seed when asked."""
    (X, Y, batch_size), _ = visible_cases()["make_dataset"]["visible"]
    want_images, want_labels = (_expected("make_dataset", "visible", 0),
                                _expected("make_dataset", "visible", 1))
    images, _ = verify_unshuffled(make_dataset, X, Y, batch_size, "10 examples, batch 4",
                                  want_images, want_labels)
    print("shuffle=False: batches of 4, 4 and 2; images in [0, 1], X[0, 0, 0] / 255 =",
          np.round(images[0, 0, 0], 4))
    first = shuffled_orders(make_dataset, X, Y, batch_size, 0, "seed 0", want_images,
                            want_labels)[0]
    again = shuffled_orders(make_dataset, X, Y, batch_size, 0, "seed 0, second dataset",
                            want_images, want_labels)[0]
    print("shuffle=True, seed=0: examples come in the order", first.tolist())
    if np.array_equal(first, np.arange(len(X))):
        raise CheckFailure("with shuffle=True the examples still come in their original order: "
                           "shuffle the dataset with dataset.shuffle(len(X), seed=seed) before "
                           "batching.")
    if not np.array_equal(first, again):
        raise CheckFailure("two datasets made with the same seed come in different orders: "
                           "pass seed=seed to dataset.shuffle.")
    print("All tests passed.")


def check_happyModel(happyModel: Callable) -> None:
    """happyModel: a compiled Sequential model with the specified layers and 37,633 parameters."""
    model = verify_happyModel(happyModel, show=True)
    print(f"{model.count_params():,} parameters; compiled with Adam, binary cross-entropy "
          "and accuracy.")
    print("All tests passed.")


def check_convolutional_model(convolutional_model: Callable) -> None:
    """convolutional_model: a compiled Functional model with the specified layers.

    It has 1,310 parameters for 64x64x3 inputs.
    """
    seed(0)
    verify_convolutional_model(convolutional_model, SIGNS_SHAPE, signs_rows_64x64x3(), show=True)
    print("1,310 parameters; compiled with Adam, categorical cross-entropy and accuracy.")
    print("All tests passed.")
