"""CARLA-style street scenes for the U-Net assignment (W3A2): images and per-pixel class masks.

Layout in the data folder (as the original course's ``data/``)::

    carla/CameraRGB/000000.png    RGB image, 480 x 640 (height x width)
    carla/CameraMask/000000.png   same name; the RED channel holds the class id, green and
                                  blue are zero

There are 1,060 pairs. The class ids are CARLA's documented semantic tags, see
:data:`CLASS_NAMES` (the 23 of CARLA 0.9.10 and later; the course's U-Net has 23 outputs).
Frames recorded before CARLA 0.9.10 (2020), such as the CARLA frames of the 2018
Lyft/Udacity perception challenge, which store the id in the red channel the same way, carry
only the first 13 (0..12, "None" to "TrafficSigns"): the sky is 0, and in the challenge's
frames the bonnet of the recording car, at the bottom of every frame, is 10 (Vehicles). The
stand-in's masks follow that convention (:data:`COURSE_TAG`); the validators accept any id
0..22.

The offline stand-in is drawn with PIL by :mod:`cnn_course.datasets.carla_render`: street
scenes from a road-level camera, each mask drawn with the same geometry as its image, so every
id is exact. Colour alone does not decide the class: sidewalks, buildings, poles and cars can
all be grey; cars and signs can be green or sky blue; each scene gets its own light and colour
cast. Context (where a region is, its shape and its neighbours) does decide it, which is what a
U-Net learns and a per-pixel colour classifier cannot; the course's benchmarks compare the two
(``docs/results.md`` in the course repository has the numbers).

The scenes follow the course's frames. One camera on one car records every scene, as in a
recorded drive, with the car's bonnet at the bottom of every frame, tagged Vehicles (a camera
that changed with every scene made an earlier version of the stand-in much harder to learn
than the course's frames). The streets are those of the towns the frames come from: the
challenge predates CARLA 0.9.0, and CARLA 0.8 has two towns, those of the CARLA paper,
described in CARLA's catalogue as Town01, "a small, simple town with a river and several
bridges", and Town02, "a small simple town with a mixture of residential and commercial
buildings". So every street has one lane each way, the recording car in the right-hand one;
buildings are low-rise (6 to 16 m in the town centre, the distant skyline 4 to 16 m); there
are no tram tracks.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from cnn_course.datasets._registry import Dataset, DatasetError, prepare, register

HEIGHT, WIDTH = 480, 640
NUM_PAIRS = 1060
NUM_CLASSES = 23
CARLA_SEED = 3
CARLA_VERSION = 3  # of the generator; a cached stand-in of another version is made again
IMAGE_FOLDER, MASK_FOLDER = "CameraRGB", "CameraMask"

# CARLA's documented semantic tags (CARLA 0.9.x), by id.
CLASS_NAMES = (
    "Unlabeled", "Building", "Fence", "Other", "Pedestrian", "Pole", "RoadLine", "Road",
    "SideWalk", "Vegetation", "Vehicles", "Wall", "TrafficSign", "Sky", "Ground", "Bridge",
    "RailTrack", "GuardRail", "TrafficLight", "Static", "Dynamic", "Water", "Terrain",
)
(UNLABELED, BUILDING, FENCE, OTHER, PEDESTRIAN, POLE, ROADLINE, ROAD, SIDEWALK, VEGETATION,
 VEHICLES, WALL, TRAFFICSIGN, SKY, GROUND, BRIDGE, RAILTRACK, GUARDRAIL, TRAFFICLIGHT, STATIC,
 DYNAMIC, WATER, TERRAIN) = range(NUM_CLASSES)

# The tags that occur in the course's frames: the first 13 (0..12), those of the CARLA
# version the frames were recorded with, which has no Sky, Ground, Terrain, ... tags. The
# renderer draws with all 23 (a drawing's own kinds of surface) and the masks it writes
# carry each drawn tag's nearest course tag: the sky is Unlabeled, grass Vegetation.
COURSE_TAGS = 13
COURSE_TAG = np.arange(NUM_CLASSES, dtype=np.uint8)
COURSE_TAG[[SKY, GROUND, BRIDGE, RAILTRACK, GUARDRAIL, TRAFFICLIGHT, STATIC, DYNAMIC, WATER,
            TERRAIN]] = (UNLABELED, OTHER, OTHER, OTHER, FENCE, TRAFFICSIGN, OTHER, OTHER, OTHER,
                         VEGETATION)

# The camera: one rig for the whole set (focal length in pixels, height in metres, the
# horizon's row on flat ground), and the bonnet of the car it sits on.
RIG_FOCAL, RIG_HEIGHT, RIG_HORIZON = 500.0, 1.7, 215.0
HOOD_CREST = 404  # the bonnet's highest row; it reaches the bottom corners at about row 446
HOOD_PAINT = (52, 60, 74)

# A fixed colour per class, only for showing masks (the files hold ids, not colours).
PALETTE = np.array([
    (0, 0, 0), (150, 60, 50), (200, 170, 90), (120, 120, 255), (255, 40, 40), (255, 230, 0),
    (255, 255, 255), (110, 60, 140), (240, 80, 220), (40, 170, 40), (0, 60, 230), (160, 150, 130),
    (255, 140, 0), (100, 200, 255), (120, 90, 60), (80, 80, 80), (190, 120, 90), (0, 230, 200),
    (255, 90, 160), (160, 220, 120), (130, 0, 200), (0, 120, 160), (170, 210, 70),
], dtype=np.uint8)


# ---------------------------------------------------------------------------------------------
# Files: writing the stand-in, validating, loading
# ---------------------------------------------------------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def write_png(path: Path, pixels: np.ndarray) -> None:
    """Write an (H, W, 3) uint8 array as an 8-bit RGB PNG, fast and byte-for-byte reproducible.

    Every row is stored with PNG's "Up" filter (its difference from the row above, modulo
    256), then deflated at zlib level 2: faster than PIL's encoder and a little smaller, for
    the 2,120 files of the stand-in.
    """
    height, width, channels = pixels.shape
    if channels != 3 or pixels.dtype != np.uint8:
        raise ValueError(f"write_png takes (H, W, 3) uint8 pixels, got {pixels.shape} "
                         f"{pixels.dtype}")
    rows = np.ascontiguousarray(pixels).reshape(height, width * 3)
    data = np.empty((height, width * 3 + 1), dtype=np.uint8)
    data[:, 0] = 2  # filter type Up; above the first row is a row of zeros
    data[0, 1:] = rows[0]
    np.subtract(rows[1:], rows[:-1], out=data[1:, 1:])  # uint8 arithmetic wraps modulo 256

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    Path(path).write_bytes(_PNG_SIGNATURE + chunk(b"IHDR", header)
                           + chunk(b"IDAT", zlib.compress(data.tobytes(), 2)) + chunk(b"IEND", b""))


def render_scene(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One street scene: (image uint8 (480, 640, 3), mask uint8 (480, 640) of class ids)."""
    from cnn_course.datasets.carla_render import render

    image, mask = render(rng)
    return np.asarray(image, dtype=np.uint8), np.asarray(mask, dtype=np.uint8)


def generate_carla(folder: Path, counts: int | None = None, seed: int = CARLA_SEED) -> None:
    """Write the stand-in under ``folder/carla/``: ``counts`` pairs (default 1,060).

    Pair ``i`` is drawn from its own random stream ``(seed, i)``, so a small version for
    tests is the first pairs of the full one, and the same seed gives the same bytes.
    Refuses to write into an existing ``carla/`` folder.
    """
    count = NUM_PAIRS if counts is None else int(counts)
    if count < 1:
        raise ValueError(f"counts must be a positive number of image/mask pairs, got {counts!r}")
    root = Path(folder) / "carla"
    if root.exists():
        raise DatasetError(f"{root} already exists; the stand-in never overwrites files")
    (root / IMAGE_FOLDER).mkdir(parents=True)
    (root / MASK_FOLDER).mkdir()
    from cnn_course.datasets.carla_render import render

    empty = Image.new("L", (WIDTH, HEIGHT), 0)
    for i in range(count):
        image, mask = render(np.random.default_rng([seed, i]))
        name = f"{i:06d}.png"
        write_png(root / IMAGE_FOLDER / name, np.asarray(image))
        # the class id in red, green and blue zero (as the original masks)
        write_png(root / MASK_FOLDER / name, np.asarray(Image.merge("RGB", (mask, empty, empty))))


_IMAGE_COLOUR_TYPES = {2: "RGB", 6: "RGBA"}
_MASK_COLOUR_TYPES = {0: "greyscale", 2: "RGB", 4: "greyscale+alpha", 6: "RGBA"}


def _check_header(path: Path, colour_types: dict[int, str]) -> None:
    """Check a PNG's signature, size, bit depth and colour type from its first 26 bytes."""
    with open(path, "rb") as file:
        head = file.read(26)
    if len(head) < 26 or head[:8] != _PNG_SIGNATURE or head[12:16] != b"IHDR":
        raise DatasetError(f"{path} is not a PNG file (found {len(head)} header bytes "
                           f"starting {head[:8]!r}); expected a {WIDTH}x{HEIGHT} PNG")
    width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    if (height, width) != (HEIGHT, WIDTH):
        raise DatasetError(f"{path} is {width}x{height} (width x height), "
                           f"expected {WIDTH}x{HEIGHT}")
    depth, colour = head[24], head[25]
    if depth != 8 or colour not in colour_types:
        raise DatasetError(f"{path} has bit depth {depth} and PNG colour type {colour}; expected "
                           f"8-bit {' or '.join(colour_types.values())}")


def _open_png(path) -> Image.Image:
    try:
        image = Image.open(path)
        image.load()
    except Exception as error:  # PIL raises OSError, SyntaxError, ... on truncated files
        raise DatasetError(f"{path} cannot be decoded as PNG ({type(error).__name__}: {error}); "
                           "the file may be truncated or corrupt: remove it and load again"
                           ) from error
    if image.size != (WIDTH, HEIGHT):
        raise DatasetError(f"{path} is {image.size[0]}x{image.size[1]} (width x height), "
                           f"expected {WIDTH}x{HEIGHT}")
    return image


def load_pair(image_path, mask_path) -> tuple[np.ndarray, np.ndarray]:
    """Decode one pair: (image uint8 (480, 640, 3), mask uint8 (480, 640) of class ids 0..22).

    The mask's class id is its red channel; green and blue must be zero (the notebook takes
    the maximum over the channels, which then equals the red channel). Raises DatasetError
    naming the file for an undecodable file, a wrong size or an id above 22.
    """
    image = _open_png(image_path)
    if image.mode not in ("RGB", "RGBA"):
        raise DatasetError(f"{image_path} has mode {image.mode}, expected RGB")
    pixels = np.asarray(image.convert("RGB"), dtype=np.uint8)
    mask_image = _open_png(mask_path)
    if mask_image.mode not in ("RGB", "RGBA", "L", "LA"):
        raise DatasetError(f"{mask_path} has mode {mask_image.mode}; expected an RGB mask with "
                           "the class id in the red channel")
    values = np.asarray(mask_image, dtype=np.uint8)
    if values.ndim == 3 and mask_image.mode in ("RGB", "RGBA"):
        others = values[..., 1:3]
        if others.any():
            raise DatasetError(f"{mask_path}: the green/blue channels hold values up to "
                               f"{int(others.max())}, expected 0 (the class id belongs in the "
                               "red channel only)")
        values = values[..., 0]
    elif values.ndim == 3:  # greyscale with alpha
        values = values[..., 0]
    mask = np.ascontiguousarray(values)
    top = int(mask.max())
    if top >= NUM_CLASSES:
        raise DatasetError(f"{mask_path} holds class id {top}, expected ids 0..{NUM_CLASSES - 1} "
                           f"({NUM_CLASSES} classes)")
    return pixels, mask


def _png_names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.suffix.lower() == ".png")


def validate_carla(folder: Path, count: int = NUM_PAIRS, sample: int = 12) -> None:
    """Check ``folder/carla/``: both folders, the same names, ``count`` pairs, every PNG header
    (size 480x640), and a sample of ``sample`` pairs fully decoded (mask ids 0..22).

    Fast: decoding all 2,120 files would take seconds, so only the sample is decoded (the
    first and last pair included); :func:`load_pair` checks every pair it reads.
    """
    root = Path(folder) / "carla"
    for sub in (IMAGE_FOLDER, MASK_FOLDER):
        if not (root / sub).is_dir():
            raise DatasetError(f"{root / sub} is missing; expected a folder of {count} PNG files "
                               f"({IMAGE_FOLDER}/ and {MASK_FOLDER}/ with the same file names)")
    images, masks = _png_names(root / IMAGE_FOLDER), _png_names(root / MASK_FOLDER)
    for have, lack, what in ((masks, images, "mask"), (images, masks, "image")):
        lone = sorted(set(have) - set(lack))
        if lone:
            sub, other = ((MASK_FOLDER, IMAGE_FOLDER) if what == "mask"
                          else (IMAGE_FOLDER, MASK_FOLDER))
            raise DatasetError(f"{root / sub / lone[0]} has no partner: "
                               f"{root / other / lone[0]} is missing ({len(lone)} {what}s without "
                               f"a partner); expected the same file names in {IMAGE_FOLDER}/ and "
                               f"{MASK_FOLDER}/")
    if len(images) != count:
        raise DatasetError(f"{root} holds {len(images)} image/mask pairs, expected {count}")
    for name in images:
        _check_header(root / IMAGE_FOLDER / name, _IMAGE_COLOUR_TYPES)
        _check_header(root / MASK_FOLDER / name, _MASK_COLOUR_TYPES)
    picks = sorted({int(round(k)) for k in np.linspace(0, count - 1, min(sample, count))})
    for k in picks:
        load_pair(root / IMAGE_FOLDER / images[k], root / MASK_FOLDER / images[k])


def carla_dir(folder: Path | None = None, verbose: bool = True) -> Path:
    """The ``carla/`` folder, ready to read: the original files if present, else the stand-in
    (generated once into the data folder, ``$CNN_COURSE_DATA`` by default)."""
    folder, _ = prepare("carla", folder, verbose=verbose)
    return Path(folder) / "carla"


def image_mask_paths(folder: Path | None = None,
                     verbose: bool = True) -> tuple[list[str], list[str]]:
    """(image paths, mask paths): sorted by file name, the i-th mask belongs to the i-th image."""
    root = carla_dir(folder, verbose=verbose)
    names = _png_names(root / IMAGE_FOLDER)
    return ([str(root / IMAGE_FOLDER / n) for n in names],
            [str(root / MASK_FOLDER / n) for n in names])


def class_names() -> list[str]:
    """The 23 class names, by id (CARLA's documented semantic tags)."""
    return list(CLASS_NAMES)


def colourise(mask: np.ndarray) -> np.ndarray:
    """A mask of class ids as an RGB picture (uint8, one fixed colour per class)."""
    return PALETTE[np.asarray(mask, dtype=np.intp)]


def gallery(folder: Path | None = None, rows: int = 4, start: int = 0):
    """A matplotlib Figure: ``rows`` images beside their masks, and a legend of the classes
    shown."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    images, masks = image_mask_paths(folder, verbose=False)
    picks = np.linspace(start, len(images) - 1, rows).astype(int)
    fig = Figure(figsize=(7.5, 2.8 * rows + 0.9), layout="constrained")
    axes = fig.subplots(rows, 2, squeeze=False)
    present: set[int] = set()
    for row, k in enumerate(picks):
        image, mask = load_pair(images[k], masks[k])
        present.update(np.unique(mask).tolist())
        axes[row, 0].imshow(image)
        axes[row, 1].imshow(colourise(mask), interpolation="nearest")
        axes[row, 0].set_title(Path(images[k]).name, fontsize=8)
        for ax in axes[row]:
            ax.set_xticks([])
            ax.set_yticks([])
    handles = [Patch(facecolor=PALETTE[c] / 255, edgecolor="0.4", linewidth=0.5,
                     label=f"{c} {CLASS_NAMES[c]}") for c in sorted(present)]
    fig.legend(handles=handles, loc="outside lower center", ncol=5, fontsize=7, frameon=False)
    fig.suptitle("CARLA-style street scenes: image and class mask", fontsize=10)
    return fig


# ---------------------------------------------------------------------------------------------
# The pairs at the course's size, as arrays
# ---------------------------------------------------------------------------------------------

def load_small(folder: Path | None = None, limit: int | None = None,
               verbose: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """All pairs at the course's 96x128: (images uint8 (m, 96, 128, 3), masks uint8 (m, 96, 128)).

    Nearest-neighbour, as the notebook resizes (every 5th pixel: 480/96 = 640/128 = 5).
    """
    images, masks = image_mask_paths(folder, verbose=verbose)
    images, masks = images[:limit], masks[:limit]
    X = np.empty((len(images), 96, 128, 3), np.uint8)
    Y = np.empty((len(images), 96, 128), np.uint8)
    for k, (image_path, mask_path) in enumerate(zip(images, masks, strict=True)):
        image, mask = load_pair(image_path, mask_path)
        X[k], Y[k] = image[2::5, 2::5], mask[2::5, 2::5]
    return X, Y


CARLA = register(Dataset(
    name="carla",
    title="CARLA-style street scenes (segmentation)",
    files=("carla/",),
    generate=generate_carla,
    validate=validate_carla,
    seed=CARLA_SEED,
    version=CARLA_VERSION,
    gallery=gallery,
    description=("1,060 street scenes from a road-level camera, 480x640 RGB PNG, with masks whose "
                 "red channel holds the class id (CARLA's semantic tags; 0..12 in the course's "
                 "frames, where the sky is 0 and the recording car's bonnet 10), as "
                 "carla/CameraRGB/ and carla/CameraMask/ (same file names). Stand-in: drawn with "
                 "PIL (roads, lanes, sidewalks, buildings, vegetation, cars, pedestrians, poles, "
                 "signs, lights, sky) under varied light and colour casts."),
))
