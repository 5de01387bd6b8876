"""An adversarial cohort: submissions that attack the grader, and the scores they deserve.

Each submission is the W1A1 release answered with the source solution, then
edited by an attack. ``fails`` lists the test cells that must score 0: the
function the attack sits in and the functions that call it, or every test when
the attack tampers with the testing libraries (no result from such a process
can be trusted). Everything else must keep full marks, and the batch must
finish with every student in the gradebook.

W1A1's call graph: zero_pad -> conv_forward, conv_backward; conv_single_step ->
conv_forward; create_mask_from_window and distribute_value -> pool_backward.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

from cnn_course.graders.authoring.notebooks import nbgrader_meta

ASSIGNMENT_ID = "w1a1_conv_step_by_step"
ALL_TESTS = frozenset(f"{name}_tests" for name in (
    "zero_pad", "conv_single_step", "conv_forward", "pool_forward", "conv_backward",
    "create_mask_from_window", "distribute_value", "pool_backward"))


@dataclass(frozen=True)
class Attack:
    name: str
    description: str
    edit: Callable[[nbformat.NotebookNode, Path], None]  # (filled release, course directory): edit in place
    fails: frozenset[str]
    nbgrader: str  # what stock `nbgrader autograde` gave it, measured once (the README's table)


def _cell(nb, grade_id: str):
    return next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == grade_id)


def _fill(code: str, course: Path) -> str:
    return code.replace("{course}", str(course)).replace("{repo}", str(Path(__file__).resolve().parents[2]))


def _append(grade_id: str, code: str):
    def edit(nb, course):
        _cell(nb, grade_id).source += "\n\n\n" + _fill(code, course)
    return edit


def _prepend(grade_id: str, code: str):
    def edit(nb, course):
        cell = _cell(nb, grade_id)
        cell.source = _fill(code, course) + "\n" + cell.source
    return edit


def _delete(grade_id: str):
    def edit(nb, course):
        nb.cells = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") != grade_id]
    return edit


def _both(*edits):
    def edit(nb, course):
        for e in edits:
            e(nb, course)
    return edit


def _tests(*names: str) -> frozenset[str]:
    return frozenset(f"{n}_tests" for n in names)


# Right shape, wrong values (pads with ones): only a value comparison can catch it.
WRONG_ZERO_PAD = ("def zero_pad(X, pad):\n"
                  "    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), constant_values=1.0)\n")

ATTACKS: tuple[Attack, ...] = (
    Attack("infinite-loop", "pool_backward never returns",
           _append("pool_backward", "def pool_backward(dA, cache, mode='max'):\n    while True:\n        pass\n"),
           _tests("pool_backward"), "not run under nbgrader here (it waits for the 600 s cell timeout)"),
    Attack("memory-bomb", "conv_backward allocates memory until something stops it",
           _append("conv_backward", "def conv_backward(dZ, cache):\n    hog = []\n    while True:\n"
                                    "        hog.append(np.ones(25_000_000))\n"),
           _tests("conv_backward"), "not run under nbgrader here (nothing limits the kernel's memory)"),
    Attack("exception-at-import", "the zero_pad cell imports a module that does not exist",
           _prepend("zero_pad", "import a_module_that_does_not_exist  # noqa: F401"),
           _tests("zero_pad", "conv_forward", "conv_backward"), "same scores, 7/12"),
    Attack("syntax-error", "the conv_single_step cell does not parse",
           _append("conv_single_step", "def broken(:\n    pass\n"),
           _tests("conv_single_step", "conv_forward"), "same scores, 9/12"),
    Attack("deleted-graded-cell", "the distribute_value cell was deleted",
           _delete("distribute_value"), _tests("distribute_value", "pool_backward"),
           "same scores, 9/12"),
    Attack("edited-locked-test", "zero_pad is wrong and its (locked) test cell was replaced by a print",
           _both(_append("zero_pad", WRONG_ZERO_PAD),
                 lambda nb, course: setattr(_cell(nb, "zero_pad_tests"), "source", '"""ok"""\nprint("ok")')),
           _tests("zero_pad", "conv_forward", "conv_backward"), "same scores, 7/12 (locked cells are restored)"),
    Attack("always-equal", "create_mask_from_window returns an object equal to everything",
           _append("create_mask_from_window", "class _Anything:\n    def __eq__(self, other):\n        return True\n\n"
                   "    __array_priority__ = 1000\n\n\n"
                   "def create_mask_from_window(x):\n    return _Anything()\n"),
           _tests("create_mask_from_window", "pool_backward"), "same scores, 9/12"),
    Attack("monkeypatch-numpy", "zero_pad is wrong and the cell makes numpy's comparisons always succeed",
           _append("zero_pad", WRONG_ZERO_PAD + "\n\nnp.allclose = lambda *a, **k: True\n"
                   "np.isclose = lambda a, b, **k: np.ones(np.broadcast(a, b).shape, bool)\n"
                   "np.array_equal = lambda *a, **k: True\n"
                   "np.testing.assert_allclose = lambda *a, **k: None\n"),
           ALL_TESTS, "fooled: 12/12 for a wrong zero_pad"),
    Attack("monkeypatch-graders", "zero_pad is wrong and the cell replaces the grader's check with a no-op",
           _append("zero_pad", WRONG_ZERO_PAD + "\n\nimport cnn_course.checks.w1a1_conv_step_by_step as _c\n"
                   "import cnn_course.graders.w1a1_conv_step_by_step as _g\n\n"
                   "_c.check_zero_pad = _g.check_zero_pad = lambda *a, **k: print('All tests passed.')\n"),
           ALL_TESTS, "fooled: zero_pad_tests full marks for a wrong zero_pad, 8/12"),
    Attack("read-references", "the zero_pad cell reads the grader's reference outputs from disk",
           _prepend("zero_pad", "_stolen = dict(np.load('{repo}/graders/reference/w1a1_conv_step_by_step.npz'))"),
           _tests("zero_pad", "conv_forward", "conv_backward"), "the read succeeds: 12/12"),
    Attack("read-hidden-tests", "the pool_forward cell reads the instructor's notebook with the hidden tests",
           _prepend("pool_forward", "_stolen = open('{course}/source/w1a1_conv_step_by_step/"
                                    "conv_step_by_step.ipynb').read()"),
           _tests("pool_forward"), "the read succeeds: 12/12"),
    Attack("print-100mb", "the zero_pad cell prints 100 MB (and is otherwise right: full marks)",
           _append("zero_pad", "print('x' * 100_000_000)\n"), frozenset(),
           "same scores, 12/12"),
    Attack("exit-mid-test", "conv_single_step ends the process (os._exit) when it is called",
           _append("conv_single_step", "def conv_single_step(a_slice_prev, W, b):\n    import os\n\n    os._exit(0)\n"),
           _tests("conv_single_step", "conv_forward"), "autograde of this submission fails: 0/12 recorded"),
    Attack("write-gradebook", "the distribute_value cell gives itself full marks in the gradebook",
           _prepend("distribute_value", "import sqlite3\n\n_db = sqlite3.connect('{course}/gradebook.db')\n"
                    "_db.execute('UPDATE grade SET manual_score = 100')\n_db.commit()"),
           _tests("distribute_value", "pool_backward"), "fooled: manual scores of 100 written, 800/12"),
    Attack("fork-loop", "the pool_forward cell forks itself in a (bounded) loop",
           _prepend("pool_forward", "import os\n\nfor _ in range(3):\n    if os.fork() == 0:\n        pass"),
           _tests("pool_forward"), "not run under nbgrader here (it would fork the kernel)"),
)


def by_name(name: str) -> Attack:
    return next(a for a in ATTACKS if a.name == name)


def build(course: Path) -> dict[str, Attack]:
    """Release W1A1 in the course, submit one notebook per attack; {student: attack}."""
    from cnn_course.graders.engine import cohort as ct

    ct.make_course(course)
    released = ct.release(course, ASSIGNMENT_ID)
    students = {}
    for attack in ATTACKS:
        nb = ct.fill_release(released)
        attack.edit(nb, Path(course).resolve())
        student = f"attack-{attack.name}"
        ct.submit(course, student, ASSIGNMENT_ID, nb)
        students[student] = attack
    ct.submit(course, "reference", ASSIGNMENT_ID, ct.fill_release(released))
    return students
