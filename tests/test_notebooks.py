"""Notebook sources follow the conventions of DESIGN.md.

Hygiene, grade ids, test cells, skeleton.
"""

from __future__ import annotations

import ast
import re

import nbformat
import pytest

from cnn_course.graders.authoring.notebooks import (
    KEEP_CELL_METADATA,
    assignments,
    build_notebook,
    colab_package,
    is_graded_code,
    is_test,
    nbgrader_meta,
    read_notebook,
    source_path,
    tags,
)

ASSIGNMENTS = assignments()

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n.*?### END HIDDEN TESTS\n?", re.S)
# Graded cells are named after their function, which may be camelCase (happyModel, ResNet50).
GRADE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@pytest.fixture(params=ASSIGNMENTS)
def source(request):
    return source_path(request.param), read_notebook(source_path(request.param))


def test_source_is_py_percent_without_outputs_or_foreign_metadata(source):
    path, _ = source
    text = path.read_text()
    assert text.startswith("# ---\n# jupyter:"), "sources are jupytext py:percent files"
    header = text.split("# ---", 2)[1]
    assert set(re.findall(r"^#   (\w+):", header, re.M)) <= {"jupytext", "kernelspec"}, \
        "foreign notebook metadata"
    _, nb = source
    for cell in nb.cells:  # jupytext's own layout hint aside
        keys = set(cell.metadata) - {"lines_to_next_cell"}
        assert keys <= set(KEEP_CELL_METADATA), \
            f"foreign cell metadata {keys} in {nbgrader_meta(cell)}"
    assert "execution_count" not in text and '"outputs"' not in text


def test_every_cell_has_a_readable_unique_grade_id(source):
    _, nb = source
    ids = [nbgrader_meta(c).get("grade_id") for c in nb.cells]
    assert None not in ids, "every cell carries nbgrader metadata with a grade_id"
    assert len(ids) == len(set(ids)), f"duplicate grade ids: {[i for i in ids if ids.count(i) > 1]}"
    bad = [i for i in ids if not GRADE_ID.match(i) or i.startswith("cell")]
    assert not bad, f"unreadable grade ids: {bad}"


def test_test_cells_have_docstring_visible_check_hidden_block_and_end_in_a_call(source):
    _, nb = source
    tests = [c for c in nb.cells if is_test(c)]
    assert tests
    for cell in tests:
        grade_id = nbgrader_meta(cell)["grade_id"]
        assert grade_id.endswith("_tests"), grade_id
        assert nbgrader_meta(cell).get("points", 0) > 0 and nbgrader_meta(cell).get("locked")
        body = ast.parse(cell.source).body
        first = body[0]
        assert isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
            and isinstance(first.value.value, str) and "\n" not in first.value.value.strip(), \
            f"{grade_id} must start with a one-line docstring"
        assert "### BEGIN HIDDEN TESTS" in cell.source, f"{grade_id} has no hidden tests"
        visible = ast.parse(HIDDEN.sub("", cell.source)).body
        assert len(visible) >= 2, f"{grade_id} has no visible check"
        # nbgrader gives full credit to a cell ending in a bare expression whatever its value.
        for version, statements in (("visible", visible), ("source", body)):
            last = statements[-1]
            assert isinstance(last, ast.Expr) and isinstance(last.value, ast.Call), \
                f"{grade_id} ({version}) must end in a call that raises on failure"
            assert not isinstance(last.value, ast.Compare)


def test_graded_cells_hold_one_function_with_a_solution_region(source):
    _, nb = source
    graded = [c for c in nb.cells if is_graded_code(c)]
    assert graded
    for cell in graded:
        grade_id = nbgrader_meta(cell)["grade_id"]
        functions = [n for n in ast.parse(cell.source).body if isinstance(n, ast.FunctionDef)]
        assert len(functions) == 1 and functions[0].name == grade_id, \
            f"{grade_id}: one function named so"
        assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
        assert ast.get_docstring(functions[0]), f"{grade_id} needs a docstring (its shape contract)"
        assert not nbgrader_meta(cell).get("locked")


def test_skeleton_goals_colab_setup_parameters_then_sections_then_summary(source):
    _, nb = source
    assert nb.cells[0].cell_type == "markdown" and "objective" in nb.cells[0].source.lower()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "google.colab" in code[0].source, \
        "the first code cell installs the course package in Colab"
    assert "setup" in tags(code[1]), "the second code cell is the setup cell"
    for node in ast.parse(code[1].source).body:
        is_import = isinstance(node, ast.Import | ast.ImportFrom)
        is_quiet = isinstance(node, ast.Expr) and "quiet_tensorflow" in ast.unparse(node)
        assert is_import or is_quiet, \
            f"the setup cell holds imports only, found: {ast.unparse(node)}"
    assert any("parameters" in tags(c) for c in code), \
        "a cell tagged parameters holds the run-time knobs"
    assert "summary" in nbgrader_meta(nb.cells[-1])["grade_id"]


def test_cells_stay_short(source):
    _, nb = source
    for cell in nb.cells:
        if cell.cell_type == "code" and not is_graded_code(cell) and not is_test(cell):
            lines = [ln for ln in cell.source.splitlines() if ln.strip()]
            assert len(lines) <= 30, \
                f"cell {nbgrader_meta(cell)['grade_id']} has {len(lines)} lines"


def test_build_output_is_clean_and_says_it_is_generated(built):
    for assignment_id, path in built.items():
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert "generated" in nb.metadata["cnn_course"]["generated"].lower()
        assert nb.metadata["kernelspec"]["name"] == "python3"
        for cell in nb.cells:
            assert set(cell.metadata) <= set(KEEP_CELL_METADATA), \
                f"{assignment_id}: foreign cell metadata"
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None
        first_code = [c for c in nb.cells if c.cell_type == "code"][0]
        assert repr(colab_package()) in first_code.source


def test_colab_package_is_a_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_STUDENT_PACKAGE", "cnn-course==9.9")
    path = build_notebook(source_path(ASSIGNMENTS[0]), tmp_path / "nb.ipynb")
    first_code = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"][0]
    assert "STUDENT_PACKAGE = 'cnn-course==9.9'" in first_code.source


def test_w1a1_learning_objectives_at_the_top():
    nb = read_notebook(source_path("w1a1_conv_step_by_step"))
    goals = nb.cells[0].source.lower()
    for objective in ("convolution operation", "pooling", "padding", "stride", "filter",
                      "forward and backward"):
        assert objective in goals, f"learning objective about {objective!r} missing"
