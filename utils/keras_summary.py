"""Compare the layers of a Keras 3 model with an expected list, layer by layer.

``summary(model)`` turns a built model into a plain list of rows, one per layer,
that can be printed, stored (JSON keeps it except that tuples become lists,
which ``comparator`` accepts) and compared. ``comparator(learner, instructor)``
compares two such lists and raises ``AssertionError`` with a readable message
at the first difference.

Row format (stable; graders and stored reference rows rely on it)::

    [class_name, output_shape, n_params, *settings]

- ``class_name`` -- ``type(layer).__name__``, for example ``"Conv2D"``;
- ``output_shape`` -- ``layer.output.shape`` as a tuple, ``None`` for the batch
  axis, for example ``(None, 64, 64, 32)`` (a tuple of such tuples for a layer
  with several outputs);
- ``n_params`` -- ``layer.count_params()``, an int (trainable and not);
- ``settings`` -- depends on the class (``_SETTING_NAMES`` lists them):

  ==================================  ==============================================
  Conv2D, Conv2DTranspose             padding (str), activation (str),
                                      kernel initializer class name (str)
  Dense                               activation (str)
  MaxPooling2D, AveragePooling2D      pool_size (tuple), strides (tuple), padding (str)
  ZeroPadding2D                       padding (tuple of two (before, after) tuples)
  BatchNormalization                  axis (int >= 0, counted with the batch axis)
  Dropout                             rate (float)
  Activation                          activation (str)
  ReLU                                max_value (float or None), negative_slope (float),
                                      threshold (float)
  any other class                     nothing
  ==================================  ==============================================

An activation is named by its function's ``__name__`` (``"relu"``,
``"linear"`` when none was given) or, for an activation layer passed as a
callable, by its class name.

Example, for ``keras.layers.Conv2D(32, 7, padding="same", activation="relu")``
on a (64, 64, 3) input::

    ["Conv2D", (None, 64, 64, 32), 4736, "same", "relu", "GlorotUniform"]

Only Keras 3's public API is used (``layer.output.shape``, never Keras 2's
``layer.output_shape``).
"""

from cnn_course.utils.runtime import quiet_tensorflow

quiet_tensorflow()  # importing keras imports TensorFlow, which logs to stderr

import keras  # noqa: E402

__all__ = ["summary", "comparator"]

# Names of the settings after [class_name, output_shape, n_params], per class.
_SETTING_NAMES = {
    "Conv2D": ("padding", "activation", "kernel initializer"),
    "Conv2DTranspose": ("padding", "activation", "kernel initializer"),
    "Dense": ("activation",),
    "MaxPooling2D": ("pool size", "strides", "padding"),
    "AveragePooling2D": ("pool size", "strides", "padding"),
    "ZeroPadding2D": ("padding",),
    "BatchNormalization": ("axis",),
    "Dropout": ("rate",),
    "Activation": ("activation",),
    "ReLU": ("max_value", "negative_slope", "threshold"),
}


def _activation_name(fn):
    name = getattr(fn, "__name__", None)
    return name if isinstance(name, str) else type(fn).__name__


def _as_tuple(x):
    """Nested lists and tuples as nested tuples (JSON turns tuples into lists)."""
    if isinstance(x, (list, tuple)):
        return tuple(_as_tuple(v) for v in x)
    return x


def _ints(x):
    return tuple(int(v) for v in x)


def _optional_float(x):
    return None if x is None else float(x)


def _output_shape(layer):
    try:
        output = layer.output
    except (AttributeError, ValueError) as err:
        raise ValueError(
            f"layer {layer.name!r} has no single defined output ({err}); build the model "
            "from keras.Input, or call it on data, before summarising it."
        ) from None
    if isinstance(output, (list, tuple)):
        return tuple(_as_tuple(t.shape) for t in output)
    return _as_tuple(output.shape)


def _settings(layer, output_shape):
    kind = type(layer).__name__
    if kind in ("Conv2D", "Conv2DTranspose"):
        return [
            str(layer.padding),
            _activation_name(layer.activation),
            type(layer.kernel_initializer).__name__,
        ]
    if kind == "Dense":
        return [_activation_name(layer.activation)]
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        return [_ints(layer.pool_size), _ints(layer.strides), str(layer.padding)]
    if kind == "ZeroPadding2D":
        return [tuple(_ints(p) for p in layer.padding)]
    if kind == "BatchNormalization":
        axis = int(layer.axis)
        return [axis + len(output_shape) if axis < 0 else axis]
    if kind == "Dropout":
        return [float(layer.rate)]
    if kind == "Activation":
        return [_activation_name(layer.activation)]
    if kind == "ReLU":
        return [
            _optional_float(layer.max_value),
            float(layer.negative_slope),
            float(layer.threshold),
        ]
    return []


def summary(model):
    """One row per layer of a built Keras 3 model, InputLayer excluded.

    Arguments:
    model -- a keras.Model (Functional or Sequential) whose layers have been
             called, for example one built from ``keras.Input``

    Returns:
    rows -- list with one list per layer of ``model.layers`` (in that order, input
            layers skipped): ``[class_name, output_shape, n_params, *settings]``,
            see the module docstring for the settings of each class

    Raises ValueError when ``model`` is not a Keras model or a layer has no
    defined output (a Sequential model never built or called).
    """
    if not isinstance(model, keras.Model):
        raise ValueError(f"summary expects a keras.Model, got {type(model).__name__}.")
    rows = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        shape = _output_shape(layer)
        rows.append(
            [type(layer).__name__, shape, int(layer.count_params()), *_settings(layer, shape)]
        )
    return rows


def _describe(row):
    """One line for a row: "Conv2D (None, 64, 64, 32) 4736 same relu GlorotUniform"."""
    return " ".join(str(v) for v in row)


def _listing(learner, instructor):
    """Side-by-side text of both layer lists; '*' marks the rows that differ."""
    left = [_describe(r) for r in learner]
    right = [_describe(r) for r in instructor]
    width = max([len("your model")] + [len(s) for s in left])
    lines = [f"    {'#':>3}  {'your model':<{width}}  | expected", "    " + "-" * (width + 18)]
    for i in range(max(len(left), len(right))):
        found = left[i] if i < len(left) else "(none)"
        expected = right[i] if i < len(right) else "(none)"
        same = (
            i < len(learner)
            and i < len(instructor)
            and _as_tuple(learner[i]) == _as_tuple(instructor[i])
        )
        mark = " " if same else "*"
        lines.append(f"  {mark} {i:>3}  {found:<{width}}  | {expected}")
    return "\n".join(lines)


def _first_field_difference(found, expected):
    """Words naming the first field where two rows of the same length differ."""
    names = ("layer type", "output shape", "number of parameters")
    names += _SETTING_NAMES.get(expected[0], ())
    for k, (a, b) in enumerate(zip(found, expected, strict=True)):
        if a != b:
            name = names[k] if k < len(names) else f"setting {k - 2}"
            return f"{name}: found {a!r}, expected {b!r}"
    return ""


def _check_rows(name, rows):
    if not isinstance(rows, (list, tuple)):
        raise ValueError(
            f"{name} must be a list of layer rows from summary(), got {type(rows).__name__}."
        )
    for i, row in enumerate(rows):
        if not isinstance(row, (list, tuple)) or len(row) < 3:
            raise ValueError(
                f"{name}[{i}] must be a row [class_name, output_shape, n_params, ...] "
                f"from summary(), got {row!r}."
            )


def comparator(learner, instructor, *, verbose=True):
    """Check that two layer lists from ``summary`` are the same, layer by layer.

    Arguments:
    learner -- list of rows, ``summary(model)`` of the model under test
    instructor -- list of rows, the expected summary (tuples or lists alike)
    verbose -- print "All layers match." on success

    Returns:
    None. Raises AssertionError when the lists differ: first, if the numbers
    of layers differ ("The model has 7 layers, expected 8."), then at the first
    differing layer, naming its index, the field, what was found and what was
    expected. Both messages end with a side-by-side listing of the two lists,
    differing rows marked with '*'. Raises ValueError when an argument is not
    a list of rows.
    """
    _check_rows("learner", learner)
    _check_rows("instructor", instructor)
    if len(learner) != len(instructor):
        raise AssertionError(
            f"The model has {len(learner)} layers, expected {len(instructor)}.\n"
            + _listing(learner, instructor)
        )
    for i, (found, expected) in enumerate(zip(learner, instructor, strict=True)):
        found_t, expected_t = _as_tuple(found), _as_tuple(expected)
        if found_t == expected_t:
            continue
        if found_t[0] != expected_t[0]:
            detail = f"it is a {found_t[0]} layer, expected {expected_t[0]}"
        elif len(found_t) != len(expected_t):
            detail = f"found {len(found_t)} fields, expected {len(expected_t)}"
        else:
            detail = _first_field_difference(found_t, expected_t)
        raise AssertionError(
            f"Layer {i} ({found_t[0]}) differs: {detail}.\n"
            f"  found:    {list(found)}\n"
            f"  expected: {list(expected)}\n" + _listing(learner, instructor)
        )
    if verbose:
        print("All layers match.")
