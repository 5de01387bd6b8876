"""The student's side of remote grading (``python -m cnn_course.checks.worker FOLDER``).

It runs a submission's code cells in one namespace and then answers calls of the
student's functions with plain data. It ships in the student package on purpose: it
runs inside the OS sandbox, which holds only the student package and its dependencies,
and it imports nothing of ``cnn_course.graders``. The trusted side
(``cnn_course.graders.engine.remote``) starts it, sends it inputs and judges what comes
back; no expected value and no code that judges ever reaches this process.

Protocol: one JSON object per line, on the standard input and output the worker was
started with. Before anything else runs, the worker keeps private copies of those two
descriptors for the protocol, points fd 0 at ``/dev/null`` and fds 1 and 2 at a pipe
that a thread drains into ``FOLDER/output.txt`` (the first ``OUTPUT_CAP`` bytes are
kept, the rest dropped); ``sys.stdout``/``sys.stderr`` keep only the first ``OUTPUT_CAP``
characters too. So a student's prints, even 100 MB of them or raw bytes on fd 1 and 2,
never reach the protocol.

1. boot: import the modules named by ``--preload`` (the heavy imports of the trusted
   setup cells, done before the submission is known); send ``{"event": "booted"}``.
2. load: on ``{"load": "cells.json"}``, run the cells of ``FOLDER/cells.json``, a list
   of ``{"kind": "setup"|"graded", "grade_id", "defines": [names], "source": str|null}``
   (a bare string is a graded cell; ``source`` null is a graded cell the submission
   lacks), in order, in one namespace. IPython syntax (``%magic``, ``!shell``) goes
   through IPython's ``TransformerManager`` when IPython is importable (magics then do
   nothing, except that the body of ``%%time``-like cell magics runs), else those
   lines are dropped. A graded cell that fails does not stop the others: the names it
   should define are remembered with the error, as ``graders/engine/loading.py`` does;
   a failing setup cell stops the loading. Then send
   ``{"event": "ready", "setup_error": null|{"type", "message"}}``.
3. calls: request ``{"id": int, "function": str, "args": [value], "kwargs": {name:
   value}, "npz": bool}``, its arrays in ``FOLDER/req-<id>.npz``; response ``{"id",
   "outcome": "returned"|"raised"|"not_implemented"|"missing", "value", "exception":
   {"type", "message"}, "mutated": {"<position>"|kwarg name: value}, "npz": bool}``,
   its arrays in ``FOLDER/resp-<id>.npz``. ``mutated`` lists the arguments the call
   changed in place, with their new values. ``missing``: the function is not defined,
   or the cell that defines it failed (``exception`` says why).

Values (:class:`Encoder`, :func:`decode`): ``null``, booleans, numbers (``NaN`` and
``Infinity`` as Python's json writes them), strings and JSON lists stand for
themselves; every other value is an object with one key: ``{"tuple": [...]}``,
``{"dict": [[key, value], ...]}`` (string keys), ``{"array": name}`` (a numpy array),
``{"scalar": name}`` (a numpy scalar, stored 0-d), ``{"tensor": name}`` (an eager
TensorFlow tensor, stored as its numpy value: the trusted side rebuilds a
``tf.Tensor`` of the same dtype), ``{"unsupported": type name}`` (a function, a model,
a generator, any other object: never pickled). ``name`` is a member of the message's
``.npz`` (``a0``, ``a1``, ...): uncompressed, read with ``allow_pickle=False``, dtypes
bool/int/uint/float/complex only. Caps: ``MAX_LINE_BYTES`` per message,
``MAX_NPZ_BYTES`` per ``.npz``, ``MAX_STRING`` characters per string, ``MAX_MESSAGE``
per exception message, ``MAX_DEPTH`` levels and ``MAX_NODES`` values per message. A
return value over a cap comes back as ``unsupported``. Both sides check every cap and
every shape of the grammar when they read.

The worker reads nothing of the host but ``FOLDER`` and the modules it imports.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import io
import json
import math
import os
import re
import stat
import sys
import threading
import zipfile
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from cnn_course.checks import _keras_wire as wire

CELLS_FILE = "cells.json"
OUTPUT_FILE = "output.txt"
MAX_LINE_BYTES = 4 * 2**20
MAX_NPZ_BYTES = 64 * 2**20
MAX_STRING = 10_000
MAX_MESSAGE = 4_000
MAX_TYPE_NAME = 200
MAX_DEPTH = 16
MAX_NODES = 100_000
MAX_NDIM = 32
MAX_INT = 2**256
OUTPUT_CAP = 2**20
ARRAY_KINDS = "biufc"  # bool, int, uint, float, complex
OUTCOMES = ("returned", "raised", "not_implemented", "missing")
CELL_MAGICS_THAT_RUN_THEIR_BODY = ("time", "timeit", "capture", "prun")
_ARRAY_NAME = re.compile(r"a[0-9]{1,6}")
_NPZ_MEMBER_OVERHEAD = 512


class ProtocolError(ValueError):
    """A message or a file that does not follow the protocol (malformed, too large, not a plain
    file)."""


class NotSendable(TypeError):
    """A value that cannot travel as plain data (raised only by a strict :class:`Encoder`)."""


class _TooLarge(Exception):
    pass


# ----------------------------------------------------------------------------- values


def type_name(value: Any) -> str:
    return str(type(value).__name__)[:MAX_TYPE_NAME]


def _tensor_class() -> tuple[type, ...]:
    tf = wire.imported("tensorflow")
    if tf is None:
        return ()
    try:
        return (tf.Tensor, tf.Variable)
    except AttributeError:  # a partly imported TensorFlow
        return ()


class Encoder:
    """Turns values into the JSON grammar above; the arrays go to ``self.arrays`` (one ``.npz``).

    ``strict`` (the trusted side, encoding arguments): a value outside the grammar raises
    :class:`NotSendable`. Not strict (the worker, encoding what the student's code
    returned): such a value becomes ``{"unsupported": type name}``, and so does a whole
    value over a cap.
    """

    def __init__(self, strict: bool, extra: Callable[[Encoder, Any, int], Any] | None = None):
        self.strict = strict
        self.extra = extra  # encodes the kinds of _keras_wire: a node, or None for "not mine"
        self.arrays: dict[str, np.ndarray] = {}
        self.nbytes = 0
        self.nodes = 0
        self.chars = 0

    def encode(self, value: Any) -> Any:
        mark = (len(self.arrays), self.nbytes, self.nodes, self.chars)
        try:
            return self._encode(value, 0)
        except NotSendable:
            self._rollback(mark)
            raise
        except _TooLarge as error:
            self._rollback(mark)
            return self._unsupported(f"{type_name(value)} ({error})")
        except Exception:  # a student's object that fails while it is looked at
            self._rollback(mark)
            return self._unsupported(type_name(value))

    def _rollback(self, mark: tuple[int, int, int, int]) -> None:
        count, self.nbytes, self.nodes, self.chars = mark
        for name in list(self.arrays)[count:]:
            del self.arrays[name]

    def _unsupported(self, name: str) -> dict:
        if self.strict:
            raise NotSendable(name)
        return {"unsupported": name[:MAX_TYPE_NAME]}

    def _encode(self, value: Any, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooLarge(f"more than {MAX_NODES} values")
        if depth > MAX_DEPTH:
            raise _TooLarge(f"nested more than {MAX_DEPTH} levels deep")
        kind = type(value)
        if value is None or kind is bool or kind is float:
            return value
        if kind is int:
            if abs(value) >= MAX_INT:
                raise _TooLarge("an integer too large to send")
            return value
        if kind is str:
            return self._string(value)
        if isinstance(value, np.ndarray):
            return self._array("array", value)
        if isinstance(value, np.generic):
            if isinstance(value, str):
                return self._string(str(value))
            return self._array("scalar", np.asarray(value))
        if self.extra is not None:
            node = self.extra(self, value, depth)
            if node is not None:
                return node
        tensor_types = _tensor_class()
        if tensor_types and isinstance(value, tensor_types):
            try:
                data = np.asarray(value.numpy())
            except Exception:  # a symbolic tensor has no value
                return self._unsupported(type_name(value))
            return self._array("tensor", data, type_name(value))
        if isinstance(value, tuple):
            return {"tuple": [self._encode(item, depth + 1) for item in value]}
        if isinstance(value, list):
            return [self._encode(item, depth + 1) for item in value]
        if isinstance(value, dict):
            if not all(type(key) is str for key in value):
                return self._unsupported(f"{type_name(value)} with keys that are not strings")
            return {"dict": [[self._string(key), self._encode(item, depth + 1)]
                             for key, item in value.items()]}
        for base in (bool, int, float, str):  # subclasses (IntEnum, ...) travel as their base type
            if isinstance(value, base):
                return self._encode(base(value), depth)
        return self._unsupported(type_name(value))

    def child(self, value: Any, depth: int) -> Any:
        """Encode a value inside another (for :attr:`extra`)."""
        return self._encode(value, depth + 1)

    def arrays_or_none(self, arrays: list[np.ndarray]) -> list[str] | None:
        """The names of ``arrays`` added to the message, or None (nothing added) if they do not
        fit."""
        size = sum(np.asarray(a).nbytes + _NPZ_MEMBER_OVERHEAD for a in arrays)
        if self.nbytes + size > MAX_NPZ_BYTES or any(np.asarray(a).dtype.kind not in ARRAY_KINDS
                                                     for a in arrays):
            return None
        return [self._array("array", a)["array"] for a in arrays]

    def _string(self, text: str) -> str:
        text = text[:MAX_STRING]
        self.chars += len(text)
        if self.chars > MAX_LINE_BYTES // 8:
            raise _TooLarge("too much text")
        return text

    def _array(self, tag: str, array: np.ndarray, name: str | None = None) -> dict:
        array = np.asarray(array)
        if type(array) is not np.ndarray:
            array = array.view(np.ndarray)
        if (array.dtype.kind not in ARRAY_KINDS or array.dtype.fields is not None
                or array.ndim > MAX_NDIM):
            return self._unsupported(f"{name or type_name(array)} of dtype {array.dtype}")
        self.nbytes += array.nbytes + _NPZ_MEMBER_OVERHEAD
        if self.nbytes > MAX_NPZ_BYTES:
            raise _TooLarge(f"more than {MAX_NPZ_BYTES // 2**20} MB of arrays")
        key = f"a{len(self.arrays)}"
        self.arrays[key] = array
        return {tag: key}


def decode(tree: Any, arrays: Mapping[str, np.ndarray], *, tensor=None, unsupported=None,
           hooks: Mapping[str, Callable[[Any, Callable[[Any], Any]], Any]] | None = None) -> Any:
    """The value a JSON tree stands for; :class:`ProtocolError` if it breaks the grammar or a cap.

    ``tensor(array)`` builds a tensor (default: the array itself); ``unsupported(type
    name)`` builds the placeholder of a value that could not be sent (default: refused).
    ``hooks[tag](body, decode_child)`` builds the values of the other tags it names (the
    Keras kinds of :mod:`cnn_course.checks._keras_wire`); a tag without a hook is refused.
    """
    nodes = 0
    used: set[str] = set()

    def member(name: Any) -> np.ndarray:
        if type(name) is not str or name not in arrays:
            raise ProtocolError(f"a value names the array {str(name)[:40]!r}, "
                                "which the message does not have")
        if name in used:  # each array stands for one value: copies would multiply the memory sent
            raise ProtocolError(f"two values name the array {name!r}")
        used.add(name)
        return arrays[name]

    def walk(node: Any, depth: int) -> Any:
        nonlocal nodes
        nodes += 1
        if nodes > MAX_NODES:
            raise ProtocolError(f"more than {MAX_NODES} values")
        if depth > MAX_DEPTH + 1:
            raise ProtocolError(f"values nested more than {MAX_DEPTH} levels deep")
        kind = type(node)
        if node is None or kind is bool or kind is int or kind is float:
            return node
        if kind is str:
            if len(node) > MAX_STRING:
                raise ProtocolError(f"a string longer than {MAX_STRING} characters")
            return node
        if kind is list:
            return [walk(item, depth + 1) for item in node]
        if kind is dict and len(node) == 1:
            ((tag, body),) = node.items()
            if tag == "tuple" and type(body) is list:
                return tuple(walk(item, depth + 1) for item in body)
            if tag == "dict" and type(body) is list:
                pairs = {}
                for pair in body:
                    if (type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str
                            or len(pair[0]) > MAX_STRING):
                        raise ProtocolError("a dict entry that is not a [string key, value] pair")
                    pairs[pair[0]] = walk(pair[1], depth + 1)
                return pairs
            if tag == "array":
                return member(body)
            if tag == "scalar":
                array = member(body)
                if array.ndim != 0:
                    raise ProtocolError("a scalar stored as an array with dimensions")
                return array[()]
            if tag == "tensor":
                array = member(body)
                return tensor(array) if tensor is not None else array
            if (tag == "unsupported" and type(body) is str and len(body) <= MAX_TYPE_NAME
                    and unsupported is not None):
                return unsupported(body)
            if hooks and tag in hooks:
                try:
                    return hooks[tag](body, lambda child: walk(child, depth + 1))
                except ProtocolError:
                    raise
                except Exception as error:  # a hook refusing its body
                    raise ProtocolError(f"a {tag} value the other side does not accept "
                                        f"({error})") from None
        raise ProtocolError(f"a value outside the protocol's grammar ({kind.__name__})")

    return walk(tree, 0)


# ----------------------------------------------------------------------------- files


def read_file(name: str, dir_fd: int | None = None, limit: int = MAX_NPZ_BYTES) -> bytes:
    """A plain file's bytes: never through a symbolic link, never a FIFO or device, never a hard
    link, at most ``limit``."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                     dir_fd=dir_fd)
    except OSError as error:
        raise ProtocolError(f"cannot open {os.path.basename(name)}: {error.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
            raise ProtocolError(f"{os.path.basename(name)} is not a plain file")
        if info.st_size > limit:
            raise ProtocolError(f"{os.path.basename(name)} is larger than {limit} bytes")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(2**20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise ProtocolError(f"{os.path.basename(name)} is larger than {limit} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_npz(data: bytes) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` sent by the other side, checked member by member, never
    unpickled."""
    if len(data) > MAX_NPZ_BYTES:
        raise ProtocolError("the arrays' file is too large")
    arrays: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_NODES:
                raise ProtocolError("too many arrays")
            for info in members:
                key = info.filename.removesuffix(".npy")
                if (not info.filename.endswith(".npy") or not _ARRAY_NAME.fullmatch(key)
                        or key in arrays):
                    raise ProtocolError("an array with an unexpected name")
                if (info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1
                        or info.file_size > MAX_NPZ_BYTES):
                    raise ProtocolError("a compressed, encrypted or oversized array")
                arrays[key] = _read_npy(archive.read(info))
    except ProtocolError:
        raise
    except Exception as error:  # zipfile and numpy raise many kinds on a damaged file
        raise ProtocolError(f"unreadable arrays ({type(error).__name__})") from None
    return arrays


def _read_npy(raw: bytes) -> np.ndarray:
    stream = io.BytesIO(raw)
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
    else:
        raise ProtocolError(f"an array in .npy format {version}")
    if (dtype.kind not in ARRAY_KINDS or dtype.fields is not None or dtype.subdtype is not None
            or dtype.hasobject):
        raise ProtocolError(f"an array of dtype {dtype}: "
                            "only bool, int, uint, float and complex travel")
    if len(shape) > MAX_NDIM or not all(type(n) is int and n >= 0 for n in shape):
        raise ProtocolError("an array with a bad shape")
    count = math.prod(shape)
    offset = stream.tell()
    if count * dtype.itemsize != len(raw) - offset:
        raise ProtocolError("an array whose data does not match its shape")
    flat = np.frombuffer(raw, dtype=dtype, count=count, offset=offset)
    array = flat.reshape(shape, order="F" if fortran else "C")
    return np.array(array, dtype=dtype.newbyteorder("="), copy=True)


def write_npz(file, arrays: Mapping[str, np.ndarray]) -> None:
    """Arrays into an uncompressed ``.npz`` (what :func:`read_npz` accepts)."""
    np.savez(file, **arrays)


def _create(path: str) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)


# ----------------------------------------------------------------------------- the channel


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class Channel:
    """JSON lines over two descriptors, each line at most ``MAX_LINE_BYTES``."""

    def __init__(self, fd_in: int, fd_out: int):
        self.fd_in, self.fd_out = fd_in, fd_out
        self._buffer = b""

    def send(self, message: dict) -> None:
        _write_all(self.fd_out, (json.dumps(message, separators=(",", ":")) + "\n").encode())

    def receive(self) -> dict | None:
        """The next message, or None at the end of the input."""
        while b"\n" not in self._buffer:
            if len(self._buffer) > MAX_LINE_BYTES:
                raise ProtocolError("a message longer than the limit")
            chunk = os.read(self.fd_in, 2**16)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            message = json.loads(line)
        except (ValueError, RecursionError):
            raise ProtocolError("a message that is not JSON") from None
        if type(message) is not dict:
            raise ProtocolError("a message that is not a JSON object")
        return message


class _CappedText(io.TextIOBase):
    """``sys.stdout``/``sys.stderr`` of the student's code: the first characters go to an fd, the
    rest nowhere."""

    budget = [OUTPUT_CAP]  # shared by stdout and stderr

    def __init__(self, fd: int):
        self._fd = fd

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        left = self.budget[0]
        if left > 0:
            piece = text[:left]
            self.budget[0] = left - len(piece)
            try:
                _write_all(self._fd, piece.encode("utf-8", "replace"))
            except OSError:
                pass
        return len(text)

    def fileno(self) -> int:
        return self._fd

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:
        return "utf-8"


def _drain(fd: int, path: str) -> None:
    kept = 0
    try:
        out = _create(path)
    except OSError:
        out = -1
    while True:
        try:
            chunk = os.read(fd, 2**20)
        except OSError:
            return
        if not chunk:
            return
        if out >= 0 and kept < OUTPUT_CAP:
            piece = chunk[: OUTPUT_CAP - kept]
            kept += len(piece)
            try:
                _write_all(out, piece)
            except OSError:
                pass


def take_over_stdio(folder: str) -> Channel:
    """Keep fds 0 and 1 for the protocol; the student's stdin is empty, its output goes to a
    capped file."""
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
    channel = Channel(os.dup(0), os.dup(1))  # os.dup: not inherited by the student's subprocesses
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 1)
    os.dup2(write_end, 2)
    os.close(write_end)
    threading.Thread(target=_drain, args=(read_end, os.path.join(folder, OUTPUT_FILE)), daemon=True,
                     name="cnn-course-output").start()
    sys.stdout, sys.stderr = _CappedText(1), _CappedText(2)
    return channel


# ----------------------------------------------------------------------------- cells


def _has_ipython_syntax(source: str) -> bool:
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith(("%", "!")) or (stripped.endswith("?")
                                               and not stripped.startswith("#")):
            return True
        if re.search(r"=\s*[!%]", stripped):
            return True
    return False


def python_source(source: str) -> str:
    """A cell's source as plain Python: IPython's transformer if IPython is here, else magic lines
    dropped."""
    if not _has_ipython_syntax(source):
        return source
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except Exception:  # no IPython in this environment
        lines = []
        for line in source.splitlines():
            body = line.lstrip()
            lines.append(line[: len(line) - len(body)] + "pass" if body.startswith(("%", "!"))
                         else line)
        return "\n".join(lines) + "\n"
    return TransformerManager().transform_cell(source)


class _NoIPython:
    """``get_ipython()`` for transformed magics: line magics and shell commands do nothing."""

    def __init__(self, namespace: dict):
        self._namespace = namespace

    def run_line_magic(self, *args, **kwargs):
        return None

    def run_cell_magic(self, magic, line, cell):
        if magic in CELL_MAGICS_THAT_RUN_THEIR_BODY:
            code = compile(python_source(cell), f"<%%{magic}>", "exec")
            exec(code, self._namespace)  # noqa: S102
        return None

    def system(self, *args, **kwargs):
        return None

    def getoutput(self, *args, **kwargs):
        return []


def read_cells(path: str) -> list[dict]:
    """The cells of ``cells.json`` (written by the trusted side), each as a dict with every key."""
    try:
        raw = json.loads(read_file(path, limit=16 * MAX_LINE_BYTES))
    except ValueError as error:
        raise ProtocolError(f"{CELLS_FILE} is unreadable: {error}") from None
    if type(raw) is not list:
        raise ProtocolError(f"{CELLS_FILE} is not a list")
    cells = []
    for item in raw:
        if type(item) is str:
            item = {"kind": "graded", "source": item}
        if type(item) is not dict:
            raise ProtocolError(f"{CELLS_FILE} holds a cell that is neither a string nor an object")
        cell = {"kind": item.get("kind", "graded"), "grade_id": item.get("grade_id") or "",
                "defines": item.get("defines") or [], "source": item.get("source")}
        if cell["kind"] not in ("setup", "graded") or not (cell["source"] is None
                                                           or type(cell["source"]) is str):
            raise ProtocolError(f"{CELLS_FILE} holds a malformed cell")
        if type(cell["grade_id"]) is not str or type(cell["defines"]) is not list or not all(
                type(name) is str for name in cell["defines"]):
            raise ProtocolError(f"{CELLS_FILE} holds a malformed cell")
        cells.append(cell)
    return cells


def describe(error: BaseException) -> dict:
    """{"type", "message"} of an exception, both capped; a message that cannot be built is said
    so."""
    try:
        message = str(error)
    except BaseException:  # noqa: BLE001 - a student's exception whose __str__ fails
        message = "<the message could not be turned into text>"
    return {"type": type_name(error), "message": message[:MAX_MESSAGE]}


def _same(a: Any, b: Any) -> bool:
    """Whether an argument is unchanged by a call (the comparison of ``_checking.call_student``)."""
    if isinstance(a, np.ndarray):
        return (isinstance(b, np.ndarray) and a.shape == b.shape
                and bool(np.array_equal(a, b, equal_nan=True)))
    if isinstance(a, tuple | list):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y)
                                                               for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping):
        return isinstance(b, Mapping) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def _unchanged(before: Any, after: Any) -> bool:
    try:
        return _same(before, after)
    except Exception:  # a student's object that cannot even be compared has changed
        return False


class Session:
    """One submission: its namespace, its functions, and the answers to calls."""

    def __init__(self, folder: str):
        self.folder = folder
        self.pid = os.getpid()
        self.namespace: dict = {"__name__": "__main__"}
        self.namespace["get_ipython"] = lambda: _NoIPython(self.namespace)
        # name -> ("function", obj) | ("failed", describe(...))
        self.entries: dict[str, tuple[str, Any]] = {}
        self.setup_error: dict | None = None

    def exit_if_forked(self) -> None:
        """A process the student's code forked must not answer the trusted side."""
        if os.getpid() != self.pid:
            os._exit(0)

    def load(self) -> None:
        cells = read_cells(os.path.join(self.folder, CELLS_FILE))
        graded_names = [name for cell in cells if cell["kind"] == "graded"
                        for name in cell["defines"]]
        for cell in cells:
            if cell["source"] is None:
                continue
            graded = cell["kind"] == "graded"
            before = set(self.namespace)
            try:
                code = compile(python_source(cell["source"]),
                               f"<cell {cell['grade_id'] or 'setup'}>", "exec")
                # running the submission's cells is the point
                exec(code, self.namespace)  # noqa: S102
            # anything a student's cell raises, SystemExit included
            except BaseException as error:  # noqa: BLE001
                self.exit_if_forked()
                if graded:
                    for name in cell["defines"]:
                        self.entries[name] = ("failed", describe(error))
                    continue
                self.setup_error = describe(error)
                return
            self.exit_if_forked()
            if graded:
                for name in set(self.namespace) - before:
                    if callable(self.namespace[name]):
                        self.entries[name] = ("function", self.namespace[name])
                for name in graded_names:
                    if name in self.namespace:
                        self.entries[name] = ("function", self.namespace[name])
        for name in graded_names:
            self.entries.setdefault(name, ("failed", {
                "type": "NameError", "message": f"{name} is not defined in the notebook"}))

    def handle(self, request: dict) -> dict:
        number, name = request.get("id"), request.get("function")
        args, kwargs = request.get("args"), request.get("kwargs")
        in_map, seed = request.get("map", False), request.get("seed", wire.SEED)
        if (type(number) is not int or type(name) is not str or type(args) is not list
                or type(kwargs) is not dict or type(in_map) is not bool or type(seed) is not int
                or not 0 <= seed < 2**32):
            raise ProtocolError("a malformed request")
        arrays = (read_npz(read_file(os.path.join(self.folder, f"req-{number}.npz")))
                  if request.get("npz") else {})
        call = _Call(arrays)
        args = [call.decode(item) for item in args]
        kwargs = {key: call.decode(item) for key, item in kwargs.items()}
        entry = self.entries.get(name)
        if entry is None or entry[0] == "failed":
            reason = entry[1] if entry else {"type": "NameError",
                                             "message": f"{name} is not defined in the notebook"}
            return {"id": number, "outcome": "missing", "exception": reason}
        snapshots = call.snapshot(args, kwargs)
        response: dict[str, Any] = {"id": number}
        value = None
        try:
            wire.seed(seed)
            value = wire.in_dataset_map(entry[1], args) if in_map else entry[1](*args, **kwargs)
        # every failure of the student's code is an answer
        except BaseException as error:  # noqa: BLE001
            self.exit_if_forked()
            if isinstance(error, NotImplementedError):
                response["outcome"] = "not_implemented"
            else:
                response.update(outcome="raised", exception=describe(error))
        else:
            self.exit_if_forked()
            response["outcome"] = "returned"
        call.encode_answer(response, value, args, kwargs, snapshots)
        if call.encoder.arrays:
            fd = _create(os.path.join(self.folder, f"resp-{number}.npz"))
            with os.fdopen(fd, "wb") as file:
                write_npz(file, call.encoder.arrays)
            response["npz"] = True
        return response


class _Call:
    """One call's values on the worker's side: the Keras inputs made for it, and its answer's
    encoding."""

    def __init__(self, arrays: Mapping[str, np.ndarray]):
        self.arrays = arrays
        self.inputs: list = []  # keras.Input tensors made for the arguments, in order
        self.models: list = []  # model arguments, to answer {"argument": position}
        self.symbolic: list = []  # symbolic tensors the answer refers to, by position
        self.graph_failed = False
        self.encoder = Encoder(strict=False, extra=self._extra)

    # -- arguments
    def decode(self, tree: Any) -> Any:
        hooks = {"input": self._input, "keras_class": lambda body, _: wire.make_class(body),
                 "string_tensor": lambda body, _: wire.make_string(body),
                 "model": lambda body, _: wire.rebuild(body, self.arrays)}
        return decode(tree, self.arrays, tensor=_as_tensor, hooks=hooks)

    def _input(self, body: Any, _walk) -> Any:
        tensor = wire.make_input(body)
        self.inputs.append(tensor)
        return tensor

    def snapshot(self, args: list, kwargs: dict) -> dict:
        """What each argument holds before the call: a copy, or a model's fingerprint."""
        found = {}
        for key, value in [*((str(i), v) for i, v in enumerate(args)), *kwargs.items()]:
            if wire.loaded() and isinstance(value, wire._keras().Model):
                self.models.append((key, value))
                try:
                    found[key] = ("model", wire.fingerprint(value))
                except Exception:  # noqa: S112 - a model that cannot be read is not watched
                    continue
            elif not wire.is_symbolic(value):
                try:
                    found[key] = ("copy", copy.deepcopy(value))
                except Exception:  # noqa: S112 - an argument that cannot be copied is not watched
                    continue
        return found

    # -- the answer
    def _extra(self, encoder: Encoder, value: Any, depth: int) -> Any:
        if not wire.loaded():
            return None
        keras = wire._keras()
        if isinstance(value, keras.Model):
            for key, model in self.models:
                if value is model and key.isdigit():
                    return {"argument": int(key)}
            try:
                return wire.model_node(value, encoder)
            except Exception:  # a model that cannot be described travels as its type name
                return None
        if isinstance(value, keras.KerasTensor):
            if self.graph_failed:
                return {"unsupported": "KerasTensor (not computed from the inputs it was given)"}
            for k, tensor in enumerate(self.symbolic):
                if tensor is value:
                    return {"symbolic": k}
            self.symbolic.append(value)
            return {"symbolic": len(self.symbolic) - 1}
        if wire.is_dataset(value):
            passes = wire.dataset_passes(value)
            encoded = [[encoder.child(element, depth + 1) for element in elements]
                       for elements in passes]
            return {"dataset": wire.dataset_body(value, encoded)}
        return wire.string_node(value) or wire.class_node(value)

    def encode_answer(self, response: dict, value: Any, args: list, kwargs: dict,
                      snapshots: dict) -> None:
        """Fill in the value, the changed arguments and the graph of the returned symbolic
        tensors."""
        for attempt in range(2):
            self.encoder = Encoder(strict=False, extra=self._extra)
            self.symbolic = []
            if response["outcome"] == "returned":
                response["value"] = self.encoder.encode(value)
            mutated = {}
            for key, (kind, before) in snapshots.items():
                now = args[int(key)] if key.isdigit() else kwargs[key]
                try:
                    changed = (wire.fingerprint(now) != before if kind == "model"
                               else not _unchanged(before, now))
                except Exception:  # a student's object that cannot even be compared has changed
                    changed = True
                if changed:
                    try:
                        node = (wire.changes_node(now, before, self.encoder) if kind == "model"
                                else self.encoder.encode(now))
                    except Exception:  # a model that cannot be described travels as its type name
                        node = {"unsupported": type_name(now)}
                    mutated[key] = node
            response.pop("mutated", None)
            if mutated:
                response["mutated"] = mutated
            if not self.symbolic:
                return
            try:
                graph = wire.graph_model(self.inputs, self.symbolic)
                response["graph"] = wire.model_node(graph, self.encoder)
                return
            # not computed from the inputs: those tensors travel as names
            except Exception:  # noqa: S112
                if attempt:
                    raise
                self.graph_failed = True


def _as_tensor(array: np.ndarray):
    import tensorflow as tf

    return tf.constant(array, dtype=tf.as_dtype(array.dtype))


def _fit(response: dict) -> dict:
    """The response, or a smaller one saying the value was too large for a message."""
    if len(json.dumps(response, separators=(",", ":"))) + 1 <= MAX_LINE_BYTES:
        return response
    smaller = {key: response[key] for key in ("id", "outcome", "npz") if key in response}
    if response.get("outcome") == "returned":
        smaller["value"] = {"unsupported": "value (too large to send back)"}
    if "exception" in response:
        smaller["exception"] = response["exception"]
    return smaller


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cnn_course.checks.worker",
                                     description="Run a submission's cells and answer calls of "
                                                 "its functions.")
    parser.add_argument("folder", help=f"holds {CELLS_FILE} and the arrays of each call")
    parser.add_argument("--preload", default="",
                        help="comma-separated modules to import before the submission")
    options = parser.parse_args(argv)
    folder = os.path.abspath(options.folder)
    channel = take_over_stdio(folder)
    for module in filter(None, options.preload.split(",")):
        try:
            importlib.import_module(module)
        # a name that is not a module; the setup cell will say more
        except BaseException:  # noqa: BLE001, S112
            continue
    channel.send({"event": "booted"})
    command = channel.receive()
    if command is None:
        return 0
    if command.get("load") != CELLS_FILE:
        raise ProtocolError("expected the load command")
    session = Session(folder)
    session.load()
    channel.send({"event": "ready", "setup_error": session.setup_error})
    while True:
        request = channel.receive()
        if request is None:
            return 0
        channel.send(_fit(session.handle(request)))


if __name__ == "__main__":
    try:
        status = main()
    except ProtocolError:
        status = 3
    except BaseException:  # noqa: BLE001 - the trusted side sees the end of the stream and says so
        status = 4
    os._exit(status)  # no interpreter teardown: the student's threads and atexit hooks do not run
