"""The scripts that train the course's own weights (``make weights``), instructor-only.

Each entry of :data:`cnn_course.utils.weights.REGISTRY` has a trainer here:
``train(destination: Path, *, smoke: bool = False, seed: int = 0, verbose: bool = True) -> dict``
writes the weights file at ``destination`` and returns its metrics (JSON numbers).
``smoke=True`` trains for a few steps only, so tests can prove every script runs; a smoke
file is never cached. :func:`make` writes the file into the weights cache with a card
(``<name>.json``: seed, training time, metrics); ``make release`` then hands it out.
"""

from __future__ import annotations

import importlib
import json
import tempfile
import time
from pathlib import Path

from cnn_course.utils.weights import WeightsError, get

# name: (trainer "module:function", full training time on 2 cores in minutes, rounded up)
TRAINERS: dict[str, tuple[str, int]] = {
    "resnet50_signs": ("cnn_course.graders.trainers.resnet:train", 12),
    "mobilenet_v2_source": ("cnn_course.graders.trainers.mobilenet:train", 16),
    "yolo_road": ("cnn_course.graders.trainers.yolo:train", 17),
}


def how_to_make(name: str) -> str:
    """For instructors: the command that trains ``name``."""
    w = get(name)
    return (f"`make weights NAME={name}` trains them ({w.description}; about "
            f"{TRAINERS[name][1]} min on 2 cores) into {w.path()}")


def make(name: str, folder: Path | None = None, *, force: bool = False, smoke: bool = False,
         seed: int = 0, verbose: bool = True) -> Path:
    """Train the weights unless cached; returns the file. Smoke runs write to a temporary folder."""
    w = get(name)
    if name not in TRAINERS:
        raise WeightsError(f"no trainer for {name!r}")
    destination = w.path(folder if not smoke else Path(tempfile.mkdtemp(prefix=f"{name}-smoke-")))
    if destination.exists() and not force:
        if verbose:
            print(f"[weights] {name}: cached at {destination}", flush=True)
        return destination
    module, function = TRAINERS[name][0].split(":")
    train = getattr(importlib.import_module(module), function)
    if verbose:
        print(f"[weights] {name}: training ({w.description})"
              f"{' in smoke mode' if smoke else ''}", flush=True)
    partial = destination.with_name(f".partial-{destination.name}")
    start = time.perf_counter()
    metrics = train(partial, smoke=smoke, seed=seed, verbose=verbose)
    seconds = time.perf_counter() - start
    if not partial.exists():
        raise WeightsError(f"the trainer of {name} wrote nothing at {partial}")
    # atomic: an interrupted run never leaves a half file under the real name
    partial.replace(destination)
    info = {"name": name, "seed": seed, "smoke": smoke, "seconds": round(seconds, 1),
            "metrics": metrics,
            "trained": time.strftime("%Y-%m-%d %H:%M")}
    destination.with_name(f"{name}.json").write_text(json.dumps(info, indent=1))
    if verbose:
        print(f"[weights] {name}: {destination} in {seconds:.0f} s; {metrics}", flush=True)
    return destination
