"""YOLO helpers provided to the W3A1 notebook (``cnn_course.utils.yolo``).

The course's car-detection notebook imports these from a ``yad2k`` folder copied
next to it; here they live once in the shared package:

- :func:`yolo_head`: raw detector features -> confidences, box centres, sizes, class probabilities;
- :func:`yolo_boxes_to_corners`: centre/size -> ``(y_min, x_min, y_max, x_max)`` corners;
- :func:`scale_boxes`: corners in fractions of the image -> pixels;
- :func:`preprocess_image`: a picture file -> (PIL image, model input in [0, 1]);
- :func:`draw_boxes`: draw labelled boxes with Pillow's default font (no font file needed);
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

__all__ = [
    "draw_boxes",
    "preprocess_image",
    "read_anchors",
    "read_classes",
    "scale_boxes",
    "yolo_boxes_to_corners",
    "yolo_head",
]


def _tf():
    from cnn_course.utils.runtime import quiet_tensorflow

    quiet_tensorflow()
    import tensorflow as tf

    return tf


def yolo_head(feats, anchors, num_classes):
    """Turn raw YOLO features into boxes, confidences and class probabilities.

    Arguments:
    feats -- (m, S, S, A * (5 + C)) or (m, S, S, A, 5 + C) raw outputs, numpy or tf;
             per anchor the channels are [tx, ty, tw, th, to, class logits (C)]
    anchors -- (A, 2) anchor (width, height) in grid cells
    num_classes -- C

    Returns (tf float32 tensors):
    box_confidence -- (m, S, S, A, 1), sigmoid(to)
    box_xy -- (m, S, S, A, 2), box centres (x, y) as fractions of the image:
              (sigmoid(t_xy) + cell offset) / S
    box_wh -- (m, S, S, A, 2), box (width, height) as fractions of the image:
              anchors * exp(t_wh) / S
    box_class_probs -- (m, S, S, A, C), softmax of the class logits
    """
    tf = _tf()
    feats = tf.convert_to_tensor(feats, dtype=tf.float32)
    anchors = np.asarray(anchors, dtype=np.float32).reshape(-1, 2)
    n_anchors, depth = anchors.shape[0], 5 + int(num_classes)
    if feats.shape.rank == 4:
        if feats.shape[-1] != n_anchors * depth:
            raise ValueError(f"feats has {feats.shape[-1]} channels; expected anchors x (5 + classes) = "
                             f"{n_anchors} x {depth} = {n_anchors * depth}")
        feats = tf.reshape(feats, tf.concat([tf.shape(feats)[:3], [n_anchors, depth]], axis=0))
    elif feats.shape.rank != 5 or feats.shape[-2] != n_anchors or feats.shape[-1] != depth:
        raise ValueError(f"feats has shape {feats.shape}; expected (m, S, S, {n_anchors * depth}) or "
                         f"(m, S, S, {n_anchors}, {depth})")
    grid_h, grid_w = tf.shape(feats)[1], tf.shape(feats)[2]
    cols, rows = tf.meshgrid(tf.range(grid_w), tf.range(grid_h))  # each (S_h, S_w)
    offset = tf.cast(tf.stack([cols, rows], axis=-1), tf.float32)[None, :, :, None, :]  # (1, S, S, 1, 2)
    grid_size = tf.cast(tf.stack([grid_w, grid_h]), tf.float32)  # (x, y) order
    box_xy = (tf.sigmoid(feats[..., 0:2]) + offset) / grid_size
    box_wh = tf.exp(feats[..., 2:4]) * anchors.reshape(1, 1, 1, n_anchors, 2) / grid_size
    box_confidence = tf.sigmoid(feats[..., 4:5])
    box_class_probs = tf.nn.softmax(feats[..., 5:], axis=-1)
    return box_confidence, box_xy, box_wh, box_class_probs


def yolo_boxes_to_corners(box_xy, box_wh):
    """Centres (x, y) and sizes (w, h), (..., 2) each -> corners (..., 4) as (y_min, x_min, y_max, x_max)."""
    tf = _tf()
    box_xy = tf.convert_to_tensor(box_xy, dtype=tf.float32)
    box_wh = tf.convert_to_tensor(box_wh, dtype=tf.float32)
    mins, maxes = box_xy - box_wh / 2.0, box_xy + box_wh / 2.0
    return tf.concat([mins[..., 1:2], mins[..., 0:1], maxes[..., 1:2], maxes[..., 0:1]], axis=-1)


def scale_boxes(boxes, image_shape):
    """Corners (..., 4) in fractions of the image -> pixels of an image_shape = (height, width) image."""
    tf = _tf()
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
        raise ValueError(f"{path} is not a file; expected a picture (e.g. one of road.test_images())")
    image = Image.open(path).convert("RGB")
    height, width = (int(v) for v in model_image_size)
    resized = image.resize((width, height), Image.BICUBIC)
    image_data = np.asarray(resized, dtype=np.float32)[None] / 255.0
    return image, image_data


def _colours(n):
    """n fairly saturated RGB colours (fixed order); hues step by the golden ratio, so neighbours differ."""
    import colorsys

    return [tuple(int(255 * c) for c in colorsys.hsv_to_rgb((0.61803 * i) % 1.0, 0.8, 1.0)) for i in range(n)]


def draw_boxes(image, boxes, classes, scores, class_names):
    """Draw labelled boxes on a PIL image (in place) and return it.

    Arguments:
    image -- PIL image (RGB)
    boxes -- (n, 4) corners (y_min, x_min, y_max, x_max) in pixels of ``image``
    classes -- (n,) class indices into ``class_names``
    scores -- (n,) scores in [0, 1]
    class_names -- list of the class names

    Labels read "<class> <score>" in Pillow's default font (no font file is needed).
    """
    from PIL import ImageDraw, ImageFont

    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    classes = np.asarray(classes).reshape(-1).astype(int)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if not len(boxes) == len(classes) == len(scores):
        raise ValueError(f"got {len(boxes)} boxes, {len(classes)} classes and {len(scores)} scores; "
                         "expected one class and one score per box")
    draw = ImageDraw.Draw(image)
    size = max(12, image.size[1] // 40)
    try:
        font = ImageFont.load_default(size=size)  # Pillow >= 10.1: a scalable built-in font
    except TypeError:
        font = ImageFont.load_default()
    thickness = max(1, (image.size[0] + image.size[1]) // 600)
    palette = _colours(len(class_names))
    for box, c, score in zip(boxes, classes, scores, strict=True):
        top, left, bottom, right = box
        top, left = max(0, int(round(top))), max(0, int(round(left)))
        bottom = min(image.size[1] - 1, int(round(bottom)))
        right = min(image.size[0] - 1, int(round(right)))
        colour = palette[c % len(palette)]
        label = f"{class_names[c]} {score:.2f}"
        draw.rectangle([left, top, right, bottom], outline=colour, width=thickness)
        x0, y0, x1, y1 = draw.textbbox((0, 0), label, font=font)
        text_w, text_h = x1 - x0 + 4, y1 - y0 + 4
        y_text = top - text_h if top - text_h >= 0 else top + 1
        draw.rectangle([left, y_text, left + text_w, y_text + text_h], fill=colour)
        draw.text((left + 2 - x0, y_text + 2 - y0), label, fill=(0, 0, 0), font=font)
    return image
