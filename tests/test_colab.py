"""The first cell of a released notebook installs the student package in Colab, from where the
course setting says, and does nothing anywhere else.

The cell is run as it is built, in a fresh Python where ``google.colab`` is a stub module
(with a Drive that "mounts" a temporary folder) and pip is replaced by a recorder.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from cnn_course.graders.authoring.notebooks import (
    assignments,
    build_notebook,
    source_path,
    wheel_name,
)

ASSIGNMENTS = assignments()

_HARNESS = r"""
import json, os, subprocess, sys, types
colab = types.ModuleType("google.colab")
drive = types.ModuleType("google.colab.drive")
mounted = []
drive.mount = lambda where: mounted.append(where)
colab.drive = drive
google = types.ModuleType("google"); google.colab = colab
if os.environ.get("FAKE_COLAB") == "1":
    sys.modules.update({"google": google, "google.colab": colab, "google.colab.drive": drive})
calls = []
subprocess.run = lambda command, **kwargs: calls.append(command)
error = None
try:
    exec(compile(open(sys.argv[1]).read(), "colab_install", "exec"), {"__name__": "__main__"})
except Exception as exc:
    error = f"{type(exc).__name__}: {exc}"
print(json.dumps({"calls": calls, "mounted": mounted, "assets": os.environ.get("CNN_COURSE_ASSETS"),
                  "error": error}))
"""


def _first_cell(tmp_path: Path, assignment_id: str) -> str:
    built = build_notebook(source_path(assignment_id), tmp_path / "built.ipynb")
    cell = next(c for c in nbformat.read(built, as_version=4).cells if c.cell_type == "code")
    return cell.source


def _run_cell(tmp_path: Path, source: str, cwd: Path, colab: bool,
              drive: Path | None = None) -> dict:
    if drive is not None:
        source = source.replace('"/content/drive"', repr(str(drive))).replace(
            '"/content/drive/MyDrive"', repr(str(drive / "MyDrive")))
    cell = tmp_path / "cell.py"
    cell.write_text(source)
    env = {"PATH": "/usr/bin:/bin", "FAKE_COLAB": "1" if colab else "0"}
    run = subprocess.run([sys.executable, "-c", _HARNESS, str(cell)], cwd=cwd, env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(run.stdout)


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_every_notebook_starts_with_the_same_install_cell(tmp_path, assignment_id):
    reference = _first_cell(tmp_path, ASSIGNMENTS[0])
    assert _first_cell(tmp_path, assignment_id) == reference
    assert "git+" not in reference and "example" not in reference, "no placeholder URL"


def test_outside_colab_the_cell_does_nothing(tmp_path):
    result = _run_cell(tmp_path, _first_cell(tmp_path, ASSIGNMENTS[0]), tmp_path, colab=False)
    assert result == {"calls": [], "mounted": [], "assets": None, "error": None}


def test_in_colab_it_installs_the_wheel_beside_the_notebook(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_STUDENT_PACKAGE", "wheel")
    desk = tmp_path / "content"
    desk.mkdir()
    (desk / wheel_name()).write_bytes(b"wheel")
    result = _run_cell(tmp_path, _first_cell(tmp_path, ASSIGNMENTS[0]), desk, colab=True)
    assert result["error"] is None and result["mounted"] == []
    assert result["calls"] == [[result["calls"][0][0], "-m", "pip", "install", "-q",
                                str(desk / wheel_name())]]
    assert result["assets"] == str(desk)


def test_in_colab_it_finds_the_wheel_in_the_drive(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_STUDENT_PACKAGE", "wheel")
    desk, drive = tmp_path / "content", tmp_path / "drive"
    folder = drive / "MyDrive" / "course" / "w1a1_conv_step_by_step"
    folder.mkdir(parents=True)
    desk.mkdir()
    (folder / wheel_name()).write_bytes(b"wheel")
    result = _run_cell(tmp_path, _first_cell(tmp_path, ASSIGNMENTS[0]), desk, colab=True,
                       drive=drive)
    assert result["error"] is None and result["mounted"] == [str(drive)]
    assert result["calls"][0][-1] == str(folder / wheel_name()) and result["assets"] == str(folder)


def test_in_colab_a_missing_wheel_says_what_to_upload(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_STUDENT_PACKAGE", "wheel")
    (tmp_path / "content").mkdir()
    (tmp_path / "drive" / "MyDrive").mkdir(parents=True)
    result = _run_cell(tmp_path, _first_cell(tmp_path, ASSIGNMENTS[0]), tmp_path / "content",
                       colab=True, drive=tmp_path / "drive")
    assert result["calls"] == [] and wheel_name() in result["error"] and "upload" in result["error"]


@pytest.mark.parametrize("spec", ["cnn-course==0.1.0",
                                  "https://course.example.org/cnn_course-0.1.0-py3-none-any.whl"])
def test_in_colab_it_installs_a_named_package_or_a_wheel_url(tmp_path, monkeypatch, spec):
    monkeypatch.setenv("CNN_COURSE_STUDENT_PACKAGE", spec)
    result = _run_cell(tmp_path, _first_cell(tmp_path, ASSIGNMENTS[0]), tmp_path, colab=True)
    assert result["error"] is None and result["mounted"] == [] and result["assets"] is None
    assert result["calls"][0][-1] == spec


def test_the_student_package_keeps_colabs_tensorflow():
    """The requirement accepts the TensorFlow versions Colab ships.

    So pip leaves Colab's TensorFlow in place.
    """
    import tomllib
    from packaging.requirements import Requirement

    root = Path(__file__).resolve().parents[1]
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    requirements = [Requirement(r) for r in project["dependencies"]]
    tensorflow = next(r for r in requirements if r.name == "tensorflow")
    for version in ("2.17.1", "2.18.0", "2.19.0", "2.20.0"):
        assert tensorflow.specifier.contains(version), f"tensorflow {version} would be replaced"
