"""Alpaca / not alpaca and the pretraining source: layout, split, determinism, errors."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from cnn_course.datasets import DatasetError, get, prepare, source_of  # noqa: E402
from cnn_course.datasets import alpaca as al  # noqa: E402


def _jpegs(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.jpg"))


def _fake_original(root: Path, counts: dict[str, int] | None = None) -> Path:
    """Tiny JPEGs in the original layout (stands for a copy of the course's files)."""
    rng = np.random.default_rng(0)
    for label, n in (counts or al.ALPACA_COUNTS).items():
        (root / al.ALPACA_FOLDER / label).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            pixels = rng.integers(0, 256, size=(12, 16, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / al.ALPACA_FOLDER / label / f"{i:04x}.jpg")
    return root


@pytest.fixture(scope="module")
def standin(tmp_path_factory) -> Path:
    """The full alpaca stand-in, generated once through the registry."""
    folder = tmp_path_factory.mktemp("alpaca-data")
    root, source = prepare("alpaca", folder, verbose=False)
    assert source == "stand-in"
    return root


def test_registered_with_the_original_layout():
    dataset = get("alpaca")
    assert dataset.files == ("alpaca_dataset/",)
    assert dataset.gallery is not None and dataset.seed == al.ALPACA_SEED
    assert get("pretrain_source").files == ("pretrain_source/",)
    assert not set(al.PRETRAIN_CLASSES) & {"alpaca", "llama", "short_neck", "giraffe"}
    assert len(al.PRETRAIN_CLASSES) >= 10


def test_standin_layout_counts_and_sizes(standin):
    root = standin / "alpaca_dataset"
    assert sorted(p.name for p in root.iterdir()) == ["alpaca", "not alpaca"]
    assert len(_jpegs(root / "alpaca")) == 142
    assert len(_jpegs(root / "not alpaca")) == 185
    sizes = set()
    for path in _jpegs(root / "alpaca")[:20] + _jpegs(root / "not alpaca")[:20]:
        with Image.open(path) as image:
            assert image.format == "JPEG" and image.mode == "RGB"
            assert 180 <= min(image.size) and max(image.size) <= 400, path.name
            sizes.add(image.size)
    assert len(sizes) > 30, "the photos should have varied sizes and aspect ratios"
    assert source_of(get("alpaca"), standin) == "stand-in"


def test_load_alpaca_datasets_gives_the_course_split(standin, capsys):
    train, validation = al.load_alpaca_datasets(folder=standin)
    assert "using the generated stand-in" in capsys.readouterr().out
    assert train.class_names == ["alpaca", "not alpaca"]
    assert validation.class_names == ["alpaca", "not alpaca"]
    n_train = sum(int(y.shape[0]) for _, y in train)
    n_val = sum(int(y.shape[0]) for _, y in validation)
    assert (n_train, n_val) == (262, 65)
    images, labels = next(iter(train))
    assert tuple(images.shape) == (32, 160, 160, 3) and tuple(labels.shape) == (32,)
    assert 0 < int(np.sum(labels.numpy())) < 32, "a batch mixes both classes"


def test_generation_is_deterministic_and_independent_of_counts(tmp_path, standin):
    counts = {"alpaca": 3, "not alpaca": 4}
    al.generate_alpaca(tmp_path / "a", counts)
    al.generate_alpaca(tmp_path / "b", counts)
    for label, n in counts.items():
        first = _jpegs(tmp_path / "a" / "alpaca_dataset" / label)
        second = _jpegs(tmp_path / "b" / "alpaca_dataset" / label)
        assert len(first) == len(second) == n
        assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    full = _jpegs(standin / "alpaca_dataset" / "alpaca")[:3]
    small = _jpegs(tmp_path / "a" / "alpaca_dataset" / "alpaca")
    assert [p.read_bytes() for p in small] == [p.read_bytes() for p in full]
    al.generate_pretrain_source(tmp_path / "c", counts=1)
    al.generate_pretrain_source(tmp_path / "d", counts=1)
    for label in al.PRETRAIN_CLASSES:
        assert [p.read_bytes() for p in _jpegs(tmp_path / "c" / "pretrain_source" / label)] == \
            [p.read_bytes() for p in _jpegs(tmp_path / "d" / "pretrain_source" / label)]


def test_prepare_again_rewrites_nothing(standin):
    files = _jpegs(standin / "alpaca_dataset" / "alpaca")[:5]
    before = [(p.stat().st_mtime_ns, p.read_bytes()) for p in files]
    assert prepare("alpaca", standin, verbose=False)[1] == "stand-in"
    assert [(p.stat().st_mtime_ns, p.read_bytes()) for p in files] == before


def test_original_files_are_used_as_they_are(tmp_path, monkeypatch, capsys):
    _fake_original(tmp_path)
    monkeypatch.setenv("CNN_COURSE_DATA", str(tmp_path))
    before = {p: p.read_bytes() for p in (tmp_path / "alpaca_dataset").rglob("*.jpg")}
    assert al.alpaca_dir() == tmp_path / "alpaca_dataset"
    assert "using the original files" in capsys.readouterr().out
    assert source_of(get("alpaca"), tmp_path) == "original"
    assert not get("alpaca").marker(tmp_path).exists()
    assert {p: p.read_bytes() for p in (tmp_path / "alpaca_dataset").rglob("*.jpg")} == before


def test_one_subfolder_missing_is_an_error(tmp_path):
    _fake_original(tmp_path, {"alpaca": 142})
    with pytest.raises(DatasetError, match="not alpaca"):
        al.alpaca_dir(tmp_path)


def test_wrong_count_is_an_error(tmp_path):
    _fake_original(tmp_path)
    _jpegs(tmp_path / "alpaca_dataset" / "alpaca")[0].unlink()
    _jpegs(tmp_path / "alpaca_dataset" / "alpaca")[1].unlink()
    expected = "alpaca_dataset/alpaca has 140 JPEG files, expected 142"
    with pytest.raises(DatasetError, match=expected):
        al.alpaca_dir(tmp_path)


def test_corrupt_jpeg_is_named(tmp_path):
    _fake_original(tmp_path)
    bad = _jpegs(tmp_path / "alpaca_dataset" / "not alpaca")[7]
    bad.write_bytes(bad.read_bytes()[: len(bad.read_bytes()) // 2])  # truncated
    with pytest.raises(DatasetError, match=f"not alpaca/{bad.name}.*truncated or corrupt"):
        al.alpaca_dir(tmp_path)
    bad.write_bytes(b"this is not a picture")
    with pytest.raises(DatasetError, match=bad.name):
        al.validate_alpaca(tmp_path)


def test_extra_class_folder_is_an_error(tmp_path):
    _fake_original(tmp_path)
    (tmp_path / "alpaca_dataset" / "llama").mkdir()
    with pytest.raises(DatasetError, match="unexpected 'llama'"):
        al.validate_alpaca(tmp_path)


def test_pretrain_source_small_version_is_readable(tmp_path):
    import tensorflow as tf

    al.generate_pretrain_source(tmp_path, counts=2)
    root = tmp_path / "pretrain_source"
    assert sorted(p.name for p in root.iterdir()) == sorted(al.PRETRAIN_CLASSES)
    with Image.open(_jpegs(root / "sheep")[0]) as image:
        assert image.size == (al.PRETRAIN_SIZE, al.PRETRAIN_SIZE)
    ds = tf.keras.utils.image_dataset_from_directory(str(root), image_size=(64, 64), batch_size=8)
    assert ds.class_names == sorted(al.PRETRAIN_CLASSES)
    assert sum(int(y.shape[0]) for _, y in ds) == 2 * len(al.PRETRAIN_CLASSES)
    expected = f"pretrain_source/bicycle has 2 JPEG files, expected {al.PRETRAIN_PER_CLASS}"
    with pytest.raises(DatasetError, match=expected):
        al.validate_pretrain_source(tmp_path)


def test_galleries(standin, tmp_path):
    from matplotlib.figure import Figure

    fig = al.alpaca_gallery(standin)
    assert isinstance(fig, Figure) and len(fig.axes) == 24
    assert {ax.get_title() for ax in fig.axes} == {"alpaca", "not alpaca"}
    al.generate_pretrain_source(tmp_path, counts=1)
    fig = al.pretrain_gallery(tmp_path)
    assert {ax.get_title() for ax in fig.axes} == set(al.PRETRAIN_CLASSES)
