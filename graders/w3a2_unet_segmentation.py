"""Hidden checks of W3A2, semantic segmentation with a U-Net on CARLA-style street scenes.

Each graded function ``f`` of the notebook has ``check_f(fn, hidden=False)``:

- ``hidden=False`` runs the visible check, ``cnn_course.checks.w3a2_unet_segmentation.check_f``
  (the course's sizes and fixed seeds; it prints what it checks);
- ``hidden=True`` (the hidden test): other image sizes, filter counts and PNG flavours,
  run inside ``tf.data`` as the notebook does, compared with independent oracles (the
  pixels the PNGs were written from, ``tf.image.resize`` for resizing, matplotlib's
  point-in-path test for painting annotations, a U-Net built here for the layer lists) and
  with the reference outputs in ``graders/reference/``.

Every check raises ``CheckFailure`` with a sentence on the first problem and
returns None when the function is right.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np

from cnn_course.checks import w3a2_unet_segmentation as visible
from cnn_course.checks._checking import rng_for
from cnn_course.checks._keras_checks import build_model, expect_loss_falls, expect_params
from cnn_course.checks.w3a2_unet_segmentation import (
    IMG_SIZE,
    check_annotations_to_mask_case,
    check_conv_block_case,
    check_preprocess_case,
    check_process_path_case,
    check_upsampling_case,
    compiled_by,
    expect_same_layers,
    frame_shapes,
    layer_rows,
    preprocess_case,
    random_pair,
    write_pair,
)
from cnn_course.graders import reference
from cnn_course.graders.authoring.mutants import Mutant, mutant
from cnn_course.utils.runtime import quiet_tensorflow

quiet_tensorflow()

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

ASSIGNMENT_ID = "w3a2_unet_segmentation"
GRADED_FUNCTIONS = ("process_path", "preprocess", "annotations_to_mask", "conv_block",
                    "upsampling_block", "unet_model", "compile_unet")
NBGRADER_MUTANTS = False  # TensorFlow: mutants are graded at function level only


# ------------------------------------------------------------------ process_path
HIDDEN_PNG = (("rgba", (7, 5), "rgba"), ("grey", (9, 12), "grey"), ("red", (16, 8), "red"))


def _hidden_pair(name: str, shape: tuple[int, int], folder: Path,
                 mask_kind: str) -> tuple[str, str, dict]:
    """An RGB image and a mask PNG: the class id in the red channel ("red"), in the red channel of
    an opaque RGBA file ("rgba"), or filling a greyscale file ("grey")."""
    _, image, ids = random_pair(name, shape)
    if mask_kind == "grey":
        mask = ids
    else:
        mask = np.zeros((*shape, 4 if mask_kind == "rgba" else 3), np.uint8)
        mask[..., 0] = ids
        if mask_kind == "rgba":
            mask[..., 3] = 255
    image_path, mask_path = write_pair(folder, name, image, mask)
    return image_path, mask_path, {"image": image, "ids": ids}


def check_process_path(process_path: Callable, hidden: bool = False) -> None:
    """process_path reads an image as floats in [0, 1] and its mask as one channel of class ids."""
    if not hidden:
        return visible.check_process_path(process_path)
    with tempfile.TemporaryDirectory() as tmp:
        for name, shape, kind in HIDDEN_PNG:
            image_path, mask_path, truth = _hidden_pair(name, shape, Path(tmp), kind)
            check_process_path_case(process_path, image_path, mask_path, truth["image"],
                                    truth["ids"],
                                    f"hidden case: {kind} mask {shape[0]}x{shape[1]}, "
                                    "inside Dataset.map",
                                    in_map=True)
    print("Hidden tests passed.")


# --------------------------------------------------------------------- preprocess
HIDDEN_PREPROCESS = {"100x150": (100, 150), "60x80": (60, 80), "97x131": (97, 131)}


def resize_oracle(image: np.ndarray, mask: np.ndarray) -> list[np.ndarray]:
    """The independent oracle of preprocess: TensorFlow's nearest-neighbour resize."""
    return [tf.image.resize(image, IMG_SIZE, method="nearest").numpy(),
            tf.image.resize(mask, IMG_SIZE, method="nearest").numpy()]


def check_preprocess(preprocess: Callable, hidden: bool = False) -> None:
    """preprocess resizes an image and its mask to 96x128 with nearest-neighbour sampling."""
    if not hidden:
        return visible.check_preprocess(preprocess)
    stored = reference.load(ASSIGNMENT_ID)
    for case, (args, _) in reference_cases()["preprocess"].items():
        expected = [stored[f"preprocess/{case}/{k}"] for k in range(2)]
        check_preprocess_case(preprocess, *args, f"hidden case {case}", expected, in_map=True)
        check_preprocess_case(preprocess, *args, f"hidden case {case}", resize_oracle(*args))
    print("Hidden tests passed.")


# ------------------------------------------------------------ annotations_to_mask
def paint_oracle(shapes, height: int, width: int) -> np.ndarray:
    """The independent oracle of annotations_to_mask, shape by shape in order: a polygon holds
    the pixel centres matplotlib's point-in-path test (even-odd crossings, in C) puts inside
    it; a box holds the rows and columns from ceil(start - 0.5) to ceil(end - 0.5), the
    centres c + 0.5 with start <= c + 0.5 < end, cut to the mask."""
    from matplotlib.path import Path as PointPath

    mask = np.zeros((height, width), np.uint8)
    columns, rows = np.meshgrid(np.arange(width) + 0.5, np.arange(height) + 0.5)
    centres = np.column_stack([columns.ravel(), rows.ravel()])
    for shape in shapes:
        if "box" in shape:
            x0, y0, x1, y1 = shape["box"]
            c0, c1 = (int(np.clip(np.ceil(v - 0.5), 0, width)) for v in (x0, x1))
            r0, r1 = (int(np.clip(np.ceil(v - 0.5), 0, height)) for v in (y0, y1))
            mask[r0:r1, c0:c1] = shape["label"]
        else:
            inside = PointPath(np.asarray(shape["polygon"], float)).contains_points(centres)
            mask[inside.reshape(height, width)] = shape["label"]
    return mask


def _star(cx, cy, radius, turn=0.3):
    """A five-pointed star drawn in one stroke (vertex k joins vertex k + 2 of a pentagon)."""
    angles = turn + np.arange(5) * 4 * np.pi / 5
    return [(round(cx + radius * np.cos(a), 2), round(cy + radius * np.sin(a), 2)) for a in angles]


def _random_shapes(name: str, height: int, width: int, count: int) -> list[dict]:
    """Random polygons (3 to 8 vertices, some crossing themselves, some reaching outside) and boxes
    (some sides on pixel centres); no polygon passes through a pixel centre."""
    from cnn_course.datasets.carla_annotations import ambiguous

    rng = rng_for(ASSIGNMENT_ID, "paint", name)
    shapes = []
    while len(shapes) < count:
        label = int(rng.integers(1, 23))
        if rng.random() < 0.3:
            x = np.sort(rng.integers(-4, 2 * width + 4, 2)) / 2  # halves: some sides on centres
            y = np.sort(rng.integers(-4, 2 * height + 4, 2)) / 2
            if x[0] < x[1] and y[0] < y[1]:
                box = (float(x[0]), float(y[0]), float(x[1]), float(y[1]))
                shapes.append({"label": label, "box": box})
            continue
        n = int(rng.integers(3, 9))
        low, high = (-0.2 * width, -0.2 * height), (1.2 * width, 1.2 * height)
        points = np.round(rng.uniform(low, high, (n, 2)), 2)
        if not ambiguous(points):
            shapes.append({"label": label, "polygon": [(float(a), float(b)) for a, b in points]})
    return shapes


@cache
def paint_cases() -> dict[str, tuple[list[dict], int, int]]:
    """{case: (shapes, height, width)} of the hidden check."""
    cases = {
        "overlapping shapes, 13x17": (
            [{"label": 9, "polygon": [(1.3, 1.2), (15.2, 2.7), (12.6, 11.9), (2.2, 10.4)]},
             {"label": 10, "polygon": [(6.2, 4.1), (16.8, 6.3), (9.3, 12.8)]},
             {"label": 3, "box": (3, 6, 11, 9)}], 13, 17),
        "a concave polygon (a U), 15x21": (
            [{"label": 8, "polygon": [(2.2, 1.1), (6.3, 1.1), (6.3, 10.2), (14.7, 10.2),
                                      (14.7, 1.1), (18.9, 1.1), (18.9, 13.8), (2.2, 13.8)]}],
            15, 21),
        "two stars and a box over them, 19x27": (
            [{"label": 4, "polygon": _star(8.1, 9.2, 8.6)},
             {"label": 12, "polygon": _star(18.3, 10.1, 7.9, 1.1)},
             {"label": 5, "box": (12.5, 2.5, 14.5, 16.5)}], 19, 27),
        "shapes reaching beyond the border, 9x12": (
            [{"label": 7, "box": (-3, 4, 30, 20)}, {"label": 1, "box": (-2.5, -1.5, 4.5, 5.5)},
             {"label": 11, "polygon": [(-5.1, -3.3), (8.2, 2.9), (14.3, 12.8), (2.3, 15.2)]}],
            9, 12),
        # odd and even .5 sides: Python's round() sends them different ways
        "box sides on half pixels, 6x11": (
            [{"label": 5, "box": (1.5, 0.5, 7.5, 3.5)}, {"label": 9, "box": (2.5, 2.5, 10.5, 5.5)}],
            6, 11),
        "no shapes, 5x7": ([], 5, 7),
        "one row, 1x9": ([{"label": 6, "polygon": [(0.2, -1.1), (6.3, 0.1), (3.4, 2.2)]},
                          {"label": 2, "box": (6.5, 0, 8.5, 0.5)}], 1, 9),
        "random shapes, 23x31": (_random_shapes("random", 23, 31, 9), 23, 31),
        "random shapes, 40x11": (_random_shapes("tall", 40, 11, 6), 40, 11),
    }
    for k in (1, 2, 3):
        shapes, height, width = frame_shapes(k)
        cases[f"frame annotated_{k:02d}, {height}x{width}"] = (shapes, height, width)
    return cases


def check_annotations_to_mask(annotations_to_mask: Callable, hidden: bool = False) -> None:
    """annotations_to_mask paints boxes and polygons in order, by pixel centre, even-odd."""
    if not hidden:
        return visible.check_annotations_to_mask(annotations_to_mask)
    for case, (shapes, height, width) in paint_cases().items():
        check_annotations_to_mask_case(annotations_to_mask, shapes, height, width,
                                       paint_oracle(shapes, height, width), f"hidden case: {case}")
    print("Hidden tests passed.")


# ------------------------------------------------------------ the U-Net, built here
# An independent construction of the expected layers (the notebook's solution is
# not imported): the hidden checks compare students' layer lists with these, and the
# graders' tests compare the visible module's layer rows with them.
def _conv(x, n_filters):
    return layers.Conv2D(n_filters, 3, activation="relu", padding="same",
                         kernel_initializer="he_normal")(x)


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
    model = expected_unet(input_size, n_filters, n_classes)
    return tuple(tuple(r) for r in layer_rows(model, "the expected model"))


def expected_unet_rows(input_size, n_filters, n_classes) -> list:
    """The rows of :func:`expected_unet`, built once per process (the default model is large)."""
    return [list(r) for r in _expected_unet_rows(tuple(input_size), n_filters, n_classes)]


def expected_conv_block_rows(shape, n_filters=32, dropout_prob=0, max_pooling=True) -> list:
    """The rows of the expected encoder block on a keras.Input of ``shape``.

    Its outputs are (next, skip).
    """
    inputs = keras.Input(shape)
    next_layer, skip = _encoder(inputs, n_filters, dropout_prob, max_pooling)
    return layer_rows(keras.Model(inputs, [next_layer, skip]), "the expected model")


def expected_upsampling_rows(expansive_shape, contractive_shape, n_filters=32) -> list:
    """The rows of the expected decoder block on two keras.Inputs."""
    expansive, contractive = keras.Input(expansive_shape), keras.Input(contractive_shape)
    model = keras.Model([expansive, contractive], _decoder(expansive, contractive, n_filters))
    return layer_rows(model, "the expected model")


# -------------------------------------------------------------------- conv_block
HIDDEN_CONV_BLOCK = (((32, 48, 8), {"n_filters": 16, "dropout_prob": 0.1},
                      "hidden: (32, 48, 8), 16 filters, dropout"),
                     ((10, 6, 1), {"n_filters": 4, "max_pooling": False},
                      "hidden: (10, 6, 1), 4 filters, no pooling"),
                     ((8, 8, 2), {}, "hidden: the default arguments"))


def check_conv_block(conv_block: Callable, hidden: bool = False) -> None:
    """conv_block: two 3x3 relu convolutions (he_normal), optional dropout.

    Then an optional 2x2 max pooling.
    """
    if not hidden:
        return visible.check_conv_block(conv_block)
    for shape, kwargs, label in HIDDEN_CONV_BLOCK:
        check_conv_block_case(conv_block, shape, kwargs, label,
                              expected_conv_block_rows(shape, **kwargs))
    print("Hidden tests passed.")


# -------------------------------------------------------------- upsampling_block
HIDDEN_UPSAMPLING = (((5, 7, 12), (10, 14, 6), {"n_filters": 6},
                      "hidden: expansive (5, 7, 12), contractive (10, 14, 6)"),
                     ((3, 4, 8), (6, 8, 3), {}, "hidden: the default n_filters"))


def check_upsampling_block(upsampling_block: Callable, hidden: bool = False) -> None:
    """upsampling_block: 3x3 transposed convolution with stride 2.

    Then concatenation with the skip, and two convolutions.
    """
    if not hidden:
        return visible.check_upsampling_block(upsampling_block)
    for expansive, contractive, kwargs, label in HIDDEN_UPSAMPLING:
        check_upsampling_case(upsampling_block, expansive, contractive, kwargs, label,
                              expected_upsampling_rows(expansive, contractive, **kwargs))
    print("Hidden tests passed.")


# -------------------------------------------------------------------- unet_model
HIDDEN_UNET = {"64x96_f8_c5": ((64, 96, 3), 8, 5), "32x48x1_f4_c3": ((32, 48, 1), 4, 3)}


def check_unet_model(unet_model: Callable, hidden: bool = False) -> None:
    """unet_model: the U-Net's layers, shapes and parameters.

    The output holds one logit per class.
    """
    if not hidden:
        return visible.check_unet_model(unet_model)
    stored = reference.load(ASSIGNMENT_ID)
    for case, (input_size, n_filters, n_classes) in HIDDEN_UNET.items():
        what = f"unet_model(input_size={input_size}, n_filters={n_filters}, n_classes={n_classes})"
        model = build_model(unet_model, input_size=input_size, n_filters=n_filters,
                            n_classes=n_classes)
        expect_params(model, what, int(stored[f"unet_model/{case}/0"].item()))
        expect_same_layers(model, expected_unet_rows(input_size, n_filters, n_classes), what)
    print("Hidden tests passed.")


# ------------------------------------------------------------------- compile_unet
def tiny_batch(n: int = 8, size: int = 8, n_classes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Images whose per-pixel class is the brightest channel: learnt in a few steps."""
    rng = rng_for(ASSIGNMENT_ID, "tiny_batch", n, size)
    x = rng.random((n, size, size, 3), dtype=np.float32)
    return x, np.argmax(x[..., :n_classes], axis=-1)[..., None].astype(np.uint8)


def check_compile_unet(compile_unet: Callable, hidden: bool = False) -> None:
    """compile_unet: Adam, sparse categorical cross-entropy on logits, accuracy; the loss falls."""
    if not hidden:
        return visible.check_compile_unet(compile_unet)
    model = compiled_by(compile_unet, learning_rate=0.01)
    x, y = tiny_batch()
    model.run_eagerly = True  # a two-layer model: eager steps beat tracing a graph
    expect_loss_falls(model, x, y, "a small model compiled by compile_unet", steps=10, batch_size=8)
    print("Hidden tests passed.")


CHECKS = {name: globals()[f"check_{name}"] for name in GRADED_FUNCTIONS}


# -------------------------------------------------------------- reference outputs
def reference_cases():
    """{function: {case: (args, kwargs)}} for the hidden reference comparisons."""
    cases: dict[str, dict[str, tuple]] = {"preprocess": {}, "unet_model": {}}
    for name, shape in HIDDEN_PREPROCESS.items():
        cases["preprocess"][name] = (preprocess_case(name, shape), {})
    for name, (input_size, n_filters, n_classes) in HIDDEN_UNET.items():
        cases["unet_model"][name] = ((), {"input_size": input_size, "n_filters": n_filters,
                                          "n_classes": n_classes})
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
       [("tf.image.convert_image_dtype(img, tf.float32)", "tf.cast(img, tf.float32)")],
       ["process_path"]),
    _m("mask_red_channel_only", "process_path",
       "keeps the first channel instead of the max over channels",
       [(_REDUCE, "mask[..., :1]")], ["process_path"]),
    _m("mask_bilinear", "preprocess", "resizes the mask with bilinear interpolation",
       [('mask, IMG_SIZE, method="nearest"', 'mask, IMG_SIZE, method="bilinear"')], ["preprocess"]),
    _m("paint_order_reversed", "annotations_to_mask", "paints the shapes from last to first",
       [("for shape in annotations:\n", "for shape in annotations[::-1]:\n")],
       ["annotations_to_mask"]),
    _m("paint_x_as_row", "annotations_to_mask", "takes (x, y) as (row, column)",
       [('points = np.asarray(shape["polygon"], dtype=float)',
         'points = np.asarray(shape["polygon"], dtype=float)[:, ::-1]'),
        ("inside = (x0 <= xs) & (xs < x1) & (y0 <= ys) & (ys < y1)",
         "inside = (y0 <= xs) & (xs < y1) & (x0 <= ys) & (ys < x1)")], ["annotations_to_mask"]),
    _m("paint_box_end_inclusive", "annotations_to_mask",
       "keeps the centres on a box's right and bottom sides",
       [("(xs < x1) & (y0 <= ys) & (ys < y1)", "(xs <= x1) & (y0 <= ys) & (ys <= y1)")],
       ["annotations_to_mask"]),
    _m("paint_box_rounded", "annotations_to_mask",
       "rounds a box's sides to whole pixels before comparing them with the centres",
       [("inside = (x0 <= xs) & (xs < x1) & (y0 <= ys) & (ys < y1)",
         "inside = ((round(x0) <= xs - 0.5) & (xs - 0.5 < round(x1))\n"
         "                          & (round(y0) <= ys - 0.5) & (ys - 0.5 < round(y1)))")],
       ["annotations_to_mask"]),
    _m("paint_pixel_corners", "annotations_to_mask",
       "tests the pixels' top-left corners, not their centres",
       [("xs = np.arange(width) + 0.5", "xs = np.arange(width) + 0.0"),
        ("ys = np.arange(height)[:, np.newaxis] + 0.5",
         "ys = np.arange(height)[:, np.newaxis] + 0.0")],
       ["annotations_to_mask"]),
    _m("paint_nonzero_winding", "annotations_to_mask", "fills polygons by the nonzero winding rule",
       [("inside = np.zeros((height, width), dtype=bool)",
         "winding = np.zeros((height, width), dtype=int)"),
        ("inside ^= crosses & (xs < x_cross)",
         "winding += np.where(crosses & (xs < x_cross), int(np.sign(y1 - y0)), 0)\n"
         "                inside = winding != 0")], ["annotations_to_mask"]),
    _m("paint_float_mask", "annotations_to_mask",
       "returns a float64 mask (np.zeros without a dtype)",
       [("mask = np.zeros((height, width), dtype=np.uint8)", "mask = np.zeros((height, width))")],
       ["annotations_to_mask"]),
    _m("pool_before_skip", "conv_block", "takes the skip connection after max pooling",
       [("skip_connection = conv", "skip_connection = next_layer")], ["conv_block", "unet_model"]),
    _m("dropout_ignored", "conv_block", "never adds the Dropout layer",
       [("if dropout_prob > 0:", "if False:")], ["conv_block", "unet_model"]),
    _m("skip_not_concatenated", "upsampling_block", "ignores the skip connection",
       [("layers.concatenate([up, contractive_input], axis=3)", "up")],
       ["upsampling_block", "unet_model"]),
    _m("transpose_stride_1", "upsampling_block", "uses stride 1 in the transposed convolution",
       [("strides=(2, 2)", "strides=(1, 1)")], ["upsampling_block", "unet_model"]),
    _m("softmax_logits", "unet_model",
       "puts a softmax on the output although the loss expects logits",
       [("layers.Conv2D(n_classes, 1, padding=\"same\")",
         "layers.Conv2D(n_classes, 1, padding=\"same\", activation=\"softmax\")")], ["unet_model"]),
    _m("no_dropout_in_bottleneck", "unet_model", "forgets the dropout of the bottleneck block",
       [("n_filters * 16, dropout_prob=0.3", "n_filters * 16, dropout_prob=0")], ["unet_model"]),
    _m("loss_on_probabilities", "compile_unet", "compiles the loss with from_logits=False",
       [("from_logits=True", "from_logits=False")], ["compile_unet"]),
    _m("categorical_loss", "compile_unet",
       "uses CategoricalCrossentropy, which expects one-hot masks",
       [("SparseCategoricalCrossentropy", "CategoricalCrossentropy")], ["compile_unet"]),
)
