"""The W3A1 detector: target encoding, YOLO loss, decoding, mAP, the ``make weights`` trainer.

The loss, decoding and mAP are instructor code (``cnn_course.graders.trainers.detection``).
"""

import numpy as np
import pytest

from cnn_course.utils.runtime import quiet_tensorflow

quiet_tensorflow()

from cnn_course.graders import trainers  # noqa: E402
from cnn_course.graders.trainers import detection  # noqa: E402
from cnn_course.utils import weights  # noqa: E402
from cnn_course.utils import yolo_model as ym  # noqa: E402
from cnn_course.utils.yolo import yolo_boxes_to_corners, yolo_head  # noqa: E402

ANCHORS = np.array([[0.5, 1.0], [1.0, 2.0], [2.5, 2.5], [4.0, 5.0], [6.0, 9.0]])
GRID = (20, 20)
C = ym.NUM_CLASSES


def _scene(seed, n=6):
    """n random boxes (x_min, y_min, x_max, y_max) as fractions, with class ids."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0.05, 0.95, (n, 2))
    wh = rng.uniform(0.02, 0.4, (n, 2))
    boxes = np.clip(np.concatenate([xy - wh / 2, xy + wh / 2], axis=1), 0, 1)
    return boxes, rng.choice([0, 2, 5, 7, 9], n)


def _encode(seeds, n=6):
    encoded = [ym.encode_targets(*_scene(s, n), ANCHORS, GRID) for s in seeds]
    return np.stack([e[0] for e in encoded]), np.stack([e[1] for e in encoded])


def test_encoding_round_trips_through_yolo_head():
    boxes, classes = _scene(0)
    target, true_boxes = ym.encode_targets(boxes, classes, ANCHORS, GRID)
    assert target.shape == (20, 20, 5, 6) and true_boxes.shape == (ym.MAX_BOXES, 4)
    assert target[..., 4].sum() == len(boxes)  # every box has its own responsible anchor
    feats = ym.features_from_targets(target[None], ANCHORS)
    assert feats.shape == (1, 20, 20, 5 * (5 + C))
    xy, wh, confidence, probs = yolo_head(feats, ANCHORS, C)
    obj = target[..., 4] > 0
    # (n, 4) as (y_min, x_min, y_max, x_max)
    corners = yolo_boxes_to_corners(xy, wh).numpy()[0][obj]
    decoded = corners[:, [1, 0, 3, 2]]
    order = np.lexsort(decoded.T[::-1])
    expected = boxes[np.lexsort(boxes.T[::-1])]
    np.testing.assert_allclose(decoded[order], expected, atol=1e-5)
    np.testing.assert_array_equal(np.sort(probs.numpy()[0][obj].argmax(-1)), np.sort(classes))
    assert confidence.numpy()[0][obj].min() > 0.99 and confidence.numpy()[0][~obj].max() < 0.01


def test_responsible_anchor_is_the_best_shape_in_the_centre_cell():
    # one box centred in cell (row 3, col 7), 2.4 x 2.6 cells: anchor 2 (2.5 x 2.5) fits best
    cx, cy, w, h = 7.5 / 20, 3.5 / 20, 2.4 / 20, 2.6 / 20
    target, _ = ym.encode_targets([[cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]], [2], ANCHORS,
                                  GRID)
    assert list(zip(*np.nonzero(target[..., 4]), strict=True)) == [(3, 7, 2)]
    np.testing.assert_allclose(target[3, 7, 2], [cx, cy, w, h, 1, 2], atol=1e-6)
    # a second box of the same shape in the same cell takes the next best free anchor
    target, _ = ym.encode_targets([[cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]] * 2, [2, 0],
                                  ANCHORS, GRID)
    assert target[..., 4].sum() == 2 and target[3, 7, :, 4].sum() == 2


def test_loss_is_zero_for_perfect_predictions_and_larger_for_wrong_ones():
    target, true_boxes = _encode([1, 2, 3])
    perfect = ym.features_from_targets(target, ANCHORS)
    parts = {k: float(v) for k, v in detection.yolo_loss(target, true_boxes, perfect, ANCHORS,
                                                         parts=True).items()}
    assert parts["total"] < 1e-3, parts
    wrong_class = target.copy()
    wrong_class[..., 5] = np.where(target[..., 4] > 0, 40, 0)
    shifted = target.copy()
    shifted[..., 2:4] *= 1.5
    for name, bad in (("zeros", np.zeros_like(perfect)),
                      ("class", ym.features_from_targets(wrong_class, ANCHORS)),
                      ("sizes", ym.features_from_targets(shifted, ANCHORS))):
        loss = float(detection.yolo_loss(target, true_boxes, bad, ANCHORS))
        assert loss > 0.5 and loss > 100 * parts["total"], (name, loss)


def test_loss_ignores_no_object_predictions_that_overlap_a_true_box():
    target, true_boxes = _encode([4])
    feats = ym.features_from_targets(target, ANCHORS).reshape(1, 20, 20, 5, 5 + C)
    obj = target[..., 4] > 0
    # a non-responsible anchor of an occupied cell predicts the same box with high confidence
    n, row, col, a = [int(v[0]) for v in np.nonzero(obj)]
    other = (a + 1) % 5 if not obj[n, row, col, (a + 1) % 5] else (a + 2) % 5
    copy = feats.copy()
    copy[n, row, col, other, :4] = feats[n, row, col, a, :4]
    copy[n, row, col, other, 2:4] += np.log(ANCHORS[a] / ANCHORS[other])
    copy[n, row, col, other, 4] = 20.0
    base = float(detection.yolo_loss(target, true_boxes, feats.reshape(1, 20, 20, -1), ANCHORS))
    overlapping = float(detection.yolo_loss(target, true_boxes, copy.reshape(1, 20, 20, -1),
                                            ANCHORS))
    assert overlapping == pytest.approx(base, abs=1e-3)
    far = feats.copy()
    empty = np.argwhere(~obj[0].any(-1))[0]
    far[0, empty[0], empty[1], 0, 4] = 20.0  # a confident box where there is nothing
    assert float(detection.yolo_loss(target, true_boxes, far.reshape(1, 20, 20, -1),
                                     ANCHORS)) > base + 10


def test_decoding_perfect_features_gives_the_true_boxes():
    boxes, classes = _scene(5, n=4)
    target, _ = ym.encode_targets(boxes, classes, ANCHORS, GRID)
    [(found, scores, found_classes)] = detection.decode_features(
        ym.features_from_targets(target[None], ANCHORS), ANCHORS)
    assert len(found) == 4 and scores.min() > 0.99
    got = sorted(zip(found_classes.tolist(), np.round(found[:, [1, 0, 3, 2]], 4).tolist(),
                     strict=True))
    want = sorted(zip(classes.tolist(), np.round(boxes, 4).tolist(), strict=True))
    for (c1, b1), (c2, b2) in zip(got, want, strict=True):
        assert c1 == c2
        np.testing.assert_allclose(b1, b2, atol=2e-4)


def _truths(seeds):
    truths = []
    for s in seeds:
        boxes, classes = _scene(s)
        truths.append((boxes[:, [1, 0, 3, 2]], classes))
    return truths


def test_map_of_perfect_detections_is_one_and_of_no_detections_zero():
    truths = _truths([10, 11, 12])
    names = [f"class{i}" for i in range(C)]
    perfect = [(b, np.linspace(0.9, 0.5, len(c)), c) for b, c in truths]
    result = detection.mean_average_precision(perfect, truths, names)
    assert result["mAP"] == pytest.approx(1.0)
    assert set(result) == {names[c] for _, cs in truths for c in cs} | {"mAP"}
    nothing = [(np.zeros((0, 4)), np.zeros(0), np.zeros(0, int)) for _ in truths]
    assert detection.mean_average_precision(nothing, truths, names)["mAP"] == 0.0
    # each true box matches once: a duplicate of every detection, scored lower, changes nothing
    doubled = [(np.concatenate([b, b]), np.concatenate([s, s * 0.1]), np.concatenate([c, c]))
               for b, s, c in perfect]
    assert detection.mean_average_precision(doubled, truths, names)["mAP"] == pytest.approx(1.0)


def test_average_precision_by_hand():
    # 2 true boxes; detections by score: hit, miss, hit -> precision 1, 1/2, 2/3 at recall
    # 1/2, 1/2, 1
    truths = [(np.array([[0, 0, 0.2, 0.2], [0.5, 0.5, 0.7, 0.7]]), np.array([2, 2]))]
    dets = [(np.array([[0, 0, 0.2, 0.2], [0.8, 0.8, 0.9, 0.9], [0.51, 0.5, 0.7, 0.7]]),
             np.array([0.9, 0.8, 0.7]), np.array([2, 2, 2]))]
    result = detection.mean_average_precision(dets, truths, ym.road.COCO_CLASSES)
    assert result["car"] == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    # the third detection overlaps its true box with IoU 0.95: a miss at a threshold of 0.96
    strict = detection.mean_average_precision(dets, truths, ym.road.COCO_CLASSES,
                                              iou_threshold=0.96)
    assert strict["car"] == pytest.approx(0.5)


def test_detector_output_format_and_anchors_travel_with_the_file(tmp_path):
    model = ym.build_detector((64, 96), ANCHORS, C)
    assert model.output_shape == (None, 4, 6, 5 * (5 + C))
    path = tmp_path / "detector.keras"
    model.save(path)
    detector = ym.load_detector(verbose=False, path=path)
    np.testing.assert_allclose(detector.anchors, ANCHORS)
    assert detector.input_size == (64, 96) and len(detector.class_names) == C
    x = np.random.default_rng(0).uniform(0, 1, (2, 64, 96, 3)).astype(np.float32)
    np.testing.assert_allclose(detector.model(x).numpy(), model(x).numpy(), atol=1e-5)
    with pytest.raises(ValueError, match="multiples of 32"):
        ym.build_detector((100, 100), ANCHORS)


def test_load_detector_says_how_to_make_missing_weights(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CNN_COURSE_WEIGHTS", str(tmp_path))
    assert ym.load_detector() is None
    assert "yolo_road.keras" in (out := capsys.readouterr().out) and "course staff" in out
    assert "make " not in out


def test_make_weights_smoke_trains_and_loads(capsys):
    path = trainers.make("yolo_road", smoke=True, verbose=False)
    info = weights.card("yolo_road", path.parent)
    assert info["smoke"] and {"car", "mAP"} <= set(info["metrics"]["val_ap50"])
    assert "mAP" in info["metrics"]["test_ap50"]
    detector = ym.load_detector(verbose=False, path=path)
    assert detector.model.output_shape[1:] == ym.grid_shape(ym.INPUT_SIZE) + (5 * (5 + C),)
    np.testing.assert_allclose(detector.anchors, info["metrics"]["anchors"], atol=1e-4)
    [(boxes, scores, classes)] = detection.detect(
        detector, np.zeros((1,) + detector.input_size + (3,), np.uint8))
    assert boxes.shape[1:] == (4,) and len(boxes) == len(scores) == len(classes)


def test_bench_rows_read_the_weights_card(tmp_path, monkeypatch):
    from cnn_course.graders.trainers import yolo as train_yolo

    monkeypatch.setenv("CNN_COURSE_WEIGHTS", str(tmp_path))
    (tmp_path / "yolo_road.keras").write_bytes(b"")
    card = {"name": "yolo_road", "seed": 0, "smoke": False, "seconds": 600.0, "trained": "today",
            "metrics": {"epochs": 3, "input_size": [288, 288],
                        "val_ap50": {"person": 0.5, "car": 0.75, "mAP": 0.6},
                        "test_ap50": {"car": 0.7, "mAP": 0.5}}}
    (tmp_path / "yolo_road.json").write_text(__import__("json").dumps(card))
    rows = train_yolo.bench_rows()
    assert all({"assignment", "measure", "value", "goal", "met"} <= set(r)
               and r["assignment"] == "w3a1" for r in rows)
    assert rows[0]["value"] == 10.0 and rows[0]["met"] is True
    assert rows[1]["value"] == 0.75 and rows[1]["met"] is True
    assert len(rows) == 6


def _paint(boxes, size=96):
    """An image, 0 everywhere but 1 inside each box (fractions of the image)."""
    image = np.zeros((size, size, 1), np.float32)
    for x0, y0, x1, y1 in boxes:
        image[round(y0 * size):round(y1 * size), round(x0 * size):round(x1 * size)] = 1.0
    return image


def test_random_frames_move_the_boxes_with_the_pixels():
    """A box drawn into the image lands where random_frames says, mirrored or zoomed."""
    import tensorflow as tf

    from cnn_course.graders.trainers.yolo import MIN_VISIBLE, random_frames

    size = 96
    boxes = [np.array([[0.30, 0.35, 0.55, 0.60]]) for _ in range(40)]
    windows, kept = random_frames(np.random.default_rng(1), boxes)
    assert windows.shape == (40, 4) and windows.dtype == np.float32
    mirrored = windows[:, 1] > windows[:, 3]
    assert 5 < mirrored.sum() < 35  # about half are mirrored
    sides = windows[:, 2] - windows[:, 0]
    assert sides.min() < 1 < sides.max()  # zoomed in and out
    images = np.stack([_paint(b, size) for b in boxes])
    crops = tf.image.crop_and_resize(images, windows, tf.range(40), (size, size), method="nearest",
                                     extrapolation_value=0.0).numpy()
    for crop, side, (index, moved) in zip(crops, sides, kept, strict=True):
        if len(index) == 0:  # dropped: less than MIN_VISIBLE of the box is left in the window
            assert crop.mean() < MIN_VISIBLE * (0.25 / side) ** 2 + 0.02
            continue
        np.testing.assert_array_equal(index, [0])
        expected = _paint(moved, size)
        assert np.abs(crop - expected).mean() < 0.02  # at most a pixel's row or column differs


def test_random_frames_cut_boxes_at_the_border_and_drop_mostly_hidden_ones():
    from cnn_course.graders.trainers import yolo as train_yolo

    rng = np.random.default_rng(0)
    boxes = [np.array([[0.0, 0.0, 0.1, 0.1], [0.45, 0.45, 0.55, 0.55], [0.9, 0.2, 1.0, 0.3]])] * 200
    windows, kept = train_yolo.random_frames(rng, boxes)
    for (y1, _, y2, _), (index, moved) in zip(windows, kept, strict=True):
        assert 1 in index  # the centre box is always inside the window
        assert np.all((moved >= 0) & (moved <= 1)) and np.all(moved[:, 2:] > moved[:, :2])
        side = y2 - y1
        for box in moved:
            area = (box[2] - box[0]) * (box[3] - box[1]) * side ** 2
            assert area >= train_yolo.MIN_VISIBLE * 0.01 - 1e-9  # each box is 0.1 x 0.1
    corner_dropped = sum(0 not in index for index, _ in kept)
    assert 0 < corner_dropped < 200  # the corner box is dropped when the window leaves it out
    _, empty = train_yolo.random_frames(rng, [np.zeros((0, 4))])
    assert empty[0][0].size == 0 and empty[0][1].shape == (0, 4)
