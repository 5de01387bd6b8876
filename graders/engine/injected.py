"""Cells the course's runners add to a notebook: smoke settings and benchmark metrics.

A notebook keeps this machinery out of the cells a student reads, in cell metadata
(jupytext py:percent: ``# %% tags=["parameters"] smoke={"epochs": 1}``):

- ``smoke``, on the cell tagged ``parameters``: a JSON object of name -> value, each name
  assigned that value right after the cell in smoke mode. The key
  ``run_functions_eagerly`` (true) is no name: it runs every ``tf.function`` eagerly, for
  notebooks whose smoke run takes so few steps that tracing a large model's training graph
  would cost more than it saves;
- ``metrics``, on any code cell: a JSON object of benchmark metric name -> Python
  expression, evaluated right after the cell and recorded with
  :func:`cnn_course.utils.runtime.report_metric` (an expression giving None records
  nothing).

:func:`inject` adds the code cells that apply them (tagged ``injected``);
:func:`remove_injected` takes them out of an executed notebook. The runners use them:
``authoring.execute.run_notebook``, ``authoring.classroom.run_as_student``, the fast
grader's worker (``remote.cells_of``), and stock ``nbgrader validate`` / ``autograde``:
``nbgrader_config.py`` sets :func:`nbgrader_start` as the ``on_notebook_start`` hook of
nbgrader's ``Execute`` (the Validator's list of preprocessors is not configurable, Execute's
hooks are), and puts :class:`RemoveInjectedCells` right after ``Execute`` in autograde (the
synchronous ``Execute`` never calls ``on_notebook_complete``).
"""

from __future__ import annotations

import keyword

from nbgrader.preprocessors import NbGraderPreprocessor

SMOKE_KEY = "smoke"
METRICS_KEY = "metrics"
EAGER_KEY = "run_functions_eagerly"
INJECTED_TAG = "injected"


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def smoke_settings(nb) -> dict:
    """The ``smoke`` object of the notebook's ``parameters`` cell ({} when it has none)."""
    for cell in nb.cells:
        if cell.get("cell_type") == "code" and "parameters" in _tags(cell):
            settings = cell.get("metadata", {}).get(SMOKE_KEY) or {}
            if not isinstance(settings, dict):
                raise ValueError(f"the parameters cell's {SMOKE_KEY!r} metadata must be a JSON "
                                 "object")
            return dict(settings)
    return {}


def _parameters_source(nb) -> str | None:
    for cell in nb.cells:
        if cell.get("cell_type") == "code" and "parameters" in _tags(cell):
            return cell.get("source", "").strip()
    return None


def source_smoke_settings(nb) -> dict:
    """The smoke settings of the course's source notebook whose parameters cell reads as ``nb``'s.

    For a submission saved by an editor that drops cell metadata: nbgrader restores the
    locked parameters cell's text, and that text tells its source. {} when none matches
    (or the sources are not there).
    """
    from cnn_course.graders.authoring.notebooks import assignments, read_notebook, source_path

    mine = _parameters_source(nb)
    try:
        for assignment_id in assignments():
            source = read_notebook(source_path(assignment_id))
            if mine is not None and _parameters_source(source) == mine:
                return smoke_settings(source)
    except (OSError, ValueError):
        pass
    return {}


def smoke_source(settings: dict, eager: bool = True) -> str:
    """Python assigning the smoke values (and, if they ask and ``eager``, running eagerly)."""
    lines = []
    for name, value in settings.items():
        if name == EAGER_KEY:
            continue
        if not name.isidentifier() or keyword.iskeyword(name):
            raise ValueError(f"smoke setting {name!r} is not a Python name")
        if not isinstance(value, str | int | float | bool | list | dict | type(None)):
            raise ValueError(f"smoke setting {name!r} must be a JSON value, "
                             f"not {type(value).__name__}")
        lines.append(f"{name} = {value!r}")
    if eager and settings.get(EAGER_KEY):
        lines += ["import warnings", "", "import tensorflow as tf", "",
                  "tf.config.run_functions_eagerly(True)",
                  "# tf.data traces its functions all the same, and warns about it on stderr",
                  "warnings.filterwarnings(",
                  '    "ignore", message=r".*does not apply to tf\\.data functions")']
    return "\n".join(lines)


def metrics_source(metrics: dict) -> str:
    """Python recording each metric, ``{name: expression}``, with ``report_metric``."""
    if not isinstance(metrics, dict):
        raise ValueError(f"{METRICS_KEY!r} metadata must be a JSON object of name -> expression")
    lines = ["from cnn_course.utils.runtime import report_metric as _report_metric", ""]
    for name, expression in metrics.items():
        compile(expression, f"<metric {name}>", "eval")  # a syntax error names the metric here
        lines.append(f"_report_metric({name!r}, ({expression}))")
    return "\n".join(lines)


def _cell(source: str):
    import nbformat

    return nbformat.v4.new_code_cell(source, metadata={"tags": [INJECTED_TAG]})


def inject(nb, smoke: bool, metrics: bool = False, eager: bool = True,
           settings: dict | None = None):
    """Add, in place, the smoke cell after the ``parameters`` cell and a metrics cell after each
    cell with ``metrics``; returns ``nb``. Cells injected before are removed first.

    ``settings``: the smoke settings to apply (default: the parameters cell's own).
    """
    remove_injected(nb)
    if not smoke:
        settings = {}
    elif settings is None:
        settings = smoke_settings(nb)
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        if cell.get("cell_type") != "code":
            continue
        if settings and "parameters" in _tags(cell):
            cells.append(_cell(smoke_source(settings, eager=eager)))
        if metrics and cell.get("metadata", {}).get(METRICS_KEY):
            cells.append(_cell(metrics_source(cell["metadata"][METRICS_KEY])))
    nb.cells = cells
    return nb


def remove_injected(nb):
    """Take the injected cells out of ``nb`` (in place); returns ``nb``."""
    nb.cells = [cell for cell in nb.cells if INJECTED_TAG not in _tags(cell)]
    return nb


def nbgrader_start(notebook, **_) -> None:
    """Hook ``on_notebook_start`` of nbgrader's ``Execute``: the smoke cell, in smoke mode.

    Under ``nbgrader validate`` and ``autograde`` smoke mode is on unless
    ``CNN_COURSE_SMOKE=0`` (see :func:`cnn_course.utils.runtime.smoke_mode`).
    """
    from cnn_course.utils.runtime import smoke_mode

    if smoke_mode():
        inject(notebook, smoke=True,
               settings=smoke_settings(notebook) or source_smoke_settings(notebook))


class RemoveInjectedCells(NbGraderPreprocessor):
    """The autograde step after ``Execute``: the autograded notebook and its feedback show only
    the notebook's own cells."""

    def preprocess(self, nb, resources):
        return remove_injected(nb), resources
