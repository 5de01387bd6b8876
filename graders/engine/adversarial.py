"""An adversarial cohort: submissions that attack the grader, and the scores they deserve.

Each submission is the W1A1 release answered with the source solution, then
edited by an attack. ``fails`` lists the test cells that must score 0: the
function the attack breaks and the functions that call it. W1A1 is graded with
the verdict outside the student's process, in an OS sandbox
(:mod:`cnn_course.graders.engine.remote`, :mod:`cnn_course.graders.engine.isolation`):
what the student's code changes in its own process (numpy, the checking helpers,
the call stack) cannot change a verdict, so such an attack deserves exactly the
score of the answers it gives; what it tries outside its sandbox (the course, the
gradebook, other submissions, the grader's process) is not there to be reached,
and the tests check that nothing outside changed. Everything else must keep full
marks, and the batch must finish with every student in the gradebook.

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
    "zero_pad", "conv_output_shape", "conv_single_step", "conv_forward", "pool_forward",
    "conv_backward", "create_mask_from_window", "distribute_value", "pool_backward"))


@dataclass(frozen=True)
class Attack:
    name: str
    description: str
    # (filled release, course directory): edits the notebook in place
    edit: Callable[[nbformat.NotebookNode, Path], None]
    fails: frozenset[str]
    nbgrader: str  # what stock `nbgrader autograde` gave it, measured once (the README's table)


def _cell(nb, grade_id: str):
    return next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == grade_id)


def _fill(code: str, course: Path) -> str:
    repo = Path(__file__).resolve().parents[2]
    return code.replace("{course}", str(course)).replace("{repo}", str(repo))


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
                  "    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)),"
                  " constant_values=1.0)\n")

NOT_MEASURED = "not measured under nbgrader"

ATTACKS: tuple[Attack, ...] = (
    Attack("infinite-loop", "pool_backward never returns",
           _append("pool_backward",
                   "def pool_backward(dA, cache, mode='max'):\n    while True:\n        pass\n"),
           _tests("pool_backward"),
           "not run under nbgrader here (it waits for the 600 s cell timeout)"),
    Attack("memory-bomb", "conv_backward allocates memory until something stops it",
           _append("conv_backward", "def conv_backward(dZ, cache):\n    hog = []\n    while True:\n"
                                    "        hog.append(np.ones(25_000_000))\n"),
           _tests("conv_backward"),
           "not run under nbgrader here (nothing limits the kernel's memory)"),
    Attack("exception-at-import", "the zero_pad cell imports a module that does not exist",
           _prepend("zero_pad", "import a_module_that_does_not_exist  # noqa: F401"),
           _tests("zero_pad", "conv_forward", "conv_backward"), "same scores, 7/12"),
    Attack("syntax-error", "the conv_single_step cell does not parse",
           _append("conv_single_step", "def broken(:\n    pass\n"),
           _tests("conv_single_step", "conv_forward"), "same scores, 9/12"),
    Attack("deleted-graded-cell", "the distribute_value cell was deleted",
           _delete("distribute_value"), _tests("distribute_value", "pool_backward"),
           "same scores, 9/12"),
    Attack("edited-locked-test",
           "zero_pad is wrong and its (locked) test cell was replaced by a print",
           _both(_append("zero_pad", WRONG_ZERO_PAD),
                 lambda nb, course: setattr(_cell(nb, "zero_pad_tests"), "source",
                                            '"""ok"""\nprint("ok")')),
           _tests("zero_pad", "conv_forward", "conv_backward"),
           "same scores, 7/12 (locked cells are restored)"),
    Attack("always-equal", "create_mask_from_window returns an object equal to everything",
           _append("create_mask_from_window",
                   "class _Anything:\n    def __eq__(self, other):\n        return True\n\n"
                   "    __array_priority__ = 1000\n\n\n"
                   "def create_mask_from_window(x):\n    return _Anything()\n"),
           _tests("create_mask_from_window", "pool_backward"), "same scores, 9/12"),
    Attack("monkeypatch-numpy",
           "zero_pad is wrong and the cell makes numpy's comparisons always succeed",
           _append("zero_pad", WRONG_ZERO_PAD + "\n\nnp.allclose = lambda *a, **k: True\n"
                   "np.isclose = lambda a, b, **k: np.ones(np.broadcast(a, b).shape, bool)\n"
                   "np.array_equal = lambda *a, **k: True\n"
                   "np.testing.assert_allclose = lambda *a, **k: None\n"),
           _tests("zero_pad", "conv_forward", "conv_backward"),
           "fooled: 12/12 for a wrong zero_pad"),
    Attack("monkeypatch-graders",
           "zero_pad is wrong and the cell replaces the grader's check with a no-op",
           _append("zero_pad", WRONG_ZERO_PAD
                   + "\n\nimport cnn_course.checks.w1a1_conv_step_by_step as _c\n"
                   "import cnn_course.graders.w1a1_conv_step_by_step as _g\n\n"
                   "_c.check_zero_pad = _g.check_zero_pad = "
                   "lambda *a, **k: print('All tests passed.')\n"),
           _tests("zero_pad", "conv_forward", "conv_backward"),
           "fooled: zero_pad_tests full marks for a wrong zero_pad, 8/12"),
    Attack("read-references", "the zero_pad cell reads the grader's reference outputs from disk",
           _prepend("zero_pad", "_stolen = dict(np.load("
                                "'{repo}/graders/reference/w1a1_conv_step_by_step.npz'))"),
           _tests("zero_pad", "conv_forward", "conv_backward"), "the read succeeds: 12/12"),
    Attack("read-hidden-tests",
           "the pool_forward cell reads the instructor's notebook with the hidden tests",
           _prepend("pool_forward", "_stolen = open('{course}/source/w1a1_conv_step_by_step/"
                                    "conv_step_by_step.ipynb').read()"),
           _tests("pool_forward"), "the read succeeds: 12/12"),
    Attack("print-100mb", "the zero_pad cell prints 100 MB (and is otherwise right: full marks)",
           _append("zero_pad", "print('x' * 100_000_000)\n"), frozenset(),
           "same scores, 12/12"),
    Attack("exit-mid-test", "conv_single_step ends the process (os._exit) when it is called",
           _append("conv_single_step", "def conv_single_step(a_slice_prev, W, b):\n"
                                       "    import os\n\n    os._exit(0)\n"),
           _tests("conv_single_step", "conv_forward"),
           "autograde of this submission fails: 0/12 recorded"),
    Attack("write-gradebook", "the distribute_value cell gives itself full marks in the gradebook",
           _prepend("distribute_value",
                    "import sqlite3\n\n_db = sqlite3.connect('{course}/gradebook.db')\n"
                    "_db.execute('UPDATE grade SET manual_score = 100')\n_db.commit()"),
           _tests("distribute_value", "pool_backward"),
           "fooled: manual scores of 100 written, 800/12"),
    Attack("fork-loop",
           "the pool_forward cell forks itself three times (harmless in its sandbox: full marks)",
           _prepend("pool_forward",
                    "import os\n\nfor _ in range(3):\n    if os.fork() == 0:\n        pass"),
           frozenset(), "not run under nbgrader here (it would fork the kernel)"),
    # Further attacks; each is silent (it catches its own errors) unless it changes an answer,
    # so a score below full marks means the attack reached something.
    Attack("stack-walk", "zero_pad returns the expected value it finds on the checker's call stack",
           _append("zero_pad",
                   "def zero_pad(X, pad):\n    import sys\n\n    frame = sys._getframe(1)\n"
                   "    while frame is not None:\n"
                   "        for name in ('want', 'expected', 'reference'):\n"
                   "            if isinstance(frame.f_locals.get(name), np.ndarray):\n"
                   "                return frame.f_locals[name]\n        frame = frame.f_back\n"
                   "    return np.zeros((1, 1, 1, 1))\n"),
           _tests("zero_pad", "conv_forward", "conv_backward"), NOT_MEASURED),
    Attack("replace-check-code",
           "zero_pad is wrong and the cell turns the comparison helper into a no-op",
           _append("zero_pad", WRONG_ZERO_PAD + "\n\nimport cnn_course.checks._checking as _k\n\n"
                   "_k.expect_close.__code__ = (lambda *a, **k: None).__code__\n"),
           _tests("zero_pad", "conv_forward", "conv_backward"), NOT_MEASURED),
    Attack("read-loaded-references",
           "distribute_value reads the grader's reference outputs from memory",
           _append("distribute_value", "def distribute_value(dz, shape):\n    import sys\n\n"
                   "    cached = sys.modules['cnn_course.graders.reference']"
                   ".load('w1a1_conv_step_by_step')\n"
                   "    return cached['distribute_value/3x3/0'] * 0"
                   " + dz / (shape[0] * shape[1])\n"),
           _tests("distribute_value", "pool_backward"), NOT_MEASURED),
    Attack("dir-fd-and-hard-link",
           "pool_forward reads the hidden tests through a directory fd and a hard link",
           _prepend("pool_forward",
                    "import os\n\ntry:\n    _fd = os.open('{course}/source', os.O_RDONLY)\n"
                    "    _stolen = os.open('w1a1_conv_step_by_step/conv_step_by_step.ipynb',"
                    " os.O_RDONLY, dir_fd=_fd)\n"
                    "except OSError:\n    pass\ntry:\n"
                    "    os.link('{course}/source/w1a1_conv_step_by_step/conv_step_by_step.ipynb',"
                    " 'stolen.ipynb')\n"
                    "except OSError:\n    pass"),
           frozenset(), NOT_MEASURED),
    Attack("detached-writer",
           "a detached process (new session) writes into the course after grading",
           _prepend("conv_single_step", "import os, time\n\nif os.fork() == 0:\n    os.setsid()\n"
                    "    if os.fork() == 0:\n        time.sleep(8)\n        try:\n"
                    "            open('{course}/PWNED-by-detached-writer', 'w').write('x')\n"
                    "        finally:\n            os._exit(0)\n    os._exit(0)"),
           frozenset(), NOT_MEASURED),
    Attack("append-config", "the cell appends code to the course's nbgrader_config.py",
           _prepend("create_mask_from_window",
                    "try:\n    with open('{course}/nbgrader_config.py', 'a') as _f:\n"
                    "        _f.write('\\nopen(\\'{course}/PWNED-by-config\\', \\'w\\')\\n')\n"
                    "except OSError:\n    pass"),
           frozenset(), NOT_MEASURED),
    Attack("overwrite-other-student",
           "the cell renames a file over the reference student's submission",
           _prepend("distribute_value",
                    "import os\n\ntry:\n    open('junk.ipynb', 'w').write('{}')\n"
                    "    os.replace('junk.ipynb', "
                    "'{course}/submitted/reference/w1a1_conv_step_by_step/"
                    "conv_step_by_step.ipynb')\nexcept OSError:\n    pass"),
           frozenset(), NOT_MEASURED),
    # It reaches its own worker's channel (a process cannot hide its descriptors from itself): the
    # grader stops that worker at the first forged line, so the submission scores 0 in bounded time,
    # and nobody else is affected.
    Attack("flood-descriptors",
           "the cell writes fake protocol lines to every file descriptor, then answers right",
           _prepend("zero_pad",
                    "import os\n\n"
                    "_line = b'{\"id\": 1, \"outcome\": \"returned\", \"value\": 0}\\n'\n"
                    "for _fd in range(64):\n    try:\n        os.write(_fd, _line * 20000)\n"
                    "    except OSError:\n        pass"),
           ALL_TESTS, NOT_MEASURED),
    Attack("memfd-hog", "conv_backward fills a 4 GB in-memory file",
           _append("conv_backward", "def conv_backward(dZ, cache):\n    import os\n\n"
                   "    fd = os.memfd_create('hog')\n    block = b'x' * (1 << 26)\n"
                   "    for _ in range(64):\n"
                   "        os.write(fd, block)\n    return None\n"),
           _tests("conv_backward"), NOT_MEASURED),
    # The only processes it can name are those of its own sandbox (a pid namespace): killing its
    # sandbox's init ends its own worker, so the submission scores 0; the grader, the batch and
    # every other student are out of reach.
    Attack("kill-the-grader", "the cell signals its parent and every process it can name",
           _prepend("create_mask_from_window",
                    "import os, signal\n\nfor _pid in [os.getppid(), *range(1, 200)]:\n"
                    "    try:\n        if _pid != os.getpid():\n"
                    "            os.kill(_pid, signal.SIGKILL)\n"
                    "    except OSError:\n        pass"),
           ALL_TESTS, NOT_MEASURED),
    Attack("thousands-of-threads", "the cell starts threads until it cannot",
           _prepend("pool_forward",
                    "import threading, time\n\n_threads = []\ntry:\n    for _ in range(5000):\n"
                    "        _t = threading.Thread(target=time.sleep, args=(60,), daemon=True)\n"
                    "        _t.start()\n        _threads.append(_t)\n"
                    "except RuntimeError:\n    pass"),
           frozenset(), NOT_MEASURED),
    Attack("fill-tmp-and-escape",
           "the cell fills /tmp, makes folders and links outside its folder, closes stdout",
           _prepend("distribute_value",
                    "import os, sys\n\ntry:\n    with open('/tmp/fill', 'wb') as _f:\n"
                    "        while True:\n            _f.write(b'x' * (1 << 20))\n"
                    "except OSError:\n    pass\n"
                    "for _path in ('/outside', '{course}/outside'):\n"
                    "    try:\n        os.mkdir(_path)\n"
                    "    except OSError:\n        pass\n"
                    "try:\n    os.symlink('/', '{course}/root-link')\n"
                    "except OSError:\n    pass\n"
                    "print('x' * 50_000_000, end='')\nos.close(1)\nos.close(2)"),
           frozenset(), NOT_MEASURED),
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
