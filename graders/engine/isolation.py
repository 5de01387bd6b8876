"""An operating-system sandbox for a student's code, made by bubblewrap (``bwrap``).

Everything a student wrote runs through :func:`run`, inside a sandbox that this
project does not implement itself: bubblewrap (Debian package ``bubblewrap``,
installed by ``make setup`` as root) builds it from Linux namespaces. Inside:

- new user, pid, network, IPC, UTS, cgroup and mount namespaces
  (``--unshare-all --unshare-user``, never ``--share-net``): the code runs as the
  unprivileged uid/gid 65534 with no capabilities, sees only its own processes
  (the sandbox's init is pid 1), has only a loopback interface that nothing
  listens on, and may not create further user namespaces (``--disable-userns``);
- a new session (``--new-session``: no terminal to inject input into), and it dies
  with its parent (``--die-with-parent``);
- an empty environment (``--clearenv``) plus exactly the variables given;
- a filesystem made of: the system folders a Python needs, read-only (``/usr``;
  ``/bin``, ``/lib``, ``/lib64`` as the symlinks or folders they are on the host;
  from ``/etc`` only ``ld.so.cache``, ``alternatives``, ``localtime`` and ``fonts``: no
  ``passwd``, no ``hosts``, no ``resolv.conf``; from ``/sys`` only
  ``devices/system/cpu``), a fresh ``/proc`` and a minimal ``/dev``, a
  size-limited tmpfs at ``/tmp``, the ``read_only`` paths bound read-only at the same
  path, the ``work`` folder bound read-write at the same path (the working
  directory), and nothing else: the root and ``/dev`` are remounted read-only, so
  nothing can be created beside those (no ``mkdir /x``, no symlink in ``/``).

Limits (:class:`Limits`) are applied in two ways that hold for every process inside:

- rlimits, set in the child before ``bwrap`` is executed (so they are inherited by
  everything it starts): address space (``RLIMIT_AS``, per process), CPU time
  (``RLIMIT_CPU``, per process: SIGXCPU at the limit, SIGKILL one second later),
  open files (``RLIMIT_NOFILE``), file size (``RLIMIT_FSIZE``, which also caps the
  captured output) and no core files. ``RLIMIT_NPROC`` is the exception: it is set
  *inside* the sandbox by a ``prlimit`` wrapper (see below);
- where this process may create cgroups (root on a cgroup v1 host like this one,
  or a delegated cgroup v2 subtree), a fresh cgroup per run with ``pids.max`` and a
  memory limit (v1 ``memory.limit_in_bytes``, v2 ``memory.max``) of
  ``memory_mb + tmp_mb`` that counts *all* the sandbox's memory: every process,
  its ``/tmp`` files, memfds. Without a writable cgroup, address-space and
  file-size limits are the baseline (what they cannot bound is said below).

``RLIMIT_NPROC`` (``Limits.processes``) is counted per user and behaves specially:

- it counts tasks (processes *and threads*) of a uid. Since Linux 5.14 the count is
  kept per user namespace *and* checked against every parent namespace up to the
  host, where the limit of the namespace's creator applies. Set on ``bwrap``
  itself by an ordinary user, the limit would be checked against all that user's
  host processes (their desktop, the grader), and ``bwrap`` fails with "Creating
  new namespace failed: Resource temporarily unavailable" as soon as they run more
  processes than the limit. So it is set inside, once the user namespace exists:
  then only the sandbox's own tasks count;
- it is never enforced for a task whose real user is host root (the kernel
  exempts ``INIT_USER``). When the outer process is root, uid 65534 inside the
  sandbox is mapped to host uid 0, so ``RLIMIT_NPROC`` does nothing: a fork bomb
  is stopped by the pids cgroup only, which root can create here. Root without a
  writable cgroup has no process limit (:func:`enforced` says so).

Every other rlimit behaves the same for root and for an ordinary user: inside
the user namespace the code has no capability in the host's namespace, so it
can neither raise a hard limit nor bypass one.

What is not bounded without a cgroup (said plainly, see :func:`enforced`): the
total memory of several processes (each has ``memory_mb`` of address space) and
of memfds (each up to ``file_mb``, as many as ``open_files``). ``/tmp`` is bounded
by its tmpfs size (``--size``, bubblewrap 0.8 or later; with an older bubblewrap
only each file is, by ``RLIMIT_FSIZE``). The wall-clock limit is enforced from
outside: at the deadline the sandbox's init is killed, which makes the kernel
kill every process of its pid namespace, then ``bwrap`` itself.

The ``work`` folder is the one way out of the sandbox, so :func:`run` requires it to
sit in a folder only the caller can enter, and clears set-user-id/set-group-id bits
in it afterwards: inside, the code owns ``work`` (when the caller is root, uid 65534
inside *is* host root for the files it writes), so it could chmod it open and leave
a set-user-id-root executable there. What the sandbox wrote is untrusted: read it
without following symlinks, expect FIFOs, and bound what you read.

Where bubblewrap cannot run (:func:`available`), :func:`run` raises
:class:`IsolationUnavailable` saying what is missing and how to fix it, unless
the caller passes ``allow_unsafe=True`` (the command-line flag is to be named
``--unsafe-no-isolation``): the code then runs without any sandbox, with the same
rlimits, and a warning line on stderr says so.

``preexec_fn`` runs only a few system calls (write to ``cgroup.procs``,
setrlimit) between fork and exec and takes no lock, which is what makes it safe
to call :func:`run` from several threads (Python warns about ``preexec_fn`` and
threads because arbitrary code there could wait on a lock held by another thread).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import resource
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

SANDBOX_UID = 65534  # "nobody" on Debian; inside the sandbox only
SANDBOX_HOSTNAME = "sandbox"
# The system folders a Python (and numpy, TensorFlow) needs, bound read-only; on a
# merged-/usr system /bin, /lib and /lib64 are symlinks into /usr and are recreated as such.
SYSTEM_DIRS = ("/usr", "/bin", "/lib", "/lib64")
# From /etc only what the dynamic linker, Debian's alternatives symlinks, the time zone and
# fontconfig (matplotlib runs fc-list) read: no passwd (Python, numpy and TensorFlow import
# without it; HOME is set), no hosts, no resolv.conf. TensorFlow sizes its thread pools from
# /sys/devices/system/cpu (the only part of /sys shown).
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/alternatives", "/etc/localtime", "/etc/fonts",
                "/sys/devices/system/cpu")
MB = 1024 * 1024
INSTALL_HINT = (
    "install bubblewrap: `sudo apt-get install bubblewrap` on Debian/Ubuntu (`make setup` does it "
    "when run as root), `sudo dnf install bubblewrap` on Fedora"
)
USERNS_HINT = (
    "bubblewrap needs unprivileged user namespaces: check that `sysctl user.max_user_namespaces` "
    "is above 0, that `sysctl kernel.unprivileged_userns_clone` is 1 (older Debian kernels), that "
    "`sysctl kernel.apparmor_restrict_unprivileged_userns` is 0 or bwrap has an AppArmor profile "
    "(Ubuntu 24.04+), and, in a container, that its seccomp/AppArmor profile allows namespaces "
    "(e.g. docker run --security-opt seccomp=unconfined --security-opt apparmor=unconfined)"
)
UNSAFE_WARNING = (
    "WARNING: --unsafe-no-isolation: running student code WITHOUT a sandbox ({why}); it can read "
    "and change every file this user can, use the network and outlive the run. Only rlimits apply."
)
# Text a process prints when an allocation fails (informative only: a student can print it too).
MEMORY_ERRORS = ("MemoryError", "std::bad_alloc", "Cannot allocate memory", "out of memory",
                 "OOM when allocating")


class IsolationUnavailable(RuntimeError):
    """bubblewrap cannot build a sandbox here; the message says why and how to fix it."""


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one sandboxed run may use. Sizes in MiB, times in seconds."""

    # memory_mb: address space per process (room for TensorFlow after a fit); with a cgroup,
    # all memory of the sandbox is capped at memory_mb + tmp_mb
    memory_mb: int = 4096
    cpu_s: int = 300  # CPU time per process
    processes: int = 256  # tasks (processes and threads; TensorFlow starts about 2 per core + 5)
    open_files: int = 256
    file_mb: int = 64  # largest file it may write (and the captured stdout/stderr)
    tmp_mb: int = 128  # size of the writable /tmp


@dataclasses.dataclass
class Result:
    """How a sandboxed run ended. ``stdout``/``stderr`` are at most ``output_limit_bytes`` each."""

    returncode: int | None  # as bwrap reports it: the code's exit status, or 128 + signal
    stdout: str
    stderr: str
    timed_out: bool = False
    reason: str | None = None  # why it was stopped: "timeout", "cpu", "memory", "signal" or None
    detail: str = ""  # one sentence saying so
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    duration_s: float = 0.0
    isolated: bool = True  # False only when allow_unsafe ran it without a sandbox

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.reason is None


# --------------------------------------------------------------------------- bubblewrap


def _bwrap() -> str | None:
    return shutil.which("bwrap")


@functools.lru_cache(maxsize=4)
def _bwrap_help(bwrap: str) -> str:
    done = subprocess.run([bwrap, "--help"], capture_output=True, text=True, timeout=10)
    return done.stdout + done.stderr


def _supports(bwrap: str, option: str) -> bool:
    return re.search(rf"^\s*{re.escape(option)}\b", _bwrap_help(bwrap), re.MULTILINE) is not None


@functools.lru_cache(maxsize=4)
def bwrap_version(bwrap: str | None = None) -> str:
    """``"0.8.0"`` (or ``""`` when bwrap is missing or says nothing)."""
    bwrap = bwrap or _bwrap()
    if bwrap is None:
        return ""
    done = subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=10)
    found = re.search(r"\d+(\.\d+)+", done.stdout)
    return found.group(0) if found else ""


@functools.lru_cache(maxsize=1)
def available() -> tuple[bool, str]:
    """Whether bubblewrap can build the sandbox here, and why not.

    It is probed once, with the real options.

    ``available.cache_clear()`` probes again.
    """
    bwrap = _bwrap()
    if bwrap is None:
        return False, ("bubblewrap (bwrap) is not installed, so student code cannot be isolated: "
                       f"{INSTALL_HINT}.")
    version = bwrap_version(bwrap) or "of unknown version"
    true = shutil.which("true") or "/usr/bin/true"
    with tempfile.TemporaryDirectory(prefix="bwrap-probe-") as work:
        try:
            argv = command([true], read_only=[], work=Path(work), limits=Limits(), env={})
            done = subprocess.run(argv, capture_output=True, text=True, timeout=30,
                                  stdin=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin"})
        except (OSError, subprocess.SubprocessError) as error:
            return False, (f"bubblewrap {version} ({bwrap}) could not be started: {error}. "
                           f"{USERNS_HINT}.")
    if done.returncode != 0:
        said = " ".join(done.stderr.split()) or f"exit status {done.returncode}"
        return False, (f"bubblewrap {version} ({bwrap}) cannot create the sandbox here ({said}). "
                       f"{USERNS_HINT}.")
    return True, f"bubblewrap {version} ({bwrap}) creates the sandbox here."


def _system_binds() -> list[str]:
    args: list[str] = []
    for name in SYSTEM_DIRS:
        path = Path(name)
        if path.is_symlink():  # merged /usr: /lib -> usr/lib
            args += ["--symlink", os.readlink(path), name]
        elif path.is_dir():
            args += ["--ro-bind", name, name]
    for name in SYSTEM_FILES:
        args += ["--ro-bind-try", name, name]
    return args


def _absolute(path: Path | str, what: str) -> str:
    path = os.path.abspath(os.fspath(path))
    if not os.path.exists(path):
        raise ValueError(f"{what} {path} does not exist")
    return path


def command(argv: Sequence[str], *, read_only: Sequence[Path | str] = (), work: Path | str,
            limits: Limits = Limits(), env: Mapping[str, str] | None = None) -> list[str]:
    """The bwrap command line that runs ``argv`` in the sandbox.

    The rlimits, all but NPROC, are set by :func:`run`.
    """
    bwrap = _bwrap()
    if bwrap is None:
        raise IsolationUnavailable(available()[1])
    work = _absolute(work, "the work folder")
    if work == "/":
        raise ValueError("the work folder cannot be /")
    args = [
        bwrap,
        # user, pid, net, ipc, uts, cgroup, mount; fail rather than skip
        "--unshare-all", "--unshare-user",
        "--die-with-parent", "--new-session",
        "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
        "--hostname", SANDBOX_HOSTNAME,
        "--cap-drop", "ALL",
    ]
    # bubblewrap >= 0.8: no nested user namespace (and mounts)
    if _supports(bwrap, "--disable-userns"):
        args.append("--disable-userns")
    args.append("--clearenv")
    for key, value in (base_env() if env is None else env).items():
        args += ["--setenv", key, value]
    args += _system_binds()
    args += ["--proc", "/proc", "--dev", "/dev"]
    # /dev/shm holds POSIX semaphores (multiprocessing's locks: Keras's directory reader makes
    # a thread pool), /tmp the student's scratch files: both private tmpfs, each capped
    # (bubblewrap >= 0.8; else each file is still capped by RLIMIT_FSIZE, and the cgroup if any)
    for private in ("/dev/shm", "/tmp"):
        if _supports(bwrap, "--perms"):
            args += ["--perms", "1777"]
        if _supports(bwrap, "--size"):
            args += ["--size", str(limits.tmp_mb * MB)]
        args += ["--tmpfs", private]
    for path in read_only:
        path = _absolute(path, "the read-only path")
        args += ["--ro-bind", path, path]
    args += ["--bind", work, work]
    # Nothing may be created beside the bound paths: make the sandbox's own root and /dev read-only
    # (not recursive: /tmp, work, /dev/shm and /dev/pts stay as they are).
    args += ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", work]
    args.append("--")
    prlimit = shutil.which("prlimit")
    if prlimit:  # NPROC is set inside the user namespace (see the module's docstring)
        args += [prlimit, f"--nproc={limits.processes}:{limits.processes}", "--"]
    return args + list(argv)


def base_env(**extra: str) -> dict[str, str]:
    """A minimal environment for a Python inside the sandbox (``HOME`` and caches in ``/tmp``)."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLCONFIGDIR": "/tmp/matplotlib",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    env.update(extra)
    return env


def python_paths(python: Path | str) -> list[Path]:
    """The folders to bind read-only so that ``python`` runs inside the sandbox.

    ``python`` is typically a virtual environment's.

    The environment's root (where ``pyvenv.cfg`` is) and the prefix of the real
    interpreter it points to, unless that is under ``/usr`` (bound anyway).
    """
    python = Path(os.path.abspath(python))
    found: list[Path] = []
    if (python.parent.parent / "pyvenv.cfg").is_file():
        found.append(python.parent.parent)
    real_prefix = python.resolve().parent.parent
    if not any(real_prefix.is_relative_to(system) for system in map(Path, SYSTEM_DIRS)):
        if not any(real_prefix.is_relative_to(path) for path in found):
            found.append(real_prefix)
    return found


# --------------------------------------------------------------------------- cgroups


def _own_cgroups() -> tuple[Path | None, dict[str, Path]]:
    """This process's cgroup v2 folder (or None) and its v1 folders by controller (memory, pids)."""
    v2, v1 = None, {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None, {}
    for line in lines:
        hierarchy, controllers, path = line.split(":", 2)
        relative = path.lstrip("/")
        if hierarchy == "0" and not controllers:
            for base in (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified")):
                if (base / "cgroup.controllers").exists():
                    v2 = base / relative
                    break
        for controller in controllers.split(","):
            if (controller in ("memory", "pids")
                    and (Path("/sys/fs/cgroup") / controller / relative).is_dir()):
                v1[controller] = Path("/sys/fs/cgroup") / controller / relative
    return v2, v1


class _Cgroup:
    """A fresh cgroup holding one sandbox: pids.max and a memory limit over all of its processes."""

    def __init__(self) -> None:
        self.dirs: list[Path] = []
        # (memory.events or memory.oom_control, kills before)
        self.oom_files: list[tuple[Path, int]] = []
        self.pids = False
        self.memory = False

    @classmethod
    def create(cls, limits: Limits) -> _Cgroup | None:
        group = cls()
        name = f"cnn-course-sandbox-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        memory = (limits.memory_mb + limits.tmp_mb) * MB
        pids = limits.processes + 2  # + bwrap and its init, which join the cgroup too
        v2, v1 = _own_cgroups()
        if v2 is not None:  # only a delegated subtree offers memory.max and pids.max to a new child
            folder = group._mkdir(v2 / name)
            if folder and (folder / "memory.max").exists() and (folder / "pids.max").exists():
                group.memory = group._write(folder / "memory.max", memory)
                group._write(folder / "memory.swap.max", 0)
                group.pids = group._write(folder / "pids.max", pids)
                group._watch_oom(folder / "memory.events")
            elif folder:
                group.remove()
        if not group.dirs:  # cgroup v1, one hierarchy per controller (this host)
            if "memory" in v1 and (folder := group._mkdir(v1["memory"] / name)):
                group.memory = group._write(folder / "memory.limit_in_bytes", memory)
                group._write(folder / "memory.memsw.limit_in_bytes", memory)  # no escape into swap
                group._watch_oom(folder / "memory.oom_control")
            if "pids" in v1 and (folder := group._mkdir(v1["pids"] / name)):
                group.pids = group._write(folder / "pids.max", pids)
        if not (group.memory or group.pids):
            group.remove()
            return None
        return group

    def _mkdir(self, folder: Path) -> Path | None:
        try:
            folder.mkdir()
        except OSError:
            return None
        self.dirs.append(folder)
        return folder

    @staticmethod
    def _write(path: Path, value: int) -> bool:
        try:
            path.write_text(f"{value}\n")
            return True
        except OSError:
            return False

    def _watch_oom(self, path: Path) -> None:
        if path.exists():
            self.oom_files.append((path, self._oom_kills(path)))

    @staticmethod
    def _oom_kills(path: Path) -> int:
        try:
            found = re.search(r"^oom_kill (\d+)", path.read_text(), re.MULTILINE)
        except OSError:
            return 0
        return int(found.group(1)) if found else 0

    def procs_files(self) -> list[bytes]:
        return [os.fsencode(folder / "cgroup.procs") for folder in self.dirs]

    def oom_killed(self) -> bool:
        return any(self._oom_kills(path) > before for path, before in self.oom_files)

    def pids_left(self) -> set[int]:
        left: set[int] = set()
        for folder in self.dirs:
            try:
                left |= {int(pid) for pid in (folder / "cgroup.procs").read_text().split()}
            except OSError:
                pass
        return left

    def kill_all(self, wait_s: float = 5.0) -> None:
        deadline = time.monotonic() + wait_s
        while (left := self.pids_left()) and time.monotonic() < deadline:
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)

    def remove(self) -> None:
        for folder in reversed(self.dirs):
            for _ in range(50):  # a killed task leaves its cgroup a moment after it is reaped
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)
        self.dirs = []


def enforced(limits: Limits | None = None) -> dict[str, str]:
    """For each limit, how it is enforced on this host by this user (for reports and the README)."""
    limits = limits or Limits()
    group = _Cgroup.create(limits)
    memory, pids = (group.memory, group.pids) if group else (False, False)
    if group:
        group.remove()
    bwrap = _bwrap()
    root = os.geteuid() == 0
    return {
        "memory_mb": (f"cgroup memory limit of {limits.memory_mb + limits.tmp_mb} MB over all "
                      "processes, and " if memory else "")
                     + f"RLIMIT_AS of {limits.memory_mb} MB per process",
        "cpu_s": f"RLIMIT_CPU of {limits.cpu_s} s per process",
        "processes": (f"cgroup pids.max of {limits.processes + 2}" if pids else
                      "NOT ENFORCED: RLIMIT_NPROC is ignored for host root and no cgroup is "
                      "writable" if root else
                      f"RLIMIT_NPROC of {limits.processes} inside the sandbox's user namespace"),
        "open_files": f"RLIMIT_NOFILE of {limits.open_files}",
        "file_mb": f"RLIMIT_FSIZE of {limits.file_mb} MB per file",
        "tmp_mb": ("no sandbox: bubblewrap is missing" if bwrap is None else
                   f"tmpfs of {limits.tmp_mb} MB" if _supports(bwrap, "--size") else
                   f"per file only (RLIMIT_FSIZE): bubblewrap {bwrap_version(bwrap)} "
                   "has no --size"),
    }


# --------------------------------------------------------------------------- running


def _rlimits(limits: Limits, nproc: int | None) -> list[tuple[int, int, int]]:
    wanted = [
        (resource.RLIMIT_AS, limits.memory_mb * MB),
        (resource.RLIMIT_CPU, limits.cpu_s),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_FSIZE, limits.file_mb * MB),
        (resource.RLIMIT_CORE, 0),
    ]
    if nproc is not None:
        wanted.append((resource.RLIMIT_NPROC, nproc))
    applied = []
    for which, value in wanted:
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)  # an ordinary user cannot raise a hard limit
        # at the soft CPU limit SIGXCPU, then SIGKILL 1 s later
        ceiling = value + 1 if which == resource.RLIMIT_CPU else value
        if hard != resource.RLIM_INFINITY:
            ceiling = min(ceiling, hard)
        applied.append((which, value, ceiling))
    return applied


def _preexec(rlimits: list[tuple[int, int, int]], procs_files: list[bytes]) -> None:
    """Between fork and exec: join the cgroup, then set the rlimits.

    Only system calls, no locks.
    """
    pid = b"%d\n" % os.getpid()
    for path in procs_files:
        fd = os.open(path, os.O_WRONLY)
        try:
            os.write(fd, pid)
        finally:
            os.close(fd)
    for which, soft, hard in rlimits:
        resource.setrlimit(which, (soft, hard))


def _tasks_of_uid(uid: int) -> int:
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                status = Path(entry.path, "status").read_text()
            except OSError:
                continue
            found = re.search(r"^Uid:\s+(\d+)", status, re.MULTILINE)
            threads = re.search(r"^Threads:\s+(\d+)", status, re.MULTILINE)
            if found and int(found.group(1)) == uid:
                count += int(threads.group(1)) if threads else 1
    return count


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _wait_exit(pid: int, timeout_s: float) -> bool:
    """Whether process ``pid`` exits within ``timeout_s``; never reaps it.

    ``pid`` is a child, not reaped by this function.

    An unreaped child keeps its pid, so killing its process group or its children stays safe.
    """
    deadline = time.monotonic() + max(timeout_s, 0.0)
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):  # Linux < 5.3: poll without reaping
        while os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True
    try:
        while True:  # select again after EINTR-like early returns
            remaining = deadline - time.monotonic()
            if select.select([pidfd], [], [], max(remaining, 0.0))[0]:
                return True
            if remaining <= 0:
                return False
    finally:
        os.close(pidfd)


def _kill_sandbox(proc: subprocess.Popen) -> None:
    """Kill a running sandbox: its init first, then bwrap.

    Killing the init makes the kernel kill its whole pid namespace.

    bwrap waits for its init, so once bwrap has exited every process of the sandbox is gone.
    """
    # the sandbox's init; bwrap is unreaped, so its children are ours
    for child in _children(proc.pid):
        try:
            os.kill(child, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if not _wait_exit(proc.pid, 2.0):
        _killpg(proc.pid)
        _wait_exit(proc.pid, 2.0)


def _killpg(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _check_private(work: str) -> None:
    """``work`` must sit in a folder only this user can enter.

    The sandbox owns ``work`` (its uid is mapped to this user's: host root when
    grading as root) and may chmod it open and fill it with set-user-id
    executables, which would run as this user for anyone who could reach them.
    """
    euid = os.geteuid()
    for parent in Path(work).parents:
        info = os.stat(parent)
        if info.st_uid == euid and not info.st_mode & 0o011:
            return
    raise ValueError(
        f"the work folder {work} must sit inside a folder that only uid {euid} can enter "
        "(mode 0700), for example tempfile.mkdtemp() / 'work': the sandboxed code owns its work "
        "folder and could open it to other users while it runs")


def _strip_setid(work: str) -> None:
    """Clear set-user-id and set-group-id bits the sandbox left in ``work``.

    Nothing of the sandbox is alive when this runs.
    """
    for folder, dirs, files in os.walk(work):  # never follows symlinks
        for path in [folder] + [os.path.join(folder, name) for name in dirs + files]:
            info = os.lstat(path)
            if not stat.S_ISLNK(info.st_mode) and info.st_mode & (stat.S_ISUID | stat.S_ISGID):
                os.chmod(path, stat.S_IMODE(info.st_mode) & ~(stat.S_ISUID | stat.S_ISGID))


def _read_capped(file, limit: int) -> tuple[str, bool]:
    size = os.fstat(file.fileno()).st_size
    file.seek(0)
    text = file.read(limit).decode("utf-8", errors="replace")
    if size > limit:
        return text + f"\n[output truncated: {size} bytes written, the first {limit} kept]\n", True
    return text, False


def _why(result: Result, limits: Limits, timeout_s: float, oom_killed: bool) -> None:
    code = result.returncode
    if result.timed_out:
        result.reason, result.detail = "timeout", (
            f"it was killed at the wall-clock limit of {timeout_s:g} s")
    elif oom_killed:
        result.reason, result.detail = "memory", (
            f"it (or one of its processes) was killed for using more than "
            f"{limits.memory_mb + limits.tmp_mb} MB of memory in all")
    elif code in (128 + signal.SIGXCPU, -signal.SIGXCPU):
        result.reason, result.detail = "cpu", (
            f"it was killed at the CPU-time limit of {limits.cpu_s} s")
    elif code != 0 and any(text in result.stderr[-4000:] for text in MEMORY_ERRORS):
        result.reason, result.detail = "memory", (
            f"it ran out of memory (limit: {limits.memory_mb} MB of address space per process)")
    elif code is not None and (code > 128 or code < 0):
        number = code - 128 if code > 128 else -code
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        if number == signal.SIGKILL:  # RLIMIT_CPU's hard limit, one second after an ignored SIGXCPU
            name += f" (or at the CPU-time limit of {limits.cpu_s} s, if it ignored SIGXCPU)"
        result.reason, result.detail = "signal", f"it was killed by {name}"


def run(argv: Sequence[str], *, read_only: Sequence[Path | str] = (), work: Path | str,
        limits: Limits = Limits(), env: Mapping[str, str] | None = None, timeout_s: float = 600.0,
        output_limit_bytes: int = 1_000_000, allow_unsafe: bool = False) -> Result:
    """Run ``argv`` in the sandbox; return when it and everything it started are gone.

    ``env=None`` means :func:`base_env`. stdin is ``/dev/null``; stdout and stderr go
    to anonymous files outside the sandbox (at most ``limits.file_mb`` each, by
    ``RLIMIT_FSIZE``) and the first ``output_limit_bytes`` of each are returned.
    The wall-clock deadline ``timeout_s`` counts from the start of bwrap.
    """
    ok, why = available()
    if not ok and not allow_unsafe:
        raise IsolationUnavailable(
            f"Refusing to run student code without isolation: {why} "
            "(--unsafe-no-isolation runs it anyway, without a sandbox, for a trusted cohort only).")
    env = base_env() if env is None else dict(env)
    work = _absolute(work, "the work folder")
    _check_private(work)
    if ok:
        argv = command(argv, read_only=read_only, work=work, limits=limits, env=env)
        rlimits = _rlimits(limits, nproc=None)  # NPROC: inside, by prlimit
        popen = {"env": {"PATH": "/usr/bin:/bin"}, "cwd": "/"}
    else:
        print(UNSAFE_WARNING.format(why=why), file=sys.stderr, flush=True)
        # Without a user namespace NPROC counts every task of this uid: allow those that exist.
        nproc = None if os.geteuid() == 0 else limits.processes + _tasks_of_uid(os.getuid())
        rlimits = _rlimits(limits, nproc=nproc)
        popen = {"env": env, "cwd": work}
    group = _Cgroup.create(limits)
    started = time.monotonic()
    try:
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(
                list(argv), stdin=subprocess.DEVNULL, stdout=out, stderr=err, close_fds=True,
                start_new_session=True,
                preexec_fn=functools.partial(_preexec, rlimits,
                                             group.procs_files() if group else []),
                **popen)
            timed_out = True
            try:
                timed_out = not _wait_exit(proc.pid, timeout_s)
            finally:  # also when interrupted (KeyboardInterrupt...): leave nothing behind
                if ok and timed_out:
                    _kill_sandbox(proc)
                elif not ok:  # no pid namespace: kill its process group (the leader is unreaped)
                    _killpg(proc.pid)
                proc.wait()
            if group is not None:
                group.kill_all()  # nothing is left of a sandbox; an unsafe run's escapees may be
            oom_killed = group is not None and group.oom_killed()
            _strip_setid(work)
            stdout, stdout_cut = _read_capped(out, output_limit_bytes)
            stderr, stderr_cut = _read_capped(err, output_limit_bytes)
    finally:
        if group is not None:
            group.remove()
    result = Result(returncode=proc.returncode, stdout=stdout, stderr=stderr, timed_out=timed_out,
                    stdout_truncated=stdout_cut, stderr_truncated=stderr_cut,
                    duration_s=time.monotonic() - started, isolated=ok)
    _why(result, limits, timeout_s, oom_killed)
    return result


class Spawner:
    """Wraps long-lived, interactive processes (a grading worker) in the sandbox.

    An instance is a ``popen_kwargs`` hook (see :class:`cnn_course.graders.engine.remote.Worker`):
    given the ``subprocess.Popen`` keyword arguments, it returns them with the command
    wrapped by :func:`command` (the working folder ``cwd`` is the sandbox's writable
    folder, the caller's ``env`` its whole environment), the rlimits applied before
    ``bwrap`` starts and, where this process may create cgroups, each process in a
    fresh cgroup. :meth:`close` kills whatever is left in those cgroups and removes them.
    Without bubblewrap it raises :class:`IsolationUnavailable`, unless ``allow_unsafe``.
    """

    def __init__(self, *, read_only: Sequence[Path | str] = (), limits: Limits = Limits(),
                 allow_unsafe: bool = False):
        self.read_only = [str(p) for p in read_only]
        self.limits = limits
        self.isolated, why = available()
        if not self.isolated and not allow_unsafe:
            raise IsolationUnavailable(
                f"Refusing to run student code without isolation: {why} "
                "(--unsafe-no-isolation runs it anyway, without a sandbox, "
                "for a trusted cohort only).")
        if not self.isolated:
            print(UNSAFE_WARNING.format(why=why), file=sys.stderr, flush=True)
        self._groups: list[_Cgroup] = []

    def __call__(self, kwargs: dict) -> dict:
        work = _absolute(kwargs["cwd"], "the work folder")
        env = base_env(**dict(kwargs.get("env") or {}))
        group = _Cgroup.create(self.limits)
        if group is not None:
            self._groups.append(group)
        if self.isolated:
            _check_private(work)
            kwargs["args"] = command(kwargs["args"], read_only=self.read_only, work=work,
                                     limits=self.limits, env=env)
            kwargs["env"] = {"PATH": "/usr/bin:/bin"}
            nproc = None  # set inside by prlimit
        else:
            kwargs["env"] = env
            nproc = (None if os.geteuid() == 0
                     else self.limits.processes + _tasks_of_uid(os.getuid()))
        kwargs["preexec_fn"] = functools.partial(_preexec, _rlimits(self.limits, nproc=nproc),
                                                 group.procs_files() if group else [])
        return kwargs

    def close(self) -> None:
        for group in self._groups:
            group.kill_all()
            group.remove()
        self._groups.clear()

    def __enter__(self) -> Spawner:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
