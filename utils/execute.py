"""Execute a notebook headlessly and report what went wrong (used by smoke runs and tests)."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def execute_notebook(path: str | Path, smoke: bool = True, timeout: int = 600,
                     skip_tags: tuple[str, ...] = ()) -> list[str]:
    """Run every code cell (except those tagged with ``skip_tags``) in a fresh kernel.

    Returns a list of problems, empty when the run was clean: a cell that
    raised, or a cell that wrote to stderr (nbgrader would fail such a test
    cell). ``smoke=True`` sets CNN_COURSE_SMOKE=1 for the kernel.
    """
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if not set(c.get("metadata", {}).get("tags", [])) & set(skip_tags)]
    env_before = os.environ.get("CNN_COURSE_SMOKE")
    os.environ["CNN_COURSE_SMOKE"] = "1" if smoke else "0"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    problems = []
    try:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        try:
            client.execute()
        except CellExecutionError as error:
            problems.append(f"a cell raised: {str(error).strip().splitlines()[-1]}")
    finally:
        if env_before is None:
            os.environ.pop("CNN_COURSE_SMOKE", None)
        else:
            os.environ["CNN_COURSE_SMOKE"] = env_before
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "?")
                problems.append(f"cell {grade_id} wrote to stderr: {output.get('text', '')[:300]!r}")
    return problems
