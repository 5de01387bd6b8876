"""Fast, sandboxed grading of a whole cohort, with nbgrader as the system of record.

``nbgrader autograde`` re-executes every notebook from top to bottom, training
included, in a kernel that also runs the hidden tests. The fast grader instead:

1. grades each submission in an OS sandbox (:mod:`cnn_course.graders.engine.isolation`): a
   worker process runs the trusted ``setup``/``parameters`` cells of the source notebook
   and the student's graded cells, and answers calls of the student's functions with
   plain data; the visible and hidden checks of every test cell run here, outside it
   (:mod:`cnn_course.graders.engine.remote`). A crash, hang or memory blow-up costs the
   test that was running (the others run in a fresh worker), never the batch.
   Submissions are graded in parallel (``jobs``) or on a Dask cluster (``scheduler``,
   the same sandbox on each Dask worker);
2. then runs ``nbgrader autograde`` with its ``Execute`` step replaced by
   :class:`SandboxedExecute`, which writes the results of step 1 into the test
   cells as outputs (a failure is an error whose message is the check's
   sentence). nbgrader's own steps do the rest as usual: restoring locked
   cells, scores and comments in the gradebook, late penalties, the autograded
   copy; so ``nbgrader export``, formgrader and ``generate_feedback`` work.
   Manually graded cells are left for the instructor, as nbgrader leaves them.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor

from cnn_course.graders.authoring.notebooks import (
    is_test,
    nbgrader_meta,
    repo_root,
    source_path,
)
from cnn_course.graders.engine import malformed

RESULTS_ENV = "CNN_COURSE_FAST_RESULTS"
HIDDEN_NOTE = "(A hidden test failed; its code is not shown. The message above says what is wrong.)"


@dataclass(frozen=True)
class Limits:
    """Per-submission limits of the sandbox.

    Per-assignment values are ``GRADING_LIMITS`` in the assignment's grader.
    """

    load_s: float = 120.0  # start the process, import the libraries, run the student's graded cells
    test_s: float = 120.0  # one test cell's checks, visible and hidden
    memory_mb: int = 6000  # resident memory of the grading process
    # --unsafe-no-isolation: grade without the OS sandbox (trusted cohorts only)
    allow_unsafe: bool = False


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


# The student-only Python of the sandbox (`make setup` creates it: the student package, editable,
# and its requirements; no instructor code, no nbgrader). Without it, the grader's own Python.
STUDENT_ENV = ".venv/student"


def student_python() -> Path:
    python = repo_root() / STUDENT_ENV / "bin" / "python"
    return python if (repo_root() / STUDENT_ENV / ".complete").exists() else Path(sys.executable)


def student_package_paths(python: Path) -> list[Path]:
    """What a sandboxed worker may read.

    The Python it runs and the student package's folders, nothing else.
    """
    import cnn_course.checks
    import cnn_course.datasets
    import cnn_course.utils
    from cnn_course.graders.engine.isolation import python_paths

    packages = [Path(m.__file__).resolve().parent
                for m in (cnn_course.utils, cnn_course.datasets, cnn_course.checks)]
    return [*python_paths(python), *packages]


def _grade_remotely(assignment_id: str, nb: nbformat.NotebookNode,
                    limits: Limits) -> dict[str, dict]:
    from cnn_course.graders.engine import isolation, remote

    python = student_python()
    sandbox_limits = isolation.Limits(memory_mb=limits.memory_mb,
                                      cpu_s=int(limits.load_s + 2 * limits.test_s))
    with isolation.Spawner(read_only=student_package_paths(python), limits=sandbox_limits,
                           allow_unsafe=limits.allow_unsafe) as spawner:
        return remote.grade(assignment_id, remote.cells_of(assignment_id, nb),
                            deadline_s=limits.test_s, start_deadline_s=limits.load_s,
                            popen_kwargs=spawner, python=str(python))


def grade_submission(assignment_id: str, notebook: str | Path | bytes | nbformat.NotebookNode,
                     student: str = "", limits: Limits | None = None,
                     course: Path | None = None) -> SubmissionResult:
    """Grade one notebook in the sandbox; every test id of the assignment gets a result.

    A damaged notebook is graded by its readable cells (:mod:`.malformed`); an unreadable
    file and each repair are reported in ``incidents``.
    """
    start = time.perf_counter()
    limits = limits or limits_for(assignment_id)
    tests = test_ids(assignment_id)
    outcome = SubmissionResult(student)
    try:
        nb = malformed.read_submission(notebook)
    except malformed.UnreadableNotebook as error:  # the student's problem, not the batch's
        for test in tests:
            outcome.results[test] = {"passed": False, "phase": "load",
                                     "message": f"Your notebook could not be read: {error}. "
                                                "Every test scores 0."}
        outcome.incidents.append(f"unreadable notebook: {error}")
        return outcome
    nb, repairs = malformed.repair(assignment_id, nb)
    results = _grade_remotely(assignment_id, nb, limits)
    outcome.results = {t: {k: results[t].get(k) for k in ("passed", "message", "phase")}
                       for t in tests}
    outcome.incidents = repairs + [f"{t}: {r['message'][:200]}" for t, r in results.items()
                                   if r.get("phase") == "run"]
    outcome.results = {t: outcome.results[t] for t in tests}
    outcome.seconds = time.perf_counter() - start
    return outcome


# address space of the grading process itself (at most 40% of the machine's memory)
GRADER_MEMORY_MB = 8192


def cap_grader_memory(memory_mb: int | None = None) -> int:
    """Cap this process's address space; returns the cap in MiB (a cap already lower is kept).

    The checks rebuild models from what the student's process sends; a forged description
    of huge layers would make this process allocate them. Under the cap the allocation
    fails (an error, which fails that student's test) instead of the system killing the
    grader and the batch with it.
    """
    import resource

    total_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    cap = int(memory_mb or min(GRADER_MEMORY_MB, max(2048, total_mb * 2 // 5)))
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY and soft <= cap * 2**20:
        return soft // 2**20
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard // 2**20)
    resource.setrlimit(resource.RLIMIT_AS, (cap * 2**20, hard))
    return cap


def _grade_bytes(assignment_id: str, data: bytes, student: str, limits: dict) -> dict:
    """For Dask workers: the notebook travels as bytes, the result as a dict."""
    cap_grader_memory()
    return asdict(grade_submission(assignment_id, data, student, Limits(**limits)))


# ----------------------------------------------------------------------------- a course


def submissions(course: Path, assignment_id: str,
                students: list[str] | None = None) -> dict[str, Path]:
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
            futures = [client.submit(_grade_bytes, assignment_id, path.read_bytes(), student,
                                     asdict(limits), pure=False,
                                     key=f"grade-{assignment_id}-{student}")
                       for student, path in found.items()]
            students_of = dict(zip(futures, found, strict=True))
            for future in as_completed(futures):
                try:
                    record(SubmissionResult(**future.result()))
                except Exception as error:  # one submission never stops the batch
                    record(_not_graded(assignment_id, students_of[future], error))
    else:
        # The checks, and TensorFlow for the Keras assignments, imported once before the threads:
        # a thread must never see the half-imported module that another one is importing.
        importlib.import_module(f"cnn_course.graders.{assignment_id}")
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = {student: pool.submit(grade_submission, assignment_id, path, student, limits,
                                            course)
                       for student, path in found.items()}
            for student, future in futures.items():
                try:
                    record(future.result())
                except Exception as error:  # one submission never stops the batch
                    record(_not_graded(assignment_id, student, error))
    folder = results_dir(course, assignment_id)
    folder.mkdir(parents=True, exist_ok=True)
    for student, result in out.items():
        (folder / f"{student}.json").write_text(json.dumps(asdict(result), indent=1))
    return {s: out[s] for s in found}


def _not_graded(assignment_id: str, student: str, error: BaseException) -> SubmissionResult:
    """The result of a submission whose grading stopped with an error of the grader's own."""
    why = f"{type(error).__name__}: {error}"[:300]
    message = (f"The grader could not grade this notebook ({why}); "
               "ask your instructor to look at it.")
    return SubmissionResult(student, {t: {"passed": False, "phase": "load", "message": message}
                                      for t in test_ids(assignment_id)}, [f"not graded: {why}"])


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
        return nbformat.v4.new_output("error", ename="CheckFailure",
                                      evalue="This test cell is not graded by the "
                                      "fast grader (no check for it).", traceback=[])
    if result["passed"]:
        return nbformat.v4.new_output("stream", name="stdout",
                                      text="All tests passed.\nHidden tests passed.\n")
    message = result["message"]
    traceback = [f"CheckFailure: {message}"] + (
        [HIDDEN_NOTE] if result.get("phase") == "hidden" else [])
    return nbformat.v4.new_output("error", ename="CheckFailure", evalue=message,
                                  traceback=traceback)


def autograde(course: Path, assignment_id: str, students: list[str] | None = None, jobs: int = 1,
              scheduler: str | None = None, limits: Limits | None = None,
              progress=print) -> dict[str, SubmissionResult]:
    """Grade the submissions (step 1), then let nbgrader record them (step 2).

    Returns step 1's results. A notebook nbgrader cannot process (see :mod:`.malformed`) gets
    its step-1 scores written into the gradebook directly and an incident saying so; every
    other student is recorded by nbgrader as usual (when a notebook stops nbgrader's whole
    run, each student it did not reach gets a run of its own). Raises :class:`RecordingFailed`
    when nbgrader fails for another reason.
    """
    progress(f"[grade] {assignment_id}: grading "
             f"{len(submissions(course, assignment_id, students))} submissions in sandboxes "
             f"({'dask ' + scheduler if scheduler else f'{jobs} at a time'})")
    results = grade_all(course, assignment_id, students, jobs, scheduler, limits, progress=progress)
    steps = ["cnn_course.graders.engine.fast.SandboxedExecute",
             "nbconvert.preprocessors.ClearMetadataPreprocessor",
             "nbgrader.preprocessors.LimitOutput", "nbgrader.preprocessors.SaveAutoGrades",
             "nbgrader.preprocessors.AssignLatePenalties",
             "nbgrader.preprocessors.CheckCellMetadata"]
    options = [f"--Autograde.sanitize_preprocessors={step}" for step in malformed.SANITIZE_STEPS]
    options += [f"--Autograde.autograde_preprocessors={step}" for step in steps]
    selection = [f"--student={students[0]}"] if students and len(students) == 1 else []
    started = time.time()
    proc = _run_step_2(course, assignment_id, [*selection, *options])
    if proc.returncode == 0:
        return results
    log = proc.stdout + proc.stderr
    # Which notebooks nbgrader recorded is read from its output folder (it removes the copy of a
    # notebook it gave up on), never from its log, which quotes the students' metadata.
    name = source_path(assignment_id).stem

    def recorded(student: str) -> bool:
        autograded = Path(course) / "autograded" / student / assignment_id / f"{name}.ipynb"
        return autograded.exists() and autograded.stat().st_mtime >= started

    # nbgrader goes on past most notebooks it cannot process and names them at the end, but
    # some damage (a metadata version it does not know) stops the whole run: each student it
    # did not record is then given a run of its own.
    named = malformed.failed_students(log, assignment_id)
    pending = [student for student in results if not recorded(student)]
    if any(student not in named for student in pending):
        progress(f"  nbgrader stopped ({malformed.last_error(log)}); "
                 "recording the others one at a time")
    failed = {}
    for student in pending:
        if student not in named:
            one = _run_step_2(course, assignment_id, [f"--student={student}", *options])
            if one.returncode == 0 and recorded(student):
                continue
            named[student] = malformed.last_error(one.stdout + one.stderr)
        failed[student] = named[student]
    readable = [s for s, r in results.items()
                if not any(i.startswith("unreadable") for i in r.incidents)]
    if not failed or len(readable) > 1 and set(readable) <= set(failed):
        raise RecordingFailed(f"`nbgrader autograde` failed ({proc.returncode}):\n"
                              f"{log.strip()[-3000:]}", results)
    for student, error in failed.items():
        result = results[student]
        unreadable = [i for i in result.incidents if i.startswith("unreadable notebook: ")]
        reason = unreadable[0].removeprefix("unreadable notebook: ") if unreadable else error
        try:
            malformed.record_without_nbgrader(course, assignment_id, student, result.results,
                                              reason)
        except Exception as problem:
            raise RecordingFailed(f"{student}'s scores could not be written into the gradebook: "
                                  f"{type(problem).__name__}: {problem}", results) from problem
        note = (f"nbgrader could not process the notebook ({reason}); the sandbox's scores are "
                "recorded in the gradebook instead")
        result.incidents.append(note)
        progress(f"  {student}: {note}")
        path = results_dir(course, assignment_id) / f"{student}.json"
        path.write_text(json.dumps(asdict(result), indent=1))
    return results


def _run_step_2(course: Path, assignment_id: str, arguments: list[str]):
    from cnn_course.graders.engine.cohort import run_nbgrader

    os.environ[RESULTS_ENV] = str(results_dir(course, assignment_id))
    try:
        return run_nbgrader(course, "autograde", assignment_id, "--force", *arguments, check=False)
    finally:
        os.environ.pop(RESULTS_ENV, None)


class RecordingFailed(RuntimeError):
    """``nbgrader autograde`` stopped for a reason that is not one student's notebook.

    ``results`` holds step 1's results (written to the results folder too), so the
    reports can still be written.
    """

    def __init__(self, message: str, results: dict[str, SubmissionResult]):
        super().__init__(message)
        self.results = results
