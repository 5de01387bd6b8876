"""CARLA-style street scenes: layout, pairing, mask convention, determinism, validation errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnn_course.datasets import _registry as reg
from cnn_course.datasets import carla, carla_render


def copy_of(small_carla: Path, tmp_path: Path) -> Path:
    shutil.copytree(small_carla / "carla", tmp_path / "carla")
    return tmp_path


def file_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_registered_with_the_original_layout():
    dataset = reg.get("carla")
    assert dataset.files == ("carla/",) and dataset.gallery is not None
    assert dataset.title == "CARLA-style street scenes (segmentation)"
    names = carla.class_names()
    assert len(names) == 23 == carla.NUM_CLASSES and len(carla.PALETTE) == 23
    assert (names[0], names[7], names[10], names[13], names[22]) == (
        "Unlabeled", "Road", "Vehicles", "Sky", "Terrain")


def test_layout_and_pairing(small_carla, small_carla_registry, small_carla_pairs):
    root = small_carla / "carla"
    assert sorted(p.name for p in root.iterdir()) == ["CameraMask", "CameraRGB"]
    images, masks = carla.image_mask_paths(small_carla, verbose=False)
    assert len(images) == len(masks) == small_carla_pairs
    assert images == sorted(images) and Path(images[0]).name == "000000.png"
    assert [Path(p).name for p in images] == [Path(p).name for p in masks]
    assert all(Path(p).parent.name == "CameraRGB" for p in images)
    assert all(Path(p).parent.name == "CameraMask" for p in masks)
    assert carla.carla_dir(small_carla, verbose=False) == root


def test_shapes_ids_and_the_red_channel_convention(small_carla):
    root = small_carla / "carla"
    seen = set()
    for name in sorted(p.name for p in (root / "CameraRGB").iterdir()):
        image, mask = carla.load_pair(root / "CameraRGB" / name, root / "CameraMask" / name)
        assert image.shape == (480, 640, 3) and image.dtype == np.uint8
        assert mask.shape == (480, 640) and mask.dtype == np.uint8
        assert mask.max() <= 22
        raw = np.asarray(Image.open(root / "CameraMask" / name))
        assert raw.shape == (480, 640, 3), "masks are RGB PNGs"
        assert not raw[..., 1:].any(), "green and blue are zero"
        np.testing.assert_array_equal(raw[..., 0], mask)
        np.testing.assert_array_equal(raw.max(axis=-1), mask)  # what the notebook computes
        assert (mask == carla.ROAD).mean() > 0.1, f"{name}: a street scene shows the road"
        assert image.std() > 20, f"{name}: the image is not flat"
        seen.update(np.unique(mask).tolist())
    assert {carla.ROAD, carla.BUILDING, carla.VEHICLES, carla.POLE} <= seen


def test_masks_use_the_course_frames_tags_and_show_the_bonnet():
    """As in the course's frames: only tags 0..12 (the sky is 0), and the recording car's
    bonnet, tagged Vehicles, fills the same rows at the bottom of every frame."""
    below = carla.HOOD_CREST + round(0.56 * (carla.HEIGHT - carla.HOOD_CREST))  # under its corners
    seen = set()
    for i in range(6):
        image, mask = carla.render_scene(np.random.default_rng([carla.CARLA_SEED, i]))
        seen.update(np.unique(mask).tolist())
        assert mask.max() < carla.COURSE_TAGS, f"scene {i}: tag {mask.max()} is not a course tag"
        assert (mask[below:] == carla.VEHICLES).all(), f"scene {i}: the bonnet's rows"
        assert mask[carla.HOOD_CREST + 2, carla.WIDTH // 2] == carla.VEHICLES
        assert mask[0, :].tolist().count(carla.UNLABELED) > 0, f"scene {i}: no sky in the top row"
    assert {carla.UNLABELED, carla.ROAD, carla.VEHICLES, carla.BUILDING} <= seen


def test_streets_have_one_lane_each_way_with_the_camera_in_the_right_hand_one():
    """As in CARLA 0.8's two towns: two lanes, one each way, the recording car on the right."""
    for i in range(40):
        scene = carla_render._Scene(np.random.default_rng([carla.CARLA_SEED, i]))
        street = carla_render._Street(scene)
        assert (street.lanes, street.two_way) == (2, True), f"street {i}"
        assert street.left + street.lane <= 0 < street.right, (
            f"street {i}: the camera is not in the right lane")
        assert street.right - street.left == pytest.approx(2 * street.lane)


def test_every_drawn_surface_has_a_course_tag():
    """The renderer's 23 kinds of surface map onto the 13 course tags; the first 13 to
    themselves."""
    assert carla.COURSE_TAG.shape == (carla.NUM_CLASSES,)
    np.testing.assert_array_equal(carla.COURSE_TAG[:13], np.arange(13))
    assert carla.COURSE_TAG.max() < carla.COURSE_TAGS
    drawn = [carla.SKY, carla.TERRAIN, carla.GUARDRAIL, carla.TRAFFICLIGHT]
    assert (carla.COURSE_TAG[drawn].tolist()
            == [carla.UNLABELED, carla.VEGETATION, carla.FENCE, carla.TRAFFICSIGN])


def test_files_decode_to_the_rendered_scene(small_carla):
    """The hand-written PNGs decode (with PIL, as TensorFlow would) to exactly what was drawn."""
    image, mask = carla.render_scene(np.random.default_rng([carla.CARLA_SEED, 1]))
    root = small_carla / "carla"
    loaded = carla.load_pair(root / "CameraRGB" / "000001.png", root / "CameraMask" / "000001.png")
    np.testing.assert_array_equal(loaded[0], image)
    np.testing.assert_array_equal(loaded[1], mask)


def test_same_seed_same_bytes(small_carla, tmp_path):
    carla.generate_carla(tmp_path / "a", counts=2)
    carla.generate_carla(tmp_path / "b", counts=2)
    first = file_bytes(tmp_path / "a")
    assert len(first) == 4 and first == file_bytes(tmp_path / "b")
    # a small version is the start of the full one: pair i has its own random stream
    assert all(value == (small_carla / k).read_bytes() for k, value in first.items())
    carla.generate_carla(tmp_path / "c", counts=2, seed=carla.CARLA_SEED + 1)
    assert file_bytes(tmp_path / "c") != first


def test_generated_once_then_reused(tmp_path, small_carla_registry, small_carla_pairs, capsys):
    folder, source = reg.prepare("carla", tmp_path)
    assert (folder, source) == (tmp_path, "stand-in")
    assert small_carla_registry.marker(tmp_path).exists()
    before = file_bytes(tmp_path / "carla")
    assert len(before) == 2 * small_carla_pairs
    assert reg.prepare("carla", tmp_path) == (tmp_path, "stand-in")
    assert file_bytes(tmp_path / "carla") == before
    assert "using the generated stand-in" in capsys.readouterr().out


def test_original_files_reported_and_never_overwritten(small_carla, tmp_path, small_carla_registry):
    copy_of(small_carla, tmp_path)
    before = file_bytes(tmp_path)
    assert reg.prepare("carla", tmp_path, verbose=False) == (tmp_path, "original")
    assert reg.source_of(small_carla_registry, tmp_path) == "original"
    assert file_bytes(tmp_path) == before and not small_carla_registry.marker(tmp_path).exists()
    with pytest.raises(reg.DatasetError, match="already exists"):
        carla.generate_carla(tmp_path, counts=1)
    assert file_bytes(tmp_path) == before


def test_an_incomplete_original_is_refused_not_completed(small_carla, tmp_path):
    """The real entry expects 1,060 pairs: a folder of 4 fails validation and stays as it is."""
    copy_of(small_carla, tmp_path)
    before = file_bytes(tmp_path)
    with pytest.raises(reg.DatasetError, match="holds 4 image/mask pairs, expected 1060"):
        reg.prepare("carla", tmp_path, verbose=False)
    assert file_bytes(tmp_path) == before
    assert reg.source_of(reg.get("carla"), tmp_path) == "original"


def _write_mask(path: Path, red: np.ndarray, green: int = 0) -> None:
    rgb = np.zeros((*red.shape, 3), np.uint8)
    rgb[..., 0], rgb[..., 1] = red, green
    Image.fromarray(rgb).save(path)


def _no_mask_folder(root: Path) -> None:
    shutil.rmtree(root / "CameraMask")


def _mask_without_image(root: Path) -> None:
    (root / "CameraRGB" / "000002.png").unlink()


def _image_without_mask(root: Path) -> None:
    (root / "CameraMask" / "000001.png").unlink()


def _wrong_size(root: Path) -> None:
    Image.new("RGB", (320, 240)).save(root / "CameraRGB" / "000001.png")


def _class_id_30(root: Path) -> None:
    red = np.asarray(Image.open(root / "CameraMask" / "000003.png"))[..., 0].copy()
    red[100, 200] = 30
    _write_mask(root / "CameraMask" / "000003.png", red)


def _green_channel(root: Path) -> None:
    red = np.asarray(Image.open(root / "CameraMask" / "000000.png"))[..., 0]
    _write_mask(root / "CameraMask" / "000000.png", red, green=7)


def _truncated(root: Path) -> None:
    path = root / "CameraMask" / "000002.png"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _not_a_png(root: Path) -> None:
    (root / "CameraRGB" / "000000.png").write_bytes(b"GIF89a" + bytes(40))


@pytest.mark.parametrize("corrupt, message", [
    (_no_mask_folder, r"CameraMask is missing"),
    (_mask_without_image,
     r"CameraMask/000002\.png has no partner: .*CameraRGB/000002\.png is missing"),
    (_image_without_mask, r"CameraRGB/000001\.png has no partner"),
    (_wrong_size, r"CameraRGB/000001\.png is 320x240 \(width x height\), expected 640x480"),
    (_class_id_30, r"CameraMask/000003\.png holds class id 30, expected ids 0\.\.22"),
    (_green_channel, r"CameraMask/000000\.png: the green/blue channels hold values up to 7"),
    (_truncated, r"CameraMask/000002\.png cannot be decoded as PNG"),
    (_not_a_png, r"CameraRGB/000000\.png is not a PNG file"),
])
def test_validation_names_the_file(small_carla, small_carla_pairs, tmp_path, corrupt, message):
    copy_of(small_carla, tmp_path)
    carla.validate_carla(tmp_path, count=small_carla_pairs)  # intact copy passes
    corrupt(tmp_path / "carla")
    with pytest.raises(reg.DatasetError, match=message):
        carla.validate_carla(tmp_path, count=small_carla_pairs)


def test_load_pair_checks_what_it_reads(small_carla, tmp_path):
    copy_of(small_carla, tmp_path)
    root = tmp_path / "carla"
    _class_id_30(root)
    with pytest.raises(reg.DatasetError, match="holds class id 30"):
        carla.load_pair(root / "CameraRGB" / "000003.png", root / "CameraMask" / "000003.png")


def test_gallery_shows_pairs_and_a_legend(small_carla, small_carla_registry):
    fig = carla.gallery(small_carla, rows=2)
    assert len(fig.axes) == 4 and all(ax.images for ax in fig.axes)
    labels = [text.get_text() for legend in fig.legends for text in legend.get_texts()]
    assert "7 Road" in labels
