"""Read and build the notebook sources (jupytext py:percent with nbgrader metadata).

The source of each assignment is ``notebooks/<assignment_id>/<notebook>.py``;
``.ipynb`` files are build outputs. A cell's role comes from its metadata:

- ``tags``: ``setup`` (imports only), ``parameters`` (run-time knobs), ``slow``;
- ``smoke`` (on the parameters cell) and ``metrics``: the smoke settings and benchmark
  metrics that the runners apply around the cell (``engine.injected``);
- ``nbgrader``: ``solution: true`` marks a graded cell (one function each),
  ``grade: true`` with ``solution: false`` a test cell.
"""

from __future__ import annotations

import os
from pathlib import Path

import jupytext
import nbformat
import tomllib

from cnn_course.graders.authoring import expected_output

GENERATED_NOTE = "Generated from {source} by `make build`; edit the .py source, not this file."
# smoke and metrics: what the runners apply around a cell (cnn_course.graders.engine.injected)
KEEP_CELL_METADATA = ("nbgrader", "tags", "smoke", "metrics")
COLAB_LINE_PREFIX = "STUDENT_PACKAGE = "


def repo_root() -> Path:
    """The course repository (the folder holding notebooks/, graders/, ...)."""
    return Path(__file__).resolve().parents[2]


def notebooks_dir() -> Path:
    path = repo_root() / "notebooks"
    if not path.is_dir():
        raise FileNotFoundError(
            f"{path} does not exist: the notebook sources ship with the course repository, "
            "not with an installed wheel; clone the repository and `pip install -e .`."
        )
    return path


def assignments() -> list[str]:
    """Assignment ids (folder names under notebooks/), in course order."""
    return sorted(p.name for p in notebooks_dir().iterdir() if p.is_dir() and list(p.glob("*.py")))


def source_path(assignment_id: str) -> Path:
    """The .py source of an assignment's notebook."""
    folder = notebooks_dir() / assignment_id
    sources = sorted(folder.glob("*.py"))
    if len(sources) != 1:
        known = ", ".join(assignments())
        raise ValueError(f"no single notebook source in {folder} (found {len(sources)}); "
                         f"known assignments: {known}")
    return sources[0]


def read_notebook(path: str | Path) -> nbformat.NotebookNode:
    """A notebook from a .py source (jupytext) or a .ipynb file."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"notebook {path} does not exist")
    if path.suffix == ".py":
        return jupytext.read(path, fmt="py:percent")
    if path.suffix == ".ipynb":
        return nbformat.read(path, as_version=4)
    raise ValueError(f"{path}: expected a .py (jupytext) or .ipynb notebook")


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def nbgrader_meta(cell) -> dict:
    return dict(cell.get("metadata", {}).get("nbgrader", {}))


def is_graded_code(cell) -> bool:
    """A cell the student fills in: nbgrader solution code."""
    return cell.cell_type == "code" and bool(nbgrader_meta(cell).get("solution"))


def is_test(cell) -> bool:
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def course_setting(name: str) -> str:
    """A ``[tool.cnn-course]`` setting of pyproject.toml; ``$CNN_COURSE_<NAME>`` overrides it."""
    override = os.environ.get("CNN_COURSE_" + name.upper().replace("-", "_"))
    if override is not None:
        return override
    pyproject = tomllib.loads((repo_root() / "pyproject.toml").read_text())
    return pyproject["tool"]["cnn-course"][name]


def student_version() -> str:
    return tomllib.loads((repo_root() / "pyproject.toml").read_text())["project"]["version"]


def wheel_name() -> str:
    """The file name of the student package's wheel (``make dist``)."""
    return f"cnn_course-{student_version()}-py3-none-any.whl"


def colab_package() -> str:
    """What the Colab cell installs.

    The wheel beside the notebook, a requirement, or a wheel URL.
    """
    spec = course_setting("student-package").strip()
    return wheel_name() if spec in ("", "wheel") else spec


def build_notebook(source: str | Path, destination: str | Path | None = None) -> Path:
    """Render a .py source to .ipynb: only nbgrader/tags metadata, stable cell ids, no outputs.

    Each test cell is followed by its "Expected output" block (:mod:`.expected_output`).
    """
    source = Path(source)
    destination = Path(destination) if destination else source.with_suffix(".ipynb")
    nb = read_notebook(source)
    spec = colab_package()
    for index, cell in enumerate(nb.cells):
        cell.metadata = {k: cell.metadata[k] for k in KEEP_CELL_METADATA if k in cell.metadata}
        grade_id = nbgrader_meta(cell).get("grade_id")
        cell.id = (grade_id or f"cell-{index}").replace("_", "-")[:64]
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            lines = cell.source.splitlines()
            for k, line in enumerate(lines):
                if line.startswith(COLAB_LINE_PREFIX):
                    comment = line[line.index("  #"):] if "  #" in line else ""
                    lines[k] = f"{COLAB_LINE_PREFIX}{spec!r}{comment}"
            cell.source = "\n".join(lines)
    expected_output.insert(nb, expected_output.stored(source.parent.name))
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                       "name": "python3"},
        "language_info": {"name": "python"},
        "cnn_course": {"generated": GENERATED_NOTE.format(source=source.name)},
    }
    nbformat.validate(nb)
    destination.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, destination)
    return destination
