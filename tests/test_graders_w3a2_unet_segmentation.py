"""W3A2 specifics: what each kind of wrong answer is told, and where the visible checks' expected
values come from (the common checks: test_assignments.py)."""

from __future__ import annotations

import numpy as np
import pytest

from cnn_course.checks import expected
from cnn_course.checks import w3a2_unet_segmentation as checks
from cnn_course.checks._checking import failure_message as _raises
from cnn_course.graders import w3a2_unet_segmentation as grader
from cnn_course.graders.engine.loading import load_functions
from cnn_course.utils.runtime import quiet_tensorflow

quiet_tensorflow()

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

AID = "w3a2_unet_segmentation"


@pytest.fixture(scope="module")
def solution():
    return load_functions(AID)


def _conv(x, n):
    return layers.Conv2D(n, 3, activation="relu", padding="same", kernel_initializer="he_normal")(x)


def test_visible_checks_say_what_they_check(solution, capsys):
    grader.check_preprocess(solution.preprocess)  # hidden=False runs the visible check
    out = capsys.readouterr().out
    assert "480x640" in out and "Dataset.map" in out and out.strip().endswith("All tests passed.")


def test_the_visible_checks_pass_the_solution_called_as_the_notebook_calls_them(solution, capsys):
    for name in grader.GRADED_FUNCTIONS:
        getattr(checks, f"check_{name}")(getattr(solution, name))
        assert capsys.readouterr().out.strip().endswith("All tests passed."), name


def test_the_expected_unet_has_the_published_parameter_count():
    rows = grader.expected_unet_rows((96, 128, 3), 32, 23)
    assert sum(row[2] for row in rows) == checks.DEFAULT_PARAMS == 8_640_471
    assert rows[-1][:3] == ["Conv2D", (None, 96, 128, 23), 32 * 23 + 23]
    assert [r[3] for r in rows if r[0] == "Dropout"] == [0.3, 0.3]


def _same_rows(found, expected):
    return [list(r) for r in found] == [list(r) for r in expected]


def test_the_visible_layer_rows_are_the_graders_independent_construction():
    """The rows written as data in the student package are those of the U-Net built in the
    grader."""
    assert _same_rows(checks.UNET_ROWS, grader.expected_unet_rows((96, 128, 3), 32, 23))
    assert _same_rows(checks.CONV_BLOCK_ROWS_96x128,
                      grader.expected_conv_block_rows((96, 128, 3), n_filters=32))
    assert _same_rows(checks.CONV_BLOCK_ROWS_12x16, grader.expected_conv_block_rows(
        (12, 16, 256), n_filters=512, dropout_prob=0.3, max_pooling=False))
    assert _same_rows(checks.UPSAMPLING_BLOCK_ROWS,
                      grader.expected_upsampling_rows((6, 8, 512), (12, 16, 256), 256))
    assert sum(row[2] for row in checks.UNET_ROWS) == checks.DEFAULT_PARAMS


def test_the_visible_preprocess_outputs_agree_with_tf_resize_and_the_stride():
    """checks/expected holds the solution's outputs; TensorFlow's resize and the every-5th-pixel
    property of a factor-5 nearest-neighbour resize agree with them."""
    (image, mask), _ = checks.visible_cases()["preprocess"]["480x640"]
    stored = [expected.get(AID, "preprocess", "480x640", k) for k in range(2)]
    oracle = grader.resize_oracle(image, mask)
    for k, strided in enumerate((image[2::5, 2::5], mask[2::5, 2::5])):
        np.testing.assert_allclose(stored[k], oracle[k], rtol=0, atol=1e-7)
        np.testing.assert_allclose(stored[k], strided, rtol=0, atol=1e-7)


def test_the_visible_carla_pair_is_read_as_pillow_reads_it():
    """The visible process_path check takes its expected values from the dataset's loader."""
    from PIL import Image

    from cnn_course.datasets import carla

    images, masks = carla.image_mask_paths(verbose=False)
    image, ids = carla.load_pair(images[0], masks[0])
    with Image.open(images[0]) as picture:
        np.testing.assert_array_equal(image, np.asarray(picture.convert("RGB")))
    with Image.open(masks[0]) as picture:
        pixels = np.asarray(picture)
    np.testing.assert_array_equal(ids, pixels if pixels.ndim == 2 else pixels[..., :3].max(axis=-1))


def test_nearest_neighbour_oracle_is_every_fifth_pixel_from_the_third():
    image, mask = checks.preprocess_case("oracle", (480, 640))
    resized = tf.image.resize(mask, checks.IMG_SIZE, method="nearest").numpy()
    np.testing.assert_array_equal(resized, mask[2::5, 2::5])
    assert np.isin(resized, mask).all()


def test_a_mask_read_from_the_red_channel_only_is_told_about_the_max():
    def process_path(image_path, mask_path):
        img = tf.image.convert_image_dtype(
            tf.image.decode_png(tf.io.read_file(image_path), channels=3), tf.float32)
        mask = tf.image.decode_png(tf.io.read_file(mask_path), channels=3)[..., :1]
        return img, mask

    _raises(grader.check_process_path, process_path, "mask (6x10 pair)",
            "largest value over its channels")


def test_an_unscaled_image_is_told_about_convert_image_dtype():
    def process_path(image_path, mask_path):
        img = tf.cast(tf.image.decode_png(tf.io.read_file(image_path), channels=3), tf.float32)
        mask = tf.image.decode_png(tf.io.read_file(mask_path), channels=3)
        return img, tf.reduce_max(mask, axis=-1, keepdims=True)

    _raises(grader.check_process_path, process_path, "values in [0, 1]", "convert_image_dtype")


def test_an_rgba_decode_is_caught_by_the_hidden_check(solution):
    def process_path(image_path, mask_path):
        img, _ = solution.process_path(image_path, mask_path)
        mask = tf.image.decode_png(tf.io.read_file(mask_path), channels=0)  # keeps alpha
        return img, tf.reduce_max(mask, axis=-1, keepdims=True)

    _raises(grader.check_process_path, process_path, "rgba", hidden=True)


def test_a_bilinear_mask_is_told_about_nearest():
    def preprocess(image, mask):
        return (tf.image.resize(image, (96, 128), method="nearest"),
                tf.image.resize(mask, (96, 128), method="bilinear"))

    _raises(grader.check_preprocess, preprocess, "method='nearest'", hidden=True)


def test_a_python_side_effect_that_needs_eager_tensors_fails_in_the_map():
    def preprocess(image, mask):
        size = (int(image.numpy().shape[0] // 5), 128)  # .numpy() does not exist inside tf.data
        return (tf.image.resize(image, size, method="nearest"),
                tf.image.resize(mask, size, method="nearest"))

    _raises(grader.check_preprocess, preprocess, "inside Dataset.map")


def test_a_missing_dropout_names_the_layer_count():
    def conv_block(inputs=None, n_filters=32, dropout_prob=0, max_pooling=True):
        conv = _conv(_conv(inputs, n_filters), n_filters)
        return (layers.MaxPooling2D(2)(conv) if max_pooling else conv), conv

    _raises(grader.check_conv_block, conv_block, "conv_block (input (12, 16, 256)",
            "expected layers")


def test_the_wrong_initializer_is_named():
    def conv_block(inputs=None, n_filters=32, dropout_prob=0, max_pooling=True):
        conv = layers.Conv2D(n_filters, 3, activation="relu", padding="same")(inputs)
        conv = _conv(conv, n_filters)
        return (layers.MaxPooling2D(2)(conv) if max_pooling else conv), conv

    _raises(grader.check_conv_block, conv_block, "kernel initializer", "HeNormal")


def test_a_block_built_on_a_new_input_is_reported():
    def conv_block(inputs=None, n_filters=32, dropout_prob=0, max_pooling=True):
        conv = _conv(_conv(keras.Input(inputs.shape[1:]), n_filters), n_filters)
        return layers.MaxPooling2D(2)(conv), conv

    _raises(grader.check_conv_block, conv_block, "not computed from its input tensors")


def test_the_skip_may_come_first_in_the_concatenation():
    """The order of the two inputs of the concatenation is not graded: both are U-Nets."""
    def upsampling_block(expansive_input, contractive_input, n_filters=32):
        up = layers.Conv2DTranspose(n_filters, 3, strides=2, padding="same")(expansive_input)
        merge = layers.Concatenate(axis=-1)([contractive_input, up])
        return _conv(_conv(merge, n_filters), n_filters)

    grader.check_upsampling_block(upsampling_block)
    grader.check_upsampling_block(upsampling_block, hidden=True)


def test_a_softmax_output_is_named(solution):
    def unet_model(input_size=(96, 128, 3), n_filters=32, n_classes=23):
        model = solution.unet_model(input_size, n_filters, n_classes)
        outputs = layers.Activation("softmax")(model.output)
        return keras.Model(model.input, outputs)

    _raises(grader.check_unet_model, unet_model, "layers")


def test_a_compile_with_a_string_loss_is_told_about_from_logits():
    def compile_unet(model, learning_rate=0.001):
        model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    _raises(grader.check_compile_unet, compile_unet, "SparseCategoricalCrossentropy")


def test_a_compile_that_returns_nothing_is_told_to_return_the_model():
    def compile_unet(model, learning_rate=0.001):
        model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])

    _raises(grader.check_compile_unet, compile_unet, "return model")


# ------------------------------------------------------------ annotations_to_mask
def test_the_paint_oracle_is_even_odd_and_agrees_with_the_solution_on_every_case(solution):
    """matplotlib's point-in-path test (the oracle) and the solution's crossing number agree."""
    middle = grader.paint_oracle(checks.STAR_SHAPES, 11, 11)[5, 5]
    assert middle == 0, "a star drawn in one stroke has an empty middle under the even-odd rule"
    for case, (shapes, height, width) in grader.paint_cases().items():
        np.testing.assert_array_equal(solution.annotations_to_mask(shapes, height, width),
                                      grader.paint_oracle(shapes, height, width), err_msg=case)


def test_the_visible_masks_are_the_oracles():
    """The masks written as data in the student package, and the stored frame mask."""
    np.testing.assert_array_equal(grader.paint_oracle(checks.PAINT_SHAPES, 6, 9), checks.PAINT_MASK)
    np.testing.assert_array_equal(grader.paint_oracle(checks.STAR_SHAPES, 11, 11), checks.STAR_MASK)
    shapes, height, width = checks.frame_shapes(checks.ANNOTATED_FRAME)
    stored = expected.get(AID, "annotations_to_mask", "frame", 0)
    np.testing.assert_array_equal(stored, grader.paint_oracle(shapes, height, width))


def test_no_polygon_of_the_checks_passes_through_a_pixel_centre_and_boxes_test_the_sides():
    from cnn_course.datasets.carla_annotations import ambiguous

    cases = {**grader.paint_cases(), "road, car, sign": (checks.PAINT_SHAPES, 6, 9),
             "star": (checks.STAR_SHAPES, 11, 11),
             "frame 0": checks.frame_shapes(checks.ANNOTATED_FRAME)}
    for case, (shapes, _, _) in cases.items():
        assert not [s for s in shapes if "polygon" in s and ambiguous(s["polygon"])], case
    boxes = [s["box"] for shapes, _, _ in cases.values() for s in shapes if "box" in s]
    assert any(v % 1 == 0.5 for box in boxes for v in box), "a box side on pixel centres"


def test_ambiguous_finds_vertices_and_edges_through_pixel_centres():
    from cnn_course.datasets.carla_annotations import ambiguous

    assert ambiguous([(0.2, 0.5), (3.1, 2.2), (1.3, 4.1)])  # a vertex on the row of centres y = 0.5
    assert ambiguous([(0.0, 0.0), (4.0, 4.0), (0.0, 4.2)])  # the diagonal meets (1.5, 1.5)
    assert not ambiguous([(0.1, 0.2), (4.1, 4.3), (0.2, 4.2)])


def test_the_annotated_frames_redraw_the_renderers_masks():
    """The traced shapes, painted by the oracle, agree with the renderer's mask almost everywhere;
    they hold polygons and boxes."""
    from cnn_course.datasets import carla_annotations

    kinds = set()
    for k in range(carla_annotations.N_FRAMES):
        _, mask = carla_annotations.frame(k)
        shapes = carla_annotations.trace_annotations(mask, seed=k)
        painted = grader.paint_oracle(shapes, *mask.shape)
        assert (painted == mask).mean() > 0.97, k
        kinds |= {"box" if "box" in s else "polygon" for s in shapes}
    assert kinds == {"box", "polygon"}


def test_annotation_files_and_masks_round_trip_in_the_datasets_format(tmp_path, solution):
    from cnn_course.datasets import carla, carla_annotations

    frames = carla_annotations.annotated_frames(tmp_path, count=1)
    shapes, height, width = carla_annotations.read_annotations(frames[0]["annotation_path"])
    traced = carla_annotations.trace_annotations(carla_annotations.frame(0)[1], seed=0)
    assert (height, width) == (480, 640) and len(shapes) == len(traced)
    for read, made in zip(shapes, traced, strict=True):
        assert read["label"] == made["label"] and set(read) == set(made)
        np.testing.assert_array_equal(np.asarray(read.get("box", read.get("polygon"))),
                                      np.asarray(made.get("box", made.get("polygon"))))
    mask = solution.annotations_to_mask(shapes, height, width)
    carla_annotations.write_mask(frames[0]["mask_path"], mask)
    image, ids = carla.load_pair(frames[0]["image_path"], frames[0]["mask_path"])
    np.testing.assert_array_equal(image, carla_annotations.frame(0)[0])
    np.testing.assert_array_equal(ids, mask)
    with pytest.raises(ValueError, match="uint8"):
        carla_annotations.write_mask(tmp_path / "wrong.png", mask.astype(np.int64))


def test_a_painter_drawing_with_pillow_is_told_about_pixel_centres():
    """PIL's polygon fill also takes the pixels its outline touches: not the course's rule."""
    from PIL import Image, ImageDraw

    def annotations_to_mask(annotations, height, width):
        image = Image.new("L", (width, height), 0)
        draw = ImageDraw.Draw(image)
        for shape in annotations:
            if "box" in shape:
                x0, y0, x1, y1 = shape["box"]
                draw.rectangle((x0, y0, x1, y1), fill=shape["label"])
            else:
                draw.polygon(shape["polygon"], fill=shape["label"])
        return np.asarray(image, dtype=np.uint8)

    _raises(grader.check_annotations_to_mask, annotations_to_mask, "centre (c + 0.5, r + 0.5)")


def test_a_mask_of_another_dtype_is_told_about_uint8():
    def annotations_to_mask(annotations, height, width):
        return np.zeros((height, width), dtype=np.int64)

    _raises(grader.check_annotations_to_mask, annotations_to_mask, "dtype int64", "uint8")
