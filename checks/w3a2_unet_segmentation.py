"""Visible checks of W3A2, semantic segmentation with a U-Net on CARLA-style street scenes.

One ``check_<function>(<function>)`` per graded function, as the notebook's test cells
call them. Each prints what it checks, raises :class:`CheckFailure` with a sentence on
the first problem, and ends with ``All tests passed.``:

- ``check_process_path``: the first CARLA pair (expected: the pixels and class ids the
  dataset's own loader reads) and a small PNG pair written here from known pixels and ids;
- ``check_preprocess``: a 480x640 image and mask, eagerly and inside ``Dataset.map``;
  the expected 96x128 outputs are stored in ``expected/``;
- ``check_annotations_to_mask``: two small hand-made cases, whose expected masks are written
  below as data, and the shapes of the first annotated frame, whose expected mask is stored
  in ``expected/``;
- ``check_conv_block``, ``check_upsampling_block``, ``check_unet_model``: the layer list
  of the student's blocks and model, compared with the layer rows of the configurations
  the notebook describes (written below as data, one row per layer) and, for the model,
  its parameter count;
- ``check_compile_unet``: the optimizer, loss and metric of a small model it compiles.

The hidden side (other sizes, file formats and filter counts) is not part of this package.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image

from cnn_course.checks import expected
from cnn_course.checks._checking import (
    CheckFailure,
    call_student,
    call_unchecked,
    expect_close,
    expect_tuple,
    rng_for,
    seed,
)
from cnn_course.checks._keras_checks import build_model, expect_compiled, expect_params
from cnn_course.utils.runtime import quiet_tensorflow

quiet_tensorflow()

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

from cnn_course.utils.keras_summary import comparator, summary  # noqa: E402

ASSIGNMENT_ID = "w3a2_unet_segmentation"
IMG_SIZE = (96, 128)
N_CLASSES = 23
DEFAULT_PARAMS = 8_640_471  # unet_model() with its defaults: the figure the course specifies

# ----------------------------------------------------------- expected layer rows (data)
# Rows as cnn_course.utils.keras_summary.summary writes them: [class, output shape, parameters,
# settings]. The course leaves the initializer of Conv2DTranspose and the padding and
# initializer of the final 1x1 convolution free: those fields read "(any ...)".
ANY_INITIALIZER, ANY_PADDING = "(any initializer)", "(any padding)"

# conv_block on input (96, 128, 3), n_filters=32 (outputs: next_layer, skip_connection)
CONV_BLOCK_ROWS_96x128 = (
    ("Conv2D", (None, 96, 128, 32), 896, "same", "relu", "HeNormal"),
    ("Conv2D", (None, 96, 128, 32), 9248, "same", "relu", "HeNormal"),
    ("MaxPooling2D", (None, 48, 64, 32), 0, (2, 2), (2, 2), "valid"),
)
# conv_block on input (12, 16, 256), n_filters=512, dropout_prob=0.3, max_pooling=False
CONV_BLOCK_ROWS_12x16 = (
    ("Conv2D", (None, 12, 16, 512), 1180160, "same", "relu", "HeNormal"),
    ("Conv2D", (None, 12, 16, 512), 2359808, "same", "relu", "HeNormal"),
    ("Dropout", (None, 12, 16, 512), 0, 0.3),
)
# upsampling_block with expansive (6, 8, 512), contractive (12, 16, 256), n_filters=256
UPSAMPLING_BLOCK_ROWS = (
    ("Conv2DTranspose", (None, 12, 16, 256), 1179904, "same", "linear", ANY_INITIALIZER),
    ("Concatenate", (None, 12, 16, 512), 0),
    ("Conv2D", (None, 12, 16, 256), 1179904, "same", "relu", "HeNormal"),
    ("Conv2D", (None, 12, 16, 256), 590080, "same", "relu", "HeNormal"),
)
# unet_model() with its defaults: input (96, 128, 3), n_filters=32, n_classes=23
UNET_ROWS = (
    ("Conv2D", (None, 96, 128, 32), 896, "same", "relu", "HeNormal"),
    ("Conv2D", (None, 96, 128, 32), 9248, "same", "relu", "HeNormal"),
    ("MaxPooling2D", (None, 48, 64, 32), 0, (2, 2), (2, 2), "valid"),
    ("Conv2D", (None, 48, 64, 64), 18496, "same", "relu", "HeNormal"),
    ("Conv2D", (None, 48, 64, 64), 36928, "same", "relu", "HeNormal"),
    ("MaxPooling2D", (None, 24, 32, 64), 0, (2, 2), (2, 2), "valid"),
    ("Conv2D", (None, 24, 32, 128), 73856, "same", "relu", "HeNormal"),
    ("Conv2D", (None, 24, 32, 128), 147584, "same", "relu", "HeNormal"),
    ("MaxPooling2D", (None, 12, 16, 128), 0, (2, 2), (2, 2), "valid"),
    ("Conv2D", (None, 12, 16, 256), 295168, "same", "relu", "HeNormal"),
    ("Conv2D", (None, 12, 16, 256), 590080, "same", "relu", "HeNormal"),
    ("Dropout", (None, 12, 16, 256), 0, 0.3),
    ("MaxPooling2D", (None, 6, 8, 256), 0, (2, 2), (2, 2), "valid"),
    ("Conv2D", (None, 6, 8, 512), 1180160, "same", "relu", "HeNormal"),
    ("Conv2D", (None, 6, 8, 512), 2359808, "same", "relu", "HeNormal"),
    ("Dropout", (None, 6, 8, 512), 0, 0.3),
    ("Conv2DTranspose", (None, 12, 16, 256), 1179904, "same", "linear", ANY_INITIALIZER),
    ("Concatenate", (None, 12, 16, 512), 0),
    ("Conv2D", (None, 12, 16, 256), 1179904, "same", "relu", "HeNormal"),
    ("Conv2D", (None, 12, 16, 256), 590080, "same", "relu", "HeNormal"),
    ("Conv2DTranspose", (None, 24, 32, 128), 295040, "same", "linear", ANY_INITIALIZER),
    ("Concatenate", (None, 24, 32, 256), 0),
    ("Conv2D", (None, 24, 32, 128), 295040, "same", "relu", "HeNormal"),
    ("Conv2D", (None, 24, 32, 128), 147584, "same", "relu", "HeNormal"),
    ("Conv2DTranspose", (None, 48, 64, 64), 73792, "same", "linear", ANY_INITIALIZER),
    ("Concatenate", (None, 48, 64, 128), 0),
    ("Conv2D", (None, 48, 64, 64), 73792, "same", "relu", "HeNormal"),
    ("Conv2D", (None, 48, 64, 64), 36928, "same", "relu", "HeNormal"),
    ("Conv2DTranspose", (None, 96, 128, 32), 18464, "same", "linear", ANY_INITIALIZER),
    ("Concatenate", (None, 96, 128, 64), 0),
    ("Conv2D", (None, 96, 128, 32), 18464, "same", "relu", "HeNormal"),
    ("Conv2D", (None, 96, 128, 32), 9248, "same", "relu", "HeNormal"),
    ("Conv2D", (None, 96, 128, 32), 9248, "same", "relu", "HeNormal"),
    ("Conv2D", (None, 96, 128, 23), 759, ANY_PADDING, "linear", ANY_INITIALIZER),
)


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


def _expect_ids(mask: np.ndarray, expected_ids: np.ndarray, what: str, hint: str) -> None:
    """Fail unless a mask holds exactly the expected integer class ids."""
    if not np.issubdtype(mask.dtype, np.number):
        raise CheckFailure(f"{what} has dtype {mask.dtype}, expected numbers (class ids).")
    if not np.array_equal(mask, np.round(mask)):
        raise CheckFailure(f"{what} holds values that are not whole class ids (for example "
                           f"{mask[mask != np.round(mask)].ravel()[0]:.3f}): {hint}")
    wrong = mask.astype(np.int64) != expected_ids.astype(np.int64)
    if wrong.any():
        index = tuple(int(i) for i in np.argwhere(wrong)[0])
        raise CheckFailure(f"{what} is wrong at {wrong.sum()} of {wrong.size} pixels; "
                           f"first at {index}: got class {mask[index]:g}, "
                           f"expected {expected_ids[index]:g}. {hint}")


def _write_png(path: Path, pixels: np.ndarray) -> str:
    # (H, W): greyscale, (H, W, 3): RGB, (H, W, 4): RGBA
    Image.fromarray(pixels.astype(np.uint8)).save(path)
    return str(path)


def _in_dataset(fn: Callable, *args) -> tuple:
    """fn mapped over a one-element tf.data dataset, as the notebook's pipeline calls it."""
    # a function that runs in another process maps there
    remote = getattr(fn, "call_in_dataset_map", None)
    if remote is not None:
        return call_unchecked(remote, *args)
    # do_not_convert: functions loaded from a notebook have no source file for AutoGraph to
    # read, and it would log a warning; graded functions need no Python control flow in graph.
    graph_fn = tf.autograph.experimental.do_not_convert(fn)

    def run():
        dataset = tf.data.Dataset.from_tensors(tuple(tf.constant(a) for a in args)).map(graph_fn)
        return next(iter(dataset))

    run.__name__ = f"{getattr(fn, '__name__', 'your function')} (inside Dataset.map)"
    return call_unchecked(run)


# ------------------------------------------------------------------ process_path
def random_pair(name: str,
                shape: tuple[int, int]) -> tuple[np.random.Generator, np.ndarray, np.ndarray]:
    """A named test pair.

    Returns (generator, RGB pixels uint8 (n_H, n_W, 3), class ids uint8 (n_H, n_W)).
    """
    rng = rng_for(ASSIGNMENT_ID, "png", name)
    image = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
    ids = rng.integers(0, N_CLASSES, shape, dtype=np.uint8)
    return rng, image, ids


def write_pair(folder: Path, name: str, image: np.ndarray, mask: np.ndarray) -> tuple[str, str]:
    """Write an image and a mask as PNG files in ``folder``; returns their paths."""
    return (_write_png(folder / f"{name}_image.png", image),
            _write_png(folder / f"{name}_mask.png", mask))


def _spread_pair(name: str, shape: tuple[int, int],
                 folder: Path) -> tuple[str, str, np.ndarray, np.ndarray]:
    """A pair whose mask holds each pixel's class id in one of its three channels.

    The channel is chosen at random.
    """
    rng, image, ids = random_pair(name, shape)
    mask = np.zeros((*shape, 3), np.uint8)
    np.put_along_axis(mask, rng.integers(0, 3, shape)[..., None], ids[..., None], axis=-1)
    return (*write_pair(folder, name, image, mask), image, ids)


def check_process_path_case(process_path, image_path, mask_path, image, ids, label, in_map=False):
    """process_path on one pair of files whose pixels (uint8) and class ids are known."""
    result = _in_dataset(process_path, image_path, mask_path) if in_map else call_unchecked(
        process_path, tf.constant(image_path), tf.constant(mask_path))
    img, mask = expect_tuple(result, "process_path", 2, "(img, mask)")
    img, mask = _numpy(img, "img"), _numpy(mask, "mask")
    n_H, n_W = ids.shape
    _expect_shape(img, (n_H, n_W, 3), f"img ({label})", "decode the PNG with 3 channels.")
    if not np.issubdtype(img.dtype, np.floating):
        raise CheckFailure(f"img ({label}) has dtype {img.dtype}, expected float32 values in "
                           "[0, 1]: convert the uint8 image with "
                           "tf.image.convert_image_dtype(img, tf.float32).")
    if img.max() > 1.0:
        raise CheckFailure(f"img ({label}) has values up to {img.max():g}, expected values in "
                           "[0, 1]: tf.image.convert_image_dtype scales uint8 to [0, 1], "
                           "tf.cast does not.")
    expect_close(img, image / 255.0, f"img ({label})",
                 "img must be the PNG's pixels divided by 255", atol=1e-6)
    _expect_shape(mask, (n_H, n_W, 1), f"mask ({label})",
                  "decode the mask with 3 channels and take the max over the channel axis, "
                  "keeping it (keepdims=True).")
    _expect_ids(mask, ids[..., None], f"mask ({label})",
                "The class id of a pixel is the largest value over its channels of a "
                "3-channel decode.")


def check_process_path(process_path: Callable) -> None:
    """process_path reads an image as floats in [0, 1] and its mask as one channel of class ids."""
    from cnn_course.datasets import carla

    images, masks = carla.image_mask_paths(verbose=False)
    image, ids = carla.load_pair(images[0], masks[0])  # the dataset's loader: pixels and class ids
    print(f"Reading {Path(images[0]).name} and its mask ({ids.shape[0]}x{ids.shape[1]}) ...")
    check_process_path_case(process_path, images[0], masks[0], image, ids, "first CARLA pair")
    with tempfile.TemporaryDirectory() as tmp:
        image_path, mask_path, image, ids = _spread_pair("visible", (6, 10), Path(tmp))
        print("A 6x10 PNG pair whose mask ids sit in any of the three channels ...")
        check_process_path_case(process_path, image_path, mask_path, image, ids, "6x10 pair")
    print("All tests passed.")


# --------------------------------------------------------------------- preprocess
def preprocess_case(name: str, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(image float32 (n_H, n_W, 3), mask uint8 (n_H, n_W, 1)) of a named test case."""
    rng = rng_for(ASSIGNMENT_ID, "preprocess", name)
    image = rng.random((*shape, 3), dtype=np.float32)
    mask = rng.integers(0, N_CLASSES, (*shape, 1), dtype=np.uint8)
    return image, mask


def check_preprocess_case(preprocess, image, mask, label, expected_pair, in_map=False):
    """preprocess on one image and mask; ``expected_pair`` holds the two expected arrays."""
    result = _in_dataset(preprocess, image, mask) if in_map else call_unchecked(
        preprocess, tf.constant(image), tf.constant(mask))
    out_image, out_mask = expect_tuple(result, "preprocess", 2, "(input_image, input_mask)")
    out_image, out_mask = _numpy(out_image, "input_image"), _numpy(out_mask, "input_mask")
    hint = "resize both to (96, 128) with tf.image.resize(..., method='nearest')."
    _expect_shape(out_image, (*IMG_SIZE, 3), f"input_image ({label})", hint)
    _expect_shape(out_mask, (*IMG_SIZE, 1), f"input_mask ({label})", hint)
    expect_close(out_image, expected_pair[0], f"input_image ({label})",
                 "Use nearest-neighbour resizing for the image too", atol=1e-6)
    _expect_ids(out_mask, expected_pair[1], f"input_mask ({label})",
                "A mask must be resized with method='nearest': any other method mixes class ids.")


def check_preprocess(preprocess: Callable) -> None:
    """preprocess resizes an image and its mask to 96x128 with nearest-neighbour sampling."""
    (image, mask), _ = visible_cases()["preprocess"]["480x640"]
    expected_pair = [expected.get(ASSIGNMENT_ID, "preprocess", "480x640", k) for k in range(2)]
    print("Resizing a 480x640 image and mask to 96x128 (every 5th pixel, from the 3rd) ...")
    check_preprocess_case(preprocess, image, mask, "480x640", expected_pair)
    print("... and the same inside tf.data's Dataset.map, as the pipeline calls it.")
    check_preprocess_case(preprocess, image, mask, "480x640 in Dataset.map", expected_pair,
                          in_map=True)
    print("All tests passed.")


# ------------------------------------------------------------ annotations_to_mask
# A road box, a car triangle over it and a sign box last, on a 6x9 mask. The sign box's right
# and bottom sides pass through pixel centres (x = 7.5, y = 1.5): those pixels are outside.
PAINT_SHAPES = [{"label": 7, "box": (0, 3, 9, 6)},
                {"label": 10, "polygon": [(1.2, 0.8), (7.7, 2.1), (2.3, 5.9)]},
                {"label": 12, "box": (5.5, 0, 7.5, 1.5)}]
PAINT_MASK = np.array([[0, 0, 0, 0, 0, 12, 12, 0, 0],
                       [0, 10, 10, 10, 10, 0, 0, 0, 0],
                       [0, 0, 10, 10, 10, 10, 10, 0, 0],
                       [7, 7, 10, 10, 10, 10, 7, 7, 7],
                       [7, 7, 10, 10, 7, 7, 7, 7, 7],
                       [7, 7, 10, 7, 7, 7, 7, 7, 7]], dtype=np.uint8)
# A five-pointed star drawn in one stroke (each vertex joins the second next point of a
# pentagon) on an 11x11 mask: rays from its middle cross four edges, so the middle is outside.
STAR_SHAPES = [{"label": 4,
                "polygon": [(5.6, 0.2), (8.9, 10.3), (0.3, 4.1), (10.9, 4.1), (2.3, 10.3)]}]
STAR_MASK = np.array([[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                      [0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0],
                      [0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0],
                      [0, 0, 0, 0, 0, 4, 4, 0, 0, 0, 0],
                      [0, 4, 4, 4, 0, 0, 0, 4, 4, 4, 0],
                      [0, 0, 4, 4, 0, 0, 0, 4, 4, 0, 0],
                      [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                      [0, 0, 0, 4, 4, 0, 4, 4, 0, 0, 0],
                      [0, 0, 0, 4, 4, 0, 4, 4, 0, 0, 0],
                      [0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0],
                      [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]], dtype=np.uint8)
ANNOTATED_FRAME = 0  # the visible frame; the hidden check takes the others
RULES = ("Shapes are painted in list order (a later shape covers an earlier one); x is the column "
         "and y the row; a pixel (r, c) is inside when its centre (c + 0.5, r + 0.5) is: for a box "
         "x0 <= c + 0.5 < x1 and y0 <= r + 0.5 < y1, for a polygon by the even-odd rule.")
EVEN_ODD = ("Toggle a pixel for every edge its ray crosses (the even-odd rule): crossing two edges "
            "puts it back outside.")


@cache
def frame_shapes(k: int) -> tuple[list[dict], int, int]:
    """(shapes, height, width) of annotated frame k, as read from its annotation file."""
    from cnn_course.datasets import carla_annotations

    _, mask = carla_annotations.frame(k)
    return carla_annotations.trace_annotations(mask, seed=k), *mask.shape


def check_annotations_to_mask_case(annotations_to_mask, shapes, height, width, expected_mask, label,
                                   hint=RULES, show=False):
    """annotations_to_mask on one list of shapes, compared pixel by pixel with the expected mask."""
    mask = call_student(annotations_to_mask, shapes, height, width)
    if mask is None:
        raise CheckFailure("annotations_to_mask returned None: did you forget to return the mask?")
    if not isinstance(mask, np.ndarray):
        raise CheckFailure("annotations_to_mask must return a numpy array, got "
                           f"{type(mask).__name__}.")
    _expect_shape(mask, (height, width), f"the mask ({label})",
                  "(height, width): one class id per pixel.")
    if mask.dtype != np.uint8:
        raise CheckFailure(f"the mask ({label}) has dtype {mask.dtype}, expected uint8, the dtype "
                           "of the dataset's masks: start from np.zeros((height, width), "
                           "dtype=np.uint8).")
    wrong = mask != expected_mask
    if wrong.any():
        r, c = (int(i) for i in np.argwhere(wrong)[0])
        message = (f"the mask ({label}) is wrong at {int(wrong.sum())} of {wrong.size} pixels; "
                   f"first at row {r}, column {c} (centre x = {c + 0.5}, y = {r + 0.5}): got "
                   f"{mask[r, c]}, expected {expected_mask[r, c]}. {hint}")
        if show:
            message += f"\nExpected:\n{expected_mask}\nGot:\n{mask}"
        raise CheckFailure(message)


def check_annotations_to_mask(annotations_to_mask: Callable) -> None:
    """annotations_to_mask paints boxes and polygons in order, by pixel centre, even-odd."""
    print("A road box, a car triangle and a sign box on a 6x9 mask, painted in that order ...")
    check_annotations_to_mask_case(annotations_to_mask, PAINT_SHAPES, 6, 9, PAINT_MASK,
                                   "road, car, sign", show=True)
    print("A five-pointed star drawn in one stroke on an 11x11 mask: its middle is outside ...")
    check_annotations_to_mask_case(annotations_to_mask, STAR_SHAPES, 11, 11, STAR_MASK, "star",
                                   show=True, hint=EVEN_ODD)
    shapes, height, width = frame_shapes(ANNOTATED_FRAME)
    name = f"annotated_{ANNOTATED_FRAME:02d}"
    print(f"The {len(shapes)} shapes of frame {name} ({height}x{width}) ...")
    expected_mask = expected.get(ASSIGNMENT_ID, "annotations_to_mask", "frame", 0).astype(np.uint8)
    check_annotations_to_mask_case(annotations_to_mask, shapes, height, width, expected_mask,
                                   f"frame {name}")
    print("All tests passed.")


# ----------------------------------------------------------- layer lists of the U-Net
def layer_rows(model: keras.Model, what: str) -> list:
    """summary rows of a model, with the settings the course leaves free blanked out.

    Those are the initializer of Conv2DTranspose layers, and the padding and initializer of a
    final 1x1 convolution."""
    try:
        rows = [list(r) for r in summary(model)]
    except ValueError as error:
        raise CheckFailure(f"{what}: {error}") from None
    for k, row in enumerate(rows):
        if row[0] == "Conv2DTranspose":
            row[5] = ANY_INITIALIZER
        if row[0] == "Conv2D" and k == len(rows) - 1 and model.layers[-1].kernel_size == (1, 1):
            row[3], row[5] = ANY_PADDING, ANY_INITIALIZER
    return rows


def expect_same_layers(model: keras.Model, expected_rows: Sequence, what: str) -> None:
    """Fail unless the model's layer rows (see :func:`layer_rows`) are ``expected_rows``."""
    try:
        comparator(layer_rows(model, what), expected_rows, verbose=False)
    except AssertionError as error:
        raise CheckFailure(f"{what} does not have the expected layers. {error}") from None


def _model(inputs, outputs, what: str) -> keras.Model:
    """keras.Model(inputs, outputs); a graph not computed from the inputs fails with a sentence."""
    try:
        return keras.Model(inputs, outputs)
    except Exception as error:  # Keras raises ValueError for a disconnected graph
        raise CheckFailure(f"the output of {what} is not computed from its input tensors: build "
                           "every layer on the tensors passed as arguments, not on a new "
                           f"keras.Input ({error}).") from None


def _symbolic(value, what: str, shape: tuple) -> None:
    if not isinstance(value, keras.KerasTensor):
        raise CheckFailure(f"{what} must be the output of a Keras layer (a KerasTensor), got "
                           f"{type(value).__name__}.")
    if tuple(value.shape) != shape:
        raise CheckFailure(f"{what} has shape {tuple(value.shape)}, expected {shape}.")


# -------------------------------------------------------------------- conv_block
def check_conv_block_case(conv_block, shape, kwargs, label, expected_rows):
    """conv_block on a keras.Input of ``shape``: output shapes, then the layer rows."""
    inputs = keras.Input(shape)
    result = call_unchecked(conv_block, inputs, **kwargs)
    next_layer, skip = expect_tuple(result, "conv_block", 2, "(next_layer, skip_connection)")
    n_filters = kwargs.get("n_filters", 32)
    pool = kwargs.get("max_pooling", True)
    n_H, n_W = shape[:2]
    _symbolic(skip, f"skip_connection ({label})", (None, n_H, n_W, n_filters))
    if pool and tuple(skip.shape) == tuple(next_layer.shape):
        raise CheckFailure(f"next_layer ({label}) has the shape of skip_connection: with "
                           "max_pooling=True, next_layer is the max-pooled output and "
                           "skip_connection the output before pooling.")
    expected_next = (None, n_H // 2, n_W // 2, n_filters) if pool else (None, n_H, n_W, n_filters)
    _symbolic(next_layer, f"next_layer ({label})", expected_next)
    expect_same_layers(_model(inputs, [next_layer, skip], "conv_block"), expected_rows,
                       f"conv_block ({label})")


def check_conv_block(conv_block: Callable) -> None:
    """conv_block: two 3x3 relu convolutions (he_normal), optional dropout.

    Then an optional 2x2 max pooling.
    """
    cases = (((96, 128, 3), {"n_filters": 32}, "input (96, 128, 3), n_filters=32",
              CONV_BLOCK_ROWS_96x128),
             ((12, 16, 256), {"n_filters": 512, "dropout_prob": 0.3, "max_pooling": False},
              "input (12, 16, 256), n_filters=512, dropout_prob=0.3, max_pooling=False",
              CONV_BLOCK_ROWS_12x16))
    for shape, kwargs, label, rows in cases:
        print(f"conv_block on {label} ...")
        check_conv_block_case(conv_block, shape, kwargs, label, rows)
    print("All tests passed.")


# -------------------------------------------------------------- upsampling_block
def check_upsampling_case(upsampling_block, expansive_shape, contractive_shape, kwargs, label,
                          expected_rows):
    """upsampling_block on two keras.Inputs: the output shape, then the layer rows."""
    expansive, contractive = keras.Input(expansive_shape), keras.Input(contractive_shape)
    out = call_unchecked(upsampling_block, expansive, contractive, **kwargs)
    n_filters = kwargs.get("n_filters", 32)
    _symbolic(out, f"the output of upsampling_block ({label})",
              (None, contractive_shape[0], contractive_shape[1], n_filters))
    expect_same_layers(_model([expansive, contractive], out, "upsampling_block"), expected_rows,
                       f"upsampling_block ({label})")


def check_upsampling_block(upsampling_block: Callable) -> None:
    """upsampling_block: 3x3 transposed convolution with stride 2.

    Then concatenation with the skip, and two convolutions.
    """
    label = "expansive (6, 8, 512), contractive (12, 16, 256)"
    print(f"upsampling_block with {label}, n_filters=256 ...")
    check_upsampling_case(upsampling_block, (6, 8, 512), (12, 16, 256), {"n_filters": 256}, label,
                          UPSAMPLING_BLOCK_ROWS)
    print("All tests passed.")


# -------------------------------------------------------------------- unet_model
def check_unet_model(unet_model: Callable) -> None:
    """unet_model: the U-Net's layers, shapes and parameters.

    The output holds one logit per class.
    """
    print("unet_model() with its defaults: input (96, 128, 3), 32 filters, 23 classes ...")
    model = build_model(unet_model)
    expect_params(model, "unet_model()", DEFAULT_PARAMS)
    expect_same_layers(model, UNET_ROWS, "unet_model()")
    print(f"{model.count_params():,} parameters, layer list as expected.")
    print("All tests passed.")


# ------------------------------------------------------------------- compile_unet
def small_segmenter(size: int = 8, n_classes: int = 3) -> keras.Model:
    """A two-layer fully convolutional model with logits per pixel (quick to train on a CPU)."""
    inputs = keras.Input((size, size, 3))
    x = layers.Conv2D(16, 1, activation="relu", kernel_initializer="he_normal")(inputs)
    return keras.Model(inputs, layers.Conv2D(n_classes, 1)(x))


def compiled_by(compile_unet: Callable, learning_rate: float | None = None) -> keras.Model:
    """A small segmenter compiled by compile_unet, its settings checked.

    Compiled at ``learning_rate``, or compile_unet's default.
    """
    seed(0)
    model = small_segmenter()
    kwargs = {} if learning_rate is None else {"learning_rate": learning_rate}
    result = call_unchecked(compile_unet, model, **kwargs)
    if result is not model:
        raise CheckFailure("compile_unet must return the model it compiled "
                           "(end with `return model`).")
    expect_compiled(model, "the model", "Adam", keras.losses.SparseCategoricalCrossentropy,
                    ["accuracy"],
                    learning_rate=0.001 if learning_rate is None else learning_rate,
                    from_logits=True)
    return model


def check_compile_unet(compile_unet: Callable) -> None:
    """compile_unet: Adam at the default learning rate.

    Sparse categorical cross-entropy on logits, and accuracy.
    """
    print("compile_unet on a small model with logits per pixel, default learning rate ...")
    compiled_by(compile_unet)
    print("Adam, SparseCategoricalCrossentropy(from_logits=True), metric accuracy.")
    print("All tests passed.")


# ------------------------------------------------------------ stored expected outputs
def visible_cases() -> dict:
    """{function: {case: (args, kwargs)}}: the visible cases whose outputs ``expected/`` stores."""
    return {"preprocess": {"480x640": (preprocess_case("visible", (480, 640)), {})},
            "annotations_to_mask": {"frame": (frame_shapes(ANNOTATED_FRAME), {})}}


def visible_outputs(function: str, result) -> list[np.ndarray]:
    """The arrays of a result that ``expected/`` stores: (input_image, input_mask), or the mask."""
    if function == "annotations_to_mask":
        return [np.asarray(result)]
    return [np.asarray(r) for r in result]
