"""Keras 2 ``.h5`` weights (written here with h5py in Keras 2's layout) into Keras 3 models."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from cnn_course.utils.keras2_h5 import WeightsMismatch, load_keras2_weights, weighted_layers
from cnn_course.utils.runtime import quiet_tensorflow

quiet_tensorflow()

import keras  # noqa: E402


def small_net(names: bool = True, units: int = 2) -> keras.Model:
    def named(text):
        return {"name": text} if names else {}

    inputs = keras.Input((6, 6, 3))
    x = keras.layers.Conv2D(4, 3, **named("conv1"))(inputs)
    x = keras.layers.BatchNormalization(**named("bn_conv1"))(x)
    x = keras.layers.Activation("relu")(x)
    x = keras.layers.Flatten()(x)
    return keras.Model(inputs, keras.layers.Dense(units, **named("fc"))(x))


def write_keras2(path, layers, whole_model=False):
    """A file in Keras 2's layout.

    layers = [(name, [(weight name, array)])], weightless ones with [].
    """
    with h5py.File(path, "w") as file:
        group = file.create_group("model_weights") if whole_model else file
        group.attrs["layer_names"] = [name.encode() for name, _ in layers]
        group.attrs["backend"] = b"tensorflow"
        group.attrs["keras_version"] = b"2.9.0"
        for name, weights in layers:
            layer = group.create_group(name)
            layer.attrs["weight_names"] = [f"{name}/{w}:0".encode() for w, _ in weights]
            for w, array in weights:
                layer.create_dataset(f"{name}/{w}:0", data=array)


def keras2_layers(seed: int, units: int = 2):
    rng = np.random.default_rng(seed)
    return [
        ("input_1", []),
        ("conv1", [("kernel", rng.normal(size=(3, 3, 3, 4))), ("bias", rng.normal(size=4))]),
        ("bn_conv1", [(w, rng.uniform(0.5, 1.5, 4))
                      for w in ("gamma", "beta", "moving_mean", "moving_variance")]),
        ("activation", []), ("flatten", []),
        ("fc", [("kernel", rng.normal(size=(64, units))), ("bias", rng.normal(size=units))]),
    ]


def assert_loaded(model, layers):
    stored = [arrays for _, arrays in layers if arrays]
    for layer, weights in zip(weighted_layers(model), stored, strict=True):
        for mine, (_, theirs) in zip(layer.get_weights(), weights, strict=True):
            assert np.allclose(mine, theirs)


@pytest.mark.parametrize("whole_model", [False, True])
def test_weights_load_by_layer_name(tmp_path, whole_model):
    layers = keras2_layers(0)
    write_keras2(tmp_path / "model.h5", layers, whole_model)
    model = small_net()
    assert load_keras2_weights(model, tmp_path / "model.h5") == "by name"
    assert_loaded(model, layers)


def test_weights_load_in_order_when_the_names_differ(tmp_path):
    layers = keras2_layers(1)
    write_keras2(tmp_path / "model.h5", layers)
    model = small_net(names=False)  # Keras 3's own names: conv2d, batch_normalization, dense
    assert load_keras2_weights(model, tmp_path / "model.h5") == "by order"
    assert_loaded(model, layers)


def test_the_first_layer_that_does_not_fit_is_named_and_nothing_is_assigned(tmp_path):
    write_keras2(tmp_path / "model.h5", keras2_layers(2, units=3))
    model = small_net(units=2)
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(WeightsMismatch,
                       match=r"layer 'fc' .* expects weights of shapes \[\(64, 2\), \(2,\)\], "
                             r"the file has \[\(64, 3\), \(3,\)\]"):
        load_keras2_weights(model, tmp_path / "model.h5")
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


def test_a_file_with_other_layers_says_how_many_each_has(tmp_path):
    write_keras2(tmp_path / "model.h5", keras2_layers(3)[:2])
    with pytest.raises(WeightsMismatch, match="the model has 3 layers with weights and the file 1"):
        load_keras2_weights(small_net(names=False), tmp_path / "model.h5")


def test_a_keras3_file_is_told_apart(tmp_path):
    model = small_net()
    model.save_weights(tmp_path / "model.weights.h5")
    with pytest.raises(WeightsMismatch, match="not a Keras 2 weights file"):
        load_keras2_weights(small_net(), tmp_path / "model.weights.h5")


def test_the_original_file_is_found_beside_the_notebook_or_in_the_data_folder(tmp_path,
                                                                              monkeypatch):
    from cnn_course.utils.keras2_h5 import find_original, missing_original

    data, work = tmp_path / "data", tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("CNN_COURSE_DATA", str(data))
    monkeypatch.chdir(work)
    assert find_original("resnet50.h5") is None
    assert str(data) in missing_original("resnet50.h5")
    (data / "resnet50.h5").write_bytes(b"")
    assert find_original("resnet50.h5") == data / "resnet50.h5"
    (work / "resnet50.h5").write_bytes(b"")  # beside the notebook comes first
    assert find_original("resnet50.h5") == work / "resnet50.h5"


def test_a_keras2_resnet50_loads_into_the_w2a1_architecture(tmp_path):
    """The original course's file layout for W2A1's ResNet50: Keras 2 names, layer after layer."""
    from cnn_course.graders.engine.loading import load_functions

    resnet = load_functions("w2a1_residual_networks").ResNet50
    source = resnet(input_shape=(64, 64, 3), classes=6)
    rng = np.random.default_rng(4)
    source.set_weights([rng.normal(0, 0.05, w.shape).astype("float32") if "variance" not in w.path
                        else rng.uniform(0.5, 1.5, w.shape).astype("float32")
                        for w in source.weights])
    layers = [(f"keras2_{i}", [(w.path.split("/")[-1], w.numpy()) for w in layer.weights])
              for i, layer in enumerate(weighted_layers(source))]
    write_keras2(tmp_path / "resnet50.h5", layers, whole_model=True)
    model = resnet(input_shape=(64, 64, 3), classes=6)
    assert load_keras2_weights(model, tmp_path / "resnet50.h5") == "by order"
    x = rng.uniform(0, 1, (2, 64, 64, 3)).astype("float32")
    assert np.allclose(model(x, training=False), source(x, training=False), atol=1e-5)
    small = resnet(input_shape=(64, 64, 3), classes=5)  # another head: the last layer is named
    with pytest.raises(WeightsMismatch,
                       match=r"the file's 'keras2_\d+'.*the file has \[\(2048, 6\)"):
        load_keras2_weights(small, tmp_path / "resnet50.h5")
