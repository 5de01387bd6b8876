"""run_notebook: the smoke switch and settings, parameters, metrics and problem detection."""

from __future__ import annotations

import nbformat

from cnn_course.graders.authoring.execute import run_notebook


def _notebook(tmp_path, *sources, parameters_at=0):
    nb = nbformat.v4.new_notebook()
    for k, source in enumerate(sources):
        cell = nbformat.v4.new_code_cell(source)
        if k == parameters_at:
            cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return path


def test_parameters_are_overridden_and_metrics_recorded(tmp_path):
    path = _notebook(tmp_path, "seed = 0\nepochs = 5",
                     "from cnn_course.utils import report_metric, smoke_mode\n"
                     "report_metric('seed_times_epochs', seed * epochs)\n"
                     "report_metric('smoke', smoke_mode())")
    run = run_notebook(path, smoke=False, parameters={"seed": 3})
    assert run.problems == []
    assert run.metrics == {"seed_times_epochs": 15, "smoke": False}
    assert run_notebook(path, smoke=True).metrics["smoke"] is True


def test_errors_and_stderr_are_problems(tmp_path):
    path = _notebook(tmp_path, "x = 1", "import sys\nsys.stderr.write('careful\\n')", "1 / 0")
    problems = run_notebook(path).problems
    assert any("stderr" in p and "careful" in p for p in problems)
    assert any("ZeroDivisionError" in p for p in problems)


def test_each_cell_is_timed_and_named_by_its_grade_id(tmp_path):
    path = _notebook(tmp_path, "seed = 0", "import time\ntime.sleep(1.5)", "x = 1")
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].metadata["nbgrader"] = {"grade_id": "sleeper"}
    nbformat.write(nb, path)
    run = run_notebook(path)
    assert 1.4 <= run.cell_seconds["sleeper"] < 10
    assert run.cell_seconds["cell 2"] < 1.0  # unnamed cells go by their position
    assert run.slowest(1) == "sleeper 2 s"


def test_smoke_settings_and_metrics_metadata_are_applied(tmp_path):
    """The parameters cell's smoke settings (in smoke runs) and each cell's metrics are applied."""
    path = _notebook(tmp_path, "import os", "epochs = 5\nseed = 0", "result = epochs * 10 + seed",
                     parameters_at=1)
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].metadata["smoke"] = {"epochs": 1, "seed": 7}
    nb.cells[2].metadata["metrics"] = {"result": "result", "absent": "None"}
    nbformat.write(nb, path)
    assert run_notebook(path, smoke=False).metrics == {"result": 50}
    assert run_notebook(path, smoke=True).metrics == {"result": 17}
    explicit = run_notebook(path, smoke=True, parameters={"seed": 2})
    assert explicit.problems == [] and explicit.metrics == {"result": 12}, "explicit parameters win"


def test_eager_smoke_setting_runs_functions_eagerly_without_a_warning(tmp_path):
    quiet = "from cnn_course.utils import quiet_tensorflow\n\nquiet_tensorflow()"
    path = _notebook(tmp_path, quiet, "epochs = 5",
                     "import tensorflow as tf\n\n"
                     "data = tf.data.Dataset.range(3).map(lambda x: x + 1)  # traced all the same\n"
                     "eager = tf.config.functions_run_eagerly()", parameters_at=1)
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].metadata["smoke"] = {"run_functions_eagerly": True}
    nb.cells[2].metadata["metrics"] = {"eager": "eager", "epochs": "epochs"}
    nbformat.write(nb, path)
    run = run_notebook(path, smoke=True)
    assert run.problems == [] and run.metrics == {"eager": True, "epochs": 5}
    assert run_notebook(path, smoke=False).metrics["eager"] is False
