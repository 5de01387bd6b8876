"""The "Expected output" block under every visible test: generated from the solution, never
stale."""

from __future__ import annotations

import nbformat
import pytest

from cnn_course.graders.authoring import expected_output
from cnn_course.graders.authoring.notebooks import assignments, is_test, nbgrader_meta, tags

ASSIGNMENTS = assignments()
REGENERATE = "run `make references` to regenerate graders/reference/"


def test_every_visible_test_of_every_built_notebook_is_followed_by_its_block(built):
    for assignment_id, path in built.items():
        nb = nbformat.read(path, as_version=4)
        stored = expected_output.stored(assignment_id)
        tests = [nbgrader_meta(c)["grade_id"] for c in nb.cells if is_test(c)]
        assert sorted(stored) == sorted(tests), f"{assignment_id}: {REGENERATE}"
        shown = expected_output.blocks(nb)
        assert shown == {grade_id: text.rstrip() + "\n"
                         for grade_id, text in stored.items()}, assignment_id
        blocks = [c for c in nb.cells if expected_output.TAG in tags(c)]
        assert len(blocks) == len(tests)
        for block in blocks:
            # Outside nbgrader's bookkeeping: no grade id, so nbgrader and the fast grader skip it.
            assert block.cell_type == "markdown" and set(block.metadata) == {"tags"}
            assert block.source.startswith("**Expected output**")


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_stored_blocks_are_what_the_solution_prints_now(assignment_id):
    fresh = expected_output.compute(assignment_id)
    stored = expected_output.stored(assignment_id)
    changed = sorted(k for k in fresh.keys() | stored.keys()
                     if k not in fresh or k not in stored
                     or not expected_output.agree(fresh[k], stored[k]))
    assert not changed, f"{assignment_id}: the blocks of {changed} are stale; {REGENERATE}"
    for grade_id, text in fresh.items():
        assert text.strip(), f"{assignment_id}: {grade_id}'s visible checks print nothing"


def test_w1a1_blocks_show_values_a_student_can_compare():
    stored = expected_output.stored("w1a1_conv_step_by_step")
    assert "x_pad[1, 4] (x[1, 1] with 3 zeros on each side)" in stored["zero_pad_tests"]
    # Gradient errors are printed so that any right answer prints the solution's text.
    assert stored["conv_backward_tests"].count("relative error vs expected gradient < 1e-12") == 3
    assert all(text.endswith("All tests passed.\n") for text in stored.values())


def test_a_block_is_a_fenced_text_after_its_test_cell():
    nb = nbformat.v4.new_notebook()
    test = nbformat.v4.new_code_cell('"""Doc."""\nchecks.check_f(f)\n### BEGIN HIDDEN TESTS\nx\n'
                                     "### END HIDDEN TESTS")
    test.metadata["nbgrader"] = {"grade": True, "grade_id": "f_tests", "solution": False,
                                 "points": 1}
    nb.cells = [nbformat.v4.new_markdown_cell("intro"), test, nbformat.v4.new_markdown_cell("next")]
    expected_output.insert(nb, {"f_tests": "a = 1\n```odd```\nAll tests passed.\n", "g_tests": "x"})
    assert [c.source for c in nb.cells][2].endswith("````")
    assert expected_output.blocks(nb) == {"f_tests": "a = 1\n```odd```\nAll tests passed.\n"}
    assert nb.cells[3].source == "next" and len(nb.cells) == 4
    nbformat.validate(nb)
    assert expected_output.visible_code(test.source) == '"""Doc."""\nchecks.check_f(f)\n'


@pytest.mark.nbgrader
def test_the_release_keeps_the_blocks(tmp_path):
    from cnn_course.graders.engine import cohort as ct

    assignment_id = "w1a1_conv_step_by_step"
    released = ct.release(ct.make_course(tmp_path / "course"), assignment_id)
    shown = expected_output.blocks(nbformat.read(released, as_version=4))
    assert shown == {k: v.rstrip() + "\n" for k, v in expected_output.stored(assignment_id).items()}


def test_texts_agree_up_to_the_last_printed_digit():
    agree = expected_output.agree
    assert agree("Z = 0.123457, shape (2, 3)\n[ 1.5 -0.25]",
                 "Z = 0.123456, shape (2, 3)\n[ 1.5 -0.25]")
    assert agree("[ 0.1  0.2]", "[0.1 0.2]") and agree("error 1.2e-07", "error 1.3e-07")
    assert not agree("Z = 0.123459", "Z = 0.123456")
    assert not agree("shape (2, 3)", "shape (2, 4)") and not agree("kept 3 boxes", "kept 3 box")
    assert not agree("a 1", "a 1 2")
