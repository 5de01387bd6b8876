"""Building blocks of the checks: call a student's function safely, then compare.

Every failure is a :class:`CheckFailure` (an ``AssertionError``) whose message is
a sentence a student can act on. A student's function that raises, returns
None, returns the wrong type, shape or dtype, or modifies its inputs fails the
check with such a sentence; it never crashes the grading run.

In IPython (JupyterLab, Notebook, Colab, and the kernels nbgrader runs) a
CheckFailure is shown as its sentence under the lines of the notebook's own code
that led to it: the frames of the checks and of the graders are left out.
Elsewhere it is an ordinary exception with its whole traceback.
"""

from __future__ import annotations

import copy
import threading
import types
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

# Modules whose frames a student never needs to read in a failed check's traceback.
INTERNAL_MODULES = ("cnn_course.checks", "cnn_course.graders")


def _internal(frame) -> bool:
    name = frame.f_globals.get("__name__") or ""
    return any(name == module or name.startswith(module + ".") for module in INTERNAL_MODULES)


def outside_frames(tb: types.TracebackType | None) -> types.TracebackType | None:
    """A copy of the traceback ``tb`` without the frames of the checks and graders."""
    kept = []
    while tb is not None:
        if not _internal(tb.tb_frame):
            kept.append(tb)
        tb = tb.tb_next
    trimmed = None
    for entry in reversed(kept):
        trimmed = types.TracebackType(trimmed, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return trimmed


def trim_traceback(error: BaseException) -> None:
    """Leave only frames outside the checks in ``error``'s traceback and in those it chains to.

    An exception it was raised while handling (its context) whose frames were all internal is
    no longer shown; a cause (the student's own error) always is.
    """
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        error.__traceback__ = outside_frames(error.__traceback__)
        if error.__cause__ is not None:
            error = error.__cause__
            continue
        context = error.__context__
        if context is None or error.__suppress_context__:
            return
        if outside_frames(context.__traceback__) is None:
            error.__suppress_context__ = True
            return
        error = context


class CheckFailure(AssertionError):
    """A check failed; the message says what is wrong, in words."""

    def _render_traceback_(self) -> list[str]:
        """The traceback IPython shows: the sentence under the notebook's own lines only.

        IPython calls this method of an exception, when it has one, instead of formatting
        the whole traceback. Each frame of this exception is shown by its line and the one
        before it (in a test cell, the docstring), never the hidden lines after it; IPython's
        own style and mode (``%xmode``) apply.
        """
        try:
            from IPython import get_ipython

            trim_traceback(self)
            formatter = get_ipython().InteractiveTB
            return formatter.structured_traceback(type(self), self, self.__traceback__, None, 2)
        except Exception:  # never hide the sentence behind a formatting problem
            return [f"{type(self).__name__}: {self}"]


# The seed last set by seed() in this thread: a student's function that runs in another
# process is seeded with it. Per thread, because the fast grader grades several
# submissions at once in threads, and one check's seed must not reach another's calls.
_SEEDS = threading.local()


def current_seed() -> int:
    """The seed last set by :func:`seed` in this thread (0 before any)."""
    return getattr(_SEEDS, "value", 0)


def seed(value: int) -> None:
    """Seed Keras (Python, numpy and the backend) before a call that draws random weights.

    Call it right before each such call: a function graded in another process is seeded
    there with the same value, before that call.
    """
    _SEEDS.value = int(value)
    import keras

    keras.utils.set_random_seed(value)


def fn_name(fn: Callable) -> str:
    return getattr(fn, "__name__", repr(fn))


def call_student(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call ``fn`` on copies of the arguments; fail clearly if it raises or mutates them.

    ``fn`` receives deep copies, which are compared with the originals afterwards: a
    function that writes into its input (``A_prev += ...``) is caught, and the check's
    own inputs (shared by every later call and, in the grader, every later student)
    stay as they were whatever the function does to them.
    """
    name = fn_name(fn)
    given_args, given_kwargs = copy.deepcopy((args, kwargs))
    result = call_unchecked(fn, *given_args, **given_kwargs)
    before = (args, kwargs)
    args, kwargs = given_args, given_kwargs
    for position, (old, new) in enumerate(zip(before[0], args, strict=True)):
        if not _same(old, new):
            raise CheckFailure(
                f"{name} modified its argument number {position + 1} in place; "
                "work on a copy (for example np.zeros(...) for outputs) and leave inputs unchanged."
            )
    for key, old in before[1].items():
        if not _same(old, kwargs[key]):
            raise CheckFailure(f"{name} modified its argument {key!r} in place; "
                               "leave inputs unchanged.")
    return result


def call_unchecked(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call ``fn``; a failure becomes a CheckFailure sentence. Arguments are not copied.

    For arguments that cannot be deep-copied (Keras symbolic tensors, models).
    """
    name = fn_name(fn)
    if not callable(fn):
        raise CheckFailure(f"{name} is not a function: got {type(fn).__name__}.")
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise CheckFailure(
            f"{name} is not implemented yet: replace `raise NotImplementedError()` with your code."
        ) from None
    except Exception as error:  # any failure of the student's code is reported, not raised
        raise CheckFailure(
            f"{name} raised {type(error).__name__}: {str(error).strip().rstrip('.')}. "
            "Run it on the example above and read the traceback."
        ) from error


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray):
        return (isinstance(b, np.ndarray) and a.shape == b.shape
                and np.array_equal(a, b, equal_nan=True))
    if isinstance(a, tuple | list):
        return (type(a) is type(b) and len(a) == len(b)
                and all(_same(x, y) for x, y in zip(a, b, strict=True)))
    if isinstance(a, Mapping):
        return isinstance(b, Mapping) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def expect_tuple(result: Any, what: str, length: int, names: str) -> tuple:
    """Fail unless ``result`` is a tuple (or list) of ``length`` items."""
    if result is None:
        raise CheckFailure(f"{what} returned None: it must return {names}. "
                           "Did you forget `return`?")
    if not isinstance(result, tuple | list) or len(result) != length:
        got = f"a {type(result).__name__}" + (f" of length {len(result)}"
                                              if isinstance(result, tuple | list) else "")
        raise CheckFailure(f"{what} must return {length} values ({names}), got {got}.")
    return tuple(result)


def expect_array(value: Any, what: str, shape: tuple[int, ...], kind: str = "float",
                 hint: str = "") -> np.ndarray:
    """Fail unless ``value`` is a numpy array of ``shape``; ``kind`` is "float" or "bool"."""
    if value is None:
        raise CheckFailure(f"{what} is None: did you forget to return it?")
    if not isinstance(value, np.ndarray):
        raise CheckFailure(f"{what} must be a numpy array, got {type(value).__name__}.")
    if value.shape != shape:
        message = f"{what} has shape {value.shape}, expected {shape}"
        raise CheckFailure(message + (f": {hint}" if hint else "."))
    if kind == "float" and not np.issubdtype(value.dtype, np.floating):
        raise CheckFailure(
            f"{what} has dtype {value.dtype}, expected floating point numbers "
            "(start from np.zeros(shape), which is float64, not an integer array)."
        )
    if kind == "bool":
        is_01 = np.issubdtype(value.dtype, np.number) and np.isin(value, (0, 1)).all()
        if value.dtype != np.bool_ and not is_01:
            raise CheckFailure(f"{what} must hold True/False values, got dtype {value.dtype}.")
    if kind == "float" and not np.all(np.isfinite(value)):
        raise CheckFailure(f"{what} contains NaN or infinite values.")
    return value


def expect_scalar(value: Any, what: str) -> float:
    """Fail unless ``value`` is a single real number.

    A Python or numpy scalar, or a size-1 array.
    """
    if value is None:
        raise CheckFailure(f"{what} is None: did you forget to return it?")
    if isinstance(value, np.ndarray):
        if value.size != 1:
            raise CheckFailure(f"{what} must be a single number, got an array of shape "
                               f"{value.shape}.")
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise CheckFailure(f"{what} must be a number, got {type(value).__name__}.")
    return float(value)


def expect_close(actual: np.ndarray, expected: np.ndarray, what: str, hint: str = "",
                 atol: float = 1e-7, rtol: float = 1e-6) -> None:
    """Fail unless two arrays of the same shape agree; the message points at the first mismatch."""
    actual = np.asarray(actual, dtype=float)
    expected = np.asarray(expected, dtype=float)
    if actual.shape != expected.shape:
        raise CheckFailure(f"{what} has shape {actual.shape}, expected {expected.shape}.")
    bad = ~np.isclose(actual, expected, atol=atol, rtol=rtol)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        message = (
            f"{what} is wrong at {bad.sum()} of {bad.size} positions; first at index {index}: "
            f"got {actual[index]:.6g}, expected {expected[index]:.6g}"
        )
        raise CheckFailure(message + (f". {hint}" if hint else "."))


def rng_for(*parts: Any) -> np.random.Generator:
    """A generator seeded from a name, so each case has its own fixed inputs."""
    seed = 0
    for part in parts:
        for char in str(part):
            seed = (seed * 131 + ord(char)) % (2**32)
    return np.random.default_rng(seed)


def failure_message(check: Callable, fn: Callable, *phrases: str, hidden: bool = False) -> str:
    """The sentence ``check(fn)`` fails with (for the graders' own tests).

    Raises AssertionError when the check passes, or when a phrase is missing from
    its message.
    """
    try:
        # a visible check takes no hidden argument
        check(fn, **({"hidden": hidden} if hidden else {}))
    except CheckFailure as failure:
        message = str(failure)
    else:
        raise AssertionError(f"{fn_name(check)} accepted {fn_name(fn)}; expected a CheckFailure")
    for phrase in phrases:
        if phrase not in message:
            raise AssertionError(f"{phrase!r} not in {message!r}")
    return message
