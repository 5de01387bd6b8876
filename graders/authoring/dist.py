"""Build the student package (``make dist``) from a clean copy of what it contains.

The wheel is built from a temporary folder that holds only the student package's
sources (pyproject.toml, utils/, datasets/, checks/), so no stale build
folder and no instructor file can slip into it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from cnn_course.graders.authoring.notebooks import repo_root, wheel_name

STUDENT_SOURCES = ("pyproject.toml", "utils", "datasets", "checks")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".ipynb_checkpoints")


def build_wheel(outdir: Path, quiet: bool = True) -> Path:
    """Build the student wheel into ``outdir``; returns its path."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cnn-course-dist-") as tmp:
        tree = Path(tmp) / "src"
        tree.mkdir()
        for name in STUDENT_SOURCES:
            source = repo_root() / name
            if source.is_dir():
                shutil.copytree(source, tree / name, ignore=IGNORED)
            else:
                shutil.copy2(source, tree / name)
        command = [sys.executable, "-m", "build", "--wheel", "--no-isolation",
                   "--outdir", str(outdir), str(tree)]
        run = subprocess.run(command, capture_output=quiet, text=True)
        if run.returncode != 0:
            raise RuntimeError(f"building the student wheel failed:\n{run.stdout}\n{run.stderr}")
    wheel = outdir / wheel_name()
    if not wheel.exists():
        raise RuntimeError(f"the build wrote no {wheel.name} in {outdir}")
    return wheel
