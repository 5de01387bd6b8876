"""Darknet's own files as a Keras 3 model: a YOLOv2 ``.cfg``, its ``.weights`` and a names file.

A user who has the original detector's files (``yolov2.cfg``, ``yolov2.weights``,
``coco.names``) can run it on their photos without converting anything:
``load_darknet(cfg_path, weights_path)`` builds the network from public Keras layers and
puts every stored value in its place.

The ``.cfg`` file is a list of sections, ``[name]`` followed by ``key=value`` lines (``#``
and ``;`` start comments). Supported: ``[net]`` (the input's ``height``, ``width`` and
``channels``), ``[convolutional]`` (``filters``, ``size``, ``stride``, ``pad`` or
``padding``, ``batch_normalize``, ``activation`` ``leaky`` or ``linear``), ``[maxpool]``
(``size``, ``stride``), ``[route]`` (``layers``: one or more indices, negative ones counted
back from the route itself), ``[reorg]`` (``stride``) and ``[region]`` (``anchors``,
``classes``, ``num``: no layer, it describes the last convolution's output). Every other
section is refused by name. Layers are numbered as Darknet numbers them: every section
but ``[net]``, from 0.

The ``.weights`` file: a header of three int32 (major, minor, revision) and the count of
images seen in training (int64 when ``major * 10 + minor >= 2``, else int32); then, for each
convolution in order, float32 values: the biases (the batch-norm beta when the layer is
batch-normalised), then for a batch-normalised layer its scales (gamma), rolling means and
rolling variances, then the kernel in Darknet's order (filters, input channels, rows,
columns). A file with fewer or more values than the network needs is refused with both
counts.

Two of Darknet's computations differ from Keras's defaults and are reproduced exactly:

- batch normalisation divides by ``sqrt(variance) + 1e-6`` where Keras divides by
  ``sqrt(variance + epsilon)``: the loader stores in each ``BatchNormalization`` the
  variance for which both agree;
- ``[reorg]`` is not TensorFlow's space-to-depth: Darknet reads its input buffer as if it
  had ``stride * stride`` times fewer channels and reorders it with its own index
  arithmetic. :class:`DarknetReorg` applies that same permutation, as a serialisable layer.

Max pooling and convolutions with ``pad`` follow Darknet's output sizes and padding (a
strided convolution is padded on every side, then valid).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from cnn_course.utils.runtime import quiet_tensorflow

quiet_tensorflow()

import keras  # noqa: E402

SUPPORTED_SECTIONS = ("net", "convolutional", "maxpool", "route", "reorg", "region")
ACTIVATIONS = ("leaky", "linear")
LEAKY_SLOPE = 0.1
DARKNET_EPSILON = 1e-6  # added to the standard deviation in Darknet's batch normalisation
# of the BatchNormalization layers built here (the stored variance makes up the difference)
KERAS_EPSILON = 1e-6


class DarknetError(ValueError):
    """A ``.cfg`` or ``.weights`` file this loader cannot use; the message says which line or
    count."""


@dataclasses.dataclass
class Section:
    kind: str
    options: dict[str, str]
    line: int

    def integer(self, key: str, default: int | None = None) -> int:
        if key not in self.options:
            if default is None:
                raise DarknetError(f"[{self.kind}] at line {self.line} has no {key}=")
            return default
        try:
            return int(self.options[key])
        except ValueError:
            raise DarknetError(f"[{self.kind}] at line {self.line}: {key}={self.options[key]!r} is "
                               "not a whole number") from None


@dataclasses.dataclass
class DarknetModel:
    """The Keras model and what ``[region]`` says about its output."""

    model: keras.Model
    anchors: np.ndarray  # (num, 2): width and height of each anchor box, in grid cells
    classes: int
    # (layer name, batch-normalised) in the weights file's order
    convolutions: list[tuple[str, bool]]


def parse_cfg(text: str) -> list[Section]:
    """The sections of a ``.cfg`` file, in order; unsupported ones are refused by name."""
    sections: list[Section] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].split(";", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                raise DarknetError(f"line {number}: a section header must end with ']': "
                                   f"{raw.strip()!r}")
            kind = line[1:-1].strip().lower()
            if kind not in SUPPORTED_SECTIONS:
                raise DarknetError(f"line {number}: the section [{kind}] is not supported "
                                   "(supported: "
                                   + ", ".join(f"[{s}]" for s in SUPPORTED_SECTIONS) + ")")
            sections.append(Section(kind, {}, number))
            continue
        if "=" not in line or not sections:
            raise DarknetError(f"line {number}: expected a [section] or key=value, found "
                               f"{raw.strip()!r}")
        key, value = (part.strip() for part in line.split("=", 1))
        sections[-1].options[key] = value
    if not sections or sections[0].kind != "net":
        raise DarknetError("the file must start with a [net] section (the input's height, width "
                           "and channels)")
    return sections


# ----------------------------------------------------------------------------- reorg


def reorg_permutation(height: int, width: int, channels: int, stride: int) -> np.ndarray:
    """Darknet's ``[reorg]`` as a permutation of the input's values in (channel, row, column) order.

    ``output_flat = input_flat[permutation]``, both flattened channel-first; the output has
    ``height / stride`` rows, ``width / stride`` columns and ``channels * stride**2`` channels.
    """
    out_c = channels // (stride * stride)
    k, j, i = np.meshgrid(np.arange(channels), np.arange(height), np.arange(width), indexing="ij")
    c2, offset = k % out_c, k // out_c
    w2, h2 = i * stride + offset % stride, j * stride + offset // stride
    source = w2 + width * stride * (h2 + height * stride * c2)
    permutation = np.empty(height * width * channels, dtype=np.int64)
    permutation[(i + width * (j + height * k)).ravel()] = source.ravel()
    return permutation


@keras.saving.register_keras_serializable(package="cnn_course")
class DarknetReorg(keras.layers.Layer):
    """Darknet's ``[reorg]`` (YOLOv2's passthrough):
    (m, n_H, n_W, n_C) -> (m, n_H/s, n_W/s, n_C*s*s)."""

    def __init__(self, stride: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.stride = int(stride)

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        s = self.stride
        return (batch, height // s, width // s, channels * s * s)

    def call(self, inputs):
        _, height, width, channels = inputs.shape
        s = self.stride
        if height % s or width % s or channels % (s * s):
            raise ValueError(f"reorg with stride {s} needs rows and columns divisible by {s} and "
                             f"channels by {s * s}; got {height}x{width}x{channels}")
        permutation = keras.ops.convert_to_tensor(reorg_permutation(height, width, channels, s))
        flat = keras.ops.reshape(keras.ops.transpose(inputs, (0, 3, 1, 2)),
                                 (-1, height * width * channels))
        moved = keras.ops.take(flat, permutation, axis=1)
        out = keras.ops.reshape(moved, (-1, channels * s * s, height // s, width // s))
        return keras.ops.transpose(out, (0, 2, 3, 1))

    def get_config(self):
        return {**super().get_config(), "stride": self.stride}


# ----------------------------------------------------------------------------- the network


def build_model(sections: list[Section], name: str = "darknet") -> DarknetModel:
    """The Keras model of parsed sections (weights not loaded)."""
    net = sections[0]
    shape = (net.integer("height"), net.integer("width"), net.integer("channels", 3))
    inputs = keras.Input(shape, name="image")
    outputs: list = []  # one per Darknet layer
    convolutions: list[tuple[str, bool]] = []
    anchors, classes = np.zeros((0, 2), np.float32), 0
    x = inputs
    for index, section in enumerate(sections[1:]):
        where = f"layer {index} ([{section.kind}] at line {section.line})"
        if section.kind == "convolutional":
            x, entry = _convolution(x, section, index, where)
            convolutions.append(entry)
        elif section.kind == "maxpool":
            size = section.integer("size", 2)
            x = keras.layers.MaxPooling2D(size, section.integer("stride", size), padding="same",
                                          name=f"maxpool_{index}")(x)
        elif section.kind == "route":
            chosen = []
            for item in section.options.get("layers", "").split(","):
                try:
                    position = int(item)
                except ValueError:
                    raise DarknetError(f"{where}: layers={section.options.get('layers')!r} is not "
                                       "a list of layer numbers") from None
                position = index + position if position < 0 else position
                if not 0 <= position < index:
                    raise DarknetError(f"{where} routes to layer {position}, which does not come "
                                       "before it")
                chosen.append(outputs[position])
            x = (chosen[0] if len(chosen) == 1
                 else keras.layers.Concatenate(name=f"route_{index}")(chosen))
        elif section.kind == "reorg":
            x = DarknetReorg(section.integer("stride", 2), name=f"reorg_{index}")(x)
        elif section.kind == "region":
            values = [float(v) for v in section.options.get("anchors", "").split(",") if v.strip()]
            if len(values) % 2:
                raise DarknetError(f"{where}: anchors= must hold pairs (width, height)")
            anchors = np.array(values, np.float32).reshape(-1, 2)
            classes = section.integer("classes")
            if section.integer("num", len(anchors)) != len(anchors):
                raise DarknetError(f"{where}: num={section.options.get('num')} but "
                                   f"{len(anchors)} anchors")
        elif section.kind == "net":
            raise DarknetError(f"{where}: only the first section may be [net]")
        outputs.append(x)
    return DarknetModel(keras.Model(inputs, x, name=name), anchors, classes, convolutions)


def _convolution(x, section: Section, index: int, where: str):
    filters, size, stride = (section.integer("filters"), section.integer("size", 1),
                             section.integer("stride", 1))
    padding = size // 2 if section.integer("pad", 0) else section.integer("padding", 0)
    normalised = bool(section.integer("batch_normalize", 0))
    activation = section.options.get("activation", "logistic")
    if activation not in ACTIVATIONS:
        raise DarknetError(f"{where}: activation={activation} is not supported (supported: "
                           + ", ".join(ACTIVATIONS) + ")")
    name = f"conv_{index}"
    if stride == 1 and 2 * padding == size - 1:
        mode = "same"
    else:
        mode = "valid"
        if padding:
            x = keras.layers.ZeroPadding2D(padding, name=f"pad_{index}")(x)
    x = keras.layers.Conv2D(filters, size, strides=stride, padding=mode, use_bias=not normalised,
                            name=name)(x)
    if normalised:
        x = keras.layers.BatchNormalization(epsilon=KERAS_EPSILON, name=f"bn_{index}")(x)
    if activation == "leaky":
        x = keras.layers.LeakyReLU(negative_slope=LEAKY_SLOPE, name=f"leaky_{index}")(x)
    return x, (name, normalised)


# ----------------------------------------------------------------------------- weights


def _header(data: bytes) -> int:
    """The header's length in bytes."""
    if len(data) < 12:
        raise DarknetError(f"the weights file has {len(data)} bytes: too short for Darknet's "
                           "header")
    major, minor, _ = np.frombuffer(data[:12], dtype="<i4")
    return 20 if major * 10 + minor >= 2 and major < 1000 and minor < 1000 else 16


def load_weights(darknet: DarknetModel, data: bytes) -> None:
    """Put the values of a ``.weights`` file's bytes into ``darknet.model``, layer by layer."""
    model = darknet.model
    start = _header(data)
    body = data[start:]
    if len(body) % 4:
        raise DarknetError(f"the weights after the {start}-byte header are {len(body)} bytes, not "
                           "whole float32 values")
    values = np.frombuffer(body, dtype="<f4")
    needed = 0
    plan = []
    for name, normalised in darknet.convolutions:
        conv = model.get_layer(name)
        kernel_shape = tuple(conv.kernel.shape)  # (rows, columns, input channels, filters)
        filters = kernel_shape[3]
        count = filters * (4 if normalised else 1) + int(np.prod(kernel_shape))
        plan.append((conv, normalised, kernel_shape, needed))
        needed += count
    if len(values) != needed:
        raise DarknetError(f"the weights file does not fit the network: expected {needed:,} values "
                           f"after the {start}-byte header, found {len(values):,}")
    for conv, normalised, (rows, cols, channels, filters), at in plan:
        biases = values[at:at + filters]
        at += filters
        if normalised:
            scales, means, variances = (values[at + k * filters:at + (k + 1) * filters]
                                        for k in range(3))
            at += 3 * filters
            # Darknet divides by sqrt(v) + 1e-6, Keras by sqrt(v' + eps): equal for this v'
            stored = (np.sqrt(variances.astype(np.float64)) + DARKNET_EPSILON) ** 2 - KERAS_EPSILON
            bn = model.get_layer(conv.name.replace("conv_", "bn_"))
            bn.set_weights([scales, biases, means, stored.astype(np.float32)])
        kernel = values[at:at + rows * cols * channels * filters].reshape(
            filters, channels, rows, cols)
        kernel = kernel.transpose(2, 3, 1, 0)
        conv.set_weights([kernel] if normalised else [kernel, biases])


def load_darknet(cfg: str | Path, weights: str | Path | None = None,
                 name: str = "darknet") -> DarknetModel:
    """Build the network a ``.cfg`` file describes and, if given, load its ``.weights``."""
    darknet = build_model(parse_cfg(Path(cfg).read_text()), name=name)
    if weights is not None:
        load_weights(darknet, Path(weights).read_bytes())
    return darknet


def write_weights(path: str | Path, darknet: DarknetModel, values: np.ndarray, major: int = 0,
                  minor: int = 2) -> None:
    """Write a ``.weights`` file holding ``values`` after a header (for tests and tools)."""
    seen = np.array([0], dtype="<i8" if major * 10 + minor >= 2 else "<i4")
    with open(path, "wb") as out:
        out.write(np.array([major, minor, 0], dtype="<i4").tobytes() + seen.tobytes())
        out.write(np.asarray(values, dtype="<f4").tobytes())


def count_values(darknet: DarknetModel) -> int:
    """How many float32 values the network's ``.weights`` file holds after its header."""
    total = 0
    for name, normalised in darknet.convolutions:
        kernel_shape = tuple(darknet.model.get_layer(name).kernel.shape)
        total += kernel_shape[3] * (4 if normalised else 1) + int(np.prod(kernel_shape))
    return total


def read_names(path: str | Path) -> list[str]:
    """The class names of a ``.names`` file, one per line (blank lines skipped)."""
    return [line.strip() for line in Path(path).read_text().splitlines() if line.strip()]


# ------------------------------------------------------------------- YOLOv2 in the data folder

YOLOV2_FILES = ("yolov2.cfg", "yolov2.weights", "coco.names")  # the Darknet project's names
KERAS2_YOLO_FILE = "yolo.h5"  # the original course's Keras 2 model of the same network


@dataclasses.dataclass
class DarknetDetector:
    """Darknet's YOLOv2 loaded from its own files, with what the W3A1 notebook needs to run it."""

    darknet: DarknetModel
    class_names: list[str]  # from the names file, one per class of [region]
    input_size: tuple[int, int]  # (height, width) of [net]: every frame is resized to it
    folder: Path

    @property
    def anchors(self) -> np.ndarray:
        return self.darknet.anchors


def find_yolov2(folder: str | Path | None = None, verbose: bool = True) -> DarknetDetector | None:
    """YOLOv2 from ``yolov2.cfg``, ``yolov2.weights`` and ``coco.names`` in ``folder``, else None.

    Without ``yolov2.weights``, the original course's Keras 2 model file ``yolo.h5`` (the same
    network, converted) is used instead when it is there: its weights load, layer after layer,
    into the network the cfg builds (``cnn_course.utils.keras2_h5``).

    ``folder`` defaults to the course's data folder (``cnn_course.datasets.data_dir()``:
    ``$CNN_COURSE_DATA``, else a per-user cache folder). With ``verbose``, one sentence says
    which files were found, or where to put them. A names file whose length differs from the
    classes of ``[region]``, or a network whose output is not anchors x (5 + classes)
    channels, is refused with both numbers.
    """
    if folder is None:
        from cnn_course.datasets import data_dir

        folder = data_dir()
    folder = Path(folder)
    cfg, weights, names = (folder / name for name in YOLOV2_FILES)
    keras2 = folder / KERAS2_YOLO_FILE
    if not weights.is_file() and keras2.is_file():  # the original course's Keras 2 model file
        weights = keras2
    found = [path.name for path in (cfg, weights, names) if path.is_file()]
    if len(found) < len(YOLOV2_FILES):
        if verbose:
            missing = [path.name for path in (cfg, weights, names) if not path.is_file()]
            print(f"Darknet's YOLOv2 is not in {folder} (missing: {', '.join(missing)}); to use "
                  f"it, put {', '.join(YOLOV2_FILES)} there.")
        return None
    if weights == keras2:
        from cnn_course.utils.keras2_h5 import load_keras2_weights

        darknet = load_darknet(cfg, name="yolov2")
        load_keras2_weights(darknet.model, keras2)
    else:
        darknet = load_darknet(cfg, weights, name="yolov2")
    class_names = read_names(names)
    if not len(darknet.anchors) or not darknet.classes:
        raise DarknetError(f"{cfg} has no [region] section with anchors= and classes=")
    if len(class_names) != darknet.classes:
        raise DarknetError(f"{names} holds {len(class_names)} names but {cfg} has "
                           f"classes={darknet.classes}")
    channels = darknet.model.output_shape[-1]
    if channels != len(darknet.anchors) * (5 + darknet.classes):
        raise DarknetError(f"the network's output has {channels} channels; [region] needs "
                           f"anchors x (5 + classes) = {len(darknet.anchors)} x "
                           f"{5 + darknet.classes}")
    height, width = darknet.model.input_shape[1:3]
    if verbose:
        grid_h, grid_w = darknet.model.output_shape[1:3]
        print(f"Darknet's YOLOv2 from {folder} ({weights.name}): input {height}x{width}, "
              f"grid {grid_h}x{grid_w}, {len(darknet.anchors)} anchors, {darknet.classes} classes.")
    return DarknetDetector(darknet, class_names, (int(height), int(width)), folder)
