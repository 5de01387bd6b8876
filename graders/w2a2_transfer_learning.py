"""Hidden checks of W2A2, transfer learning.

The visible ones are in ``cnn_course.checks.w2a2_transfer_learning``.

Each graded function ``f`` of the notebook has ``check_f(fn, hidden=False)``:
``hidden=False`` runs the visible check of the student package; ``hidden=True`` runs:

- ``create_datasets``: the visible checks on another generated folder (three classes, other
  image size, batch size and seed), and the split compared with Keras's own
  ``image_dataset_from_directory`` called with the described arguments (the same photos
  in each subset, the same class names);
- ``data_augmenter``: the visible checks on 24x32 images, a flip that only ever
  mirrors left-right (each image on its own), and a new Sequential at each call;
- ``alpaca_model``: the visible checks on 96x128 images, with the course's own
  augmenter, and the base called with ``training=False``;
- ``fine_tune``: two other ``fine_tune_at`` and learning rates, on an alpaca model
  the grader builds itself (the architecture of the course solution, so that a
  wrong ``alpaca_model`` does not fail it and ``fine_tune`` meets the layers it will
  meet in the notebook).

Every check raises :class:`CheckFailure` with a sentence on the first problem.
No reference outputs: every expected value is a property of the right answer.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from functools import cache

import numpy as np

from cnn_course.checks import w2a2_transfer_learning as visible
from cnn_course.checks._checking import CheckFailure
from cnn_course.checks.w2a2_transfer_learning import ASSIGNMENT_ID, BASE_PARAMS, HEAD_PARAMS
from cnn_course.graders.authoring.mutants import Mutant, mutant
from cnn_course.utils.runtime import quiet_tensorflow

quiet_tensorflow()

import keras  # noqa: E402

from cnn_course.utils.mobilenet import BASE_NAME  # noqa: E402

__all__ = ["ASSIGNMENT_ID", "BASE_PARAMS", "CHECKS", "CheckFailure", "GRADED_FUNCTIONS",
           "HEAD_PARAMS", "MUTANTS"]

GRADED_FUNCTIONS = ("create_datasets", "data_augmenter", "alpaca_model", "fine_tune")
NBGRADER_MUTANTS = False  # TF assignments grade mutants at function level only


def _augmenter() -> keras.Sequential:
    """The grader's own augmenter, so that alpaca_model's checks do not depend on data_augmenter."""
    return keras.Sequential([keras.layers.RandomFlip("horizontal"),
                             keras.layers.RandomRotation(0.2)])


# ----------------------------------------------------------------------------- create_datasets

# Photos per class, image size, batch size, seed: uneven classes, a last batch that is not full.
HIDDEN_DATASET_CASE = ({"birch": 14, "oak": 17, "maple": 12}, (18, 26), 5, 7)


def _photo_sets(dataset, what: str, image_size, batch_size, labels) -> set[int]:
    return set(visible.photo_numbers(dataset, what, image_size, batch_size, labels))


def _against_keras(image_size, batch_size, random_seed):
    """The comparison with Keras's own split of the same folder (the oracle)."""
    def compare(directory, what, train, validation, labels):
        options = {"validation_split": visible.VALIDATION_SPLIT, "seed": random_seed,
                   "shuffle": True, "image_size": image_size, "batch_size": batch_size}
        with contextlib.redirect_stdout(io.StringIO()):
            expected = [keras.utils.image_dataset_from_directory(directory, subset=subset,
                                                                 **options)
                        for subset in ("training", "validation")]
        want = [_photo_sets(d, "Keras's split", image_size, batch_size, labels) for d in expected]
        if set(train) != want[0] or set(validation) != want[1]:
            moved = len(set(validation) - want[1])
            raise CheckFailure(f"{what} does not split the photos as "
                               "image_dataset_from_directory(directory, "
                               f"validation_split=0.2, subset=..., seed=seed, shuffle=True, ...) "
                               f"does: {moved} validation photos differ. Pass the seed argument "
                               "(the same for both subsets) and shuffle=True.")
    return compare


def check_create_datasets(create_datasets: Callable, hidden: bool = False) -> None:
    """create_datasets: an 80/20 split of a folder's photos.

    Batched, resized and labelled by sub-folder.
    """
    if not hidden:
        visible.check_create_datasets(create_datasets)
        return
    counts, image_size, batch_size, random_seed = HIDDEN_DATASET_CASE
    visible.datasets_checked(create_datasets, counts, image_size, batch_size, random_seed,
                             show=False,
                             compare=_against_keras(image_size, batch_size, random_seed))
    print("Hidden tests passed.")


# ----------------------------------------------------------------------------- data_augmenter


def check_data_augmenter(data_augmenter: Callable, hidden: bool = False) -> None:
    """data_augmenter returns Sequential([RandomFlip('horizontal'), RandomRotation(0.2)])."""
    if not hidden:
        visible.check_data_augmenter(data_augmenter)
        return
    augmenter, flip, x = visible.augmenter_layers(data_augmenter, (24, 32), show=False)
    seen = set()
    for k in range(24):  # the flip alone: each output is the image or its mirror image
        out = np.asarray(flip(x, training=True))
        for i in range(len(x)):  # each image of the batch is flipped or not on its own
            if np.allclose(out[i], x[i]):
                seen.add("same")
            elif np.allclose(out[i], x[i, :, ::-1]):
                seen.add("mirrored")
            else:
                raise CheckFailure(f"RandomFlip produced an image that is neither the original "
                                   f"nor its left-right mirror (call {k + 1}): use "
                                   "RandomFlip('horizontal').")
    if seen != {"same", "mirrored"}:
        raise CheckFailure(f"In 24 calls RandomFlip only returned images that were {seen.pop()}: "
                           "it should mirror about half of them.")
    if data_augmenter() is augmenter:
        raise CheckFailure("data_augmenter returned the same object twice: build a new Sequential "
                           "each call.")
    print("Hidden tests passed.")


# ----------------------------------------------------------------------------- alpaca_model


def _base_call_training(model: keras.Model) -> object:
    """The ``training`` argument the base was called with in the model.

    Read from the public get_config.
    """
    for layer in model.get_config().get("layers", []):
        if layer.get("name") == BASE_NAME:
            nodes = layer.get("inbound_nodes") or [{}]
            return (nodes[0].get("kwargs") or {}).get("training")
    return None


def check_alpaca_model(alpaca_model: Callable, hidden: bool = False) -> None:
    """alpaca_model: augmentation, preprocessing, frozen base, pooling, dropout, one logit.

    It comes compiled.
    """
    if not hidden:
        visible.check_alpaca_model(alpaca_model)
        return
    model, what = visible.alpaca_model_checked(alpaca_model, (96, 128), _augmenter(),
                                               "alpaca_model_hidden", show=False)
    training = _base_call_training(model)
    if training is not False:
        raise CheckFailure(f"{what} calls the base with training={training!r}: call "
                           "base_model(x, training=False) so that its batch normalisation stays "
                           "in inference mode.")
    print("Hidden tests passed.")


# ----------------------------------------------------------------------------- fine_tune


@cache
def _built_grader_model(size: tuple[int, int]) -> keras.Model:
    """An alpaca model built by the grader.

    Random base weights: only the structure matters here.
    """
    base = keras.applications.MobileNetV2(input_shape=(*size, 3), include_top=False, weights=None,
                                          name=BASE_NAME)
    inputs = keras.Input((*size, 3))
    x = keras.applications.mobilenet_v2.preprocess_input(_augmenter()(inputs))
    x = base(x, training=False)
    x = keras.layers.Dropout(0.2)(keras.layers.GlobalAveragePooling2D()(x))
    return keras.Model(inputs, keras.layers.Dense(1)(x))


def _grader_model(size: tuple[int, int]) -> keras.Model:
    """The grader's alpaca model as alpaca_model leaves it: base frozen, compiled.

    Built once, reset each time.
    """
    model = _built_grader_model(size)
    base = model.get_layer(BASE_NAME)
    for layer in [*model.layers, *base.layers]:
        layer.trainable = True
    base.trainable = False  # last: this freezes every layer of the base, as alpaca_model does
    model.compile(optimizer=keras.optimizers.Adam(0.001),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def check_fine_tune(fine_tune: Callable, hidden: bool = False) -> None:
    """fine_tune: base layers [fine_tune_at:] trainable, earlier ones frozen.

    The model is recompiled at lr / 10.
    """
    if not hidden:
        visible.check_fine_tune(fine_tune)
        return
    visible.fine_tune_checked(fine_tune, _grader_model((96, 96)), [(100, 0.01), (140, 0.0005)],
                              show=False)
    print("Hidden tests passed.")


CHECKS = {name: globals()[f"check_{name}"] for name in GRADED_FUNCTIONS}


# Mutants: wrong variants of the solution that the checks above must catch
# (see cnn_course.graders.authoring.mutants). Each function is checked on its own inputs
# (alpaca_model gets the checks' own augmenter, fine_tune the checks' own model), so a
# mutant fails its own function's tests only.

def _m(name, grade_id, description, edits, fails):
    return mutant(name, grade_id, description, edits, fails, ASSIGNMENT_ID)


_TRAIN = ('subset="training", seed=seed,\n'
          '        shuffle=True, image_size=image_size, batch_size=batch_size)')
_VALIDATION = ('subset="validation", seed=seed,\n'
               '        shuffle=True, image_size=image_size, batch_size=batch_size)')

MUTANTS: tuple[Mutant, ...] = (
    _m("datasets_seeds_differ", "create_datasets",
       "gives the validation subset another seed (the subsets overlap)",
       [('subset="validation", seed=seed,', 'subset="validation", seed=seed + 1,')],
       ["create_datasets"]),
    _m("datasets_split_tenth", "create_datasets", "keeps 10% for validation",
       [('validation_split=0.2, subset="training"', 'validation_split=0.1, subset="training"'),
        ('validation_split=0.2, subset="validation"', 'validation_split=0.1, subset="validation"')],
       ["create_datasets"]),
    _m("datasets_image_size_ignored", "create_datasets",
       "leaves the image size at Keras's default (256, 256)",
       [(_TRAIN, _TRAIN.replace(" image_size=image_size,", "")),
        (_VALIDATION, _VALIDATION.replace(" image_size=image_size,", ""))], ["create_datasets"]),
    _m("datasets_batch_size_ignored", "create_datasets",
       "leaves the batch size at Keras's default (32)",
       [(_TRAIN, _TRAIN.replace(", batch_size=batch_size", "")),
        (_VALIDATION, _VALIDATION.replace(", batch_size=batch_size", ""))], ["create_datasets"]),
    _m("datasets_subsets_swapped", "create_datasets",
       "returns the validation subset as the training set",
       [('subset="training", seed=seed,', 'subset="TRAINING", seed=seed,'),
        ('subset="validation", seed=seed,', 'subset="training", seed=seed,'),
        ('subset="TRAINING", seed=seed,', 'subset="validation", seed=seed,')], ["create_datasets"]),
    _m("datasets_not_shuffled", "create_datasets",
       "splits the files in alphabetical order (shuffle=False)",
       [(_TRAIN, _TRAIN.replace("shuffle=True", "shuffle=False")),
        (_VALIDATION, _VALIDATION.replace("shuffle=True", "shuffle=False"))], ["create_datasets"]),
    _m("augmenter_flips_vertically", "data_augmenter", "flips upside down as well",
       [('RandomFlip("horizontal")', 'RandomFlip("horizontal_and_vertical")')], ["data_augmenter"]),
    _m("base_left_trainable", "alpaca_model", "forgets to freeze the base",
       [("    base_model.trainable = False\n", "")], ["alpaca_model"]),
    _m("sigmoid_output_with_logits_loss", "alpaca_model",
       "puts a sigmoid on the output of a from_logits loss",
       [("tfl.Dense(1)(x)", 'tfl.Dense(1, activation="sigmoid")(x)')], ["alpaca_model"]),
    _m("preprocess_missing", "alpaca_model", "feeds [0, 255] pixels to the base",
       [("    x = preprocess_input(x)\n", "")], ["alpaca_model"]),
    _m("base_in_training_mode", "alpaca_model", "calls the base without training=False",
       [("base_model(x, training=False)", "base_model(x)")], ["alpaca_model"]),
    _m("fine_tune_at_ignored", "fine_tune", "always freezes the first 120 layers",
       [("base_model.layers[:fine_tune_at]", "base_model.layers[:120]")], ["fine_tune"]),
    _m("fine_tune_full_learning_rate", "fine_tune", "fine-tunes at the full learning rate",
       [("learning_rate=0.1 * base_learning_rate", "learning_rate=base_learning_rate")],
       ["fine_tune"]),
)
