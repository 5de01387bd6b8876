"""`make lab`: JupyterLab rooted at the course root, where the formgrader's notebook links work.

The real server runs (offline, no browser) on a temporary course: nbgrader_config.py
pointing at it and one built source notebook. Through real HTTP requests the test
reads the formgrader's page and JSON API, rebuilds the link the formgrader puts on
the assignment (static/js/manage_assignments.js: ``"/tree/" + url_prefix + "/" +
source_path``), and opens it and the notebook inside. A second server rooted at the
source folder, as the old ``jupyter lab notebooks`` was, answers 404 to the same links.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urljoin

import pytest

from cnn_course.graders.authoring.notebooks import build_notebook, source_path
from cnn_course.graders.engine import cohort as ct
from cnn_course.graders.engine.lab import OFFLINE_ARGS, lab_command, lab_env

ASSIGNMENT = "w1a1_conv_step_by_step"  # numpy only: renders fast
STARTUP_TIMEOUT = 60  # seconds; far more than a healthy server needs to answer
REQUEST_TIMEOUT = 30
# Straight to 127.0.0.1, whatever http_proxy says.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Server:
    url: str
    token: str
    proc: subprocess.Popen
    log: Path

    def get(self, path: str) -> tuple[int, str, bytes]:
        """(status, final URL after redirects, body) of a GET with the token."""
        url = path if path.startswith("http") else self.url + path
        request = urllib.request.Request(url, headers={"Authorization": f"token {self.token}"})
        try:
            with OPENER.open(request, timeout=REQUEST_TIMEOUT) as response:
                return response.status, response.url, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.url, error.read()

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else "(no log)"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(course: Path, root: Path, log: Path, jupyter_dir: Path) -> Server:
    """A JupyterLab on 127.0.0.1 rooted at ``root``.

    It runs from the course directory, as `make lab` does.
    """
    port, token = _free_port(), secrets.token_hex(16)
    argv = lab_command(root, port, token, ip="127.0.0.1", open_browser=False, allow_root=True,
                       extra=["--ServerApp.port_retries=0"])
    # No user configuration, runtime files in the test's folder.
    env = lab_env(base={**os.environ, "JUPYTER_CONFIG_DIR": str(jupyter_dir / "config"),
                        "JUPYTER_RUNTIME_DIR": str(jupyter_dir / "runtime")})
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, cwd=course, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    return Server(f"http://127.0.0.1:{port}", token, proc, log)


def _wait_until_up(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        if server.proc.poll() is not None:
            pytest.fail(f"JupyterLab exited with status {server.proc.returncode} "
                        "before answering:\n"
                        f"{server.log_tail()}")
        try:
            if server.get("/api/status")[0] == 200:
                return
        except OSError:  # refused or reset while it starts
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"JupyterLab did not answer at {server.url} within {STARTUP_TIMEOUT} s:\n"
                        f"{server.log_tail()}")
        time.sleep(0.25)


def _stop(server: Server) -> None:
    """End the server's whole process group (it was started in a session of its own)."""
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(server.proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            server.proc.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue


def _formgrader_links(server: Server) -> tuple[str, str]:
    """(the assignment's folder, its notebook) as paths from the server root.

    Both are read from the formgrader.
    """
    status, url, page = server.get("/formgrader")
    assert status == 200 and url.endswith("/formgrader/manage_assignments"), \
        (status, url, server.log_tail())
    found = re.search(r'var url_prefix = "([^"]*)";', page.decode())
    assert found, f"no url_prefix in the formgrader's page:\n{page[:2000]!r}"
    prefix = found.group(1)

    status, _, body = server.get("/formgrader/api/assignments")
    assert status == 200, f"/formgrader/api/assignments answered {status}:\n{server.log_tail()}"
    assignments = {a["name"]: a for a in json.loads(body)}
    assert ASSIGNMENT in assignments, f"the formgrader lists {sorted(assignments)}"

    status, _, body = server.get(f"/formgrader/api/notebooks/{ASSIGNMENT}")
    assert status == 200, f"/formgrader/api/notebooks answered {status}:\n{server.log_tail()}"
    names = [n["name"] for n in json.loads(body)]
    assert names == [ct.notebook_name(ASSIGNMENT)], names

    folder = f"{prefix}/{assignments[ASSIGNMENT]['source_path']}"
    return folder, f"{folder}/{names[0]}.ipynb"


def _tree_url(server: Server, path: str) -> str:
    """The URL a browser opens for the formgrader's link.

    The link is linkTo: "/tree/" + path, with dot segments resolved.
    """
    return urljoin(server.url + "/", "/tree/" + path)


def _contents_url(server: Server, path: str) -> str:
    """What JupyterLab asks for when the formgrader (in its iframe) opens ``path``."""
    return f"{server.url}/api/contents/{quote(posixpath.normpath(path))}?content=0"


@pytest.mark.nbgrader
def test_formgrader_notebook_links_open_in_make_lab(tmp_path):
    course = ct.make_course(tmp_path / "course")
    build_notebook(source_path(ASSIGNMENT),
                   course / "source" / ASSIGNMENT / f"{ct.notebook_name(ASSIGNMENT)}.ipynb")

    servers = []
    try:
        # make lab: rooted at the course root. The old way: `jupyter lab notebooks`, rooted at the
        # source folder (here source/, in the repository notebooks/), run from the course root.
        lab = _start(course, course, tmp_path / "lab.log", tmp_path / "jupyter-lab")
        servers.append(lab)
        old = _start(course, course / "source", tmp_path / "old.log", tmp_path / "jupyter-old")
        servers.append(old)
        _wait_until_up(lab)
        _wait_until_up(old)

        folder, notebook = _formgrader_links(lab)
        assert posixpath.normpath(notebook) == \
            f"source/{ASSIGNMENT}/{ct.notebook_name(ASSIGNMENT)}.ipynb"

        status, url, _ = lab.get(_tree_url(lab, folder))
        assert status == 200, f"the formgrader's link {url} answered {status}:\n{lab.log_tail()}"
        status, url, _ = lab.get(_tree_url(lab, notebook))
        assert status == 200 and "/notebooks/" in url, \
            f"{notebook} answered {status} at {url}:\n{lab.log_tail()}"
        status, _, body = lab.get(_contents_url(lab, notebook))
        assert status == 200 and json.loads(body)["type"] == "notebook", (status, body[:500])

        # The bug: rooted at the source folder, the formgrader's links (url_prefix "..") and the
        # paths from the course root both point outside the server.
        old_folder, old_notebook = _formgrader_links(old)
        for url in (_tree_url(old, old_notebook), _tree_url(old, notebook),
                    _contents_url(old, notebook)):
            assert old.get(url)[0] == 404, url
    finally:
        for server in servers:
            _stop(server)


def test_lab_command_roots_the_server_at_the_course_root(tmp_path):
    argv = lab_command(tmp_path, 8123, "secret", ip="127.0.0.1", open_browser=False,
                       allow_root=True)
    assert argv[1:3] == ["-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={tmp_path.resolve()}" in argv
    assert {"--ServerApp.port=8123", "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=secret",
            "--no-browser", "--allow-root", *OFFLINE_ARGS} <= set(argv)
    plain = lab_command(tmp_path, allow_root=False)
    assert not any(a.startswith(("--ServerApp.port", "--IdentityProvider.token")) for a in plain)
    assert "--no-browser" not in plain and "--allow-root" not in plain


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_lab_runs_the_server_from_the_course_root(repo):
    out = subprocess.run(["make", "-n", "lab", "LAB_PORT=8765"], cwd=repo, capture_output=True,
                         text=True, check=True).stdout
    line = next(x for x in out.splitlines() if "cnn_course.graders.engine.lab" in x)
    assert f'--root "{repo}"' in line and "--port 8765" in line, line
