"""The student's and the instructor's flows, driven in a real browser (headless Chromium).

- The student: JupyterLab opens a released W1A1 notebook whose ``zero_pad`` is answered;
  the setup cell, the answer and its visible test run from the keyboard (Shift+Enter), and
  the page shows the test's "All tests passed.".
- The instructor: the formgrader of a temporary course lists the W1A2 assignment and its
  submission, autograded by the fast grader; the submission's page shows the student's
  written answer, and a score typed there is in the nbgrader gradebook afterwards.

The browser is the system's Chromium (Debian's ``chromium``; ``make setup`` installs it when
run as root), driven by Playwright from the package index: Playwright never downloads a
browser here. Every step is photographed into the test's folder (its path is printed when
a test fails). ``CNN_COURSE_SCREENSHOTS=docs`` also writes the pictures that
docs/browser_tests.md shows, made small enough for the repository.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from cnn_course.graders.authoring.notebooks import nbgrader_meta, repo_root
from cnn_course.graders.engine import cohort as ct
from cnn_course.graders.engine.lab import lab_command, lab_env

pytestmark = pytest.mark.nbgrader

STUDENT_ASSIGNMENT = "w1a1_conv_step_by_step"  # numpy only: its kernel starts fast
ANSWERED = "zero_pad"  # the one graded cell the student fills in
INSTRUCTOR_ASSIGNMENT = "w1a2_conv_application"  # it has a manually graded written answer
MANUAL = "functional_vs_sequential_answer"
STUDENT = "reference"
WRITTEN_ANSWER = ("A Sequential model is one chain of layers with one input and one output. "
                  "A skip connection, as in a ResNet, needs the Functional API.")
MANUAL_SCORE = 1.5

SCREENSHOTS_ENV = "CNN_COURSE_SCREENSHOTS"  # a folder: the documentation's pictures go there
DOC_WIDTH = 900  # pixels
DOC_COLOURS = 96
VIEWPORT = {"width": 1280, "height": 800}
STARTUP_TIMEOUT = 90  # seconds for JupyterLab to answer
UI_TIMEOUT_MS = 60_000  # any one element to appear
KERNEL_TIMEOUT_MS = 120_000  # a cell to finish, the kernel's start included
START_TIMEOUT_MS = 15_000  # a cell to be queued once Shift+Enter reached the notebook
SAVE_TIMEOUT = 30  # seconds for a typed score to reach the gradebook
# Straight to 127.0.0.1, whatever http_proxy says.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# -- the browser -------------------------------------------------

def chromium_path() -> str:
    """The system's Chromium; a clear failure (never a skip) when it is missing."""
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("The browser tests need Chromium, which is not installed. `make setup` run as "
                    "root installs it; otherwise (Debian): sudo apt-get install chromium.",
                    pytrace=False)
    return path


@pytest.fixture()
def page():
    """A page of a headless Chromium, driven by Playwright."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("The browser tests need Playwright: `make setup` installs it (or .venv/bin/pip "
                    "install playwright; no `playwright install` is needed).", pytrace=False)
    import resource

    from playwright.sync_api import expect

    executable = chromium_path()
    expect.set_options(timeout=UI_TIMEOUT_MS)
    # Chromium reserves far more address space than it uses and crashes at launch under the
    # grader's cap (fast.cap_grader_memory), which an earlier test may have set in this worker:
    # the browser's processes start without it.
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    try:
        playwright = sync_playwright().start()
        # The page is the test's own local server, nothing untrusted: Chromium's sandbox, which
        # refuses to start as root, is not needed.
        try:
            browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                                 chromium_sandbox=False,
                                                 args=["--no-proxy-server"])
        except BaseException:
            playwright.stop()
            raise
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    try:
        tab = browser.new_page(viewport=VIEWPORT)
        tab.set_default_timeout(UI_TIMEOUT_MS)
        yield tab
    finally:
        browser.close()
        playwright.stop()


class Steps:
    """Numbered screenshots of a flow into a folder; the chosen ones also into the documentation."""

    def __init__(self, page, folder: Path):
        self.page, self.folder, self.count = page, folder, 0
        folder.mkdir(parents=True, exist_ok=True)

    def shot(self, name: str, doc: str | None = None, doc_height: int | None = None) -> Path:
        """Photograph the page as it is; ``doc``: the file name of its copy for the documentation,
        cut to its top ``doc_height`` pixels."""
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        self.page.screenshot(path=str(path))
        target = os.environ.get(SCREENSHOTS_ENV)
        if doc and target:  # a relative folder is taken from the repository root
            save_for_docs(path, repo_root() / target / doc, doc_height)
        return path


def save_for_docs(screenshot: Path, target: Path, height: int | None = None) -> None:
    """A small copy of a screenshot: DOC_WIDTH pixels wide, a palette of DOC_COLOURS colours."""
    from PIL import Image

    with Image.open(screenshot) as image:
        image = image.convert("RGB")
        if height:
            image = image.crop((0, 0, image.width, min(height, image.height)))
        height = round(image.height * DOC_WIDTH / image.width)
        small = image.resize((DOC_WIDTH, height), Image.Resampling.LANCZOS)
    target.parent.mkdir(parents=True, exist_ok=True)
    small.quantize(colors=DOC_COLOURS, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)


@contextmanager
def photographed(page, folder: Path) -> Iterator[Steps]:
    """Steps of a flow; on a failure, one more screenshot and the folder's path (printed)."""
    steps = Steps(page, folder)
    try:
        yield steps
    except BaseException:
        with suppress(Exception):
            steps.shot("failure")
        print(f"screenshots of each step: {folder}")
        raise


# -- JupyterLab --------------------------------------------------

@dataclass
class Lab:
    url: str
    token: str
    proc: subprocess.Popen
    log: Path

    def link(self, path: str) -> str:
        """The URL of ``path`` with the token, so the browser is logged in."""
        return f"{self.url}{path}{'&' if '?' in path else '?'}token={self.token}"

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else "(no log)"

    def answers(self) -> bool:
        request = urllib.request.Request(self.url + "/api/status",
                                         headers={"Authorization": f"token {self.token}"})
        try:
            with OPENER.open(request, timeout=10) as response:
                return response.status == 200
        except OSError:  # refused or reset while it starts
            return False


# Quiet, predictable pages: no news or update check, and every cell in the page
# (not only those in view), so that the n-th cell of the notebook is the n-th in the page.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        '{"fetchNews": "false", "checkForUpdates": false}',
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": '{"windowingMode": "none"}',
}


@contextmanager
def jupyter_lab(root: Path, folder: Path) -> Iterator[Lab]:
    """JupyterLab on a free port of 127.0.0.1, rooted and run at ``root``, with the test's Python.

    Its configuration, settings and runtime files are in ``folder``; it is stopped on exit.
    """
    config = folder / "jupyter_config_dir"
    for name, text in LAB_SETTINGS.items():
        path = config / "lab" / "user-settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(16)
    # The kernel is the server's own Python (the course environment): it imports cnn_course.
    argv = lab_command(root, port, token, ip="127.0.0.1", open_browser=False, python=sys.executable,
                       extra=["--ServerApp.port_retries=0"])
    # Nothing from the user's Jupyter or IPython set-up (kernel specs, start-up files) either.
    own = {name: str(folder / name.lower()) for name in
           ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR")}
    env = lab_env(sys.executable, {**os.environ, **own, "TF_CPP_MIN_LOG_LEVEL": "3"})
    log = folder / "lab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    lab = Lab(f"http://127.0.0.1:{port}", token, proc, log)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not lab.answers():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer at {lab.url} (exit status {proc.poll()}):\n"
                            f"{lab.log_tail()}")
            time.sleep(0.25)
        yield lab
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM (the server shuts its kernels down), then SIGKILL, to the server's process group."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=15)
            return
        except subprocess.TimeoutExpired:
            continue


def _cell_index(nb: nbformat.NotebookNode, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if nbgrader_meta(c).get("grade_id") == grade_id)


# -- the student -------------------------------------------------

def answered_release(tmp_path: Path) -> Path:
    """The released W1A1 notebook, ``zero_pad`` answered with the solution, on a student's desk."""
    course = ct.make_course(tmp_path / "course")
    released = ct.release(course, STUDENT_ASSIGNMENT)
    nb = nbformat.read(released, as_version=4)
    answered = ct.fill_release(released)  # every graded cell answered: only one is taken
    index = _cell_index(nb, ANSWERED)
    nb.cells[index].source = answered.cells[index].source
    desk = tmp_path / "desk"
    desk.mkdir()
    nbformat.write(nb, desk / released.name)
    return desk / released.name


def test_student_runs_a_visible_test_in_jupyterlab(tmp_path, page):
    from playwright.sync_api import expect

    notebook = answered_release(tmp_path)
    nb = nbformat.read(notebook, as_version=4)
    with (jupyter_lab(notebook.parent, tmp_path) as lab,
          photographed(page, tmp_path / "screenshots") as steps):
        page.goto(lab.link(f"/lab/tree/{notebook.name}"))
        cells = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")
        expect(cells).to_have_count(len(nb.cells))
        # The execution indicator reads "idle" before any kernel exists ("No Kernel |
        # Initializing" in the status bar): wait for the kernel itself to say it is idle.
        expect(page.get_by_text(re.compile(r"^Python 3 \(ipykernel\) \| Idle$"))).to_be_visible(
            timeout=KERNEL_TIMEOUT_MS)
        steps.shot("opened")

        def run(grade_id: str):
            """Select the cell (click its prompt: command mode), Shift+Enter, wait till it ran.

            A key press that does not reach the notebook leaves the prompt empty ("[ ]:"):
            it is pressed again, at most three times, before waiting for the run to end.
            """
            cell = cells.nth(_cell_index(nb, grade_id))
            prompt = cell.locator(".jp-InputPrompt")
            for _ in range(3):
                prompt.click()
                page.keyboard.press("Shift+Enter")
                try:  # queued ("[*]:") or done ("[n]:")
                    expect(prompt).not_to_have_text(re.compile(r"^\s*\[ \]:\s*$"),
                                                    timeout=START_TIMEOUT_MS)
                    break
                except AssertionError:
                    continue
            expect(prompt).to_have_text(re.compile(r"\[\d+\]"), timeout=KERNEL_TIMEOUT_MS)
            return cell

        run("setup")
        run(ANSWERED)
        steps.shot("answered")
        test_cell = run(f"{ANSWERED}_tests")
        output = test_cell.locator(".jp-OutputArea")
        expect(output).to_contain_text("All tests passed", timeout=KERNEL_TIMEOUT_MS)
        assert "Error" not in output.inner_text(), output.inner_text()
        test_cell.evaluate("cell => cell.scrollIntoView({block: 'end'})")  # the verdict in view
        steps.shot("test-passed", doc="browser_student.png")


# -- the instructor ----------------------------------------------

def graded_course(tmp_path: Path) -> Path:
    """A course with W1A2 released and one submission (with a written answer), fast-graded."""
    from cnn_course.graders.engine import fast

    course = ct.make_course(tmp_path / "course")
    released = ct.release(course, INSTRUCTOR_ASSIGNMENT)
    nb = ct.fill_release(released)
    nb.cells[_cell_index(nb, MANUAL)].source = WRITTEN_ANSWER
    ct.submit(course, STUDENT, INSTRUCTOR_ASSIGNMENT, nb)
    results = fast.autograde(course, INSTRUCTOR_ASSIGNMENT, jobs=1, progress=lambda _: None)
    failed = [t for t, r in results[STUDENT].results.items() if not r["passed"]]
    assert not failed, f"the reference answer failed {failed}: {results[STUDENT]}"
    return course


def manual_grade(course: Path):
    """(manual score, needs a manual grade) of the written answer, read from the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        grade = gb.find_grade(MANUAL, ct.notebook_name(INSTRUCTOR_ASSIGNMENT),
                              INSTRUCTOR_ASSIGNMENT, STUDENT)
        return grade.manual_score, grade.needs_manual_grade


def test_instructor_grades_a_written_answer_in_the_formgrader(tmp_path, page):
    from playwright.sync_api import expect

    course = graded_course(tmp_path)
    assert manual_grade(course) == (None, True)
    notebook = ct.notebook_name(INSTRUCTOR_ASSIGNMENT)
    with (jupyter_lab(course, tmp_path) as lab,
          photographed(page, tmp_path / "screenshots") as steps):
        page.goto(lab.link("/formgrader"))
        expect(page.locator("tr", has_text=INSTRUCTOR_ASSIGNMENT)).to_be_visible()
        steps.shot("assignments")

        page.goto(lab.link(f"/formgrader/gradebook/{INSTRUCTOR_ASSIGNMENT}/{notebook}"))
        row = page.locator("tr", has=page.locator("td.needs-manual-grade span"))
        expect(row).to_have_count(1)
        # autograded: every test passed ("6 / 6" points for code)
        expect(row.locator("td.code-score")).to_have_text(re.compile(r"^\s*([\d.]+) / \1\s*$"))
        steps.shot("submissions", doc="browser_gradebook.png", doc_height=360)

        row.locator("td.name a:visible").first.click()
        page.wait_for_url(re.compile(r"/formgrader/submissions/[^/]+/?$"))
        score = page.locator(f"input.score#{MANUAL}")
        # The page's script marks the field once it has read the grade: only then does it save.
        expect(score).to_have_class(re.compile(r"\bneeds_manual_grade\b"))
        answer = page.locator(".nbgrader_cell", has=score)  # the written answer's panel
        expect(answer).to_contain_text(WRITTEN_ANSWER)
        answer.scroll_into_view_if_needed()
        steps.shot("answer")
        score.fill(f"{MANUAL_SCORE:g}")
        score.press("Tab")  # leaving the field saves it
        expect(score).not_to_have_class(re.compile(r"\bneeds_manual_grade\b"))  # saved: graded
        deadline = time.monotonic() + SAVE_TIMEOUT
        while manual_grade(course)[0] is None and time.monotonic() < deadline:
            time.sleep(0.25)
        steps.shot("scored", doc="browser_formgrader.png")
        assert manual_grade(course) == (MANUAL_SCORE, False), f"the gradebook:\n{lab.log_tail()}"
