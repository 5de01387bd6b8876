"""Fast, sandboxed grading of a whole cohort, with nbgrader as the system of record.

``nbgrader autograde`` re-executes every notebook from top to bottom, training
included, in a kernel that also runs the hidden tests. The fast grader instead:

1. grades each submission in its own child process (:mod:`cnn_course.graders.engine.sandbox`):
   the trusted ``setup``/``parameters`` cells of the source notebook, the
   student's graded cells, then the visible and hidden checks of every test
   cell; with a wall-clock limit per test, a memory limit, no network and a
   temporary working folder. A crash, hang or memory blow-up costs the test
   that was running (the others run again in a fresh process), never the batch.
   Submissions are graded in parallel (``jobs``) or on a Dask cluster
   (``scheduler``);
2. then runs ``nbgrader autograde`` with its ``Execute`` step replaced by
   :class:`SandboxedExecute`, which writes the results of step 1 into the test
   cells as outputs (a failure is an error whose message is the check's
   sentence). nbgrader's own steps do the rest as usual: restoring locked
   cells, scores and comments in the gradebook, late penalties, the autograded
   copy; so ``nbgrader export``, formgrader and ``generate_feedback`` work.
   Manually graded cells are left for the instructor, as nbgrader leaves them.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor

from cnn_course.graders.authoring.notebooks import (
    is_graded_code,
    is_test,
    nbgrader_meta,
    read_notebook,
    repo_root,
    source_path,
)

RESULTS_ENV = "CNN_COURSE_FAST_RESULTS"
HIDDEN_NOTE = "(A hidden test failed; its code is not shown. The message above says what is wrong.)"


@dataclass(frozen=True)
class Limits:
    """Per-submission limits of the sandbox (per-assignment values: ``GRADING_LIMITS`` in its grader)."""

    load_s: float = 120.0  # start the process, import the libraries, run the student's graded cells
    test_s: float = 120.0  # one test cell's checks, visible and hidden
    memory_mb: int = 6000  # resident memory of the grading process
    allow_unsafe: bool = False  # --unsafe-no-isolation: grade without the OS sandbox (trusted cohorts only)


@dataclass
class SubmissionResult:
    student: str
    results: dict[str, dict] = field(default_factory=dict)  # test id -> {passed, message, phase}
    incidents: list[str] = field(default_factory=list)  # crashes, timeouts, memory, tampering
    seconds: float = 0.0


def limits_for(assignment_id: str) -> Limits:
    import importlib

    grader = importlib.import_module(f"cnn_course.graders.{assignment_id}")
    return Limits(**getattr(grader, "GRADING_LIMITS", {}))


def test_ids(assignment_id: str) -> list[str]:
    import importlib

    grader = importlib.import_module(f"cnn_course.graders.{assignment_id}")
    return [f"{name}_tests" for name in grader.GRADED_FUNCTIONS]


# ----------------------------------------------------------------------------- one submission


def merged_notebook(assignment_id: str, submission: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The source's trusted setup and parameters cells with the student's graded cells (by grade id).

    A graded cell the student deleted is left out (its functions become failing
    stubs in ``load_functions``); nothing else of the student's runs.
    """
    from cnn_course.graders.authoring.notebooks import tags

    answers = {}
    for cell in submission.cells:
        if is_graded_code(cell):
            answers.setdefault(nbgrader_meta(cell).get("grade_id"), cell.source)
    merged = nbformat.v4.new_notebook()
    for cell in read_notebook(source_path(assignment_id)).cells:
        if cell.cell_type != "code":
            continue
        if {"setup", "parameters"} & set(tags(cell)) and "slow" not in tags(cell):
            merged.cells.append(nbformat.v4.new_code_cell(cell.source, metadata=dict(cell.metadata)))
        elif is_graded_code(cell) and nbgrader_meta(cell)["grade_id"] in answers:
            merged.cells.append(nbformat.v4.new_code_cell(answers[nbgrader_meta(cell)["grade_id"]],
                                                          metadata=dict(cell.metadata)))
    return merged


@cache
def _isolation_prefix() -> tuple[str, ...]:
    """``unshare --net`` (no network) where this system allows it, else nothing (the audit hook still refuses)."""
    tool = shutil.which("unshare")
    if not tool:
        return ()
    for prefix in ((tool, "--net"), (tool, "--net", "--map-root-user")):
        try:
            if subprocess.run([*prefix, "true"], capture_output=True, timeout=10).returncode == 0:
                return prefix
        except (OSError, subprocess.SubprocessError):
            continue
    return ()


def forbidden_folders(course: Path | None) -> list[str]:
    """Folders the student's code may not read: the course (gradebook, sources), the sources and references."""
    root = repo_root()
    folders = [root / "notebooks", Path(__file__).resolve().parents[1] / "reference"]
    if course is not None:
        folders.append(Path(course))
    return [str(f) for f in folders]


def _tree_rss_mb(pid: int) -> float:
    import psutil

    try:
        process = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 2**20
    except psutil.Error:
        return 0.0


def _run_child(assignment_id: str, notebook: Path, tests: list[str], workdir: Path, limits: Limits,
               forbid: list[str]) -> tuple[list[dict], str]:
    """One grading process; returns its events and how it ended ("done", or why it was stopped)."""
    read_fd, write_fd = os.pipe()
    command = [*_isolation_prefix(), sys.executable, "-m", "cnn_course.graders.engine.sandbox", assignment_id,
               str(notebook), "--tests", ",".join(tests), "--fd", str(write_fd)]
    for folder in forbid:
        command += ["--forbid", folder]
    from cnn_course.datasets import data_dir
    from cnn_course.utils.weights import weights_dir

    env = {**os.environ, "TMPDIR": str(workdir), "MPLCONFIGDIR": str(workdir), "MPLBACKEND": "Agg",
           "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONDONTWRITEBYTECODE": "1", "CNN_COURSE_SMOKE": "1",
           "CNN_COURSE_DATA": str(data_dir()), "CNN_COURSE_WEIGHTS": str(weights_dir())}
    env.pop("CNN_COURSE_METRICS", None)
    with open(workdir / "sandbox.log", "wb") as log:
        process = subprocess.Popen(command, cwd=workdir, env=env, pass_fds=(write_fd,), stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=log, start_new_session=True)
    os.close(write_fd)
    events, buffer, reason = [], b"", ""
    selector = selectors.DefaultSelector()
    selector.register(read_fd, selectors.EVENT_READ)
    deadline = time.monotonic() + limits.load_s
    try:
        while True:
            for _ in selector.select(timeout=0.2):
                chunk = os.read(read_fd, 1 << 16)
                if not chunk:
                    reason = reason or "exited"
                    break
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    try:
                        event = json.loads(line)
                    except ValueError:
                        continue  # not ours: the student's code wrote to the pipe
                    if not isinstance(event, dict):
                        continue
                    events.append(event)
                    if event.get("event") in ("loaded", "start", "result"):
                        deadline = time.monotonic() + limits.test_s
                    if event.get("event") in ("done", "load_failed"):
                        reason = "done"
            if reason:
                break
            if time.monotonic() > deadline:
                reason = f"took longer than {limits.test_s if _started(events) else limits.load_s:g} s"
                break
            if _tree_rss_mb(process.pid) > limits.memory_mb:
                reason = f"used more than {limits.memory_mb} MB of memory"
                break
            if process.poll() is not None and not selector.select(timeout=0.5):
                reason = "exited"
                break
    finally:
        selector.close()
        os.close(read_fd)
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        process.wait()
    if reason == "exited" and process.returncode not in (0, None):
        reason = f"exited with status {process.returncode}"
    elif reason == "exited":
        reason = "exited before finishing (os._exit or sys.exit in your code?)"
    return events, reason


def _started(events: list[dict]) -> bool:
    return any(e.get("event") == "loaded" for e in events)


# Assignments graded with the verdict outside the student's process, in an OS sandbox
# (cnn_course.graders.engine.remote and .isolation); the others still run their checks in
# the child process of cnn_course.graders.engine.sandbox.
REMOTE_ASSIGNMENTS = frozenset({"w1a1_conv_step_by_step", "w3a1_car_detection"})


# The student-only Python of the sandbox (`make setup` creates it: the student package, editable,
# and its requirements; no instructor code, no nbgrader). Without it, the grader's own Python.
STUDENT_ENV = ".venv/student"


def student_python() -> Path:
    python = repo_root() / STUDENT_ENV / "bin" / "python"
    return python if (repo_root() / STUDENT_ENV / ".complete").exists() else Path(sys.executable)


def student_package_paths(python: Path) -> list[Path]:
    """What a sandboxed worker may read: the Python it runs and the student package's folders, nothing else."""
    import cnn_course.checks
    import cnn_course.datasets
    import cnn_course.utils
    from cnn_course.graders.engine.isolation import python_paths

    packages = [Path(m.__file__).resolve().parent for m in (cnn_course.utils, cnn_course.datasets, cnn_course.checks)]
    return [*python_paths(python), *packages]


def _grade_remotely(assignment_id: str, nb: nbformat.NotebookNode, limits: Limits) -> dict[str, dict]:
    from cnn_course.graders.engine import isolation, remote

    python = student_python()
    sandbox_limits = isolation.Limits(memory_mb=limits.memory_mb, cpu_s=int(limits.load_s + 2 * limits.test_s))
    with isolation.Spawner(read_only=student_package_paths(python), limits=sandbox_limits,
                           allow_unsafe=limits.allow_unsafe) as spawner:
        return remote.grade(assignment_id, remote.cells_of(assignment_id, nb), deadline_s=limits.test_s,
                            start_deadline_s=limits.load_s, popen_kwargs=spawner, python=str(python))


def grade_submission(assignment_id: str, notebook: str | Path | nbformat.NotebookNode, student: str = "",
                     limits: Limits | None = None, course: Path | None = None) -> SubmissionResult:
    """Grade one notebook in the sandbox; every test id of the assignment gets a result."""
    start = time.perf_counter()
    limits = limits or limits_for(assignment_id)
    tests = test_ids(assignment_id)
    outcome = SubmissionResult(student)
    try:
        nb = notebook if isinstance(notebook, nbformat.NotebookNode) else nbformat.read(str(notebook), as_version=4)
    except Exception as error:  # an unreadable file is the student's problem, not the batch's
        for test in tests:
            outcome.results[test] = {"passed": False, "phase": "load",
                                     "message": f"The notebook could not be read ({type(error).__name__})."}
        outcome.incidents.append(f"unreadable notebook: {error}")
        return outcome
    if assignment_id in REMOTE_ASSIGNMENTS:
        results = _grade_remotely(assignment_id, nb, limits)
        outcome.results = {t: {k: results[t].get(k) for k in ("passed", "message", "phase")} for t in tests}
        outcome.incidents = [f"{t}: {r['message'][:200]}" for t, r in results.items() if r.get("phase") == "run"]
        outcome.seconds = time.perf_counter() - start
        return outcome
    remaining = list(tests)
    with tempfile.TemporaryDirectory(prefix="cnn-course-grade-") as tmp:
        workdir = Path(tmp)
        merged_path = workdir / "submission.ipynb"
        nbformat.write(merged_notebook(assignment_id, nb), merged_path)
        while remaining:
            events, reason = _run_child(assignment_id, merged_path, remaining, workdir, limits,
                                        forbidden_folders(course))
            for event in events:
                if event.get("event") == "result" and event.get("test") in remaining:
                    outcome.results[event["test"]] = {k: event.get(k) for k in ("passed", "message", "phase")}
                if event.get("event") == "loaded" and event.get("tampered"):
                    outcome.incidents.append(f"changed the testing libraries: {event['tampered']}")
            remaining = [t for t in remaining if t not in outcome.results]
            if not remaining or reason == "done" and not any(e.get("event") == "load_failed" for e in events):
                break
            load_failed = next((e for e in events if e.get("event") == "load_failed"), None)
            if load_failed or not _started(events):
                why = load_failed["message"] if load_failed else f"the grading process {reason}"
                for test in remaining:
                    outcome.results[test] = {"passed": False, "phase": "load",
                                             "message": f"Your notebook's graded cells could not be loaded: {why}."}
                outcome.incidents.append(f"load: {why}")
                break
            started = [e["test"] for e in events if e.get("event") == "start"]
            current = started[-1] if started else remaining[0]
            outcome.results[current] = {"passed": False, "phase": "run",
                                        "message": f"While this test ran, the grading process {reason}; "
                                                   "the test gets no points."}
            outcome.incidents.append(f"{current}: {reason}")
            remaining = [t for t in remaining if t not in outcome.results]
    outcome.results = {t: outcome.results[t] for t in tests}
    outcome.seconds = time.perf_counter() - start
    return outcome


def _grade_bytes(assignment_id: str, data: bytes, student: str, limits: dict) -> dict:
    """For Dask workers: the notebook travels as bytes, the result as a dict."""
    nb = nbformat.reads(data.decode(), as_version=4)
    return asdict(grade_submission(assignment_id, nb, student, Limits(**limits)))


# ----------------------------------------------------------------------------- a course


def submissions(course: Path, assignment_id: str, students: list[str] | None = None) -> dict[str, Path]:
    """{student: submitted notebook} under course/submitted/<student>/<assignment_id>/."""
    name = source_path(assignment_id).stem
    found = {}
    for path in sorted(Path(course).glob(f"submitted/*/{assignment_id}/{name}.ipynb")):
        student = path.parent.parent.name
        if students is None or student in students:
            found[student] = path
    return found


def results_dir(course: Path, assignment_id: str) -> Path:
    return Path(course) / "fast_grading" / assignment_id


def grade_all(course: Path, assignment_id: str, students: list[str] | None = None, jobs: int = 1,
              scheduler: str | None = None, limits: Limits | None = None,
              progress=print) -> dict[str, SubmissionResult]:
    """Step 1: grade every submission in its sandbox, in parallel or on a Dask cluster."""
    found = submissions(course, assignment_id, students)
    limits = limits or limits_for(assignment_id)
    out: dict[str, SubmissionResult] = {}
    done = 0

    def record(result: SubmissionResult) -> None:
        nonlocal done
        done += 1
        out[result.student] = result
        failed = sum(not r["passed"] for r in result.results.values())
        progress(f"  [{done:3d}/{len(found)}] {result.student:36s} {result.seconds:5.1f} s  "
                 f"{len(result.results) - failed}/{len(result.results)} tests passed"
                 + (f"  ({'; '.join(result.incidents)[:120]})" if result.incidents else ""))

    if scheduler:
        from dask.distributed import Client, as_completed

        with Client(scheduler) as client:
            futures = [client.submit(_grade_bytes, assignment_id, path.read_bytes(), student, asdict(limits),
                                     pure=False, key=f"grade-{assignment_id}-{student}")
                       for student, path in found.items()]
            for future in as_completed(futures):
                record(SubmissionResult(**future.result()))
    else:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = [pool.submit(grade_submission, assignment_id, path, student, limits, course)
                       for student, path in found.items()]
            for future in futures:
                record(future.result())
    folder = results_dir(course, assignment_id)
    folder.mkdir(parents=True, exist_ok=True)
    for student, result in out.items():
        (folder / f"{student}.json").write_text(json.dumps(asdict(result), indent=1))
    return {s: out[s] for s in found}


class SandboxedExecute(NbGraderPreprocessor):
    """nbgrader's Execute step, replaced: the test cells' outputs come from the sandboxed results.

    Reads ``$CNN_COURSE_FAST_RESULTS/<student>.json`` (written by :func:`grade_all`);
    a student without one is graded now. Other cells get no outputs.
    """

    def preprocess(self, nb, resources):
        student = resources["nbgrader"]["student"]
        assignment_id = resources["nbgrader"]["assignment"]
        folder = Path(os.environ.get(RESULTS_ENV, ""))
        path = folder / f"{student}.json"
        if os.environ.get(RESULTS_ENV) and path.exists():
            results = json.loads(path.read_text())["results"]
        else:
            results = grade_submission(assignment_id, nb, student).results
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            cell.outputs = []
            if is_test(cell):
                result = results.get(nbgrader_meta(cell)["grade_id"])
                cell.outputs = [_output(result)]
        return nb, resources


def _output(result: dict | None):
    if result is None:
        return nbformat.v4.new_output("error", ename="CheckFailure", evalue="This test cell is not graded by the "
                                      "fast grader (no check for it).", traceback=[])
    if result["passed"]:
        return nbformat.v4.new_output("stream", name="stdout", text="All tests passed.\nHidden tests passed.\n")
    message = result["message"]
    traceback = [f"CheckFailure: {message}"] + ([HIDDEN_NOTE] if result.get("phase") == "hidden" else [])
    return nbformat.v4.new_output("error", ename="CheckFailure", evalue=message, traceback=traceback)


def autograde(course: Path, assignment_id: str, students: list[str] | None = None, jobs: int = 1,
              scheduler: str | None = None, limits: Limits | None = None,
              progress=print) -> dict[str, SubmissionResult]:
    """Grade the submissions (step 1), then let nbgrader record them (step 2). Returns step 1's results."""
    from cnn_course.graders.engine.cohort import run_nbgrader

    progress(f"[grade] {assignment_id}: grading {len(submissions(course, assignment_id, students))} "
             f"submissions in sandboxes ({'dask ' + scheduler if scheduler else f'{jobs} at a time'})")
    results = grade_all(course, assignment_id, students, jobs, scheduler, limits, progress=progress)
    steps = ["cnn_course.graders.engine.fast.SandboxedExecute", "nbconvert.preprocessors.ClearMetadataPreprocessor",
             "nbgrader.preprocessors.LimitOutput", "nbgrader.preprocessors.SaveAutoGrades",
             "nbgrader.preprocessors.AssignLatePenalties", "nbgrader.preprocessors.CheckCellMetadata"]
    options = [f"--Autograde.autograde_preprocessors={step}" for step in steps]
    os.environ[RESULTS_ENV] = str(results_dir(course, assignment_id))
    try:
        selection = [f"--student={students[0]}"] if students and len(students) == 1 else []
        run_nbgrader(course, "autograde", assignment_id, *selection, "--force", *options)
    finally:
        os.environ.pop(RESULTS_ENV, None)
    return results
