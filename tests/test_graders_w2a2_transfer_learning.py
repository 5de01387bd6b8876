"""W2A2 specifics: what each kind of wrong answer is told (the common checks: test_assignments.py).

``checks`` is the visible side (student package), ``grader`` the hidden side.
"""

from __future__ import annotations

import numpy as np
import pytest

from cnn_course.checks import w2a2_transfer_learning as checks
from cnn_course.checks._checking import failure_message as _raises
from cnn_course.graders import w2a2_transfer_learning as grader
from cnn_course.graders.engine.loading import load_functions
from cnn_course.utils.mobilenet import BASE_NAME
from cnn_course.utils.runtime import quiet_tensorflow

quiet_tensorflow()

import keras  # noqa: E402

AID = "w2a2_transfer_learning"


@pytest.fixture(scope="module")
def solution():
    return load_functions(AID)


def test_the_visible_checks_hand_out_no_answer():
    """The augmentation and the model the visible checks build.

    They are not data_augmenter's or alpaca_model's.
    """
    augmentation = checks.check_augmentation()
    assert ([type(layer).__name__ for layer in augmentation.layers]
            != ["RandomFlip", "RandomRotation"])
    _raises(checks.check_data_augmenter, checks.check_augmentation,
            "expected ['RandomFlip', 'RandomRotation']")

    def alpaca_model(image_shape=(160, 160), data_augmentation=None):
        return checks.fine_tune_model()

    _raises(checks.check_alpaca_model, alpaca_model, "does not have the expected layers")


def test_the_forward_pass_oracle_is_keras_preprocessing():
    """The visible check's `pixels / 127.5 - 1` is what mobilenet_v2.preprocess_input computes."""
    x = checks.images("alpaca_model", (8, 8))
    np.testing.assert_allclose(x / 127.5 - 1.0,
                               keras.applications.mobilenet_v2.preprocess_input(x.copy()),
                               rtol=1e-6, atol=1e-6)


def test_the_grader_delegates_to_the_visible_check(solution, capsys):
    for name in grader.GRADED_FUNCTIONS:
        getattr(checks, f"check_{name}")(getattr(solution, name))
        direct = capsys.readouterr().out
        grader.CHECKS[name](getattr(solution, name))
        assert capsys.readouterr().out == direct
        assert direct.strip().endswith("All tests passed.")


def test_create_datasets_split_is_compared_with_keras_own_in_the_hidden_check(solution):
    """A seed that is not the argument passes the visible case (seed 42).

    It fails the hidden one.
    """
    def create_datasets(directory, image_size=(160, 160), batch_size=32, seed=42):
        return solution.create_datasets(directory, image_size, batch_size, 42)

    checks.check_create_datasets(create_datasets)
    _raises(grader.check_create_datasets, create_datasets, "does not split the photos as",
            "Pass the seed", hidden=True)


def test_create_datasets_must_keep_the_class_names_and_the_pairs(solution):
    import tensorflow as tf

    def prefetched(directory, image_size=(160, 160), batch_size=32, seed=42):
        train, validation = solution.create_datasets(directory, image_size, batch_size, seed)
        return train.prefetch(tf.data.AUTOTUNE), validation

    def images_only(directory, image_size=(160, 160), batch_size=32, seed=42):
        train, validation = solution.create_datasets(directory, image_size, batch_size, seed)
        images = train.map(lambda x, y: x)
        images.class_names = train.class_names
        return images, validation

    def one_dataset(directory, image_size=(160, 160), batch_size=32, seed=42):
        return solution.create_datasets(directory, image_size, batch_size, seed)[0]

    prefetched.__name__ = images_only.__name__ = one_dataset.__name__ = "create_datasets"
    _raises(checks.check_create_datasets, prefetched, "class_names None, expected ['cats', 'dogs']")
    _raises(checks.check_create_datasets, one_dataset, "must return 2 values")
    _raises(checks.check_create_datasets, images_only, "(images, labels) pairs")


def test_the_generated_photos_say_which_file_they_are(tmp_path):
    labels = checks.image_folder(tmp_path / "photos", {"b": 2, "a": 3})
    assert labels == {1: 0, 2: 0, 3: 0, 4: 1, 5: 1}
    assert (sorted(p.parent.name for p in (tmp_path / "photos").rglob("*.png"))
            == ["a"] * 3 + ["b"] * 2)
    dataset = keras.utils.image_dataset_from_directory(tmp_path / "photos", image_size=(9, 7),
                                                       batch_size=5, shuffle=False, verbose=False)
    images, found = next(iter(dataset))
    assert sorted(int(round(float(v))) for v in images[:, 4, 3, 0]) == [1, 2, 3, 4, 5]
    assert found.numpy().tolist() == [0, 0, 0, 1, 1]


def test_data_augmenter_wrong_order_or_type():
    def swapped():
        return keras.Sequential([keras.layers.RandomRotation(0.2),
                                 keras.layers.RandomFlip("horizontal")])

    def as_list():
        return [keras.layers.RandomFlip("horizontal"), keras.layers.RandomRotation(0.2)]

    swapped.__name__ = as_list.__name__ = "data_augmenter"
    _raises(grader.check_data_augmenter, swapped, "in this order")
    _raises(grader.check_data_augmenter, as_list, "keras.Model")
    _raises(checks.check_data_augmenter, swapped, "in this order")
    _raises(grader.check_data_augmenter, as_list, "keras.Model", hidden=True)


def test_data_augmenter_shared_object_is_caught_by_the_hidden_check():
    shared = keras.Sequential([keras.layers.RandomFlip("horizontal"),
                               keras.layers.RandomRotation(0.2)])

    def data_augmenter():
        return shared

    checks.check_data_augmenter(data_augmenter)
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
    _raises(checks.check_alpaca_model, fast, "learning rate 0.01")
    _raises(grader.check_alpaca_model, fast, "learning rate 0.01", hidden=True)


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
    _raises(checks.check_fine_tune, freezes_the_top, "base layer 0", "expected frozen")
    _raises(grader.check_fine_tune, freezes_the_top, "base layer 0", "expected frozen", hidden=True)


def test_fine_tune_without_recompiling_is_told_the_learning_rate(solution):
    def no_compile(model, fine_tune_at=120, base_learning_rate=0.001):
        base = model.get_layer(BASE_NAME)
        base.trainable = True
        for layer in base.layers[:fine_tune_at]:
            layer.trainable = False
        return model

    no_compile.__name__ = "fine_tune"
    _raises(checks.check_fine_tune, no_compile, "learning rate 0.001, expected 0.0001")


def test_grader_model_is_reset_between_checks(solution):
    checks.check_fine_tune(solution.fine_tune)
    model = checks.fine_tune_model()
    assert not model.get_layer(BASE_NAME).trainable
    assert len(model.trainable_weights) == 2  # the Dense kernel and bias only
    grader.check_fine_tune(solution.fine_tune, hidden=True)
    model = grader._grader_model((96, 96))
    assert not model.get_layer(BASE_NAME).trainable
    assert len(model.trainable_weights) == 2


def test_mutants_cover_the_issue_list():
    names = {m.name for m in grader.MUTANTS}
    assert {"base_left_trainable", "sigmoid_output_with_logits_loss", "fine_tune_at_ignored",
            "preprocess_missing"} <= names
    assert {"datasets_seeds_differ", "datasets_split_tenth", "datasets_image_size_ignored",
            "datasets_batch_size_ignored", "datasets_subsets_swapped",
            "datasets_not_shuffled"} <= names
