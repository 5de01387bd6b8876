"""Weights this project trains itself (``make weights``), cached like the datasets.

The original course loads pretrained files that cannot be downloaded here. For
each of them this registry names a seeded training script of this project; the
result is written once into the weights folder and reused:

- ``$CNN_COURSE_WEIGHTS`` if set, else ``weights/`` beside the data folder
  (``~/.cache/cnn-course/weights`` by default);
- ``<name>.keras`` (or what the entry's ``filename`` says) and ``<name>.json``,
  a card with the seed, the training time and the metrics the script measured.

A trainer is ``train(destination: Path, *, smoke: bool = False, seed: int = 0,
verbose: bool = True) -> dict``: it writes the weights file at ``destination``
and returns its metrics (JSON numbers). ``smoke=True`` trains for a few steps
only, so tests can prove every script runs; a smoke file is never cached.

Notebooks call :func:`path_if_present` and fall back with a clear message (how
to make the file) when it returns None; nothing here trains on import.
"""

from __future__ import annotations

import importlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Weights:
    name: str
    filename: str
    trainer: str  # "module:function", imported only when training
    description: str
    minutes: int  # full training time on 2 cores, rounded up (documentation; README says what was measured)

    def path(self, folder: Path | None = None) -> Path:
        return (folder or weights_dir()) / self.filename


REGISTRY: dict[str, Weights] = {
    w.name: w
    for w in (
        Weights("resnet50_signs", "resnet50_signs.keras", "cnn_course.utils.train_resnet:train",
                "ResNet50 (the W2A1 source solution) trained longer on SIGNS", 12),  # 30 epochs x ~19 s (measured per epoch)
        Weights("mobilenet_v2_source", "mobilenet_v2_source.weights.h5", "cnn_course.utils.train_mobilenet:train",
                "MobileNetV2 base pretrained on the alpaca set's source task (no alpacas), for W2A2", 16),  # 905 s measured on 2026-12-06 (8 epochs, oneDNN on, data included)
        Weights("yolo_road", "yolo_road.keras", "cnn_course.utils.train_yolo:train",
                "YOLOv2-style road-scene detector for W3A1", 17),  # 1,017 s measured (40 epochs at 288x448)
    )
}


class WeightsError(RuntimeError):
    """A weights file is missing or unusable; the message says how to make it."""


def weights_dir() -> Path:
    """$CNN_COURSE_WEIGHTS, else ``weights/`` next to the data folder."""
    root = os.environ.get("CNN_COURSE_WEIGHTS")
    if root:
        path = Path(root).expanduser()
    else:
        from cnn_course.datasets import data_dir

        path = data_dir().parent / "weights"
    path.mkdir(parents=True, exist_ok=True)
    return path


def get(name: str) -> Weights:
    try:
        return REGISTRY[name]
    except KeyError:
        raise WeightsError(f"unknown weights {name!r}; known: {', '.join(REGISTRY)}") from None


def path_if_present(name: str, folder: Path | None = None) -> Path | None:
    """The cached weights file, or None when ``make weights`` has not produced it yet."""
    path = get(name).path(folder)
    return path if path.exists() else None


def card(name: str, folder: Path | None = None) -> dict:
    """What the training script measured ({} when the weights are missing)."""
    path = get(name).path(folder).with_name(f"{name}.json")
    return json.loads(path.read_text()) if path.exists() else {}


def how_to_make(name: str) -> str:
    w = get(name)
    return (f"`make weights NAME={name}` trains them ({w.description}; about {w.minutes} min on 2 cores) "
            f"into {w.path()}")


def make(name: str, folder: Path | None = None, *, force: bool = False, smoke: bool = False, seed: int = 0,
         verbose: bool = True) -> Path:
    """Train the weights unless cached; returns the file. Smoke runs write to a temporary folder."""
    w = get(name)
    destination = w.path(folder if not smoke else Path(tempfile.mkdtemp(prefix=f"{name}-smoke-")))
    if destination.exists() and not force:
        if verbose:
            print(f"[weights] {name}: cached at {destination}", flush=True)
        return destination
    module, function = w.trainer.split(":")
    train = getattr(importlib.import_module(module), function)
    if verbose:
        print(f"[weights] {name}: training ({w.description}){' in smoke mode' if smoke else ''}", flush=True)
    partial = destination.with_name(f".partial-{destination.name}")
    start = time.perf_counter()
    metrics = train(partial, smoke=smoke, seed=seed, verbose=verbose)
    seconds = time.perf_counter() - start
    if not partial.exists():
        raise WeightsError(f"the trainer of {name} wrote nothing at {partial}")
    partial.replace(destination)  # atomic: an interrupted run never leaves a half file under the real name
    info = {"name": name, "seed": seed, "smoke": smoke, "seconds": round(seconds, 1), "metrics": metrics,
            "trained": time.strftime("%Y-%m-%d %H:%M")}
    destination.with_name(f"{name}.json").write_text(json.dumps(info, indent=1))
    if verbose:
        print(f"[weights] {name}: {destination} in {seconds:.0f} s; {metrics}", flush=True)
    return destination
