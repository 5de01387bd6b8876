"""Polygon and box annotations of a few CARLA-style frames: the labelling exercise of W3A2.

People label a segmentation dataset with an annotation tool (LabelMe, CVAT, ...): on each
frame they draw shapes, a polygon around the road, a box around a sign, each with a class,
and the tool saves the shapes in pixel coordinates, one JSON file per frame. A labelling
step then turns the shapes into masks in the dataset's own format. This module provides
the frames and their annotation files; the notebook's graded ``annotations_to_mask`` does
the labelling.

Layout in the data folder::

    carla_annotated/CameraRGB/annotated_00.png    the frame, 480 x 640 RGB (as carla/)
    carla_annotated/annotations/annotated_00.json  its shapes, LabelMe-style (below)
    carla_annotated/CameraMask/annotated_00.png   the mask, written by the notebook

An annotation file holds ``imagePath``, ``imageHeight``, ``imageWidth`` and ``shapes``, a
list in drawing order: ``{"label": "Road", "shape_type": "polygon", "points": [[x, y],
...]}`` or ``{"label": "Pole", "shape_type": "rectangle", "points": [[x0, y0], [x1, y1]]}``.
``x`` is the column and ``y`` the row, both in pixels from the top-left corner of the frame:
pixel (row r, column c) covers the square from (c, r) to (c + 1, r + 1). The labels are the
class names of :func:`cnn_course.datasets.carla.class_names`. :func:`read_annotations`
returns the shapes as the graded function takes them, ``{"label": class id, "polygon":
[(x, y), ...]}`` or ``{"label": class id, "box": (x0, y0, x1, y1)}``.

The frames are drawn by the CARLA stand-in's renderer from their own seeds (none of them is
in ``carla/``), and their shapes are traced from the renderer's mask, as a careful annotator
would draw them: the outline of every region of a class (a polygon, or a box when the region
fills its bounding box), large regions first and the objects in front of them later, tiny
regions left out, each outline simplified to a few vertices within about a pixel and a half.
No vertex and no edge passes exactly through the centre of a pixel, so every pixel is
clearly inside or outside every polygon.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from cnn_course.datasets import carla
from cnn_course.datasets._registry import DatasetError, data_dir

ANNOTATION_SEED = 2024  # the frames' random streams are (ANNOTATION_SEED, k): none is in carla/
N_FRAMES = 4
FOLDER = "carla_annotated"
IMAGE_FOLDER, MASK_FOLDER, ANNOTATION_FOLDER = "CameraRGB", "CameraMask", "annotations"
MIN_AREA = 150.0   # square pixels: smaller regions are not annotated
TOLERANCE = 1.5    # pixels: how far a simplified outline may stray from the region's edge
BOX_FILL = 0.96    # a region that fills this share of its bounding box is annotated as a box


# ------------------------------------------------------------------------ tracing
def _simplify(points: np.ndarray, tolerance: float) -> np.ndarray:
    """Douglas-Peucker on an open polyline (n, 2): the ends kept, inner points dropped while the
    line stays within ``tolerance`` of every dropped point."""
    keep = np.zeros(len(points), dtype=bool)
    keep[[0, -1]] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        if last - first < 2:
            continue
        start, end = points[first], points[last]
        direction = end - start
        inner = points[first + 1:last] - start
        length = np.hypot(*direction)
        distance = (np.abs(direction[0] * inner[:, 1] - direction[1] * inner[:, 0]) / length
                    if length > 0 else np.hypot(inner[:, 0], inner[:, 1]))
        k = int(np.argmax(distance))
        if distance[k] > tolerance:
            keep[first + 1 + k] = True
            stack += [(first, first + 1 + k), (first + 1 + k, last)]
    return points[keep]


def simplify_loop(loop: np.ndarray, tolerance: float = TOLERANCE) -> np.ndarray:
    """A closed outline (n, 2), first point not repeated, with fewer vertices (Douglas-Peucker
    on the two halves between the first point and the point farthest from it)."""
    far = int(np.argmax(np.hypot(*(loop - loop[0]).T)))
    ring = np.concatenate([loop, loop[:1]])
    first = _simplify(ring[:far + 1], tolerance)
    second = _simplify(ring[far:], tolerance)
    return np.concatenate([first, second[1:-1]])


def ambiguous(points, tol: float = 1e-3) -> bool:
    """Whether a polygon's boundary passes within ``tol`` of a pixel centre (c + 0.5, r + 0.5)
    along a row of centres: a vertex on such a row, or an edge crossing the row at a centre."""
    points = np.asarray(points, dtype=float)
    y = points[:, 1]
    if np.any(np.abs((y - 0.5) - np.round(y - 0.5)) < tol):
        return True
    ring = np.concatenate([points, points[:1]])
    for (x0, y0), (x1, y1) in zip(ring[:-1], ring[1:], strict=True):
        rows = np.arange(np.ceil(min(y0, y1) - 0.5), np.floor(max(y0, y1) - 0.5) + 1) + 0.5
        crossings = x0 + (rows - y0) * (x1 - x0) / (y1 - y0) if len(rows) else rows
        if np.any(np.abs((crossings - 0.5) - np.round(crossings - 0.5)) < tol):
            return True
    return False


def _nudged(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The vertices moved by up to a quarter pixel and rounded to 0.01, until no pixel centre
    lies on the outline."""
    for _ in range(100):
        moved = np.round(points + rng.uniform(-0.25, 0.25, points.shape), 2)
        if not ambiguous(moved):
            return moved
    raise RuntimeError("no unambiguous outline found")  # never happens with real outlines


def trace_annotations(mask: np.ndarray, seed: int = 0, min_area: float = MIN_AREA,
                      tolerance: float = TOLERANCE) -> list[dict]:
    """Shapes that redraw a mask of class ids (H, W), in drawing order (see the module).

    Every region of a class (its outer outline: what it covers with its holes filled) becomes
    one shape. Outlines of different regions are either nested or apart, so drawing them from
    the largest to the smallest paints each region over the one around it. Regions of class 0
    touching the frame's border are left out: 0 is what a mask holds where nothing is drawn.
    """
    from contourpy import LineType, contour_generator  # comes with matplotlib

    rng = np.random.default_rng(seed)
    height, width = mask.shape
    found = []
    for cls in np.unique(mask):
        field = np.pad((mask == cls).astype(np.float32), 1)  # padded: every outline closes
        generator = contour_generator(z=field, line_type=LineType.Separate)
        for line in generator.lines(0.5):
            loop = line[:-1] - 0.5  # padded index -> pixel coordinates (centres at c + 0.5)
            x, y = loop[:, 0], loop[:, 1]
            area = 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))
            if area < min_area:  # a hole (negative area) or a tiny region
                continue
            x0, y0, x1, y1 = x.min(), y.min(), x.max(), y.max()
            if cls == 0 and (x0 <= 0 or y0 <= 0 or x1 >= width or y1 >= height):
                continue
            if area >= BOX_FILL * (x1 - x0) * (y1 - y0):
                shape = {"label": int(cls), "box": tuple(int(round(v)) for v in (x0, y0, x1, y1))}
            else:
                points = _nudged(simplify_loop(loop, tolerance), rng)
                shape = {"label": int(cls), "polygon": [(float(a), float(b)) for a, b in points]}
            found.append((-area, len(found), shape))
    return [shape for *_, shape in sorted(found, key=lambda item: item[:2])]


# --------------------------------------------------------------------- files
def to_labelme(shapes: list[dict], image_path: str, height: int, width: int) -> dict:
    """The LabelMe-style document of a list of shapes (see the module)."""
    names = carla.class_names()
    items = []
    for shape in shapes:
        if "box" in shape:
            x0, y0, x1, y1 = shape["box"]
            items.append({"label": names[shape["label"]], "shape_type": "rectangle",
                          "points": [[x0, y0], [x1, y1]]})
        else:
            items.append({"label": names[shape["label"]], "shape_type": "polygon",
                          "points": [list(p) for p in shape["polygon"]]})
    return {"imagePath": image_path, "imageHeight": height, "imageWidth": width, "shapes": items}


def read_annotations(path) -> tuple[list[dict], int, int]:
    """(shapes as the graded function takes them, height, width) of one annotation file."""
    document = json.loads(Path(path).read_text())
    ids = {name: k for k, name in enumerate(carla.class_names())}
    shapes = []
    for item in document["shapes"]:
        if item["label"] not in ids:
            raise DatasetError(f"{path}: unknown label {item['label']!r}; expected one of "
                               f"{', '.join(ids)}")
        points = [tuple(float(v) for v in p) for p in item["points"]]
        if item["shape_type"] == "rectangle":
            (x0, y0), (x1, y1) = points
            shapes.append({"label": ids[item["label"]], "box": (x0, y0, x1, y1)})
        elif item["shape_type"] == "polygon":
            shapes.append({"label": ids[item["label"]], "polygon": points})
        else:
            raise DatasetError(f"{path}: shape_type {item['shape_type']!r}; expected polygon "
                               "or rectangle")
    return shapes, int(document["imageHeight"]), int(document["imageWidth"])


def _replace(path: Path, write) -> None:
    """Write a file through a temporary one beside it, so that a reader never sees half."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    os.close(handle)
    try:
        write(Path(temporary))
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def frame(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Annotated frame k: (image uint8 (480, 640, 3), the renderer's mask uint8 (480, 640))."""
    return carla.render_scene(np.random.default_rng([ANNOTATION_SEED, k]))


def annotated_frames(folder: Path | None = None, count: int = N_FRAMES) -> list[dict]:
    """Write the frames and their annotation files (see the module) and describe them.

    Returns one dict per frame: ``name``, ``image_path``, ``annotation_path`` and
    ``mask_path`` (where the frame's mask belongs; the notebook writes it). The files are
    drawn again at every call, the same bytes every time (seeded).
    """
    root = Path(folder) if folder is not None else data_dir() / FOLDER
    for sub in (IMAGE_FOLDER, MASK_FOLDER, ANNOTATION_FOLDER):
        (root / sub).mkdir(parents=True, exist_ok=True)
    frames = []
    for k in range(count):
        name = f"annotated_{k:02d}"
        image, mask = frame(k)
        shapes = trace_annotations(mask, seed=k)
        image_path = root / IMAGE_FOLDER / f"{name}.png"
        annotation_path = root / ANNOTATION_FOLDER / f"{name}.json"
        document = to_labelme(shapes, f"../{IMAGE_FOLDER}/{name}.png", *mask.shape)
        _replace(image_path, lambda p, image=image: carla.write_png(p, image))
        _replace(annotation_path, lambda p, d=document: p.write_text(json.dumps(d, indent=1)))
        frames.append({"name": name, "image_path": str(image_path),
                       "annotation_path": str(annotation_path),
                       "mask_path": str(root / MASK_FOLDER / f"{name}.png")})
    return frames


def write_mask(path, mask: np.ndarray) -> None:
    """Write a mask of class ids (H, W) in the dataset's format: an RGB PNG with the id in the
    red channel, green and blue 0 (as carla/CameraMask/)."""
    mask = np.asarray(mask)
    if mask.ndim != 2 or mask.dtype != np.uint8:
        raise ValueError(f"write_mask takes a (height, width) uint8 mask of class ids, got shape "
                         f"{mask.shape} and dtype {mask.dtype}")
    if mask.max(initial=0) >= carla.NUM_CLASSES:
        raise ValueError(f"the mask holds class id {mask.max()}, expected ids 0.."
                         f"{carla.NUM_CLASSES - 1}")
    pixels = np.zeros((*mask.shape, 3), np.uint8)
    pixels[..., 0] = mask
    _replace(Path(path), lambda p: carla.write_png(p, pixels))


def draw_shapes(ax, shapes: list[dict], linewidth: float = 0.8) -> None:
    """Outline shapes on a matplotlib Axes, each in its class's colour."""
    from matplotlib.patches import Polygon, Rectangle

    for shape in shapes:
        colour = carla.PALETTE[shape["label"]] / 255
        if "box" in shape:
            x0, y0, x1, y1 = shape["box"]
            patch = Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=colour,
                              linewidth=linewidth)
        else:
            patch = Polygon(shape["polygon"], closed=True, fill=False, edgecolor=colour,
                            linewidth=linewidth)
        ax.add_patch(patch)
