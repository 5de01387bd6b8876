"""Play the classroom: a student's Python with only the student package.

A released notebook then runs in it.

:func:`make_student_env` creates a virtual environment holding the student wheel, its
requirements (from the same package index as ``make setup``) and a Jupyter kernel, and
nothing of the course repository. :func:`run_as_student` executes a notebook there, in
its own folder, the way a student's Jupyter would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import nbformat
import tomllib

from cnn_course.graders.authoring.notebooks import repo_root
from cnn_course.graders.engine import injected

# What a student's Jupyter brings besides the course: a kernel and a notebook runner.
JUPYTER = ("ipykernel", "nbclient", "nbformat")

_EXECUTE = r"""
import sys, nbformat
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

path, out, folder, timeout = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
spec = KernelSpecManager().get_kernel_spec("python3")
if spec.argv[0] not in ("python", "python3", sys.executable):
    sys.exit(f"the python3 kernel would run {spec.argv[0]}, "
             f"not this environment's {sys.executable}")
nb = nbformat.read(path, as_version=4)
client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                        resources={"metadata": {"path": folder}})
try:
    client.execute()
finally:
    nbformat.write(nb, out)
"""


def student_requirements(tensorflow: str = "tensorflow-cpu") -> list[str]:
    """The student package's requirements.

    ``tensorflow`` may name the CPU build, as ``make setup`` does.
    """
    specs = tomllib.loads((repo_root() / "pyproject.toml").read_text())["project"]["dependencies"]
    return [tensorflow + spec[len("tensorflow"):] if spec.startswith("tensorflow") and
            not spec.startswith("tensorflow-") else spec for spec in specs]


def student_environ(python: Path, **extra: str) -> dict[str, str]:
    """The environment of a student's process.

    Their Python comes first on PATH, and nothing of the instructor's is left.
    """
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    instructor = Path(sys.prefix).resolve()
    path = [p for p in env.get("PATH", "").split(os.pathsep)
            if p and not Path(p).resolve().is_relative_to(instructor)]
    env["PATH"] = os.pathsep.join([str(Path(python).parent), *path])
    env.update(extra)
    return env


def _pip(python: Path, *args: str) -> None:
    run = subprocess.run([str(python), "-m", "pip", "install", "-q",
                          "--disable-pip-version-check", *args],
                         capture_output=True, text=True, env=student_environ(python))
    if run.returncode != 0:
        raise RuntimeError(f"pip install {' '.join(args)} failed:\n"
                           f"{run.stdout[-3000:]}\n{run.stderr[-3000:]}")


def make_student_env(folder: Path, wheel: Path | None, tensorflow: str = "tensorflow-cpu",
                     jupyter: bool = True) -> Path:
    """A fresh virtual environment with the student package and its requirements.

    It also gets a kernel when ``jupyter`` is true; returns its python.

    ``wheel`` None installs the repository's student package in editable mode instead (the
    grader's sandbox environment, which follows the sources).
    """
    folder = Path(folder)
    venv.EnvBuilder(with_pip=True, clear=True).create(folder)
    python = folder / "bin" / "python"
    _pip(python, *student_requirements(tensorflow), *(JUPYTER if jupyter else ()))
    if wheel is None:
        _pip(python, "--no-deps", "--no-build-isolation", "-e", str(repo_root()))
    else:
        _pip(python, "--no-deps", str(wheel))
    return python


def probe(python: Path) -> dict:
    """Where the student's Python finds the course modules (None for a module it cannot import)."""
    code = ("import importlib.util as u, json\n"
            "names = ['cnn_course.utils', 'cnn_course.datasets', 'cnn_course.checks', "
            "'cnn_course.graders']\n"
            "print(json.dumps({n: (u.find_spec(n).origin if u.find_spec(n) else None) "
            "for n in names}))")
    run = subprocess.run([str(python), "-I", "-c", code], capture_output=True, text=True,
                         check=True, env=student_environ(python), cwd=Path(python).parent)
    return json.loads(run.stdout)


def run_as_student(python: Path, notebook: Path, smoke: bool = True, timeout: int = 900,
                   **environ: str) -> tuple[nbformat.NotebookNode, str]:
    """Execute ``notebook`` in its folder with the student's Python.

    Returns (executed notebook, error text).

    ``smoke``: CNN_COURSE_SMOKE=1 and the parameters cell's smoke settings, applied by a
    cell added after it (absent from the executed notebook returned). The error text is
    empty when every cell ran; otherwise it is what the runner reported.
    """
    notebook = Path(notebook)
    out = notebook.with_name(f".executed-{notebook.name}")
    extra = {"CNN_COURSE_SMOKE": "1"} if smoke else {}
    extra.update(environ)
    to_run = notebook.with_name(f".run-{notebook.name}")
    nbformat.write(injected.inject(nbformat.read(notebook, as_version=4), smoke=smoke), to_run)
    try:
        run = subprocess.run([str(python), "-c", _EXECUTE, str(to_run), str(out),
                              str(notebook.parent), str(timeout)],
                             capture_output=True, text=True, cwd=notebook.parent,
                             env=student_environ(python, **extra))
    finally:
        to_run.unlink(missing_ok=True)
    executed = (nbformat.read(out, as_version=4) if out.exists()
                else nbformat.read(notebook, as_version=4))
    injected.remove_injected(executed)
    error = "" if run.returncode == 0 else (run.stderr[-4000:] or run.stdout[-4000:]
                                            or f"exit {run.returncode}")
    return executed, error
