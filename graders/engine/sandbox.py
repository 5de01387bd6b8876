"""The grading child process: one submission, in a sandbox (``python -m cnn_course.graders.engine.sandbox``).

Started by :mod:`cnn_course.graders.engine.fast` in a fresh temporary working folder,
in its own session, without network where the system allows it
(``unshare --net``), with the parent watching its memory and wall-clock time.
Inside, in this order:

1. import the assignment's grader module, numpy, TensorFlow, and load the
   reference outputs (before any student code runs);
2. snapshot the testing libraries (numpy, ``numpy.testing``, builtins, math,
   every ``cnn_course`` module, ``sys.modules``) by identity;
3. arm an audit hook (``sys.addaudithook``: it cannot be removed) that refuses
   network sockets, new processes (fork, exec, subprocess, os.system), killing
   other processes, SQLite connections, ``gc`` object walks, ctypes symbol
   look-ups, patching classes of the testing libraries, and any file access
   under the forbidden folders (the course directory with its gradebook and
   sources, the repository's notebook sources and reference outputs), and any
   file write outside the temporary folder;
4. send the student's prints to ``/dev/null`` (a 100 MB print costs nothing);
5. run the trusted setup and parameters cells (from the source notebook) and the
   student's graded cells (``load_functions``);
6. run each requested test (visible then hidden checks), checking the snapshot
   after each; report every step as one JSON line on the results pipe.

A student function that changes the testing libraries fails every test from
then on, with a sentence saying why. What this cannot stop is said in the
README ("Trust and its limits").
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import types

# numpy submodules that hold the functions checks use; cnn_course modules are all watched.
WATCHED_MODULES = ("numpy", "numpy.testing", "numpy.linalg", "numpy.random", "builtins", "math")
BLOCKED_EVENTS = (
    "socket.connect", "socket.bind", "socket.getaddrinfo", "socket.sendto", "socket.sendmsg", "socket.__new__",
    "subprocess.Popen", "os.system", "os.fork", "os.forkpty", "os.exec", "os.posix_spawn", "os.spawn",
    "os.kill", "os.killpg", "pty.spawn", "sqlite3.connect", "sqlite3.connect/handle",
    "gc.get_objects", "gc.get_referrers", "gc.get_referents", "ctypes.dlsym", "ctypes.dlopen", "ctypes.cdata",
    "ctypes.call_function", "sys.setprofile", "sys.settrace",
)
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


class SandboxViolation(PermissionError):
    """The student's code tried something the grading sandbox refuses."""


def _watched_modules() -> list[types.ModuleType]:
    names = set(WATCHED_MODULES) | {n for n in sys.modules if n.startswith("cnn_course")}
    names |= {n for n in ("keras.ops", "tensorflow.image", "tensorflow.nn") if n in sys.modules}
    return [sys.modules[n] for n in sorted(names) if n in sys.modules]


def snapshot() -> dict[tuple[str, str], int]:
    """Identity of every non-module attribute of the watched modules, and of sys.modules entries."""
    taken = {}
    for module in _watched_modules():
        for name, value in list(vars(module).items()):
            if not isinstance(value, types.ModuleType):  # lazy loaders replace module attributes legitimately
                taken[(module.__name__, name)] = id(value)
        taken[("sys.modules", module.__name__)] = id(module)
    return taken


def tampering(before: dict[tuple[str, str], int]) -> list[str]:
    """Names whose object changed since the snapshot (replaced functions, swapped modules)."""
    now = snapshot()
    return sorted(f"{m}.{n}" if m != "sys.modules" else f"sys.modules[{n!r}]"
                  for (m, n), ident in before.items() if (m, n) in now and now[(m, n)] != ident
                  or (m == "sys.modules" and (m, n) not in now))


def _under(path: str, roots: list[str]) -> bool:
    try:
        resolved = os.path.realpath(path)
    except (TypeError, ValueError):
        return False
    return any(resolved == r or resolved.startswith(r + os.sep) for r in roots)


def arm_audit_hook(forbidden: list[str], writable: list[str], watched_types: tuple[type, ...]) -> None:
    forbidden = [os.path.realpath(p) for p in forbidden]
    writable = [os.path.realpath(p) for p in writable] + ["/dev/null"]

    def hook(event: str, args: tuple) -> None:
        if event in BLOCKED_EVENTS or event.startswith(("socket.", "subprocess.")):
            if event == "socket.__new__" and args and args[1] == 1:  # AF_UNIX: harmless
                return
            raise SandboxViolation(f"the grading sandbox refuses {event}")
        if event == "open":
            path, mode, flags = args
            if not isinstance(path, str | bytes | os.PathLike):
                return
            path = os.fsdecode(path)
            if _under(path, forbidden):
                raise SandboxViolation(f"the grading sandbox refuses to open {path}")
            writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & WRITE_FLAGS)
            if writes and not _under(path, writable):
                raise SandboxViolation(f"the grading sandbox refuses to write {path}")
        elif event in ("os.remove", "os.rename", "os.rmdir", "shutil.rmtree", "os.truncate", "os.chmod"):
            if args and isinstance(args[0], str | bytes | os.PathLike) and not _under(os.fsdecode(args[0]), writable):
                raise SandboxViolation(f"the grading sandbox refuses {event} outside its folder")
        elif event == "object.__setattr__":
            target = args[0]
            if isinstance(target, type) and issubclass(target, watched_types):
                raise SandboxViolation(f"the grading sandbox refuses to patch {target.__name__}")
        elif event == "os.listdir" and args and isinstance(args[0], str | bytes | os.PathLike):
            if _under(os.fsdecode(args[0]), forbidden):
                raise SandboxViolation("the grading sandbox refuses to list a grading folder")

    sys.addaudithook(hook)


class _Channel:
    """JSON lines to the parent on an inherited pipe."""

    def __init__(self, fd: int):
        self._fd = fd

    def send(self, **message) -> None:
        data = (json.dumps(message, default=str) + "\n").encode()
        while data:
            data = data[os.write(self._fd, data):]


class _CappedText(io.TextIOBase):
    """A text sink that keeps only the first ``limit`` characters (checks print; students may print a lot)."""

    def __init__(self, limit: int = 20_000):
        self.parts, self.size, self.limit = [], 0, limit

    def write(self, text: str) -> int:
        if self.size < self.limit:
            self.parts.append(text[: self.limit - self.size])
            self.size += len(self.parts[-1])
        return len(text)


def _run_trusted_setup(assignment_id: str) -> None:
    """Run the source notebook's setup cells (imports) once, so the libraries are loaded before the snapshot."""
    from cnn_course.graders.authoring.notebooks import read_notebook, source_path, tags
    from cnn_course.graders.engine.loading import _python_source

    namespace: dict = {"__name__": "cnn_course_trusted_setup"}
    for cell in read_notebook(source_path(assignment_id)).cells:
        if cell.cell_type == "code" and "setup" in tags(cell):
            exec(compile(_python_source(cell.source), "<trusted setup>", "exec"), namespace)  # noqa: S102


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("assignment_id")
    parser.add_argument("notebook", help="the student's notebook, merged with the trusted cells by the parent")
    parser.add_argument("--tests", required=True, help="comma-separated test grade ids to run, in order")
    parser.add_argument("--fd", type=int, required=True, help="the results pipe")
    parser.add_argument("--forbid", action="append", default=[], help="a folder the student may not read")
    args = parser.parse_args(argv)
    channel = _Channel(args.fd)
    workdir = os.getcwd()

    # 1. Everything trusted is imported before any student code runs.
    import importlib

    import numpy  # noqa: F401
    import numpy.linalg  # noqa: F401 - loaded lazily by numpy 2: load them now so the snapshot covers them
    import numpy.random  # noqa: F401
    import numpy.testing  # noqa: F401

    from cnn_course.checks import _checking
    from cnn_course.graders import reference
    from cnn_course.graders.engine.loading import load_functions
    from cnn_course.utils.runtime import quiet_tensorflow

    quiet_tensorflow()
    grader = importlib.import_module(f"cnn_course.graders.{args.assignment_id}")
    if hasattr(grader, "reference_cases"):
        with contextlib.suppress(FileNotFoundError):
            reference.load(args.assignment_id)
    with contextlib.redirect_stdout(io.StringIO()):
        _run_trusted_setup(args.assignment_id)
        for module in getattr(grader, "PRELOAD", ()):  # libraries the checks import lazily
            importlib.import_module(module)
    watched_types: tuple[type, ...] = (_checking.CheckFailure,)
    if "keras" in sys.modules:
        import keras

        watched_types += (keras.Model, keras.layers.Layer)
    from cnn_course.graders.authoring.notebooks import read_notebook, source_path
    from cnn_course.graders.engine.loading import graded_functions_of

    expected = graded_functions_of(read_notebook(source_path(args.assignment_id)))
    tests = [t for t in args.tests.split(",") if t]
    checks = {f"{name}_tests": (name, getattr(grader, f"check_{name}")) for name in grader.GRADED_FUNCTIONS}

    # 2-4. Snapshot, audit hook, silence.
    before = snapshot()
    arm_audit_hook(args.forbid, [workdir, os.environ.get("TMPDIR", workdir)], watched_types)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    sys.stdout = sys.stderr = _CappedText()

    # 5. The student's graded cells.
    try:
        functions = load_functions(args.assignment_id, args.notebook, expected)
    except BaseException as error:  # noqa: BLE001 - anything the student's code raised
        channel.send(event="load_failed", message=f"{type(error).__name__}: {error}"[:2000])
        return 0
    changed = tampering(before)
    channel.send(event="loaded", tampered=changed[:10])

    # 6. The tests.
    for test_id in tests:
        channel.send(event="start", test=test_id)
        if changed:
            channel.send(event="result", test=test_id, passed=False, phase="load",
                         message=f"Your code replaced parts of the testing libraries ({', '.join(changed[:3])}); "
                                 "the grader does not accept that. Remove those assignments.")
            continue
        name, check = checks[test_id]
        phase = "visible"
        try:
            with contextlib.redirect_stdout(_CappedText()):
                check(getattr(functions, name), hidden=False)
                phase = "hidden"
                check(getattr(functions, name), hidden=True)
            passed, message = True, ""
        except _checking.CheckFailure as failure:
            passed, message = False, str(failure)
        except SandboxViolation as violation:
            passed, message = False, f"{violation}."
        except BaseException as error:  # noqa: BLE001 - a check must never take the batch down
            passed, message = False, f"the check stopped with {type(error).__name__}: {error}"
        changed = tampering(before)
        if changed:
            passed, message = False, (f"Your code replaced parts of the testing libraries ({', '.join(changed[:3])}) "
                                      "while it was tested; the grader does not accept that.")
        channel.send(event="result", test=test_id, passed=passed, phase=phase, message=message[:4000])
    channel.send(event="done")
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # skip interpreter teardown (TensorFlow's can be slow or noisy)
