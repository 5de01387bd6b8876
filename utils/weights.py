"""Pretrained weights the course provides, and where a notebook finds them.

The original course loads pretrained files that cannot be downloaded here; the
course staff train their own (with the course repository) and hand them out with
the released notebooks. :func:`locate` looks for a file, in this order:

1. **beside the notebook**: the folder ``$CNN_COURSE_ASSETS`` names (the Colab cell
   sets it to the folder that holds the course package), else the working directory,
   which is the notebook's folder in Jupyter and under nbgrader;
2. **the cache**: ``$CNN_COURSE_WEIGHTS``, else ``weights/`` beside the data folder
   (``~/.cache/cnn-course/weights`` by default);
3. **the course URL**: when the release manifest beside the notebook
   (``course_assets.json``) names a base URL, the file is downloaded from
   ``<url>/<file name>`` with a timeout, checked against the SHA-256 the manifest
   records, and cached;
4. else None: the notebook says what is missing (:func:`missing_message`) and goes
   on with its documented fallback.

A file whose SHA-256 differs from the manifest's is never used.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

MANIFEST = "course_assets.json"
DOWNLOAD_TIMEOUT = 10.0  # seconds without an answer before a download is given up


@dataclass(frozen=True)
class Weights:
    name: str
    filename: str
    assignment: str  # the assignment whose notebook uses them
    description: str

    def path(self, folder: Path | None = None) -> Path:
        """Where the file is (or would be) cached."""
        return (folder or weights_dir()) / self.filename


REGISTRY: dict[str, Weights] = {
    w.name: w
    for w in (
        # Weights only, never a whole saved model: a model file carries its architecture,
        # which for ResNet50 is a graded answer. The notebook loads them into the student's model.
        Weights("resnet50_signs", "resnet50_signs.weights.h5", "w2a1_residual_networks",
                "the weights of the assignment's ResNet50, trained for longer on SIGNS"),
        Weights("mobilenet_v2_source", "mobilenet_v2_source.weights.h5", "w2a2_transfer_learning",
                "a MobileNetV2 base pretrained on the course's 12-class source task (no alpacas)"),
        Weights("yolo_road", "yolo_road.keras", "w3a1_car_detection",
                "the course's YOLOv2-style road-scene detector"),
    )
}


class WeightsError(RuntimeError):
    """A weights file is unknown, or a download failed; the message says why."""


def weights_dir() -> Path:
    """The weights cache: $CNN_COURSE_WEIGHTS, else ``weights/`` next to the data folder."""
    root = os.environ.get("CNN_COURSE_WEIGHTS")
    if root:
        path = Path(root).expanduser()
    else:
        from cnn_course.datasets import data_dir

        path = data_dir().parent / "weights"
    path.mkdir(parents=True, exist_ok=True)
    return path


def assets_dir() -> Path:
    """The folder of the released notebook: $CNN_COURSE_ASSETS, else the working directory."""
    return Path(os.environ.get("CNN_COURSE_ASSETS") or Path.cwd())


def get(name: str) -> Weights:
    try:
        return REGISTRY[name]
    except KeyError:
        raise WeightsError(f"unknown weights {name!r}; known: {', '.join(REGISTRY)}") from None


def for_assignment(assignment_id: str) -> list[Weights]:
    return [w for w in REGISTRY.values() if w.assignment == assignment_id]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(folder: Path | None = None) -> dict:
    """The release manifest beside the notebook ({} when there is none)."""
    path = (folder or assets_dir()) / MANIFEST
    if not path.exists():
        return {}
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise WeightsError(f"{path} is not a valid course manifest ({error}); ask the course "
                           "staff for a new copy.") from None
    return manifest if isinstance(manifest, dict) else {}


def _expected_sha(manifest: dict, filename: str) -> str | None:
    entry = manifest.get("weights", {}).get(filename)
    return entry.get("sha256") if isinstance(entry, dict) else None


def _matches(path: Path, expected: str | None) -> bool:
    return expected is None or sha256(path) == expected


def download(url: str, destination: Path, expected_sha256: str,
             timeout: float = DOWNLOAD_TIMEOUT) -> Path:
    """Fetch ``url`` into ``destination`` if its SHA-256 is ``expected_sha256``.

    Otherwise raise WeightsError.

    Nothing is left at ``destination`` when the download fails or the checksum differs.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=f".partial-{destination.name}-",
                                       dir=destination.parent)
    digest = hashlib.sha256()
    try:
        with os.fdopen(handle, "wb") as out, \
                urllib.request.urlopen(url, timeout=timeout) as response:
            for block in iter(lambda: response.read(1 << 20), b""):
                digest.update(block)
                out.write(block)
    # refused, unreachable, timed out, HTTP error: all mean "not downloaded"
    except Exception as error:
        os.unlink(partial)
        reason = getattr(error, "reason", None) or error
        raise WeightsError(f"could not download {url}: {type(error).__name__}: {reason}") from None
    if digest.hexdigest() != expected_sha256:
        os.unlink(partial)
        raise WeightsError(f"the file downloaded from {url} has SHA-256 "
                           f"{digest.hexdigest()[:16]}..., not the {expected_sha256[:16]}... the "
                           "course manifest records: it was not used.")
    os.replace(partial, destination)
    return destination


def locate(name: str, verbose: bool = True, timeout: float = DOWNLOAD_TIMEOUT) -> Path | None:
    """The weights file ``name``, found beside the notebook, in the cache or at the course URL.

    None when it is in none of these places.

    With ``verbose`` it prints one line saying where the file came from or why it is missing.
    """
    w = get(name)
    manifest = read_manifest()
    expected = _expected_sha(manifest, w.filename)
    say = print if verbose else (lambda *args, **kwargs: None)
    beside = assets_dir() / w.filename
    if beside.exists():
        if _matches(beside, expected):
            say(f"Pretrained weights: {w.filename}, found beside the notebook.")
            return beside
        say(f"{beside} does not match the course manifest's checksum: ignored.")
    cached = w.path()
    if cached.exists():
        if _matches(cached, expected):
            say(f"Pretrained weights: {w.filename}, found in the cache ({cached.parent}).")
            return cached
        say(f"{cached} does not match the course manifest's checksum: ignored.")
    url = str(manifest.get("weights_url") or "").rstrip("/")
    if url and expected:
        source = f"{url}/{w.filename}"
        say(f"Downloading {w.filename} from {source} ...", flush=True)
        try:
            path = download(source, cached, expected, timeout=timeout)
        except WeightsError as error:
            say(f"{error}.")
            return None
        say(f"Pretrained weights: {w.filename} downloaded, checksum verified, "
            f"cached in {cached.parent}.")
        return path
    return None


def missing_message(name: str) -> str:
    """What a student reads when ``name`` is not available."""
    w = get(name)
    return (f"The pretrained weights file {w.filename} ({w.description}) is not available: "
            f"it is neither beside this notebook nor in {weights_dir()}. "
            "The course staff provide it with the notebook.")


def path_if_present(name: str, folder: Path | None = None) -> Path | None:
    """The cached file (no lookup beside the notebook, no download), or None."""
    path = get(name).path(folder)
    return path if path.exists() else None


def card(name: str, folder: Path | None = None, path: Path | None = None) -> dict:
    """The training card beside a weights file (what its training measured), {} when absent."""
    weights_file = path or get(name).path(folder)
    card_path = weights_file.with_name(f"{name}.json")
    return json.loads(card_path.read_text()) if card_path.exists() else {}
