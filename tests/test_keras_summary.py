"""Tests of cnn_course.utils.keras_summary."""

import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

import json

import pytest

keras = pytest.importorskip("keras")

from cnn_course.utils.keras_summary import comparator, summary  # noqa: E402

layers = keras.layers


def sequential_model(activation="relu", with_dropout=True):
    stack = [
        keras.Input((16, 16, 3)),
        layers.ZeroPadding2D(padding=2),
        layers.Conv2D(4, 5, strides=1, padding="valid", activation=activation),
        layers.BatchNormalization(axis=3),
        layers.ReLU(),
        layers.MaxPooling2D(pool_size=2),
    ]
    if with_dropout:
        stack.append(layers.Dropout(0.25))
    stack += [layers.Flatten(), layers.Dense(1, activation="sigmoid")]
    return keras.Sequential(stack)


def functional_model(classes=3):
    inputs = keras.Input((8, 8, 3))
    x = layers.Conv2D(6, 3, padding="same", kernel_initializer="he_normal")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    skip = x
    x = layers.AveragePooling2D(pool_size=2, strides=1, padding="valid")(x)
    x = layers.Conv2DTranspose(6, 2, padding="valid")(x)
    x = layers.Add()([x, skip])
    x = layers.Flatten()(x)
    outputs = layers.Dense(classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


SEQUENTIAL_EXPECTED = [
    ["ZeroPadding2D", (None, 20, 20, 3), 0, ((2, 2), (2, 2))],
    ["Conv2D", (None, 16, 16, 4), 304, "valid", "relu", "GlorotUniform"],
    ["BatchNormalization", (None, 16, 16, 4), 16, 3],
    ["ReLU", (None, 16, 16, 4), 0, None, 0.0, 0.0],
    ["MaxPooling2D", (None, 8, 8, 4), 0, (2, 2), (2, 2), "valid"],
    ["Dropout", (None, 8, 8, 4), 0, 0.25],
    ["Flatten", (None, 256), 0],
    ["Dense", (None, 1), 257, "sigmoid"],
]


def test_summary_of_a_sequential_model():
    assert summary(sequential_model()) == SEQUENTIAL_EXPECTED


def test_summary_of_a_functional_model():
    rows = summary(functional_model())
    assert rows == [
        ["Conv2D", (None, 8, 8, 6), 168, "same", "linear", "HeNormal"],
        ["BatchNormalization", (None, 8, 8, 6), 24, 3],
        ["Activation", (None, 8, 8, 6), 0, "relu"],
        ["AveragePooling2D", (None, 7, 7, 6), 0, (2, 2), (1, 1), "valid"],
        ["Conv2DTranspose", (None, 8, 8, 6), 150, "valid", "linear", "GlorotUniform"],
        ["Add", (None, 8, 8, 6), 0],
        ["Flatten", (None, 384), 0],
        ["Dense", (None, 3), 1155, "softmax"],
    ]


def test_summary_rejects_unbuilt_model_and_non_models():
    with pytest.raises(ValueError, match="keras.Model"):
        summary([layers.Dense(1)])
    with pytest.raises(ValueError, match="no single defined output"):
        summary(keras.Sequential([layers.Dense(2)]))


def test_comparator_passes_on_identical_models(capsys):
    assert comparator(summary(sequential_model()), SEQUENTIAL_EXPECTED) is None
    assert capsys.readouterr().out == "All layers match.\n"
    comparator(summary(functional_model()), summary(functional_model()), verbose=False)
    assert capsys.readouterr().out == ""


def test_comparator_accepts_rows_that_went_through_json():
    stored = json.loads(json.dumps(SEQUENTIAL_EXPECTED))
    comparator(summary(sequential_model()), stored, verbose=False)


def test_comparator_reports_a_missing_layer():
    with pytest.raises(AssertionError) as err:
        comparator(summary(sequential_model(with_dropout=False)), SEQUENTIAL_EXPECTED)
    message = str(err.value)
    assert message.startswith("The model has 7 layers, expected 8.")
    # the side-by-side listing shows both lists, the missing Dropout included
    assert "Dropout (None, 8, 8, 4) 0 0.25" in message
    assert "(none)" in message
    assert "MaxPooling2D (None, 8, 8, 4) 0 (2, 2) (2, 2) valid" in message


def test_comparator_reports_a_wrong_activation():
    with pytest.raises(AssertionError) as err:
        comparator(summary(sequential_model(activation="tanh")), SEQUENTIAL_EXPECTED)
    message = str(err.value)
    assert message.startswith(
        "Layer 1 (Conv2D) differs: activation: found 'tanh', expected 'relu'."
    )
    assert "\n  * " in message  # the differing row is marked in the listing


def test_comparator_reports_a_wrong_output_shape():
    with pytest.raises(AssertionError) as err:
        comparator(summary(functional_model(classes=4)), summary(functional_model()))
    message = str(err.value)
    assert message.startswith(
        "Layer 7 (Dense) differs: output shape: found (None, 4), expected (None, 3)."
    )
    assert "found:    ['Dense', (None, 4), 1540, 'softmax']" in message


def test_comparator_reports_a_wrong_layer_type():
    learner = [row[:] for row in SEQUENTIAL_EXPECTED]
    learner[4] = ["AveragePooling2D", (None, 8, 8, 4), 0, (2, 2), (2, 2), "valid"]
    with pytest.raises(
        AssertionError, match="Layer 4 .*AveragePooling2D layer, expected MaxPooling2D"
    ):
        comparator(learner, SEQUENTIAL_EXPECTED)


def test_comparator_rejects_arguments_that_are_not_rows():
    with pytest.raises(ValueError, match="list of layer rows"):
        comparator(sequential_model(), SEQUENTIAL_EXPECTED)
    with pytest.raises(ValueError, match=r"instructor\[0\]"):
        comparator(SEQUENTIAL_EXPECTED, [["Dense"]])
