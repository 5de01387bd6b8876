"""Happy House and SIGNS: loaders, validation, offline stand-ins, galleries.

Both datasets keep the original course's HDF5 layout, one file per split:

=================  ==========================================  =========================
file               keys                                        content
=================  ==========================================  =========================
train_happy.h5     train_set_x, train_set_y, list_classes      600 faces, 1 = smiling
test_happy.h5      test_set_x, test_set_y, list_classes        150 faces (66 / 84)
train_signs.h5     train_set_x, train_set_y, list_classes      1080 hands, 180 per digit
test_signs.h5      test_set_x, test_set_y, list_classes        120 hands, 20 per digit
=================  ==========================================  =========================

Images are (m, 64, 64, 3) uint8, labels (m,) int64, ``list_classes`` the class
values ([0, 1] or [0, ..., 5]). The loaders return the original course's
``(X_train_orig, Y_train_orig, X_test_orig, Y_test_orig, classes)`` with the
labels shaped (1, m).

Without the original files, a stand-in is rendered (see
:mod:`cnn_course.datasets.render_faces_hands`): the training set of Happy House
has 300 smiling and 300 not smiling faces. In SIGNS, k fingers are raised: the
first k of index, middle, ring and little finger for k <= 4 (thumb folded across
the palm), all five with the thumb for k = 5. The four files take about 23 MB.

Both stand-ins are real learning problems: a logistic regression on raw pixels stays far
behind a small CNN (the course's benchmarks train both; ``docs/results.md`` in the course
repository has the numbers).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cnn_course.datasets._h5 import read_h5
from cnn_course.datasets._registry import Dataset, DatasetError, data_dir, prepare, register
from cnn_course.datasets.render_faces_hands import render_faces, render_hands

HAPPY_SEED = 20_240_601
SIGNS_SEED = 20_240_602

HAPPY_CLASSES = (0, 1)
SIGNS_CLASSES = (0, 1, 2, 3, 4, 5)
# images per class, (train, test), as in the originals
HAPPY_COUNTS = ((300, 300), (66, 84))
SIGNS_COUNTS = ((180,) * 6, (20,) * 6)

_IMAGE = ((None, 64, 64, 3), "u")
_LABELS = ((None,), ("i", "u"))


def _spec(split: str) -> dict[str, tuple]:
    return {f"{split}_set_x": _IMAGE, f"{split}_set_y": _LABELS, "list_classes": _LABELS}


# ----------------------------------------------------------------------------- writing

def _write_split(path: Path, split: str, x: np.ndarray, y: np.ndarray,
                 classes: Sequence[int]) -> None:
    """One split in the original layout, byte-reproducible (no timestamps, fixed format)."""
    import h5py

    with h5py.File(path, "w", libver=("earliest", "v110"), track_order=False) as f:
        f.create_dataset(f"{split}_set_x", data=x, track_times=False)
        f.create_dataset(f"{split}_set_y", data=y.astype(np.int64), track_times=False)
        f.create_dataset("list_classes", data=np.asarray(classes, dtype=np.int64),
                         track_times=False)


def _per_class(counts, n_classes: int, name: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Normalise ``counts`` = (train, test), each an int (per class) or one count per class."""
    if len(counts) != 2:
        raise ValueError(f"{name}: counts must be (train, test), got {counts!r}")
    result = []
    for split in counts:
        split = (int(split),) * n_classes if np.isscalar(split) else tuple(int(c) for c in split)
        if len(split) != n_classes or min(split) < 0:
            raise ValueError(f"{name}: each split needs {n_classes} non-negative per-class counts, "
                             f"got {split!r}")
        result.append(split)
    return result[0], result[1]


def _generate(folder: Path, prefix: str, classes: Sequence[int], counts, seed: int, render) -> None:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    # one independent stream per split: the test set does not depend on the training set's size
    streams = np.random.default_rng(seed).spawn(2)
    for split, per_class, rng in zip(("train", "test"), counts, streams, strict=True):
        labels = rng.permutation(np.repeat(np.asarray(classes, dtype=np.int64), per_class))
        images = render(rng, labels)
        _write_split(folder / f"{split}_{prefix}.h5", split, images, labels, classes)


def generate_happy(folder: Path, counts=None, seed: int = HAPPY_SEED) -> None:
    """Write the Happy House stand-in (``train_happy.h5``, ``test_happy.h5``) into ``folder``.

    ``counts`` = (train, test), each an int (images per class) or (not smiling, smiling);
    default ((300, 300), (66, 84)). Smaller counts make quick versions for tests.
    """
    counts = _per_class(counts or HAPPY_COUNTS, len(HAPPY_CLASSES), "happy")
    _generate(folder, "happy", HAPPY_CLASSES, counts, seed, render_faces)


def generate_signs(folder: Path, counts=None, seed: int = SIGNS_SEED) -> None:
    """Write the SIGNS stand-in (``train_signs.h5``, ``test_signs.h5``) into ``folder``.

    ``counts`` = (train, test), each an int (images per class) or six per-class counts;
    default (180, 20).
    """
    counts = _per_class(counts or SIGNS_COUNTS, len(SIGNS_CLASSES), "signs")
    _generate(folder, "signs", SIGNS_CLASSES, counts, seed, render_hands)


# ----------------------------------------------------------------------------- reading

def _read(folder: Path, prefix: str, classes: Sequence[int]) -> tuple[np.ndarray, ...]:
    """(X_train, y_train, X_test, y_test, classes) checked against the original layout."""
    out = []
    found_classes = None
    for split in ("train", "test"):
        path = Path(folder) / f"{split}_{prefix}.h5"
        data = read_h5(path, _spec(split))
        x, y, found_classes = data[f"{split}_set_x"], data[f"{split}_set_y"], data["list_classes"]
        if len(x) != len(y):
            raise DatasetError(f"{path}: {split}_set_x holds {len(x)} images but {split}_set_y "
                               f"{len(y)} labels; expected as many labels as images")
        if found_classes.tolist() != list(classes):
            raise DatasetError(f"{path}: list_classes is {found_classes.tolist()}, "
                               f"expected {list(classes)}")
        bad = ~np.isin(y, classes)
        if bad.any():
            found = sorted(set(y[bad].tolist()))[:5]
            raise DatasetError(f"{path}: {split}_set_y holds labels {found} outside list_classes; "
                               f"expected values in {list(classes)}")
        out += [x, y.astype(np.int64)]
    return (*out, np.asarray(found_classes))


def validate_happy(folder: Path) -> None:
    """Raise DatasetError naming the file, what was found and what was expected."""
    _read(folder, "happy", HAPPY_CLASSES)


def validate_signs(folder: Path) -> None:
    """Raise DatasetError naming the file, what was found and what was expected."""
    _read(folder, "signs", SIGNS_CLASSES)


def _load(name: str, prefix: str, classes: Sequence[int], folder: Path | None):
    folder, _ = prepare(name, folder)
    x_train, y_train, x_test, y_test, found = _read(folder, prefix, classes)
    return x_train, y_train.reshape(1, -1), x_test, y_test.reshape(1, -1), found


def load_happy_dataset(folder: Path | None = None):
    """Happy House: ``(X_train_orig, Y_train_orig, X_test_orig, Y_test_orig, classes)``.

    X: (m, 64, 64, 3) uint8 faces; Y: (1, m) int64, 1 = smiling; classes: [0, 1].
    ``folder`` defaults to the course's data folder (``$CNN_COURSE_DATA``); the
    stand-in is generated there once when the original files are absent.
    """
    return _load("happy", "happy", HAPPY_CLASSES, folder)


def load_signs_dataset(folder: Path | None = None):
    """SIGNS: ``(X_train_orig, Y_train_orig, X_test_orig, Y_test_orig, classes)``.

    X: (m, 64, 64, 3) uint8 hands; Y: (1, m) int64, the number of fingers shown
    (0..5); classes: [0, 1, 2, 3, 4, 5].
    """
    return _load("signs", "signs", SIGNS_CLASSES, folder)


# ----------------------------------------------------------------------------- galleries

def _gallery(folder: Path | None, prefix: str, title, rows: int, cols: int):
    from matplotlib.figure import Figure

    folder = Path(folder) if folder else data_dir()
    data = read_h5(folder / f"train_{prefix}.h5", _spec("train"))
    x, y = data["train_set_x"], data["train_set_y"]
    fig = Figure(figsize=(cols * 1.3, rows * 1.45), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i < len(x):
            ax.imshow(x[i])
            ax.set_title(title(int(y[i])), fontsize=9)
    return fig


def gallery_happy(folder: Path | None = None, rows: int = 4, cols: int = 8):
    """A matplotlib Figure with the first training images of Happy House and their labels."""
    return _gallery(folder, "happy", lambda y: "smiling" if y == 1 else "not smiling", rows, cols)


def gallery_signs(folder: Path | None = None, rows: int = 4, cols: int = 8):
    """A matplotlib Figure with the first training images of SIGNS and their labels."""
    return _gallery(folder, "signs", lambda y: f"k = {y}", rows, cols)


# ----------------------------------------------------------------------------- registration

HAPPY = register(Dataset(
    name="happy",
    title="Happy House",
    files=("train_happy.h5", "test_happy.h5"),
    generate=generate_happy,
    validate=validate_happy,
    seed=HAPPY_SEED,
    gallery=gallery_happy,
    description="64x64 RGB faces, label 1 = smiling; 600 train (300 / 300), 150 test "
                "(66 not smiling / 84 smiling). Stand-in: rendered people in cluttered rooms with "
                "varied position, size, tilt, skin, hair, glasses, lighting and noise.",
))

SIGNS = register(Dataset(
    name="signs",
    title="SIGNS",
    files=("train_signs.h5", "test_signs.h5"),
    generate=generate_signs,
    validate=validate_signs,
    seed=SIGNS_SEED,
    gallery=gallery_signs,
    description="64x64 RGB hands showing 0..5 fingers; 1080 train, 120 test, balanced. "
                "Stand-in: rendered hands (k <= 4: index to little finger raised, thumb folded; "
                "k = 5: thumb out too), left and right, rotated, over varied backgrounds.",
))
