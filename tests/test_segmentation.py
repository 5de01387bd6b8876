"""cnn_course.utils.segmentation: confusion matrix, IoU, mean IoU and the figures of W3A2."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from cnn_course.utils import segmentation as seg  # noqa: E402


def test_confusion_matrix_counts_true_rows_and_predicted_columns():
    truth = np.array([[0, 0, 1], [1, 2, 2]])
    predicted = np.array([[0, 1, 1], [1, 2, 0]])
    expected = np.array([[1, 1, 0], [0, 2, 0], [1, 0, 1]])
    np.testing.assert_array_equal(seg.confusion_matrix(truth[..., None], predicted, 3), expected)


def test_iou_by_hand_and_nan_for_absent_classes():
    truth = np.array([0, 0, 1, 1, 2, 2])
    predicted = np.array([0, 1, 1, 1, 2, 0])
    scores = seg.segmentation_scores(truth, predicted, 4)
    # class 0: hit 1, union 3; class 1: hit 2, union 3; class 2: hit 1, union 2; class 3 absent
    np.testing.assert_allclose(scores["iou"][:3], [1 / 3, 2 / 3, 1 / 2])
    assert np.isnan(scores["iou"][3])
    assert scores["mean_iou"] == pytest.approx((1 / 3 + 2 / 3 + 1 / 2) / 3)
    assert scores["pixel_accuracy"] == pytest.approx(4 / 6)


def test_perfect_prediction_scores_one():
    truth = np.random.default_rng(0).integers(0, 5, (2, 4, 6, 1))
    scores = seg.segmentation_scores(truth, truth, 5)
    assert scores["pixel_accuracy"] == 1.0 and scores["mean_iou"] == 1.0


@pytest.mark.parametrize("bad, phrase", [(np.array([0, 3]), "0 to 2"),
                                         (np.array([0.5, 1]), "integer"),
                                         (np.array([-1, 0]), "0 to 2")])
def test_invalid_ids_are_reported(bad, phrase):
    with pytest.raises(ValueError, match=phrase):
        seg.confusion_matrix(bad, np.array([0, 1]), 3)


def test_sizes_must_match():
    with pytest.raises(ValueError, match="must match"):
        seg.confusion_matrix(np.zeros(4, int), np.zeros(5, int), 2)


def test_figures_have_titles_and_legends():
    rng = np.random.default_rng(0)
    images = rng.random((2, 8, 12, 3))
    masks = rng.integers(0, 3, (2, 8, 12, 1))
    palette = np.array([(0, 0, 0), (255, 0, 0), (0, 255, 0)], np.uint8)
    names = ["a", "b", "c"]
    fig = seg.plot_predictions(images, masks, masks[..., 0], names, palette, "demo")
    assert isinstance(fig, Figure) and fig.legends and fig.get_suptitle() == "demo"
    assert [ax.get_title() for ax in fig.axes[:3]] == ["image", "true mask", "predicted mask"]
    fig = seg.plot_history({"loss": [2.0, 1.0], "accuracy": [0.5, 0.7], "val_loss": [2.1, 1.2],
                            "val_accuracy": [0.4, 0.6]})
    assert [ax.get_xlabel() for ax in fig.axes] == ["epoch", "epoch"]
    assert len(fig.axes[0].lines) == 2
    # validated every 2nd epoch: the held-out points sit at epochs 2 and 4
    fig = seg.plot_history({"loss": [4.0, 3.0, 2.0, 1.0], "accuracy": [0.1, 0.2, 0.3, 0.4],
                            "val_loss": [3.1, 1.2], "val_accuracy": [0.2, 0.4]}, validation_freq=2)
    training, validation = fig.axes[1].lines
    assert (training.get_xdata().tolist() == [1, 2, 3, 4]
            and validation.get_xdata().tolist() == [2, 4])
    with pytest.raises(ValueError, match="validation_freq"):
        seg.plot_history({"loss": [1.0]}, validation_freq=0)
    fig = seg.plot_iou(np.array([0.5, np.nan, 0.25]), names)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["a", "c"]
