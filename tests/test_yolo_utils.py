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
    xy, wh, confidence, probs = yolo.yolo_head(feats, ANCHORS, 4)
    assert confidence.shape == (2, 7, 7, 3, 1) and xy.shape == wh.shape == (2, 7, 7, 3, 2)
    assert probs.shape == (2, 7, 7, 3, 4) and confidence.dtype.name == "float32"
    t = feats.reshape(2, 7, 7, 3, 9)
    i, row, col, a = 1, 2, 5, 1
    np.testing.assert_allclose(xy[i, row, col, a],
                               (_sigmoid(t[i, row, col, a, :2]) + [col, row]) / 7, rtol=1e-5)
    np.testing.assert_allclose(wh[i, row, col, a],
                               ANCHORS[a] * np.exp(t[i, row, col, a, 2:4]) / 7, rtol=1e-5)
    np.testing.assert_allclose(confidence[i, row, col, a, 0], _sigmoid(t[i, row, col, a, 4]),
                               rtol=1e-5)
    logits = t[i, row, col, a, 5:]
    np.testing.assert_allclose(probs[i, row, col, a], np.exp(logits) / np.exp(logits).sum(),
                               rtol=1e-5)


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


def _crowd():
    """12 distant cars side by side and 3 just below: (y_min, x_min, y_max, x_max) in pixels."""
    row = [(300.0, 400.0 + 22 * k, 318.0, 420.0 + 22 * k) for k in range(12)]
    below = [(322.0, 420.0 + 40 * k, 340.0, 450.0 + 40 * k) for k in range(3)]
    return np.array(row + below)


def _overlap(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_labels_of_a_crowd_of_small_boxes_never_overlap():
    boxes = _crowd()
    sizes = [(70, 16)] * len(boxes)  # each label is wider than three of the boxes together
    naive = [
        (left, top - 16, left + 70, top) for top, left, _, _ in boxes
    ]  # all just above their box
    assert sum(_overlap(a, b) for i, a in enumerate(naive) for b in naive[i + 1 :]) > 10, (
        "the case is crowded"
    )
    spots = yolo.place_labels(boxes, sizes, (1280, 720))
    placed = [s for s in spots if s is not None]
    assert len(spots) == len(boxes) and len(placed) >= 8, spots
    assert not any(_overlap(a, b) for i, a in enumerate(placed) for b in placed[i + 1 :])
    assert all(0 <= x0 and x1 <= 1280 and 0 <= y0 and y1 <= 720 for x0, y0, x1, y1 in placed)
    assert all(x1 - x0 == 70 and y1 - y0 == 16 for x0, y0, x1, y1 in placed)
    assert spots[0] == (400.0, 284.0, 470.0, 300.0), "the first box's label sits right above it"


def test_a_label_stays_in_the_picture_and_next_to_its_box():
    spots = yolo.place_labels(
        [(2.0, 1250.0, 40.0, 1279.0), (2.0, 0.0, 40.0, 20.0)], [(70, 16)] * 2, (1280, 720)
    )
    assert spots[0] == (1210, 2.0, 1280, 18.0), (
        "no room above: inside the top edge, within the picture"
    )
    assert spots[1] == (0.0, 2.0, 70.0, 18.0)
    assert yolo.place_labels([(0.0, 0.0, 10.0, 10.0)] * 2, [(70, 16)] * 2, (80, 20)) == [
        (0.0, 0.0, 70.0, 16.0),
        None,
    ]


def test_draw_boxes_writes_the_best_labels_of_a_crowd_and_reads_a_names_file(tmp_path):
    names_file = tmp_path / "coco.names"
    names_file.write_text("person\nbicycle\ncar\n")
    boxes = _crowd()
    scores = np.linspace(0.95, 0.61, len(boxes))
    image = yolo.draw_boxes(
        Image.new("RGB", (1280, 720)), boxes, [2] * len(boxes), scores, names_file
    )
    pixels = np.asarray(image)
    assert pixels[284:300, 402:468].any(axis=-1).mean() > 0.9, (
        "the best box's label is filled in above it"
    )
    from_list = yolo.draw_boxes(
        Image.new("RGB", (1280, 720)), boxes, [2] * len(boxes), scores, ["person", "bicycle", "car"]
    )
    assert np.array_equal(np.asarray(from_list), pixels)


def test_the_figures_labels_of_a_crowd_do_not_overlap_once_drawn(tmp_path):
    """The figures place their labels with place_labels too: the rendered texts do not overlap."""
    frame = _frame(tmp_path)
    crowd = _crowd()
    frame["boxes"], frame["classes"] = crowd[:, [1, 0, 3, 2]], np.full(len(crowd), 2)
    stage = (np.linspace(0.9, 0.7, len(crowd) - 3), crowd[3:], np.full(len(crowd) - 3, 2))
    for fig in (
        figures.plot_labelled_frame(frame, road.COCO_CLASSES),
        figures.plot_grid(frame, 19, road.COCO_CLASSES),
        figures.plot_stages(np.zeros((720, 1280, 3)), {"a": stage}, road.COCO_CLASSES),
    ):
        fig.canvas.draw()
        texts = [t.get_bbox_patch().get_window_extent() for ax in fig.axes for t in ax.texts]
        assert len(texts) >= 5
        assert not any(
            a.x0 < b.x1 - 0.5 and b.x0 < a.x1 - 0.5 and a.y0 < b.y1 - 0.5 and b.y0 < a.y1 - 0.5
            for i, a in enumerate(texts)
            for b in texts[i + 1 :]
        ), "two labels overlap"
        plt.close(fig)


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


def test_largest_object_prefers_the_class_then_the_area(tmp_path):
    frame = _frame(tmp_path)
    assert figures.largest_object(frame) == 0 and figures.largest_object(frame, class_id=0) == 1
    assert figures.largest_object(frame, class_id=7) == 0  # no truck: the largest box of any class


def test_every_figure_builds(tmp_path):
    frame = _frame(tmp_path)
    names = road.COCO_CLASSES
    anchors = np.array([[0.5, 1.0], [1.5, 1.2], [3.0, 4.0], [4, 5], [6, 7]])
    stage = (np.array([0.9, 0.7]),
             np.array([[300.0, 500.0, 450.0, 700.0], [280.0, 900.0, 420.0, 950.0]]),
             np.array([2, 0]))
    empty = (np.zeros(0), np.zeros((0, 4)), np.zeros(0, int))
    figs = [figures.plot_labelled_frame(frame, names), figures.plot_grid(frame, 19, names),
            figures.plot_anchors(anchors, 19, frame["file"]),
            figures.plot_encoding(frame, anchors, 19, names),
            figures.plot_landmarks(frame),
            figures.plot_box_pair(frame, *frame["boxes"], title="IoU = 0"),
            figures.plot_box_pair(frame, frame["boxes"][0], frame["boxes"][0] + 20, title="IoU"),
            figures.plot_stages(np.zeros((720, 1280, 3)), {"a": stage, "b": empty},
                                                               names),
            figures.show_detections([Image.open(frame["file"])] * 3, ["1", "2", "3"])]
    for fig in figs:
        assert all(ax.get_title() for ax in fig.axes if ax.axison)
        plt.close(fig)
    note = "ground truth passed through your yolo_eval (no trained detector available)"
    for fig in (figures.plot_stages(np.zeros((720, 1280, 3)), {"a": stage}, names, title=note),
                figures.show_detections([Image.open(frame["file"])], ["1"], title=note)):
        assert fig._suptitle.get_text() == note
        assert [ax.get_title() for ax in fig.axes if ax.axison][0]
        plt.close(fig)
