"""W2A2 specifics: what each kind of wrong answer is told (the common checks: test_assignments.py)."""

from __future__ import annotations

import pytest

from cnn_course.graders import load_functions
from cnn_course.graders import w2a2_transfer_learning as grader
from cnn_course.graders._checking import failure_message as _raises
from cnn_course.utils.mobilenet import BASE_NAME
from cnn_course.utils.runtime import quiet_tensorflow

quiet_tensorflow()

import keras  # noqa: E402

AID = "w2a2_transfer_learning"


@pytest.fixture(scope="module")
def solution():
    return load_functions(AID)


def test_data_augmenter_wrong_order_or_type():
    def swapped():
        return keras.Sequential([keras.layers.RandomRotation(0.2), keras.layers.RandomFlip("horizontal")])

    def as_list():
        return [keras.layers.RandomFlip("horizontal"), keras.layers.RandomRotation(0.2)]

    swapped.__name__ = as_list.__name__ = "data_augmenter"
    _raises(grader.check_data_augmenter, swapped, "in this order")
    _raises(grader.check_data_augmenter, as_list, "keras.Model")


def test_data_augmenter_shared_object_is_caught_by_the_hidden_check():
    shared = keras.Sequential([keras.layers.RandomFlip("horizontal"), keras.layers.RandomRotation(0.2)])

    def data_augmenter():
        return shared

    grader.check_data_augmenter(data_augmenter)
    _raises(grader.check_data_augmenter, data_augmenter, "same object", hidden=True)


def test_alpaca_model_not_compiled_or_wrong_rate(solution):
    def uncompiled(image_shape, data_augmentation):
        model = solution.alpaca_model(image_shape, data_augmentation)
        return keras.Model(model.inputs, model.outputs)

    def fast(image_shape, data_augmentation):
        model = solution.alpaca_model(image_shape, data_augmentation)
        model.compile(optimizer=keras.optimizers.Adam(0.01),
                      loss=keras.losses.BinaryCrossentropy(from_logits=True), metrics=["accuracy"])
        return model

    uncompiled.__name__ = fast.__name__ = "alpaca_model"
    _raises(grader.check_alpaca_model, uncompiled, "not compiled")
    _raises(grader.check_alpaca_model, fast, "learning rate 0.01")


def test_fine_tune_errors(solution):
    def forgets_return(model, fine_tune_at=120, base_learning_rate=0.001):
        solution.fine_tune(model, fine_tune_at, base_learning_rate)

    def freezes_the_top(model, fine_tune_at=120, base_learning_rate=0.001):
        base = model.get_layer(BASE_NAME)
        base.trainable = True
        for layer in base.layers[fine_tune_at:]:
            layer.trainable = False
        model.compile(optimizer=keras.optimizers.Adam(base_learning_rate / 10),
                      loss=keras.losses.BinaryCrossentropy(from_logits=True), metrics=["accuracy"])
        return model

    forgets_return.__name__ = freezes_the_top.__name__ = "fine_tune"
    _raises(grader.check_fine_tune, forgets_return, "returned None")
    _raises(grader.check_fine_tune, freezes_the_top, "base layer 0", "expected frozen")


def test_grader_model_is_reset_between_checks(solution):
    grader.check_fine_tune(solution.fine_tune)
    model = grader._grader_model((96, 96))
    assert not model.get_layer(BASE_NAME).trainable
    assert len(model.trainable_weights) == 2  # the Dense kernel and bias only


def test_mutants_cover_the_issue_list():
    names = {m.name for m in grader.MUTANTS}
    assert {"base_left_trainable", "sigmoid_output_with_logits_loss", "fine_tune_at_ignored",
            "preprocess_missing"} <= names
