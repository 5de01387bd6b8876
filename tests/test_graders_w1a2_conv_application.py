"""W1A2 specifics.

The model specifications, what each kind of wrong answer is told, the manual question.

The common checks (solution passes, mutants caught, references) are in test_assignments.py.
The visible checks live in the student package (cnn_course.checks.w1a2_conv_application);
tests here also check their stored expected outputs against independent oracles.
"""

from __future__ import annotations

import numpy as np
import pytest

from cnn_course.checks import expected
from cnn_course.checks import w1a2_conv_application as checks
from cnn_course.checks._checking import failure_message as _raises
from cnn_course.graders import CheckFailure
from cnn_course.graders import w1a2_conv_application as grader
from cnn_course.graders.authoring.notebooks import nbgrader_meta, read_notebook, source_path
from cnn_course.graders.engine import injected
from cnn_course.graders.engine.loading import load_functions

AID = "w1a2_conv_application"


@pytest.fixture(scope="module")
def solution():
    return load_functions(AID)


def test_expected_layers_add_up_to_the_specified_parameter_counts():
    assert sum(row[2] for row in checks.happy_rows()) == 37_633 == checks.HAPPY_PARAMS
    assert sum(row[2] for row in checks.signs_rows_64x64x3()) == 1_310 == checks.SIGNS_PARAMS
    assert sum(row[2] for row in grader.signs_rows((64, 64, 3))) == 1_310
    # the visible rows (literal data) are the hidden specification at 64x64x3
    assert checks.signs_rows_64x64x3() == grader.signs_rows(checks.SIGNS_SHAPE)
    # "same" pooling keeps partial windows: 100 rows -> ceil(100 / 8) = 13 -> ceil(13 / 4) = 4
    assert grader.signs_rows((100, 60, 3))[5][1] == (None, 4, 2, 16)


def test_visible_checks_show_the_layers(solution, capsys):
    grader.check_happyModel(solution.happyModel)
    out = capsys.readouterr().out
    assert "BatchNormalization (None, 64, 64, 32) 128 3" in out and "All tests passed." in out


def test_the_visible_module_prints_the_same_values_as_the_grader_delegates_to(solution, capsys):
    checks.check_convert_to_one_hot(solution.convert_to_one_hot)
    direct = capsys.readouterr().out
    grader.check_convert_to_one_hot(solution.convert_to_one_hot, hidden=False)
    assert capsys.readouterr().out == direct
    assert "convert_to_one_hot(Y, 4) =" in direct and direct.endswith("All tests passed.\n")


def test_expected_visible_outputs_agree_with_independent_oracles():
    """The stored visible outputs are right, not only what the solution produced."""
    import tensorflow as tf

    stored = expected.load(AID)
    cases = checks.visible_cases()
    assert set(stored) == {f"{fn}/{case}/{k}" for fn, cs in cases.items() for case in cs
                           for k in range(2 if fn == "make_dataset" else 1)}
    for case, ((Y, C), _) in cases["convert_to_one_hot"].items():
        want = stored[f"convert_to_one_hot/{case}/0"]
        np.testing.assert_array_equal(want, grader.oracle_one_hot(Y, C), err_msg=case)
        np.testing.assert_array_equal(want, tf.one_hot(Y[0], C).numpy().T, err_msg=case)
    (X, Y, _), _ = cases["make_dataset"]["visible"]
    np.testing.assert_allclose(stored["make_dataset/visible/0"], grader.oracle_scaled(X), atol=1e-7)
    np.testing.assert_allclose(stored["make_dataset/visible/0"],
                               tf.cast(X, tf.float32).numpy() / 255.0, atol=1e-7)
    np.testing.assert_array_equal(stored["make_dataset/visible/1"], Y)


def test_the_visible_module_builds_no_model_and_computes_no_answer():
    import ast
    import inspect

    source = inspect.getsource(checks)
    assert "cnn_course.graders" not in source
    called = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            called.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    builders = {"Sequential", "Model", "Input", "Conv2D", "Dense", "MaxPool2D", "MaxPooling2D",
                "ZeroPadding2D", "BatchNormalization", "ReLU", "Flatten", "eye", "one_hot",
                "from_tensor_slices", "shuffle", "batch", "map", "compile"}
    assert not called & builders, called & builders


def test_one_hot_without_transpose_is_told_to_transpose():
    def convert_to_one_hot(Y, C):
        return np.eye(C)[Y.reshape(-1)]

    _raises(grader.check_convert_to_one_hot, convert_to_one_hot, "transpose")


def test_dataset_that_shuffles_images_and_labels_apart_is_caught():
    import tensorflow as tf

    def make_dataset(X, Y, batch_size, shuffle=True, seed=0):
        images = tf.data.Dataset.from_tensor_slices(X)
        labels = tf.data.Dataset.from_tensor_slices(Y)
        if shuffle:
            images = images.shuffle(len(X), seed=seed)
        dataset = tf.data.Dataset.zip((images, labels)).batch(batch_size)
        return dataset.map(lambda x, y: (tf.cast(x, tf.float32) / 255.0, y))

    _raises(grader.check_make_dataset, make_dataset, "label of another example")


def test_dataset_of_unscaled_pixels_is_told_to_divide():
    import tensorflow as tf

    def make_dataset(X, Y, batch_size, shuffle=True, seed=0):
        dataset = tf.data.Dataset.from_tensor_slices((X, Y))
        return dataset.batch(batch_size).map(lambda x, y: (tf.cast(x, tf.float32), y))

    _raises(grader.check_make_dataset, make_dataset, "divide the uint8 pixels by 255")


def test_uncompiled_happy_model_is_told_to_compile(solution):
    def happyModel():
        model = solution.happyModel()
        import tensorflow as tf

        return tf.keras.Sequential([tf.keras.Input((64, 64, 3)), *model.layers])  # never compiled

    _raises(grader.check_happyModel, happyModel, "not compiled")


def test_happy_model_without_input_is_told_to_build_it():
    import tensorflow as tf

    def happyModel():
        layers = tf.keras.layers
        return tf.keras.Sequential([layers.ZeroPadding2D(3), layers.Conv2D(32, 7),
                                    layers.Flatten()])

    _raises(grader.check_happyModel, happyModel, "keras.Input")


def test_happy_model_without_batchnorm_names_the_layer():
    import tensorflow as tf

    def happyModel():
        layers = tf.keras.layers
        model = tf.keras.Sequential([tf.keras.Input((64, 64, 3)), layers.ZeroPadding2D(3),
                                     layers.Conv2D(32, 7), layers.ReLU(), layers.MaxPooling2D(2),
                                     layers.Flatten(),
                                     layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        return model

    _raises(grader.check_happyModel, happyModel, "6 layers, expected 7", "BatchNormalization")


def test_sequential_signs_model_is_told_to_use_the_functional_api():
    import tensorflow as tf

    def convolutional_model(input_shape):
        layers = tf.keras.layers
        model = tf.keras.Sequential([
            tf.keras.Input(input_shape), layers.Conv2D(8, 4, padding="same"), layers.ReLU(),
            layers.MaxPool2D(8, 8, padding="same"), layers.Conv2D(16, 2, padding="same"),
            layers.ReLU(), layers.MaxPool2D(4, 4, padding="same"), layers.Flatten(),
            layers.Dense(6, activation="softmax")])
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
        return model

    _raises(grader.check_convolutional_model, convolutional_model, "Functional API")


def test_signs_model_with_a_fixed_input_shape_fails_the_hidden_check(solution):
    def convolutional_model(input_shape):
        return solution.convolutional_model((64, 64, 3))

    grader.check_convolutional_model(convolutional_model)  # the visible check uses 64x64x3
    with pytest.raises(CheckFailure, match="use tf.keras.Input"):
        grader.check_convolutional_model(convolutional_model, hidden=True)


def test_manual_question_is_graded_by_hand_and_its_rubric_stays_in_the_source():
    nb = read_notebook(source_path(AID))
    cells = {nbgrader_meta(c).get("grade_id"): c for c in nb.cells}
    answer = cells["functional_vs_sequential_answer"]
    meta = nbgrader_meta(answer)
    assert (answer.cell_type == "markdown" and meta["grade"] and meta["solution"]
            and meta["points"] == 2)
    assert "Rubric" in answer.source
    assert (answer.source.strip().startswith("### BEGIN SOLUTION")
            and answer.source.strip().endswith("### END SOLUTION")), \
        "the whole answer, rubric included, is replaced in the release"
    ids = list(cells)
    assert ids.index("functional_question") == ids.index("functional_vs_sequential_answer") - 1
    assert nbgrader_meta(cells["functional_question"])["locked"]
    assert ("Add()" in cells["skip_connection_demo"].source
            or "Add(" in cells["skip_connection_demo"].source)


@pytest.mark.nbgrader
def test_release_has_no_rubric_and_no_model_answer(tmp_path):
    from cnn_course.graders.engine import cohort as ct

    released = ct.release(ct.make_course(tmp_path / "course"), AID)
    text = released.read_text()
    assert "Rubric" not in text and "Model answer" not in text and "YOUR ANSWER HERE" in text


def test_full_mode_settings_are_larger_than_smoke_settings():
    nb = read_notebook(source_path(AID))
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    full, smoke = {}, {}
    exec(cell.source, {}, full)  # noqa: S102
    exec(cell.source + "\n" + injected.smoke_source(injected.smoke_settings(nb)),  # noqa: S102
         {}, smoke)
    assert full["seed"] == smoke["seed"] == 0
    assert (full["happy_epochs"] > smoke["happy_epochs"]
            and full["signs_epochs"] > smoke["signs_epochs"])
    assert full["train_examples"] is None and smoke["train_examples"] <= 64


def test_signs_model_compiled_with_the_binary_loss_names_the_loss(solution):
    def convolutional_model(input_shape):
        model = solution.convolutional_model(input_shape)
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        return model

    _raises(grader.check_convolutional_model, convolutional_model, "binary_crossentropy",
            "expected categorical_crossentropy")
