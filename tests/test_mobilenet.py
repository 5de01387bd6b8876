"""The pretrained MobileNetV2 base of W2A2.

The order of the fallbacks, nothing hangs offline, the trainer runs.
"""

from __future__ import annotations

import shutil
import time

import numpy as np
import pytest

from cnn_course.graders import trainers
from cnn_course.utils import mobilenet, weights
from cnn_course.utils.runtime import quiet_tensorflow

quiet_tensorflow()

import keras  # noqa: E402


@pytest.fixture()
def fresh(tmp_path, monkeypatch):
    """Empty Keras cache and weights folder; the cached decision is cleared before and after."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("CNN_COURSE_WEIGHTS", str(tmp_path / "weights"))
    monkeypatch.delenv("CNN_COURSE_SMOKE", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    mobilenet.choose_weights.cache_clear()
    yield tmp_path
    mobilenet.choose_weights.cache_clear()


def test_imagenet_file_name_is_the_one_keras_applications_uses():
    assert mobilenet.imagenet_filename(160) == \
        "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_160_no_top.h5"
    assert mobilenet.imagenet_filename(224, include_top=True) == \
        "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5"


def test_cached_imagenet_file_comes_first(fresh, monkeypatch):
    cached = fresh / "keras" / "models" / mobilenet.imagenet_filename(160)
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"")
    monkeypatch.setattr(mobilenet, "reachable",
                        lambda *a, **k: pytest.fail("the network must not be tried"))
    source, path, reason = mobilenet.choose_weights(160)
    assert (source, path) == ("imagenet", str(cached)) and "Keras cache" in reason


def test_smoke_mode_never_tries_the_network_and_says_how_to_make_weights(fresh, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_SMOKE", "1")
    monkeypatch.setattr(mobilenet, "reachable",
                        lambda *a, **k: pytest.fail("the network must not be tried"))
    source, path, reason = mobilenet.choose_weights(160)
    assert (source, path) == ("random", None)
    assert "mobilenet_v2_source" in reason and "course staff" in reason and "RANDOMLY" in reason
    assert "make " not in reason


def test_offline_falls_back_to_the_project_weights(fresh, monkeypatch):
    monkeypatch.setattr(mobilenet, "reachable", lambda *a, **k: False)
    project = weights.get("mobilenet_v2_source").path()
    project.write_bytes(b"")
    source, path, reason = mobilenet.choose_weights(160)
    assert (source, path) == ("project", str(project))
    assert "not reachable" in reason and "no alpacas" in reason


def test_reachability_check_is_short_and_false_on_a_closed_port():
    start = time.perf_counter()
    assert mobilenet.reachable("http://127.0.0.1:9/", timeout=1.0) is False
    assert mobilenet.reachable("https://host.invalid/", timeout=1.0) is False
    assert time.perf_counter() - start < 5


def test_random_base_has_the_course_structure(fresh, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_SMOKE", "1")
    base, source, _ = mobilenet.pretrained_base((96, 96, 3))
    assert source == "random" and base.name == mobilenet.BASE_NAME
    assert base.count_params() == 2_257_984 and tuple(base.output.shape) == (None, 3, 3, 1280)
    with pytest.raises(ValueError, match="height, width, 3"):
        mobilenet.pretrained_base((96, 96))


def test_trainer_smoke_run_feeds_pretrained_base_and_its_predictions(fresh, monkeypatch):
    """`make weights` in smoke mode: the file it writes loads as the project base.

    It loads at another input size too.
    """
    path = trainers.make("mobilenet_v2_source", smoke=True, verbose=False)
    card = weights.card("mobilenet_v2_source", path.parent)
    assert (card["smoke"] and card["metrics"]["epochs"] == 1
            and len(card["metrics"]["classes"]) == 12)
    shutil.copy(path, weights.get("mobilenet_v2_source").path())
    monkeypatch.setenv("CNN_COURSE_SMOKE", "1")
    base, source, _ = mobilenet.pretrained_base((64, 64, 3))
    assert source == "project" and base.name == mobilenet.BASE_NAME
    assert {type(layer).__name__ for layer in base.layers
            if isinstance(layer, keras.layers.BatchNormalization)} \
        == {"LearntStatisticsBatchNormalization"}
    classifier = mobilenet.source_classifier((128, 128, 3))
    classifier.load_weights(path)
    for mine, trained in zip(base.get_weights(),
                             classifier.get_layer(mobilenet.BASE_NAME).get_weights(), strict=True):
        np.testing.assert_array_equal(mine, trained)
    images = np.random.default_rng(0).uniform(0, 255, (2, 64, 64, 3))
    shown, top = mobilenet.base_predictions(images, top=3)
    assert shown == "project" and [len(t) for t in top] == [3, 3]
    assert all(isinstance(name, str) and 0 <= p <= 1 for row in top for name, p in row)
    assert isinstance(base, keras.Model)


def test_pretrained_statistics_survive_fine_tuning_in_a_functional_model():
    """Keras 3 passes fit's training=True over base(x, training=False).

    The copy keeps its statistics anyway.
    """
    keras.utils.set_random_seed(0)
    plain = keras.applications.MobileNetV2(input_shape=(32, 32, 3), include_top=False, weights=None,
                                           name=mobilenet.BASE_NAME)
    # non-trivial statistics
    plain.set_weights([w + 0.1 if w.ndim == 1 else w for w in plain.get_weights()])
    base = mobilenet.with_learnt_statistics(plain)
    assert base.name == mobilenet.BASE_NAME and len(base.layers) == len(plain.layers)
    assert base.count_params() == plain.count_params()
    kinds = {type(layer).__name__ for layer in base.layers
             if isinstance(layer, keras.layers.BatchNormalization)}
    assert kinds == {"LearntStatisticsBatchNormalization"}
    for mine, theirs in zip(base.get_weights(), plain.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)

    def model_of(b):
        inputs = keras.Input((32, 32, 3))
        outputs = keras.layers.Dense(1)(
            keras.layers.GlobalAveragePooling2D()(b(inputs, training=False)))
        return keras.Model(inputs, outputs)

    images = np.random.default_rng(1).uniform(-1, 1, (8, 32, 32, 3)).astype("float32")
    ours, theirs = model_of(base), model_of(plain)
    np.testing.assert_allclose(ours(images, training=True), ours(images, training=False), atol=1e-5)
    assert not np.allclose(theirs(images, training=True), theirs(images, training=False), atol=1e-3)

    base.trainable = True  # fine-tuning: gamma and beta train, the statistics stay
    assert len(base.trainable_weights) == len(plain.trainable_weights)
    # the last one: its gradient is large enough to see in float32
    norm = base.get_layer("Conv_1_bn")
    mean_before, gamma_before = np.array(norm.moving_mean), np.array(norm.gamma)
    ours.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    ours.fit(images, np.ones((8, 1)), epochs=1, batch_size=8, verbose=0)
    np.testing.assert_array_equal(np.array(norm.moving_mean), mean_before)
    assert not np.array_equal(np.array(norm.gamma), gamma_before)
