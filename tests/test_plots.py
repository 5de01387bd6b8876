"""Tests of cnn_course.utils.plots: every function returns a Figure, drawn without warnings."""

import matplotlib

matplotlib.use("Agg")  # before pyplot is imported anywhere: no display needed

import io
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from cnn_course.utils import plots


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _render(fig):
    """Draw the figure to PNG bytes, failing on any warning (nbgrader fails cells on stderr)."""
    assert isinstance(fig, Figure)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=40)
    assert buffer.getvalue().startswith(b"\x89PNG")


def test_load_sample_image_shapes_and_range():
    image = plots.load_sample_image(16)
    assert image.shape == (16, 16, 3) and image.dtype == np.float64
    assert 0.0 <= image.min() and image.max() <= 1.0 and image.std() > 0.05
    gray = plots.load_sample_image(12, gray=True)
    assert gray.shape == (12, 12)
    with pytest.raises(ValueError, match="size"):
        plots.load_sample_image(0)


def test_plot_padding():
    rng = np.random.default_rng(0)
    image = rng.random((6, 5, 3))
    padded = np.pad(image, ((2, 2), (2, 2), (0, 0)))
    fig = plots.plot_padding(image, padded, 2)
    assert len(fig.axes) == 2
    _render(fig)
    with pytest.raises(ValueError, match="expected"):
        plots.plot_padding(image, padded, 1)


@pytest.mark.parametrize(
    ("size", "f", "stride", "pad", "positions", "n_axes"),
    [
        (7, 3, 2, 0, None, 5),  # 3 x 3 output: first row plus (1, 0)
        (5, 3, 1, 1, None, 5),  # "same" convolution
        (3, 3, 1, 0, None, 2),  # 1 x 1 output: one window
        (4, 2, 2, 0, [(1, 1)], 2),
    ],
)
def test_plot_sliding_window(size, f, stride, pad, positions, n_axes):
    x = np.arange(size * size).reshape(size, size)
    fig = plots.plot_sliding_window(x, f, stride, pad=pad, positions=positions)
    assert len(fig.axes) == n_axes
    _render(fig)


def test_plot_sliding_window_rejects_bad_arguments():
    with pytest.raises(ValueError, match="2D"):
        plots.plot_sliding_window(np.zeros((2, 3, 3)), 2, 1)
    with pytest.raises(ValueError, match="outside"):
        plots.plot_sliding_window(np.zeros((5, 5)), 3, 1, positions=[(3, 0)])
    with pytest.raises(ValueError, match="does not fit"):
        plots.plot_sliding_window(np.zeros((2, 2)), 3, 1)


@pytest.mark.parametrize("channels", [(), (3,)])
def test_plot_pooling(channels):
    rng = np.random.default_rng(1)
    image = rng.random((8, 8) + channels)
    pooled = rng.random((2, 2) + channels)
    fig = plots.plot_pooling(image, pooled, pooled / 2, f=4, stride=4)
    assert len(fig.axes) == 3
    _render(fig)
    with pytest.raises(ValueError, match="same shape"):
        plots.plot_pooling(image, pooled, rng.random((3, 3) + channels))


def test_plot_edge_detection():
    rng = np.random.default_rng(2)
    kernel = np.array([[1.0, 0.0, -1.0]] * 3)
    fig = plots.plot_edge_detection(rng.random((10, 10)), kernel, rng.standard_normal((10, 10)))
    assert len(fig.axes) == 4  # input, filter, output and the output's colour bar
    _render(fig)
    # a constant (all-zero) response must not break the colour scale
    _render(plots.plot_edge_detection(np.zeros((4, 4)), kernel, np.zeros((4, 4))))
    with pytest.raises(ValueError, match="2D"):
        plots.plot_edge_detection(np.zeros((4, 4, 3)), kernel, np.zeros((4, 4)))


def test_plot_timings():
    fig = plots.plot_timings(["loops", "vectorised", "tensorflow"], [12.0, 0.05, 0.006])
    assert len(fig.axes) == 1
    assert fig.axes[0].get_xscale() == "log"
    _render(fig)
    with pytest.raises(ValueError, match="one time per name"):
        plots.plot_timings(["a", "b"], [1.0])
    with pytest.raises(ValueError, match="positive"):
        plots.plot_timings(["a"], [0.0])


def test_a_grid_of_labels_alone_and_of_predictions_are_titled_apart():
    from cnn_course.utils import resnet_figures

    images = np.zeros((3, 4, 4, 3))
    labels, predicted = np.array([1, 2, 3]), np.array([1, 0, 3])
    alone = resnet_figures.plot_predictions(images, labels, title="labels")
    assert [ax.get_title() for ax in alone.axes[:3]] == ["label 1", "label 2", "label 3"]
    guessed = resnet_figures.plot_predictions(images, labels, predicted)
    titles = [(ax.get_title(), ax.title.get_color()) for ax in guessed.axes[:3]]
    assert titles[1] == ("true 2 / pred 0", "red") and titles[0] == ("true 1 / pred 1", "black")
