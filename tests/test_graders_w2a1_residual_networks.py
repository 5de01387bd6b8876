"""W2A1 specifics: what each kind of wrong answer is told (the common checks: test_assignments.py).

``checks`` is the visible side (student package), ``grader`` the hidden side.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from cnn_course.checks import expected
from cnn_course.checks import w2a1_residual_networks as checks
from cnn_course.checks._checking import failure_message as _raises
from cnn_course.graders import reference
from cnn_course.graders import w2a1_residual_networks as grader
from cnn_course.graders.authoring.mutants import by_name, mutants
from cnn_course.graders.engine.loading import load_functions
from cnn_course.utils.keras_summary import summary
from cnn_course.utils.runtime import quiet_tensorflow

quiet_tensorflow()

import keras  # noqa: E402
from keras.layers import Activation, Add, BatchNormalization, Conv2D, ReLU  # noqa: E402

AID = "w2a1_residual_networks"


@pytest.fixture(scope="module")
def solution():
    return load_functions(AID)


def test_visible_checks_show_values_in_both_modes(solution, capsys):
    checks.check_identity_block(solution.identity_block)
    out = capsys.readouterr().out
    assert "inference mode: output[0, 0, 0, :3]" in out and "training mode" in out
    assert out.strip().endswith("All tests passed.")


def test_the_grader_delegates_to_the_visible_check(solution, capsys):
    for name in grader.GRADED_FUNCTIONS:
        getattr(checks, f"check_{name}")(getattr(solution, name))
        direct = capsys.readouterr().out
        grader.CHECKS[name](getattr(solution, name))
        assert capsys.readouterr().out == direct
        grader.CHECKS[name](getattr(solution, name), hidden=True)
        assert capsys.readouterr().out.strip() == "Hidden tests passed."


def test_the_stored_outputs_hold_the_visible_and_the_hidden_cases_apart():
    assert {key.split("/")[1] for key in expected.load(AID)} == {"visible"}
    assert all(key.split("/")[1].startswith("hidden") for key in reference.load(AID))


@pytest.mark.parametrize("stored", ["visible", "hidden"])
def test_stored_outputs_agree_with_the_tensorflow_oracle(stored):
    """Not only the solution's outputs.

    They also agree with a block computed from tf.nn ops and the initializer alone.
    """
    cases = checks.VISIBLE_CASES if stored == "visible" else grader.HIDDEN_CASES
    for function, function_cases in cases.items():
        for case, (shape, batch, f, filters, kwargs) in function_cases.items():
            _, x = checks.block_input(function, case, shape, batch)
            for k, training in enumerate((False, True)):
                if stored == "visible":
                    value = expected.get(AID, function, case, k)
                else:
                    value = reference.load(AID)[f"{function}/{case}/{k}"]
                oracle = grader.block_oracle(function, x, f, filters, training, **kwargs)
                np.testing.assert_allclose(value, oracle, rtol=1e-5, atol=1e-5,
                                           err_msg=f"{function}/{case}/{k}")


def test_the_oracle_ends_in_a_relu_and_its_two_modes_differ():
    shape, batch, f, filters, _ = checks.VISIBLE_CASES["identity_block"]["visible"]
    _, x = checks.block_input("identity_block", "visible", shape, batch)
    with_skip = grader.block_oracle("identity_block", x, f, filters, training=True)
    assert with_skip.shape == (batch, *shape) and (with_skip >= 0).all()
    assert not np.allclose(with_skip, grader.block_oracle("identity_block", x, f, filters,
                                                          training=False))


def test_the_specification_rows_add_up_to_the_published_parameter_count():
    rows, stages = checks.resnet50_rows()
    assert sum(row[2] for row in rows) == checks.RESNET50_PARAMS == grader.RESNET50_PARAMS \
        == 23_600_006
    assert len(rows) == 176 and rows[-1] == ["Dense", (None, 6), 12_294, "softmax"]
    assert sum("identity block" in s for s in stages.values()) == 2 + 3 + 5 + 2


def test_the_solution_matches_the_specification_rows(solution):
    X = keras.Input((8, 8, 5))
    model = keras.Model(X, solution.convolutional_block(X, 3, [2, 3, 7], s=2))
    assert summary(model) == checks.convolutional_rows((8, 8, 5), 3, [2, 3, 7], 2)


def test_returning_none_is_reported():
    def identity_block(X, f, filters, initializer=None):
        Conv2D(filters[0], 1)(X)

    _raises(grader.check_identity_block, identity_block, "returned None")
    _raises(checks.check_identity_block, identity_block, "returned None")


def test_a_block_built_on_a_new_input_is_reported():
    def identity_block(X, f, filters, initializer=None):
        return Conv2D(filters[2], 1)(keras.Input(X.shape[1:]))

    _raises(grader.check_identity_block, identity_block, "is not computed from X")


def test_a_missing_batch_normalisation_names_the_layer(solution):
    def identity_block(X, f, filters, initializer=keras.initializers.RandomUniform):
        F1, F2, F3 = filters
        shortcut = X
        X = Activation("relu")(Conv2D(F1, 1, kernel_initializer=initializer(seed=0))(X))
        X = Activation("relu")(Conv2D(F2, f, padding="same",
                                      kernel_initializer=initializer(seed=0))(X))
        X = BatchNormalization(axis=3)(Conv2D(F3, 1, kernel_initializer=initializer(seed=0))(X))
        return Activation("relu")(Add()([X, shortcut]))

    _raises(checks.check_identity_block, identity_block, "does not have the expected layers",
                    "BatchNormalization")
    _raises(grader.check_identity_block, identity_block, "does not have the expected layers",
            "BatchNormalization", hidden=True)


def test_a_relu_layer_counts_as_activation_relu():
    def identity_block(X, f, filters, initializer=keras.initializers.RandomUniform):
        F1, F2, F3 = filters
        shortcut = X
        X = ReLU()(BatchNormalization(axis=3)(
            Conv2D(F1, 1, kernel_initializer=initializer(seed=0))(X)))
        X = Conv2D(F2, f, padding="same", kernel_initializer=initializer(seed=0))(X)
        X = ReLU()(BatchNormalization(axis=3)(X))
        X = BatchNormalization(axis=3)(Conv2D(F3, 1, kernel_initializer=initializer(seed=0))(X))
        return ReLU()(Add()([X, shortcut]))

    checks.check_identity_block(identity_block)
    grader.check_identity_block(identity_block, hidden=True)


def test_a_hard_coded_initializer_fails_the_hidden_check(solution):
    def identity_block(X, f, filters, initializer=None):
        return solution.identity_block(X, f, filters)  # ignores the initializer argument

    checks.check_identity_block(identity_block)
    _raises(grader.check_identity_block, identity_block, "HeUniform", hidden=True)


def test_a_wrong_stage_is_named(solution):
    def ResNet50(input_shape=(64, 64, 3), classes=6):
        model = solution.ResNet50(input_shape, classes)
        X = model.layers[-4].output  # the last block's output, then a head without pooling
        return keras.Model(model.input, keras.layers.Dense(classes, activation="softmax")(
            keras.layers.Flatten()(X)))

    _raises(checks.check_ResNet50, ResNet50, "175 layers, expected 176")


def test_the_listed_mutants_exist():
    names = {m.name for m in mutants(AID)}
    for name in ("identity_shortcut_after_relu", "identity_without_skip", "projection_without_bn",
                 "stride_on_middle_conv"):
        assert by_name(name).assignment_id == AID
        assert name in names
    # every mutant but the unseeded one changes the layers ResNet50 is made of
    for m in mutants(AID):
        assert ("ResNet50_tests" in m.fails) == (m.name != "identity_unseeded_initializer"), m.name


def test_resnet50_weights_trainer_runs_in_smoke_mode():
    from cnn_course.graders import trainers

    path = trainers.make("resnet50_signs", smoke=True, verbose=False)
    assert path.name == "resnet50_signs.weights.h5" and path.exists()
    # weights only: the file does not rebuild the architecture (an answer)
    with pytest.raises(ValueError):
        keras.models.load_model(path)
    model = load_functions(AID).ResNet50(input_shape=(64, 64, 3), classes=6)
    model.load_weights(path)  # as the notebook does, into the student's own model
    assert model.count_params() == grader.RESNET50_PARAMS
    metrics = json.loads(path.with_name("resnet50_signs.json").read_text())["metrics"]
    assert 0.0 <= metrics["test_accuracy"] <= 1.0 and metrics["epochs"] == 1
