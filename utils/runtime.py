"""Run-time switches shared by every notebook."""

import contextlib
import importlib.abc
import importlib.util
import json
import os
import sys
from pathlib import Path


def smoke_mode() -> bool:
    """True when a notebook should use its small, fast settings.

    That is when ``CNN_COURSE_SMOKE=1`` (CI runs every notebook so) or when
    nbgrader is executing the notebook (it sets ``NBGRADER_EXECUTION`` while it
    validates or autogrades), so that grading never waits for full training.
    ``CNN_COURSE_SMOKE=0`` asks for the full settings, under nbgrader too. A
    notebook's own smoke values sit in its parameters cell's ``smoke`` metadata,
    which the course's runners apply; library code reads this switch.
    """
    switch = os.environ.get("CNN_COURSE_SMOKE", "").strip()
    if switch:
        return switch != "0"
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def quiet_tensorflow() -> None:
    """Silence TensorFlow's C++ and Python logs; call before importing it.

    nbgrader fails a test cell that writes anything to stderr, and TensorFlow
    logs to stderr on import. Must run before the first ``import tensorflow``.

    ``TF_CPP_MIN_LOG_LEVEL=3`` silences the logs, except the line about oneDNN
    that TensorFlow writes while it loads, before its log level is read. That
    line is swallowed instead: the first ``import tensorflow`` runs with the
    process's stderr (file descriptor 2) sent to /dev/null. oneDNN stays on:
    turning it off (``TF_ENABLE_ONEDNN_OPTS=0``) would silence the line too, but
    makes convolutions on a CPU slower. Without the variable, TensorFlow turns
    oneDNN on only on CPUs with AVX-512, although it speeds up convolutions on
    AVX2 CPUs too. So this sets it to 1 unless it is already set (``0`` turns
    oneDNN off, as usual).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if "tensorflow" not in sys.modules and not any(isinstance(f, _QuietTensorFlowImport)
                                                   for f in sys.meta_path):
        sys.meta_path.insert(0, _QuietTensorFlowImport())


@contextlib.contextmanager
def _stderr_descriptor_muted():
    """Send file descriptor 2 to /dev/null inside the block.

    C++ code writes there, not to sys.stderr.
    """
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class _QuietTensorFlowImport(importlib.abc.MetaPathFinder):
    """An import hook that runs the first ``import tensorflow`` with stderr muted.

    It then removes itself.

    A hook rather than importing TensorFlow at once: callers that never use
    TensorFlow do not pay for importing it.
    """

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        if self in sys.meta_path:
            # one shot; also keeps find_spec below from finding this hook
            sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        loader, exec_module = spec.loader, spec.loader.exec_module

        def quiet_exec_module(module):
            with _stderr_descriptor_muted():
                exec_module(module)

        loader.exec_module = quiet_exec_module
        return spec


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and TensorFlow/Keras (``keras.utils.set_random_seed``) at once."""
    quiet_tensorflow()
    import keras

    keras.utils.set_random_seed(int(seed))


def report_metric(name: str, value) -> None:
    """Record a result (an accuracy, a time) for the course's benchmarks; a no-op otherwise.

    ``make bench`` runs a notebook with ``CNN_COURSE_METRICS`` naming a JSON
    file; each call adds ``name: value`` to it. Values must be JSON numbers,
    strings or lists of them; None records nothing.
    """
    target = os.environ.get("CNN_COURSE_METRICS")
    if not target or value is None:
        return
    path = Path(target)
    metrics = json.loads(path.read_text()) if path.exists() else {}
    metrics[name] = value.item() if hasattr(value, "item") else value
    path.write_text(json.dumps(metrics, indent=1))
