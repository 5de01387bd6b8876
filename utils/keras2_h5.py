"""The weights of a Keras 2 ``.h5`` file (the original course's model files) in a Keras 3 model.

Keras 2 saved weights in HDF5: a group per layer, listed in order by the attribute
``layer_names``; each group lists its arrays by the attribute ``weight_names``
(``"conv1/kernel:0"``, ...), stored at those paths inside it. A whole-model file keeps
the same layout under its ``model_weights`` group. Keras 3 reads neither (its ``.h5``
loading expects its own layout and the model's configuration), so
:func:`load_keras2_weights` reads the arrays with h5py and assigns them layer by layer:
by layer name when every layer of the model that has weights is named in the file, else
in order (the i-th layer with weights of the file into the i-th of the model). Each
layer's arrays must have the shapes the model expects; the first layer that differs is
named, with both shapes, and nothing is assigned.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

ORIGINAL_FILES_HELP = (
    "The original course's model files are not distributed with this course. If you have one "
    "(for example from the original course's workspace), copy it beside this notebook or into "
    "the course's data folder, {folder}, and run this cell again.")


def find_original(filename: str) -> Path | None:
    """The original course's file ``filename`` beside the notebook (the working folder) or in the
    course's data folder (``$CNN_COURSE_DATA``, else a per-user cache folder); None if in
    neither."""
    from cnn_course.datasets import data_dir

    for folder in (Path.cwd(), data_dir()):
        if (folder / filename).is_file():
            return folder / filename
    return None


def missing_original(filename: str) -> str:
    """What to do to use the original course's ``filename``: where it goes."""
    from cnn_course.datasets import data_dir

    return f"{filename} was not found. " + ORIGINAL_FILES_HELP.format(folder=data_dir())


class WeightsMismatch(ValueError):
    """The file's weights do not fit the model; the message names the first layer that differs."""


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def read_keras2_weights(path: str | Path) -> list[tuple[str, list[np.ndarray]]]:
    """[(layer name, its arrays)] of a Keras 2 ``.h5`` file, in file order.

    Layers without weights are left out.
    """
    import h5py

    with h5py.File(path, "r") as file:
        group = file["model_weights"] if "model_weights" in file else file
        if "layer_names" not in group.attrs:
            raise WeightsMismatch(f"{Path(path).name} is not a Keras 2 weights file: it has no "
                                  "layer_names attribute (a Keras 3 file loads with "
                                  "model.load_weights)")
        layers = []
        for name in (_text(n) for n in group.attrs["layer_names"]):
            layer = group[name]
            arrays = [np.asarray(layer[_text(w)]) for w in layer.attrs.get("weight_names", [])]
            if arrays:
                layers.append((name, arrays))
    return layers


def weighted_layers(model) -> list:
    """The layers of ``model`` that hold weights, nested models' layers included, in order."""
    found = []
    for layer in model.layers:
        if getattr(layer, "layers", None):
            found += weighted_layers(layer)
        elif layer.weights:
            found.append(layer)
    return found


def load_keras2_weights(model, path: str | Path) -> str:
    """Assign the weights of a Keras 2 ``.h5`` file to ``model``.

    Returns "by name" or "by order".
    """
    stored = read_keras2_weights(path)
    ours = weighted_layers(model)
    by_file_name = dict(stored)
    if all(layer.name in by_file_name for layer in ours):
        how, pairs = "by name", [(layer, layer.name, by_file_name[layer.name]) for layer in ours]
    else:
        how = "by order"
        if len(stored) != len(ours):
            missing = next(layer.name for layer in ours if layer.name not in by_file_name)
            raise WeightsMismatch(f"the model has {len(ours)} layers with weights and the file "
                                  f"{len(stored)}; matching by name fails too: no layer "
                                  f"{missing!r} in the file")
        pairs = [(layer, name, arrays) for layer, (name, arrays) in zip(ours, stored, strict=True)]
    for layer, name, arrays in pairs:
        expected = [tuple(w.shape) for w in layer.weights]
        found = [tuple(a.shape) for a in arrays]
        if expected != found:
            raise WeightsMismatch(f"layer {layer.name!r} (the file's {name!r}, matched {how}) "
                                  f"expects weights of shapes {expected}, the file has {found}")
    for layer, _, arrays in pairs:
        layer.set_weights(arrays)
    return how
