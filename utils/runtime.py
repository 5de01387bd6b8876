"""Run-time switches shared by every notebook."""

import json
import os
from pathlib import Path


def smoke_mode() -> bool:
    """True when a notebook should use its small, fast settings.

    That is when ``CNN_COURSE_SMOKE=1`` (CI runs every notebook so) or when
    nbgrader is executing the notebook (it sets ``NBGRADER_EXECUTION`` while it
    validates or autogrades), so that grading never waits for full training.
    """
    if os.environ.get("CNN_COURSE_SMOKE", "").strip() not in ("", "0"):
        return True
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def quiet_tensorflow() -> None:
    """Silence TensorFlow's C++ and Python logs; call before importing it.

    nbgrader fails a test cell that writes anything to stderr, and TensorFlow
    logs to stderr on import. Must run before the first ``import tensorflow``.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and TensorFlow/Keras (``keras.utils.set_random_seed``) at once."""
    quiet_tensorflow()
    import keras

    keras.utils.set_random_seed(int(seed))


def report_metric(name: str, value) -> None:
    """Record a result (an accuracy, a time) for ``make bench``; a no-op otherwise.

    ``make bench`` runs a notebook with ``CNN_COURSE_METRICS`` naming a JSON
    file; each call adds ``name: value`` to it. Values must be JSON numbers,
    strings or lists of them.
    """
    target = os.environ.get("CNN_COURSE_METRICS")
    if not target:
        return
    path = Path(target)
    metrics = json.loads(path.read_text()) if path.exists() else {}
    metrics[name] = value.item() if hasattr(value, "item") else value
    path.write_text(json.dumps(metrics, indent=1))
