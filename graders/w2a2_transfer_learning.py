"""Checks for W2A2, transfer learning with MobileNetV2 (alpaca / not alpaca).

Each graded function ``f`` of the notebook has ``check_f(fn, hidden=False)``:

- ``data_augmenter``: the layers and their settings, identity at inference,
  and (hidden) a flip that only ever mirrors left-right;
- ``alpaca_model``: layers, parameter counts (frozen base), compile settings,
  and the forward pass against an oracle built from the model's own layers
  (pixels / 127.5 - 1 -> base -> pooling -> dense), so a missing or wrong
  preprocessing is caught; (hidden) another image size, and the base called
  with ``training=False``;
- ``fine_tune``: on a model the grader builds itself (so a wrong
  ``alpaca_model`` does not fail it), which base layers are frozen, the
  trainable parameters, and the new compile settings.

Every check raises :class:`CheckFailure` with a sentence on the first problem.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np

from cnn_course.graders._checking import CheckFailure, call_unchecked, expect_close, rng_for
from cnn_course.graders._keras_checks import (
    build_model,
    expect_compiled,
    expect_layers,
    expect_params,
)
from cnn_course.graders.mutants import Mutant, mutant
from cnn_course.utils.runtime import quiet_tensorflow

quiet_tensorflow()

import keras  # noqa: E402

from cnn_course.utils.mobilenet import BASE_NAME  # noqa: E402

ASSIGNMENT_ID = "w2a2_transfer_learning"
GRADED_FUNCTIONS = ("data_augmenter", "alpaca_model", "fine_tune")
NBGRADER_MUTANTS = False  # TF assignments grade mutants at function level only

BASE_PARAMS = 2_257_984  # MobileNetV2, alpha 1.0, include_top=False (any input size)
HEAD_PARAMS = 1_281  # Dense(1) on 1,280 pooled features
FEATURES = 1280


def _augmenter() -> keras.Sequential:
    """The grader's own augmenter, so that alpaca_model's checks do not depend on data_augmenter."""
    return keras.Sequential([keras.layers.RandomFlip("horizontal"), keras.layers.RandomRotation(0.2)])


def _images(name: str, size: tuple[int, int], m: int = 2) -> np.ndarray:
    """Random pixels in [0, 255], float32, shape (m, height, width, 3)."""
    return rng_for(ASSIGNMENT_ID, name).uniform(0, 255, size=(m, *size, 3)).astype(np.float32)


def _feature_size(n: int) -> int:
    """MobileNetV2 divides the input size by 32, rounding up (5 for 160, 3 for 96)."""
    return -(-n // 32)


def _find_base(model: keras.Model, what: str) -> keras.Model:
    for layer in model.layers:
        if layer.name == BASE_NAME:
            return layer
    raise CheckFailure(f"{what} has no layer named {BASE_NAME!r}: use the base_model that pretrained_base "
                       "returned, and call it on your tensor (base_model(x, training=False)).")


# ----------------------------------------------------------------------------- data_augmenter


def check_data_augmenter(data_augmenter: Callable, hidden: bool = False) -> None:
    """data_augmenter returns Sequential([RandomFlip('horizontal'), RandomRotation(0.2)])."""
    augmenter = build_model(data_augmenter)
    if not isinstance(augmenter, keras.Sequential):
        raise CheckFailure(f"data_augmenter must return a tf.keras.Sequential, got a {type(augmenter).__name__}.")
    kinds = [type(layer).__name__ for layer in augmenter.layers]
    if kinds != ["RandomFlip", "RandomRotation"]:
        raise CheckFailure(f"data_augmenter's layers are {kinds}, expected ['RandomFlip', 'RandomRotation'] "
                           "(exactly these two, in this order).")
    flip, rotation = augmenter.layers
    if flip.get_config()["mode"] != "horizontal":
        raise CheckFailure(f"RandomFlip has mode {flip.get_config()['mode']!r}, expected 'horizontal': "
                           "an upside-down alpaca is not a photo the model will ever see.")
    factor = rotation.get_config()["factor"]
    factor = tuple(float(f) for f in (factor if isinstance(factor, list | tuple) else (-factor, factor)))
    if not np.allclose(factor, (-0.2, 0.2)):
        raise CheckFailure(f"RandomRotation has factor {factor}, expected 0.2 (up to 20% of a turn either way).")
    x = _images("augment", (24, 32) if hidden else (32, 32))
    out = np.asarray(augmenter(x, training=False))
    expect_close(out, x, "data_augmenter(...)(images, training=False)",
                 "Augmentation layers must let images through unchanged at inference", atol=1e-4)
    if not hidden:
        print("layers:", kinds, "| flip mode:", flip.get_config()["mode"], "| rotation factor:", factor)
    else:
        seen = set()
        for k in range(24):  # the flip alone: each output is the image or its mirror image
            out = np.asarray(flip(x, training=True))
            for i in range(len(x)):  # each image of the batch is flipped or not on its own
                if np.allclose(out[i], x[i]):
                    seen.add("same")
                elif np.allclose(out[i], x[i, :, ::-1]):
                    seen.add("mirrored")
                else:
                    raise CheckFailure(f"RandomFlip produced an image that is neither the original nor its "
                                       f"left-right mirror (call {k + 1}): use RandomFlip('horizontal').")
        if seen != {"same", "mirrored"}:
            raise CheckFailure(f"In 24 calls RandomFlip only returned images that were {seen.pop()}: it should "
                               "mirror about half of them.")
        if data_augmenter() is augmenter:
            raise CheckFailure("data_augmenter returned the same object twice: build a new Sequential each call.")
    print("All tests passed." if not hidden else "Hidden tests passed.")


# ----------------------------------------------------------------------------- alpaca_model


def _expected_rows(size: tuple[int, int]) -> list[list]:
    h, w = size
    return [
        ["Sequential", (None, h, w, 3), 0],
        ["Functional", (None, _feature_size(h), _feature_size(w), FEATURES), BASE_PARAMS],
        ["GlobalAveragePooling2D", (None, FEATURES), 0],
        ["Dropout", (None, FEATURES), 0, 0.2],
        ["Dense", (None, 1), HEAD_PARAMS, "linear"],
    ]


def _base_call_training(model: keras.Model) -> object:
    """The ``training`` argument the base was called with in the model (from the public get_config)."""
    for layer in model.get_config().get("layers", []):
        if layer.get("name") == BASE_NAME:
            nodes = layer.get("inbound_nodes") or [{}]
            return (nodes[0].get("kwargs") or {}).get("training")
    return None


def check_alpaca_model(alpaca_model: Callable, hidden: bool = False) -> None:
    """alpaca_model: augmentation, preprocessing, frozen base, pooling, dropout, one logit; compiled."""
    size = (96, 128) if hidden else (160, 160)
    what = f"alpaca_model({size})"
    model = build_model(alpaca_model, size, _augmenter())
    expect_layers(model, _expected_rows(size), what)
    expect_params(model, what, total=BASE_PARAMS + HEAD_PARAMS, trainable=HEAD_PARAMS)
    expect_compiled(model, what, "Adam", keras.losses.BinaryCrossentropy, ["accuracy"], learning_rate=0.001,
                    from_logits=True)
    base = _find_base(model, what)
    pool, dense = model.layers[-3], model.layers[-1]
    x = _images("alpaca_model" + ("_hidden" if hidden else ""), size)
    # The pooled features, through the model's graph and through the oracle; compared relative to
    # their size, since a base with random weights (no weights file) has tiny activations.
    expected = np.asarray(pool(base(x / 127.5 - 1.0, training=False)))
    found = np.asarray(keras.Model(model.input, pool.output)(x, training=False))
    scale = float(np.abs(expected).max()) or 1.0
    expect_close(found / scale, expected / scale, f"{what}'s pooled features", "Pixels in [0, 255] must go "
                 "through preprocess_input (to [-1, 1], as the base was trained) right before the base",
                 atol=1e-3, rtol=1e-3)
    expect_close(np.asarray(model(x, training=False)), np.asarray(dense(expected)), f"{what}'s output",
                 "The output is Dense(1) of the pooled features, without activation", atol=1e-4, rtol=1e-4)
    if not hidden:
        print(f"{what}: {model.count_params():,} parameters, "
              f"{sum(int(np.prod(w.shape)) for w in model.trainable_weights):,} trainable; "
              f"output {tuple(model.output.shape)} logits; compiled with {type(model.optimizer).__name__}")
    else:
        training = _base_call_training(model)
        if training is not False:
            raise CheckFailure(f"{what} calls the base with training={training!r}: call base_model(x, "
                               "training=False) so that its batch normalisation stays in inference mode.")
    print("All tests passed." if not hidden else "Hidden tests passed.")


# ----------------------------------------------------------------------------- fine_tune


@cache
def _built_grader_model(size: tuple[int, int]) -> keras.Model:
    """An alpaca model built by the grader (random base weights: only the structure matters here)."""
    base = keras.applications.MobileNetV2(input_shape=(*size, 3), include_top=False, weights=None, name=BASE_NAME)
    inputs = keras.Input((*size, 3))
    x = keras.applications.mobilenet_v2.preprocess_input(_augmenter()(inputs))
    x = base(x, training=False)
    x = keras.layers.Dropout(0.2)(keras.layers.GlobalAveragePooling2D()(x))
    return keras.Model(inputs, keras.layers.Dense(1)(x))


def _grader_model(size: tuple[int, int]) -> keras.Model:
    """The grader's alpaca model as alpaca_model leaves it: base frozen, compiled (built once, reset each time)."""
    model = _built_grader_model(size)
    base = model.get_layer(BASE_NAME)
    for layer in [*model.layers, *base.layers]:
        layer.trainable = True
    base.trainable = False  # last: this freezes every layer of the base, as alpaca_model does
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def check_fine_tune(fine_tune: Callable, hidden: bool = False) -> None:
    """fine_tune: base layers [fine_tune_at:] trainable, earlier ones frozen, recompiled at lr / 10."""
    cases = [(100, 0.01), (140, 0.0005)] if hidden else [(120, 0.001)]
    model = _grader_model((96, 96))
    for fine_tune_at, learning_rate in cases:
        what = f"fine_tune(model, fine_tune_at={fine_tune_at}, base_learning_rate={learning_rate})"
        result = call_unchecked(fine_tune, model, fine_tune_at, learning_rate)
        if result is None:
            raise CheckFailure(f"{what} returned None: return the model. Did you forget `return model`?")
        if result is not model:
            raise CheckFailure(f"{what} must return the model it was given (recompiled), not a new one.")
        base = _find_base(model, "the model")
        if not base.trainable:
            raise CheckFailure(f"{what} left the base frozen: set base_model.trainable = True first, then "
                               "freeze the layers before fine_tune_at.")
        wrong = [(i, layer.name, layer.trainable) for i, layer in enumerate(base.layers)
                 if layer.trainable != (i >= fine_tune_at)]
        if wrong:
            i, name, trainable = wrong[0]
            state = "trainable" if trainable else "frozen"
            should = "frozen" if i < fine_tune_at else "trainable"
            raise CheckFailure(f"{what}: base layer {i} ({name}) is {state}, expected {should}; {len(wrong)} base "
                               f"layers are wrong. Freeze exactly base_model.layers[:fine_tune_at].")
        if not all(layer.trainable for layer in model.layers if layer is not base):
            raise CheckFailure(f"{what} froze a layer of the head: only base layers before fine_tune_at are frozen.")
        trainable = HEAD_PARAMS + sum(int(np.prod(w.shape)) for layer in base.layers[fine_tune_at:]
                                      for w in layer.trainable_weights)
        expect_params(model, what, total=BASE_PARAMS + HEAD_PARAMS, trainable=trainable)
        expect_compiled(model, what, "Adam", keras.losses.BinaryCrossentropy, ["accuracy"],
                        learning_rate=learning_rate / 10, from_logits=True)
        if not hidden:
            print(f"{what}: {fine_tune_at} of {len(base.layers)} base layers frozen, {trainable:,} trainable "
                  f"parameters, learning rate {learning_rate / 10:g}")
    print("All tests passed." if not hidden else "Hidden tests passed.")


CHECKS = {name: globals()[f"check_{name}"] for name in GRADED_FUNCTIONS}


# Mutants: wrong variants of the solution that the checks above must catch
# (see cnn_course.graders.mutants). Each function is checked on its own inputs
# (alpaca_model gets the grader's augmenter, fine_tune the grader's model), so a
# mutant fails its own function's tests only.

def _m(name, grade_id, description, edits, fails):
    return mutant(name, grade_id, description, edits, fails, ASSIGNMENT_ID)


MUTANTS: tuple[Mutant, ...] = (
    _m("augmenter_flips_vertically", "data_augmenter", "flips upside down as well",
       [('RandomFlip("horizontal")', 'RandomFlip("horizontal_and_vertical")')], ["data_augmenter"]),
    _m("base_left_trainable", "alpaca_model", "forgets to freeze the base",
       [("    base_model.trainable = False\n", "")], ["alpaca_model"]),
    _m("sigmoid_output_with_logits_loss", "alpaca_model", "puts a sigmoid on the output of a from_logits loss",
       [("tfl.Dense(1)(x)", 'tfl.Dense(1, activation="sigmoid")(x)')], ["alpaca_model"]),
    _m("preprocess_missing", "alpaca_model", "feeds [0, 255] pixels to the base",
       [("    x = preprocess_input(x)\n", "")], ["alpaca_model"]),
    _m("base_in_training_mode", "alpaca_model", "calls the base without training=False",
       [("base_model(x, training=False)", "base_model(x)")], ["alpaca_model"]),
    _m("fine_tune_at_ignored", "fine_tune", "always freezes the first 120 layers",
       [("base_model.layers[:fine_tune_at]", "base_model.layers[:120]")], ["fine_tune"]),
    _m("fine_tune_full_learning_rate", "fine_tune", "fine-tunes at the full learning rate",
       [("learning_rate=0.1 * base_learning_rate", "learning_rate=base_learning_rate")], ["fine_tune"]),
)
