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
