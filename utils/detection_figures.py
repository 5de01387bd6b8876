"""Figures of the car-detection notebook (W3A1), ``cnn_course.utils.detection_figures``.

Every function builds its own ``matplotlib.figure.Figure`` and returns it (no
``plt.show()``). Frames are the records of ``cnn_course.datasets.road.load_annotations``:
``file``, ``width``, ``height``, ``boxes`` (n, 4) as ``(x_min, y_min, x_max, y_max)`` pixels
and ``classes`` (n,). Boxes given as arrays elsewhere are ``(y_min, x_min, y_max, x_max)``,
the order of ``yolo_boxes_to_corners``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle
from PIL import Image

__all__ = ["encode_object", "largest_object", "plot_anchors", "plot_box_pair", "plot_encoding",
           "plot_grid", "plot_labelled_frame", "plot_landmarks", "plot_stages", "show_detections"]

_COLOURS = plt.get_cmap("tab10").colors


def _colour(c: int):
    return _COLOURS[int(c) % len(_COLOURS)]


def _image(frame_or_file):
    file = frame_or_file["file"] if isinstance(frame_or_file, dict) else frame_or_file
    with Image.open(file) as image:
        return np.asarray(image.convert("RGB"))


def _box(ax, x0, y0, x1, y1, colour, label=None, lw=2.0, ls="-"):
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=colour, lw=lw, ls=ls))
    if label:
        ax.text(x0, y0 - 3, label, color="black", fontsize=7, va="bottom",
                bbox={"facecolor": colour, "edgecolor": "none", "pad": 1, "alpha": 0.85})


def _placed_labels(ax, entries, image_shape, fontsize=7):
    """Write labels next to their boxes without overlaps (``yolo.place_labels``), first entry first.

    ``entries``: (x0, y0, x1, y1, label, colour) per box, in pixels of the image shown in ``ax``.
    A label with no free place is left out; its box stays drawn.
    """
    from cnn_course.utils.yolo import place_labels

    height, width = image_shape[:2]
    fig, where = ax.figure, ax.get_position()
    shown = min(where.width * fig.get_figwidth(),
                where.height * fig.get_figheight() * width / height)  # inches of the image
    per_point = 1.15 * width / (72 * shown)  # image pixels per typographic point, with a margin
    sizes = [(0.62 * fontsize * per_point * len(label) + 4 * per_point, 1.5 * fontsize * per_point)
             for *_, label, _ in entries]
    corners = [(y0, x0, y1, x1) for x0, y0, x1, y1, _, _ in entries]
    spots = place_labels(corners, sizes, (width, height))
    for (*_, label, colour), spot in zip(entries, spots, strict=True):
        if spot is not None:
            ax.text(spot[0], spot[3], label, color="black", fontsize=fontsize, va="bottom",
                    ha="left", bbox={"facecolor": colour, "edgecolor": "none", "pad": 1,
                                     "alpha": 0.85})


def _frame_axes(ax, image, title):
    ax.imshow(image)
    ax.set_title(title)
    ax.set_xlabel("x (pixels)")
    ax.set_ylabel("y (pixels)")


def plot_labelled_frame(frame: dict, class_names):
    """One frame with its labelled boxes and class names."""
    fig, ax = plt.subplots(figsize=(10, 5.8))
    image = _image(frame)
    _frame_axes(ax, image, f"{frame['file'].name}: {len(frame['classes'])} labelled objects")
    entries = []
    for (x0, y0, x1, y1), c in zip(frame["boxes"], frame["classes"], strict=True):
        _box(ax, x0, y0, x1, y1, _colour(c))
        entries.append((x0, y0, x1, y1, class_names[c], _colour(c)))
    fig.tight_layout()
    _placed_labels(ax, sorted(entries, key=lambda e: -(e[2] - e[0]) * (e[3] - e[1])), image.shape)
    return fig


def largest_object(frame: dict, class_id: int = 2) -> int:
    """Index of the largest box of a class in a frame (of any class if none)."""
    boxes, classes = frame["boxes"], frame["classes"]
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    areas = np.where(classes == class_id, areas, -1.0) if (classes == class_id).any() else areas
    return int(np.argmax(areas))


def plot_grid(frame: dict, grid: int = 19, class_names=None):
    """The S x S grid over a frame, the box centres and the cells responsible for them."""
    image = _image(frame)
    height, width = image.shape[:2]
    fig, ax = plt.subplots(figsize=(10, 5.8))
    _frame_axes(ax, image, f"A {grid}x{grid} grid over the frame: each object belongs to the cell "
                           "of its centre")
    for k in range(1, grid):
        ax.axhline(k * height / grid, color="white", lw=0.5, alpha=0.7)
        ax.axvline(k * width / grid, color="white", lw=0.5, alpha=0.7)
    entries = []
    for (x0, y0, x1, y1), c in zip(frame["boxes"], frame["classes"], strict=True):
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        col, row = int(cx * grid / width), int(cy * grid / height)
        ax.add_patch(Rectangle((col * width / grid, row * height / grid), width / grid,
                               height / grid, color="yellow", alpha=0.45))
        _box(ax, x0, y0, x1, y1, _colour(c), lw=1.2)
        if class_names:
            entries.append((x0, y0, x1, y1, class_names[c], _colour(c)))
        ax.plot(cx, cy, "o", color="red", ms=4)
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    fig.tight_layout()
    _placed_labels(ax, sorted(entries, key=lambda e: -(e[2] - e[0]) * (e[3] - e[1])), image.shape)
    return fig


def plot_anchors(anchors, grid: int = 19, image_file=None):
    """The anchor boxes, (w, h) in grid cells, drawn around the centre of a frame (or a blank
    square)."""
    anchors = np.asarray(anchors, dtype=float).reshape(-1, 2)
    image = _image(image_file) if image_file is not None else np.full((608, 608, 3), 235, np.uint8)
    height, width = image.shape[:2]
    fig, ax = plt.subplots(figsize=(10, 5.8))
    _frame_axes(ax, image, f"{len(anchors)} anchor boxes (w, h in cells of the {grid}x{grid} "
                           "grid), centred on one cell")
    cx, cy = width / 2, height / 2
    for k, (w, h) in enumerate(anchors):
        w_px, h_px = w * width / grid, h * height / grid
        ax.add_patch(Rectangle((cx - w_px / 2, cy - h_px / 2), w_px, h_px, fill=False,
                               edgecolor=_colour(k), lw=2,
                               label=f"anchor {k}: {w:.2f} x {h:.2f} cells"))
    ax.add_patch(Rectangle((cx - width / grid / 2, cy - height / grid / 2), width / grid,
                           height / grid, color="yellow", alpha=0.6, label="one grid cell"))
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return fig


def _wh_iou(wh, anchors):
    inter = np.minimum(wh[0], anchors[:, 0]) * np.minimum(wh[1], anchors[:, 1])
    return inter / (wh[0] * wh[1] + anchors[:, 0] * anchors[:, 1] - inter)


def encode_object(frame: dict, index: int, anchors, grid: int = 19, num_classes: int = 80):
    """The target volume (S, S, A, 5 + C) of one object: (cell row, col), anchor, and the volume."""
    anchors = np.asarray(anchors, dtype=float).reshape(-1, 2)
    x0, y0, x1, y1 = frame["boxes"][index]
    # fractions of the image
    bx, by = (x0 + x1) / 2 / frame["width"], (y0 + y1) / 2 / frame["height"]
    bw, bh = (x1 - x0) / frame["width"], (y1 - y0) / frame["height"]
    row, col = int(by * grid), int(bx * grid)
    anchor = int(np.argmax(_wh_iou((bw * grid, bh * grid), anchors)))
    volume = np.zeros((grid, grid, len(anchors), 5 + num_classes))
    volume[row, col, anchor, :5] = [1.0, bx, by, bw, bh]
    volume[row, col, anchor, 5 + frame["classes"][index]] = 1.0
    return (row, col), anchor, volume


def plot_encoding(frame: dict, anchors, grid: int = 19, class_names=None, class_id: int = 2):
    """The encoding of the largest object of a class: its cell, and the 5 x 85 numbers of that
    cell."""
    index = largest_object(frame, class_id)
    (row, col), anchor, volume = encode_object(frame, index, anchors, grid,
                                               len(class_names or range(80)))
    image = _image(frame)
    height, width = image.shape[:2]
    fig, (ax, ax_v) = plt.subplots(1, 2, figsize=(13, 4.6), gridspec_kw={"width_ratios": [1.25, 1]})
    _frame_axes(ax, image, f"object centre in cell (row {row}, column {col})")
    x0, y0, x1, y1 = frame["boxes"][index]
    name = class_names[frame["classes"][index]] if class_names else str(frame["classes"][index])
    _box(ax, x0, y0, x1, y1, _colour(frame["classes"][index]), name)
    ax.add_patch(Rectangle((col * width / grid, row * height / grid), width / grid, height / grid,
                           color="yellow", alpha=0.7))
    ax.plot((x0 + x1) / 2, (y0 + y1) / 2, "o", color="red", ms=4)
    # p_c, box, the scene classes
    shown = [0, 1, 2, 3, 4] + [5 + c for c in (0, 1, 2, 3, 5, 7, 9, 11)]
    labels = ["$p_c$", "$b_x$", "$b_y$", "$b_w$", "$b_h$"] + [
        (class_names[c] if class_names else str(c)) for c in (0, 1, 2, 3, 5, 7, 9, 11)]
    cell = volume[row, col][:, shown]
    ax_v.imshow(cell > 0, cmap="Greens", vmin=0, vmax=1.6, aspect="auto")
    for a in range(cell.shape[0]):
        for j in range(cell.shape[1]):
            ax_v.text(j, a, f"{cell[a, j]:.2f}".rstrip("0").rstrip(".") or "0", ha="center",
                      va="center", fontsize=7)
    ax_v.set_xticks(range(len(labels)), labels, rotation=60, fontsize=8)
    ax_v.set_yticks(range(cell.shape[0]), [f"anchor {a}" for a in range(cell.shape[0])])
    ax_v.set_title(f"output of that cell: {cell.shape[0]} anchors x 85 numbers (13 shown);\n"
                   f"the object goes to anchor {anchor}, the best fit to its shape")
    fig.tight_layout()
    return fig


def plot_landmarks(frame: dict, class_id: int = 2):
    """A landmark output for one car: p, then (x, y) of 6 named points (placed from its box,
    illustration)."""
    index = largest_object(frame, class_id)
    x0, y0, x1, y1 = frame["boxes"][index]
    w, h = x1 - x0, y1 - y0
    points = {"left wheel": (x0 + 0.18 * w, y1 - 0.06 * h),
              "right wheel": (x1 - 0.18 * w, y1 - 0.06 * h),
              "left light": (x0 + 0.12 * w, y0 + 0.55 * h),
              "right light": (x1 - 0.12 * w, y0 + 0.55 * h),
              "roof left": (x0 + 0.22 * w, y0 + 0.05 * h),
              "roof right": (x1 - 0.22 * w, y0 + 0.05 * h)}
    image = _image(frame)
    pad = 0.35 * max(w, h)
    fig, ax = plt.subplots(figsize=(8, 5))
    _frame_axes(ax, image, "Landmark output for one car: p = 1, then (x, y) of each point, always "
                           "in this order")
    for k, (name, (x, y)) in enumerate(points.items()):
        ax.plot(x, y, "o", color=_colour(k), ms=7, mec="black")
        ax.annotate(f"l{k + 1} {name}\n({x:.0f}, {y:.0f})", (x, y), textcoords="offset points",
                    xytext=(8, -10 if k % 2 else 6), fontsize=8, color="white",
                    bbox={"facecolor": "black", "alpha": 0.6, "pad": 1, "edgecolor": "none"})
    ax.set_xlim(max(0, x0 - pad), min(image.shape[1], x1 + pad))
    ax.set_ylim(min(image.shape[0], y1 + pad), max(0, y0 - pad))
    vector = ", ".join(f"{x:.0f}, {y:.0f}" for x, y in points.values())
    fig.text(0.5, 0.01, f"y = [1, {vector}]", ha="center", fontsize=9)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def plot_box_pair(frame: dict, box1, box2, title: str):
    """Two boxes (x1, y1, x2, y2) of a frame, their intersection shaded, zoomed on them."""
    (a0, b0, a1, b1), (c0, d0, c1, d1) = (np.asarray(b, dtype=float) for b in (box1, box2))
    image = _image(frame)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    _frame_axes(ax, image, title)
    _box(ax, a0, b0, a1, b1, _colour(0), "box1")
    _box(ax, c0, d0, c1, d1, _colour(1), "box2")
    ix0, iy0, ix1, iy1 = max(a0, c0), max(b0, d0), min(a1, c1), min(b1, d1)
    if ix1 > ix0 and iy1 > iy0:
        ax.add_patch(Rectangle((ix0, iy0), ix1 - ix0, iy1 - iy0, color="yellow", alpha=0.5,
                               label="intersection"))
        ax.legend(loc="lower right", fontsize=8)
    x_lo, y_lo, x_hi, y_hi = min(a0, c0), min(b0, d0), max(a1, c1), max(b1, d1)
    pad = 0.3 * max(x_hi - x_lo, y_hi - y_lo)
    ax.set_xlim(max(0, x_lo - pad), min(image.shape[1], x_hi + pad))
    ax.set_ylim(min(image.shape[0], y_hi + pad), max(0, y_lo - pad))
    fig.tight_layout()
    return fig


def plot_stages(image, stages: dict, class_names, max_drawn: int = 300, title: str | None = None):
    """One panel per stage {title: (scores, boxes (y_min, x_min, y_max, x_max) in pixels, classes)}.

    ``title``, when given, goes above the panels (for example where the boxes come from).
    """
    image = np.asarray(image)
    fig, axes = plt.subplots(1, len(stages), figsize=(5.2 * len(stages), 3.6))
    labelled = []
    for ax, (stage, (scores, boxes, classes)) in zip(np.atleast_1d(axes), stages.items(),
                                                     strict=True):
        scores, boxes, classes = np.asarray(scores), np.asarray(boxes), np.asarray(classes)
        order = np.argsort(-scores)[:max_drawn]
        _frame_axes(ax, image, f"{stage}: {len(scores)} boxes")
        for i in order[::-1]:
            y0, x0, y1, x1 = boxes[i]
            _box(ax, x0, y0, x1, y1, _colour(classes[i]), lw=0.6 + 1.6 * float(scores[i]))
        ax.set_xlim(0, image.shape[1])
        ax.set_ylim(image.shape[0], 0)
        if len(scores) <= 12:  # labels for a few boxes, the best first
            entries = [(*boxes[i][[1, 0, 3, 2]], f"{class_names[classes[i]]} {scores[i]:.2f}",
                        _colour(classes[i])) for i in order]
            labelled.append((ax, entries))
    fig = _finish(fig, title)
    for ax, entries in labelled:
        _placed_labels(ax, entries, image.shape)
    return fig


def _finish(fig, title: str | None):
    """tight_layout, leaving room for a title above every panel when there is one."""
    if title:
        fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    return fig


def show_detections(images, titles, columns: int = 2, title: str | None = None):
    """Pictures with boxes already drawn on them (by ``draw_boxes``), in a grid; ``title`` above
    them all."""
    n = len(images)
    columns = min(columns, max(n, 1))
    rows = max(1, -(-n // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(7.5 * columns, 4.4 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, image, name in zip(axes.ravel(), images, titles, strict=False):
        ax.axis("on")
        _frame_axes(ax, np.asarray(image), name)
    return _finish(fig, title)
