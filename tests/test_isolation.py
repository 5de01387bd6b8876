"""The bubblewrap sandbox for student code: real runs, real limits.

The sandbox is cnn_course.graders.engine.isolation.

Each test runs ``python -c ...`` (this test run's interpreter, its virtual
environment bound read-only) inside the sandbox and checks what the code could
see and do; every run is followed by a check (psutil) that no process it started
is still alive.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import psutil
import pytest

from cnn_course.graders.engine import isolation
from cnn_course.graders.engine.isolation import IsolationUnavailable, Limits

pytestmark = pytest.mark.nbgrader  # real sandboxes: kept out of `make test-fast`

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
MB = 1024 * 1024
needs_bwrap = pytest.mark.skipif(not isolation.available()[0], reason=isolation.available()[1])


def _alive(marker: str) -> list[str]:
    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        if marker in " ".join(process.info["cmdline"] or ()):
            found.append(f"{process.info['pid']}: {' '.join(process.info['cmdline'])[:80]}")
    return found


def sandbox(code: str, tmp_path: Path, *, limits: Limits | None = None, timeout_s: float = 30.0,
            read_only=(), output_limit_bytes: int = 100_000, env=None) -> isolation.Result:
    """Run ``code`` in the sandbox with the work folder tmp_path/work; check nothing outlives it."""
    marker = f"isolation-test-{uuid.uuid4().hex}"
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    result = isolation.run(
        [PYTHON, "-c", f"# {marker}\n{textwrap.dedent(code)}"],
        read_only=[*isolation.python_paths(PYTHON), *read_only], work=work,
        limits=limits or Limits(), env=env, timeout_s=timeout_s,
        output_limit_bytes=output_limit_bytes)
    assert _alive(marker) == [], "processes of the sandbox outlived run()"
    return result


def _lines(result: isolation.Result) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@needs_bwrap
def test_no_network(tmp_path):
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    result = sandbox(f"""
        import json, socket
        seen = {{}}
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=3)
            seen["connect"] = "connected"
        except OSError as error:
            seen["connect"] = type(error).__name__
        try:
            socket.getaddrinfo("example.com", 80)
            seen["dns"] = "resolved"
        except OSError as error:
            seen["dns"] = type(error).__name__
        seen["interfaces"] = sorted(name for _, name in socket.if_nameindex())
        print(json.dumps(seen))
    """, tmp_path)
    seen = _lines(result)
    assert seen["connect"] == "ConnectionRefusedError"
    assert seen["dns"] == "gaierror"
    assert seen["interfaces"] == ["lo"]
    with pytest.raises(TimeoutError):
        listener.accept()  # nothing reached the host's loopback
    listener.close()


@needs_bwrap
def test_own_pid_namespace(tmp_path):
    me = os.getpid()
    result = sandbox(f"""
        import json, os
        seen = {{"pid": os.getpid(),
                 "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
                 "test_visible": os.path.exists("/proc/{me}")}}
        try:
            os.kill({me}, 0)
            seen["kill"] = "delivered"
        except OSError as error:
            seen["kill"] = type(error).__name__
        print(json.dumps(seen))
    """, tmp_path)
    seen = _lines(result)
    assert seen["pid"] <= 3 and max(seen["pids"]) <= 3  # bwrap's init is 1, the code 2
    assert not seen["test_visible"]
    assert seen["kill"] == "ProcessLookupError"


@needs_bwrap
def test_unprivileged_and_read_only_outside_work_and_tmp(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "data.txt").write_text("original")
    result = sandbox(f"""
        import ctypes, json, os
        seen = {{"uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(),
                 "caps": [l.split()[1] for l in open("/proc/self/status")
                          if l.startswith("CapEff")][0]}}
        def attempt(name, action):
            try:
                action()
                seen[name] = "done"
            except OSError as error:
                seen[name] = error.errno
        attempt("append_ro", lambda: open("{shared}/data.txt", "a").write("changed"))
        attempt("create_ro", lambda: open("{shared}/new.txt", "w").write("x"))
        attempt("mkdir_root", lambda: os.mkdir("/escape"))
        attempt("symlink_root", lambda: os.symlink("/tmp", "/escape"))
        attempt("write_dev", lambda: open("/dev/escape", "w").write("x"))
        attempt("write_usr", lambda: open("/usr/escape", "w").write("x"))
        attempt("write_work", lambda: open("result.txt", "w").write("from the sandbox"))
        attempt("write_tmp", lambda: open("/tmp/scratch", "w").write("x"))
        libc = ctypes.CDLL(None, use_errno=True)
        seen["unshare_user"] = libc.unshare(0x10000000) == 0  # CLONE_NEWUSER: no nested namespaces
        print(json.dumps(seen))
    """, tmp_path, read_only=[shared])
    seen = _lines(result)
    assert seen["uid"] == seen["euid"] == seen["gid"] == isolation.SANDBOX_UID != 0
    assert int(seen["caps"], 16) == 0
    for name in ("append_ro", "create_ro", "mkdir_root", "symlink_root", "write_dev", "write_usr"):
        assert seen[name] == errno.EROFS, (name, seen[name])
    assert seen["write_work"] == seen["write_tmp"] == "done"
    assert not seen["unshare_user"]
    assert (shared / "data.txt").read_text() == "original" and not (shared / "new.txt").exists()
    assert (tmp_path / "work" / "result.txt").read_text() == "from the sandbox"


@needs_bwrap
def test_repository_and_home_are_absent(tmp_path):
    bound = [*isolation.python_paths(PYTHON), tmp_path / "work"]

    def allowed_in(folder: Path) -> set[str]:  # the first component of each bound path below it
        return {p.relative_to(folder).parts[0] for p in bound
                if p != folder and p.is_relative_to(folder)}

    result = sandbox(f"""
        import json, os
        def listing(path):
            return sorted(os.listdir(path)) if os.path.isdir(path) else None
        print(json.dumps({{"repo": listing("{REPO}"), "root": listing("/root"),
                          "home": listing("/home"), "etc": listing("/etc"), "top": listing("/"),
                          "graders": os.path.exists("{REPO}/graders"),
                          "gradebook": os.path.exists("{REPO}/gradebook.db")}}))
    """, tmp_path)
    seen = _lines(result)
    assert seen["repo"] is None or set(seen["repo"]) == allowed_in(REPO)  # only the bound .venv
    assert not seen["graders"] and not seen["gradebook"]
    assert seen["root"] is None or set(seen["root"]) == allowed_in(Path("/root"))
    assert seen["home"] is None or set(seen["home"]) == allowed_in(Path("/home"))
    assert "passwd" not in seen["etc"] and "shadow" not in seen["etc"]
    if os.access("/root", os.R_OK):  # nothing of the host's /root but the way to a bound path
        hidden = set(os.listdir("/root")) - allowed_in(Path("/root"))
        assert not hidden & set(seen["root"] or ())


@needs_bwrap
@pytest.mark.parametrize("folder", ["/tmp", "/dev/shm"])
def test_tmp_is_size_limited(tmp_path, folder):
    """/tmp and /dev/shm are the sandbox's own tmpfs, each capped."""
    result = sandbox(f"""
        import json
        written, failure = 0, None
        try:
            with open("{folder}/fill", "wb") as out:
                for _ in range(32):
                    out.write(b"x" * 1024 * 1024)
                    out.flush()
                    written += 1
        except OSError as error:
            failure = error.errno
        print(json.dumps({{"written_mb": written, "errno": failure}}))
    """, tmp_path, limits=Limits(tmp_mb=8, file_mb=64))
    seen = _lines(result)
    assert seen["errno"] == errno.ENOSPC and seen["written_mb"] <= 8
    assert not (Path(folder) / "fill").exists()  # the sandbox's own folder, not the host's


@needs_bwrap
def test_semaphores_work_in_the_sandbox(tmp_path):
    """multiprocessing's locks (Keras's directory reader makes a thread pool) need /dev/shm."""
    result = sandbox("""
        import json
        from multiprocessing.pool import ThreadPool
        with ThreadPool(2) as pool:
            print(json.dumps({"squares": pool.map(lambda x: x * x, range(4))}))
    """, tmp_path)
    assert _lines(result)["squares"] == [0, 1, 4, 9]


@needs_bwrap
def test_memory_beyond_the_limit_fails(tmp_path):
    result = sandbox("""
        hog = bytearray(600 * 1024 * 1024)
        print("allocated")
    """, tmp_path, limits=Limits(memory_mb=300))
    assert "allocated" not in result.stdout
    assert result.returncode != 0 and result.reason == "memory", (result.reason,
                                                                  result.stderr[-500:])
    assert "MemoryError" in result.stderr or result.returncode == 137


@needs_bwrap
@pytest.mark.skipif("cgroup" not in isolation.enforced()["memory_mb"],
                    reason="no writable memory cgroup")
def test_memory_of_all_processes_is_counted_where_a_cgroup_is_writable(tmp_path):
    # Each process stays under its address-space limit (300 MB); together they pass the
    # cgroup's 316 MB.
    result = sandbox("""
        import os, time
        child = os.fork()
        hog = b"x" * (200 * 1024 * 1024)
        time.sleep(3)
        if child:
            os.waitpid(child, 0)
        print("both survived")
    """, tmp_path, limits=Limits(memory_mb=300, tmp_mb=16), timeout_s=30)
    assert result.reason == "memory", (result.reason, result.returncode, result.stderr[-300:])
    assert "killed" in result.detail and not result.ok


@needs_bwrap
def test_busy_loop_past_cpu_limit_is_killed(tmp_path):
    started = time.monotonic()
    result = sandbox("while True:\n    pass\n", tmp_path, limits=Limits(cpu_s=1), timeout_s=30)
    assert result.reason == "cpu" and not result.timed_out, (result.reason, result.returncode)
    assert time.monotonic() - started < 10


@needs_bwrap
def test_forking_past_the_process_limit_fails(tmp_path):
    result = sandbox("""
        import json, os, time
        children, failure = 0, None
        for _ in range(64):
            try:
                pid = os.fork()
            except OSError as error:
                failure = error.errno
                break
            if pid == 0:
                time.sleep(60)
                os._exit(0)
            children += 1
        print(json.dumps({"children": children, "errno": failure}))
    """, tmp_path, limits=Limits(processes=8))
    seen = _lines(result)
    assert seen["errno"] == errno.EAGAIN and seen["children"] < 8, seen


@needs_bwrap
def test_detached_grandchild_is_dead_after_run(tmp_path):
    result = sandbox("""
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:  # a daemon: new session, reparented, outlives its parent
                while True:
                    with open("heartbeat", "a") as beat:
                        beat.write(".")
                    time.sleep(0.05)
            os._exit(0)
        os.wait()
        while not os.path.exists("heartbeat"):
            time.sleep(0.01)
        print("daemon started")
    """, tmp_path)
    assert "daemon started" in result.stdout and result.returncode == 0
    heartbeat = tmp_path / "work" / "heartbeat"
    before = heartbeat.stat().st_size
    time.sleep(0.3)
    assert heartbeat.stat().st_size == before  # nobody writes it any more


@needs_bwrap
def test_huge_output_is_truncated_and_does_not_hang(tmp_path):
    started = time.monotonic()
    result = sandbox("""
        import sys
        chunk = "x" * (1024 * 1024 - 1) + "\\n"
        for _ in range(100):
            sys.stdout.write(chunk)
        sys.stdout.flush()
        print("the end", file=sys.stderr)
    """, tmp_path, limits=Limits(file_mb=128), output_limit_bytes=10_000)
    assert result.returncode == 0, result.stderr
    assert result.stdout_truncated and len(result.stdout) < 10_200
    # "[output truncated: 104857600 bytes written ...]"
    assert "100" in result.stdout.splitlines()[-1]
    assert result.stderr.strip() == "the end" and not result.stderr_truncated
    assert time.monotonic() - started < 15


@needs_bwrap
def test_hang_past_the_deadline_is_killed_within_a_second(tmp_path):
    started = time.monotonic()
    result = sandbox("""
        import os, signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        os.fork()  # two of them, both ignoring SIGTERM
        time.sleep(120)
    """, tmp_path, timeout_s=2.0)
    elapsed = time.monotonic() - started
    assert result.timed_out and result.reason == "timeout"
    assert 2.0 <= result.duration_s < 3.0, result.duration_s  # from bwrap's start to nothing left
    assert elapsed < 4.0, elapsed


@needs_bwrap
def test_callers_environment_is_not_visible(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_SECRET", "hunter2-secret-value")
    code = """
        import json, os
        try:
            init = open("/proc/1/environ").read()
        except OSError:
            init = ""
        print(json.dumps({"env": dict(os.environ), "init": init}))
    """
    seen = _lines(sandbox(code, tmp_path))
    assert "hunter2" not in json.dumps(seen)
    # bwrap sets PWD (--chdir); Python sets LC_CTYPE itself when no locale is given (PEP 538)
    assert set(seen["env"]) <= set(isolation.base_env()) | {"PWD"}
    seen = _lines(sandbox(code, tmp_path, env={"ONLY": "this"}))
    assert set(seen["env"]) <= {"ONLY", "PWD", "LC_CTYPE"} and seen["env"]["ONLY"] == "this"


@needs_bwrap
def test_work_must_be_private_and_loses_setuid_bits(tmp_path):
    result = sandbox("""
        import os, shutil
        shutil.copy("/usr/bin/true", "escalate")
        os.chmod("escalate", 0o6755)
        os.mkdir("shared")
        os.chmod("shared", 0o2777)
        print(oct(os.stat("escalate").st_mode))
    """, tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == "0o106755", result.stderr
    assert oct((tmp_path / "work" / "escalate").stat().st_mode) == "0o100755"
    assert oct((tmp_path / "work" / "shared").stat().st_mode) == "0o40777"
    public = Path(tempfile.mkdtemp())  # /tmp/tmpXXXX: its parent, /tmp, lets everyone in
    try:
        with pytest.raises(ValueError, match="only uid"):
            isolation.run([PYTHON, "-c", "pass"], work=public)
    finally:
        public.rmdir()


@needs_bwrap
def test_numpy_and_tensorflow_import_inside(tmp_path):
    result = sandbox("""
        import numpy as np, tensorflow as tf
        print(float(tf.reduce_sum(tf.constant(np.ones((2, 3), np.float32)))))
    """, tmp_path, timeout_s=60)
    assert result.returncode == 0 and result.stdout.strip() == "6.0", result.stderr[-2000:]


@needs_bwrap
@pytest.mark.skipif(os.geteuid() != 0 or not Path("/usr/bin/python3").exists(),
                    reason="needs root (to become another user) and a system python3")
def test_limits_hold_for_an_ordinary_user(tmp_path):
    """As uid 65534 on the host (no cgroup then): NPROC counts only the sandbox's own tasks."""
    nobody = isolation.SANDBOX_UID
    # pytest's folders are root's alone
    private = Path(tempfile.mkdtemp(prefix="isolation-nobody-"))
    work = private / "work"
    work.mkdir()
    os.chown(private, nobody, nobody)
    os.chown(work, nobody, nobody)
    script = f"""
        import importlib.util, json, sys
        spec = importlib.util.spec_from_file_location(
            "isolation", {str(Path(isolation.__file__))!r})
        iso = importlib.util.module_from_spec(spec)
        sys.modules["isolation"] = iso
        spec.loader.exec_module(iso)
        code = ("import os, json, time\\nn, failure = 0, None\\n"
                "for _ in range(64):\\n"
                "    try:\\n        pid = os.fork()\\n"
                "    except OSError as e:\\n        failure = e.errno\\n        break\\n"
                "    if pid == 0:\\n        time.sleep(30)\\n        os._exit(0)\\n    n += 1\\n"
                "print(json.dumps({{'uid': os.getuid(), 'children': n, 'errno': failure}}))")
        result = iso.run(["/usr/bin/python3", "-c", code], work={str(work)!r},
                         limits=iso.Limits(processes=8), timeout_s=20)
        print(json.dumps({{"available": iso.available(),
                          "enforced": iso.enforced(iso.Limits(processes=8)),
                          "stdout": result.stdout, "stderr": result.stderr}}))
    """
    as_nobody = {"user": nobody, "group": nobody, "extra_groups": [], "cwd": str(work),
                 "env": {"PATH": "/usr/bin:/bin"}}
    # More host processes of that uid than the limit: they must not count inside the sandbox.
    sleepers = [subprocess.Popen(["sleep", "30"], **as_nobody) for _ in range(12)]
    try:
        done = subprocess.run(["/usr/bin/python3", "-I", "-c", textwrap.dedent(script)],
                              capture_output=True, text=True, timeout=60, **as_nobody)
    finally:
        for sleeper in sleepers:
            sleeper.kill()
            sleeper.wait()
        shutil.rmtree(private, ignore_errors=True)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["available"][0], report["available"]
    assert report["enforced"]["processes"].startswith("RLIMIT_NPROC"), report["enforced"]
    seen = json.loads(report["stdout"].strip().splitlines()[-1])
    assert (seen["uid"] == nobody and seen["errno"] == errno.EAGAIN
            and 0 < seen["children"] < 8), report


def test_available_explains_a_missing_bubblewrap(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(isolation.shutil, "which", lambda name, *args, **kwargs: None)
    isolation.available.cache_clear()
    try:
        ok, why = isolation.available()
        assert not ok
        assert "bubblewrap (bwrap) is not installed" in why and "apt-get install bubblewrap" in why
        with pytest.raises(IsolationUnavailable, match="unsafe-no-isolation") as refused:
            isolation.run([PYTHON, "-c", "print('ran')"], work=tmp_path)
        assert "apt-get install bubblewrap" in str(refused.value)
        # The explicit escape hatch: no sandbox, but the rlimits, and a loud warning.
        result = isolation.run(
            [PYTHON, "-c", "import resource; print(resource.getrlimit(resource.RLIMIT_AS)[0])"],
            work=tmp_path, limits=Limits(memory_mb=512), allow_unsafe=True, timeout_s=30)
        assert result.returncode == 0 and not result.isolated
        assert result.stdout.strip() == str(512 * MB)
        assert "WARNING: --unsafe-no-isolation" in capsys.readouterr().err
    finally:
        isolation.available.cache_clear()


def test_available_explains_a_bubblewrap_that_cannot_create_namespaces(tmp_path, monkeypatch):
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(isolation, "_bwrap", lambda: str(fake))
    isolation.available.cache_clear()
    try:
        ok, why = isolation.available()
        assert not ok and "setting up uid map: Permission denied" in why
        assert "user namespaces" in why and "max_user_namespaces" in why
    finally:
        isolation.available.cache_clear()
