"""``make bench``: full-mode timings of the course, written as a table (markdown and JSON).

Benchmarks measure; they assert nothing. Each row has a goal where the course
sets one, and says whether this run met it.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from pathlib import Path

import nbformat
import numpy as np

from cnn_course.graders.authoring.notebooks import assignments, build_notebook, source_path
from cnn_course.utils import quiet_tensorflow


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_w1a1_conv(m: int = 100) -> list[dict]:
    """Loops (the source solution) vs vectorised vs tf.nn.conv2d on one conv forward."""
    from cnn_course.graders.engine.loading import load_functions
    from cnn_course.utils import fast_layers

    quiet_tensorflow()
    import tensorflow as tf

    rng = np.random.default_rng(0)
    A_prev = rng.standard_normal((m, 64, 64, 3))
    W = rng.standard_normal((3, 3, 3, 8))
    b = rng.standard_normal((1, 1, 1, 8))
    hp = {"stride": 1, "pad": 1}
    loops = load_functions("w1a1_conv_step_by_step").conv_forward

    def tf_conv():
        padded = np.pad(A_prev, ((0, 0), (1, 1), (1, 1), (0, 0)))
        return tf.nn.conv2d(padded, W, strides=1, padding="VALID").numpy() + b

    z_loops = loops(A_prev, W, b, hp)[0]
    z_fast = fast_layers.conv_forward(A_prev, W, b, hp)[0]
    z_tf = tf_conv()
    agree = bool(np.allclose(z_loops, z_fast, atol=1e-6) and np.allclose(z_loops, z_tf, atol=1e-6))
    t_loops = _best(lambda: loops(A_prev, W, b, hp), 1)
    t_fast = _best(lambda: fast_layers.conv_forward(A_prev, W, b, hp), 10)
    t_tf = _best(tf_conv, 10)
    shape = f"m={m}, 64x64x3, 8 filters 3x3, pad 1, stride 1, float64"
    return [
        {"assignment": "w1a1", "measure": f"conv_forward loops (s), {shape}",
         "value": round(t_loops, 3), "goal": "", "met": None},
        {"assignment": "w1a1", "measure": "conv_forward vectorised (s)", "value": round(t_fast, 4),
         "goal": ">= 100x faster than loops", "met": t_loops / t_fast >= 100,
         "note": f"{t_loops / t_fast:.0f}x faster than loops"},
        {"assignment": "w1a1", "measure": "tf.nn.conv2d (s)", "value": round(t_tf, 4),
         "goal": "vectorised within 3x of TensorFlow", "met": t_fast <= 3 * t_tf,
         "note": f"vectorised / TensorFlow = {t_fast / t_tf:.2f}"},
        {"assignment": "w1a1", "measure": "outputs agree within 1e-6", "value": agree,
         "goal": "True", "met": agree},
    ]


def _nbgrader_seconds(course: Path, assignment_id: str, students: int, full: bool) -> float:
    """Seconds per submission of stock ``nbgrader autograde`` on a course, in full or smoke mode."""
    from cnn_course.graders.engine import cohort as ct

    previous = os.environ.get("CNN_COURSE_SMOKE")
    # full: as for a course without the smoke switch
    os.environ["CNN_COURSE_SMOKE"] = "0" if full else "1"
    try:
        start = time.perf_counter()
        ct.autograde(course, assignment_id)
        return (time.perf_counter() - start) / students
    finally:
        if previous is None:
            os.environ.pop("CNN_COURSE_SMOKE", None)
        else:
            os.environ["CNN_COURSE_SMOKE"] = previous


def bench_grading(assignment_id: str, cohort_size: int = 30, mutants: int | None = None,
                  full_mutants: int = 0) -> list[dict]:
    """Stock nbgrader autograde against the fast grader, and a cohort's time with the sandbox.

    The sample cohort (reference, blank release, every mutant; ``mutants`` keeps the
    first ones only) is graded by stock ``nbgrader autograde`` in smoke mode (the
    course's switch) and by the fast grader (one at a time, in its sandbox) in two copies
    of one course; the rows give seconds per submission and whether the gradebooks
    agree. A smaller cohort (reference, blank and ``full_mutants`` mutants) is graded
    by both again with nbgrader in full mode, each notebook run as submitted, as
    nbgrader does for a course without the smoke switch. Then a cohort of
    ``cohort_size`` (the sample students repeated) is graded by the fast grader with 2
    jobs, isolation included, gradebook recording included.
    """
    import shutil

    from cnn_course.graders.engine import cohort as ct
    from cnn_course.graders.engine import fast

    short = assignment_id.split("_")[0]
    tf_assignment = assignment_id != "w1a1_conv_step_by_step"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)

        def fast_seconds(course: Path, students: int, jobs: int = 1) -> float:
            start = time.perf_counter()
            fast.autograde(course, assignment_id, jobs=jobs, progress=lambda _: None)
            return (time.perf_counter() - start) / students

        def copy_of(course: Path, name: str) -> Path:
            shutil.copytree(course, root / name)
            # the copy's configuration must name the copy as its root
            return ct.make_course(root / name)

        sample = ct.build_cohort(root / "nbgrader", assignment_id, with_mutants=True,
                                 max_mutants=mutants)
        n = len(sample.students)
        fast_course = copy_of(root / "nbgrader", "fast")
        print(f"[bench] {assignment_id}: nbgrader autograde, smoke mode ({n} submissions)",
              flush=True)
        t_smoke = _nbgrader_seconds(root / "nbgrader", assignment_id, n, full=False)
        print(f"[bench] {assignment_id}: fast grader, the same {n} submissions, one at a time",
              flush=True)
        t_fast = fast_seconds(fast_course, n)
        nbgrader_table = ct.scores(root / "nbgrader", assignment_id)
        fast_table = ct.scores(fast_course, assignment_id)
        differ = sorted(s for s in nbgrader_table if nbgrader_table[s] != fast_table.get(s))
        rows += [
            {"assignment": short,
             "measure": f"nbgrader autograde, smoke mode, s per submission ({n})",
             "value": round(t_smoke, 1), "goal": "", "met": None,
             "note": "the course's smoke switch; the fast grader is "
                     f"{t_smoke / t_fast:.1f}x faster"},
            {"assignment": short, "measure": f"fast grader, s per submission, 1 job ({n})",
             "value": round(t_fast, 1), "goal": "", "met": None,
             "note": "sandbox per submission, gradebook recording included"},
            {"assignment": short, "measure": "fast grader and nbgrader agree on every score",
             "value": not differ, "goal": "True", "met": not differ,
             "note": f"{n} submissions" + (f"; differ: {differ}" if differ else "")},
        ]
        if tf_assignment:
            small = ct.build_cohort(root / "full", assignment_id, with_mutants=True,
                                    max_mutants=full_mutants)
            k = len(small.students)
            small_fast = copy_of(root / "full", "full-fast")
            print(f"[bench] {assignment_id}: nbgrader autograde, full mode ({k} submissions)",
                  flush=True)
            t_full = _nbgrader_seconds(root / "full", assignment_id, k, full=True)
            t_small_fast = fast_seconds(small_fast, k)
            speedup = t_full / t_small_fast
            rows += [
                {"assignment": short,
                 "measure": f"nbgrader autograde, full mode, s per submission ({k})",
                 "value": round(t_full, 1), "goal": "", "met": None,
                 "note": ", ".join(student.name for student in small.students)},
                {"assignment": short,
                 "measure": f"fast grader vs full-mode nbgrader, the same {k} (speed-up)",
                 "value": round(speedup, 1), "goal": ">= 20x", "met": speedup >= 20,
                 "note": f"fast grader {t_small_fast:.1f} s per submission"},
            ]
        big = ct.make_course(root / "cohort")
        ct.release(big, assignment_id)
        for index in range(cohort_size):
            student = sample.students[index % n].name
            source = (root / "nbgrader" / "submitted" / student / assignment_id
                      / f"{ct.notebook_name(assignment_id)}.ipynb")
            ct.submit(big, f"student-{index:02d}", assignment_id,
                      nbformat.read(source, as_version=4))
        print(f"[bench] {assignment_id}: fast grader, a cohort of {cohort_size} (2 jobs)",
              flush=True)
        t_cohort = fast_seconds(big, 1, jobs=2)
    rows.append({"assignment": short,
                 "measure": f"fast grader, cohort of {cohort_size}, 2 jobs (s)",
                 "value": round(t_cohort, 1), "goal": "<= 120 s", "met": t_cohort <= 120,
                 "note": f"{t_cohort / cohort_size:.1f} s per submission; "
                         "sandbox and gradebook included"})
    return rows


def _disk_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def bench_datasets() -> list[dict]:
    """Generate every dataset's stand-in into an empty folder: seconds and MB each, and in total."""
    from cnn_course import datasets

    rows, total_s = [], 0.0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, dataset in datasets.REGISTRY.items():
            start = time.perf_counter()
            datasets.prepare(name, folder, verbose=False)
            seconds = time.perf_counter() - start
            total_s += seconds
            size = sum(_disk_bytes(folder / f.rstrip("/")) if (folder / f.rstrip("/")).is_dir()
                       else (folder / f).stat().st_size for f in dataset.files)
            rows.append({"assignment": "datasets",
                         "measure": f"{dataset.title}: generate + validate (s)",
                         "value": round(seconds, 1), "goal": "", "met": None,
                         "note": f"{size / 1e6:.0f} MB"})
        total_mb = _disk_bytes(folder) / 1e6
    rows.append({"assignment": "datasets", "measure": "all stand-ins (s)",
                 "value": round(total_s, 1), "goal": "<= 180 s", "met": total_s <= 180})
    rows.append({"assignment": "datasets", "measure": "all stand-ins on disk (MB)",
                 "value": round(total_mb), "goal": "<= 600 MB", "met": total_mb <= 600})
    return rows


def bench_difficulty() -> list[dict]:
    """Linear model on raw pixels vs a small CNN (U-Net for segmentation); several minutes each."""
    from cnn_course.graders.bench import difficulty
    from cnn_course.graders.bench.w3a2_unet_segmentation import original_recipe_row

    rows = difficulty.rows()
    print("[bench] carla: the original course's U-Net recipe (5 epochs of 32 filters, "
          "several minutes)", flush=True)
    rows.append(original_recipe_row())
    return rows


def notebook_rows(assignment_id: str, goals: dict[str, tuple[str, float]], time_goal_s: float,
                  seeds: tuple[int, ...] = (0, 1, 2), smoke_goal_s: float | None = None,
                  derived: dict | None = None, lessons: dict | None = None,
                  time_at: str = "worst", run_rows=None) -> list[dict]:
    """Run a notebook in full mode once per seed; rows of min / median / max per metric.

    The notebook's cells name their results in their ``metrics`` metadata, and
    the notebook takes its seed from the ``seed`` name of its ``parameters`` cell.
    ``goals`` maps a metric name to (">=" or "<=", bound); the goal is met when
    the worst seed meets it. ``derived`` adds metrics computed from a run's metrics
    (name -> function of the metrics dict), ``lessons`` statements that must hold on
    every seed (sentence -> predicate of the metrics dict), and ``time_at`` says
    whether the time goal applies to the worst or the median seed. ``run_rows`` (a
    function of the runs) adds rows of its own. ``smoke_goal_s`` adds a timed smoke-mode run.
    """
    from cnn_course.graders.authoring.execute import run_notebook

    short = assignment_id.split("_")[0]
    rows, runs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        built = build_notebook(source_path(assignment_id),
                               Path(tmp) / f"{source_path(assignment_id).stem}.ipynb")
        for seed in seeds:
            print(f"[bench] {assignment_id}: full run, seed {seed}", flush=True)
            run = run_notebook(built, smoke=False, timeout=1800, parameters={"seed": seed})
            print(f"[bench]   {run.seconds:.0f} s, {run.metrics}"
                  + (f", PROBLEMS: {run.problems}" if run.problems else ""), flush=True)
            print(f"[bench]   slowest cells: {run.slowest()}", flush=True)
            for name, compute in (derived or {}).items():
                try:
                    run.metrics[name] = round(float(compute(run.metrics)), 4)
                except (KeyError, TypeError, ValueError):  # a metric it needs is missing
                    pass
            runs.append(run)
        if smoke_goal_s is not None:
            smoke = run_notebook(built, smoke=True)
            rows.append({"assignment": short, "measure": "notebook, smoke mode (s)",
                         "value": round(smoke.seconds, 1), "goal": f"<= {smoke_goal_s:g} s",
                         "met": smoke.seconds <= smoke_goal_s and not smoke.problems,
                         "note": "; ".join(smoke.problems)[:200]})
    rows += seed_rows(short, runs, goals, time_goal_s, seeds, lessons, time_at)
    return rows + (run_rows(runs) if run_rows else [])


def lesson_rows(short: str, runs: list, lessons: dict, seeds: tuple[int, ...]) -> list[dict]:
    """One row per lesson: on how many seeds its predicate holds (met when on every seed)."""
    rows = []
    for sentence, holds in lessons.items():
        verdicts = []
        for run in runs:
            try:
                verdicts.append(bool(holds(run.metrics)))
            except (KeyError, TypeError):
                verdicts.append(False)
        failed = [str(seed) for seed, ok in zip(seeds, verdicts, strict=True) if not ok]
        rows.append({"assignment": short, "measure": f"lesson: {sentence}",
                     "value": f"{sum(verdicts)} of {len(runs)} seeds", "goal": "every seed",
                     "met": all(verdicts),
                     "note": f"fails on seed {', '.join(failed)}" if failed else ""})
    return rows


def seed_rows(short: str, runs: list, goals: dict[str, tuple[str, float]], time_goal_s: float,
              seeds: tuple[int, ...], lessons: dict | None = None,
              time_at: str = "worst") -> list[dict]:
    """Rows for notebook runs (one per seed, each with ``seconds``, ``metrics``, ``problems``).

    A metric with a goal (op, bound) is reported at its worst seed (the goal is met when that
    seed meets it), with a goal (op, bound, "median") at its median seed; a metric without a
    goal at its median seed. Every row's note has min / median / max.
    The time goal applies to the worst seed, or to the median one with ``time_at="median"``.
    """
    rows = []
    spread = f"seeds {', '.join(map(str, seeds))}"

    def summarise(name: str, values: list[float]) -> str:
        v = sorted(values)
        return f"min {v[0]:.3f} / median {float(np.median(v)):.3f} / max {v[-1]:.3f} ({spread})"

    seconds = [r.seconds for r in runs]
    problems = "; ".join(f"seed {seed}: {r.problems}"
                         for seed, r in zip(seeds, runs, strict=True) if r.problems)
    timed = max(seconds) if time_at == "worst" else float(np.median(seconds))
    rows.append({"assignment": short, "measure": f"notebook, full mode (s, {time_at} seed)",
                 "value": round(timed, 1), "goal": f"<= {time_goal_s:g} s",
                 "met": timed <= time_goal_s and not problems,
                 "note": summarise("seconds", seconds)
                         + (f"; problems: {problems}"[:300] if problems else "")})
    for name in sorted({k for r in runs for k in r.metrics}):
        values = [r.metrics[name] for r in runs if name in r.metrics]
        if values and all(isinstance(v, dict) for v in values):
            continue  # a table per run (IoU per class): an assignment's run_rows reports it
        numeric = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if len(numeric) != len(runs):
            rows.append({"assignment": short, "measure": name,
                         "value": json.dumps(values)[:200], "goal": "", "met": None})
            continue
        op, bound, at = (*goals.get(name, ("", None)), "worst")[:3]
        if bound is None:  # no goal, so no "worst" direction: report the median
            rows.append({"assignment": short, "measure": f"{name} (median seed)",
                         "value": round(float(np.median(numeric)), 4), "goal": "", "met": None,
                         "note": summarise(name, numeric)})
            continue
        if at == "median":
            value = float(np.median(numeric))
        else:
            value = min(numeric) if op == ">=" else max(numeric)
        met = value >= bound if op == ">=" else value <= bound
        rows.append({"assignment": short, "measure": f"{name} ({at} seed)",
                     "value": round(value, 4), "goal": f"{op} {bound:g}", "met": met,
                     "note": summarise(name, numeric)})
    return rows + lesson_rows(short, runs, lessons or {}, seeds)


def assignment_rows(assignment_id: str) -> list[dict]:
    """The rows of ``cnn_course.graders.bench.<assignment_id>.rows()``, if that module exists."""
    import importlib
    import importlib.util

    module = f"cnn_course.graders.bench.{assignment_id}"
    if importlib.util.find_spec(module) is None:
        return []
    return importlib.import_module(module).rows()


def to_markdown(rows: list[dict], header: str) -> str:
    lines = [header, "", "| assignment | measure | value | goal | met | note |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        met = "" if r["met"] is None else ("yes" if r["met"] else "NO")
        lines.append(f"| {r['assignment']} | {r['measure']} | {r['value']} | {r['goal']} | {met} | "
                     f"{r.get('note', '')} |")
    return "\n".join(lines) + "\n"


def run_bench(out_dir: Path, difficulty: bool = False, assignment: str | None = None,
              only: str | None = None, mutants: int | None = None,
              results_page: Path | None = None) -> int:
    """Every benchmark (or one assignment's), written to out_dir/results.{md,json}.

    ``only="notebooks"`` runs the assignments' own rows (full-mode notebooks),
    ``only="grading"`` the grading rows (``mutants``: how many of each sample
    cohort's mutants nbgrader grades too; default all).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    if assignment in (None, "w1a1_conv_step_by_step") and only != "grading":
        print("[bench] W1A1 conv forward: loops vs vectorised vs tf.nn.conv2d "
              "(the loops take ~20 s)", flush=True)
        rows += bench_w1a1_conv()
    for assignment_id in assignments() if assignment is None else [assignment]:
        if only != "grading":
            rows += assignment_rows(assignment_id)
        if only != "notebooks":
            rows += bench_grading(assignment_id, mutants=mutants)
    if assignment is None and only is None:
        print("[bench] datasets: generating every stand-in into an empty folder", flush=True)
        rows += bench_datasets()
    if difficulty:
        rows += bench_difficulty()
    machine = (f"{platform.machine()}, {platform.processor() or 'cpu'}, {os.cpu_count()} cores, "
               f"Python {platform.python_version()}")
    header = f"# Benchmarks ({time.strftime('%Y-%m-%d %H:%M')}, {machine})"
    markdown = to_markdown(rows, header)
    stem = "-".join(["results"] + [part for part in (assignment, only) if part])
    (out_dir / f"{stem}.md").write_text(markdown)
    (out_dir / f"{stem}.json").write_text(json.dumps({"machine": machine, "rows": rows}, indent=2,
                                                     default=str))
    if results_page is not None:
        update_results_page(results_page, stem, markdown)
    print(markdown)
    print(f"[bench] written to {out_dir / stem}.md and .json"
          + (f", and to {results_page}" if results_page else ""))
    return 0


RESULTS_INTRO = """# Measured results

Written by `make bench` (graders/bench): each section is the latest run of one part of the
benchmark, with its machine and date; a rerun replaces its own section. Earlier results
are in this file's git history.
"""


def update_results_page(page: Path, stem: str, markdown: str) -> None:
    """Put ``markdown`` into ``page`` as the section of ``stem``, replacing that section's
    previous run."""
    begin, end = f"<!-- bench:{stem} -->", f"<!-- /bench:{stem} -->"
    text = page.read_text() if page.exists() else RESULTS_INTRO
    section = f"{begin}\n{markdown.replace('# Benchmarks', '## ' + stem, 1)}{end}\n"
    if begin in text and end in text:
        before, rest = text.split(begin, 1)
        text = before + section + rest.split(end, 1)[1].lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(text)
