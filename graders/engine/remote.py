"""Remote grading: the checks run here, every call of the student's code runs in another process.

Today's fast grader (:mod:`cnn_course.graders.engine.fast`) runs the student's code and the
checks in one child process, so the student's code can reach everything that judges it (the
expected values on the call stack, the checking helpers, numpy, ``sys.modules``). Here the
assignment's check module, ``cnn_course.graders.<id>.check_<f>(fn, hidden=...)``, unchanged and
with its sentences, runs in this (trusted) process; ``fn`` is a :func:`proxy`. The student's
cells run in a :class:`Worker`, ``python -m cnn_course.checks.worker`` (student package
only; see its docstring for the protocol, the encodings and the caps), which receives only
the inputs of each call and returns only plain data. An OS sandbox (made elsewhere) wraps the
worker's command through ``prefix`` and ``popen_kwargs``.

What a call of the proxy gives the check, from the worker's answer:

- ``returned``: the value, rebuilt (arrays as numpy arrays, tensors as ``tf.constant`` of the
  same dtype, numpy scalars as numpy scalars, tuples as tuples);
- ``not_implemented``: ``NotImplementedError()`` is raised, so ``call_student`` says "not
  implemented yet";
- ``raised``: a :class:`StudentCodeError` whose class is named after the student's exception
  type, so ``call_student`` says "<name> raised <type>: <message>";
- ``missing`` (the function is not defined, or its cell failed): the error
  ``graders/engine/loading.py``'s stubs raise, with the same sentence;
- ``mutated``: the new values are written into the caller's arguments in place
  (``np.copyto`` for arrays), so ``call_student``'s "modified its argument" check fires;
- a value that cannot travel (a function, a model, a generator, an object): an
  :class:`Unsupported` placeholder whose class is named after the student's type, so the
  checks' type checks fail with their usual sentence ("got generator");
- a worker that died, hung past ``deadline_s``, or broke the protocol: :class:`WorkerStopped`
  (a ``BaseException``, so that ``call_student`` does not report it as the student's
  exception); :func:`grade` fails the test that was running and starts a fresh worker for the
  others.

Every answer is validated before use: the JSON grammar and caps, arrays read from an
uncompressed ``.npz`` with ``allow_pickle=False`` (dtypes bool/int/uint/float/complex, shapes
checked against the bytes), files opened without following links and refused unless plain
files with one link (a worker cannot make this process read another file through its folder).

Keras values (every TensorFlow assignment) travel as data too, as
:mod:`cnn_course.checks._keras_wire` describes: a model the student's code returns comes
back as its JSON config, compile settings, trainable flags and weights, and is rebuilt here
from Keras's own classes only, in Keras's safe mode (no ``Lambda``, no class of the
student's); a ``keras.Input`` passed to a block function is recreated there, and the graph
the block built from it comes back as a model that is cloned here onto the check's own
input, layer by layer; a ``tf.data.Dataset`` comes back as the elements of its first
passes; a model passed as an argument goes there as data and, if the call changes it
(``trainable`` flags, compile settings, weights), the changes are written into the check's
model here. A file named by an argument (a path, or a string tensor holding one) is
copied into the worker's folder first, and the path rewritten; so is a folder named by an
argument (its sub-folders and plain files, up to ``MAX_COPIED_FILES``). ``call_in_dataset_map``
calls the function inside ``Dataset.map`` there, as a ``tf.data`` pipeline would.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import re
import secrets
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from cnn_course.checks import _checking
from cnn_course.checks import _keras_wire as wire
from cnn_course.checks import worker as protocol
from cnn_course.checks._checking import CheckFailure
from cnn_course.utils._tf import tensorflow

WORKER_MODULE = "cnn_course.checks.worker"
DEADLINE_S = 30.0  # one call of a student's function
START_DEADLINE_S = 120.0  # start the process, import the libraries, run the submission's cells
RESPONSE_KEYS = frozenset({"id", "outcome", "value", "exception", "mutated", "npz", "graph"})
# files named by a call's arguments, copied where the student's process can read them
INPUTS_FOLDER = "inputs"
MAX_COPIED_FILES = 2_000  # files of a folder named by an argument (a larger folder is not copied)
MAX_COPIED_BYTES = 64 * 2**20


class WorkerStopped(BaseException):  # noqa: N818 - it is an event more than an error
    """The student's process died, took too long or broke the protocol; ``reason`` completes
    "the process running your code ...".

    A BaseException on purpose: ``call_student`` turns every ``Exception`` into "<name>
    raised ..."; this one has to reach :func:`grade`, which fails the current test only.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class StudentCodeError(Exception):
    """An exception raised by the student's code in its own process, rebuilt from its type name
    and message."""

    type_name = "Exception"

    def __init__(self, type_name: str, message: str):
        super().__init__(message)
        self.type_name = type_name


class Unsupported:
    """Stands for a value the student's code returned that cannot travel as data; its class bears
    that type's name."""

    __slots__ = ()
    type_name = "object"

    def __repr__(self) -> str:
        return f"<{self.type_name} (a value that stays in the student's process)>"

    __str__ = __repr__


def _class_name(name: str) -> str:
    return (name.replace("\x00", "") or "object")[: protocol.MAX_TYPE_NAME]


@lru_cache(maxsize=512)
def _error_class(name: str) -> type[StudentCodeError]:
    return type(name, (StudentCodeError,), {"type_name": name, "__module__": "student"})


@lru_cache(maxsize=512)
def _placeholder_class(name: str) -> type[Unsupported]:
    return type(name, (Unsupported,), {"__slots__": (), "type_name": name, "__module__": "student"})


def student_error(type_name: str, message: str) -> StudentCodeError:
    """A :class:`StudentCodeError` whose ``type(error).__name__`` is the student's type name."""
    name = _class_name(type_name)
    return _error_class(name)(name, message)


def unsupported(type_name: str) -> Unsupported:
    """A placeholder whose ``type(value).__name__`` is ``type_name``."""
    return _placeholder_class(_class_name(type_name))()


def _tensor(array: np.ndarray):
    tf = tensorflow()
    return tf.constant(array, dtype=tf.as_dtype(array.dtype))


# ------------------------------------------------------------------- writing back mutated arguments


def _write_back(target: Any, new: Any) -> Any:
    """Make ``target`` equal ``new`` in place where it can change; returns what the container
    should now hold."""
    if (isinstance(new, wire.ModelChanges) and wire.loaded()
            and isinstance(target, wire._keras().Model)):
        wire.apply_changes(target, new)
        return target
    if isinstance(target, np.ndarray) and isinstance(new, np.ndarray):
        if target.shape == new.shape:
            with contextlib.suppress(TypeError, ValueError):
                np.copyto(target, new, casting="unsafe")
        else:
            # never resized in place (views of it would point at freed memory): marked as
            # changed instead
            _mark_changed(target)
        return target
    if isinstance(target, list) and isinstance(new, list):
        target[:] = [_write_back(target[i], value) if i < len(target) else value
                     for i, value in enumerate(new)]
        return target
    if isinstance(target, dict) and isinstance(new, dict):
        for key in [k for k in target if k not in new]:
            del target[key]
        for key, value in new.items():
            target[key] = _write_back(target[key], value) if key in target else value
        return target
    if isinstance(target, tuple) and isinstance(new, tuple) and len(target) == len(new):
        for old, value in zip(target, new, strict=True):
            _write_back(old, value)
        return target
    return new


def _mark_changed(array: np.ndarray) -> None:
    """Change every value of ``array``, so that a comparison with its copy before the call sees a
    change."""
    with contextlib.suppress(TypeError, ValueError):
        if array.dtype.kind == "b":
            np.logical_not(array, out=array)
        elif array.dtype.kind in "fc":
            array[...] = np.nan
        elif array.dtype.kind in "iu":
            array += 1


# ----------------------------------------------------------------------------- the worker


def worker_env(folder: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A small environment for the student's process: none of this process's variables but the
    locale and PATH."""
    env = {key: os.environ[key] for key in ("PATH", "LANG", "LC_ALL") if key in os.environ}
    env.update(HOME=str(folder), TMPDIR=str(folder), MPLCONFIGDIR=str(folder), MPLBACKEND="Agg",
               TF_CPP_MIN_LOG_LEVEL="3", CNN_COURSE_SMOKE="1",
               # one thread per TensorFlow pool: submissions are graded side by side, one per core
               TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS="1", OMP_NUM_THREADS="1")
    env.update(extra or {})
    return env


class Worker:
    """One student process on one folder: start it, call its functions, stop it.

    ``prefix``: argv put before the command (an OS sandbox's wrapper); ``popen_kwargs``:
    a function given the ``subprocess.Popen`` keyword arguments (``args`` included) and
    returning the ones to use (keep ``stdin`` and ``stdout`` as pipes: they carry the
    protocol; the folder must be visible and writable at the same path inside a sandbox).
    ``deadline_s`` bounds each call, ``start_deadline_s`` the start (imports and the
    submission's cells), both measured here.
    """

    def __init__(self, folder: str | Path, *, prefix: Sequence[str] = (),
                 popen_kwargs: Callable[[dict], dict] | None = None, python: str | None = None,
                 preload: Sequence[str] = (), deadline_s: float = DEADLINE_S,
                 start_deadline_s: float = START_DEADLINE_S, env: Mapping[str, str] | None = None):
        self.folder = Path(folder)
        self.prefix = tuple(prefix)
        self.popen_kwargs = popen_kwargs
        self.python = python or sys.executable
        self.preload = tuple(preload)
        self.deadline_s = deadline_s
        self.start_deadline_s = start_deadline_s
        self.env = worker_env(self.folder, env)
        self.process: subprocess.Popen | None = None
        self.stopped: str | None = None  # why it stopped, once it has
        self.setup_error: dict | None = None
        self._ready = False
        self._dir_fd = -1
        self._buffer = b""
        self._calls = 0
        self._spawned_at = 0.0
        self._stderr = None

    # -- life cycle
    def command(self) -> list[str]:
        return [*self.prefix, self.python, "-I", "-B", "-m", WORKER_MODULE, str(self.folder),
                "--preload", ",".join(self.preload)]

    def spawn(self) -> Worker:
        """Start the process; it imports the preloaded modules and waits for :meth:`send_load`."""
        self._dir_fd = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        self._stderr = tempfile.TemporaryFile()
        kwargs = {"args": self.command(), "cwd": str(self.folder), "env": self.env,
                  "stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": self._stderr,
                  "start_new_session": True, "close_fds": True, "bufsize": 0}
        if self.popen_kwargs is not None:
            kwargs = self.popen_kwargs(dict(kwargs))
        self.process = subprocess.Popen(**kwargs)
        self._spawned_at = time.monotonic()
        os.set_blocking(self.process.stdin.fileno(), False)
        return self

    def send_load(self) -> None:
        """Tell the process to run ``cells.json`` (written into the folder before this)."""
        self._send({"load": protocol.CELLS_FILE}, time.monotonic() + self.start_deadline_s)

    def wait_ready(self) -> None:
        """Wait until the cells have run; :class:`WorkerStopped` if the process dies or takes too
        long."""
        if self._ready:
            return
        deadline = self._spawned_at + self.start_deadline_s
        limit = f"did not finish loading within {self.start_deadline_s:g} s"
        booted = self._receive(deadline, limit)
        if booted != {"event": "booted"}:
            self._fail("sent something else than the start message")
        ready = self._receive(deadline, limit)
        if set(ready) != {"event", "setup_error"} or ready["event"] != "ready":
            self._fail("sent something else than the ready message")
        if ready["setup_error"] is not None:
            self.setup_error = self._exception(ready["setup_error"])
        self._ready = True

    def start(self) -> Worker:
        self.spawn()
        self.send_load()
        self.wait_ready()
        return self

    @property
    def alive(self) -> bool:
        return self.stopped is None and self.process is not None and self.process.poll() is None

    def stop(self, reason: str = "was stopped by the grader") -> None:
        """Kill the process group (the student's children too) and release the descriptors."""
        if self.stopped is None:
            self.stopped = reason
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=30)
            for stream in (self.process.stdin, self.process.stdout):
                with contextlib.suppress(OSError):
                    stream.close()
        if self._dir_fd >= 0:
            os.close(self._dir_fd)
            self._dir_fd = -1
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- calls
    def call(self, function: str, args: Sequence[Any], kwargs: Mapping[str, Any],
             in_map: bool = False) -> Any:
        """``function(*args, **kwargs)`` in the student's process, as the proxy's caller sees it
        (module docstring).

        ``in_map``: call it inside ``tf.data``'s ``Dataset.map`` over the arguments (graph mode).
        """
        if self.stopped is not None:
            raise WorkerStopped(self.stopped)
        self.wait_ready()
        sent_args = [self._readable(value) for value in args]
        sent_kwargs = {key: self._readable(value) for key, value in kwargs.items()}
        inputs: list = []
        encoder = protocol.Encoder(
            strict=True, extra=lambda enc, value, depth: _argument_node(enc, value, inputs))
        try:
            tree_args = [encoder.encode(value) for value in sent_args]
            tree_kwargs = {key: encoder.encode(value) for key, value in sent_kwargs.items()}
        except protocol.NotSendable as error:
            return unsupported(f"{error} argument (not sent to the student's process)")
        self._calls += 1
        number = self._calls
        deadline = time.monotonic() + self.deadline_s
        try:
            if encoder.arrays:
                self._write_request_arrays(number, encoder.arrays)
            request = {"id": number, "function": function, "args": tree_args,
                       "kwargs": tree_kwargs, "npz": bool(encoder.arrays),
                       "seed": _checking.current_seed()}
            if in_map:
                request["map"] = True
            self._send(request, deadline)
            answer = self._receive(deadline, f"did not answer within {self.deadline_s:g} s "
                                             "(the limit of one call)")
            outcome, value, error, mutated = self._check_answer(answer, number, list(args),
                                                                dict(kwargs), inputs)
        finally:
            for name in (f"req-{number}.npz", f"resp-{number}.npz"):
                if self._dir_fd >= 0:
                    with contextlib.suppress(OSError):
                        os.unlink(name, dir_fd=self._dir_fd)
        for key, new in mutated.items():
            if key.isdigit():  # checked above: ASCII digits, a position that was passed
                _write_back(args[int(key)], new)
            else:
                _write_back(kwargs[key], new)
        if outcome == "returned":
            return value
        if outcome == "not_implemented":
            raise NotImplementedError()
        if outcome == "missing":  # the sentence of loading.py's stubs
            raise student_error("RuntimeError", f"the cell that defines {function} failed to run: "
                                                f"{error['type']}: {error['message']}")
        raise student_error(error["type"], error["message"])

    # -- the wire
    def _fail(self, reason: str):
        self.stop(reason)
        raise WorkerStopped(reason)

    def _why_it_ended(self) -> str:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        try:
            status = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            return "stopped answering"
        if status < 0:
            try:
                name = signal.Signals(-status).name
            except ValueError:
                name = str(-status)
            return f"was killed by signal {name}"
        if not self._ready and self._stderr is not None:
            self._stderr.seek(0)
            tail = self._stderr.read(4000).decode(errors="replace").strip().splitlines()[-1:]
            if tail:
                return f"ended with status {status} ({tail[0][:300]})"
        return (f"ended (exit status {status}) without answering: "
                "does the code call os._exit or sys.exit?")

    def _send(self, message: dict, deadline: float) -> None:
        data = memoryview((json.dumps(message, separators=(",", ":")) + "\n").encode())
        fd = self.process.stdin.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_WRITE)
            while data:
                if not selector.select(max(0.0, deadline - time.monotonic())):
                    self._fail("stopped reading its input")
                try:
                    data = data[os.write(fd, data):]
                except BlockingIOError:
                    continue
                except OSError:
                    self._fail(self._why_it_ended())

    def _receive(self, deadline: float, too_late: str) -> dict:
        fd = self.process.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                if len(self._buffer) > protocol.MAX_LINE_BYTES:
                    self._fail("sent an answer longer than the limit")
                if not selector.select(max(0.0, deadline - time.monotonic())):
                    self._fail(too_late)
                try:
                    chunk = os.read(fd, 2**16)
                except OSError:
                    chunk = b""
                if not chunk:
                    self._fail(self._why_it_ended())
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        if len(line) > protocol.MAX_LINE_BYTES:
            self._fail("sent an answer longer than the limit")
        try:
            message = json.loads(line)
        except (ValueError, RecursionError):
            self._fail("sent an answer that is not JSON")
        if type(message) is not dict:
            self._fail("sent an answer that is not a JSON object")
        return message

    def _write_request_arrays(self, number: int, arrays: dict[str, np.ndarray]) -> None:
        try:
            fd = os.open(f"req-{number}.npz",
                         os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                         0o644, dir_fd=self._dir_fd)
        except OSError:
            self._fail("changed the files of its folder")
        with os.fdopen(fd, "wb") as file:
            protocol.write_npz(file, arrays)

    def _exception(self, raw: Any) -> dict:
        if (type(raw) is not dict or set(raw) != {"type", "message"} or type(raw["type"]) is not str
                or type(raw["message"]) is not str or len(raw["type"]) > protocol.MAX_TYPE_NAME
                or len(raw["message"]) > protocol.MAX_MESSAGE):
            self._fail("sent a malformed exception")
        return raw

    def _readable(self, value: Any) -> Any:
        """A path to an existing file (a string, or a scalar string tensor) becomes a copy the
        worker can read.

        The student's process can write in its folder: the copy goes into a new folder with an
        unguessable name, made and written here without following links.
        """
        node = wire.string_node(value)
        text = value if type(value) is str else (node["string_tensor"] if node else None)
        if not text or not os.path.isabs(text) or len(text) > 4096:
            return value
        if os.path.isdir(text) and not os.path.islink(text):
            copy = self._copied_folder(text)
            return value if copy is None else copy if type(value) is str else wire.make_string(copy)
        if not os.path.isfile(text):
            return value
        name = f"{INPUTS_FOLDER}-{secrets.token_hex(8)}"
        os.mkdir(name, mode=0o755, dir_fd=self._dir_fd)
        folder = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                         dir_fd=self._dir_fd)
        try:
            base = re.sub(r"[^A-Za-z0-9._-]", "_", Path(text).name)[:100] or "file"
            fd = os.open(base, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                         0o644, dir_fd=folder)
            with os.fdopen(fd, "wb") as out, open(text, "rb") as source:
                shutil.copyfileobj(source, out)
                os.fchmod(out.fileno(), 0o644)
            os.fchmod(folder, 0o755)
        finally:
            os.close(folder)
        copy = str(self.folder / name / base)
        return copy if type(value) is str else wire.make_string(copy)

    def _copied_folder(self, text: str) -> str | None:
        """A copy of the folder ``text`` (sub-folders and plain files; links skipped), or None if
        too large.

        Made as :meth:`_readable` makes a file's copy: in a new folder with an unguessable name,
        every folder and file created here without following links.
        """
        files, size = [], 0
        for root, folders, names in os.walk(text, followlinks=False):
            folders.sort()
            relative = os.path.relpath(root, text)
            for name in sorted(names):
                info = os.lstat(os.path.join(root, name))
                if stat.S_ISREG(info.st_mode):
                    files.append((relative, name))
                    size += info.st_size
            if len(files) > MAX_COPIED_FILES or size > MAX_COPIED_BYTES:
                return None
        safe = re.compile(r"[^A-Za-z0-9._ -]")
        name = f"{INPUTS_FOLDER}-{secrets.token_hex(8)}"
        base = safe.sub("_", Path(text).name)[:100].strip(". ") or "folder"
        os.mkdir(name, mode=0o755, dir_fd=self._dir_fd)
        opened: dict[str, int] = {}
        try:
            opened["."] = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                                  dir_fd=self._dir_fd)
            top = opened["."]
            os.mkdir(base, mode=0o755, dir_fd=top)
            opened[""] = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                                 dir_fd=top)
            for relative, file_name in files:
                folder = opened[""]
                if relative != ".":
                    for depth, part in enumerate(Path(relative).parts):
                        key = os.path.join(*Path(relative).parts[:depth + 1])
                        if key not in opened:
                            part = safe.sub("_", part)[:100].strip(". ") or "folder"
                            os.mkdir(part, mode=0o755, dir_fd=folder)
                            opened[key] = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
                                                  | os.O_CLOEXEC, dir_fd=folder)
                        folder = opened[key]
                target = safe.sub("_", file_name)[:100].strip(". ") or "file"
                fd = os.open(target,
                             os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                             0o644, dir_fd=folder)
                with os.fdopen(fd, "wb") as out, open(os.path.join(text, relative, file_name),
                                                      "rb") as source:
                    shutil.copyfileobj(source, out)
                    os.fchmod(out.fileno(), 0o644)
        finally:
            for fd in opened.values():
                os.close(fd)
        return str(self.folder / name / base)

    def _check_answer(self, answer: dict, number: int, args: list, kwargs: dict, inputs: list):
        """(outcome, value, exception, mutated) of a validated answer; WorkerStopped for anything
        else."""
        try:
            if (not set(answer) <= RESPONSE_KEYS or answer.get("id") != number
                    or type(answer.get("id")) is not int):
                raise protocol.ProtocolError("an answer to another request")
            outcome = answer.get("outcome")
            if outcome not in protocol.OUTCOMES:
                raise protocol.ProtocolError("an unknown outcome")
            has_npz = answer.get("npz", False)
            if type(has_npz) is not bool:
                raise protocol.ProtocolError("a malformed answer")
            arrays = (protocol.read_npz(protocol.read_file(f"resp-{number}.npz", self._dir_fd))
                      if has_npz else {})
            hooks = _answer_hooks(arrays, args, inputs, answer.get("graph"))
            value = None
            if outcome == "returned":
                if "value" not in answer:
                    raise protocol.ProtocolError("a returned answer without a value")
                value = protocol.decode(answer["value"], arrays, tensor=_tensor,
                                        unsupported=unsupported, hooks=hooks)
            error = (self._exception(answer.get("exception"))
                     if outcome in ("raised", "missing") else None)
            mutated = {}
            raw = answer.get("mutated", {})
            if type(raw) is not dict:
                raise protocol.ProtocolError("a malformed list of changed arguments")
            for key, tree in raw.items():
                if not ((re.fullmatch(r"[0-9]{1,6}", key) and int(key) < len(args))
                        or key in kwargs):
                    raise protocol.ProtocolError("a changed argument that was not passed")
                mutated[key] = protocol.decode(tree, arrays, tensor=_tensor,
                                               unsupported=unsupported, hooks=hooks)
        except protocol.ProtocolError as problem:
            self._fail(f"sent an answer the grader does not accept ({problem})")
        except Exception as problem:  # e.g. a tensor of a dtype TensorFlow does not have
            self._fail(f"sent an answer the grader does not accept ({type(problem).__name__})")
        return outcome, value, error, mutated


def _argument_node(encoder: protocol.Encoder, value: Any, inputs: list) -> Any:
    """The Keras kinds of argument (:mod:`cnn_course.checks._keras_wire`); None for the others."""
    if not wire.loaded():
        return None
    keras = wire._keras()
    if isinstance(value, keras.KerasTensor):
        try:
            node = wire.input_node(value)
        except ValueError as error:
            raise protocol.NotSendable(str(error)) from None
        inputs.append(value)
        return node
    if isinstance(value, keras.Model):
        node = wire.model_node(value, encoder)
        if node["model"]["weights"] is None:
            raise protocol.NotSendable("a model too large to send")
        return node
    return wire.string_node(value) or wire.class_node(value)


def _rebuilt(body: Any, arrays: Mapping[str, np.ndarray]) -> Any:
    try:
        return wire.rebuild(body, arrays)
    except wire.NotRebuilt as reason:
        return unsupported(f"model the grader cannot rebuild: {reason}")


def _answer_hooks(arrays: Mapping[str, np.ndarray], args: list, inputs: list,
                  graph: Any) -> dict:
    """How the trusted side builds the Keras kinds of an answer: models, symbolic outputs,
    datasets."""
    outputs: list | None = None

    def symbolic(body: Any, _walk) -> Any:
        nonlocal outputs
        if type(body) is not int or body < 0:
            raise protocol.ProtocolError("a malformed symbolic tensor")
        if outputs is None:
            if type(graph) is not dict or set(graph) != {"model"}:
                raise protocol.ProtocolError("symbolic tensors without their graph")
            model = _rebuilt(graph["model"], arrays)
            if isinstance(model, Unsupported):
                outputs = []
                return unsupported(f"KerasTensor ({model.type_name})")
            try:
                outputs = wire.clone_onto(model, inputs)
            except Exception as error:  # the graph does not take the call's inputs
                outputs = []
                return unsupported("KerasTensor (not rebuilt on the inputs: "
                                   f"{type(error).__name__})")
        if body >= len(outputs):
            return unsupported("KerasTensor (not rebuilt)")
        return outputs[body]

    def argument(body: Any, _walk) -> Any:
        if type(body) is not int or not 0 <= body < len(args):
            raise protocol.ProtocolError("a reference to an argument that was not passed")
        return args[body]

    def dataset(body: Any, walk) -> Any:
        try:
            body, class_names = wire.read_dataset_body(body)
        except ValueError:
            raise protocol.ProtocolError("a malformed dataset") from None
        if type(body) is not list or len(body) > wire.DATASET_PASSES or not all(
                type(p) is list and len(p) <= wire.MAX_DATASET_ELEMENTS + 1 for p in body):
            raise protocol.ProtocolError("a malformed dataset")
        return wire.replayed([[walk(element) for element in elements] for elements in body],
                             class_names)

    def changes(body: Any, _walk) -> Any:
        try:
            return wire.read_changes(body, arrays)
        except wire.NotRebuilt as reason:
            return unsupported(f"model changes the grader cannot use: {reason}")

    return {"model": lambda body, _walk: _rebuilt(body, arrays), "symbolic": symbolic,
            "argument": argument, "dataset": dataset, "model_changes": changes}


def proxy(worker: Worker, name: str) -> Callable:
    """What a check receives instead of the student's function ``name``: each call runs in
    ``worker``."""

    def call(*args, **kwargs):
        return worker.call(name, args, kwargs)

    def call_in_dataset_map(*args):
        return worker.call(name, args, {}, in_map=True)

    call.__name__ = call.__qualname__ = name
    call_in_dataset_map.__name__ = call_in_dataset_map.__qualname__ = (
        f"{name} (inside Dataset.map)")
    call.call_in_dataset_map = call_in_dataset_map
    call.__doc__ = f"{name} of the submission, called in the student's process."
    return call


# ----------------------------------------------------------------------------- submissions


@cache
def _source(assignment_id: str):
    from cnn_course.graders.authoring.notebooks import read_notebook, source_path

    return read_notebook(source_path(assignment_id))


def cells_of(assignment_id: str, notebook=None) -> list[dict]:
    """The cells a worker runs: the source's setup and parameters cells (with its smoke settings),
    then the submission's graded cells.

    ``notebook``: None (the source solution), a path (``.ipynb`` or ``.py``) or a notebook
    node. Graded cells are taken by grade id, in the source's order (the first cell with a
    grade id wins); one the submission lacks is listed with ``source`` None. ``defines``
    names the functions the source's cell defines (what fails with the cell).
    """
    from cnn_course.graders.authoring.notebooks import (
        is_graded_code,
        nbgrader_meta,
        read_notebook,
        tags,
    )
    from cnn_course.graders.engine import injected
    from cnn_course.graders.engine.loading import graded_functions_of

    source = _source(assignment_id)
    if notebook is None:
        submission = source
    elif isinstance(notebook, str | Path):
        submission = read_notebook(notebook)
    else:
        submission = notebook
    answers: dict[str, str] = {}
    for cell in submission.cells:
        if is_graded_code(cell):
            answers.setdefault(nbgrader_meta(cell).get("grade_id"), cell.source)
    defines = graded_functions_of(source)
    # The values only: the worker trains nothing of the notebook's, so functions stay traced.
    smoke = injected.smoke_source(injected.smoke_settings(source), eager=False)
    cells = []
    for cell in source.cells:
        if cell.cell_type != "code":
            continue
        grade_id = nbgrader_meta(cell).get("grade_id", "")
        if is_graded_code(cell):
            cells.append({"kind": "graded", "grade_id": grade_id,
                          "defines": defines.get(grade_id, []), "source": answers.get(grade_id)})
        elif {"setup", "parameters"} & set(tags(cell)) and "slow" not in tags(cell):
            cells.append({"kind": "setup", "grade_id": grade_id, "defines": [],
                          "source": cell.source})
            if "parameters" in tags(cell) and smoke:  # the worker runs in smoke mode
                cells.append({"kind": "setup", "grade_id": "smoke_settings", "defines": [],
                              "source": smoke})
    return cells


@cache
def preload_modules(assignment_id: str) -> tuple[str, ...]:
    """Modules the source's setup cells import (and the names they import, in case those are
    modules)."""
    import ast

    from cnn_course.graders.authoring.notebooks import tags

    names: list[str] = []
    for cell in _source(assignment_id).cells:
        if cell.cell_type != "code" or "setup" not in tags(cell):
            continue
        try:
            tree = ast.parse(protocol.python_source(cell.source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.append(node.module)
                names += [f"{node.module}.{alias.name}" for alias in node.names
                          if alias.name != "*"]
    return tuple(dict.fromkeys(n for n in names if not n.startswith("cnn_course.graders")))


class _Workers:
    """Starts workers for one assignment, each in a fresh folder under ``root``."""

    def __init__(self, root: Path, preload: Sequence[str], options: dict):
        self.root, self.preload, self.options, self.count = root, tuple(preload), options, 0

    def start(self, cells: Sequence) -> Worker:
        self.count += 1
        folder = self.root / f"worker-{self.count}"
        folder.mkdir(mode=0o700)
        (folder / protocol.CELLS_FILE).write_text(json.dumps(list(cells)))
        worker = Worker(folder, preload=self.preload, **self.options).spawn()
        try:
            worker.send_load()
        except WorkerStopped:
            pass  # wait_ready says why
        return worker


class _PerThreadStdout(io.TextIOBase):
    """``sys.stdout`` that sends each thread's prints where that thread says (the real stdout by
    default).

    The checks print what they compare; several submissions are graded at once in threads,
    and ``contextlib.redirect_stdout`` swaps one process-wide object: interleaved, two threads
    can leave ``sys.stdout`` pointing at a dead buffer, and every later line is lost.
    """

    _local = threading.local()
    _install = threading.Lock()

    def __init__(self, real):
        super().__init__()
        self.real = real

    def write(self, text: str) -> int:
        sink = getattr(self._local, "sink", None)
        return (sink if sink is not None else self.real).write(text)

    def flush(self) -> None:
        sink = getattr(self._local, "sink", None)
        (sink if sink is not None else self.real).flush()

    @classmethod
    @contextlib.contextmanager
    def silenced(cls):
        with cls._install:
            if not isinstance(sys.stdout, cls):
                sys.stdout = cls(sys.stdout)
        cls._local.sink = io.StringIO()
        try:
            yield
        finally:
            cls._local.sink = None


def _run_test(grader, test_id: str, worker: Worker) -> dict:
    name = test_id.removesuffix("_tests")
    check = getattr(grader, f"check_{name}")
    fn = proxy(worker, name)
    phase = "visible"
    try:
        with _PerThreadStdout.silenced():
            check(fn, hidden=False)
            phase = "hidden"
            check(fn, hidden=True)
    except CheckFailure as failure:
        return {"passed": False, "message": str(failure), "phase": phase}
    except WorkerStopped as stop:
        return {"passed": False, "phase": "run",
                "message": f"While this test ran, the process running your code {stop.reason}; "
                           "the test gets no points."}
    except Exception as error:  # a check must never take the batch down
        return {"passed": False, "phase": phase,
                "message": f"the check stopped with {type(error).__name__}: {error}"}
    return {"passed": True, "message": "", "phase": phase}


def _grade_on(grader, tests: list[str], cells: Sequence, worker: Worker,
              workers: _Workers) -> dict[str, dict]:
    results: dict[str, dict] = {}
    remaining = list(tests)
    try:
        while remaining:
            try:
                worker.wait_ready()
            except WorkerStopped as stop:
                for test in remaining:
                    results[test] = {"passed": False, "phase": "load",
                                     "message": "Your notebook's graded cells could not be "
                                                "loaded: the process running them "
                                                f"{stop.reason}."}
                break
            if worker.setup_error:
                error = worker.setup_error
                for test in remaining:
                    results[test] = {"passed": False, "phase": "load",
                                     "message": "The course's setup cells failed in the grading "
                                                f"environment ({error['type']}: "
                                                f"{error['message']}); tell your instructor."}
                break
            # at least one test per process: a process that dies at once costs one
            test = remaining.pop(0)
            results[test] = _run_test(grader, test, worker)
            # it died during this test: a fresh process for the others
            if remaining and not worker.alive:
                worker.stop()
                worker = workers.start(cells)
    finally:
        worker.stop()
    return {test: results[test] for test in tests}


def grade_many(assignment_id: str, submissions: Iterable[Sequence],
               tests: Sequence[str] | None = None, *, ahead: int = 1, prefix: Sequence[str] = (),
               deadline_s: float = DEADLINE_S, start_deadline_s: float = START_DEADLINE_S,
               popen_kwargs: Callable[[dict], dict] | None = None, python: str | None = None,
               env: Mapping[str, str] | None = None) -> list[dict[str, dict]]:
    """:func:`grade` for each submission (each a list of cells), in order; ``ahead`` workers start
    early.

    Each submission gets its own process(es); while one is graded, the next ``ahead``
    submissions' processes import their libraries and run their cells.
    """
    grader = importlib.import_module(f"cnn_course.graders.{assignment_id}")
    tests = (list(tests) if tests is not None
             else [f"{name}_tests" for name in grader.GRADED_FUNCTIONS])
    submissions = [list(cells) for cells in submissions]
    options = {"prefix": prefix, "deadline_s": deadline_s, "start_deadline_s": start_deadline_s,
               "popen_kwargs": popen_kwargs, "python": python, "env": env}
    results = []
    with tempfile.TemporaryDirectory(prefix="cnn-course-remote-",
                                     ignore_cleanup_errors=True) as tmp:
        workers = _Workers(Path(tmp), preload_modules(assignment_id), options)
        started: list[Worker] = []
        try:
            for index, cells in enumerate(submissions):
                while len(started) < min(ahead + 1, len(submissions) - index):
                    started.append(workers.start(submissions[index + len(started)]))
                results.append(_grade_on(grader, tests, cells, started.pop(0), workers))
        finally:
            for worker in started:
                worker.stop()
    return results


def grade(assignment_id: str, cells: Sequence, tests: Sequence[str] | None = None, *,
          prefix: Sequence[str] = (), deadline_s: float = DEADLINE_S,
          start_deadline_s: float = START_DEADLINE_S,
          popen_kwargs: Callable[[dict], dict] | None = None, python: str | None = None,
          env: Mapping[str, str] | None = None) -> dict[str, dict]:
    """{test id: {"passed", "message", "phase"}} for one submission, its checks run here.

    ``cells``: what :func:`cells_of` returns (or bare sources, each taken as a graded
    cell). A worker runs them; for each test, ``check_<f>(proxy, hidden=False)`` then
    ``hidden=True`` run in this process. A test during which the worker dies or passes its
    deadline fails (phase "run") and a fresh worker grades the tests left; a submission whose
    cells cannot be loaded fails every test (phase "load").
    """
    return grade_many(assignment_id, [cells], tests, ahead=0, prefix=prefix, deadline_s=deadline_s,
                      start_deadline_s=start_deadline_s, popen_kwargs=popen_kwargs, python=python,
                      env=env)[0]
