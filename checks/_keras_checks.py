"""Checks for Keras models, shared by the TensorFlow assignments' graders.

Each helper raises :class:`CheckFailure` with a sentence naming what is wrong
(a layer, a setting, a parameter count, the optimizer, the loss), built on the
``summary``/``comparator`` helpers of :mod:`cnn_course.utils.keras_summary`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from cnn_course.checks._checking import CheckFailure, call_unchecked, fn_name
from cnn_course.utils.runtime import quiet_tensorflow

quiet_tensorflow()

import keras  # noqa: E402

from cnn_course.utils.keras_summary import comparator, summary  # noqa: E402


def build_model(fn: Callable, *args: Any, **kwargs: Any) -> keras.Model:
    """Call a model builder; fail unless it returns a Keras model."""
    model = call_unchecked(fn, *args, **kwargs)
    name = fn_name(fn)
    if model is None:
        raise CheckFailure(f"{name} returned None: it must return the model. "
                           "Did you forget `return model`?")
    if not isinstance(model, keras.Model):
        raise CheckFailure(f"{name} must return a keras.Model, got {type(model).__name__}.")
    return model


def expect_class(model: keras.Model, cls: type, what: str, hint: str = "") -> None:
    if not isinstance(model, cls):
        raise CheckFailure(f"{what} must be a {cls.__name__}, got a {type(model).__name__}."
                           + (f" {hint}" if hint else ""))


def expect_layers(model: keras.Model, expected: Sequence[Sequence[Any]], what: str) -> None:
    """Fail unless ``summary(model)`` equals ``expected``.

    The failure names the first differing layer and field.
    """
    try:
        rows = summary(model)
    except ValueError as error:
        raise CheckFailure(f"{what}: {error}") from None
    try:
        comparator(rows, expected, verbose=False)
    except AssertionError as error:
        raise CheckFailure(f"{what} does not have the expected layers. {error}") from None


def expect_params(model: keras.Model, what: str, total: int, trainable: int | None = None) -> None:
    found = int(model.count_params())
    if found != total:
        raise CheckFailure(f"{what} has {found:,} parameters, expected {total:,}: compare your "
                           "layers with the description (filters, kernel sizes, biases).")
    if trainable is not None:
        found_t = int(sum(int(np.prod(w.shape)) for w in model.trainable_weights))
        if found_t != trainable:
            raise CheckFailure(f"{what} has {found_t:,} trainable parameters, expected "
                               f"{trainable:,}: check which layers are frozen "
                               "(`trainable = False`).")


def expect_compiled(model: keras.Model, what: str, optimizer: str, loss: type | str,
                    metrics: Sequence[str] = (), learning_rate: float | None = None,
                    from_logits: bool | None = None) -> None:
    """Fail unless the model was compiled with this optimizer class, loss, metrics and settings."""
    if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", True):
        raise CheckFailure(f"{what} is not compiled: call "
                           "model.compile(optimizer=..., loss=..., metrics=...).")
    found_opt = type(model.optimizer).__name__
    if found_opt.lower() != optimizer.lower():
        raise CheckFailure(f"{what} is compiled with the {found_opt} optimizer, "
                           f"expected {optimizer}.")
    if learning_rate is not None:
        lr = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
        if not np.isclose(lr, learning_rate, rtol=1e-6):
            raise CheckFailure(f"{what}'s optimizer has learning rate {lr:g}, "
                               f"expected {learning_rate:g}.")
    found_loss = model.loss
    if isinstance(loss, str):
        ok = found_loss == loss or getattr(found_loss, "name", None) == loss \
            or getattr(found_loss, "__name__", None) == loss
    else:
        ok = isinstance(found_loss, loss)
    if not ok:
        expected = loss if isinstance(loss, str) else loss.__name__
        raise CheckFailure(f"{what} is compiled with the loss {found_loss!r}, expected {expected}.")
    if from_logits is not None:
        found_logits = getattr(found_loss, "from_logits", None)
        if found_logits is None:
            config = found_loss.get_config() if hasattr(found_loss, "get_config") else {}
            found_logits = config.get("from_logits")
        if bool(found_logits) != from_logits:
            raise CheckFailure(f"{what}'s loss has from_logits={found_logits}, "
                               f"expected {from_logits}: "
                               + ("the model outputs logits (no activation on the last layer)."
                                  if from_logits else "the model outputs probabilities."))
    compiled_metrics = _metric_names(model)
    for metric in metrics:
        if metric not in compiled_metrics:
            raise CheckFailure(f"{what} is not compiled with the metric {metric!r} "
                               f"(found {compiled_metrics}).")


def _metric_names(model: keras.Model) -> list[str]:
    """Names of the metrics passed to compile (Keras 3 keeps them in the compile config)."""
    config = model.get_compile_config() or {}
    metrics = config.get("metrics") or []
    if isinstance(metrics, dict):
        metrics = [m for ms in metrics.values() for m in (ms if isinstance(ms, list) else [ms])]
    names = []
    for m in metrics:
        if isinstance(m, str):
            names.append(m)
        elif isinstance(m, dict):
            names.append(m.get("config", {}).get("name") or m.get("class_name", ""))
        else:
            names.append(getattr(m, "name", type(m).__name__))
    return names


def expect_loss_falls(model: keras.Model, x: Any, y: Any, what: str, steps: int = 10,
                      batch_size: int = 8, factor: float = 0.98) -> tuple[float, float]:
    """Train a compiled model a few steps on a tiny batch.

    Fail unless the loss falls below ``factor`` times the starting loss.
    """
    try:
        before = float(model.evaluate(x, y, batch_size=batch_size, verbose=0,
                                      return_dict=True)["loss"])
        model.fit(x, y, epochs=steps, batch_size=batch_size, verbose=0, shuffle=False)
        after = float(model.evaluate(x, y, batch_size=batch_size, verbose=0,
                                     return_dict=True)["loss"])
    except Exception as error:
        raise CheckFailure(f"{what} could not be trained on a tiny batch: "
                           f"{type(error).__name__}: {error}") from error
    if not np.isfinite(after) or after > factor * before:
        raise CheckFailure(f"{what} does not learn: after {steps} training steps on {len(y)} "
                           f"examples the loss went from {before:.4f} to {after:.4f}. Check the "
                           "loss, the last activation and that the layers are trainable.")
    return before, after
