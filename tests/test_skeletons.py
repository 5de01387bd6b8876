"""Skeletons: released in place of the solution where the course gives one, and never the answer.

The release of a solution region is the code stub, then the region's skeleton uncommented
(cnn_course.graders.authoring.skeletons); nbgrader does it through the course's
ClearSolutions, configured in nbgrader_config.py.
"""

from __future__ import annotations

import inspect
import re

import nbformat
import pytest

from cnn_course.graders.authoring.notebooks import (
    assignments,
    is_graded_code,
    nbgrader_meta,
    read_notebook,
    source_path,
)
from cnn_course.graders.authoring.skeletons import (
    RAISE,
    SkeletonError,
    release_source,
    skeleton_of,
    strip_skeletons,
)

# The functions for which the original course hands out a skeleton.
SKELETONS = {
    "w1a1_conv_step_by_step": {"conv_forward", "pool_forward", "conv_backward", "pool_backward"},
    "w2a1_residual_networks": {"identity_block", "convolutional_block"},
    "w3a2_unet_segmentation": {"annotations_to_mask", "conv_block", "upsampling_block"},
}
CELL = '''def f(x):
    """Doc."""
    y = 1
    ### BEGIN SOLUTION
    ### BEGIN SKELETON
    # # About 3 lines.
    # for i in range(None):
    #     total = None
    #
    # z = None
    ### END SKELETON
    total = 0
    for i in range(x):
        total += i
    z = total
    ### END SOLUTION
    return z
'''


def _graded(assignment_id):
    return [c for c in read_notebook(source_path(assignment_id)).cells if is_graded_code(c)]


def _code_lines(text: str) -> set[str]:
    """The statement lines of a text, without comments or spaces."""
    lines = {re.sub(r"\s+", "", line.split("#", 1)[0]) for line in text.splitlines()}
    return lines - {""}


def test_a_region_with_a_skeleton_is_released_as_the_stub_then_the_skeleton():
    released, replaced = release_source(CELL)
    assert replaced
    assert released == (
        'def f(x):\n    """Doc."""\n    y = 1\n'
        "    # YOUR CODE HERE\n"
        f"    {RAISE}  # delete this line, then replace every None below\n"
        "    # About 3 lines.\n"
        "    for i in range(None):\n"
        "        total = None\n"
        "\n"
        "    z = None\n"
        "    return z\n")
    namespace = {}
    exec(released, namespace)
    with pytest.raises(NotImplementedError):
        namespace["f"](3)


def test_a_region_without_a_skeleton_is_released_as_nbgrader_releases_it():
    source = "def g():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n"
    stub = "def g():\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
    assert release_source(source) == (stub, True)
    assert release_source("x = 1") == ("x = 1", False)


@pytest.mark.parametrize("broken", [
    CELL.replace("    ### END SOLUTION\n", ""),  # unterminated region
    CELL.replace("    y = 1\n", "    ### BEGIN SOLUTION\n"),  # nested region
    CELL.replace("    # z = None\n", "    z = None\n"),  # a skeleton line not commented out
    CELL.replace("    ### END SKELETON\n", ""),  # unterminated skeleton
    CELL.replace("    ### BEGIN SKELETON\n", "    z = 0\n    ### BEGIN SKELETON\n"),  # not first
])
def test_a_malformed_region_or_skeleton_is_refused(broken):
    with pytest.raises(SkeletonError):
        release_source(broken)


def test_the_solution_without_its_skeleton_is_the_solution_alone():
    block = CELL[CELL.index("    ### BEGIN SKELETON"):CELL.index("    total = 0")]
    assert strip_skeletons(CELL) == CELL.replace(block, "")
    assert "None" not in strip_skeletons(CELL)


def test_the_functions_of_the_original_course_have_a_skeleton_and_only_they():
    for assignment_id in assignments():
        have = {nbgrader_meta(c)["grade_id"] for c in _graded(assignment_id)
                if skeleton_of(c.source)}
        assert have == SKELETONS.get(assignment_id, set()), assignment_id


@pytest.mark.parametrize("assignment_id", sorted(SKELETONS))
def test_every_skeleton_is_code_with_none_placeholders_and_a_line_count(assignment_id):
    for cell in _graded(assignment_id):
        skeleton = skeleton_of(cell.source)
        if skeleton is None:
            continue
        grade_id = nbgrader_meta(cell)["grade_id"]
        assert re.search(r"#.*\babout \d+ lines?\b", skeleton, re.I), f"{grade_id}: no line count"
        statements = [line for line in skeleton.splitlines()
                      if line.strip() and not line.strip().startswith("#")]
        assert statements and all("None" in line for line in statements), (
            f"{grade_id}: a line without None")
        released, _ = release_source(cell.source)
        assert f"# YOUR CODE HERE\n    {RAISE}  # delete this line" in released, grade_id
        namespace = {"random_uniform": None, "glorot_uniform": None}  # default arguments
        exec(released, namespace)
        function = namespace[grade_id]
        required = [p.name for p in inspect.signature(function).parameters.values()
                    if p.default is p.empty]
        with pytest.raises(NotImplementedError):  # the raise comes before any skeleton line
            function(*([1, 2, 3] if name == "filters" else None for name in required))


@pytest.mark.parametrize("assignment_id", sorted(SKELETONS))
def test_no_skeleton_holds_a_line_of_any_solution(assignment_id):
    """A skeleton gives the structure; every statement of the answer is left to the student."""
    solutions = set()
    for other in assignments():
        for cell in _graded(other):
            regions = re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S)
            for region in regions:
                solutions |= _code_lines(strip_skeletons(region))
    for cell in _graded(assignment_id):
        skeleton = skeleton_of(cell.source)
        if skeleton:
            shared = _code_lines(skeleton) & solutions
            assert not shared, f"{nbgrader_meta(cell)['grade_id']}: {sorted(shared)}"


@pytest.mark.nbgrader
def test_nbgrader_releases_the_skeletons_through_the_course_configuration(tmp_path):
    from cnn_course.graders.engine import cohort as ct

    assignment_id = "w1a1_conv_step_by_step"
    released = ct.release(ct.make_course(tmp_path / "course"), assignment_id)
    nb = nbformat.read(released, as_version=4)
    cells = {nbgrader_meta(c)["grade_id"]: c.source for c in nb.cells if is_graded_code(c)}
    for cell in _graded(assignment_id):
        assert cells[nbgrader_meta(cell)["grade_id"]] == release_source(cell.source)[0]
    assert "for i in range(None):" in cells["conv_forward"]
