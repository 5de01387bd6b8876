"""The dataset registry: where files live, which source is used, and when to generate.

A :class:`Dataset` names the files of the original layout (relative to the data
folder), a ``validate(folder)`` that raises :class:`DatasetError` naming the
file, what was found and what was expected, and a seeded ``generate(folder)``
that writes an offline stand-in in exactly that layout.

:func:`prepare` decides, for one dataset:

- every file present: use them (the original files, or a stand-in generated
  earlier, recognised by its marker file) after validating them;
- no file present: generate the stand-in once, into a temporary folder that is
  moved into place, then write the marker; nothing present is ever overwritten;
- some files present and others missing: raise, naming what is missing (an
  incomplete copy of the original is never mixed with generated files);
- a stand-in whose marker names another ``version`` of its generator: removed
  and generated again (original files have no marker: they are never removed).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

MARKER_SUFFIX = ".standin.json"


class DatasetError(ValueError):
    """A dataset file is missing, incomplete, corrupt or has the wrong layout."""


def data_dir() -> Path:
    """The folder that holds the course's data: $CNN_COURSE_DATA, else a per-user cache folder."""
    root = os.environ.get("CNN_COURSE_DATA")
    if root:
        path = Path(root).expanduser()
    else:
        base = os.environ.get("XDG_CACHE_HOME") or (Path.home() / ".cache")
        path = Path(base) / "cnn-course" / "data"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class Dataset:
    name: str  # registry key, e.g. "happy"
    title: str  # for messages, e.g. "Happy House"
    files: tuple[str, ...]  # paths relative to the data folder; a folder ends with "/"
    generate: Callable[[Path], None]  # writes the stand-in's files under the given folder
    validate: Callable[[Path], None]  # raises DatasetError on a wrong layout
    seed: int = 0
    version: int = 1  # bump when the generator's output changes
    description: str = ""
    gallery: Callable[[Path], object] | None = None  # folder -> matplotlib Figure of samples
    extra: dict = field(default_factory=dict)

    def marker(self, folder: Path) -> Path:
        return folder / f".{self.name}{MARKER_SUFFIX}"

    def present(self, folder: Path) -> list[str]:
        return [f for f in self.files if (folder / f).exists()]


REGISTRY: dict[str, Dataset] = {}


def register(dataset: Dataset) -> Dataset:
    if dataset.name in REGISTRY:
        raise ValueError(f"dataset {dataset.name!r} is registered twice")
    REGISTRY[dataset.name] = dataset
    return dataset


def get(name: str) -> Dataset:
    if name not in REGISTRY:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name]


def source_of(dataset: Dataset, folder: Path | None = None) -> str:
    """"original" or "stand-in" for files already in the data folder."""
    folder = folder or data_dir()
    return "stand-in" if dataset.marker(folder).exists() else "original"


def prepare(name: str, folder: Path | None = None, verbose: bool = True) -> tuple[Path, str]:
    """Make sure the dataset's files are in the data folder; returns (folder, source).

    ``source`` is "original" or "stand-in". Prints which one it used when verbose.
    Two processes that prepare the same dataset at once (two notebooks opened
    together, parallel test workers) take turns: the second finds it ready.
    """
    dataset = get(name)
    folder = Path(folder) if folder else data_dir()
    if len(dataset.present(folder)) == len(dataset.files) and not _outdated(dataset, folder):
        return _prepare(dataset, folder, verbose)
    with _generation_lock(folder, dataset.name):
        return _prepare(dataset, folder, verbose)


@contextmanager
def _generation_lock(folder: Path, name: str):
    """An exclusive advisory lock on ``.<name>.lock`` in the data folder, where the system has
    one."""
    try:
        import fcntl
    except ImportError:  # Windows: no fcntl; a half-moved set is still refused by _prepare
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    try:
        handle = open(folder / f".{name}.lock", "w")  # noqa: SIM115 (held across the yield)
    except OSError:  # a read-only data folder: nothing will be generated there anyway
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _outdated(dataset: Dataset, folder: Path) -> bool:
    """True for a stand-in whose marker names another version of its generator."""
    try:
        written = json.loads(dataset.marker(folder).read_text()).get("version")
    except (OSError, ValueError, AttributeError):  # no marker (original files) or an unreadable one
        return False
    return written != dataset.version


def _prepare(dataset: Dataset, folder: Path, verbose: bool) -> tuple[Path, str]:
    if _outdated(dataset, folder):  # generated by an older generator: make it again
        if verbose:
            print(f"{dataset.title}: the stand-in in {folder} is from another version of its "
                  "generator; replacing it", flush=True)
        remove(dataset.name, folder)
    present = dataset.present(folder)
    if present and len(present) < len(dataset.files):
        missing = [f for f in dataset.files if f not in present]
        raise DatasetError(
            f"{dataset.title}: the data folder {folder} holds {', '.join(present)} but not "
            f"{', '.join(missing)}. Add the missing original files, or remove the ones present "
            "to let the course generate its offline stand-in."
        )
    if not present:
        started = time.perf_counter()
        if verbose:
            print(f"{dataset.title}: generating the offline stand-in in {folder} (once)...",
                  flush=True)
        _generate_into(dataset, folder)
        if verbose:
            seconds = time.perf_counter() - started
            print(f"{dataset.title}: stand-in ready in {seconds:.1f} s", flush=True)
    dataset.validate(folder)
    source = source_of(dataset, folder)
    if verbose and present:
        what = "the original files" if source == "original" else "the generated stand-in"
        print(f"{dataset.title}: using {what} in {folder}", flush=True)
    return folder, source


def _generate_into(dataset: Dataset, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=f".{dataset.name}-tmp-") as tmp:
        tmp_path = Path(tmp)
        dataset.generate(tmp_path)
        for relative in dataset.files:
            target = folder / relative.rstrip("/")
            if target.exists():  # never overwrite what is there
                raise DatasetError(f"{target} appeared while the stand-in was being generated")
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_path / relative.rstrip("/"), target)
    dataset.marker(folder).write_text(json.dumps(
        {"dataset": dataset.name, "seed": dataset.seed, "version": dataset.version,
         "generator": "cnn_course.datasets"}, indent=1))


def remove(name: str, folder: Path | None = None) -> None:
    """Delete a generated stand-in (never original files: those have no marker)."""
    dataset = get(name)
    folder = folder or data_dir()
    if not dataset.marker(folder).exists():
        raise DatasetError(f"{dataset.title} in {folder} is not a generated stand-in; "
                           "not removing it")
    for relative in dataset.files:
        target = folder / relative.rstrip("/")
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    dataset.marker(folder).unlink()
