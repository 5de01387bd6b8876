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

from cnn_course.utils.notebooks import nbgrader_meta

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
    nbgrader: str  # what stock `nbgrader autograde` does with it (see the README's table)


def _cell(nb, grade_id: str):
    return next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == grade_id)


def _fill(code: str, course: Path) -> str:
    return code.replace("{course}", str(course)).replace("{repo}", str(Path(__file__).resolve().parents[1]))


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


WRONG_ZERO_PAD = "def zero_pad(X, pad):\n    return X.copy()\n"

ATTACKS: tuple[Attack, ...] = (
    Attack("infinite-loop", "pool_backward never returns",
           _append("pool_backward", "def pool_backward(dA, cache, mode='max'):\n    while True:\n        pass\n"),
           _tests("pool_backward"), "hangs until the cell timeout (600 s here), then the test scores 0"),
    Attack("memory-bomb", "conv_backward allocates memory until something stops it",
           _append("conv_backward", "def conv_backward(dZ, cache):\n    hog = []\n    while True:\n"
                                    "        hog.append(np.ones(25_000_000))\n"),
           _tests("conv_backward"), "the kernel grows until the machine's memory runs out (not tried here)"),
    Attack("exception-at-import", "the zero_pad cell imports a module that does not exist",
           _prepend("zero_pad", "import a_module_that_does_not_exist  # noqa: F401"),
           _tests("zero_pad", "conv_forward", "conv_backward"), "same scores"),
    Attack("syntax-error", "the conv_single_step cell does not parse",
           _append("conv_single_step", "def broken(:\n    pass\n"),
           _tests("conv_single_step", "conv_forward"), "same scores"),
    Attack("deleted-graded-cell", "the distribute_value cell was deleted",
           _delete("distribute_value"), _tests("distribute_value", "pool_backward"), "same scores"),
    Attack("edited-locked-test", "zero_pad is wrong and its (locked) test cell was replaced by a print",
           _both(_append("zero_pad", WRONG_ZERO_PAD),
                 lambda nb, course: setattr(_cell(nb, "zero_pad_tests"), "source", '"""ok"""\nprint("ok")')),
           _tests("zero_pad", "conv_forward", "conv_backward"), "same scores (locked cells are restored)"),
    Attack("always-equal", "create_mask_from_window returns an object equal to everything",
           _append("create_mask_from_window", "class _Anything:\n    def __eq__(self, other):\n        return True\n\n"
                   "    __array_priority__ = 1000\n\n\n"
                   "def create_mask_from_window(x):\n    return _Anything()\n"),
           _tests("create_mask_from_window", "pool_backward"), "same scores (the checks want an array)"),
    Attack("monkeypatch-numpy", "zero_pad is wrong and the cell makes numpy's comparisons always succeed",
           _append("zero_pad", WRONG_ZERO_PAD + "\n\nnp.allclose = lambda *a, **k: True\n"
                   "np.isclose = lambda a, b, **k: np.ones(np.broadcast(a, b).shape, bool)\n"
                   "np.array_equal = lambda *a, **k: True\n"
                   "np.testing.assert_allclose = lambda *a, **k: None\n"),
           ALL_TESTS, "fooled: the wrong zero_pad gets full marks"),
    Attack("monkeypatch-graders", "zero_pad is wrong and the cell replaces the grader's check with a no-op",
           _append("zero_pad", WRONG_ZERO_PAD + "\n\nimport cnn_course.graders.w1a1_conv_step_by_step as _g\n\n"
                   "_g.check_zero_pad = lambda *a, **k: print('All tests passed.')\n"),
           ALL_TESTS, "fooled: the wrong zero_pad gets full marks"),
    Attack("read-references", "the zero_pad cell reads the grader's reference outputs from disk",
           _prepend("zero_pad", "_stolen = dict(np.load('{repo}/graders/reference/w1a1_conv_step_by_step.npz'))"),
           _tests("zero_pad", "conv_forward", "conv_backward"), "not prevented: the read succeeds"),
    Attack("read-hidden-tests", "the pool_forward cell reads the instructor's notebook with the hidden tests",
           _prepend("pool_forward", "_stolen = open('{course}/source/w1a1_conv_step_by_step/"
                                    "conv_step_by_step.ipynb').read()"),
           _tests("pool_forward"), "not prevented: the read succeeds"),
    Attack("print-100mb", "the zero_pad cell prints 100 MB (and is otherwise right: full marks)",
           _append("zero_pad", "print('x' * 100_000_000)\n"), frozenset(),
           "full marks, after storing and truncating the output"),
    Attack("exit-mid-test", "conv_single_step ends the process (os._exit) when it is called",
           _append("conv_single_step", "def conv_single_step(a_slice_prev, W, b):\n    import os\n\n    os._exit(0)\n"),
           _tests("conv_single_step", "conv_forward"), "the kernel dies; nbgrader restarts it or scores 0"),
    Attack("write-gradebook", "the distribute_value cell gives itself full marks in the gradebook",
           _prepend("distribute_value", "import sqlite3\n\n_db = sqlite3.connect('{course}/gradebook.db')\n"
                    "_db.execute('UPDATE grade SET manual_score = 100')\n_db.commit()"),
           _tests("distribute_value", "pool_backward"), "fooled: the write succeeds (manual scores override)"),
    Attack("fork-loop", "the pool_forward cell forks itself in a (bounded) loop",
           _prepend("pool_forward", "import os\n\nfor _ in range(3):\n    if os.fork() == 0:\n        pass"),
           _tests("pool_forward"), "forks the kernel (8 processes)"),
)


def by_name(name: str) -> Attack:
    return next(a for a in ATTACKS if a.name == name)


def build(course: Path) -> dict[str, Attack]:
    """Release W1A1 in the course, submit one notebook per attack; {student: attack}."""
    from cnn_course.graders import cohort as ct

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
