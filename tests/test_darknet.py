"""The Darknet loader (cnn_course.utils.darknet) against a numpy re-implementation of Darknet.

A tiny ``.cfg`` uses every supported section (a strided, padded convolution, max pooling,
routes to one and two layers, reorg, region); its ``.weights`` file holds distinct random
values. The reference below reads that file in Darknet's order by itself and runs the
network the way Darknet's C code does, channel-first, with its batch normalisation
(``sqrt(variance) + 1e-6``), its max-pool padding and its reorg index arithmetic; the Keras
model must agree with it to 1e-5 (relative to the output's scale).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from cnn_course.utils import darknet as dn

CFG = """
[net]
height=8
width=8
channels=3

# 0: 8x8x4
[convolutional]
batch_normalize=1
filters=4
size=3
stride=1
pad=1
activation=leaky

[maxpool]   ; 1: 4x4x4
size=2
stride=2

[convolutional]
batch_normalize=1
filters=6
size=3
stride=1
pad=1
activation=leaky

[route]
layers=-3

[convolutional]
batch_normalize=1
filters=4
size=1
stride=1
pad=1
activation=leaky

[reorg]
stride=2

[route]
layers=-1,-4

[convolutional]
batch_normalize=1
filters=5
size=3
stride=2
pad=1
activation=leaky

[convolutional]
filters=16
size=1
stride=1
pad=1
activation=linear

[region]
anchors=0.5,1.0, 2.0,1.5
classes=3
num=2
"""


# ----------------------------------------------------------------------------- Darknet, in numpy


def _conv(x, weights, stride, pad):
    channels, height, width = x.shape
    filters, _, size, _ = weights.shape
    padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    out_h, out_w = (height + 2 * pad - size) // stride + 1, (width + 2 * pad - size) // stride + 1
    out = np.zeros((filters, out_h, out_w))
    for row in range(out_h):
        for col in range(out_w):
            patch = padded[:, row * stride:row * stride + size, col * stride:col * stride + size]
            out[:, row, col] = np.tensordot(weights, patch, axes=([1, 2, 3], [0, 1, 2]))
    return out


def _maxpool(x, size, stride):
    channels, height, width = x.shape
    pad = size - 1
    offset = -(pad // 2)
    out_h, out_w = (height + pad - size) // stride + 1, (width + pad - size) // stride + 1
    out = np.full((channels, out_h, out_w), -np.inf)
    for row in range(out_h):
        for col in range(out_w):
            for dy in range(size):
                for dx in range(size):
                    y, z = offset + row * stride + dy, offset + col * stride + dx
                    if 0 <= y < height and 0 <= z < width:
                        out[:, row, col] = np.maximum(out[:, row, col], x[:, y, z])
    return out


def _reorg(x, stride):
    """Darknet's forward reorg: reorg_cpu(input, w, h, c, batch, stride, forward=0, output)."""
    c, h, w = x.shape
    flat, out = x.ravel(), np.zeros(x.size)
    out_c = c // (stride * stride)
    for k in range(c):
        for j in range(h):
            for i in range(w):
                in_index = i + w * (j + h * k)
                c2, offset = k % out_c, k // out_c
                w2, h2 = i * stride + offset % stride, j * stride + offset // stride
                out[in_index] = flat[w2 + w * stride * (h2 + h * stride * c2)]
    return out.reshape(c * stride * stride, h // stride, w // stride)


def _darknet_forward(image_chw, values):
    """Run CFG on one image with the flat weight values, in Darknet's order and arithmetic."""
    layers = [s for s in dn.parse_cfg(CFG)[1:]]
    outputs, at, x = [], 0, image_chw
    for index, section in enumerate(layers):
        o = section.options
        if section.kind == "convolutional":
            filters, size, stride = int(o["filters"]), int(o["size"]), int(o["stride"])
            pad = size // 2 if int(o.get("pad", 0)) else 0
            bn = int(o.get("batch_normalize", 0))
            biases = values[at:at + filters]
            at += filters
            if bn:
                scales, means, variances = (values[at + k * filters:at + (k + 1) * filters]
                                            for k in range(3))
                at += 3 * filters
            count = filters * x.shape[0] * size * size
            weights = values[at:at + count].reshape(filters, x.shape[0], size, size)
            at += count
            x = _conv(x, weights, stride, pad)
            if bn:
                x = (x - means[:, None, None]) / (np.sqrt(variances)[:, None, None] + 1e-6)
                x = x * scales[:, None, None]
            x = x + biases[:, None, None]
            if o["activation"] == "leaky":
                x = np.where(x > 0, x, 0.1 * x)
        elif section.kind == "maxpool":
            x = _maxpool(x, int(o["size"]), int(o["stride"]))
        elif section.kind == "route":
            picks = [int(v) for v in o["layers"].split(",")]
            x = np.concatenate([outputs[index + p if p < 0 else p] for p in picks], axis=0)
        elif section.kind == "reorg":
            x = _reorg(x, int(o["stride"]))
        outputs.append(x)
    assert at == len(values)
    return x


# ----------------------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("darknet")
    (folder / "tiny.cfg").write_text(CFG)
    darknet = dn.build_model(dn.parse_cfg(CFG))
    values = np.random.default_rng(0).uniform(0.1, 1.0, dn.count_values(darknet)).astype(np.float32)
    dn.write_weights(folder / "tiny.weights", darknet, values)
    return folder, values


def test_every_stored_value_lands_where_darknet_puts_it(files):
    folder, values = files
    darknet = dn.load_darknet(folder / "tiny.cfg", folder / "tiny.weights")
    image = np.random.default_rng(1).uniform(0, 1, (8, 8, 3)).astype(np.float32)
    found = np.asarray(darknet.model(image[None]))[0].transpose(2, 0, 1)  # to Darknet's (C, H, W)
    expected = _darknet_forward(image.transpose(2, 0, 1).astype(np.float64),
                                values.astype(np.float64))
    assert found.shape == expected.shape == (16, 2, 2)
    assert np.allclose(found, expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())
    assert darknet.classes == 3 and np.array_equal(darknet.anchors, [[0.5, 1.0], [2.0, 1.5]])


def test_darknet_reorg_is_its_own_permutation_not_space_to_depth():
    import tensorflow as tf

    x = np.arange(4 * 4 * 8, dtype=np.float32).reshape(1, 4, 4, 8)
    ours = np.asarray(dn.DarknetReorg(2)(x))
    reference = _reorg(x[0].transpose(2, 0, 1), 2).transpose(1, 2, 0)
    assert np.array_equal(ours[0], reference)
    assert ours.shape == (1, 2, 2, 32)
    assert not np.array_equal(ours, tf.nn.space_to_depth(x, 2).numpy())


def test_the_model_saves_and_loads_without_python_code(files, tmp_path):
    import keras

    folder, _ = files
    model = dn.load_darknet(folder / "tiny.cfg", folder / "tiny.weights").model
    model.save(tmp_path / "tiny.keras")
    again = keras.models.load_model(tmp_path / "tiny.keras")  # safe mode: no Lambda layer inside
    x = np.random.default_rng(2).uniform(0, 1, (2, 8, 8, 3)).astype(np.float32)
    assert np.allclose(model(x), again(x), atol=1e-6)
    assert "Lambda" not in json.dumps(json.loads(model.to_json()))


@pytest.mark.parametrize("change, found", [(-1, "found 2"), (+1, "found 2")])
def test_a_weights_file_of_the_wrong_size_is_refused_with_both_counts(files, tmp_path, change,
                                                                        found):
    folder, values = files
    darknet = dn.load_darknet(folder / "tiny.cfg")
    wrong = values[:change] if change < 0 else np.concatenate([values, np.ones(change, np.float32)])
    dn.write_weights(tmp_path / "wrong.weights", darknet, wrong)
    with pytest.raises(dn.DarknetError,
                       match=rf"expected {len(values):,} values .* found {len(wrong):,}"):
        dn.load_weights(darknet, (tmp_path / "wrong.weights").read_bytes())


def test_an_older_header_with_a_32_bit_count_loads_too(files, tmp_path):
    folder, values = files
    darknet = dn.load_darknet(folder / "tiny.cfg")
    dn.write_weights(tmp_path / "old.weights", darknet, values, major=0, minor=1)
    assert len((tmp_path / "old.weights").read_bytes()) == 16 + 4 * len(values)
    dn.load_weights(darknet, (tmp_path / "old.weights").read_bytes())
    reference = dn.load_darknet(folder / "tiny.cfg", folder / "tiny.weights").model
    for mine, theirs in zip(darknet.model.get_weights(), reference.get_weights(), strict=True):
        assert np.array_equal(mine, theirs)


@pytest.mark.parametrize("text, message", [
    ("[net]\nheight=8\nwidth=8\n[yolo]\nclasses=3\n", r"\[yolo\] is not supported"),
    ("[net]\nheight=8\nwidth=8\n[convolutional]\nfilters=2\nactivation=mish\n", "activation=mish"),
    ("[convolutional]\nfilters=2\n", r"start with a \[net\]"),
    ("[net]\nheight=8\nwidth=8\n[route]\nlayers=-1\n", "does not come before it"),
])
def test_a_cfg_the_loader_cannot_build_is_refused_by_name(text, message):
    with pytest.raises(dn.DarknetError, match=message):
        dn.build_model(dn.parse_cfg(text))


def test_names_are_read_one_per_line(tmp_path):
    (tmp_path / "coco.names").write_text("person\nbicycle\n\ncar\n")
    assert dn.read_names(tmp_path / "coco.names") == ["person", "bicycle", "car"]


def _yolov2_folder(files, folder, names=("person", "bicycle", "car")):
    """The tiny network under Darknet's YOLOv2 file names in ``folder``."""
    source, _ = files
    (folder / "yolov2.cfg").write_text((source / "tiny.cfg").read_text())
    (folder / "yolov2.weights").write_bytes((source / "tiny.weights").read_bytes())
    (folder / "coco.names").write_text("\n".join(names) + "\n")
    return folder


def test_find_yolov2_loads_the_three_files_of_a_folder(files, tmp_path, capsys):
    found = dn.find_yolov2(_yolov2_folder(files, tmp_path))
    assert found.class_names == ["person", "bicycle", "car"] and found.input_size == (8, 8)
    assert np.array_equal(found.anchors, [[0.5, 1.0], [2.0, 1.5]]) and found.folder == tmp_path
    assert "Darknet's YOLOv2 from" in capsys.readouterr().out
    assert found.darknet.model(np.zeros((1, 8, 8, 3), np.float32)).shape == (1, 2, 2, 16)


def test_find_yolov2_says_what_is_missing_and_where(files, tmp_path, capsys):
    folder = _yolov2_folder(files, tmp_path)
    (folder / "yolov2.weights").unlink()
    assert dn.find_yolov2(folder) is None
    out = capsys.readouterr().out
    assert "missing: yolov2.weights" in out and str(folder) in out
    assert dn.find_yolov2(folder, verbose=False) is None and not capsys.readouterr().out


def test_find_yolov2_uses_the_course_data_folder(files, tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_DATA", str(_yolov2_folder(files, tmp_path)))
    assert dn.find_yolov2(verbose=False).folder == tmp_path


def test_find_yolov2_refuses_a_names_file_of_another_length(files, tmp_path):
    folder = _yolov2_folder(files, tmp_path, names=("person", "car"))
    with pytest.raises(dn.DarknetError, match="holds 2 names but .* classes=3"):
        dn.find_yolov2(folder)


def _write_keras2_h5(model, path):
    """``model``'s weights in Keras 2's file layout, under Keras 2-style layer names."""
    import h5py

    from cnn_course.utils.keras2_h5 import weighted_layers

    with h5py.File(path, "w") as file:
        group = file.create_group("model_weights")
        layers = weighted_layers(model)
        names = [f"keras2_layer_{i}" for i in range(len(layers))]
        group.attrs["layer_names"] = [n.encode() for n in names]
        for name, layer in zip(names, layers, strict=True):
            stored = group.create_group(name)
            keys = [f"{name}/{w.path.split('/')[-1]}:0" for w in layer.weights]
            stored.attrs["weight_names"] = [k.encode() for k in keys]
            for key, value in zip(keys, layer.get_weights(), strict=True):
                stored.create_dataset(key, data=value)


def test_a_keras2_yolo_h5_loads_into_the_network_its_cfg_builds(files, tmp_path):
    """The original course's yolo.h5 is a Keras 2 model of the network yolov2.cfg describes;
    its weights load, layer after layer, into the model the cfg builds here."""
    from cnn_course.utils.keras2_h5 import load_keras2_weights

    folder, _ = files
    trained = dn.load_darknet(folder / "tiny.cfg", folder / "tiny.weights").model
    _write_keras2_h5(trained, tmp_path / "yolo.h5")
    fresh = dn.load_darknet(folder / "tiny.cfg").model
    assert load_keras2_weights(fresh, tmp_path / "yolo.h5") == "by order"
    x = np.random.default_rng(3).uniform(0, 1, (2, 8, 8, 3)).astype(np.float32)
    assert np.allclose(fresh(x), trained(x), atol=1e-6)


def test_find_yolov2_takes_the_original_courses_yolo_h5_without_darknet_weights(files, tmp_path,
                                                                                  capsys):
    source, _ = files
    folder = _yolov2_folder(files, tmp_path)
    (folder / "yolov2.weights").unlink()
    trained = dn.load_darknet(source / "tiny.cfg", source / "tiny.weights").model
    _write_keras2_h5(trained, folder / "yolo.h5")
    found = dn.find_yolov2(folder)
    assert f"Darknet's YOLOv2 from {folder} (yolo.h5)" in capsys.readouterr().out
    x = np.random.default_rng(4).uniform(0, 1, (1, 8, 8, 3)).astype(np.float32)
    assert np.allclose(found.darknet.model(x), trained(x), atol=1e-6)
