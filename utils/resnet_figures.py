"""Figures of the residual-networks assignment (W2A1): block diagrams, loss curves, predictions.

Every function draws with matplotlib and returns the figure; nothing is shown or
saved here, so the notebooks run headless.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

_COLOURS = {"Conv2D": "#f4c27a", "BatchNorm": "#9fc5e8", "ReLU": "#b6d7a8", "Add": "#ea9999"}


def _box(ax, x, text, kind, y=0.0, width=0.9, height=0.8):
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                boxstyle="round,pad=0.05", facecolor=_COLOURS[kind],
                                edgecolor="black", linewidth=0.8))
    ax.text(x, y, text, ha="center", va="center", fontsize=8)


def _arrow(ax, start, end, **kwargs):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=10, linewidth=1.0,
                                 **kwargs))


def plot_block(kind="identity"):
    """Diagram of a ResNet block: ``kind`` is "identity" or "convolutional".

    The main path runs left to right (three Conv2D, each followed by BatchNorm, ReLU
    after the first two); the shortcut jumps over it and is added before the last ReLU.
    The convolutional block's shortcut holds a 1x1 Conv2D (stride s) and a BatchNorm.
    """
    if kind not in ("identity", "convolutional"):
        raise ValueError(f"kind must be 'identity' or 'convolutional', got {kind!r}.")
    first = "Conv2D 1x1\nstride s" if kind == "convolutional" else "Conv2D 1x1"
    main = [(first, "Conv2D"), ("BatchNorm", "BatchNorm"), ("ReLU", "ReLU"),
            ("Conv2D fxf\n'same'", "Conv2D"), ("BatchNorm", "BatchNorm"), ("ReLU", "ReLU"),
            ("Conv2D 1x1", "Conv2D"), ("BatchNorm", "BatchNorm"), ("+", "Add"), ("ReLU", "ReLU")]
    fig, ax = plt.subplots(figsize=(12, 2.8))
    ax.text(-0.9, 0, "X", ha="center", va="center", fontsize=11, fontweight="bold")
    _arrow(ax, (-0.7, 0), (-0.45, 0))
    for i, (text, box_kind) in enumerate(main):
        _box(ax, i * 1.1, text, box_kind)
        if i:
            _arrow(ax, ((i - 1) * 1.1 + 0.5, 0), (i * 1.1 - 0.5, 0))
    add_x, top = 8 * 1.1, 1.3
    ax.plot([-0.6, -0.6, add_x], [0, top, top], color="black", linewidth=1.0)
    _arrow(ax, (add_x, top), (add_x, 0.45))
    if kind == "convolutional":
        _box(ax, 3.3, "Conv2D 1x1\nstride s", "Conv2D", y=top, width=1.1, height=0.7)
        _box(ax, 5.5, "BatchNorm", "BatchNorm", y=top, width=1.1, height=0.7)
    ax.text(2.2, top + 0.25,
            "shortcut" + (" (projection)" if kind == "convolutional" else " (identity)"),
            fontsize=9, ha="center", va="bottom")
    _arrow(ax, (9 * 1.1 + 0.5, 0), (9 * 1.1 + 0.9, 0))
    ax.text(9 * 1.1 + 1.1, 0, "out", va="center", fontsize=10)
    ax.set_xlim(-1.2, 11.6)
    ax.set_ylim(-0.8, 2.0)
    ax.axis("off")
    ax.set_title(f"The {kind} block: the shortcut is added before the last ReLU")
    fig.tight_layout()
    return fig


def plot_loss_curves(histories, title="Training loss"):
    """Side-by-side curves: ``histories`` maps a label to a list of losses (one per epoch or step).

    Left: the training loss on a linear scale; right: the same on a log scale.
    """
    if not histories:
        raise ValueError("histories must map at least one label to a list of losses.")
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for label, losses in histories.items():
        epochs = np.arange(1, len(losses) + 1)
        for ax in axes:
            ax.plot(epochs, losses, marker="o", markersize=3, label=label)
    for ax, scale in zip(axes, ("linear", "log"), strict=True):
        ax.set_yscale(scale)
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss")
        ax.set_title(f"{title} ({scale} scale)")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return fig


def plot_history(history, title="ResNet50 on SIGNS"):
    """Loss and accuracy per epoch from a Keras ``History.history`` dict (with or without val_)."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for ax, metric in zip(axes, ("loss", "accuracy"), strict=True):
        for key in (metric, f"val_{metric}"):
            if key in history:
                ax.plot(np.arange(1, len(history[key]) + 1), history[key], marker="o", markersize=3,
                        label="test" if key.startswith("val_") else "train")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.set_title(f"{title}: {metric}")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return fig


def plot_predictions(images, labels, predicted=None, probabilities=None, n=12, title="Predictions"):
    """A grid of images titled "true / predicted" (with the probability), wrong ones in red.

    Without ``predicted``, each image is titled with its label only.
    """
    n = min(n, len(images))
    if n == 0:
        raise ValueError("plot_predictions needs at least one image.")
    cols = min(6, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(2.0 * cols, 2.2 * rows), squeeze=False)
    for k, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if k >= n:
            continue
        ax.imshow(images[k])
        if predicted is None:
            ax.set_title(f"label {int(labels[k])}", fontsize=8)
            continue
        text = f"true {int(labels[k])} / pred {int(predicted[k])}"
        if probabilities is not None:
            text += f"\np = {float(probabilities[k]):.2f}"
        ax.set_title(text, fontsize=8, color="black" if labels[k] == predicted[k] else "red")
    fig.suptitle(title)
    fig.tight_layout()
    return fig
