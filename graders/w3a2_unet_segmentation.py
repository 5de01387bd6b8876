"""Checks for W3A2, semantic segmentation with a U-Net on CARLA-style street scenes.

Each graded function ``f`` of the notebook has ``check_f(fn, hidden=False)``:

- ``hidden=False`` (the visible test): the course's sizes and fixed seeds; prints
  what it checks;
- ``hidden=True`` (the hidden test): other image sizes, filter counts and PNG
  flavours, run inside ``tf.data`` as the notebook does, compared with independent
  oracles (Pillow for decoding, ``tf.image.resize`` for resizing, a U-Net built
  here for the layer list) and with the reference outputs in ``graders/reference/``.

Every check raises :class:`CheckFailure` with a sentence on the first problem and
returns None when the function is right.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image

from cnn_course.graders import reference
from cnn_course.graders._checking import (
    CheckFailure,
    call_unchecked,
    expect_close,
    expect_tuple,
    rng_for,
)
from cnn_course.graders._keras_checks import (
    build_model,
    expect_compiled,
    expect_loss_falls,
    expect_params,
)
from cnn_course.graders.mutants import Mutant, mutant
from cnn_course.utils.runtime import quiet_tensorflow

quiet_tensorflow()

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

from cnn_course.utils.keras_summary import comparator, summary  # noqa: E402

ASSIGNMENT_ID = "w3a2_unet_segmentation"
GRADED_FUNCTIONS = ("process_path", "preprocess", "conv_block", "upsampling_block", "unet_model", "compile_unet")
NBGRADER_MUTANTS = False  # TensorFlow: mutants are graded at function level only

IMG_SIZE = (96, 128)
N_CLASSES = 23
DEFAULT_PARAMS = 8_640_471  # unet_model() with its defaults: the figure the course specifies


# ----------------------------------------------------------------------------- helpers
def _numpy(value, what: str) -> np.ndarray:
    """A tensor (eager) or array as numpy; fail with a sentence for anything else."""
    if value is None:
        raise CheckFailure(f"{what} is None: did you forget to return it?")
    if isinstance(value, tf.Tensor | np.ndarray):
        return np.asarray(value)
    raise CheckFailure(f"{what} must be a tensor, got {type(value).__name__}.")


def _expect_shape(array: np.ndarray, shape: tuple, what: str, hint: str) -> None:
    if array.shape != shape:
        raise CheckFailure(f"{what} has shape {array.shape}, expected {shape}: {hint}")


def _expect_ids(mask: np.ndarray, expected: np.ndarray, what: str, hint: str) -> None:
    """Fail unless a mask holds exactly the expected integer class ids."""
    if not np.issubdtype(mask.dtype, np.number):
        raise CheckFailure(f"{what} has dtype {mask.dtype}, expected numbers (class ids).")
    if not np.array_equal(mask, np.round(mask)):
        raise CheckFailure(f"{what} holds values that are not whole class ids (for example "
                           f"{mask[mask != np.round(mask)].ravel()[0]:.3f}): {hint}")
    wrong = mask.astype(np.int64) != expected.astype(np.int64)
    if wrong.any():
        index = tuple(int(i) for i in np.argwhere(wrong)[0])
        raise CheckFailure(f"{what} is wrong at {wrong.sum()} of {wrong.size} pixels; first at {index}: "
                           f"got class {mask[index]:g}, expected {expected[index]:g}. {hint}")


def _write_png(path: Path, pixels: np.ndarray) -> str:
    Image.fromarray(pixels.astype(np.uint8)).save(path)  # (H, W): greyscale, (H, W, 3): RGB, (H, W, 4): RGBA
    return str(path)


def _read_png(path: str) -> np.ndarray:
    with Image.open(path) as picture:
        return np.asarray(picture)


def _in_dataset(fn: Callable, *args) -> tuple:
    """fn mapped over a one-element tf.data dataset, as the notebook's pipeline calls it."""
    # do_not_convert: functions loaded from a notebook have no source file for AutoGraph to
    # read, and it would log a warning; graded functions need no Python control flow in graph.
    graph_fn = tf.autograph.experimental.do_not_convert(fn)

    def run():
        dataset = tf.data.Dataset.from_tensors(tuple(tf.constant(a) for a in args)).map(graph_fn)
        return next(iter(dataset))

    run.__name__ = f"{getattr(fn, '__name__', 'your function')} (inside Dataset.map)"
    return call_unchecked(run)


# ------------------------------------------------------------------ process_path
def _synthetic_pair(name: str, shape: tuple[int, int], folder: Path, mask_kind: str) -> tuple[str, str, dict]:
    """An RGB image and a mask PNG; the class id sits in the red channel, or in one channel per pixel
    ("spread": the max over the channels is the id), or fills a greyscale/RGBA file."""
    rng = rng_for(ASSIGNMENT_ID, "png", name)
    image = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
    ids = rng.integers(0, N_CLASSES, shape, dtype=np.uint8)
    if mask_kind == "grey":
        mask = ids
    else:
        mask = np.zeros((*shape, 4 if mask_kind == "rgba" else 3), np.uint8)
        channel = rng.integers(0, 3, shape) if mask_kind == "spread" else np.zeros(shape, int)
        np.put_along_axis(mask, channel[..., None], ids[..., None], axis=-1)
        if mask_kind == "rgba":
            mask[..., 3] = 255
    image_path = _write_png(folder / f"{name}_image.png", image)
    mask_path = _write_png(folder / f"{name}_mask.png", mask)
    return image_path, mask_path, {"image": image, "ids": ids}


def _check_process_path_case(process_path, image_path, mask_path, image, ids, label, in_map=False):
    args = (image_path, mask_path)
    result = _in_dataset(process_path, *args) if in_map else call_unchecked(
        process_path, tf.constant(image_path), tf.constant(mask_path))
    img, mask = expect_tuple(result, "process_path", 2, "(img, mask)")
    img, mask = _numpy(img, "img"), _numpy(mask, "mask")
    n_H, n_W = ids.shape
    _expect_shape(img, (n_H, n_W, 3), f"img ({label})", "decode the PNG with 3 channels.")
    if not np.issubdtype(img.dtype, np.floating):
        raise CheckFailure(f"img ({label}) has dtype {img.dtype}, expected float32 values in [0, 1]: "
                           "convert the uint8 image with tf.image.convert_image_dtype(img, tf.float32).")
    if img.max() > 1.0:
        raise CheckFailure(f"img ({label}) has values up to {img.max():g}, expected values in [0, 1]: "
                           "tf.image.convert_image_dtype scales uint8 to [0, 1], tf.cast does not.")
    expect_close(img, image / 255.0, f"img ({label})", "img must be the PNG's pixels divided by 255", atol=1e-6)
    _expect_shape(mask, (n_H, n_W, 1), f"mask ({label})",
                  "decode the mask with 3 channels and take the max over the channel axis, keeping it "
                  "(keepdims=True).")
    _expect_ids(mask, ids[..., None], f"mask ({label})",
                "The class id of a pixel is the largest value over its channels of a 3-channel decode.")


def check_process_path(process_path: Callable, hidden: bool = False) -> None:
    """process_path reads an image as floats in [0, 1] and its mask as one channel of class ids."""
    with tempfile.TemporaryDirectory() as tmp:
        if not hidden:
            from cnn_course.datasets import carla

            images, masks = carla.image_mask_paths(verbose=False)
            image, mask = _read_png(images[0]), _read_png(masks[0])
            ids = mask if mask.ndim == 2 else mask[..., :3].max(axis=-1)
            print(f"Reading {Path(images[0]).name} and its mask ({ids.shape[0]}x{ids.shape[1]}) ...")
            _check_process_path_case(process_path, images[0], masks[0], image[..., :3], ids, "first CARLA pair")
            image_path, mask_path, truth = _synthetic_pair("visible", (6, 10), Path(tmp), "spread")
            print("A 6x10 PNG pair whose mask ids sit in any of the three channels ...")
            _check_process_path_case(process_path, image_path, mask_path, truth["image"], truth["ids"], "6x10 pair")
            print("All tests passed.")
            return
        for name, shape, kind in (("rgba", (7, 5), "rgba"), ("grey", (9, 12), "grey"), ("red", (16, 8), "red")):
            image_path, mask_path, truth = _synthetic_pair(name, shape, Path(tmp), kind)
            _check_process_path_case(process_path, image_path, mask_path, truth["image"], truth["ids"],
                                     f"hidden case: {kind} mask {shape[0]}x{shape[1]}, inside Dataset.map",
                                     in_map=True)
    print("Hidden tests passed.")


# --------------------------------------------------------------------- preprocess
def preprocess_case(name: str, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    rng = rng_for(ASSIGNMENT_ID, "preprocess", name)
    image = rng.random((*shape, 3), dtype=np.float32)
    mask = rng.integers(0, N_CLASSES, (*shape, 1), dtype=np.uint8)
    return image, mask


HIDDEN_PREPROCESS = {"100x150": (100, 150), "60x80": (60, 80), "97x131": (97, 131)}


def _check_preprocess_case(preprocess, image, mask, label, expected=None, in_map=False):
    result = _in_dataset(preprocess, image, mask) if in_map else call_unchecked(
        preprocess, tf.constant(image), tf.constant(mask))
    out_image, out_mask = expect_tuple(result, "preprocess", 2, "(input_image, input_mask)")
    out_image, out_mask = _numpy(out_image, "input_image"), _numpy(out_mask, "input_mask")
    hint = "resize both to (96, 128) with tf.image.resize(..., method='nearest')."
    _expect_shape(out_image, (*IMG_SIZE, 3), f"input_image ({label})", hint)
    _expect_shape(out_mask, (*IMG_SIZE, 1), f"input_mask ({label})", hint)
    if expected is None:  # an independent oracle: TensorFlow's nearest-neighbour resize
        expected = [tf.image.resize(image, IMG_SIZE, method="nearest").numpy(),
                    tf.image.resize(mask, IMG_SIZE, method="nearest").numpy()]
    expect_close(out_image, expected[0], f"input_image ({label})",
                 "Use nearest-neighbour resizing for the image too", atol=1e-6)
    _expect_ids(out_mask, expected[1], f"input_mask ({label})",
                "A mask must be resized with method='nearest': any other method mixes class ids.")


def check_preprocess(preprocess: Callable, hidden: bool = False) -> None:
    """preprocess resizes an image and its mask to 96x128 with nearest-neighbour sampling."""
    if not hidden:
        image, mask = preprocess_case("visible", (480, 640))
        print("Resizing a 480x640 image and mask to 96x128 (every 5th pixel, from the 3rd) ...")
        # 480 / 96 = 640 / 128 = 5: nearest-neighbour keeps pixels 2, 7, 12, ... of each axis.
        _check_preprocess_case(preprocess, image, mask, "480x640", [image[2::5, 2::5], mask[2::5, 2::5]])
        print("... and the same inside tf.data's Dataset.map, as the pipeline calls it.")
        _check_preprocess_case(preprocess, image, mask, "480x640 in Dataset.map",
                               [image[2::5, 2::5], mask[2::5, 2::5]], in_map=True)
        print("All tests passed.")
        return
    stored = reference.load(ASSIGNMENT_ID)
    for case, (args, _) in reference_cases()["preprocess"].items():
        expected = [stored[f"preprocess/{case}/{k}"] for k in range(2)]
        _check_preprocess_case(preprocess, *args, f"hidden case {case}", expected, in_map=True)
        _check_preprocess_case(preprocess, *args, f"hidden case {case}")  # tf.image.resize as oracle
    print("Hidden tests passed.")


# ------------------------------------------------------------ the U-Net, built here
# An independent construction of the expected layers (the notebook's solution is
# not imported): the graders compare students' layer lists with these.
def _conv(x, n_filters):
    return layers.Conv2D(n_filters, 3, activation="relu", padding="same", kernel_initializer="he_normal")(x)


def _encoder(x, n_filters, dropout_prob=0.0, max_pooling=True):
    skip = _conv(_conv(x, n_filters), n_filters)
    if dropout_prob > 0:
        skip = layers.Dropout(dropout_prob)(skip)
    return (layers.MaxPooling2D((2, 2))(skip) if max_pooling else skip), skip


def _decoder(x, skip, n_filters):
    up = layers.Conv2DTranspose(n_filters, (3, 3), strides=(2, 2), padding="same")(x)
    return _conv(_conv(layers.Concatenate(axis=-1)([up, skip]), n_filters), n_filters)


def expected_unet(input_size, n_filters, n_classes) -> keras.Model:
    inputs = keras.Input(input_size)
    x, skips = inputs, []
    for level, dropout in enumerate((0.0, 0.0, 0.0, 0.3)):
        x, skip = _encoder(x, n_filters * 2**level, dropout)
        skips.append(skip)
    x, _ = _encoder(x, n_filters * 16, 0.3, max_pooling=False)
    for level in reversed(range(4)):
        x = _decoder(x, skips[level], n_filters * 2**level)
    x = _conv(x, n_filters)
    outputs = layers.Conv2D(n_classes, 1, padding="same")(x)
    return keras.Model(inputs, outputs)


@cache
def _expected_unet_rows(input_size, n_filters, n_classes) -> tuple:
    return tuple(tuple(r) for r in _rows(expected_unet(input_size, n_filters, n_classes), "the expected model"))


def expected_unet_rows(input_size, n_filters, n_classes) -> list:
    """The rows of :func:`expected_unet`, built once per process (the default model is large)."""
    return [list(r) for r in _expected_unet_rows(tuple(input_size), n_filters, n_classes)]


def _rows(model: keras.Model, what: str) -> list:
    """summary rows, with the settings the course leaves free blanked out: the initializer of
    Conv2DTranspose layers, and the padding and initializer of the final 1x1 convolution."""
    try:
        rows = [list(r) for r in summary(model)]
    except ValueError as error:
        raise CheckFailure(f"{what}: {error}") from None
    for k, row in enumerate(rows):
        if row[0] == "Conv2DTranspose":
            row[5] = "(any initializer)"
        if row[0] == "Conv2D" and k == len(rows) - 1 and model.layers[-1].kernel_size == (1, 1):
            row[3], row[5] = "(any padding)", "(any initializer)"
    return rows


def _expect_same_layers(model: keras.Model, expected: keras.Model | list, what: str) -> None:
    """``expected`` is a model or its rows (as from :func:`expected_unet_rows`)."""
    rows = expected if isinstance(expected, list) else _rows(expected, "the expected model")
    try:
        comparator(_rows(model, what), rows, verbose=False)
    except AssertionError as error:
        raise CheckFailure(f"{what} does not have the expected layers. {error}") from None


def _model(inputs, outputs, what: str) -> keras.Model:
    """keras.Model(inputs, outputs); a graph not computed from the inputs fails with a sentence."""
    try:
        return keras.Model(inputs, outputs)
    except Exception as error:  # Keras raises ValueError for a disconnected graph
        raise CheckFailure(f"the output of {what} is not computed from its input tensors: build every layer "
                           f"on the tensors passed as arguments, not on a new keras.Input ({error}).") from None


def _symbolic(value, what: str, shape: tuple) -> None:
    if not isinstance(value, keras.KerasTensor):
        raise CheckFailure(f"{what} must be the output of a Keras layer (a KerasTensor), got "
                           f"{type(value).__name__}.")
    if tuple(value.shape) != shape:
        raise CheckFailure(f"{what} has shape {tuple(value.shape)}, expected {shape}.")


# -------------------------------------------------------------------- conv_block
def _check_conv_block_case(conv_block, shape, kwargs, label):
    inputs = keras.Input(shape)
    result = call_unchecked(conv_block, inputs, **kwargs)
    next_layer, skip = expect_tuple(result, "conv_block", 2, "(next_layer, skip_connection)")
    n_filters = kwargs.get("n_filters", 32)
    pool = kwargs.get("max_pooling", True)
    n_H, n_W = shape[:2]
    _symbolic(skip, f"skip_connection ({label})", (None, n_H, n_W, n_filters))
    if pool and tuple(skip.shape) == tuple(next_layer.shape):
        raise CheckFailure(f"next_layer ({label}) has the shape of skip_connection: with max_pooling=True, "
                           "next_layer is the max-pooled output and skip_connection the output before pooling.")
    expected_next = (None, n_H // 2, n_W // 2, n_filters) if pool else (None, n_H, n_W, n_filters)
    _symbolic(next_layer, f"next_layer ({label})", expected_next)
    e_inputs = keras.Input(shape)
    e_next, e_skip = _encoder(e_inputs, n_filters, kwargs.get("dropout_prob", 0), pool)
    _expect_same_layers(_model(inputs, [next_layer, skip], "conv_block"), keras.Model(e_inputs, [e_next, e_skip]),
                        f"conv_block ({label})")


def check_conv_block(conv_block: Callable, hidden: bool = False) -> None:
    """conv_block: two 3x3 relu convolutions (he_normal), optional dropout, optional 2x2 max pooling."""
    if not hidden:
        cases = (((96, 128, 3), {"n_filters": 32}, "input (96, 128, 3), n_filters=32"),
                 ((12, 16, 256), {"n_filters": 512, "dropout_prob": 0.3, "max_pooling": False},
                  "input (12, 16, 256), n_filters=512, dropout_prob=0.3, max_pooling=False"))
    else:
        cases = (((32, 48, 8), {"n_filters": 16, "dropout_prob": 0.1}, "hidden: (32, 48, 8), 16 filters, dropout"),
                 ((10, 6, 1), {"n_filters": 4, "max_pooling": False}, "hidden: (10, 6, 1), 4 filters, no pooling"),
                 ((8, 8, 2), {}, "hidden: the default arguments"))
    for shape, kwargs, label in cases:
        if not hidden:
            print(f"conv_block on {label} ...")
        _check_conv_block_case(conv_block, shape, kwargs, label)
    print("Hidden tests passed." if hidden else "All tests passed.")


# -------------------------------------------------------------- upsampling_block
def _check_upsampling_case(upsampling_block, expansive_shape, contractive_shape, kwargs, label):
    expansive, contractive = keras.Input(expansive_shape), keras.Input(contractive_shape)
    out = call_unchecked(upsampling_block, expansive, contractive, **kwargs)
    n_filters = kwargs.get("n_filters", 32)
    _symbolic(out, f"the output of upsampling_block ({label})",
              (None, contractive_shape[0], contractive_shape[1], n_filters))
    e_expansive, e_contractive = keras.Input(expansive_shape), keras.Input(contractive_shape)
    expected = keras.Model([e_expansive, e_contractive], _decoder(e_expansive, e_contractive, n_filters))
    _expect_same_layers(_model([expansive, contractive], out, "upsampling_block"), expected, f"upsampling_block ({label})")


def check_upsampling_block(upsampling_block: Callable, hidden: bool = False) -> None:
    """upsampling_block: 3x3 transposed convolution with stride 2, concatenation with the skip, two convs."""
    if not hidden:
        cases = (((6, 8, 512), (12, 16, 256), {"n_filters": 256}, "expansive (6, 8, 512), contractive (12, 16, 256)"),)
    else:
        cases = (((5, 7, 12), (10, 14, 6), {"n_filters": 6}, "hidden: expansive (5, 7, 12), contractive (10, 14, 6)"),
                 ((3, 4, 8), (6, 8, 3), {}, "hidden: the default n_filters"))
    for expansive, contractive, kwargs, label in cases:
        if not hidden:
            print(f"upsampling_block with {label}, n_filters={kwargs.get('n_filters', 32)} ...")
        _check_upsampling_case(upsampling_block, expansive, contractive, kwargs, label)
    print("Hidden tests passed." if hidden else "All tests passed.")


# -------------------------------------------------------------------- unet_model
HIDDEN_UNET = {"64x96_f8_c5": ((64, 96, 3), 8, 5), "32x48x1_f4_c3": ((32, 48, 1), 4, 3)}


def check_unet_model(unet_model: Callable, hidden: bool = False) -> None:
    """unet_model: the U-Net's layers, shapes and parameters; the output holds one logit per class."""
    if not hidden:
        print("unet_model() with its defaults: input (96, 128, 3), 32 filters, 23 classes ...")
        model = build_model(unet_model)
        expect_params(model, "unet_model()", DEFAULT_PARAMS)
        _expect_same_layers(model, expected_unet_rows((96, 128, 3), 32, 23), "unet_model()")
        print(f"{model.count_params():,} parameters, layer list as expected.")
        print("All tests passed.")
        return
    stored = reference.load(ASSIGNMENT_ID)
    for case, (input_size, n_filters, n_classes) in HIDDEN_UNET.items():
        what = f"unet_model(input_size={input_size}, n_filters={n_filters}, n_classes={n_classes})"
        model = build_model(unet_model, input_size=input_size, n_filters=n_filters, n_classes=n_classes)
        expect_params(model, what, int(stored[f"unet_model/{case}/0"].item()))
        _expect_same_layers(model, expected_unet_rows(input_size, n_filters, n_classes), what)
    print("Hidden tests passed.")


# ------------------------------------------------------------------- compile_unet
def tiny_batch(n: int = 8, size: int = 8, n_classes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Images whose per-pixel class is the brightest channel: learnt in a few steps."""
    rng = rng_for(ASSIGNMENT_ID, "tiny_batch", n, size)
    x = rng.random((n, size, size, 3), dtype=np.float32)
    return x, np.argmax(x[..., :n_classes], axis=-1)[..., None].astype(np.uint8)


def small_segmenter(size: int = 8, n_classes: int = 3) -> keras.Model:
    """A two-layer fully convolutional model with logits per pixel (quick to train on a CPU)."""
    inputs = keras.Input((size, size, 3))
    x = layers.Conv2D(16, 1, activation="relu", kernel_initializer="he_normal")(inputs)
    return keras.Model(inputs, layers.Conv2D(n_classes, 1)(x))


def check_compile_unet(compile_unet: Callable, hidden: bool = False) -> None:
    """compile_unet: Adam, sparse categorical cross-entropy on logits, accuracy; the loss falls."""
    learning_rate = 0.01 if hidden else 0.001
    keras.utils.set_random_seed(0)
    model = small_segmenter()
    kwargs = {"learning_rate": learning_rate} if hidden else {}
    if not hidden:
        print("compile_unet on a small model with logits per pixel, default learning rate ...")
    result = call_unchecked(compile_unet, model, **kwargs)
    if result is not model:
        raise CheckFailure("compile_unet must return the model it compiled (end with `return model`).")
    expect_compiled(model, "the model", "Adam", keras.losses.SparseCategoricalCrossentropy, ["accuracy"],
                    learning_rate=learning_rate, from_logits=True)
    if hidden:
        x, y = tiny_batch()
        model.run_eagerly = True  # a two-layer model: eager steps beat tracing a graph
        expect_loss_falls(model, x, y, "a small model compiled by compile_unet", steps=10, batch_size=8)
        print("Hidden tests passed.")
        return
    print("Adam, SparseCategoricalCrossentropy(from_logits=True), metric accuracy.")
    print("All tests passed.")


CHECKS = {name: globals()[f"check_{name}"] for name in GRADED_FUNCTIONS}


# -------------------------------------------------------------- reference outputs
def reference_cases():
    """{function: {case: (args, kwargs)}} for the hidden reference comparisons."""
    cases: dict[str, dict[str, tuple]] = {"preprocess": {}, "unet_model": {}}
    for name, shape in HIDDEN_PREPROCESS.items():
        cases["preprocess"][name] = (preprocess_case(name, shape), {})
    for name, (input_size, n_filters, n_classes) in HIDDEN_UNET.items():
        cases["unet_model"][name] = ((), {"input_size": input_size, "n_filters": n_filters, "n_classes": n_classes})
    return cases


def reference_outputs(function: str, result) -> list[np.ndarray]:
    """The arrays of a function's result that the reference file stores."""
    if function == "unet_model":
        return [np.array([result.count_params()]), np.array(result.output.shape[1:])]
    return [np.asarray(r) for r in result]


# ------------------------------------------------------------------------ mutants
def _m(name, grade_id, description, edits, fails):
    return mutant(name, grade_id, description, edits, fails, ASSIGNMENT_ID)


_REDUCE = "tf.math.reduce_max(mask, axis=-1, keepdims=True)"

MUTANTS: tuple[Mutant, ...] = (
    _m("image_not_scaled", "process_path", "casts the image to float without scaling it to [0, 1]",
       [("tf.image.convert_image_dtype(img, tf.float32)", "tf.cast(img, tf.float32)")], ["process_path"]),
    _m("mask_red_channel_only", "process_path", "keeps the first channel instead of the max over channels",
       [(_REDUCE, "mask[..., :1]")], ["process_path"]),
    _m("mask_bilinear", "preprocess", "resizes the mask with bilinear interpolation",
       [('mask, IMG_SIZE, method="nearest"', 'mask, IMG_SIZE, method="bilinear"')], ["preprocess"]),
    _m("pool_before_skip", "conv_block", "takes the skip connection after max pooling",
       [("skip_connection = conv", "skip_connection = next_layer")], ["conv_block", "unet_model"]),
    _m("dropout_ignored", "conv_block", "never adds the Dropout layer",
       [("if dropout_prob > 0:", "if False:")], ["conv_block", "unet_model"]),
    _m("skip_not_concatenated", "upsampling_block", "ignores the skip connection",
       [("layers.concatenate([up, contractive_input], axis=3)", "up")], ["upsampling_block", "unet_model"]),
    _m("transpose_stride_1", "upsampling_block", "uses stride 1 in the transposed convolution",
       [("strides=(2, 2)", "strides=(1, 1)")], ["upsampling_block", "unet_model"]),
    _m("softmax_logits", "unet_model", "puts a softmax on the output although the loss expects logits",
       [("layers.Conv2D(n_classes, 1, padding=\"same\")", "layers.Conv2D(n_classes, 1, padding=\"same\", "
         "activation=\"softmax\")")], ["unet_model"]),
    _m("no_dropout_in_bottleneck", "unet_model", "forgets the dropout of the bottleneck block",
       [("n_filters * 16, dropout_prob=0.3", "n_filters * 16, dropout_prob=0")], ["unet_model"]),
    _m("loss_on_probabilities", "compile_unet", "compiles the loss with from_logits=False",
       [("from_logits=True", "from_logits=False")], ["compile_unet"]),
    _m("categorical_loss", "compile_unet", "uses CategoricalCrossentropy, which expects one-hot masks",
       [("SparseCategoricalCrossentropy", "CategoricalCrossentropy")], ["compile_unet"]),
)
