"""Road scenes for car detection with YOLO (W3A1): a seeded offline stand-in.

The course's car-detection notebook runs a pretrained YOLO (608x608 input, a
19x19 grid, 5 anchors, the 80 COCO classes) on 1280x720 frames of a dashboard
camera. This module renders such frames, and a training set for the detector
that the project trains itself, with Pillow's ``ImageDraw``.

Layout (in the data folder)::

    road_scenes/
      model_data/coco_classes.txt    80 class names, one a line; line index = class id
      model_data/yolo_anchors.txt    one line: 5 anchors "w1, h1, w2, h2, ..." in grid cells
      images/0001.jpg ... 0120.jpg   test frames, 1280x720 RGB JPEG (plus images/test.jpg,
      images/test.jpg                the frame the course's ``predict("test.jpg")`` opens)
      images/annotations.json        boxes of the test frames
      train/00001.jpg ... 01200.jpg  training images, 608x608 RGB JPEG
      train/annotations.json
      val/00001.jpg ... 00240.jpg    validation images, 608x608 RGB JPEG
      val/annotations.json

Resolution: train and val images are 608x608, the detector's input. They show
the same 1280x720 dashboard view squeezed to a square, exactly as the course's
``preprocess_image`` resizes a frame (without keeping the aspect ratio), so a
detector trained on them sees the test frames as they arrive after that resize.
Test frames are drawn at twice their size and shrunk (smooth edges); training
images are drawn directly at 608x608 (generation time). JPEG quality 88, 4:2:0.

Annotations (one COCO-style JSON file per split, keys sorted, compact)::

    {"categories": [{"id": 0, "name": "person", "supercategory": "coco"}, ...],  # all 80
     "images": [{"id": 1, "file_name": "00001.jpg", "width": 608, "height": 608}, ...],
     "annotations": [{"id": 1, "image_id": 1, "category_id": 2,
                      "bbox": [x, y, w, h], "area": w * h, "iscrowd": 0}, ...],
     "info": {...}}

- ``category_id`` is the line index in ``coco_classes.txt`` (0 = person, 2 = car),
  the class index YOLO predicts; unlike official COCO files (ids 1..90 with gaps).
- ``bbox`` is ``[x, y, width, height]`` in integer pixels, (x, y) the top-left
  corner: the box covers the visible pixels of the object, columns ``x .. x+w-1``
  and rows ``y .. y+h-1`` (so ``x + w <= width``). Occluded or truncated objects are
  boxed by their visible part; an object less than 40 % visible (occluded by nearer
  objects, poles or trees, or cut by the border), or smaller than about 8 x 4 pixels
  at 608x608 (the same fraction of a 1280x720 frame), is not drawn at all: nothing
  unlabelled remains.
- Classes present: person, bicycle, car, motorbike, bus, truck, traffic light
  (the lamp housing, not the pole) and stop sign (the octagon).

Anchors: k-means on the (width, height) of every training box with the
distance 1 - IoU (boxes compared as if they shared a corner), 5 clusters,
seeded from the dataset seed, cluster centres the mean of their members, sorted
by area, in units of grid cells (608 / 19 = 32 pixels), written with 6
significant digits in the course's format ``0.57273, 0.677385, ...``.

Scenes: a pinhole camera 1.3-1.6 m above the road (horizon, focal length and
heading vary); urban streets (buildings, sidewalks, pedestrians, intersections
with traffic lights and crosswalks, parked cars), suburban roads (houses, trees,
stop signs) and highways (several lanes, trucks, guard rails); day, overcast or
dusk light (headlights and lamps lit at dusk), haze with distance, road
curvature, cars, buses, trucks and two-wheelers seen from behind, from the
front (oncoming) or from the side (cross traffic), sensor noise.

Generation: every image has its own random stream (seed, split, index), so a
small version (``generate_road(folder, counts)``) holds the first images of the
full one; same seed, same bytes. The full stand-in takes about 130 MB. The scenes are
drawn by :mod:`cnn_course.datasets.road_render`, imported only to generate.

Readers: :func:`read_classes`, :func:`read_anchors`, :func:`load_annotations`,
:func:`road_dir`, :func:`test_images`; :func:`validate_road` checks a folder;
:func:`generate_road` writes a stand-in (``counts=`` for small test versions).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from cnn_course.datasets._registry import Dataset, DatasetError, data_dir, get, prepare, register

__all__ = [
    "COCO_CLASSES",
    "COUNTS",
    "gallery",
    "generate_road",
    "kmeans_anchors",
    "load_annotations",
    "read_anchors",
    "read_classes",
    "road_dir",
    "test_images",
    "validate_road",
]

FOLDER = "road_scenes"
SEED = 1003
VERSION = 1
TRAIN_SIZE = 608  # train/val images are TRAIN_SIZE x TRAIN_SIZE
TEST_SIZE = (1280, 720)  # (width, height) of the test frames
GRID = 19  # anchors are in cells of a GRID x GRID grid over the detector input
N_ANCHORS = 5
COUNTS = {"train": 1200, "val": 240, "test": 120}  # test: numbered frames, plus test.jpg
JPEG_QUALITY = 88
SPLITS = ("train", "val", "test")
SPLIT_DIRS = {"train": "train", "val": "val", "test": "images"}
ANNOTATIONS = "annotations.json"
CLASSES_FILE = "model_data/coco_classes.txt"
ANCHORS_FILE = "model_data/yolo_anchors.txt"
SUPERSAMPLE = {"train": 1, "val": 1, "test": 2}  # test frames: drawn at twice the size

# The 80 COCO classes in the Darknet order and spelling used by YOLOv2's coco names file.
COCO_CLASSES = (
    "person", "bicycle", "car", "motorbike", "aeroplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
    "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "sofa", "pottedplant",
    "bed",
    "diningtable", "toilet", "tvmonitor", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
    "teddy bear", "hair drier", "toothbrush",
)
PERSON, BICYCLE, CAR, MOTORBIKE, BUS, TRUCK, TRAFFIC_LIGHT, STOP_SIGN = 0, 1, 2, 3, 5, 7, 9, 11
SCENE_CLASSES = (PERSON, BICYCLE, CAR, MOTORBIKE, BUS, TRUCK, TRAFFIC_LIGHT, STOP_SIGN)


# ---------------------------------------------------------------------------------------------
# Readers
# ---------------------------------------------------------------------------------------------

_PREPARED: set[Path] = set()


def road_dir(folder: Path | str | None = None) -> Path:
    """The ``road_scenes`` folder, generated once if the data folder does not hold it.

    ``folder`` is the data folder (default: :func:`cnn_course.datasets.data_dir`).
    """
    folder = Path(folder) if folder else data_dir()
    key = folder.resolve()
    if key not in _PREPARED:
        # Say so when the stand-in is about to be generated (it takes a while); stay quiet after.
        prepare("road", folder, verbose=not get("road").present(folder))
        _PREPARED.add(key)
    return folder / FOLDER


def read_classes(path: Path | str | None = None) -> list[str]:
    """Class names from a classes file (one a line; line index = class id)."""
    path = Path(path) if path else road_dir() / CLASSES_FILE
    if not path.is_file():
        raise DatasetError(f"{path} is missing: expected the class names file, one name a line")
    names = [line.strip() for line in path.read_text().splitlines()]
    if not names or any(not name for name in names):
        raise DatasetError(f"{path} has an empty line or no line; expected one class name a line")
    return names


def read_anchors(path: Path | str | None = None) -> np.ndarray:
    """Anchor boxes from an anchors file: one line of comma-separated w, h pairs -> (n, 2)."""
    path = Path(path) if path else road_dir() / ANCHORS_FILE
    if not path.is_file():
        raise DatasetError(f"{path} is missing: expected one line of anchors 'w1, h1, w2, h2, ...'")
    text = path.read_text().strip()
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise DatasetError(f"{path} holds {text[:60]!r}; expected comma-separated numbers "
                           "'w1, h1, w2, h2, ...'") from None
    if not values or len(values) % 2:
        raise DatasetError(f"{path} holds {len(values)} numbers; expected an even number "
                           "(w, h pairs)")
    anchors = np.array(values, dtype=np.float64).reshape(-1, 2)
    if not np.all(np.isfinite(anchors)) or np.any(anchors <= 0):
        raise DatasetError(f"{path}: anchors {anchors.tolist()} must be positive finite numbers")
    return anchors


def _split_dir(road: Path, split: str) -> Path:
    if split not in SPLIT_DIRS:
        raise ValueError(f"split is {split!r}; expected one of {', '.join(SPLITS)}")
    return road / SPLIT_DIRS[split]


def _read_json(path: Path) -> dict:
    if not path.is_file():
        raise DatasetError(f"{path} is missing: expected the split's COCO-style annotations")
    try:
        data = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as error:
        raise DatasetError(f"{path} is not valid JSON ({error}); the file may be truncated"
                           ) from None
    if not isinstance(data, dict):
        raise DatasetError(f"{path} holds a {type(data).__name__}; expected a JSON object")
    missing = [key for key in ("images", "annotations", "categories") if key not in data]
    if missing:
        raise DatasetError(f"{path} has keys {sorted(data)}; expected images, annotations and "
                           f"categories (missing: {', '.join(missing)})")
    return data


def _records(path: Path, data: dict) -> list[dict]:
    """Images of a COCO-style file with their boxes as corner arrays; checks every field."""
    images: dict[int, dict] = {}
    for entry in data["images"]:
        try:
            image_id, name = int(entry["id"]), str(entry["file_name"])
            width, height = int(entry["width"]), int(entry["height"])
        except (KeyError, TypeError, ValueError):
            raise DatasetError(f"{path}: image entry {entry!r} lacks id, file_name, width or "
                               "height") from None
        if width <= 0 or height <= 0 or image_id in images:
            raise DatasetError(f"{path}: image entry {entry!r} has a repeated id or a size <= 0")
        images[image_id] = {"file": path.parent / name, "width": width, "height": height,
                            "boxes": [], "classes": []}
    for entry in data["annotations"]:
        try:
            image_id, category = int(entry["image_id"]), int(entry["category_id"])
            x, y, w, h = (float(v) for v in entry["bbox"])
        except (KeyError, TypeError, ValueError):
            raise DatasetError(f"{path}: annotation {entry!r} lacks image_id, category_id or a "
                               "bbox [x, y, w, h]") from None
        if image_id not in images:
            raise DatasetError(f"{path}: annotation {entry.get('id')} points at image id "
                               f"{image_id}, which the images list does not hold")
        record = images[image_id]
        if not 0 <= category < len(COCO_CLASSES):
            raise DatasetError(f"{path}: annotation {entry.get('id')} has category_id {category}; "
                               f"expected 0..{len(COCO_CLASSES) - 1} (line index in "
                               "coco_classes.txt)")
        if (w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > record["width"]
                or y + h > record["height"]):
            raise DatasetError(
                f"{path}: annotation {entry.get('id')} of {record['file'].name} has bbox "
                f"[{x:g}, {y:g}, {w:g}, {h:g}]; expected w, h > 0 inside the "
                f"{record['width']}x{record['height']} image")
        record["boxes"].append((x, y, x + w, y + h))
        record["classes"].append(category)
    records = []
    for image_id in sorted(images):
        record = images[image_id]
        record["boxes"] = np.array(record["boxes"], dtype=np.float64).reshape(-1, 4)
        record["classes"] = np.array(record["classes"], dtype=np.int64)
        records.append(record)
    return records


def load_annotations(split: str, folder: Path | str | None = None) -> list[dict]:
    """The annotated images of a split ("train", "val" or "test"), in file order.

    Returns a list of dicts: ``file`` (Path of the JPEG), ``width``, ``height``,
    ``boxes`` (n, 4) float array of ``(x_min, y_min, x_max, y_max)`` in pixels and
    ``classes`` (n,) int array of class ids (line index in ``coco_classes.txt``).
    """
    split_dir = _split_dir(road_dir(folder), split)
    path = split_dir / ANNOTATIONS
    return _records(path, _read_json(path))


def test_images(folder: Path | str | None = None) -> list[Path]:
    """The 1280x720 test frames (``images/*.jpg``), sorted by name."""
    return sorted((road_dir(folder) / SPLIT_DIRS["test"]).glob("*.jpg"))


test_images.__test__ = False  # a reader, not a pytest test


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------

def _expected_counts(folder: Path) -> dict | None:
    """COUNTS for a generated stand-in (marker present); None (any count) for original files."""
    return dict(COUNTS) if get("road").marker(folder).exists() else None


def validate_road(folder: Path | str, counts: dict | None = None) -> None:
    """Check the road_scenes layout under ``folder``; raise DatasetError naming what is wrong.

    ``counts`` ({split: number of images}, test without test.jpg) defaults to COUNTS for a
    generated stand-in and to "at least one" for original files. Fast: reads the JSON files,
    checks that every listed image exists, and decodes only the first image of each split.
    """
    from PIL import Image

    folder = Path(folder)
    road = folder / FOLDER
    if not road.is_dir():
        raise DatasetError(f"{road} is missing: expected the road scenes folder")
    classes = read_classes(road / CLASSES_FILE)
    if len(classes) != len(COCO_CLASSES):
        raise DatasetError(f"{road / CLASSES_FILE} has {len(classes)} class names; expected "
                           f"{len(COCO_CLASSES)} (the COCO classes, one a line)")
    anchors = read_anchors(road / ANCHORS_FILE)
    if anchors.shape != (N_ANCHORS, 2):
        raise DatasetError(f"{road / ANCHORS_FILE} holds {anchors.shape[0]} anchors; expected "
                           f"{N_ANCHORS} (w, h) pairs")
    if counts is None:
        counts = _expected_counts(folder)
    for split in SPLITS:
        split_dir = road / SPLIT_DIRS[split]
        path = split_dir / ANNOTATIONS
        records = _records(path, _read_json(path))
        listed = {r["file"].name for r in records}
        on_disk = {p.name for p in split_dir.glob("*.jpg")}
        missing = sorted(listed - on_disk)
        if missing:
            raise DatasetError(f"{path} lists {len(missing)} image(s) that {split_dir} does not "
                               f"hold, e.g. {missing[0]}")
        extra = sorted(on_disk - listed)
        if extra:
            raise DatasetError(f"{split_dir} holds {len(extra)} image(s) without annotations in "
                               f"{path.name}, e.g. {extra[0]}")
        numbered = len(listed - {"test.jpg"}) if split == "test" else len(listed)
        expected = None if counts is None else counts[split]
        if (expected is None and numbered < 1) or (expected is not None and numbered != expected):
            raise DatasetError(f"{split_dir} holds {numbered} annotated images; expected "
                               f"{expected if expected is not None else 'at least 1'}")
        if counts is not None:
            size = TEST_SIZE if split == "test" else (TRAIN_SIZE, TRAIN_SIZE)
            wrong = [r for r in records if (r["width"], r["height"]) != size]
            if wrong:
                raise DatasetError(f"{path}: {wrong[0]['file'].name} is listed as "
                                   f"{wrong[0]['width']}x{wrong[0]['height']}; expected "
                                   f"{size[0]}x{size[1]}")
        first = records[0]
        try:
            with Image.open(first["file"]) as image:
                image.load()
                found = (image.size, image.mode)
        except OSError as error:
            raise DatasetError(f"{first['file']} cannot be read as an image ({error})") from None
        if found != ((first["width"], first["height"]), "RGB"):
            raise DatasetError(f"{first['file']} is a {found[0][0]}x{found[0][1]} {found[1]} "
                               f"image; {path.name} says {first['width']}x{first['height']} RGB")


# ---------------------------------------------------------------------------------------------
# Anchors
# ---------------------------------------------------------------------------------------------

def _wh_iou(boxes: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """IoU of (n, 2) widths/heights with (k, 2) ones, boxes sharing a corner -> (n, k)."""
    inter = (np.minimum(boxes[:, None, 0], centres[None, :, 0])
             * np.minimum(boxes[:, None, 1], centres[None, :, 1]))
    union = (boxes[:, 0] * boxes[:, 1])[:, None] + (centres[:, 0] * centres[:, 1])[None, :] - inter
    return inter / union


def kmeans_anchors(wh: np.ndarray, k: int = N_ANCHORS, seed: int = SEED,
                   iterations: int = 300) -> np.ndarray:
    """k-means with the distance 1 - IoU on box sizes (n, 2) -> (k, 2) centres sorted by area.

    Starts from k distinct boxes drawn with ``seed``; a cluster that empties restarts at the
    box worst served by the current centres. Deterministic for a given input and seed.
    """
    wh = np.asarray(wh, dtype=np.float64)
    if wh.ndim != 2 or wh.shape[1] != 2 or np.any(wh <= 0):
        raise ValueError(f"wh has shape {wh.shape}; expected (n, 2) positive widths and heights")
    distinct = np.unique(wh, axis=0)
    if len(distinct) < k:
        raise ValueError(f"{len(distinct)} distinct box sizes cannot make {k} anchors")
    rng = np.random.default_rng(seed)
    centres = distinct[rng.choice(len(distinct), size=k, replace=False)]
    assign = None
    for _ in range(iterations):
        iou = _wh_iou(wh, centres)
        new = iou.argmax(axis=1)
        if assign is not None and np.array_equal(new, assign):
            break
        assign = new
        for j in range(k):
            members = wh[assign == j]
            if len(members):
                centres[j] = members.mean(axis=0)
            else:
                centres[j] = wh[iou.max(axis=1).argmin()]
    return centres[np.argsort(centres[:, 0] * centres[:, 1])]


def _anchors_line(anchors: np.ndarray) -> str:
    return ", ".join(f"{v:.6g}" for v in anchors.reshape(-1)) + "\n"


# ---------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------

_SPLIT_CODE = {"train": 1, "val": 2, "test": 3}


def _coco(seed, split, images, annotations):
    return {
        "info": {"description": f"Road scenes ({split}): offline stand-in for the course's "
                                "car-detection images",
                 "generator": "cnn_course.datasets.road", "seed": seed, "version": VERSION,
                 "bbox": "[x, y, width, height] in pixels, (x, y) the top-left corner",
                 "category_id": "line index in model_data/coco_classes.txt"},
        "images": images,
        "annotations": annotations,
        "categories": [{"id": i, "name": name, "supercategory": "coco"}
                       for i, name in enumerate(COCO_CLASSES)],
    }


def _write_split(road: Path, split: str, count: int, seed: int) -> list[tuple[float, float]]:
    """Render and write a split; returns the (w, h) of its boxes in grid cells."""
    from cnn_course.datasets.road_render import Rng, make_noise_bank, render

    out = road / SPLIT_DIRS[split]
    out.mkdir(parents=True)
    width, height = TEST_SIZE if split == "test" else (TRAIN_SIZE, TRAIN_SIZE)
    bank = make_noise_bank(seed, width, height)
    images, annotations, sizes = [], [], []
    names = [(f"{i:04d}.jpg" if split == "test" else f"{i:05d}.jpg", [seed, _SPLIT_CODE[split], i])
             for i in range(1, count + 1)]
    if split == "test":
        names.append(("test.jpg", [seed, _SPLIT_CODE[split], 0]))
    for image_id, (name, key) in enumerate(names, start=1):
        attempt = 0
        while True:
            image, labels = render(Rng(key + [attempt]), width, height, bank,
                                    SUPERSAMPLE[split])
            # every frame shows something; test.jpg, like the course's, shows several cars by day
            special = name != "test.jpg" or (
                sum(cls == CAR for cls, _ in labels) >= 5
                and float(np.asarray(image.reduce(8)).mean()) > 110)
            if (labels and special) or attempt >= 50:
                break
            attempt += 1
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=JPEG_QUALITY, subsampling=2, optimize=False)
        (out / name).write_bytes(buffer.getvalue())
        images.append({"id": image_id, "file_name": name, "width": width, "height": height})
        for cls, (x0, y0, x1, y1) in labels:
            w, h = x1 - x0, y1 - y0
            annotations.append({"id": len(annotations) + 1, "image_id": image_id,
                                "category_id": cls, "bbox": [x0, y0, w, h], "area": w * h,
                                "iscrowd": 0})
            sizes.append((w / width * GRID, h / height * GRID))
    text = json.dumps(_coco(seed, split, images, annotations), sort_keys=True,
                      separators=(",", ":"))
    (out / ANNOTATIONS).write_text(text + "\n")
    return sizes


def generate_road(folder: Path | str, counts: dict | None = None, seed: int = SEED) -> Path:
    """Write the road_scenes stand-in under ``folder``; returns the road_scenes path.

    ``counts`` ({"train": n, "val": n, "test": n}, default COUNTS) makes small versions for
    tests. Never overwrites: raises DatasetError if road_scenes already exists there.
    Same seed and counts give the same bytes.
    """
    counts = dict(COUNTS if counts is None else counts)
    if sorted(counts) != sorted(SPLITS) or any(int(n) < 1 for n in counts.values()):
        raise ValueError(f"counts is {counts}; expected a positive count for each of "
                         f"{', '.join(SPLITS)}")
    road = Path(folder) / FOLDER
    if road.exists():
        raise DatasetError(f"{road} already exists; not overwriting it")
    (road / "model_data").mkdir(parents=True)
    (road / CLASSES_FILE).write_text("\n".join(COCO_CLASSES) + "\n")
    sizes = []
    for split in SPLITS:
        boxes = _write_split(road, split, int(counts[split]), seed)
        if split == "train":
            sizes = boxes
    anchors = kmeans_anchors(np.array(sizes, dtype=np.float64), N_ANCHORS, seed)
    (road / ANCHORS_FILE).write_text(_anchors_line(anchors))
    return road


# ---------------------------------------------------------------------------------------------
# Gallery and registration
# ---------------------------------------------------------------------------------------------

_BOX_COLOURS = {PERSON: "tab:orange", BICYCLE: "tab:olive", CAR: "tab:cyan", MOTORBIKE: "tab:pink",
                BUS: "gold", TRUCK: "tab:purple", TRAFFIC_LIGHT: "lime", STOP_SIGN: "tab:red"}


def _show(ax, record, fontsize=6):
    from matplotlib.patches import Rectangle
    from PIL import Image

    with Image.open(record["file"]) as image:
        ax.imshow(np.asarray(image))
    for (x0, y0, x1, y1), cls in zip(record["boxes"], record["classes"], strict=True):
        colour = _BOX_COLOURS.get(int(cls), "white")
        ax.add_patch(Rectangle(
            (x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, edgecolor=colour, linewidth=0.8))
        ax.text(x0, y0 - 2, COCO_CLASSES[int(cls)], color="black", fontsize=fontsize,
                bbox={"facecolor": colour, "edgecolor": "none", "pad": 0.5, "alpha": 0.8})
    ax.set_title(f"{record['file'].parent.name}/{record['file'].name} ({record['width']}x"
                 f"{record['height']}, {len(record['classes'])} boxes)", fontsize=8)
    ax.axis("off")


def gallery(folder: Path | str | None = None, n_train: int = 4):
    """A figure: a few training images and the 1280x720 test.jpg with their boxes and classes."""
    import matplotlib.pyplot as plt

    train = load_annotations("train", folder)[:n_train]
    test = load_annotations("test", folder)
    test_record = next((r for r in test if r["file"].name == "test.jpg"), test[0])
    ratio = n_train * 720 / 1280  # the test frame spans the width of the training row
    fig = plt.figure(figsize=(2.6 * n_train, 2.6 * (1 + ratio) + 0.5))
    grid = fig.add_gridspec(2, n_train, height_ratios=[1, ratio])
    for i, record in enumerate(train):
        _show(fig.add_subplot(grid[0, i]), record, fontsize=5)
    _show(fig.add_subplot(grid[1, :]), test_record, fontsize=7)
    fig.suptitle("Road scenes: training images (608x608, the detector's input) and a test "
                 "frame (1280x720)", fontsize=10)
    fig.tight_layout()
    return fig


DATASET = register(Dataset(
    name="road",
    title="Road scenes (detection)",
    files=(f"{FOLDER}/",),
    generate=lambda folder: generate_road(folder),
    validate=validate_road,
    seed=SEED,
    version=VERSION,
    description=("Dashboard-camera road scenes with COCO-style boxes: 1,200 + 240 images at "
                 "608x608 to train a detector, 120 test frames at 1280x720 (plus test.jpg), the "
                 "80 COCO class names and 5 k-means anchors."),
    gallery=gallery,
))
