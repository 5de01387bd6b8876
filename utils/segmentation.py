"""Scores and figures for semantic segmentation (the U-Net assignment, W3A2).

``cnn_course.utils.segmentation`` holds what the notebook uses beyond the graded
functions:

- ``confusion_matrix``, ``iou_per_class`` and ``segmentation_scores``: pixel
  accuracy, per-class intersection over union (IoU) and mean IoU, in numpy;
- ``plot_predictions``: image / true mask / predicted mask triples, with a legend
  of the class names shown;
- ``plot_history``: training curves (loss and pixel accuracy) of a Keras ``History``;
- ``plot_iou``: a bar chart of the IoU of every class.

Masks are arrays of class ids (any integer shape, a trailing axis of 1 allowed).
Figures are built with the object-oriented API and returned, never shown.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

__all__ = ["confusion_matrix", "iou_per_class", "segmentation_scores", "plot_predictions",
           "plot_history", "plot_iou"]


def _ids(mask, n_classes: int, what: str) -> np.ndarray:
    """The class ids of a mask as a flat intp array; ValueError if one is outside 0..n_classes-1."""
    ids = np.asarray(mask)
    if ids.size and not np.array_equal(ids, np.round(ids)):
        raise ValueError(f"{what} must hold integer class ids, got values such as "
                         f"{ids.ravel()[0]!r}.")
    ids = ids.astype(np.intp).ravel()
    if ids.size and (ids.min() < 0 or ids.max() >= n_classes):
        raise ValueError(f"{what} holds class ids from {ids.min()} to {ids.max()}, "
                         f"expected 0 to {n_classes - 1}.")
    return ids


def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    """Pixel counts, shape (n_classes, n_classes): row = true class, column = predicted class.

    ``y_true`` and ``y_pred`` are masks of class ids with the same number of pixels
    (for example (m, n_H, n_W, 1) and (m, n_H, n_W)).
    """
    truth, predicted = _ids(y_true, n_classes, "y_true"), _ids(y_pred, n_classes, "y_pred")
    if truth.size != predicted.size:
        raise ValueError(f"y_true has {truth.size} pixels and y_pred {predicted.size}: "
                         "they must match.")
    counts = np.bincount(truth * n_classes + predicted, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes)


def iou_per_class(confusion: np.ndarray) -> np.ndarray:
    """IoU of each class from a confusion matrix: TP / (TP + FP + FN), NaN where the class is
    neither in the truth nor in the prediction (it is then left out of the mean)."""
    confusion = np.asarray(confusion, dtype=np.float64)
    hits = np.diag(confusion)
    union = confusion.sum(axis=0) + confusion.sum(axis=1) - hits
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, hits / np.where(union > 0, union, 1), np.nan)


def segmentation_scores(y_true, y_pred, n_classes: int) -> dict:
    """{"pixel_accuracy", "mean_iou", "iou" (array (n_classes,), NaN for absent classes),
    "confusion"}: the usual scores of a segmentation."""
    confusion = confusion_matrix(y_true, y_pred, n_classes)
    total = confusion.sum()
    if total == 0:
        raise ValueError("no pixels to score: y_true is empty.")
    iou = iou_per_class(confusion)
    return {"pixel_accuracy": float(np.trace(confusion) / total),
            "mean_iou": float(np.nanmean(iou)), "iou": iou, "confusion": confusion}


def _legend(fig: Figure, present, class_names, palette) -> None:
    handles = [Patch(facecolor=np.asarray(palette[c]) / 255, edgecolor="0.4", linewidth=0.5,
                     label=f"{c} {class_names[c]}") for c in sorted(present)]
    fig.legend(handles=handles, loc="outside lower center", ncol=5, fontsize=7, frameon=False)


def plot_predictions(images, masks, predictions, class_names, palette, title: str = "") -> Figure:
    """One row per example: the image, its true mask and the predicted mask, coloured with
    ``palette`` ((n_classes, 3) uint8); a legend names the classes present.

    images -- (m, n_H, n_W, 3) floats in [0, 1]; masks and predictions -- (m, n_H, n_W[, 1]) ids.
    """
    images = np.asarray(images)
    masks = np.asarray(masks).reshape(images.shape[:3])
    predictions = np.asarray(predictions).reshape(images.shape[:3])
    palette = np.asarray(palette, dtype=np.uint8)
    fig = Figure(figsize=(9, 2.4 * len(images) + 1.0), layout="constrained")
    axes = fig.subplots(len(images), 3, squeeze=False)
    for row, (image, mask, predicted) in enumerate(zip(images, masks, predictions, strict=True)):
        for ax, picture, label in zip(axes[row], (image, palette[mask], palette[predicted]),
                                      ("image", "true mask", "predicted mask"), strict=True):
            ax.imshow(np.clip(picture, 0, 1) if picture is image else picture,
                      interpolation="nearest")
            ax.set_title(label, fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
    present = set(np.unique(masks).tolist()) | set(np.unique(predictions).tolist())
    _legend(fig, present, class_names, palette)
    fig.suptitle(title or "Image, true mask and predicted mask", fontsize=10)
    return fig


def plot_history(history, validation_freq: int = 1) -> Figure:
    """Loss and pixel accuracy per epoch, training and (when present) validation.

    ``validation_freq``: as given to ``fit``; the validation values then belong to epochs
    ``validation_freq``, ``2 * validation_freq``, ...
    """
    if int(validation_freq) < 1:
        raise ValueError("validation_freq is a number of epochs (1 or more), "
                         f"got {validation_freq!r}")
    logs = getattr(history, "history", history)
    fig = Figure(figsize=(9, 3.2), layout="constrained")
    for ax, key, label in zip(fig.subplots(1, 2), ("loss", "accuracy"), ("loss", "pixel accuracy"),
                              strict=True):
        for prefix, step, name in (("", 1, "training"),
                                   ("val_", int(validation_freq), "validation")):
            values = logs.get(prefix + key)
            if values:
                ax.plot(step * np.arange(1, len(values) + 1), values, marker="o", label=name)
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.set_title(f"{label} per epoch")
        ax.legend()
    return fig


def plot_iou(iou, class_names, title: str = "IoU per class") -> Figure:
    """Horizontal bars: the IoU of every class that occurs (NaN classes are left out)."""
    iou = np.asarray(iou, dtype=np.float64)
    shown = np.flatnonzero(~np.isnan(iou))
    fig = Figure(figsize=(6, 0.28 * len(shown) + 1.2), layout="constrained")
    ax = fig.subplots()
    ax.barh([class_names[c] for c in shown], iou[shown], color="tab:blue")
    ax.axvline(np.nanmean(iou), color="tab:red", linestyle="--",
               label=f"mean IoU {np.nanmean(iou):.2f}")
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("intersection over union")
    ax.set_title(title)
    ax.legend(loc="lower right")
    return fig
