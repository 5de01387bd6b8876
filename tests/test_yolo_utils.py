"""cnn_course.utils.yolo (the helpers the W3A1 notebook imports) and the W3A1 figures."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from cnn_course.datasets import road  # noqa: E402
from cnn_course.utils import detection_figures as figures  # noqa: E402
from cnn_course.utils import yolo  # noqa: E402


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


@pytest.fixture()
def feats():
    return np.random.default_rng(0).normal(0, 1.5, (2, 7, 7, 3 * 9)).astype(np.float32)


ANCHORS = np.array([[0.5, 1.0], [1.5, 1.2], [3.0, 4.0]])


def test_yolo_head_decodes_by_the_documented_formulas(feats):
    confidence, xy, wh, probs = yolo.yolo_head(feats, ANCHORS, 4)
    assert confidence.shape == (2, 7, 7, 3, 1) and xy.shape == wh.shape == (2, 7, 7, 3, 2)
    assert probs.shape == (2, 7, 7, 3, 4) and confidence.dtype.name == "float32"
    t = feats.reshape(2, 7, 7, 3, 9)
    i, row, col, a = 1, 2, 5, 1
    np.testing.assert_allclose(xy[i, row, col, a], (_sigmoid(t[i, row, col, a, :2]) + [col, row]) / 7, rtol=1e-5)
    np.testing.assert_allclose(wh[i, row, col, a], ANCHORS[a] * np.exp(t[i, row, col, a, 2:4]) / 7, rtol=1e-5)
    np.testing.assert_allclose(confidence[i, row, col, a, 0], _sigmoid(t[i, row, col, a, 4]), rtol=1e-5)
    logits = t[i, row, col, a, 5:]
    np.testing.assert_allclose(probs[i, row, col, a], np.exp(logits) / np.exp(logits).sum(), rtol=1e-5)


def test_yolo_head_takes_the_flat_or_the_split_volume_and_tensors(feats):
    import tensorflow as tf

    flat = yolo.yolo_head(feats, ANCHORS, 4)
    split = yolo.yolo_head(feats.reshape(2, 7, 7, 3, 9), ANCHORS, 4)
    tensor = yolo.yolo_head(tf.constant(feats), ANCHORS.tolist(), 4)
    for a, b, c in zip(flat, split, tensor, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        np.testing.assert_array_equal(a.numpy(), c.numpy())


def test_yolo_head_refuses_a_wrong_channel_count(feats):
    with pytest.raises(ValueError, match="anchors x"):
        yolo.yolo_head(feats, ANCHORS, 80)


def test_corners_are_y_first_and_scale_multiplies_height_then_width():
    corners = yolo.yolo_boxes_to_corners(np.array([[0.5, 0.25]]), np.array([[0.2, 0.1]])).numpy()
    np.testing.assert_allclose(corners, [[0.2, 0.4, 0.3, 0.6]], rtol=1e-6)
    scaled = yolo.scale_boxes(corners, (720, 1280)).numpy()
    np.testing.assert_allclose(scaled, [[144, 512, 216, 768]], rtol=1e-5)


def test_preprocess_image_resizes_to_the_model_input(tmp_path):
    path = tmp_path / "frame.jpg"
    Image.new("RGB", (128, 72), (255, 0, 0)).save(path)
    image, data = yolo.preprocess_image(path, model_image_size=(64, 96))
    assert image.size == (128, 72)
    assert data.shape == (1, 64, 96, 3) and data.dtype == np.float32
    assert 0.95 < data[..., 0].mean() <= 1.0 and data[..., 1].max() < 0.05
    with pytest.raises(ValueError, match="not a file"):
        yolo.preprocess_image(tmp_path / "missing.jpg")


def test_draw_boxes_draws_labelled_boxes_and_checks_lengths():
    image = Image.new("RGB", (320, 180), (0, 0, 0))
    names = ["person", "bicycle", "car"]
    out = yolo.draw_boxes(image, np.array([[40.0, 50.0, 120.0, 200.0]]), [2], [0.87], names)
    pixels = np.asarray(out)
    assert pixels[40:120, 50].any() and pixels[40:120, 200].any(), "the box edges are drawn"
    assert not pixels[80, 120].any(), "the inside of the box stays untouched"
    with pytest.raises(ValueError, match="one class and one score per box"):
        yolo.draw_boxes(image, np.zeros((2, 4)), [1], [0.5, 0.4], names)


def test_readers_are_the_datasets_own():
    assert yolo.read_classes is road.read_classes and yolo.read_anchors is road.read_anchors


def _frame(tmp_path):
    path = tmp_path / "frame.jpg"
    Image.new("RGB", (1280, 720), (90, 90, 90)).save(path)
    return {"file": path, "width": 1280, "height": 720,
            "boxes": np.array([[500.0, 300.0, 700.0, 450.0], [900.0, 280.0, 950.0, 420.0]]),
            "classes": np.array([2, 0])}


def test_encode_object_puts_the_object_in_its_cell_and_best_anchor(tmp_path):
    frame = _frame(tmp_path)
    anchors = np.array([[0.3, 0.9], [1.0, 2.0], [3.0, 3.7], [6.0, 8.0]])
    (row, col), anchor, volume = figures.encode_object(frame, 0, anchors, grid=19)
    assert (row, col) == (int(375 / 720 * 19), int(600 / 1280 * 19))
    assert anchor == 2  # 200 x 150 px = 2.97 x 3.96 cells
    assert volume.sum() == pytest.approx(1 + 600 / 1280 + 375 / 720 + 200 / 1280 + 150 / 720 + 1)
    assert volume[row, col, anchor, 5 + 2] == 1


def test_every_figure_builds(tmp_path):
    frame = _frame(tmp_path)
    names = road.COCO_CLASSES
    anchors = np.array([[0.5, 1.0], [1.5, 1.2], [3.0, 4.0], [4, 5], [6, 7]])
    stage = (np.array([0.9, 0.7]), np.array([[300.0, 500.0, 450.0, 700.0], [280.0, 900.0, 420.0, 950.0]]),
             np.array([2, 0]))
    empty = (np.zeros(0), np.zeros((0, 4)), np.zeros(0, int))
    figs = [figures.plot_labelled_frame(frame, names), figures.plot_grid(frame, 19, names),
            figures.plot_anchors(anchors, 19, frame["file"]), figures.plot_encoding(frame, anchors, 19, names),
            figures.plot_landmarks(frame), figures.plot_stages(np.zeros((720, 1280, 3)), {"a": stage, "b": empty},
                                                               names),
            figures.show_detections([Image.open(frame["file"])] * 3, ["1", "2", "3"])]
    for fig in figs:
        assert all(ax.get_title() for ax in fig.axes if ax.axison)
        plt.close(fig)
    note = "ground truth passed through your yolo_eval (no trained detector available)"
    for fig in (figures.plot_stages(np.zeros((720, 1280, 3)), {"a": stage}, names, title=note),
                figures.show_detections([Image.open(frame["file"])], ["1"], title=note)):
        assert fig._suptitle.get_text() == note and [ax.get_title() for ax in fig.axes if ax.axison][0]
        plt.close(fig)
