"""The real nbgrader commands, end to end: validate, release, autograde a cohort, feedback.

The cohort (reference solution, blank release, every mutant) is released and
autograded once per session (the `cohorts` fixture) and shared by these tests.
"""

from __future__ import annotations

import re
import subprocess
import sys

import nbformat
import pytest

from cnn_course.graders.authoring.notebooks import (
    assignments,
    is_graded_code,
    is_test,
    nbgrader_meta,
    wheel_name,
)
from cnn_course.graders.engine import cohort as ct

pytestmark = pytest.mark.nbgrader
ASSIGNMENTS = assignments()


def _validate(path, invert=False) -> str:
    """nbgrader validate with the course's configuration (cell timeout, IgnorePattern), as
    instructors run it."""
    import tempfile
    from pathlib import Path

    args = ["validate", str(path)] + (["--invert"] if invert else [])
    with tempfile.TemporaryDirectory() as tmp:
        return ct.run_nbgrader(ct.make_course(Path(tmp) / "course"), *args).stdout


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_source_passes_nbgrader_validate(built, assignment_id):
    out = _validate(built[assignment_id])
    assert "Success! Your notebook passes all the tests." in out, out[-3000:]


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_release_is_blank_has_no_sources_and_fails_validate(tmp_path, assignment_id):
    course = ct.make_course(tmp_path / "course")
    released = ct.release(course, assignment_id)
    assert not list(released.parent.rglob("*.py")), "no source .py may reach a release"
    text = released.read_text()
    assert "### BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    assert "hidden=True" not in text, "hidden tests must not reach the release"
    nb = nbformat.read(released, as_version=4)
    for cell in nb.cells:
        if is_graded_code(cell):
            assert "raise NotImplementedError()" in cell.source
    first_code = [c for c in nb.cells if c.cell_type == "code"][0]
    assert "google.colab" in first_code.source and "pip" in first_code.source
    out = _validate(released, invert=True)
    assert "Success! The notebook does not pass any tests." in out, out[-3000:]


@pytest.mark.parametrize("assignment_id", [a for a in ASSIGNMENTS])
def test_cohort_scores_as_expected(cohorts, assignment_id):
    """Reference: full marks; blank release: zero; each mutant: exactly its expected tests fail."""
    cohort, table = cohorts[assignment_id]
    problems = ct.check_scores(cohort, table)
    assert not problems, "\n".join(problems)
    reference = table["reference"]
    assert sum(s for s, _ in reference.values()) == sum(m for _, m in reference.values()) > 0
    assert sum(s for s, _ in table["blank"].values()) == 0
    mutants = [s for s in cohort.students if s.name.startswith("mutant-")]
    # graded at function level and by the fast grader
    if not ct.nbgrader_grades_mutants(assignment_id):
        assert not mutants
        return
    assert mutants and all(sum(s for s, _ in table[m.name].values())
                           < sum(m_ for _, m_ in reference.values())
                           for m in mutants)


@pytest.mark.parametrize("assignment_id",
                         [a for a in ASSIGNMENTS if ct.nbgrader_grades_mutants(a)])
def test_the_mutants_sent_through_nbgrader_fail_every_test_cell(assignment_id):
    """Where nbgrader grades only some mutants, each test cell still loses points on one of
    them."""
    import importlib

    grader = importlib.import_module(f"cnn_course.graders.{assignment_id}")
    chosen = ct.nbgrader_mutants(assignment_id)
    assert len({m.name for m in chosen}) == len(chosen)
    tests = {f"{name}_tests" for name in grader.GRADED_FUNCTIONS}
    assert set().union(*(m.fails for m in chosen)) == tests


def test_a_mutant_name_that_does_not_exist_is_refused(monkeypatch):
    import importlib

    grader = importlib.import_module("cnn_course.graders.w1a1_conv_step_by_step")
    monkeypatch.setattr(grader, "NBGRADER_MUTANTS", ("zero_pad_one_side", "no_such_mutant"))
    with pytest.raises(ValueError, match="no_such_mutant"):
        ct.nbgrader_mutants("w1a1_conv_step_by_step")


# its cohort grades the mutants
@pytest.mark.parametrize("assignment_id", ["w1a1_conv_step_by_step"])
def test_feedback_hides_hidden_tests_also_in_tracebacks(cohorts, assignment_id):
    cohort, _ = cohorts[assignment_id]
    ct.run_nbgrader(cohort.course, "generate_feedback", assignment_id, "--force")
    # pool_backward's visible checks use stride 1, so this mutant fails a hidden check only.
    feedback = cohort.course / "feedback" / "mutant-pool-backward-stride-ignored"
    html = next(feedback.rglob("*.html")).read_text()
    assert "hidden=True" not in html and "BEGIN HIDDEN TESTS" not in html
    assert "A hidden test failed" in html
    assert "pool_backward" in html


# its cohort grades the mutants
@pytest.mark.parametrize("assignment_id", ["w1a1_conv_step_by_step"])
def test_autograded_failures_show_the_sentence_without_the_checks_internals(cohorts, assignment_id):
    """What nbgrader stores (and feedback shows) for a failed check: the sentence under a few
    lines."""
    cohort, _ = cohorts[assignment_id]
    ansi = re.compile(r"\x1b\[[0-9;]*m")
    internal_frame = re.compile(r"^\s*File .*(/checks/|/graders/|cnn_course/)", re.M)
    failures = 0
    for path in (cohort.course / "autograded").glob(f"mutant-*/{assignment_id}/*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            for output in cell.get("outputs", []) if is_test(cell) else []:
                if output.get("output_type") != "error":
                    continue
                failures += 1
                shown = ansi.sub("", "\n".join(output["traceback"]))
                assert output["ename"] == "CheckFailure", shown
                assert shown.rstrip().endswith(f"CheckFailure: {output['evalue']}"), shown
                assert not internal_frame.search(shown), shown
                if "direct cause" not in shown:  # else the student's own frames come first
                    assert len([line for line in shown.splitlines() if line.strip()]) <= 6, shown
    assert failures


def test_deleted_test_cell_is_restored_and_graded(tmp_path):
    assignment_id = "w1a1_conv_step_by_step"
    course = ct.make_course(tmp_path / "course")
    released = ct.release(course, assignment_id)
    nb = ct.fill_release(released)
    nb.cells = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") != "zero_pad_tests"]
    ct.submit(course, "deleter", assignment_id, nb)
    ct.autograde(course, assignment_id, "deleter")
    grades = ct.scores(course, assignment_id)["deleter"]
    assert grades["zero_pad_tests"] == (1.0, 1.0)


def test_stderr_in_a_test_cell_fails_but_tensorflow_logs_are_ignored(tmp_path):
    """nbgrader fails a test cell that writes to stderr; our IgnorePattern drops TF's log lines
    only."""
    assignment_id = "w1a1_conv_step_by_step"
    course = ct.make_course(tmp_path / "course")
    released = ct.release(course, assignment_id)
    lines = {"tf-logger": "2026-01-01 12:00:00.000001: I tensorflow/core/util/port.cc:153] "
                          "oneDNN custom ops",
             "warner": "UserWarning: something the student should see"}
    for student, line in lines.items():
        nb = ct.fill_release(released)
        for cell in nb.cells:
            if nbgrader_meta(cell).get("grade_id") == "zero_pad":
                cell.source += ("\n\n_zero_pad = zero_pad\n\n\n"
                                "def zero_pad(X, pad):\n    import sys\n\n"
                                f"    sys.stderr.write({line + chr(10)!r})\n"
                                "    return _zero_pad(X, pad)\n")
        ct.submit(course, student, assignment_id, nb)
    ct.autograde(course, assignment_id)
    table = ct.scores(course, assignment_id)
    assert table["tf-logger"]["zero_pad_tests"] == (1.0, 1.0)
    assert table["warner"]["zero_pad_tests"] == (0.0, 1.0)


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_notebook_runs_clean_in_smoke_mode(cohorts, assignment_id):
    """Every cell ran (slow ones included, in smoke mode) and nothing went to stderr or raised.

    The run is nbgrader's own: the cohort's reference submission (the release
    answered with the solutions), executed top to bottom by `nbgrader autograde`,
    which switches the notebooks to their smoke settings. `make smoke` runs the
    same notebooks with CNN_COURSE_SMOKE=1 outside nbgrader.
    """
    cohort, _ = cohorts[assignment_id]
    path = (cohort.course / "autograded" / "reference" / assignment_id
            / f"{ct.notebook_name(assignment_id)}.ipynb")
    nb = nbformat.read(path, as_version=4)
    problems = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" or output.get("name") == "stderr":
                problems.append(f"{nbgrader_meta(cell).get('grade_id')}: {str(output)[:300]}")
    assert not problems, "\n".join(problems)
    executed = [c for c in nb.cells if c.cell_type == "code" and c.get("execution_count")]
    assert len(executed) == len([c for c in nb.cells if c.cell_type == "code"]), \
        "every code cell ran"
    released = nbformat.read(cohort.course / "release" / assignment_id / path.name, as_version=4)
    assert len(nb.cells) == len(released.cells), "the cell applying the smoke settings is taken out"


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_test_cells_print_their_expected_output_in_the_kernel(cohorts, assignment_id):
    """The "Expected output" blocks are what the visible checks print in the notebook's own kernel.

    The blocks are computed in a separate process; here the reference submission, run top to
    bottom by nbgrader, prints them after the cells above (and the hidden checks' lines after).
    """
    from cnn_course.graders.authoring import expected_output

    cohort, _ = cohorts[assignment_id]
    path = (cohort.course / "autograded" / "reference" / assignment_id
            / f"{ct.notebook_name(assignment_id)}.ipynb")
    stored = expected_output.stored(assignment_id)
    for cell in nbformat.read(path, as_version=4).cells:
        if not is_test(cell):
            continue
        want = stored[nbgrader_meta(cell)["grade_id"]]
        printed = "".join(o.get("text", "") for o in cell.outputs
                          if o.get("output_type") == "stream" and o.get("name") == "stdout")
        head = "".join(printed.splitlines(keepends=True)[:want.count("\n")])
        assert expected_output.agree(head, want), \
            f"{nbgrader_meta(cell)['grade_id']}:\n{head}\n---\n{want}"


def test_every_test_cell_of_the_built_notebooks_is_graded(built):
    for assignment_id, path in built.items():
        nb = nbformat.read(path, as_version=4)
        tests = [c for c in nb.cells if is_test(c)]
        points = [nbgrader_meta(c)["points"] for c in tests]
        assert tests and all(p > 0 for p in points), assignment_id
        assert all(re.match(r"^[A-Za-z][A-Za-z0-9_]*_tests$", nbgrader_meta(c)["grade_id"])
                   for c in tests)


def test_make_release_target_writes_release_folder(repo):
    proc = subprocess.run([sys.executable, "-m", "cnn_course.graders.cli", "release"], cwd=repo,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for assignment_id in ASSIGNMENTS:
        folder = repo / "release" / assignment_id
        assert list(folder.glob("*.ipynb")) and not list(folder.rglob("*.py"))
        assert (folder / wheel_name()).exists() and (folder / "course_assets.json").exists()
