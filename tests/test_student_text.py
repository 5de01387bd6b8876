"""Student text: no development notes in the released notebooks, run-time machinery in metadata.

The words and patterns that mark a development note are kept in one place,
``cnn_course.graders.authoring.student_text``; the smoke settings and benchmark metrics that
used to sit in the student's cells are cell metadata applied by the runners
(``cnn_course.graders.engine.injected``).
"""

from __future__ import annotations

import ast
import re

import nbformat
import pytest

from cnn_course.graders.authoring import student_text
from cnn_course.graders.authoring.notebooks import (
    assignments,
    nbgrader_meta,
    read_notebook,
    source_path,
    tags,
)
from cnn_course.graders.engine import cohort as ct
from cnn_course.graders.engine import injected

ASSIGNMENTS = assignments()
MACHINERY = re.compile(r"\b(smoke_mode|report_metric|run_eagerly|run_functions_eagerly)\b")


@pytest.fixture(scope="module")
def releases(tmp_path_factory) -> dict:
    """{assignment_id: released notebook}, each released by nbgrader from the current source."""
    course = ct.make_course(tmp_path_factory.mktemp("student-text") / "course")
    return {a: ct.release(course, a) for a in ASSIGNMENTS}


@pytest.mark.nbgrader
@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_released_notebook_holds_no_development_notes(releases, assignment_id):
    nb = nbformat.read(releases[assignment_id], as_version=4)
    notes = student_text.dev_notes(nb)
    assert not notes, "development notes reach the student:\n" + student_text.describe(
        releases[assignment_id].name, notes)


@pytest.mark.nbgrader
def test_a_planted_note_is_found_with_its_notebook_cell_and_phrase(releases):
    path = releases[ASSIGNMENTS[0]]
    nb = nbformat.read(path, as_version=4)
    skip = (None, student_text.GRADING_SECTION)
    markdown = next(c for c in nb.cells
                    if c.cell_type == "markdown" and nbgrader_meta(c).get("grade_id") not in skip)
    markdown.source += "\n\nIn our runs this reached 0.97 (Keras 3 (3.15, measured))."
    notes = student_text.dev_notes(nb)
    cell = nbgrader_meta(markdown)["grade_id"]
    assert {(cell, "our runs"), (cell, "Keras 3 (")} <= {(c, phrase) for c, phrase, _ in notes}
    report = student_text.describe(path.name, notes)
    assert f'{path.name}, cell {cell}: "our runs" (a lab-book phrase)' in report


def test_each_kind_of_note_fires_and_the_grading_section_may_name_nbgrader():
    planted = {
        "lab": "0.93 to 0.97 in our runs (seeds 0, 1 and 2)",
        "version": "Keras 3 (3.15, measured) lets fit override it",
        "make": "run `make weights` first",
        "metric": 'report_metric("x", 1)',
        "smoke": "if smoke_mode():  # small and fast",
        "eager": "model.run_eagerly = True",
        "date": "measured 2026-12-03",
        "work": "TODO: see the issue",
        "machinery": "a comment about nbgrader and stderr",
    }
    nb = nbformat.v4.new_notebook()
    for name, text in planted.items():
        cell = nbformat.v4.new_markdown_cell(text, metadata={"nbgrader": {"grade_id": name}})
        nb.cells.append(cell)
    grading = {"nbgrader": {"grade_id": student_text.GRADING_SECTION}}
    nb.cells.append(nbformat.v4.new_markdown_cell("nbgrader runs hidden tests", metadata=grading))
    nb.cells.append(nbformat.v4.new_markdown_cell(
        "Make a boolean mask; make the modes differ; fine-tuning; overlap is measured by the IoU",
        metadata={"nbgrader": {"grade_id": "plain_words"}}))
    found = {cell for cell, _, _ in student_text.dev_notes(nb)}
    assert found == set(planted), found ^ set(planted)


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_smoke_settings_and_metrics_live_in_metadata(assignment_id):
    """No cell calls the run-time machinery; smoke settings override the parameters cell's names."""
    nb = read_notebook(source_path(assignment_id))
    parameters = [c for c in nb.cells if "parameters" in tags(c)]
    assert len(parameters) == 1, "one parameters cell"
    assigned = {node.id for statement in ast.parse(parameters[0].source).body
                if isinstance(statement, ast.Assign) for target in statement.targets
                for node in ast.walk(target) if isinstance(node, ast.Name)}
    settings = injected.smoke_settings(nb)
    assert settings, "the parameters cell carries its smoke settings"
    unknown = set(settings) - assigned - {injected.EAGER_KEY}
    assert not unknown, f"smoke settings for names the parameters cell does not set: {unknown}"
    compile(injected.smoke_source(settings), "<smoke>", "exec")
    for cell in nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if cell is not parameters[0]:
            assert injected.SMOKE_KEY not in cell.metadata, f"{grade_id}: only the parameters cell"
        if injected.METRICS_KEY in cell.metadata:
            assert cell.cell_type == "code", grade_id
            source = injected.metrics_source(cell.metadata[injected.METRICS_KEY])
            compile(source, f"<{grade_id}>", "exec")
        if cell.cell_type == "code":
            found = MACHINERY.search(cell.source)
            assert not found, f"{grade_id}: {found and found.group(0)}"


def test_injected_cells_follow_their_cells_and_come_out_again():
    nb = nbformat.v4.new_notebook()
    parameters = {"tags": ["parameters"], "smoke": {"epochs": 1, "size": [2, 3]}}
    nb.cells = [nbformat.v4.new_code_cell("import os"),
                nbformat.v4.new_code_cell("epochs = 5", metadata=parameters),
                nbformat.v4.new_code_cell("accuracy = 0.5",
                                          metadata={"metrics": {"acc": "float(accuracy)"}})]
    sources = [c.source for c in injected.inject(nb, smoke=True, metrics=True).cells]
    assert sources[2] == "epochs = 1\nsize = [2, 3]"
    assert "_report_metric('acc', (float(accuracy)))" in sources[4]
    assert len(injected.inject(nb, smoke=False).cells) == 3, "injecting again starts afresh"
    own = ["import os", "epochs = 5", "accuracy = 0.5"]
    assert [c.source for c in injected.remove_injected(nb).cells] == own
    nb.cells[1].metadata["smoke"] = {"x; import os": 1}
    with pytest.raises(ValueError, match="not a Python name"):
        injected.inject(nb, smoke=True)


def test_a_submission_without_its_smoke_metadata_gets_its_source_settings():
    """An editor that drops cell metadata: the restored parameters cell names its source."""
    source = read_notebook(source_path(ASSIGNMENTS[0]))
    submission = nbformat.from_dict(source)
    for cell in submission.cells:
        cell.metadata.pop(injected.SMOKE_KEY, None)
    assert injected.smoke_settings(submission) == {}
    assert injected.source_smoke_settings(submission) == injected.smoke_settings(source) != {}
    for cell in submission.cells:
        if "parameters" in tags(cell):
            cell.source += "\nepochs = 3"
    assert injected.source_smoke_settings(submission) == {}
