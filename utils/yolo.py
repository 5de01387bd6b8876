"""YOLO helpers provided to the W3A1 notebook (``cnn_course.utils.yolo``).

The course's car-detection notebook imports these from a ``yad2k`` folder copied
next to it; here they live once in the shared package:

- :func:`yolo_head`: raw detector features -> box centres, sizes, confidences, class probabilities;
- :func:`yolo_boxes_to_corners`: centre/size -> ``(y_min, x_min, y_max, x_max)`` corners;
- :func:`scale_boxes`: corners in fractions of the image -> pixels;
- :func:`preprocess_image`: a picture file -> (PIL image, model input in [0, 1]);
- :func:`draw_boxes`: draw labelled boxes with Pillow's default font (no font file needed),
  the labels placed by :func:`place_labels` so that they never overlap;
- :func:`read_classes`, :func:`read_anchors`: re-exported from ``cnn_course.datasets.road``.

Conventions (shared with the detector of ``cnn_course.utils.yolo_model``): the
detector's output is ``(m, S, S, A * (5 + C))`` (or already ``(m, S, S, A, 5 + C)``),
with the channels of each anchor in the order ``[tx, ty, tw, th, to, class logits...]``;
anchors are ``(A, 2)`` widths and heights in grid cells. Box centres and sizes are
fractions of the (square-resized) image, so they scale to any frame size.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cnn_course.datasets.road import read_anchors, read_classes
from cnn_course.utils._tf import tensorflow

__all__ = [
    "draw_boxes",
    "place_labels",
    "preprocess_image",
    "read_anchors",
    "read_classes",
    "scale_boxes",
    "yolo_boxes_to_corners",
    "yolo_head",
]


def yolo_head(feats, anchors, num_classes):
    """Turn raw YOLO features into boxes, confidences and class probabilities.

    The outputs come in the order of the original course (and of YAD2K), box first, as
    Darknet's region layer stores each anchor's numbers: x, y, w, h, objectness, classes.

    Arguments:
    feats -- (m, S, S, A * (5 + C)) or (m, S, S, A, 5 + C) raw outputs, numpy or tf;
             per anchor the channels are [tx, ty, tw, th, to, class logits (C)]
    anchors -- (A, 2) anchor (width, height) in grid cells
    num_classes -- C

    Returns (tf float32 tensors), in this order:
    box_xy -- (m, S, S, A, 2), box centres (x, y) as fractions of the image:
              (sigmoid(t_xy) + cell offset) / S
    box_wh -- (m, S, S, A, 2), box (width, height) as fractions of the image:
              anchors * exp(t_wh) / S
    box_confidence -- (m, S, S, A, 1), sigmoid(to)
    box_class_probs -- (m, S, S, A, C), softmax of the class logits
    """
    tf = tensorflow()
    feats = tf.convert_to_tensor(feats, dtype=tf.float32)
    anchors = np.asarray(anchors, dtype=np.float32).reshape(-1, 2)
    n_anchors, depth = anchors.shape[0], 5 + int(num_classes)
    if feats.shape.rank == 4:
        if feats.shape[-1] != n_anchors * depth:
            raise ValueError(f"feats has {feats.shape[-1]} channels; expected anchors x "
                             f"(5 + classes) = {n_anchors} x {depth} = {n_anchors * depth}")
        feats = tf.reshape(feats, tf.concat([tf.shape(feats)[:3], [n_anchors, depth]], axis=0))
    elif feats.shape.rank != 5 or feats.shape[-2] != n_anchors or feats.shape[-1] != depth:
        raise ValueError(f"feats has shape {feats.shape}; expected (m, S, S, {n_anchors * depth}) "
                         f"or (m, S, S, {n_anchors}, {depth})")
    grid_h, grid_w = tf.shape(feats)[1], tf.shape(feats)[2]
    cols, rows = tf.meshgrid(tf.range(grid_w), tf.range(grid_h))  # each (S_h, S_w)
    # (1, S, S, 1, 2)
    offset = tf.cast(tf.stack([cols, rows], axis=-1), tf.float32)[None, :, :, None, :]
    grid_size = tf.cast(tf.stack([grid_w, grid_h]), tf.float32)  # (x, y) order
    box_xy = (tf.sigmoid(feats[..., 0:2]) + offset) / grid_size
    box_wh = tf.exp(feats[..., 2:4]) * anchors.reshape(1, 1, 1, n_anchors, 2) / grid_size
    box_confidence = tf.sigmoid(feats[..., 4:5])
    box_class_probs = tf.nn.softmax(feats[..., 5:], axis=-1)
    return box_xy, box_wh, box_confidence, box_class_probs


def yolo_boxes_to_corners(box_xy, box_wh):
    """Centres (x, y) and sizes (w, h), (..., 2) each -> corners (..., 4) as
    (y_min, x_min, y_max, x_max)."""
    tf = tensorflow()
    box_xy = tf.convert_to_tensor(box_xy, dtype=tf.float32)
    box_wh = tf.convert_to_tensor(box_wh, dtype=tf.float32)
    mins, maxes = box_xy - box_wh / 2.0, box_xy + box_wh / 2.0
    return tf.concat([mins[..., 1:2], mins[..., 0:1], maxes[..., 1:2], maxes[..., 0:1]], axis=-1)


def scale_boxes(boxes, image_shape):
    """Corners (..., 4) in fractions of the image -> pixels of an image_shape = (height, width)
    image."""
    tf = tensorflow()
    boxes = tf.convert_to_tensor(boxes, dtype=tf.float32)
    height, width = (float(v) for v in image_shape)
    return boxes * tf.constant([height, width, height, width], dtype=tf.float32)


def preprocess_image(img_path, model_image_size=(608, 608)):
    """Open a picture and resize it (bicubic, aspect ratio not kept) for the detector.

    Arguments:
    img_path -- path of the picture file
    model_image_size -- (height, width) of the detector's input

    Returns:
    image -- the PIL image at its own size (RGB)
    image_data -- (1, height, width, 3) float32 array in [0, 1]
    """
    from PIL import Image

    path = Path(img_path)
    if not path.is_file():
        raise ValueError(f"{path} is not a file; expected a picture (e.g. one of "
                         "road.test_images())")
    image = Image.open(path).convert("RGB")
    height, width = (int(v) for v in model_image_size)
    resized = image.resize((width, height), Image.BICUBIC)
    image_data = np.asarray(resized, dtype=np.float32)[None] / 255.0
    return image, image_data


def _colours(n):
    """n fairly saturated RGB colours (fixed order); hues step by the golden ratio, so neighbours
    differ."""
    import colorsys

    return [tuple(int(255 * c) for c in colorsys.hsv_to_rgb((0.61803 * i) % 1.0, 0.8, 1.0))
            for i in range(n)]


def _overlaps(a, b) -> bool:
    """Whether two rectangles (x0, y0, x1, y1) share more than an edge."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place_labels(boxes, label_sizes, image_size, tries: int = 3):
    """Where to write each box's label so that no two labels overlap.

    Arguments:
    boxes -- (n, 4) corners (y_min, x_min, y_max, x_max) in pixels, in the order of priority
             (the first box gets the first choice, e.g. the highest score first)
    label_sizes -- (n, 2) width and height in pixels of each label's rectangle
    image_size -- (width, height) of the image, as PIL gives it
    tries -- how many label heights a label may move up or down from its box

    Returns:
    a list of n rectangles (x0, y0, x1, y1), or None for a label that fits nowhere (the box
    is still drawn, without its text). A label goes just above its box if that is free,
    else inside its top edge, just below it, inside its bottom edge, then further up or down;
    at each height it starts at the box's left edge, then ends at its right edge.
    """
    width, height = image_size
    placed, out = [], []
    for (top, left, bottom, right), (text_w, text_h) in zip(boxes, label_sizes, strict=True):
        columns = [min(max(0, x), max(0, width - text_w)) for x in (left, right - text_w)]
        rows = [top - text_h, top, bottom, bottom - text_h]
        for k in range(1, tries + 1):
            rows += [top - (k + 1) * text_h, bottom + k * text_h]
        candidates = [(x, y, x + text_w, y + text_h) for y in rows for x in columns]
        spot = next((rect for rect in candidates if rect[1] >= 0 and rect[3] <= height
                     and not any(_overlaps(rect, other) for other in placed)), None)
        if spot is not None:
            placed.append(spot)
        out.append(spot)
    return out


def draw_boxes(image, boxes, classes, scores, class_names):
    """Draw labelled boxes on a PIL image (in place) and return it.

    Arguments:
    image -- PIL image (RGB)
    boxes -- (n, 4) corners (y_min, x_min, y_max, x_max) in pixels of ``image``
    classes -- (n,) class indices into ``class_names``
    scores -- (n,) scores in [0, 1]
    class_names -- list of the class names, or the path of a names file (one name a line,
                   as Darknet's ``coco.names``)

    Labels read "<class> <score>" in Pillow's default font (no font file is needed). Boxes are
    drawn first, then the labels, best score first, where :func:`place_labels` finds room: no
    two labels overlap, and a label with no room left is not written (its box is drawn).
    """
    from PIL import ImageDraw, ImageFont

    if isinstance(class_names, str | Path):
        from cnn_course.utils.darknet import read_names

        class_names = read_names(class_names)

    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    classes = np.asarray(classes).reshape(-1).astype(int)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if not len(boxes) == len(classes) == len(scores):
        raise ValueError(f"got {len(boxes)} boxes, {len(classes)} classes and {len(scores)} "
                         "scores; expected one class and one score per box")
    draw = ImageDraw.Draw(image)
    size = max(12, image.size[1] // 40)
    try:
        font = ImageFont.load_default(size=size)  # Pillow >= 10.1: a scalable built-in font
    except TypeError:
        font = ImageFont.load_default()
    thickness = max(1, (image.size[0] + image.size[1]) // 600)
    palette = _colours(len(class_names))
    order = np.argsort(-scores, kind="stable")  # the best box chooses its label's place first
    corners, labels, sizes, offsets = [], [], [], []
    for i in order:
        top, left, bottom, right = boxes[i]
        top, left = max(0, int(round(top))), max(0, int(round(left)))
        bottom = min(image.size[1] - 1, int(round(bottom)))
        right = min(image.size[0] - 1, int(round(right)))
        corners.append((top, left, bottom, right))
        labels.append(f"{class_names[classes[i]]} {scores[i]:.2f}")
        x0, y0, x1, y1 = draw.textbbox((0, 0), labels[-1], font=font)
        sizes.append((x1 - x0 + 4, y1 - y0 + 4))
        offsets.append((x0, y0))
        colour = palette[classes[i] % len(palette)]
        draw.rectangle([left, top, right, bottom], outline=colour, width=thickness)
    spots = place_labels(corners, sizes, image.size)
    for i, label, spot, (x0, y0) in zip(order, labels, spots, offsets, strict=True):
        if spot is None:
            continue
        colour = palette[classes[i] % len(palette)]
        draw.rectangle([spot[0], spot[1], spot[2] - 1, spot[3] - 1], fill=colour)
        draw.text((spot[0] + 2 - x0, spot[1] + 2 - y0), label, fill=(0, 0, 0), font=font)
    return image
