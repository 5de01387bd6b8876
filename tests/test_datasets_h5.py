"""Happy House and SIGNS: loaders, the original layout, deterministic stand-ins and clear errors."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from cnn_course.datasets import DatasetError, get, source_of
from cnn_course.datasets import h5sets as hs

SMALL_HAPPY = ((3, 4), (2, 3))  # per class (not smiling, smiling) for (train, test)
SMALL_SIGNS = (2, 1)  # per class for (train, test)
NAMES = {"happy": ("train_happy.h5", "test_happy.h5"), "signs": ("train_signs.h5", "test_signs.h5")}
LOADERS = {"happy": hs.load_happy_dataset, "signs": hs.load_signs_dataset}
CLASSES = {"happy": [0, 1], "signs": [0, 1, 2, 3, 4, 5]}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_original(folder: Path, name: str, m_train: int = 12, m_test: int = 6, **changes) -> None:
    """Files in the original course's layout, written here with h5py (no stand-in marker).

    ``changes`` replace or drop (value None) a key of both files, e.g. train_set_x=...
    """
    rng = np.random.default_rng(0)
    classes = np.array(CLASSES[name], dtype=np.int64)
    for split, m in (("train", m_train), ("test", m_test)):
        data = {f"{split}_set_x": rng.integers(0, 256, size=(m, 64, 64, 3), dtype=np.uint8),
                f"{split}_set_y": np.resize(classes, m),
                "list_classes": classes}
        for key, value in changes.items():
            key = key.replace("SPLIT", split)
            if value is None:
                data.pop(key, None)
            elif key in data:
                data[key] = value(m) if callable(value) else value
        with h5py.File(folder / f"{split}_{name}.h5", "w") as f:
            for key, value in data.items():
                f[key] = value


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """Both stand-ins at full size, generated once by the loaders: {name: (outputs, seconds)}."""
    folder = tmp_path_factory.mktemp("data")
    results = {}
    for name, load in LOADERS.items():
        started = time.perf_counter()
        results[name] = (load(folder), time.perf_counter() - started)
    return folder, results


def test_happy_loader_keeps_the_original_convention(full):
    folder, results = full
    (x_train, y_train, x_test, y_test, classes), seconds = results["happy"]
    assert x_train.shape == (600, 64, 64, 3) and x_test.shape == (150, 64, 64, 3)
    assert x_train.dtype == x_test.dtype == np.uint8
    assert y_train.shape == (1, 600) and y_test.shape == (1, 150)
    assert y_train.dtype == y_test.dtype == np.int64
    assert list(classes) == [0, 1]
    assert np.bincount(y_test.ravel()).tolist() == [66, 84], "as the original: 66 not, 84 smiling"
    assert np.bincount(y_train.ravel()).tolist() == [300, 300]
    assert source_of(get("happy"), folder) == "stand-in"
    assert seconds < 60, f"generating Happy House took {seconds:.1f} s"


def test_signs_loader_keeps_the_original_convention(full):
    folder, results = full
    (x_train, y_train, x_test, y_test, classes), seconds = results["signs"]
    assert x_train.shape == (1080, 64, 64, 3) and x_test.shape == (120, 64, 64, 3)
    assert x_train.dtype == x_test.dtype == np.uint8
    assert y_train.shape == (1, 1080) and y_test.shape == (1, 120)
    assert y_train.dtype == y_test.dtype == np.int64
    assert list(classes) == [0, 1, 2, 3, 4, 5]
    assert np.bincount(y_train.ravel()).tolist() == [180] * 6
    assert np.bincount(y_test.ravel()).tolist() == [20] * 6
    assert seconds < 60, f"generating SIGNS took {seconds:.1f} s"


def test_stand_in_images_vary(full):
    """Not blank, not constant, and no two images alike."""
    for name in LOADERS:
        x_train = full[1][name][0][0]
        assert 40 < x_train.mean() < 215 and x_train.std() > 20
        flat = x_train.reshape(len(x_train), -1)
        assert len(np.unique(flat[:100], axis=0)) == 100
        per_image = flat.astype(np.float32).std(axis=1)
        assert per_image.min() > 5, f"{name}: an image is nearly uniform"


def test_the_stand_in_is_reused_and_reported(full, capsys):
    folder, _ = full
    before = {f: digest(folder / f) for f in NAMES["happy"]}
    hs.load_happy_dataset(folder)
    assert "using the generated stand-in" in capsys.readouterr().out
    assert before == {f: digest(folder / f) for f in NAMES["happy"]}


@pytest.mark.parametrize("name", ["happy", "signs"])
def test_generation_is_deterministic(name, tmp_path):
    generate = {"happy": hs.generate_happy, "signs": hs.generate_signs}[name]
    counts = SMALL_HAPPY if name == "happy" else SMALL_SIGNS
    generate(tmp_path / "a", counts=counts)
    time.sleep(1.1)  # any timestamp in the files would now differ
    generate(tmp_path / "b", counts=counts)
    generate(tmp_path / "c", counts=counts, seed=12345)
    for file in NAMES[name]:
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes(), file
        assert digest(tmp_path / "a" / file) != digest(tmp_path / "c" / file), "the seed matters"


def test_small_counts_give_the_layout_and_balance(tmp_path):
    hs.generate_happy(tmp_path, counts=SMALL_HAPPY)
    hs.generate_signs(tmp_path, counts=SMALL_SIGNS)
    hs.validate_happy(tmp_path)
    hs.validate_signs(tmp_path)
    with h5py.File(tmp_path / "test_happy.h5") as f:
        assert sorted(f.keys()) == ["list_classes", "test_set_x", "test_set_y"]
        assert f["test_set_x"].shape == (5, 64, 64, 3) and f["test_set_x"].dtype == np.uint8
        assert f["test_set_y"].dtype == np.int64
        assert np.bincount(f["test_set_y"][()]).tolist() == [2, 3]
        assert f["list_classes"][()].tolist() == [0, 1]
    with h5py.File(tmp_path / "train_signs.h5") as f:
        assert sorted(f.keys()) == ["list_classes", "train_set_x", "train_set_y"]
        assert np.bincount(f["train_set_y"][()]).tolist() == [2] * 6


def test_bad_counts_are_refused(tmp_path):
    with pytest.raises(ValueError, match="per-class counts"):
        hs.generate_signs(tmp_path, counts=((1, 2, 3), 1))
    with pytest.raises(ValueError, match=r"\(train, test\)"):
        hs.generate_happy(tmp_path, counts=(1, 2, 3))


@pytest.mark.parametrize("name", ["happy", "signs"])
def test_original_files_are_used_as_they_are(name, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CNN_COURSE_DATA", str(tmp_path))
    write_original(tmp_path, name)
    before = {f: digest(tmp_path / f) for f in NAMES[name]}
    x_train, y_train, x_test, y_test, classes = LOADERS[name]()  # the folder: $CNN_COURSE_DATA
    assert "using the original files" in capsys.readouterr().out
    assert source_of(get(name), tmp_path) == "original"
    assert before == {f: digest(tmp_path / f) for f in NAMES[name]}, "nothing is overwritten"
    assert x_train.shape == (12, 64, 64, 3) and y_train.shape == (1, 12) and y_test.shape == (1, 6)
    with h5py.File(tmp_path / NAMES[name][0]) as f:
        np.testing.assert_array_equal(x_train, f["train_set_x"][()])
    assert list(classes) == CLASSES[name]


def test_unsigned_labels_are_accepted_and_returned_as_int64(tmp_path):
    labels = np.array([0, 1], np.uint8)
    write_original(tmp_path, "happy", SPLIT_set_y=lambda m: np.resize(labels, m))
    y_train = hs.load_happy_dataset(tmp_path)[1]
    assert y_train.dtype == np.int64


@pytest.mark.parametrize("name", ["happy", "signs"])
def test_a_test_file_without_its_train_file_is_refused(name, tmp_path):
    write_original(tmp_path, name)
    (tmp_path / NAMES[name][0]).unlink()
    test_bytes = (tmp_path / NAMES[name][1]).read_bytes()
    with pytest.raises(DatasetError, match=f"but not {NAMES[name][0]}"):
        LOADERS[name](tmp_path)
    assert (tmp_path / NAMES[name][1]).read_bytes() == test_bytes
    assert not (tmp_path / NAMES[name][0]).exists(), "no stand-in is mixed with an original file"


@pytest.mark.parametrize("name", ["happy", "signs"])
def test_a_truncated_file_is_named(name, tmp_path):
    write_original(tmp_path, name)
    path = tmp_path / NAMES[name][1]
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetError, match=f"{NAMES[name][1]} cannot be read as HDF5.*truncated"):
        LOADERS[name](tmp_path)


@pytest.mark.parametrize(("changes", "expected"), [
    ({"SPLIT_set_x": None}, r"train_happy\.h5 has keys \['list_classes', 'train_set_y'\].*missing: "
                            r"train_set_x"),
    ({"SPLIT_set_x": lambda m: np.zeros((m, 32, 32, 3), np.uint8)},
     r"train_happy\.h5: train_set_x has shape \(12, 32, 32, 3\), expected \(None, 64, 64, 3\)"),
    ({"SPLIT_set_x": lambda m: np.zeros((m, 64, 64, 3), np.float32)},
     r"train_happy\.h5: train_set_x has dtype float32, expected kind 'u'"),
    ({"SPLIT_set_y": lambda m: np.zeros((m, 1), np.int64)},
     r"train_happy\.h5: train_set_y has shape \(12, 1\), expected \(None,\)"),
    ({"SPLIT_set_y": lambda m: np.zeros(m, np.float64)},
     r"train_happy\.h5: train_set_y has dtype float64, expected kind \('i', 'u'\)"),
    ({"SPLIT_set_y": lambda m: np.zeros(m - 1, np.int64)},
     r"train_happy\.h5: train_set_x holds 12 images but train_set_y 11 labels"),
    ({"SPLIT_set_y": lambda m: np.full(m, 2, np.int64)},
     r"train_happy\.h5: train_set_y holds labels \[2\] outside list_classes; "
     r"expected values in \[0, 1\]"),
    ({"list_classes": np.array([0, 1, 2], np.int64)},
     r"train_happy\.h5: list_classes is \[0, 1, 2\], expected \[0, 1\]"),
])
def test_a_wrong_layout_names_the_file_what_was_found_and_expected(changes, expected, tmp_path):
    write_original(tmp_path, "happy", **changes)
    with pytest.raises(DatasetError, match=expected):
        hs.load_happy_dataset(tmp_path)


def test_signs_labels_outside_0_to_5_are_refused(tmp_path):
    labels = np.array([0, 6], np.int64)
    write_original(tmp_path, "signs", SPLIT_set_y=lambda m: np.resize(labels, m))
    with pytest.raises(DatasetError, match=r"train_signs\.h5: train_set_y holds labels \[6\]"):
        hs.load_signs_dataset(tmp_path)


def test_registration():
    for name, files in NAMES.items():
        dataset = get(name)
        assert dataset.files == files
        assert dataset.gallery is not None and dataset.description
        assert dataset.generate in (hs.generate_happy, hs.generate_signs)


def test_galleries_show_labelled_samples(full, tmp_path):
    folder, _ = full
    expected = {"happy": {"smiling", "not smiling"}, "signs": {f"k = {k}" for k in range(6)}}
    for name, labels in expected.items():
        figure = get(name).gallery(folder)
        axes = figure.get_axes()
        assert len(axes) == 32
        titles = {ax.get_title() for ax in axes}
        assert titles <= labels and len(titles) >= 2
        figure.savefig(tmp_path / f"{name}.png", dpi=50)
        assert (tmp_path / f"{name}.png").stat().st_size > 1000
