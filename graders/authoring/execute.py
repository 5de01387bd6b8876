"""Execute a notebook headlessly and report what went wrong (smoke runs, tests, ``make bench``)."""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from cnn_course.graders.engine import injected


@dataclass
class NotebookRun:
    problems: list[str]  # empty when the run was clean
    seconds: float  # wall-clock time of the whole run, kernel start included
    metrics: dict = field(default_factory=dict)  # what the cells' ``metrics`` metadata recorded
    notebook: nbformat.NotebookNode | None = None  # with its outputs
    cell_seconds: dict = field(default_factory=dict)  # grade_id (or "cell <n>") -> seconds it ran

    def slowest(self, n: int = 5) -> str:
        """The ``n`` slowest cells, for example ``"train 412 s, plain_experiment 61 s"``."""
        ranked = sorted(self.cell_seconds.items(), key=lambda item: -item[1])[:n]
        return ", ".join(f"{name} {seconds:.0f} s" for name, seconds in ranked)


def _cell_seconds(nb: nbformat.NotebookNode) -> dict:
    """Seconds each executed code cell ran, from the timestamps nbclient records in its metadata."""
    from datetime import datetime

    seconds = {}
    for number, cell in enumerate(nb.cells):
        timing = cell.get("metadata", {}).get("execution", {})
        if (cell.get("cell_type") != "code"
                or not {"iopub.execute_input", "shell.execute_reply"} <= set(timing)):
            continue
        began, ended = (datetime.fromisoformat(timing[key].replace("Z", "+00:00"))
                        for key in ("iopub.execute_input", "shell.execute_reply"))
        name = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"cell {number}"
        seconds[name] = (ended - began).total_seconds()
    return seconds


def _inject_parameters(nb: nbformat.NotebookNode, parameters: dict) -> None:
    """Add a cell setting ``parameters`` right after the cell tagged ``parameters``.

    This is what papermill does.
    """
    index = next((i for i, c in enumerate(nb.cells)
                  if "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if index is None:
        raise ValueError("the notebook has no cell tagged 'parameters' to override")
    source = "\n".join(f"{name} = {value!r}" for name, value in parameters.items())
    nb.cells.insert(index + 1, nbformat.v4.new_code_cell(
        source, metadata={"tags": ["injected-parameters"]}))


def run_notebook(path: str | Path, smoke: bool = True, timeout: int = 600,
                 skip_tags: tuple[str, ...] = (), parameters: dict | None = None,
                 env: dict | None = None) -> NotebookRun:
    """Run every code cell (except those tagged with ``skip_tags``) in a fresh kernel.

    ``smoke=True`` sets CNN_COURSE_SMOKE=1 for the kernel and applies the
    ``parameters`` cell's ``smoke`` metadata; after each cell with ``metrics``
    metadata, those metrics are recorded (see :mod:`cnn_course.graders.engine.injected`).
    ``parameters`` overrides names of the ``parameters`` cell, smoke values
    included (a cell is added after it), for example ``{"seed": 1}``. ``env``
    adds environment variables for the kernel.
    Problems are: a cell that raised, or a cell that wrote to stderr (nbgrader
    would fail such a test cell).
    """
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells
                if not set(c.get("metadata", {}).get("tags", [])) & set(skip_tags)]
    if parameters:
        _inject_parameters(nb, parameters)
    # after the parameters cell, before its overrides
    injected.inject(nb, smoke=smoke, metrics=True)
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        metrics_file = Path(tmp) / "metrics.json"
        overrides = {"CNN_COURSE_SMOKE": "1" if smoke else "0",
                     "CNN_COURSE_METRICS": str(metrics_file), **(env or {})}
        saved = {k: os.environ.get(k) for k in overrides}
        os.environ.update(overrides)
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        start = time.perf_counter()
        try:
            client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                    resources={"metadata": {"path": str(path.parent)}})
            try:
                client.execute()
            except CellExecutionError as error:
                problems.append(f"a cell raised: {str(error).strip().splitlines()[-1]}")
        finally:
            seconds = time.perf_counter() - start
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        metrics = json.loads(metrics_file.read_text()) if metrics_file.exists() else {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "?")
                problems.append(f"cell {grade_id} wrote to stderr: "
                                f"{output.get('text', '')[:300]!r}")
    return NotebookRun(problems, seconds, metrics, nb, _cell_seconds(nb))


def execute_notebook(path: str | Path, smoke: bool = True, timeout: int = 600,
                     skip_tags: tuple[str, ...] = ()) -> list[str]:
    """The problems of :func:`run_notebook` (empty when the run was clean)."""
    return run_notebook(path, smoke=smoke, timeout=timeout, skip_tags=skip_tags).problems
