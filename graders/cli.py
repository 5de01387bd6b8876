"""Command line of the course: ``python -m cnn_course.graders.cli <command>``.

The Makefile's targets call these commands; each prints what it does.

  build        render every notebooks/<id>/<nb>.py to .ipynb next to it
  release      nbgrader generate_assignment for every assignment, into release/
  references   regenerate graders/reference/<id>.npz from the source solutions
  autograde    nbgrader autograde the submissions in submitted/
  feedback     nbgrader generate_feedback for what was autograded
  demo         a small course graded by the fast grader: gradebook, cohort report, feedback
  demo-nbgrader  every assignment's sample cohort through stock nbgrader autograde, in a
                 temporary course
  smoke        execute every notebook with CNN_COURSE_SMOKE=1
  bench        full-mode timings; writes build/bench/results.{md,json}
  data         prepare every dataset in the data folder; write the galleries to docs/
  grade        fast sandboxed grading of submitted/ into the gradebook, with cohort reports
  weights      train the weights this project makes itself (cached; --name picks one)
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import time
from pathlib import Path

from cnn_course.graders.authoring.notebooks import (
    assignments,
    build_notebook,
    repo_root,
    source_path,
)


def _say(message: str) -> None:
    print(message, flush=True)


def _selected(args) -> list[str]:
    return [args.assignment] if getattr(args, "assignment", None) else assignments()


def _sandbox_available(command: str, advice: str) -> bool:
    """Whether the grading sandbox can run here; if not, say why and what to do."""
    from cnn_course.graders.engine import isolation

    ok, why = isolation.available()
    if not ok:
        _say(f"[{command}] refusing to run student code without the grading sandbox: {why}. "
             f"{advice}")
    return ok


def has_grader(assignment_id: str) -> bool:
    return importlib.util.find_spec(f"cnn_course.graders.{assignment_id}") is not None


def cmd_build(args) -> int:
    for assignment_id in _selected(args):
        path = build_notebook(source_path(assignment_id))
        _say(f"[build] {path.relative_to(repo_root())}")
    return 0


def cmd_release(args) -> int:
    from cnn_course.graders.authoring.assets import add_assets, built_wheel
    from cnn_course.graders.engine.cohort import generate_release

    cmd_dist(args)  # always fresh: a release never ships an older package than its notebooks
    cmd_build(args)
    root = repo_root()
    wheel = built_wheel()
    for assignment_id in _selected(args):
        folder = generate_release(root, assignment_id).parent
        manifest = add_assets(folder, assignment_id, wheel)
        files = ", ".join(p.name for p in sorted(folder.iterdir()))
        _say(f"[release] {folder.relative_to(root)}: {files}")
        for name in manifest["missing"]:
            _say(f"[release] {assignment_id}: weights {name} are not built, so students will not "
                 f"have them (`make weights NAME={name}`, then release again)")
    return 0


def cmd_references(args) -> int:
    from cnn_course.graders.authoring import references

    for assignment_id in _selected(args):
        if has_grader(assignment_id):
            for path in references.generate(assignment_id):
                _say(f"[references] {path.relative_to(repo_root())}")
    return 0


def cmd_autograde(args) -> int:
    from cnn_course.graders.engine.cohort import run_nbgrader

    root = repo_root()
    for assignment_id in _selected(args):
        if not list((root / "submitted").glob(f"*/{assignment_id}")):
            _say(f"[autograde] {assignment_id}: no submissions in submitted/*/{assignment_id}/")
            continue
        if not (root / "release" / assignment_id).exists():
            cmd_release(argparse.Namespace(assignment=assignment_id))
        _say(f"[autograde] {assignment_id}")
        proc = run_nbgrader(root, "autograde", assignment_id, check=False)
        print(proc.stdout[-4000:], proc.stderr[-4000:], sep="\n")
        if proc.returncode:
            return proc.returncode
    return 0


def cmd_feedback(args) -> int:
    from cnn_course.graders.engine.cohort import run_nbgrader

    root = repo_root()
    for assignment_id in _selected(args):
        if (root / "autograded").exists():
            run_nbgrader(root, "generate_feedback", assignment_id, "--force")
            _say(f"[feedback] feedback/*/{assignment_id}/")
    return 0


DEMO_ASSIGNMENTS = ("w1a1_conv_step_by_step", "w1a2_conv_application")  # one numpy, one TensorFlow
DEMO_MUTANTS = 2  # of each assignment
DEMO_ATTACK = "stack-walk"  # the cheating submission (W1A1), from graders/engine/adversarial.py


def _print_gradebook(course: Path, assignment_id: str, cohort) -> list[str]:
    """Print the points per test read back from the gradebook; returns the unexpected scores."""
    from cnn_course.graders.engine import cohort as ct

    table = ct.scores(course, assignment_id)
    grader = importlib.import_module(f"cnn_course.graders.{assignment_id}")
    order = [f"{name}_tests" for name in grader.GRADED_FUNCTIONS]
    _say(f"\nPoints per test, read back from the nbgrader gradebook ({assignment_id}):\n")
    _say(ct.format_table({s.name: table[s.name] for s in cohort.students}, order))
    return ct.check_scores(cohort, table)


def cmd_demo(args) -> int:
    """A small course graded end to end by the fast grader: gradebook, cohort report, feedback."""
    from cnn_course.graders.engine import adversarial, fast
    from cnn_course.graders.engine import cohort as ct
    from cnn_course.graders.engine.report import write_reports

    start = time.perf_counter()
    if not _sandbox_available("demo", "Run `make setup` (as root it installs bubblewrap), then "
                                      "`make demo` again."):
        return 2
    fast.cap_grader_memory()
    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="cnn-course-demo-"))
    course = ct.make_course(workdir / "course")
    status, lines = 0, []
    for assignment_id in DEMO_ASSIGNMENTS:
        cohort = ct.build_cohort(course, assignment_id, with_mutants=True, max_mutants=DEMO_MUTANTS)
        if assignment_id == adversarial.ASSIGNMENT_ID:
            attack = adversarial.by_name(DEMO_ATTACK)
            name = ct.notebook_name(assignment_id)
            released = course / "release" / assignment_id / f"{name}.ipynb"
            cheat = ct.fill_release(released)
            attack.edit(cheat, course.resolve())
            ct.submit(course, f"cheater-{attack.name}", assignment_id, cheat)
            cohort.students.append(ct.Student(f"cheater-{attack.name}", attack.fails,
                                              attack.description))
        _say(f"[demo] {assignment_id}: released; {len(cohort.students)} submissions: "
             + ", ".join(s.name for s in cohort.students))
        results = fast.autograde(course, assignment_id, jobs=os.cpu_count() or 1, progress=_say)
        paths = write_reports(assignment_id, results, course / "reports" / assignment_id)
        ct.run_nbgrader(course, "generate_feedback", assignment_id, "--force")
        problems = _print_gradebook(course, assignment_id, cohort)
        if problems:
            status = 1
            _say("UNEXPECTED SCORES:\n  " + "\n  ".join(problems))
        else:
            cheater = (", the cheater only what its wrong answer deserves."
                       if assignment_id == adversarial.ASSIGNMENT_ID else ".")
            _say("As expected: the reference full marks, the blank release zero, each mutant "
                 "losing exactly the tests of its mistake" + cheater)
        lines += [f"  {assignment_id}:", f"    cohort report  {paths['html']}",
                  f"    chart          {paths['png']}", f"    scores table   {paths['csv']}",
                  f"    feedback       {course / 'feedback'}/<student>/{assignment_id}/"]
    _say(f"\n[demo] done in {time.perf_counter() - start:.0f} s. The course is {course}:")
    _say(f"    gradebook      {course / 'gradebook.db'} (nbgrader; open it with `make lab`'s "
         "formgrader)")
    _say("\n".join(lines))
    return status


def cmd_demo_nbgrader(args) -> int:
    """Each assignment's sample cohort through stock nbgrader autograde, one student at a time."""
    from cnn_course.graders.engine import cohort as cohort_tools
    from cnn_course.graders.engine.grading import kill_report

    status = 0
    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="cnn-course-demo-"))
    for assignment_id in _selected(args):
        if not has_grader(assignment_id):
            continue
        course = workdir / assignment_id
        _say(f"[demo] {assignment_id}: releasing into a temporary course at {course}")
        cohort = cohort_tools.build_cohort(course, assignment_id)
        _say(f"[demo] {assignment_id}: nbgrader autograde of {len(cohort.students)} students "
             "(reference, blank release, mutants); this takes a few minutes")
        for k, student in enumerate(cohort.students, 1):
            start = time.perf_counter()
            cohort_tools.autograde(course, assignment_id, student.name)
            seconds = time.perf_counter() - start
            _say(f"  [{k:2d}/{len(cohort.students)}] {student.name:42s} {seconds:5.1f} s")
        problems = _print_gradebook(course, assignment_id, cohort)
        table = cohort_tools.scores(course, assignment_id)
        mutant_rows = [s for s in cohort.students if s.name.startswith("mutant-")]
        killed = sum(1 for s in mutant_rows if sum(v[0] for v in table[s.name].values()) <
                     sum(v[1] for v in table[s.name].values()))
        _say(f"\nMutants that lost points under nbgrader: {killed}/{len(mutant_rows)}")
        rows = kill_report(assignment_id)
        _say(f"Mutants killed by the function-level checks: "
             f"{sum(r['killed'] for r in rows)}/{len(rows)}, "
             f"{sum(r['as_expected'] for r in rows)} with exactly the expected tests failing")
        cohort_tools.run_nbgrader(course, "generate_feedback", assignment_id, "--force")
        _say(f"Feedback (HTML) for each student: {course / 'feedback'}")
        if problems:
            status = 1
            _say("\nUNEXPECTED SCORES:\n  " + "\n  ".join(problems))
        else:
            _say("Every student scored as expected: reference full marks, blank zero, "
                 "each mutant failing exactly its expected tests.")
    return status


def cmd_smoke(args) -> int:
    from cnn_course.graders.authoring.execute import execute_notebook

    failures = 0
    for assignment_id in _selected(args):
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            source = source_path(assignment_id)
            built = build_notebook(source, Path(tmp) / f"{source.stem}.ipynb")
            problems = execute_notebook(built, smoke=True)
        status = "ok" if not problems else "FAILED"
        _say(f"[smoke] {assignment_id}: {status} in {time.perf_counter() - start:.1f} s")
        for problem in problems:
            _say(f"    {problem}")
        failures += bool(problems)
    return 1 if failures else 0


def _save_small_png(figure, path: Path, max_bytes: int = 400_000) -> None:
    """Save a figure as a palette PNG (256 colours), shrinking it until it is under max_bytes."""
    import io

    from PIL import Image

    for dpi in (72, 60, 50, 40):
        buffer = io.BytesIO()
        figure.savefig(buffer, dpi=dpi, format="png")
        image = Image.open(buffer).convert("RGB").quantize(colors=256,
                                                           method=Image.Quantize.MEDIANCUT)
        image.save(path, optimize=True)
        if path.stat().st_size <= max_bytes:
            return


def cmd_data(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from cnn_course import datasets

    folder = datasets.data_dir()
    _say(f"[data] data folder: {folder} (set CNN_COURSE_DATA to use another)")
    docs = repo_root() / "docs"
    for name, dataset in datasets.REGISTRY.items():
        if args.assignment and name != args.assignment:
            continue
        start = time.perf_counter()
        _, source = datasets.prepare(name, folder)
        _say(f"[data] {dataset.title}: {source}, ready in {time.perf_counter() - start:.1f} s")
        if dataset.gallery is not None and not args.no_gallery:
            docs.mkdir(exist_ok=True)
            figure = dataset.gallery(folder)
            _save_small_png(figure, docs / f"dataset_{name}.png")
            _say(f"[data] gallery: docs/dataset_{name}.png")
    return 0


def cmd_bench(args) -> int:
    from cnn_course.graders.bench import run_bench

    return run_bench(repo_root() / "build" / "bench", difficulty=args.difficulty,
                     assignment=args.assignment, only=args.only, mutants=args.mutants,
                     results_page=repo_root() / "docs" / "results.md")


def cmd_grade(args) -> int:
    from cnn_course.graders.engine import fast
    from cnn_course.graders.engine.report import write_reports

    course = Path(args.course).resolve() if args.course else repo_root()
    chosen = ([args.assignment_id] if args.assignment_id
              else [a for a in assignments() if has_grader(a)])
    status = 0
    for assignment_id in chosen:
        found = fast.submissions(course, assignment_id, [args.student] if args.student else None)
        if not found:
            _say(f"[grade] {assignment_id}: no submissions in "
                 f"{course}/submitted/*/{assignment_id}/")
            continue
        if not (course / "release" / assignment_id).exists() and course == repo_root():
            cmd_release(argparse.Namespace(assignment=assignment_id))
        if not args.unsafe_no_isolation and not _sandbox_available(
                "grade", "Pass --unsafe-no-isolation to grade anyway, without a sandbox "
                         "(trusted cohorts only)."):
            return 2
        fast.cap_grader_memory()
        start = time.perf_counter()
        limits = fast.limits_for(assignment_id)
        limits = fast.Limits(limits.load_s, args.test_timeout or limits.test_s,
                             args.memory_mb or limits.memory_mb,
                             allow_unsafe=args.unsafe_no_isolation)
        recorded = True
        try:
            selection = [args.student] if args.student else None
            results = fast.autograde(course, assignment_id, selection, jobs=args.jobs,
                                     scheduler=args.scheduler, limits=limits, progress=_say)
        except fast.RecordingFailed as failure:  # the reports are written all the same
            results, recorded, status = failure.results, False, 1
            _say(f"[grade] {assignment_id}: the scores could not be recorded in the gradebook: "
                 f"{failure}")
        paths = write_reports(assignment_id, results, course / "reports" / assignment_id)
        seconds = time.perf_counter() - start
        _say(f"[grade] {assignment_id}: {len(results)} submissions in {seconds:.1f} s; "
             + ("scores in the gradebook; " if recorded else "scores NOT in the gradebook; ")
             + f"report: {paths['html']}, table: {paths['csv']}")
    return status


def cmd_dist(args) -> int:
    from cnn_course.graders.authoring.dist import build_wheel

    dist = repo_root() / "dist"
    for old in dist.glob("*.whl"):
        old.unlink()
    wheel = build_wheel(dist)
    _say(f"[dist] {wheel.relative_to(repo_root())}: {wheel.stat().st_size / 1024:.0f} KiB")
    return 0


def cmd_student_env(args) -> int:
    """The student-only environment the grader's sandbox runs student code with (.venv/student)."""
    from cnn_course.graders.authoring.classroom import make_student_env
    from cnn_course.graders.engine.fast import STUDENT_ENV

    folder = repo_root() / STUDENT_ENV
    _say(f"[setup] {STUDENT_ENV}: the student package and its requirements only, for the "
         "grading sandbox")
    start = time.perf_counter()
    make_student_env(folder, None, os.environ.get("TF_PACKAGE", "tensorflow-cpu"), jupyter=False)
    (folder / ".complete").write_text(f"{time.perf_counter() - start:.0f} s\n")
    _say(f"[setup] {STUDENT_ENV} is ready ({time.perf_counter() - start:.0f} s)")
    return 0


def cmd_weights(args) -> int:
    from cnn_course.graders import trainers
    from cnn_course.utils import weights

    names = [args.name] if args.name else list(trainers.TRAINERS)
    _say(f"[weights] weights folder: {weights.weights_dir()} "
         "(set CNN_COURSE_WEIGHTS to use another)")
    for name in names:
        trainers.make(name, force=args.force, seed=args.seed)
    return 0


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")  # as quiet_tensorflow (faster on AVX2)
    parser = argparse.ArgumentParser(prog="cnn_course.graders.cli", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("student-env",
                   help="create .venv/student, the student-only Python of the grading sandbox")
    for name in ("build", "dist", "release", "references", "autograde", "feedback", "demo",
                 "demo-nbgrader", "smoke", "bench", "data", "weights"):
        p = sub.add_parser(name)
        p.add_argument("--assignment",
                       help="one assignment id, or dataset name for data (default: all)")
        if name == "bench":
            p.add_argument("--difficulty", action="store_true",
                           help="also train the dataset difficulty baselines (tens of minutes)")
            p.add_argument("--only", choices=["notebooks", "grading"],
                           help="only the full-mode notebook rows, or only the grading rows")
            p.add_argument("--mutants", type=int,
                           help="grading rows: how many mutants of each sample cohort "
                                "(default: all)")
        if name == "data":
            p.add_argument("--no-gallery", action="store_true",
                           help="do not write docs/dataset_*.png")
        if name == "weights":
            p.add_argument("--name",
                           help="one entry of cnn_course.utils.weights.REGISTRY (default: all)")
            p.add_argument("--force", action="store_true", help="train again even if cached")
            p.add_argument("--seed", type=int, default=0)
        if name in ("demo", "demo-nbgrader"):
            p.add_argument("--keep",
                           help="folder for the temporary course (default: a new temp folder)")
    grade = sub.add_parser("grade", help="fast sandboxed grading into the nbgrader gradebook")
    grade.add_argument("assignment_id", nargs="?",
                       help="default: every assignment with submissions")
    grade.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                       help="submissions graded at once")
    grade.add_argument("--scheduler",
                       help="address of a Dask scheduler (tcp://host:8786) to grade on")
    grade.add_argument("--course", help="the nbgrader course directory (default: the repository)")
    grade.add_argument("--student", help="grade one student only")
    grade.add_argument("--test-timeout", type=float,
                       help="seconds one test cell may take (default: per assignment)")
    grade.add_argument("--memory-mb", type=int,
                       help="memory of one grading process (default: per assignment)")
    grade.add_argument("--unsafe-no-isolation", action="store_true",
                       help="UNSAFE: run student code without the OS sandbox (bubblewrap), "
                            "for a trusted cohort only")
    args = parser.parse_args(argv)
    return globals()[f"cmd_{args.command.replace('-', '_')}"](args)


if __name__ == "__main__":
    sys.exit(main())
