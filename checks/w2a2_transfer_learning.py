"""Visible checks of W2A2, transfer learning with MobileNetV2 (alpaca / not alpaca).

- ``check_create_datasets``: on a small folder of generated photos (two classes, each
  photo one flat colour whose red value numbers it), the two datasets: every photo in
  exactly one of them, 20% for validation with every class in it, the batch size, the
  image size, the dtypes, each photo's label and the class names;
- ``check_data_augmenter``: a Sequential of exactly RandomFlip('horizontal') then
  RandomRotation(0.2), which lets 32x32 images through unchanged at inference;
- ``check_alpaca_model``: the model built for 160x160 images (with an augmentation
  layer of the check's own, which is not the answer to ``data_augmenter``): its
  layers (rows written from the description), parameter counts with a frozen base,
  compile settings, and its forward pass against the same model's own layers
  applied in the described order (pixels / 127.5 - 1, base, pooling, dense), so
  that a missing or wrong preprocessing is caught;
- ``check_fine_tune``: on a model the check builds itself (a MobileNetV2 base under
  ``BASE_NAME`` and a small head; not the alpaca model, so that a wrong
  ``alpaca_model`` does not fail it), which base layers are frozen, the trainable
  parameters, and the new compile settings.

Every check raises :class:`CheckFailure` with a sentence on the first problem and
prints ``All tests passed.`` when the function is right. No output is stored: every
expected value is a property of the right answer or of the student's own layers.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np

from cnn_course.checks._checking import (
    CheckFailure,
    call_unchecked,
    expect_close,
    expect_tuple,
    rng_for,
    seed,
)
from cnn_course.checks._keras_checks import (
    build_model,
    expect_compiled,
    expect_layers,
    expect_params,
)
from cnn_course.utils.runtime import quiet_tensorflow

quiet_tensorflow()

import keras  # noqa: E402

from cnn_course.utils.mobilenet import BASE_NAME  # noqa: E402

ASSIGNMENT_ID = "w2a2_transfer_learning"

BASE_PARAMS = 2_257_984  # MobileNetV2, alpha 1.0, include_top=False (any input size)
HEAD_PARAMS = 1_281  # Dense(1) on 1,280 pooled features
FEATURES = 1280


def images(name: str, size: tuple[int, int], m: int = 2) -> np.ndarray:
    """Random pixels in [0, 255], float32, shape (m, height, width, 3)."""
    return rng_for(ASSIGNMENT_ID, name).uniform(0, 255, size=(m, *size, 3)).astype(np.float32)


def feature_size(n: int) -> int:
    """MobileNetV2 divides the input size by 32, rounding up (5 for 160, 3 for 96)."""
    return -(-n // 32)


def find_base(model: keras.Model, what: str) -> keras.Model:
    for layer in model.layers:
        if layer.name == BASE_NAME:
            return layer
    raise CheckFailure(f"{what} has no layer named {BASE_NAME!r}: use the base_model that "
                       "pretrained_base returned, and call it on your tensor "
                       "(base_model(x, training=False)).")


# ----------------------------------------------------------------------------- create_datasets

VALIDATION_SPLIT = 0.2
# The visible case: photos per class (sub-folder), image size, batch size, seed.
DATASET_CASE = ({"cats": 22, "dogs": 18}, (24, 20), 8, 42)


def image_folder(root: Path, counts: dict[str, int]) -> dict[int, int]:
    """Write ``counts[name]`` tiny PNG photos in ``root/name`` per class; returns {number: label}.

    Photo ``k`` (numbered from 1) is one flat colour whose red value is ``k``: resized, it still
    says which file it came from. Labels follow the sub-folders in alphabetical order.
    """
    import tensorflow as tf

    labels, number = {}, 0
    for label, name in enumerate(sorted(counts)):
        (root / name).mkdir(parents=True)
        for i in range(counts[name]):
            number += 1
            pixels = np.zeros((6, 5, 3), np.uint8) + np.array([number, 40 * label, 128], np.uint8)
            tf.io.write_file(str(root / name / f"photo_{i:03d}.png"), tf.io.encode_png(pixels))
            labels[number] = label
    return labels


def photo_numbers(dataset, what: str, image_size: tuple[int, int], batch_size: int,
                  labels: dict[int, int]) -> list[int]:
    """The numbers of the photos in one pass over ``dataset``.

    Its batches and labels are checked on the way.
    """
    numbers: list[int] = []
    batches = list(dataset)
    for k, element in enumerate(batches):
        if not isinstance(element, tuple | list) or len(element) != 2:
            raise CheckFailure(f"{what} yields {type(element).__name__}s, expected "
                               "(images, labels) pairs: let image_dataset_from_directory infer "
                               "the labels from the sub-folders.")
        images, found = (np.asarray(part) for part in element)
        if images.ndim != 4 or images.shape[1:] != (*image_size, 3):
            raise CheckFailure(f"{what} has image batches of shape {images.shape}, expected "
                               f"(batch, {image_size[0]}, {image_size[1]}, 3): pass image_size "
                               "on to image_dataset_from_directory.")
        last = k == len(batches) - 1
        if len(images) > batch_size or (len(images) < batch_size and not last):
            raise CheckFailure(f"{what} has a batch of {len(images)} images, expected batches of "
                               f"batch_size={batch_size}: pass batch_size on to "
                               "image_dataset_from_directory.")
        if images.dtype != np.float32 or found.dtype != np.int32 or found.shape != (len(images),):
            raise CheckFailure(f"{what} yields images of dtype {images.dtype} and labels of dtype "
                               f"{found.dtype} and shape {found.shape}, expected float32 images "
                               "and one int32 label per image (label_mode 'int', the default).")
        for image, label in zip(images, found, strict=True):
            number = int(round(float(image[0, 0, 0])))
            if number not in labels or not np.allclose(image[..., 0], number, atol=0.5):
                raise CheckFailure(f"{what} holds an image that is not one of the folder's photos: "
                                   "read the photos with image_dataset_from_directory, unchanged.")
            if int(label) != labels[number]:
                raise CheckFailure(f"{what} gives a photo of class {labels[number]} the label "
                                   f"{int(label)}: let image_dataset_from_directory infer the "
                                   "labels from the sub-folders.")
            numbers.append(number)
    return numbers


def datasets_checked(create_datasets: Callable, counts: dict[str, int], image_size: tuple[int, int],
                     batch_size: int, random_seed: int, show: bool,
                     compare: Callable | None = None) -> None:
    """Call create_datasets on a generated folder and check the two datasets it returns.

    ``compare(directory, what, train_numbers, validation_numbers, labels)``, if given, runs
    further checks while the folder exists.
    """
    import tensorflow as tf

    what = (f"create_datasets(directory, image_size={image_size}, batch_size={batch_size}, "
            f"seed={random_seed})")
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "photos"
        labels = image_folder(directory, counts)
        with contextlib.redirect_stdout(io.StringIO()):  # Keras says how many files it found
            result = call_unchecked(create_datasets, str(directory), image_size, batch_size,
                                    random_seed)
        train, validation = expect_tuple(result, what, 2, "train_dataset, validation_dataset")
        subsets = {}
        for name, dataset in (("the training dataset", train),
                              ("the validation dataset", validation)):
            if not isinstance(dataset, tf.data.Dataset):
                raise CheckFailure(f"{what} returned a {type(dataset).__name__} as {name}, "
                                   "expected a tf.data.Dataset: return what "
                                   "image_dataset_from_directory returns.")
            names = getattr(dataset, "class_names", None)
            if names != sorted(counts):
                raise CheckFailure(f"{name} has class_names {names}, expected {sorted(counts)}: "
                                   "return the datasets of image_dataset_from_directory as they "
                                   "are (a .take or .map drops their class names).")
            subsets[name] = photo_numbers(dataset, f"{what}'s {name[4:]}", image_size, batch_size,
                                          labels)
        train_numbers, validation_numbers = subsets.values()
        expect_split(what, train_numbers, validation_numbers, labels)
        if compare is not None:
            compare(str(directory), what, train_numbers, validation_numbers, labels)
    if show:
        shape = (batch_size, *image_size, 3)
        print(f"{what}:\n  class_names {sorted(counts)}; {len(train_numbers)} training and "
              f"{len(validation_numbers)} validation images of {sum(counts.values())}, "
              "each in one set"
              f"\n  batches of {shape} float32 images and int32 labels")


def expect_split(what: str, train: list[int], validation: list[int],
                 labels: dict[int, int]) -> None:
    """Every photo in exactly one subset.

    20% of them (rounded down) in the validation set, every class in it.
    """
    for name, numbers in (("training", train), ("validation", validation)):
        if len(set(numbers)) != len(numbers):
            raise CheckFailure(f"{what}'s {name} set holds a photo twice: read the folder once "
                               "per subset.")
    both = set(train) & set(validation)
    if both:
        raise CheckFailure(f"{what}: {len(both)} photos are in both the training and the "
                           "validation set: give both calls the same seed and validation_split, so "
                           "that they split the files the same way.")
    missing = set(labels) - set(train) - set(validation)
    if missing:
        raise CheckFailure(f"{what}: {len(missing)} of the {len(labels)} photos are in neither "
                           "set: the two subsets of the same split cover every file.")
    expected = int(VALIDATION_SPLIT * len(labels))
    if len(validation) != expected:
        swapped = " (are the subsets swapped?)" if len(train) == expected else ""
        raise CheckFailure(f"{what}'s validation set holds {len(validation)} of the {len(labels)} "
                           f"photos, expected {expected}{swapped}: validation_split=0.2 keeps 20% "
                           "for validation, with subset='training' for the first dataset and "
                           "subset='validation' for the second.")
    if {labels[n] for n in validation} != set(labels.values()):
        raise CheckFailure(f"{what}'s validation set holds photos of one class only: shuffle the "
                           "files (shuffle=True) before they are split, or the last class fills "
                           "the validation set.")


def check_create_datasets(create_datasets: Callable) -> None:
    """create_datasets: an 80/20 split of a folder's photos.

    Batched, resized and labelled by sub-folder.
    """
    datasets_checked(create_datasets, *DATASET_CASE, show=True)
    print("All tests passed.")


# ----------------------------------------------------------------------------- data_augmenter


def augmenter_layers(data_augmenter: Callable, size: tuple[int, int], show: bool):
    """Check the layers and settings of data_augmenter() and that it is the identity at inference.

    Returns (augmenter, flip layer, the images it was run on).
    """
    augmenter = build_model(data_augmenter)
    if not isinstance(augmenter, keras.Sequential):
        raise CheckFailure("data_augmenter must return a tf.keras.Sequential, "
                           f"got a {type(augmenter).__name__}.")
    kinds = [type(layer).__name__ for layer in augmenter.layers]
    if kinds != ["RandomFlip", "RandomRotation"]:
        raise CheckFailure(f"data_augmenter's layers are {kinds}, expected "
                           "['RandomFlip', 'RandomRotation'] (exactly these two, in this order).")
    flip, rotation = augmenter.layers
    if flip.get_config()["mode"] != "horizontal":
        raise CheckFailure(f"RandomFlip has mode {flip.get_config()['mode']!r}, "
                           "expected 'horizontal': an upside-down alpaca is not a photo the model "
                           "will ever see.")
    factor = rotation.get_config()["factor"]
    factor = tuple(float(f) for f in (factor if isinstance(factor, list | tuple)
                                      else (-factor, factor)))
    if not np.allclose(factor, (-0.2, 0.2)):
        raise CheckFailure(f"RandomRotation has factor {factor}, expected 0.2 (up to 20% of a turn "
                           "either way).")
    x = images("augment", size)
    out = np.asarray(augmenter(x, training=False))
    expect_close(out, x, "data_augmenter(...)(images, training=False)",
                 "Augmentation layers must let images through unchanged at inference", atol=1e-4)
    if show:
        print("layers:", kinds, "| flip mode:", flip.get_config()["mode"], "| rotation factor:",
              factor)
    return augmenter, flip, x


def check_data_augmenter(data_augmenter: Callable) -> None:
    """data_augmenter returns Sequential([RandomFlip('horizontal'), RandomRotation(0.2)])."""
    augmenter_layers(data_augmenter, (32, 32), show=True)
    print("All tests passed.")


# ----------------------------------------------------------------------------- alpaca_model


def alpaca_rows(size: tuple[int, int]) -> list[list]:
    """Expected summary rows of alpaca_model for images of ``size`` (height, width)."""
    h, w = size
    return [
        ["Sequential", (None, h, w, 3), 0],
        ["Functional", (None, feature_size(h), feature_size(w), FEATURES), BASE_PARAMS],
        ["GlobalAveragePooling2D", (None, FEATURES), 0],
        ["Dropout", (None, FEATURES), 0, 0.2],
        ["Dense", (None, 1), HEAD_PARAMS, "linear"],
    ]


def check_augmentation() -> keras.Sequential:
    """The augmentation the visible check passes to alpaca_model.

    Inert at inference, and not data_augmenter's answer.
    """
    return keras.Sequential([keras.layers.RandomTranslation(0.1, 0.1)], name="check_augmentation")


def alpaca_model_checked(alpaca_model: Callable, size: tuple[int, int],
                         augmentation: keras.Sequential, image_name: str, show: bool):
    """Build alpaca_model(size, augmentation) and check it.

    Checks its layers, parameters, compile settings and the forward pass.

    Returns (model, the label used in messages).
    """
    what = f"alpaca_model({size})"
    seed(0)  # without a weights file the base's random weights are the same at every run
    model = build_model(alpaca_model, size, augmentation)
    expect_layers(model, alpaca_rows(size), what)
    expect_params(model, what, total=BASE_PARAMS + HEAD_PARAMS, trainable=HEAD_PARAMS)
    expect_compiled(model, what, "Adam", keras.losses.BinaryCrossentropy, ["accuracy"],
                    learning_rate=0.001, from_logits=True)
    base = find_base(model, what)
    pool, dense = model.layers[-3], model.layers[-1]
    x = images(image_name, size)
    # The pooled features, through the model's graph and through its own layers in the described
    # order; compared relative to their size, since a base with random weights (no weights file)
    # has tiny activations.
    expected = np.asarray(pool(base(x / 127.5 - 1.0, training=False)))
    found = np.asarray(keras.Model(model.input, pool.output)(x, training=False))
    scale = float(np.abs(expected).max()) or 1.0
    expect_close(found / scale, expected / scale, f"{what}'s pooled features",
                 "Pixels in [0, 255] must go through preprocess_input (to [-1, 1], as the base "
                 "was trained) right before the base",
                 atol=1e-3, rtol=1e-3)
    expect_close(np.asarray(model(x, training=False)), np.asarray(dense(expected)),
                 f"{what}'s output",
                 "The output is Dense(1) of the pooled features, without activation",
                 atol=1e-4, rtol=1e-4)
    if show:
        print(f"{what}: {model.count_params():,} parameters, "
              f"{sum(int(np.prod(w.shape)) for w in model.trainable_weights):,} trainable; "
              f"output {tuple(model.output.shape)} logits; "
              f"compiled with {type(model.optimizer).__name__}")
    return model, what


def check_alpaca_model(alpaca_model: Callable) -> None:
    """alpaca_model: augmentation, preprocessing, frozen base, pooling, dropout, one logit.

    It comes compiled.
    """
    alpaca_model_checked(alpaca_model, (160, 160), check_augmentation(), "alpaca_model", show=True)
    print("All tests passed.")


# ----------------------------------------------------------------------------- fine_tune


@cache
def _built_fine_tune_model() -> keras.Model:
    """A MobileNetV2 base under a small head of the check's own.

    Random weights: only the structure matters here.
    """
    base = keras.applications.MobileNetV2(input_shape=(96, 96, 3), include_top=False, weights=None,
                                          name=BASE_NAME)
    inputs = keras.Input((96, 96, 3))
    outputs = keras.layers.Dense(1)(keras.layers.GlobalMaxPooling2D()(base(inputs)))
    return keras.Model(inputs, outputs, name="fine_tune_check_model")


def fine_tune_model() -> keras.Model:
    """The visible check's model as a first training phase leaves it.

    Base frozen, compiled at learning rate 0.001.

    Built once, put back in that state at every call.
    """
    model = _built_fine_tune_model()
    base = model.get_layer(BASE_NAME)
    for layer in [*model.layers, *base.layers]:
        layer.trainable = True
    base.trainable = False  # last: this freezes every layer of the base
    model.compile(optimizer=keras.optimizers.Adam(0.001),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def fine_tune_checked(fine_tune: Callable, model: keras.Model, cases, show: bool) -> None:
    """Run fine_tune(model, fine_tune_at, learning_rate) for each case.

    Checks the model it leaves.
    """
    for fine_tune_at, learning_rate in cases:
        what = f"fine_tune(model, fine_tune_at={fine_tune_at}, base_learning_rate={learning_rate})"
        result = call_unchecked(fine_tune, model, fine_tune_at, learning_rate)
        if result is None:
            raise CheckFailure(f"{what} returned None: return the model. "
                               "Did you forget `return model`?")
        if result is not model:
            raise CheckFailure(f"{what} must return the model it was given (recompiled), "
                               "not a new one.")
        base = find_base(model, "the model")
        if not base.trainable:
            raise CheckFailure(f"{what} left the base frozen: set base_model.trainable = True "
                               "first, then freeze the layers before fine_tune_at.")
        wrong = [(i, layer.name, layer.trainable) for i, layer in enumerate(base.layers)
                 if layer.trainable != (i >= fine_tune_at)]
        if wrong:
            i, name, trainable = wrong[0]
            state = "trainable" if trainable else "frozen"
            should = "frozen" if i < fine_tune_at else "trainable"
            raise CheckFailure(f"{what}: base layer {i} ({name}) is {state}, expected {should}; "
                               f"{len(wrong)} base layers are wrong. Freeze exactly "
                               "base_model.layers[:fine_tune_at].")
        if not all(layer.trainable for layer in model.layers if layer is not base):
            raise CheckFailure(f"{what} froze a layer of the head: only base layers before "
                               "fine_tune_at are frozen.")
        trainable = HEAD_PARAMS + sum(int(np.prod(w.shape)) for layer in base.layers[fine_tune_at:]
                                      for w in layer.trainable_weights)
        expect_params(model, what, total=BASE_PARAMS + HEAD_PARAMS, trainable=trainable)
        expect_compiled(model, what, "Adam", keras.losses.BinaryCrossentropy, ["accuracy"],
                        learning_rate=learning_rate / 10, from_logits=True)
        if show:
            print(f"{what}: {fine_tune_at} of {len(base.layers)} base layers frozen, "
                  f"{trainable:,} trainable "
                  f"parameters, learning rate {learning_rate / 10:g}")


def check_fine_tune(fine_tune: Callable) -> None:
    """fine_tune: base layers [fine_tune_at:] trainable, earlier ones frozen.

    The model is recompiled at lr / 10.
    """
    fine_tune_checked(fine_tune, fine_tune_model(), [(120, 0.001)], show=True)
    print("All tests passed.")
