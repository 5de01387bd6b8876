"""Remote grading: the checks run in this process, the student's code in a worker process.

For every assignment, :func:`remote.grade` must give the source solution full marks, the blank
release "not implemented" everywhere, and every mutant exactly the failures (and the very
sentences) of the in-process grader (``grading.grade_functions``). Submissions that beat the
in-process grader (walking the call stack to the expected value, patching the checking
helpers or numpy) must get the score of the wrong answer they hide; output floods, a hang
and an ``os._exit`` cost only their own tests. The protocol's readers refuse what a hostile
worker could put in its folder.
"""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

from cnn_course.checks import worker as protocol
from cnn_course.checks._checking import call_student
from cnn_course.graders.authoring.mutants import apply, mutants
from cnn_course.graders.authoring.notebooks import (
    is_graded_code,
    nbgrader_meta,
    read_notebook,
    source_path,
)
from cnn_course.graders.authoring.skeletons import release_source
from cnn_course.graders.engine import remote
from cnn_course.graders.engine.grading import grade_functions
from cnn_course.graders.engine.loading import load_functions

pytestmark = pytest.mark.nbgrader

ASSIGNMENTS = ("w1a1_conv_step_by_step", "w1a2_conv_application", "w2a1_residual_networks",
               "w2a2_transfer_learning", "w3a1_car_detection", "w3a2_unet_segmentation")
W1A1 = "w1a1_conv_step_by_step"
NOT_IMPLEMENTED = "is not implemented yet"


def blank_release(nb):
    """The notebook as nbgrader releases it: every solution region becomes the code stub
    (``raise NotImplementedError()``), followed by the region's skeleton if it has one."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if is_graded_code(cell):
            cell.source, replaced = release_source(cell.source)
            assert replaced, nbgrader_meta(cell)["grade_id"]
    return nb


def failed(results: dict) -> set[str]:
    return {test for test, result in results.items() if not result["passed"]}


def in_process(assignment_id, nb, path) -> dict[str, str]:
    """{test: message} from today's in-process grader (function level).

    The student's process sees no weights cache (its home is its own folder), so this run
    sees none either: with the course's MobileNetV2 weights built on this machine, W2A2's
    base would otherwise hold other weights here, and the numbers in its sentences differ.
    """
    from cnn_course.utils import mobilenet

    nbformat.write(nb, path)
    empty = path.parent / "no-weights"
    empty.mkdir(exist_ok=True)
    before = os.environ.get("CNN_COURSE_WEIGHTS")
    os.environ["CNN_COURSE_WEIGHTS"] = str(empty)
    mobilenet.choose_weights.cache_clear()
    try:
        results = grade_functions(assignment_id, load_functions(assignment_id, path))
    finally:
        if before is None:
            os.environ.pop("CNN_COURSE_WEIGHTS")
        else:
            os.environ["CNN_COURSE_WEIGHTS"] = before
        mobilenet.choose_weights.cache_clear()
    return {t: r.message for t, r in results.items()}


class _Graded(dict):
    """{assignment_id: (solution, blank, [(mutant, remote results, in-process messages)])},
    graded on first use."""

    def __init__(self, folder):
        super().__init__()
        self.folder = folder

    def __missing__(self, assignment_id):
        source = read_notebook(source_path(assignment_id))
        found = mutants(assignment_id)
        variants = [apply(m, source) for m in found]
        submissions = [remote.cells_of(assignment_id),
                       remote.cells_of(assignment_id, blank_release(source))]
        submissions += [remote.cells_of(assignment_id, nb) for nb in variants]
        solution, blank, *graded = remote.grade_many(assignment_id, submissions, ahead=2,
                                                     deadline_s=60)
        rows = [(m, r, in_process(assignment_id, nb, self.folder / f"{m.name}.ipynb"))
                for m, r, nb in zip(found, graded, variants, strict=True)]
        self[assignment_id] = (solution, blank, rows)
        return self[assignment_id]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return _Graded(tmp_path_factory.mktemp("remote"))


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_the_source_solution_passes_every_test(graded, assignment_id):
    solution, _, _ = graded[assignment_id]
    assert not failed(solution), solution
    assert all(r["phase"] == "hidden" for r in solution.values())


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_the_blank_release_fails_every_test_as_not_implemented(graded, assignment_id):
    _, blank, _ = graded[assignment_id]
    assert failed(blank) == set(blank)
    assert all(NOT_IMPLEMENTED in r["message"] and r["phase"] == "visible"
               for r in blank.values()), blank


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_every_mutant_fails_its_tests_with_the_in_process_sentences(graded, assignment_id):
    _, _, rows = graded[assignment_id]
    assert len(rows) >= 4
    for mutant, results, messages in rows:
        assert failed(results) == set(mutant.fails), (mutant.name, results)
        assert {t for t, m in messages.items() if m} == set(mutant.fails), mutant.name
        for test, result in results.items():
            assert result["message"] == messages[test], (mutant.name, test)


# ----------------------------------------------------------------------------- attacks (W1A1)

WRONG_ZERO_PAD = """
def zero_pad(X, pad):
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), constant_values=1.0)
"""
RIGHT_ZERO_PAD = """
def zero_pad(X, pad):
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
"""
STACK_WALK = """
import sys as _sys


def zero_pad(X, pad):
    frame = _sys._getframe(1)
    while frame is not None:
        for name in ("want", "expected", "reference"):
            value = frame.f_locals.get(name)
            if isinstance(value, np.ndarray) and value.ndim == 4:
                return value.copy()
        frame = frame.f_back
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), constant_values=1.0)
"""
PATCH_CODE = WRONG_ZERO_PAD + """
import cnn_course.checks._checking as _checking

_checking.expect_close.__code__ = (lambda actual, expected, what, hint="", atol=1e-7,
                                   rtol=1e-6: None).__code__
"""
PATCH_NUMPY = WRONG_ZERO_PAD + """
np.isclose = lambda a, b, **k: np.ones(np.broadcast(a, b).shape, bool)
np.allclose = lambda *a, **k: True
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
"""
READ_SYS_MODULES = """
import sys as _sys

_AT_LOAD = sorted(m for m in _sys.modules if m.startswith("cnn_course.graders"))


def zero_pad(X, pad):
    found = _AT_LOAD + sorted(m for m in _sys.modules if m.startswith("cnn_course.graders"))
    if found:
        raise RuntimeError(f"found {found}")
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
"""
PRINT_100MB = """
print("x" * 100_000_000)
_printed = []


def zero_pad(X, pad):
    if not _printed:
        _printed.append(print("y" * 100_000_000))
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
"""
JUNK_ON_FD_1_2 = """
import os as _os

_FORGED = (b'{"id": 1, "outcome": "returned", "value": 0}\\n'
           b'{"event": "ready", "setup_error": null}\\n')
_os.write(1, _FORGED * 20000)
_os.write(2, b"\\x00\\xffnot json\\n" * 100000)


def zero_pad(X, pad):
    _os.write(1, _FORGED * 100)
    _os.write(2, b"\\x00junk" * 10000)
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
"""
FORGE_ON_EVERY_FD = """
import os as _os


def zero_pad(X, pad):
    for fd in range(3, 256):
        try:
            _os.write(fd, b'{"id": 99999, "outcome": "returned", "value": 0}\\n')
        except OSError:
            pass
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
"""
SLEEP_FOREVER = """
import time as _time


def pool_forward(A_prev, hparameters, mode="max"):
    _time.sleep(10**6)
"""
EXIT_DURING_CALL = """
import os as _os


def conv_single_step(a_slice_prev, W, b):
    _os._exit(0)
"""
# zero_pad is used by both convolutions
WRONG = {"zero_pad_tests", "conv_forward_tests", "conv_backward_tests"}
ATTACK_DEADLINE_S = 5


def _appended(grade_id: str, code: str) -> list[dict]:
    cells = remote.cells_of(W1A1)
    cell = next(c for c in cells if c["grade_id"] == grade_id)
    cell["source"] += "\n\n" + code
    return cells


ATTACKS = {
    "wrong answer": _appended("zero_pad", WRONG_ZERO_PAD),
    "stack walk": _appended("zero_pad", STACK_WALK),
    "patched __code__": _appended("zero_pad", PATCH_CODE),
    "patched numpy": _appended("zero_pad", PATCH_NUMPY),
    "sys.modules": _appended("zero_pad", READ_SYS_MODULES),
    "print 100 MB": _appended("zero_pad", PRINT_100MB),
    "junk on fd 1 and 2": _appended("zero_pad", JUNK_ON_FD_1_2),
    "forged answers": _appended("zero_pad", FORGE_ON_EVERY_FD),
    "sleep forever": _appended("pool_forward", SLEEP_FOREVER),
    "os._exit": _appended("conv_single_step", EXIT_DURING_CALL),
    "syntax error": _appended("conv_single_step", "def broken(:\n    pass\n"),
}


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    """{attack: remote results}, plus the in-process messages of a notebook without its
    distribute_value cell."""
    source = read_notebook(source_path(W1A1))
    deleted = copy.deepcopy(source)
    deleted.cells = [c for c in deleted.cells
                     if nbgrader_meta(c).get("grade_id") != "distribute_value"]
    names = [*ATTACKS, "deleted cell"]
    results = remote.grade_many(W1A1, [*ATTACKS.values(), remote.cells_of(W1A1, deleted)], ahead=2,
                                deadline_s=ATTACK_DEADLINE_S)
    messages = in_process(W1A1, deleted, tmp_path_factory.mktemp("deleted") / "deleted.ipynb")
    return dict(zip(names, results, strict=True)), messages


@pytest.mark.parametrize("attack", ["stack walk", "patched __code__", "patched numpy"])
def test_attacks_on_the_checks_get_the_score_of_the_wrong_answer(attacked, attack):
    results, _ = attacked
    assert failed(results["wrong answer"]) == WRONG
    assert results[attack] == results["wrong answer"]


@pytest.mark.parametrize("attack", ["sys.modules", "print 100 MB", "junk on fd 1 and 2"])
def test_harmless_attacks_keep_full_marks(attacked, attack):
    results, _ = attacked
    assert not failed(results[attack]), results[attack]


def test_forged_answers_on_other_descriptors_cost_only_the_forger(attacked):
    results, _ = attacked
    assert failed(results["forged answers"]) == WRONG
    assert all("does not accept" in results["forged answers"][t]["message"] for t in WRONG)


def test_a_function_that_never_returns_fails_its_test_only(attacked):
    results, _ = attacked
    assert failed(results["sleep forever"]) == {"pool_forward_tests"}
    result = results["sleep forever"]["pool_forward_tests"]
    assert (result["phase"] == "run"
            and f"did not answer within {ATTACK_DEADLINE_S} s" in result["message"])


def test_os_exit_during_a_call_fails_the_tests_that_call_it(attacked):
    results, _ = attacked
    assert failed(results["os._exit"]) == {"conv_single_step_tests", "conv_forward_tests"}
    assert all("exit status 0" in results["os._exit"][t]["message"]
               for t in failed(results["os._exit"]))


def test_cells_that_fail_or_are_missing_fail_like_in_process(attacked):
    results, deleted_messages = attacked
    assert failed(results["syntax error"]) == {"conv_single_step_tests", "conv_forward_tests"}
    assert "the cell that defines conv_single_step failed to run: SyntaxError" in (
        results["syntax error"]["conv_single_step_tests"]["message"])
    assert failed(results["deleted cell"]) == {"distribute_value_tests", "pool_backward_tests"}
    assert {t: r["message"] for t, r in results["deleted cell"].items()} == deleted_messages


# ----------------------------------------------------------------------------- the protocol itself


def test_the_worker_imports_nothing_of_the_instructor_package():
    code = ("import sys, cnn_course.checks.worker\n"
            "print(sorted(m for m in sys.modules if m.startswith('cnn_course.graders')))")
    run = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True,
                         check=True)
    assert run.stdout.strip() == "[]", run.stdout


def _round_trip(value, strict=True):
    encoder = protocol.Encoder(strict=strict)
    tree = encoder.encode(value)
    buffer = io.BytesIO()
    protocol.write_npz(buffer, encoder.arrays)
    arrays = protocol.read_npz(buffer.getvalue())
    return protocol.decode(json.loads(json.dumps(tree)), arrays, tensor=remote._tensor,
                           unsupported=remote.unsupported)


def test_values_travel_with_their_types_and_dtypes():
    import tensorflow as tf

    value = (None, True, 3, 2.5, "text", [1, (2, 3)],
             {"stride": 2, "W": np.arange(6.0).reshape(2, 3)},
             np.float32(1.5), np.int64(-7), np.bool_(True), np.zeros((2, 0), np.int32),
             np.array([1 + 2j]), np.arange(4, dtype=np.uint8), tf.constant([1.0, 2.0], tf.float64))
    back = _round_trip(value)
    assert type(back) is tuple and back[:6] == value[:6] and type(back[5][1]) is tuple
    assert back[6]["stride"] == 2 and np.array_equal(back[6]["W"], value[6]["W"])
    for original, copied in zip(value[7:13], back[7:13], strict=True):
        assert type(copied) is type(original) and copied.dtype == original.dtype
        assert np.array_equal(copied, original)
    assert isinstance(back[13], tf.Tensor) and back[13].dtype == tf.float64
    assert np.array_equal(back[13].numpy(), [1.0, 2.0])


def test_values_that_cannot_travel_become_named_placeholders():
    back = _round_trip([(x for x in range(3)), lambda: 1, np.array(["a"]), object()], strict=False)
    assert [type(v).__name__ for v in back] == ["generator", "function", "ndarray of dtype <U1",
                                                "object"]
    assert all(isinstance(v, remote.Unsupported) for v in back)
    with pytest.raises(protocol.NotSendable):
        protocol.Encoder(strict=True).encode(lambda: 1)
    nested = []
    for _ in range(50):
        nested = [nested]
    assert type(_round_trip(nested, strict=False)).__name__.startswith("list (nested")


def test_a_student_exception_keeps_its_type_name_in_the_checks_sentence():
    def fn(*args):
        raise remote.student_error("ValueError", "operands could not be broadcast")

    fn.__name__ = "conv_forward"
    with pytest.raises(AssertionError,
                       match=r"conv_forward raised ValueError: operands could not be broadcast\."):
        call_student(fn, np.zeros(2))


def test_arguments_changed_in_the_worker_are_changed_here_in_place():
    A_prev, W = np.zeros((2, 3)), np.ones(4)
    cache = (A_prev, W, {"stride": 1}, [np.zeros(1)])
    remote._write_back(cache, (np.full((2, 3), 5.0), W.copy(), {"stride": 2, "pad": 1},
                               [np.ones(1), 7]))
    assert cache[0] is A_prev and (A_prev == 5).all()
    assert cache[2] == {"stride": 2, "pad": 1} and cache[3][0][0] == 1 and cache[3][1] == 7


# ----------------------------------------------------------------------------- Keras values


def _keras_round_trip(value, worker_side=True):
    """``value`` encoded as the worker encodes answers, decoded as the trusted side does."""
    inputs: list = []
    call = protocol._Call({})
    if worker_side:
        encoder = protocol.Encoder(strict=False, extra=call._extra)
    else:
        encoder = protocol.Encoder(
            strict=True, extra=lambda enc, v, depth: remote._argument_node(enc, v, inputs))
    tree = encoder.encode(value)
    buffer = io.BytesIO()
    protocol.write_npz(buffer, encoder.arrays)
    arrays = protocol.read_npz(buffer.getvalue())
    hooks = remote._answer_hooks(arrays, [], [], None)
    return protocol.decode(json.loads(json.dumps(tree)), arrays, tensor=remote._tensor,
                           unsupported=remote.unsupported, hooks=hooks)


def _small_model(keras):
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"),
                              keras.layers.Dropout(0.5), keras.layers.Dense(1)], name="small")
    model.layers[0].trainable = False
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


def test_a_model_travels_as_its_config_weights_flags_and_compile_settings():
    from cnn_course.checks import _keras_wire as wire

    keras = wire._keras()
    model = _small_model(keras)
    back = _keras_round_trip(model)
    assert type(back) is keras.Sequential and back is not model and back.name == "small"
    assert [type(layer).__name__ for layer in back.layers] == ["Dense", "Dropout", "Dense"]
    assert [layer.trainable for layer in back.layers] == [False, True, True]
    for mine, theirs in zip(model.get_weights(), back.get_weights(), strict=True):
        assert np.array_equal(mine, theirs)
    assert type(back.optimizer).__name__ == "Adam"
    assert np.isclose(float(back.optimizer.learning_rate), 0.01)
    assert (isinstance(back.loss, keras.losses.BinaryCrossentropy)
            and back.loss.get_config()["from_logits"])
    x = np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)
    assert np.allclose(model(x), back(x))


def test_a_changed_model_argument_is_written_into_the_checks_model():
    from cnn_course.checks import _keras_wire as wire

    keras = wire._keras()
    target, changed = _small_model(keras), _small_model(keras)
    before = wire.fingerprint(changed)
    changed.layers[0].trainable = True
    changed.layers[2].trainable = False
    changed.set_weights([w + 1 for w in changed.get_weights()])
    changed.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    encoder = protocol.Encoder(strict=False)
    tree = wire.changes_node(changed, before, encoder)
    buffer = io.BytesIO()
    protocol.write_npz(buffer, encoder.arrays)
    arrays = protocol.read_npz(buffer.getvalue())
    back = protocol.decode(json.loads(json.dumps(tree)), arrays,
                           hooks=remote._answer_hooks(arrays, [], [], None))
    remote._write_back(target, back)
    assert [layer.trainable for layer in target.layers] == [True, True, False]
    assert np.array_equal(target.get_weights()[0], changed.get_weights()[0])
    assert type(target.optimizer).__name__ == "SGD" and target.loss == "mse"


def test_a_dataset_travels_as_the_elements_of_its_first_passes():
    import tensorflow as tf

    def pipeline():
        return tf.data.Dataset.from_tensor_slices((np.arange(6.0), np.arange(6))).shuffle(
            6, seed=3).batch(4)

    back = _keras_round_trip(pipeline())
    assert isinstance(back, tf.data.Dataset)
    passes = [[(x.numpy().tolist(), y.numpy().tolist()) for x, y in back] for _ in range(2)]
    again = pipeline()
    assert passes == [[(x.numpy().tolist(), y.numpy().tolist()) for x, y in again]
                      for _ in range(2)]
    assert passes[0] != passes[1]  # reshuffled each pass, as the student's pipeline does


def test_a_dataset_keeps_its_class_names_and_a_forged_list_is_refused():
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices((np.arange(4.0), np.arange(4))).batch(2)
    dataset.class_names = ["alpaca", "not alpaca"]
    back = _keras_round_trip(dataset)
    assert back.class_names == ["alpaca", "not alpaca"]
    assert [y.numpy().tolist() for _, y in back] == [[0, 1], [2, 3]]
    assert not hasattr(_keras_round_trip(dataset.map(lambda x, y: (x, y))), "class_names")
    hooks = remote._answer_hooks({}, [], [], None)
    for body in ({"passes": [], "class_names": [1]}, {"passes": [], "class_names": "ab"},
                 {"passes": [], "class_names": [], "code": "x"}):
        with pytest.raises(protocol.ProtocolError):
            protocol.decode({"dataset": body}, {}, hooks=hooks)


@pytest.mark.parametrize("module, name", [("os", "system"), ("builtins", "eval"),
                                          ("keras.src.utils", "get_file"),
                                          ("keras.layers", "Lambda"), ("keras.layers", "TFSMLayer"),
                                          ("keras", "src"), ("keras.layers", "..Dense"),
                                          ("numpy", "load")])
def test_a_forged_model_config_is_refused_before_keras_reads_it(module, name):
    from cnn_course.checks import _keras_wire as wire

    keras = wire._keras()
    good = json.loads(json.dumps(keras.saving.serialize_keras_object(_small_model(keras))))
    wire.check_config(good)
    bad = copy.deepcopy(good)
    bad["config"]["layers"][1].update(module=module, class_name=name)
    with pytest.raises(wire.NotRebuilt):
        wire.check_config(bad)


def test_a_model_with_python_code_inside_is_not_rebuilt_and_the_check_says_why():
    from cnn_course.checks import _keras_wire as wire

    keras = wire._keras()
    model = keras.Sequential([keras.Input((2,)), keras.layers.Lambda(lambda z: z * 2)])
    back = _keras_round_trip(model)
    assert isinstance(back, remote.Unsupported) and "Lambda" in type(back).__name__


@pytest.mark.parametrize("marker", [{"class_name": "__bytes__", "config": {"value": "x"}},
                                    {"class_name": "__typespec__", "config": {}},
                                    {"class_name": "__numpy__",
                                     "config": {"value": "x", "dtype": "U500000000"}},
                                    {"class_name": "__numpy__", "config": {"value": [0] * 200_000,
                                                                           "dtype": "float32"}},
                                    {"class_name": "__lambda__",
                                     "config": {"code": "", "defaults": None}}])
def test_keras_markers_that_run_code_or_allocate_are_refused(marker):
    from cnn_course.checks import _keras_wire as wire

    keras = wire._keras()
    config = json.loads(json.dumps(keras.saving.serialize_keras_object(_small_model(keras))))
    config["config"]["layers"][1]["config"]["bias_regularizer"] = marker
    with pytest.raises(wire.NotRebuilt):
        wire.check_config(config)


def test_a_registered_name_cannot_stand_for_another_class():
    from cnn_course.checks import _keras_wire as wire

    keras = wire._keras()
    config = json.loads(json.dumps(keras.saving.serialize_keras_object(_small_model(keras))))
    config["config"]["layers"][1]["registered_name"] = (
        "cnn_course>LearntStatisticsBatchNormalization")
    with pytest.raises(wire.NotRebuilt, match="registered name"):
        wire.check_config(config)


def test_a_forged_huge_model_fails_its_test_and_the_grader_lives():
    """The grader's own memory cap turns a forged description of huge layers into an error."""
    code = """
import json
from cnn_course.graders.engine import fast
fast.cap_grader_memory(3072)
from cnn_course.checks import _keras_wire as wire
keras = wire._keras()
small = keras.Sequential([keras.Input((10,)), keras.layers.Dense(10)])
config = keras.saving.serialize_keras_object(small)
config["config"]["layers"][0]["config"]["batch_shape"] = [None, 40000]
config["config"]["layers"][1]["config"]["units"] = 40000
body = {"config": json.dumps(config), "weights": None, "shapes": [[10, 10], [10]],
        "trainable": [True, True]}
try:
    wire.rebuild(body, {})
except wire.NotRebuilt as reason:
    print("refused:", reason)
print("alive", float(keras.ops.sum(keras.ops.ones((2, 2)))))
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "refused: Keras could not rebuild it" in run.stdout and "alive 4.0" in run.stdout, \
        run.stdout


def test_an_array_named_twice_in_an_answer_is_refused():
    with pytest.raises(protocol.ProtocolError, match="two values"):
        protocol.decode([{"array": "a0"}, {"array": "a0"}], {"a0": np.zeros(3)})


def test_an_argument_changed_to_another_shape_is_marked_changed_not_resized():
    A_prev = np.zeros((2, 3))
    view = A_prev[0]
    remote._write_back(A_prev, np.zeros((5, 5)))
    assert A_prev.shape == (2, 3) and np.isnan(view).all()


def test_a_path_argument_is_copied_without_following_the_students_links(tmp_path):
    source, victim = tmp_path / "image.png", tmp_path / "victim.txt"
    source.write_bytes(b"pixels")
    victim.write_text("precious")
    victim.chmod(0o600)
    folder = tmp_path / "worker"
    folder.mkdir()
    # what a student could plant, guessing names
    for name in ("inputs", "0-image.png", "1-image.png"):
        os.symlink(victim, folder / name)
    worker = remote.Worker(folder)
    worker._dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        copy = worker._readable(str(source))
    finally:
        os.close(worker._dir_fd)
    assert (open(copy, "rb").read() == b"pixels"
            and os.path.dirname(os.path.dirname(copy)) == str(folder))
    assert victim.read_text() == "precious" and (victim.stat().st_mode & 0o777) == 0o600


def test_a_folder_argument_is_copied_with_its_sub_folders_and_without_links(tmp_path):
    source, victim = tmp_path / "photos", tmp_path / "victim.txt"
    (source / "cats").mkdir(parents=True)
    (source / "not cats").mkdir()
    (source / "cats" / "a.png").write_bytes(b"cat")
    (source / "not cats" / "b.png").write_bytes(b"dog")
    victim.write_text("precious")
    os.symlink(victim, source / "cats" / "link.png")
    folder = tmp_path / "worker"
    folder.mkdir()
    worker = remote.Worker(folder)
    worker._dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        copy = worker._readable(str(source))
        missing = str(victim.parent / "nothing-here")
        assert worker._readable(missing) == missing
    finally:
        os.close(worker._dir_fd)
    found = sorted(str(p.relative_to(copy)) for p in Path(copy).rglob("*"))
    assert found == ["cats", "cats/a.png", "not cats", "not cats/b.png"]
    assert open(os.path.join(copy, "not cats", "b.png"), "rb").read() == b"dog"
    assert os.path.dirname(os.path.dirname(copy)) == str(folder)


def test_the_readers_refuse_what_a_worker_could_plant_in_its_folder(tmp_path):
    target = tmp_path / "reference.npz"
    np.savez(target, a0=np.arange(3.0))
    folder = tmp_path / "worker"
    folder.mkdir()
    os.symlink(target, folder / "resp-1.npz")
    os.mkfifo(folder / "resp-2.npz")
    os.link(target, folder / "resp-3.npz")
    (folder / "resp-4.npz").write_bytes(b"x" * 100)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for name in ("resp-1.npz", "resp-2.npz", "resp-3.npz"):
            with pytest.raises(protocol.ProtocolError):
                protocol.read_file(name, fd)
        with pytest.raises(protocol.ProtocolError):
            protocol.read_file("resp-4.npz", fd, limit=10)
    finally:
        os.close(fd)

    def npz(**arrays):
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        return buffer.getvalue()

    compressed = io.BytesIO()
    np.savez_compressed(compressed, a0=np.zeros(1000))
    strings = npz(a0=np.array(["secret"]))
    objects = io.BytesIO()
    with zipfile.ZipFile(objects, "w") as archive:
        with archive.open("a0.npy", "w") as member:
            np.lib.format.write_array(member, np.array([{}], dtype=object), allow_pickle=True)
    header = io.BytesIO()
    np.lib.format.write_array(header, np.zeros(4))
    lying = io.BytesIO()  # a header that claims more data than the member holds
    with zipfile.ZipFile(lying, "w") as archive:
        archive.writestr("a0.npy", header.getvalue().replace(b"(4,)", b"(9,)"))
    for data in (compressed.getvalue(), strings, objects.getvalue(), npz(other=np.zeros(1)),
                 lying.getvalue(), b"not a zip"):
        with pytest.raises(protocol.ProtocolError):
            protocol.read_npz(data)
    assert protocol.read_npz(npz(a0=np.zeros(4)))["a0"].shape == (4,)


def test_the_grading_sandbox_sees_only_the_student_package(tmp_path):
    """The worker's Python is the student-only environment that `make setup` builds, and in the
    sandbox neither the instructor's code nor nbgrader can be imported."""
    from cnn_course.graders.engine import fast, isolation

    python = fast.student_python()
    assert python.parent.parent.name == "student", \
        f"the sandbox would run {python}, not .venv/student"
    work = tmp_path / "private" / "work"
    work.mkdir(parents=True)
    work.parent.chmod(0o700)
    probe = ("import importlib.util as u\n"
             "print([n for n in ('cnn_course.graders', 'nbgrader', 'jupyterlab') "
             "if u.find_spec(n)],"
             " u.find_spec('cnn_course.checks.worker') is not None)")
    result = isolation.run([str(python), "-I", "-c", probe],
                           read_only=fast.student_package_paths(python), work=work, timeout_s=60)
    assert result.ok, result.stderr
    assert result.stdout.strip() == "[] True", result.stdout


MUTATES_SHAPES = '''import numpy as np


def annotations_to_mask(annotations, height, width):
    for shape in annotations:  # rewrites the check's own shapes, if it could reach them
        shape["label"] = 3
    return np.zeros((height, width), np.uint8)
'''


def test_a_function_that_rewrites_its_arguments_cannot_fail_the_students_after_it():
    """The check's inputs are shared by every student of a batch: the student's function
    gets copies, so what it writes into them is reported and goes no further."""
    w3a2 = "w3a2_unet_segmentation"
    right = remote.cells_of(w3a2, read_notebook(source_path(w3a2)))
    before, attacker, after = remote.grade_many(w3a2, [right, [MUTATES_SHAPES], right],
                                                tests=["annotations_to_mask_tests"], ahead=2)
    test = "annotations_to_mask_tests"
    assert before[test]["passed"]
    assert "modified its argument number 1 in place" in attacker[test]["message"]
    assert after[test]["passed"], after[test]["message"]


def test_each_grading_thread_sends_the_seed_its_own_check_set(tmp_path):
    """The fast grader grades submissions in threads: a seed set by one submission's check
    must not reach the student's process of another (two datasets made "with the same seed"
    came in different orders when it did)."""
    import threading

    from cnn_course.checks import _checking

    class Sent(Exception):
        pass

    sent = {}

    def capture(request, deadline):
        sent[threading.current_thread().name] = request["seed"]
        raise Sent

    worker = remote.Worker(tmp_path)
    worker.wait_ready = lambda: None
    worker._send = capture
    both_seeded, both_called = threading.Barrier(2), threading.Barrier(2)

    def check(value: int, first: bool):
        if first:
            _checking.seed(value)
            both_seeded.wait()
            both_called.wait()  # the other thread seeds and calls first
        else:
            both_seeded.wait()
            _checking.seed(value)
        try:
            worker.call("make_dataset", [], {})
        except Sent:
            pass
        if not first:
            both_called.wait()

    threads = [threading.Thread(target=check, args=(value, value == 3), name=f"seed-{value}")
               for value in (3, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sent == {"seed-3": 3, "seed-1": 1}
