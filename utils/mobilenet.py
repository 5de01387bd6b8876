"""The pretrained MobileNetV2 base of W2A2: ImageNet when possible, this project's own otherwise.

:func:`pretrained_base` returns ``(base, source, reason)``, choosing, in order:

1. ``"imagenet"``: the ImageNet weights file that ``keras.applications`` uses,
   already in the Keras cache (``$KERAS_HOME/models`` or ``~/.keras/models``);
2. ``"imagenet"``: downloaded by Keras, only after a reachability check with a
   3 s socket timeout (and never in smoke mode), so nothing hangs offline;
3. ``"project"``: the base the course pretrained on its 12-class source task
   (``mobilenet_v2_source``, found by :func:`cnn_course.utils.weights.locate`);
4. ``"random"``: random initialisation, with a message saying what is missing.

The choice is made once per process and cached; each call builds a fresh base
(named ``BASE_NAME`` whatever the input size) with those weights. A pretrained base
(1 to 3) comes with :class:`LearntStatisticsBatchNormalization` layers, so that
fine-tuning keeps the pretraining's batch statistics under Keras 3, as
``base_model(x, training=False)`` intends; a random base keeps plain ones.
"""

from __future__ import annotations

import os
import socket
import threading
from functools import cache
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from cnn_course.utils.runtime import quiet_tensorflow, smoke_mode

quiet_tensorflow()

import keras  # noqa: E402

BASE_NAME = "mobilenet_v2_base"
WEIGHTS_NAME = "mobilenet_v2_source"  # the entry of cnn_course.utils.weights
IMAGENET_URL = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
IMAGENET_SIZES = (96, 128, 160, 192, 224)  # the resolutions Keras has ImageNet weights for
REACH_TIMEOUT_S = 3.0


def imagenet_filename(size: int = 160, include_top: bool = False) -> str:
    """The file name ``keras.applications.MobileNetV2`` gives its ImageNet weights (alpha 1.0)."""
    stem = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels"
    return f"{stem}_1.0_{size}" + ("_no_top.h5" if not include_top else ".h5")


def keras_cache_dir() -> Path:
    """Where Keras keeps downloaded weights: ``$KERAS_HOME/models``, else ``~/.keras/models``."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "models"


def reachable(url: str = IMAGENET_URL, timeout: float = REACH_TIMEOUT_S) -> bool:
    """True when a TCP connection to the URL's host opens within ``timeout`` seconds.

    The name lookup runs in a daemon thread too, since a socket timeout does not bound
    DNS: a resolver that never answers costs ``timeout`` seconds, not minutes.
    """
    parsed = urlparse(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    result: list[bool] = []

    def connect() -> None:
        try:
            with socket.create_connection((parsed.hostname, port), timeout=timeout):
                result.append(True)
        except Exception:  # DNS failure, refusal, timeout: all mean "not reachable"
            result.append(False)

    worker = threading.Thread(target=connect, daemon=True)
    worker.start()
    worker.join(timeout)
    return bool(result and result[0])


@cache
def choose_weights(size: int = 160) -> tuple[str, str | None, str]:
    """(source, weights file or None, reason): the decision :func:`pretrained_base` applies."""
    from cnn_course.utils import weights

    cached = keras_cache_dir() / imagenet_filename(size)
    if size in IMAGENET_SIZES and cached.exists():
        return "imagenet", str(cached), f"the ImageNet weights are in the Keras cache ({cached})"
    if size in IMAGENET_SIZES and not smoke_mode() and reachable():
        try:
            path = _download_imagenet(size)
            return "imagenet", path, "the ImageNet weights were downloaded by keras.applications"
        # a network that answers badly: fall back, do not stop the lesson
        except Exception as error:
            download_problem = f"downloading the ImageNet weights failed ({type(error).__name__})"
    else:
        download_problem = ("smoke mode never downloads" if smoke_mode() else
                            "storage.googleapis.com is not reachable (offline)")
    project = weights.locate(WEIGHTS_NAME, verbose=False)
    if project is not None:
        return "project", str(project), (
            f"no ImageNet weights: {download_problem}; using the base the course pretrained on its "
            "12-class source task (no alpacas)")
    return "random", None, (
        f"no ImageNet weights ({download_problem}) and no project weights yet: the base is "
        "RANDOMLY initialised, so transfer learning cannot help. "
        f"{weights.missing_message(WEIGHTS_NAME)}")


def _download_imagenet(size: int) -> str:
    """Let Keras download the no-top ImageNet file into its cache, with a socket timeout."""
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(30)
    try:
        name = imagenet_filename(size)
        return keras.utils.get_file(name, IMAGENET_URL + name, cache_subdir="models")
    finally:
        socket.setdefaulttimeout(old)


def source_classifier(input_shape=(128, 128, 3), classes: int = 12) -> keras.Model:
    """The pretraining model.

    [-1, 1] rescaling -> MobileNetV2 base -> pooling -> dropout -> softmax.

    Every layer is named, so the weights saved at one input size load at another.
    """
    inputs = keras.Input(shape=input_shape, name="source_image")
    x = keras.layers.Rescaling(1 / 127.5, offset=-1, name="source_rescaling")(inputs)
    base = keras.applications.MobileNetV2(input_shape=input_shape, include_top=False, weights=None,
                                          name=BASE_NAME)
    x = base(x)
    x = keras.layers.GlobalAveragePooling2D(name="source_pool")(x)
    x = keras.layers.Dropout(0.2, name="source_dropout")(x)
    outputs = keras.layers.Dense(classes, activation="softmax", name="source_predictions")(x)
    return keras.Model(inputs, outputs, name="source_classifier")


def _project_classifier(input_shape, path: str) -> keras.Model:
    model = source_classifier(input_shape)
    model.load_weights(path)
    return model


@cache
def _project_base_weights(path: str) -> tuple[np.ndarray, ...]:
    """The base's weights from the project's file, read once per process."""
    return tuple(_project_classifier((96, 96, 3), path).get_layer(BASE_NAME).get_weights())


@keras.saving.register_keras_serializable(package="cnn_course")
class LearntStatisticsBatchNormalization(keras.layers.BatchNormalization):
    """A BatchNormalization that always normalises with its learnt (moving) statistics.

    This is what ``base_model(x, training=False)`` asks of a pretrained base. Keras 3 does
    not keep it: a Functional model passes ``fit``'s ``training=True`` to every layer it
    calls, over the ``training=False`` written in the graph. Once fine-tuning unfreezes
    them, plain BatchNormalization layers would then normalise with the statistics of
    each batch of 32 photos and the weights would adapt to those, while validation uses
    the learnt ones. Here ``gamma`` and ``beta`` still train when the layer is trainable;
    only the statistics stay those of the pretraining.
    """

    def call(self, inputs, training=None, mask=None):
        return super().call(inputs, training=False, mask=mask)


def with_learnt_statistics(model: keras.Model) -> keras.Model:
    """A copy of ``model`` whose BatchNormalization layers keep their statistics.

    The copy has the same name, layers and weights.
    """

    def clone(layer):
        if type(layer) is keras.layers.BatchNormalization:
            return LearntStatisticsBatchNormalization.from_config(layer.get_config())
        return layer.__class__.from_config(layer.get_config())

    copy = keras.models.clone_model(model, clone_function=clone)
    copy.set_weights(model.get_weights())
    return copy


def pretrained_base(input_shape=(160, 160, 3),
                    verbose: bool = False) -> tuple[keras.Model, str, str]:
    """(base, source, reason): a MobileNetV2 without its top, with the best weights available.

    ``source`` is "imagenet", "project" or "random"; ``reason`` says why, in a sentence.
    The base is a new ``keras.Model`` named ``BASE_NAME`` on every call.
    """
    input_shape = tuple(int(d) for d in input_shape)
    if len(input_shape) != 3 or input_shape[-1] != 3:
        raise ValueError(f"input_shape must be (height, width, 3), got {input_shape}")
    size = input_shape[0] if input_shape[0] == input_shape[1] else 0
    source, path, reason = choose_weights(size)
    if source == "project":
        base = keras.applications.MobileNetV2(input_shape=input_shape, include_top=False,
                                              weights=None, name=BASE_NAME)
        base.set_weights(list(_project_base_weights(path)))
    else:
        base = keras.applications.MobileNetV2(input_shape=input_shape, include_top=False,
                                              weights=path, name=BASE_NAME)
    if source != "random":
        base = with_learnt_statistics(base)
    if verbose:
        print(f"MobileNetV2 base: {source} weights, because {reason}.")
    return base, source, reason


def base_predictions(images, top: int = 3) -> tuple[str, list[list[tuple[str, float]]]]:
    """What the pretrained network itself sees in ``images`` (n, h, w, 3) with pixels in [0, 255].

    Returns (source, per image a list of ``top`` (class name, probability)):
    ImageNet classes with the ImageNet weights and their top (if Keras has or can get
    them), the 12 source-task classes with the project's weights, and an empty list
    per image for a random base.
    """
    images = np.asarray(images, dtype=np.float32)
    source, path, _ = choose_weights(images.shape[1] if images.shape[1] == images.shape[2] else 0)
    if source == "imagenet":
        return source, _imagenet_predictions(images, top)
    if source == "project":
        from cnn_course.datasets.alpaca import PRETRAIN_CLASSES

        probabilities = _project_classifier(images.shape[1:], path).predict(images, verbose=0)
        order = np.argsort(-probabilities, axis=1)[:, :top]
        return source, [[(PRETRAIN_CLASSES[k], float(p[k])) for k in row]
                        for row, p in zip(order, probabilities, strict=True)]
    return source, [[] for _ in images]


def _imagenet_predictions(images, top: int):
    """ImageNet top-k with the full network.

    Only if its file and the class index are cached or reachable.
    """
    from keras.applications import mobilenet_v2

    size = images.shape[1]
    have = all((keras_cache_dir() / name).exists()
               for name in (imagenet_filename(size, include_top=True), "imagenet_class_index.json"))
    if not have and (smoke_mode() or not reachable()):
        return [[] for _ in images]
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(30)
    try:
        model = keras.applications.MobileNetV2(input_shape=images.shape[1:], weights="imagenet")
        predictions = model.predict(mobilenet_v2.preprocess_input(images.copy()), verbose=0)
        decoded = mobilenet_v2.decode_predictions(predictions, top=top)
    except Exception:  # no file, no network: say nothing rather than fail the lesson
        return [[] for _ in images]
    finally:
        socket.setdefaulttimeout(old)
    return [[(name, float(p)) for _, name, p in row] for row in decoded]
