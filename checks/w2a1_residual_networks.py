"""Visible checks of W2A1, residual networks.

They cover the identity block, the convolutional block and ResNet50.

- ``check_identity_block`` and ``check_convolutional_block`` build the block on a
  ``keras.Input`` of shape (4, 4, 6), compare its layers with rows written here from
  the description in the notebook (class, output shape, parameter count, padding,
  activation, initializer), run it on seeded inputs in inference mode and in
  training mode, print a few values and compare the outputs with the expected
  outputs in ``expected/`` (the course solution's, on these inputs only);
- ``check_ResNet50`` builds the model with the default arguments and compares every
  layer with rows written from the description, and its parameter count with the
  published 23,600,006.

The rows are data (what a summary of the right model lists), not code that builds a
block or a model. Every check raises :class:`CheckFailure` with a sentence on the
first problem, and prints ``All tests passed.`` when the function is right.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cnn_course.checks import expected
from cnn_course.checks._checking import (
    CheckFailure,
    call_unchecked,
    expect_close,
    fn_name,
    rng_for,
    seed,
)
from cnn_course.checks._keras_checks import build_model, expect_params
from cnn_course.utils.runtime import quiet_tensorflow

quiet_tensorflow()

import keras  # noqa: E402

from cnn_course.utils.keras_summary import comparator, summary  # noqa: E402

ASSIGNMENT_ID = "w2a1_residual_networks"

RESNET50_PARAMS = 23_600_006  # for input_shape=(64, 64, 3), classes=6 (the published number)

# ----------------------------------------------------------------- expected layers
# Rows in the format of cnn_course.utils.keras_summary, written from the description.
# Keras lists the layers of a functional model by depth, so the shortcut's Conv2D and
# BatchNormalization come right after their main-path twins.


def _relu(shape):
    return ["Activation", shape, 0, "relu"]


def _bn(shape):
    return ["BatchNormalization", shape, 4 * shape[-1], 3]


def _conv(shape, n_C_prev, f, init, padding):
    return ["Conv2D", shape, f * f * n_C_prev * shape[-1] + shape[-1], padding, "linear", init]


def identity_rows(input_shape, f, filters, init="RandomUniform"):
    """Expected summary rows of identity_block on an input of shape (n_H, n_W, n_C)."""
    n_H, n_W, n_C = input_shape
    F1, F2, F3 = filters
    s1, s2, s3 = ((None, n_H, n_W, F) for F in (F1, F2, F3))
    return [_conv(s1, n_C, 1, init, "valid"), _bn(s1), _relu(s1),
            _conv(s2, F1, f, init, "same"), _bn(s2), _relu(s2),
            _conv(s3, F2, 1, init, "valid"), _bn(s3),
            ["Add", s3, 0], _relu(s3)]


def convolutional_rows(input_shape, f, filters, s=2, init="GlorotUniform"):
    """Expected summary rows of convolutional_block on an input of shape (n_H, n_W, n_C)."""
    n_H, n_W, n_C = input_shape
    F1, F2, F3 = filters
    n_H, n_W = (n_H - 1) // s + 1, (n_W - 1) // s + 1  # a 1x1 'valid' convolution with stride s
    s1, s2, s3 = ((None, n_H, n_W, F) for F in (F1, F2, F3))
    return [_conv(s1, n_C, 1, init, "valid"), _bn(s1), _relu(s1),
            _conv(s2, F1, f, init, "same"), _bn(s2), _relu(s2),
            _conv(s3, F2, 1, init, "valid"), _conv(s3, n_C, 1, init, "valid"), _bn(s3), _bn(s3),
            ["Add", s3, 0], _relu(s3)]


def resnet50_rows(input_shape=(64, 64, 3), classes=6):
    """Expected summary rows of ResNet50, and {first row index: stage name} for messages."""
    n_H, n_W, n_C = input_shape
    n_H, n_W = n_H + 6, n_W + 6
    rows = [["ZeroPadding2D", (None, n_H, n_W, n_C), 0, ((3, 3), (3, 3))]]
    n_H, n_W = (n_H - 7) // 2 + 1, (n_W - 7) // 2 + 1
    shape = (None, n_H, n_W, 64)
    rows += [_conv(shape, n_C, 7, "GlorotUniform", "valid"), _bn(shape), _relu(shape)]
    n_H, n_W = (n_H - 3) // 2 + 1, (n_W - 3) // 2 + 1
    rows.append(["MaxPooling2D", (None, n_H, n_W, 64), 0, (3, 3), (2, 2), "valid"])
    stages = {0: "stage 1 (padding, 7x7 convolution, pooling)"}
    current = (n_H, n_W, 64)
    for stage, (filters, s, n_identity) in enumerate(
            (([64, 64, 256], 1, 2), ([128, 128, 512], 2, 3), ([256, 256, 1024], 2, 5),
             ([512, 512, 2048], 2, 2)),
            start=2):
        stages[len(rows)] = f"stage {stage} (convolutional block with filters {filters}, s={s})"
        rows += convolutional_rows(current, 3, filters, s)
        current = ((current[0] - 1) // s + 1, (current[1] - 1) // s + 1, filters[2])
        for k in range(n_identity):
            stages[len(rows)] = f"stage {stage} (identity block {k + 1} of {n_identity})"
            rows += identity_rows(current, 3, filters)
    stages[len(rows)] = "the head (average pooling, flatten, dense)"
    pooled = (None, (current[0] - 2) // 2 + 1, (current[1] - 2) // 2 + 1, current[2])
    rows += [["AveragePooling2D", pooled, 0, (2, 2), (2, 2), "valid"],
             ["Flatten", (None, int(np.prod(pooled[1:]))), 0],
             ["Dense", (None, classes), int(np.prod(pooled[1:])) * classes + classes, "softmax"]]
    return rows, stages


def _normalise(rows):
    """A ReLU layer counts as Activation('relu'): both are right."""
    return [["Activation", row[1], 0, "relu"]
            if row[0] == "ReLU" and row[3:] == [None, 0.0, 0.0] else row
            for row in rows]


def expect_rows(model, expected_rows, what, stages=None):
    """Compare summary rows; on a difference, a short message naming the layer (and stage)."""
    try:
        rows = _normalise(summary(model))
    except ValueError as error:
        raise CheckFailure(f"{what}: {error}") from None
    if stages is None:
        try:
            comparator(rows, expected_rows, verbose=False)
        except AssertionError as error:
            raise CheckFailure(f"{what} does not have the expected layers. {error}") from None
        return
    if len(rows) != len(expected_rows):
        raise CheckFailure(f"{what} has {len(rows)} layers, expected {len(expected_rows)}: count "
                           "the blocks of each stage and the layers of each block against the "
                           "description.")
    for i, (found, wanted) in enumerate(zip(rows, expected_rows, strict=True)):
        try:
            comparator([found], [wanted], verbose=False)
        except AssertionError as error:
            where = stages[max(k for k in stages if k <= i)]
            first = str(error).splitlines()[0].replace("Layer 0", f"Layer {i}")
            raise CheckFailure(f"{what}: in {where}, {first} Found {list(found)}, "
                               f"expected {list(wanted)}.") from None


# ---------------------------------------------------------------- block outputs
# A case is (input_shape, batch, f, filters, kwargs); its input values come from a
# generator seeded with the function's and the case's names.
VISIBLE_CASES = {
    "identity_block": {"visible": ((4, 4, 6), 3, 2, [4, 4, 6], {})},
    "convolutional_block": {"visible": ((4, 4, 6), 3, 2, [2, 4, 6], {})},
}

VALUE_HINT = ("The layers are right but the values are not: check that every Conv2D uses "
              "kernel_initializer=initializer(seed=0), where the stride goes, and where the "
              "shortcut is added (after the last BatchNormalization, before the last ReLU)")


def block_input(function, case, shape, batch):
    """Seeded input values for one case, and the keras.Input to build the block on."""
    rng = rng_for(ASSIGNMENT_ID, function, case)
    x = rng.uniform(-1.0, 1.0, size=(batch, *shape)).astype(np.float32)
    return keras.Input(shape=shape, batch_size=None), x


def run_block(model, x):
    """[output in inference mode, output in training mode].

    Inference runs first, since training updates BatchNormalization.
    """
    inference = keras.ops.convert_to_numpy(model(x, training=False))
    training = keras.ops.convert_to_numpy(model(x, training=True))
    return [inference, training]


def cases_with_inputs(cases, pending):
    """{function: {case: (args, kwargs)}} for stored outputs.

    Appends (keras.Input, x) of each case to ``pending``.
    """
    pending.clear()
    result = {}
    for function, function_cases in cases.items():
        result[function] = {}
        for case, (shape, batch, f, filters, kwargs) in function_cases.items():
            X_input, x = block_input(function, case, shape, batch)
            pending.append((X_input, x))
            result[function][case] = ((X_input, f, list(filters)), dict(kwargs))
    return result


def outputs_on_pending(function, result, pending):
    """The block's outputs on the seeded values of the pending input it was built on."""
    for X_input, x in pending:
        try:
            model = keras.Model(X_input, result)
        except ValueError:
            continue
        return run_block(model, x)
    raise ValueError(f"{function}: the output is not built on a pending input")


_PENDING: list = []  # (keras.Input, x) of the visible cases, so that visible_outputs finds them


def visible_cases():
    """{function: {case: (args, kwargs)}}: the visible cases whose outputs ``expected/`` stores."""
    return cases_with_inputs(VISIBLE_CASES, _PENDING)


def visible_outputs(function: str, result) -> list[np.ndarray]:
    return outputs_on_pending(function, result, _PENDING)


def check_block(function, fn, cases, expected_rows, stored, show):
    """Build ``fn`` on each case's input and check it.

    Compares the layers, the two modes, and the outputs with ``stored(case, k)``.
    """
    name = fn_name(fn)
    for case, (shape, batch, f, filters, kwargs) in cases.items():
        X_input, x = block_input(function, case, shape, batch)
        settings = ", ".join([f"f={f}", f"filters={filters}"] + [
            f"{k}={v.__name__ if isinstance(v, type) else v}" for k, v in kwargs.items()])
        label = f"{name}(X, {settings}) on X of shape {(batch, *shape)}"
        seed(0)  # an unseeded initializer draws the same weights at every run
        out = call_unchecked(fn, X_input, f, list(filters), **kwargs)
        if out is None:
            raise CheckFailure(f"{name} returned None: it must return X, the output of the last "
                               "activation.")
        if not isinstance(out, keras.KerasTensor):
            raise CheckFailure(f"{name} must return the Keras tensor made by the last layer, got "
                               f"{type(out).__name__}: build the block from Keras layers called "
                               "on X.")
        try:
            model = keras.Model(X_input, out)
        except Exception as error:  # a graph not built on X
            raise CheckFailure(f"{label}: its output is not computed from X ({error}). "
                               "Call every layer on the previous layer's output, "
                               "starting from X.") from None
        expect_rows(model, expected_rows(shape, f, filters, kwargs), label)
        outputs = run_block(model, x)
        if show:
            for mode, value in zip(("inference", "training"), outputs, strict=True):
                print(f"{label}, {mode} mode: output[0, 0, 0, :3] = "
                      f"{np.round(value[0, 0, 0, :3], 5)}")
        if np.allclose(outputs[0], outputs[1], atol=1e-4):
            raise CheckFailure(f"{label} gives the same output in training and inference mode: "
                               "each Conv2D must be followed by BatchNormalization(axis=3), "
                               "called without training=True (Keras chooses the mode).")
        for k, mode in enumerate(("inference", "training")):
            expect_close(outputs[k], stored(case, k), f"{label}, output in {mode} mode",
                         hint=VALUE_HINT, atol=1e-4, rtol=1e-4)


def identity_expected_rows(shape, f, filters, kwargs):
    init = kwargs.get("initializer", keras.initializers.RandomUniform).__name__
    return identity_rows(shape, f, filters, init)


def convolutional_expected_rows(shape, f, filters, kwargs):
    init = kwargs.get("initializer", keras.initializers.GlorotUniform).__name__
    return convolutional_rows(shape, f, filters, kwargs.get("s", 2), init)


def _stored(function):
    return lambda case, k: expected.get(ASSIGNMENT_ID, function, case, k)


def check_identity_block(identity_block: Callable) -> None:
    """identity_block on a (3, 4, 4, 6) input: its layers and its outputs in both modes."""
    check_block("identity_block", identity_block, VISIBLE_CASES["identity_block"],
                identity_expected_rows, _stored("identity_block"), show=True)
    print("All tests passed.")


def check_convolutional_block(convolutional_block: Callable) -> None:
    """convolutional_block on a (3, 4, 4, 6) input with s=2.

    Checks its layers and its outputs in both modes.
    """
    check_block("convolutional_block", convolutional_block, VISIBLE_CASES["convolutional_block"],
                convolutional_expected_rows, _stored("convolutional_block"), show=True)
    print("All tests passed.")


# ---------------------------------------------------------------------- ResNet50
def resnet50_model(ResNet50: Callable, args: dict, show: bool):
    """Build ResNet50(**args) and compare its layers with the rows; returns (model, label)."""
    label = "ResNet50(" + ", ".join(f"{k}={v}" for k, v in args.items()) + ")"
    model = build_model(ResNet50, **args)
    expected_rows, stages = resnet50_rows(**args)
    if show:
        print(f"{label}: {len(model.layers)} layers, {model.count_params():,} parameters, "
              f"output shape {tuple(model.output.shape)}")
    expect_rows(model, expected_rows, label, stages)
    return model, label


def check_ResNet50(ResNet50: Callable) -> None:
    """ResNet50() with the default arguments.

    Checks every layer of every stage, and the parameter count.
    """
    model, label = resnet50_model(ResNet50, {}, show=True)
    expect_params(model, label, RESNET50_PARAMS)
    print("All tests passed.")
