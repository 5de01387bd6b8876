"""Alpaca / not alpaca (W2A2, transfer learning) and the source task used to pretrain MobileNetV2.

Original layout (the course's ``alpaca_dataset``), read with
``image_dataset_from_directory(..., validation_split=0.2, seed=42)``::

    alpaca_dataset/alpaca/*.jpg        142 photos of alpacas
    alpaca_dataset/not alpaca/*.jpg    185 photos of anything else (note the space)

Offline stand-in: the same layout and counts, drawn with PIL. Alpacas are woolly
animals with a long upright neck, a small head with upright ears and four legs,
in several fur colours, poses, scales and positions, sometimes in small herds,
close-ups or partly hidden. "not alpaca" holds hard negatives (sheep, short-necked
woolly animals, horses, giraffes, dogs), other animals, objects and empty scenes,
all on the same backgrounds (pastures, fences, hills, streets, rooms) with people,
clutter, lighting changes and noise, so colour and background alone do not decide.

``pretrain_source/<class>/*.jpg`` is a 12-class task drawn by the same renderers
(no alpaca and nothing alpaca-shaped) on which this project pretrains the
MobileNetV2 base when the ImageNet weights cannot be downloaded.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from PIL import Image

from cnn_course.datasets._registry import Dataset, DatasetError, prepare, register
from cnn_course.datasets.alpaca_render import render_scene

ALPACA_FOLDER = "alpaca_dataset"
ALPACA_CLASSES = ("alpaca", "not alpaca")
ALPACA_COUNTS = {"alpaca": 142, "not alpaca": 185}
ALPACA_SEED = 2024
ALPACA_SIZE_RANGE = (180, 400)  # pixels per side of the stand-in's photos

PRETRAIN_FOLDER = "pretrain_source"
PRETRAIN_CLASSES = ("bicycle", "bird", "boat", "car", "cat", "chair", "dog", "flower", "horse",
                    "house", "sheep", "tree")
PRETRAIN_PER_CLASS = 500
PRETRAIN_VERSION = 2  # 2: 500 pictures per class (version 1 had 200, the same first 200)
PRETRAIN_SIZE = 128
PRETRAIN_SEED = 7

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif")  # image_dataset_from_directory reads
JPEG_QUALITY = 90

# What a "not alpaca" photo shows, with its share of the class (hard negatives first).
NEGATIVE_MIX = {
    "sheep": 0.13, "short_neck": 0.05, "horse": 0.08, "giraffe": 0.04, "dog": 0.1, "cat": 0.05,
    "bird": 0.06, "house": 0.08, "tree": 0.07, "car": 0.07, "bicycle": 0.05, "chair": 0.05,
    "boat": 0.04, "flower": 0.04, "people": 0.05, "scene": 0.04,
}


# --------------------------------------------------------------------------- generators


def _negative_subjects(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` subjects in the NEGATIVE_MIX proportions (exact counts, shuffled)."""
    names = list(NEGATIVE_MIX)
    shares = np.array([NEGATIVE_MIX[k] for k in names]) / sum(NEGATIVE_MIX.values())
    counts = np.floor(shares * n).astype(int)
    for k in np.argsort(-(shares * n - counts))[: n - counts.sum()]:
        counts[k] += 1
    subjects = [name for name, c in zip(names, counts, strict=True) for _ in range(c)]
    return [subjects[i] for i in rng.permutation(len(subjects))]


def _save(image: Image.Image, path: Path) -> None:
    image.save(path, format="JPEG", quality=JPEG_QUALITY)


def generate_alpaca(folder: Path, counts: dict[str, int] | None = None,
                    seed: int = ALPACA_SEED) -> None:
    """Write ``alpaca_dataset/{alpaca,not alpaca}/*.jpg`` under ``folder``.

    ``counts`` (default ALPACA_COUNTS) shrinks it for tests; the first images do not
    depend on the counts of the other class.
    """
    counts = dict(ALPACA_COUNTS if counts is None else counts)
    root = Path(folder) / ALPACA_FOLDER
    lo, hi = ALPACA_SIZE_RANGE
    for label, class_index in (("alpaca", 0), ("not alpaca", 1)):
        n = counts.get(label, 0)
        out = root / label
        out.mkdir(parents=True, exist_ok=True)
        order = np.random.default_rng([seed, class_index, 99])
        subjects = ["alpaca"] * n if label == "alpaca" else _negative_subjects(order, n)
        for i, subject in enumerate(subjects):
            rng = np.random.default_rng([seed, class_index, i])
            w, h = int(rng.integers(lo, hi + 1)), int(rng.integers(lo, hi + 1))
            stem = "alpaca" if label == "alpaca" else "not_alpaca"
            _save(render_scene(rng, w, h, subject), out / f"{stem}_{i:03d}.jpg")


def generate_pretrain_source(folder: Path, counts: int | dict[str, int] | None = None,
                             seed: int = PRETRAIN_SEED, size: int = PRETRAIN_SIZE) -> None:
    """Write ``pretrain_source/<class>/*.jpg`` (PRETRAIN_CLASSES, square ``size`` pictures)."""
    if counts is None or isinstance(counts, int):
        counts = {c: PRETRAIN_PER_CLASS if counts is None else counts for c in PRETRAIN_CLASSES}
    root = Path(folder) / PRETRAIN_FOLDER
    for class_index, label in enumerate(PRETRAIN_CLASSES):
        out = root / label
        out.mkdir(parents=True, exist_ok=True)
        for i in range(counts.get(label, 0)):
            rng = np.random.default_rng([seed, class_index, i])
            _save(render_scene(rng, size, size, label), out / f"{label}_{i:04d}.jpg")


# --------------------------------------------------------------------------- validation


def _image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def _check_decodes(path: Path, shown: str) -> None:
    """Decode the file (at 1/8 scale for JPEGs: fast, and still reads every byte)."""
    try:
        with Image.open(path) as image:
            image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
            image.load()
    except Exception as error:  # PIL raises OSError, SyntaxError, ValueError... on bad files
        raise DatasetError(
            f"{shown} cannot be decoded as an image ({type(error).__name__}: {error}); the file "
            "may be truncated or corrupt: replace it with a good copy") from error


def _check_classes(root: Path, name: str, classes, counts: dict[str, int], decode_all: bool,
                   sample: int = 3) -> None:
    if not root.is_dir():
        raise DatasetError(f"{name}/ is missing or is not a folder (in {root.parent})")
    found = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if found != sorted(classes):
        missing = [c for c in classes if c not in found]
        extra = [c for c in found if c not in classes]
        detail = "; ".join(part for part in (
            f"missing {', '.join(repr(c) for c in missing)}" if missing else "",
            f"unexpected {', '.join(repr(c) for c in extra)}" if extra else "") if part)
        raise DatasetError(f"{name}/ in {root.parent} has the subfolders {found}, expected "
                           f"{sorted(classes)} ({detail})")
    for label in classes:
        files = _image_files(root / label)
        others = [p for p in files if p.suffix.lower() not in (".jpg", ".jpeg")]
        if others:
            raise DatasetError(f"{name}/{label} holds non-JPEG images ({others[0].name}, ...); "
                               "expected only .jpg files")
        if len(files) != counts[label]:
            raise DatasetError(f"{name}/{label} has {len(files)} JPEG files, expected "
                               f"{counts[label]} (in {root.parent})")
        chosen = files if decode_all else files[:sample] + files[-sample:]
        for path in chosen:
            _check_decodes(path, f"{name}/{label}/{path.name} (in {root.parent})")


def validate_alpaca(folder: Path) -> None:
    """Raise DatasetError unless ``folder/alpaca_dataset`` has the original layout and counts."""
    _check_classes(Path(folder) / ALPACA_FOLDER, ALPACA_FOLDER, ALPACA_CLASSES, ALPACA_COUNTS,
                   decode_all=True)


def validate_pretrain_source(folder: Path) -> None:
    """Raise DatasetError unless ``folder/pretrain_source`` has its classes and counts."""
    counts = dict.fromkeys(PRETRAIN_CLASSES, PRETRAIN_PER_CLASS)
    _check_classes(Path(folder) / PRETRAIN_FOLDER, PRETRAIN_FOLDER, PRETRAIN_CLASSES, counts,
                   decode_all=False)


# --------------------------------------------------------------------------- loaders


def alpaca_dir(folder: Path | None = None) -> Path:
    """The ``alpaca_dataset`` folder, prepared (original files, else the generated stand-in)."""
    root, _ = prepare("alpaca", folder)
    return root / ALPACA_FOLDER


def pretrain_source_dir(folder: Path | None = None) -> Path:
    """The ``pretrain_source`` folder (12 classes), prepared."""
    root, _ = prepare("pretrain_source", folder)
    return root / PRETRAIN_FOLDER


def _split(directory: Path, image_size, batch_size, shuffle=True, label_mode="int"):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    def subset(name):
        return tf.keras.utils.image_dataset_from_directory(
            str(directory), shuffle=shuffle, batch_size=batch_size, image_size=tuple(image_size),
            validation_split=0.2, subset=name, seed=42, label_mode=label_mode)

    return subset("training"), subset("validation")


def load_alpaca_datasets(image_size=(160, 160), batch_size=32, folder: Path | None = None):
    """(train_dataset, validation_dataset) as the course builds them: an 80/20 split, seed 42.

    262 training and 65 validation images, ``class_names == ['alpaca', 'not alpaca']``,
    labels 0 for alpaca and 1 for not alpaca, pixels as floats in [0, 255].
    """
    return _split(alpaca_dir(folder), image_size, batch_size)


def load_pretrain_source(image_size=(PRETRAIN_SIZE, PRETRAIN_SIZE), batch_size=32,
                         folder: Path | None = None):
    """(train_dataset, validation_dataset) of the 12-class pretraining task (80/20, seed 42)."""
    return _split(pretrain_source_dir(folder), image_size, batch_size)


# --------------------------------------------------------------------------- gallery


def _gallery(root: Path, classes, per_class: int, title: str, columns: int = 6):
    from matplotlib.figure import Figure

    picks = []
    for label in classes:
        files = _image_files(root / label)
        step = max(1, len(files) // per_class)
        picks += [(label, p) for p in files[::step][:per_class]]
    rows = math.ceil(len(picks) / columns)
    fig = Figure(figsize=(2.0 * columns, 2.1 * rows))
    for k, (label, path) in enumerate(picks):
        ax = fig.add_subplot(rows, columns, k + 1)
        with Image.open(path) as image:
            ax.imshow(image.convert("RGB"))
        ax.set_title(label, fontsize=9)
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def alpaca_gallery(folder: Path):
    """A grid of alpaca and not-alpaca samples (folder = the data folder)."""
    return _gallery(Path(folder) / ALPACA_FOLDER, ALPACA_CLASSES, 12, "Alpaca / not alpaca")


def pretrain_gallery(folder: Path):
    """Three samples per class of the pretraining task."""
    return _gallery(Path(folder) / PRETRAIN_FOLDER, PRETRAIN_CLASSES, 3, "Pretraining source")


# --------------------------------------------------------------------------- registration


register(Dataset(
    name="alpaca",
    title="Alpaca / not alpaca",
    files=(f"{ALPACA_FOLDER}/",),
    generate=generate_alpaca,
    validate=validate_alpaca,
    seed=ALPACA_SEED,
    gallery=alpaca_gallery,
    description="142 alpaca and 185 not-alpaca photos of varied sizes (W2A2 transfer learning); "
                "read with image_dataset_from_directory, 80/20 split with seed 42.",
))

register(Dataset(
    name="pretrain_source",
    title="Pretraining source (12 classes)",
    files=(f"{PRETRAIN_FOLDER}/",),
    generate=generate_pretrain_source,
    validate=validate_pretrain_source,
    seed=PRETRAIN_SEED,
    version=PRETRAIN_VERSION,
    gallery=pretrain_gallery,
    description=f"{len(PRETRAIN_CLASSES)} classes x {PRETRAIN_PER_CLASS} pictures of "
                f"{PRETRAIN_SIZE}x{PRETRAIN_SIZE} (animals, vehicles, objects; no alpacas) to "
                "pretrain the MobileNetV2 base offline.",
))
