"""Load the graded functions of a notebook (the source solution or a submission).

This is the basis of fast grading, of the reference outputs and of the
acceptance tests: only the ``setup`` and ``parameters`` cells and the graded
cells run, never the ``slow`` ones.
"""

from __future__ import annotations

import types
from pathlib import Path


def _python_source(cell_source: str) -> str:
    """Cell source as plain Python (IPython magics such as %pip become calls)."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(cell_source)


def _failing_stub(name: str, error: BaseException):
    def stub(*args, **kwargs):
        raise RuntimeError(f"the cell that defines {name} failed to run: "
                           f"{type(error).__name__}: {error}")

    stub.__name__ = name
    return stub


def graded_functions_of(nb) -> dict[str, list[str]]:
    """{grade_id: [names of the functions the graded cell defines]} (from the source text)."""
    import ast

    from cnn_course.graders.authoring.notebooks import is_graded_code, nbgrader_meta

    found = {}
    for cell in nb.cells:
        if is_graded_code(cell):
            try:
                tree = ast.parse(_python_source(cell.source))
            except SyntaxError:
                found[nbgrader_meta(cell)["grade_id"]] = []
                continue
            found[nbgrader_meta(cell)["grade_id"]] = [
                node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.ClassDef)
            ]
    return found


def load_functions(assignment_id: str, notebook_path: str | Path | None = None,
                   expected: dict[str, list[str]] | None = None,
                   namespace: dict | None = None) -> types.SimpleNamespace:
    """The functions defined in the graded cells of a notebook, as a namespace.

    Runs only the cells tagged ``setup`` or ``parameters`` (imports and
    constants such as ``IMG_SIZE``) and the graded (nbgrader solution) code
    cells, in order, in one fresh namespace: never the ``slow`` cells, demos or
    tests. ``notebook_path`` is a student's ``.ipynb`` (or ``.py``);
    by default the assignment's source solution is used.

    A graded cell that fails to run (a syntax error, say) does not stop the
    loading: each function it should define becomes a stub that raises a
    RuntimeError naming the problem, so that its check fails with a sentence.
    ``expected`` is :func:`graded_functions_of` the source (read from it when None).
    ``namespace`` is the dict the cells run in (a fresh one when None): pass one to run more
    of the notebook's code after them, as the cells themselves would see it.
    """
    from cnn_course.graders.authoring.notebooks import (
        is_graded_code,
        read_notebook,
        source_path,
        tags,
    )

    path = Path(notebook_path) if notebook_path else source_path(assignment_id)
    nb = read_notebook(path)
    if expected is None:
        expected = graded_functions_of(read_notebook(source_path(assignment_id)))
    if namespace is None:
        namespace = {}
    namespace.setdefault("__name__", f"cnn_course_graded_{assignment_id}")
    functions: dict = {}
    for cell in nb.cells:
        if cell.cell_type != "code" or "slow" in tags(cell):
            continue
        graded = is_graded_code(cell)
        if not graded and not {"setup", "parameters"} & set(tags(cell)):
            continue
        before = set(namespace)
        try:
            code = compile(_python_source(cell.source),
                           f"<{path.name}: "
                           f"{cell.metadata.get('nbgrader', {}).get('grade_id', 'cell')}>",
                           "exec")
            exec(code, namespace)  # noqa: S102 - running the notebook's own cells is the point
        except Exception as error:
            if graded:
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
                for name in expected.get(grade_id, []):
                    functions[name] = _failing_stub(name, error)
                continue
            raise RuntimeError(f"setup or parameters cell of {path} failed: "
                               f"{type(error).__name__}: {error}") from error
        if graded:
            functions.update({k: namespace[k] for k in set(namespace) - before
                              if callable(namespace[k])})
            functions.update({k: namespace[k] for k in namespace
                              if k in sum(expected.values(), [])})
    for names in expected.values():
        for name in names:
            if name not in functions:
                functions[name] = _failing_stub(
                    name, NameError(f"{name} is not defined in the notebook"))
    return types.SimpleNamespace(**functions)
