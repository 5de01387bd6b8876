"""``make bench``: how notebook runs over several seeds become rows."""

from types import SimpleNamespace

from cnn_course.graders.bench import seed_rows


def _run(seconds, **metrics):
    return SimpleNamespace(seconds=seconds, metrics=metrics, problems=[])


def test_seed_rows_report_the_worst_seed_against_a_goal_and_the_median_without_one():
    runs = [_run(100.0, accuracy=0.96, loss=0.30, iou=0.31),
            _run(130.0, accuracy=0.94, loss=0.10, iou=0.33),
            _run(110.0, accuracy=0.97, loss=0.20, iou=0.29)]
    goals = {"accuracy": (">=", 0.95), "loss": ("<=", 0.25)}
    rows = {r["measure"]: r for r in seed_rows("w0", runs, goals, 120, (0, 1, 2))}

    time_row = rows["notebook, full mode (s, worst seed)"]
    assert (time_row["value"], time_row["met"]) == (130.0, False)
    assert (rows["accuracy (worst seed)"]["value"], rows["accuracy (worst seed)"]["met"]) == (0.94, False)
    assert (rows["loss (worst seed)"]["value"], rows["loss (worst seed)"]["met"]) == (0.30, False)
    median = rows["iou (median seed)"]
    assert (median["value"], median["met"], median["goal"]) == (0.31, None, "")
    assert "min 0.290 / median 0.310 / max 0.330" in median["note"]


def test_seed_rows_meet_a_goal_only_when_every_seed_does_and_no_run_had_problems():
    runs = [_run(50.0, accuracy=0.96), _run(60.0, accuracy=0.95)]
    rows = {r["measure"]: r for r in seed_rows("w0", runs, {"accuracy": (">=", 0.95)}, 120, (0, 1))}
    assert rows["accuracy (worst seed)"]["met"] is True
    assert rows["notebook, full mode (s, worst seed)"]["met"] is True

    runs[1].problems = ["cell 7 raised ValueError"]
    rows = {r["measure"]: r for r in seed_rows("w0", runs, {}, 120, (0, 1))}
    assert rows["notebook, full mode (s, worst seed)"]["met"] is False
    assert "seed 1: ['cell 7 raised ValueError']" in rows["notebook, full mode (s, worst seed)"]["note"]


def test_the_results_page_keeps_one_section_per_part_and_replaces_it_on_a_rerun(tmp_path):
    from cnn_course.graders.bench import to_markdown, update_results_page

    page = tmp_path / "docs" / "results.md"
    row = {"assignment": "w1a1", "measure": "m", "value": 1, "goal": "", "met": None}
    update_results_page(page, "results-grading", to_markdown([row], "# Benchmarks (first run)"))
    update_results_page(page, "results-w2a1", to_markdown([{**row, "value": 2}], "# Benchmarks (other part)"))
    update_results_page(page, "results-grading", to_markdown([{**row, "value": 3}], "# Benchmarks (rerun)"))
    text = page.read_text()
    assert text.startswith("# Measured results")
    assert text.count("<!-- bench:results-grading -->") == 1 and "first run" not in text
    assert "## results-grading (rerun)" in text and "| w1a1 | m | 3 |" in text
    assert "## results-w2a1 (other part)" in text and "| w1a1 | m | 2 |" in text
