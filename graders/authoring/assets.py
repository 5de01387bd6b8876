"""What travels with a released notebook: the student package and the pretrained weights.

``make release`` calls :func:`add_assets` on each released assignment folder. It puts
there, beside the notebook:

- the student package's wheel (``make dist``), which the notebook's first cell installs
  in Colab (when the course setting ``student-package`` is ``"wheel"``, the default);
- the assignment's pretrained weights, when the course has built them: copied, or, when
  the course setting ``weights-url`` names a base URL, only recorded (the instructor
  uploads the files there and the notebook downloads them);
- ``course_assets.json``, the manifest: what the notebook installs, and each weights
  file with its SHA-256 (:func:`cnn_course.utils.weights.locate` checks it).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from cnn_course.graders.authoring.notebooks import (
    colab_package,
    course_setting,
    repo_root,
    wheel_name,
)
from cnn_course.utils import weights


def built_wheel(dist: Path | None = None) -> Path:
    """The student wheel in dist/, or a clear error saying how to build it."""
    path = (dist or repo_root() / "dist") / wheel_name()
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: `make dist` builds the student package first.")
    return path


def add_assets(folder: Path, assignment_id: str, wheel: Path | None = None) -> dict:
    """Put the wheel, the built weights and the manifest beside a released notebook.

    Returns the manifest.
    """
    folder = Path(folder)
    install = colab_package()
    manifest: dict = {"assignment": assignment_id, "package": {"install": install}}
    if install == wheel_name():
        wheel = wheel or built_wheel()
        shutil.copy2(wheel, folder / wheel.name)
        manifest["package"].update(file=wheel.name, sha256=weights.sha256(wheel))
    url = course_setting("weights-url").strip().rstrip("/")
    manifest["weights_url"] = url
    manifest["weights"] = {}
    manifest["missing"] = []
    for entry in weights.for_assignment(assignment_id):
        built = weights.path_if_present(entry.name)
        if built is None:
            manifest["missing"].append(entry.name)
            continue
        record = {"name": entry.name, "sha256": weights.sha256(built),
                  "bytes": built.stat().st_size, "beside_notebook": not url}
        if not url:
            shutil.copy2(built, folder / entry.filename)
            card = built.with_name(f"{entry.name}.json")  # what its training measured
            if card.exists():
                shutil.copy2(card, folder / card.name)
        manifest["weights"][entry.filename] = record
    (folder / weights.MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest
