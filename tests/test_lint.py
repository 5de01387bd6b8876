"""ruff passes on the whole repository (notebook sources included)."""

import shutil
import subprocess
import sys
from pathlib import Path

from cnn_course.graders.authoring.notebooks import repo_root


def test_ruff_is_clean():
    ruff = Path(sys.executable).with_name("ruff")
    command = [str(ruff)] if ruff.exists() else [shutil.which("ruff") or "ruff"]
    proc = subprocess.run([*command, "check", "."], cwd=repo_root(), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_notebook_sources_keep_the_line_length_outside_their_cell_headers():
    """ruff checks E501 everywhere but in notebooks, whose ``# %%`` headers carry the cell
    metadata on one line; every other line of a notebook source holds the limit too."""
    import re

    config = (repo_root() / "pyproject.toml").read_text()
    limit = int(re.search(r"^line-length = (\d+)", config, re.MULTILINE).group(1))
    long = [f"{path.relative_to(repo_root())}:{number}"
            for path in sorted((repo_root() / "notebooks").glob("*/*.py"))
            for number, line in enumerate(path.read_text().splitlines(), start=1)
            if len(line) > limit and not line.startswith("# %%")]
    assert not long, f"lines over {limit} characters: {long}"
