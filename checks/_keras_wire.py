"""Keras values on the wire of remote grading (see :mod:`cnn_course.checks.worker`).

A Keras model, a symbolic tensor or a ``tf.data`` pipeline cannot leave the student's
process as an object. Each travels as plain data, and the trusted side rebuilds what its
checks need:

- a model: ``{"model": {"config": text, "weights": [array names] | null, "shapes": [[int]]}}``.
  ``config`` is ``keras.saving.serialize_keras_object(model)`` as JSON text (layers, the
  compile settings, ``trainable`` flags); ``weights`` are ``model.get_weights()`` (null when
  they do not fit the message's arrays: the model is then rebuilt with fresh weights);
  ``shapes`` their shapes. The trusted side accepts a config only if every object in it
  is a class of Keras itself (layers, operations, optimizers, losses, metrics, initializers,
  regularizers, constraints, dtype policies), never ``Lambda`` or ``TFSMLayer``, and it
  deserialises it in Keras's ``safe_mode``: no Python code of the student's is rebuilt;
- a symbolic input (``keras.Input``) passed to the student's function:
  ``{"input": {"shape", "batch_size", "dtype"}}``; the worker makes a fresh ``keras.Input``;
- the symbolic tensors a function returns, computed from those inputs:
  ``{"symbolic": k}``, output ``k`` of the call's graph, sent once per answer as a model
  from the inputs to every returned tensor; the trusted side rebuilds it and clones it
  onto its own inputs (``keras.models.clone_model(..., input_tensors=...)``), so its
  checks hold tensors computed from their own ``keras.Input``, layer by layer;
- a Keras class passed as an argument (an initializer): ``{"keras_class": "HeUniform"}``;
- a scalar string tensor: ``{"string_tensor": text}``;
- a ``tf.data.Dataset``: ``{"dataset": [[element, ...], ...]}``, the elements of its first
  ``DATASET_PASSES`` passes (at most ``MAX_DATASET_ELEMENTS`` each); the trusted side
  gets a ``tf.data.Dataset`` whose n-th iteration yields the n-th recorded pass. A dataset
  with a ``class_names`` attribute (a list of strings, as ``image_dataset_from_directory``
  sets) travels as ``{"dataset": {"passes": [...], "class_names": [text, ...]}}`` and the
  replayed dataset gets the same attribute;
- the function returned one of its model arguments: ``{"argument": position}``;
- a model argument that the call changed: ``{"model_changes": {"trainable": [bool],
  "compile": text | null, "weights": [array names] | null}}``, its trainable flags (every
  layer, nested ones included), and its compile settings and weights if they changed; the
  trusted side writes them into its own model (compile settings checked like a config).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import sys
from typing import Any

import numpy as np

MAX_MODEL_CONFIG = 3 * 2**20  # characters of a model's JSON config
MAX_PARAMETERS = 60_000_000  # parameters of a model the trusted side rebuilds
MAX_LAYERS = 2_000
DATASET_PASSES = 2
MAX_DATASET_ELEMENTS = 1_000
MAX_CLASS_NAMES = 1_000  # names in a dataset's class_names
MAX_CLASS_NAME = 200  # characters of one of them
# Python code (Lambda, TFSMLayer); a cubic-time initializer (Orthogonal)
REFUSED_CLASSES = frozenset({"Lambda", "TFSMLayer", "Orthogonal"})
# Keras's markers for values inside a config, and what each may hold (anything else is refused)
MARKERS = frozenset({"__tuple__", "__keras_tensor__", "__numpy__", "__tensor__", "__ellipsis__",
                     "__slice__"})
NUMERIC_DTYPES = frozenset({"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                            "uint64", "float16", "bfloat16", "float32", "float64"})
MAX_CONFIG_ARRAY = 100_000  # values of an array written inside a config
SEED = 0  # the seed of a call whose check set none


class NotRebuilt(ValueError):
    """A model config the trusted side does not rebuild; the message says why in a sentence."""


def _keras():
    from cnn_course.utils.runtime import quiet_tensorflow

    quiet_tensorflow()
    import keras

    return keras


def imported(name: str):
    """The module ``name`` if this process has imported it, waiting for a thread still importing
    it; else None.

    ``sys.modules`` holds a module from the moment its import starts: read from there while
    another thread imports it, TensorFlow is only partly defined. ``import_module`` waits.
    """
    if name not in sys.modules:
        return None
    return importlib.import_module(name)


def loaded() -> bool:
    """Whether Keras is imported in this process (a worker that never imported it has no Keras
    values)."""
    return imported("keras") is not None


# ----------------------------------------------------------------------------- models


def model_node(model, encoder) -> dict:
    """``{"model": ...}`` for ``model``; its weights go to ``encoder``'s arrays when they fit."""
    keras = _keras()
    config = json.dumps(keras.saving.serialize_keras_object(model))
    if len(config) > MAX_MODEL_CONFIG:
        raise ValueError(f"a model config of more than {MAX_MODEL_CONFIG} characters")
    weights = [np.asarray(w) for w in model.get_weights()]
    shapes = [[int(n) for n in w.shape] for w in weights]
    names = encoder.arrays_or_none(weights)
    flags = [bool(layer.trainable) for layer in _all_layers(model)]
    return {"model": {"config": config, "weights": names, "shapes": shapes, "trainable": flags}}


def _resolve(module: str, name: str):
    """The object ``module.name`` if ``module`` is Keras's own and already imported, else None
    (nothing imported)."""
    keras = _keras()
    parts = module.split(".")
    if (parts[0] != "keras" or not all(part.isidentifier() for part in parts)
            or not name.isidentifier()):
        return None
    target: Any = keras
    for part in parts[1:]:
        target = getattr(target, part, None)
        if target is None:
            return None
    return getattr(target, name, None)


def _allowed_bases() -> tuple[type, ...]:
    keras = _keras()
    return (keras.Operation, keras.optimizers.Optimizer, keras.losses.Loss, keras.metrics.Metric,
            keras.initializers.Initializer, keras.regularizers.Regularizer,
            keras.constraints.Constraint, keras.DTypePolicy)


def check_config(config: Any) -> None:
    """Refuse (:class:`NotRebuilt`) a config naming anything but Keras's own classes, or too
    large."""
    bases = _allowed_bases()
    layers = 0
    stack = [config]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        stack.extend(node.values())
        if "class_name" not in node:
            continue
        name, module = node.get("class_name"), node.get("module")
        if not isinstance(name, str):
            raise NotRebuilt("it names a class that is not a string")
        if name.startswith("__"):
            _check_marker(name, node)
            continue
        if node.get("registered_name") not in (None, name):
            raise NotRebuilt(f"it names {name!r} under another registered name")
        if name in REFUSED_CLASSES:
            raise NotRebuilt(f"it uses a {name} layer, whose Python code the grader does not run: "
                             "build it from the layers of tf.keras only")
        if not isinstance(module, str):
            raise NotRebuilt(f"it uses {name!r}, which is not a Keras class")
        found = _resolve(module, name)
        if not (isinstance(found, type) and issubclass(found, bases)):
            raise NotRebuilt(f"it uses {module}.{name}, which is not a Keras layer, optimizer, "
                             "loss or metric: build it from the layers of tf.keras only")
        layers += 1
        if layers > MAX_LAYERS:
            raise NotRebuilt(f"it has more than {MAX_LAYERS} layers")


def _check_marker(name: str, node: dict) -> None:
    """Keras's markers for tuples, tensors and arrays: only the harmless ones, arrays small and
    numeric."""
    if name not in MARKERS:
        raise NotRebuilt(f"it holds a {name} value, which the grader does not rebuild")
    if name in ("__numpy__", "__tensor__"):
        inner = node.get("config")
        if not isinstance(inner, dict) or inner.get("dtype") not in NUMERIC_DTYPES:
            raise NotRebuilt("it holds an array that is not numeric")
        count, stack = 0, [inner.get("value")]
        while stack:
            item = stack.pop()
            count += 1
            if count > MAX_CONFIG_ARRAY:
                raise NotRebuilt("it holds an array too large for a config")
            if isinstance(item, list):
                stack.extend(item)


def rebuild(body: Any, arrays: dict[str, np.ndarray]):
    """The model a ``{"model": body}`` node describes, rebuilt here (checked, safe mode), with its
    weights."""
    keras = _keras()
    if (type(body) is not dict or set(body) != {"config", "weights", "shapes", "trainable"}
            or type(body["config"]) is not str or type(body["trainable"]) is not list
            or len(body["config"]) > MAX_MODEL_CONFIG or type(body["shapes"]) is not list):
        raise NotRebuilt("its description is malformed")
    shapes = body["shapes"]
    if not all(type(s) is list and len(s) <= 8 and all(type(n) is int and 0 <= n < 2**31 for n in s)
               for s in shapes):
        raise NotRebuilt("its weight shapes are malformed")
    if sum(int(np.prod(s)) for s in shapes) > MAX_PARAMETERS:
        raise NotRebuilt(f"it has more than {MAX_PARAMETERS:,} parameters")
    weights = body["weights"]
    if weights is not None:
        if (type(weights) is not list or len(weights) != len(shapes)
                or not all(type(n) is str for n in weights)):
            raise NotRebuilt("its weights are malformed")
        weights = [arrays.get(name) for name in weights]
        if any(w is None or list(w.shape) != s for w, s in zip(weights, shapes, strict=True)):
            raise NotRebuilt("its weights do not match their shapes")
    try:
        config = json.loads(body["config"])
    except (ValueError, RecursionError):
        raise NotRebuilt("its config is not JSON") from None
    check_config(config)
    try:
        model = keras.saving.deserialize_keras_object(config, safe_mode=True)
    except Exception as error:  # Keras refuses it or cannot build it
        raise NotRebuilt(f"Keras could not rebuild it ({type(error).__name__}: "
                         f"{str(error)[:300]})") from None
    if not isinstance(model, keras.Model):
        raise NotRebuilt("it is not a Keras model")
    found = [list(w.shape) for w in model.weights]
    if found != shapes:
        raise NotRebuilt("the rebuilt model's weights differ from the model's")
    layers = _all_layers(model)
    if (len(layers) != len(body["trainable"])
            or not all(type(flag) is bool for flag in body["trainable"])):
        raise NotRebuilt("its trainable flags do not match its layers")
    _set_trainable(layers, body["trainable"])
    if weights is not None:
        model.set_weights(weights)
    return model


def _set_trainable(layers: list, flags: list[bool]) -> None:
    """Containers first (setting one sets its layers), then every other layer."""
    for layer, flag in zip(layers, flags, strict=True):
        if getattr(layer, "layers", None) is not None:
            layer.trainable = flag
    for layer, flag in zip(layers, flags, strict=True):
        if getattr(layer, "layers", None) is None:
            layer.trainable = flag


def fingerprint(model) -> tuple:
    """What a call can change in a model argument: trainable flags, compile settings, weights."""
    flags = tuple(layer.trainable for layer in _all_layers(model))
    try:
        compiled = json.dumps(model.get_compile_config(), sort_keys=True, default=str)
    except Exception:  # a model whose compile settings cannot be read
        compiled = None
    digest = hashlib.sha256()
    for weight in model.get_weights():
        digest.update(np.ascontiguousarray(weight).tobytes())
    return flags, compiled, digest.hexdigest()


def _all_layers(model) -> list:
    """Every layer, nested models included, in a fixed order (a container before its layers)."""
    found = []
    stack = [model]
    while stack:
        layer = stack.pop(0)
        found.append(layer)
        stack[:0] = list(getattr(layer, "layers", []) or [])
    return found


class ModelChanges:
    """What a call changed in a model argument: trainable flags, and compile settings and weights
    if they changed."""

    def __init__(self, trainable: list[bool], compile_config: dict | None,
                 weights: list[np.ndarray] | None):
        self.trainable, self.compile_config, self.weights = trainable, compile_config, weights


def changes_node(model, before: tuple, encoder) -> dict:
    """``{"model_changes": ...}``: ``model``'s state after a call, against its
    :func:`fingerprint` before it."""
    flags, compiled, digest = fingerprint(model)
    weights = None
    if digest != before[2]:
        weights = encoder.arrays_or_none([np.asarray(w) for w in model.get_weights()])
        if weights is None:
            raise ValueError("weights too large to send")
    config = json.dumps(model.get_compile_config()) if compiled != before[1] else None
    if config is not None and len(config) > MAX_MODEL_CONFIG:
        raise ValueError("compile settings too large to send")
    return {"model_changes": {"trainable": list(flags), "compile": config, "weights": weights}}


def read_changes(body: Any, arrays: dict[str, np.ndarray]) -> ModelChanges:
    """The :class:`ModelChanges` a ``{"model_changes": body}`` node describes, checked."""
    if (type(body) is not dict or set(body) != {"trainable", "compile", "weights"}
            or type(body["trainable"]) is not list
            or not all(type(flag) is bool for flag in body["trainable"])
            or len(body["trainable"]) > 4 * MAX_LAYERS):
        raise NotRebuilt("its changes are malformed")
    config = None
    if body["compile"] is not None:
        if type(body["compile"]) is not str or len(body["compile"]) > MAX_MODEL_CONFIG:
            raise NotRebuilt("its compile settings are malformed")
        try:
            config = json.loads(body["compile"])
        except (ValueError, RecursionError):
            raise NotRebuilt("its compile settings are not JSON") from None
        if type(config) is not dict:
            raise NotRebuilt("its compile settings are malformed")
        check_config(config)
    weights = body["weights"]
    if weights is not None:
        if type(weights) is not list or not all(type(name) is str and name in arrays
                                                for name in weights):
            raise NotRebuilt("its weights are malformed")
        weights = [arrays[name] for name in weights]
    return ModelChanges(body["trainable"], config, weights)


def apply_changes(target, changes: ModelChanges) -> None:
    """Write ``changes`` into ``target``, the trusted side's model that was passed to the call."""
    layers = _all_layers(target)
    if len(layers) != len(changes.trainable):
        raise NotRebuilt("the call changed the model's layers")
    if changes.weights is not None:
        if [list(w.shape) for w in changes.weights] != [list(w.shape) for w in target.weights]:
            raise NotRebuilt("the call changed the shapes of the model's weights")
        target.set_weights(changes.weights)
    _set_trainable(layers, changes.trainable)
    if changes.compile_config is not None:
        try:
            target.compile_from_config(changes.compile_config)
        except Exception as error:  # Keras refuses the settings
            raise NotRebuilt(f"its compile settings could not be used ({type(error).__name__}: "
                             f"{str(error)[:300]})") from None


# ----------------------------------------------------------------------------- symbolic tensors


def is_symbolic(value) -> bool:
    return loaded() and isinstance(value, _keras().KerasTensor)


def input_node(tensor) -> dict:
    """``{"input": ...}`` for a ``keras.Input`` tensor (nothing computed before it)."""
    history = getattr(tensor, "_keras_history", None)
    operation = getattr(history, "operation", None)
    if operation is not None and type(operation).__name__ != "InputLayer":
        raise ValueError("a symbolic tensor that is not a keras.Input")
    shape = [None if n is None else int(n) for n in tensor.shape]
    return {"input": {"shape": shape[1:], "batch_size": shape[0], "dtype": str(tensor.dtype)}}


def make_input(body: Any):
    keras = _keras()
    if (type(body) is not dict or set(body) != {"shape", "batch_size", "dtype"}
            or type(body["shape"]) is not list):
        raise ValueError("a malformed input")
    if not all(n is None or type(n) is int and 0 < n < 2**31
               for n in [*body["shape"], body["batch_size"]]):
        raise ValueError("an input with a bad shape")
    if body["dtype"] not in ("float16", "float32", "float64", "int32", "int64", "uint8", "bool"):
        raise ValueError("an input of an unexpected dtype")
    return keras.Input(shape=tuple(body["shape"]), batch_size=body["batch_size"],
                       dtype=body["dtype"])


def graph_model(inputs: list, outputs: list):
    """The model from the call's inputs to the tensors it returned (raises if they are not
    computed from them)."""
    keras = _keras()
    return keras.Model(inputs=list(inputs), outputs=list(outputs))


def clone_onto(model, inputs: list) -> list:
    """``model``'s outputs recomputed, layer by layer, from ``inputs`` (the trusted side's own
    tensors)."""
    keras = _keras()
    clone = keras.models.clone_model(model, input_tensors=list(inputs))
    clone.set_weights(model.get_weights())
    return list(clone.outputs)


# ----------------------------------------------------------------------------- classes and strings


def class_node(value) -> dict | None:
    """``{"keras_class": name}`` for a Keras initializer class, else None."""
    if not loaded() or not isinstance(value, type):
        return None
    keras = _keras()
    if (issubclass(value, keras.initializers.Initializer)
            and getattr(keras.initializers, value.__name__, None) is value):
        return {"keras_class": value.__name__}
    return None


def make_class(body: Any):
    keras = _keras()
    found = (getattr(keras.initializers, body, None)
             if type(body) is str and body.isidentifier() else None)
    if not (isinstance(found, type) and issubclass(found, keras.initializers.Initializer)):
        raise ValueError("an unknown Keras class")
    return found


def string_node(value) -> dict | None:
    """``{"string_tensor": text}`` for a scalar string tensor, else None."""
    tf = imported("tensorflow")
    if (tf is None or not isinstance(value, tf.Tensor) or value.dtype != tf.string
            or value.shape.rank != 0):
        return None
    try:
        return {"string_tensor": value.numpy().decode()}
    except (UnicodeDecodeError, AttributeError):
        return None


def make_string(body: Any):
    import tensorflow as tf

    if type(body) is not str:
        raise ValueError("a malformed string tensor")
    return tf.constant(body)


# ----------------------------------------------------------------------------- datasets


def is_dataset(value) -> bool:
    tf = imported("tensorflow")
    return tf is not None and isinstance(value, tf.data.Dataset)


def dataset_passes(dataset) -> list[list]:
    """The elements of the first passes over ``dataset`` (one more than the cap, so a longer pass
    shows)."""
    passes = []
    for _ in range(DATASET_PASSES):
        elements = []
        for element in dataset:
            elements.append(element)
            if len(elements) > MAX_DATASET_ELEMENTS:
                break
        passes.append(elements)
    return passes


def class_names_of(dataset) -> list[str] | None:
    """``dataset.class_names`` when it is a list (or tuple) of short strings, else None."""
    try:
        names = getattr(dataset, "class_names", None)
        if not isinstance(names, list | tuple) or len(names) > MAX_CLASS_NAMES:
            return None
        names = list(names)
    except Exception:  # a student's dataset whose attribute fails when it is read
        return None
    if all(type(name) is str and len(name) <= MAX_CLASS_NAME for name in names):
        return names
    return None


def dataset_body(dataset, passes: list[list]) -> list | dict:
    """The body of ``{"dataset": ...}``: the encoded ``passes``, with the class names if the
    dataset has them."""
    names = class_names_of(dataset)
    return passes if names is None else {"passes": passes, "class_names": names}


def read_dataset_body(body: Any) -> tuple[Any, list[str] | None]:
    """(passes, class names or None) of a ``{"dataset": body}`` node; ValueError if it is
    malformed."""
    if type(body) is not dict:
        return body, None
    names = body.get("class_names")
    if (set(body) != {"passes", "class_names"} or type(names) is not list
            or len(names) > MAX_CLASS_NAMES
            or not all(type(name) is str and len(name) <= MAX_CLASS_NAME for name in names)):
        raise ValueError("a malformed dataset")
    return body["passes"], names


def replayed(passes: list[list], class_names: list[str] | None = None):
    """A ``tf.data.Dataset`` whose n-th iteration yields the n-th recorded pass (the last one
    after that).

    ``class_names``: set as the dataset's ``class_names`` attribute when given.
    """
    dataset = _replayed(passes)
    if class_names is not None:
        dataset.class_names = list(class_names)
    return dataset


def _replayed(passes: list[list]):
    import tensorflow as tf

    first = next((p[0] for p in passes if p), None)
    if first is None:
        return tf.data.Dataset.from_tensor_slices(np.zeros((0,), np.float32))
    signature = tf.nest.map_structure(
        lambda t: tf.TensorSpec(shape=[None] * len(np.shape(t)),
                                dtype=tf.as_dtype(np.asarray(t).dtype)), first)
    count = [0]

    def generate():
        elements = passes[min(count[0], len(passes) - 1)]
        count[0] += 1
        yield from elements

    return tf.data.Dataset.from_generator(generate, output_signature=signature)


def in_dataset_map(fn, args: list):
    """``fn`` mapped over a one-element ``tf.data`` dataset of ``args`` (graph mode, as a pipeline
    calls it)."""
    import tensorflow as tf

    graph_fn = tf.autograph.experimental.do_not_convert(fn)
    dataset = tf.data.Dataset.from_tensors(tuple(tf.constant(a) for a in args)).map(graph_fn)
    return next(iter(dataset))


def seed(value: int = SEED) -> None:
    """Seed Keras (Python, numpy and the backend) before a call of the student's code, if Keras
    is here.

    ``value``: the seed the check set last (``cnn_course.checks._checking.seed``).
    """
    if loaded():
        _keras().utils.set_random_seed(value)
