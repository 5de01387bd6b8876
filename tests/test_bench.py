"""``make bench``: how notebook runs over several seeds become rows."""

from types import SimpleNamespace

import numpy as np
import pytest

from cnn_course.graders.bench import difficulty, seed_rows


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
    assert (rows["accuracy (worst seed)"]["value"],
            rows["accuracy (worst seed)"]["met"]) == (0.94, False)
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
    assert ("seed 1: ['cell 7 raised ValueError']"
            in rows["notebook, full mode (s, worst seed)"]["note"])


def test_the_results_page_keeps_one_section_per_part_and_replaces_it_on_a_rerun(tmp_path):
    from cnn_course.graders.bench import to_markdown, update_results_page

    page = tmp_path / "docs" / "results.md"
    row = {"assignment": "w1a1", "measure": "m", "value": 1, "goal": "", "met": None}
    update_results_page(page, "results-grading", to_markdown([row], "# Benchmarks (first run)"))
    update_results_page(page, "results-w2a1",
                        to_markdown([{**row, "value": 2}], "# Benchmarks (other part)"))
    update_results_page(page, "results-grading",
                        to_markdown([{**row, "value": 3}], "# Benchmarks (rerun)"))
    text = page.read_text()
    assert text.startswith("# Measured results")
    assert text.count("<!-- bench:results-grading -->") == 1 and "first run" not in text
    assert "## results-grading (rerun)" in text and "| w1a1 | m | 3 |" in text
    assert "## results-w2a1 (other part)" in text and "| w1a1 | m | 2 |" in text


def test_median_goals_lessons_and_the_median_time():
    runs = [_run(100.0, fine=0.90, frozen=0.80, scratch=0.60),
            _run(150.0, fine=0.84, frozen=0.85, scratch=0.72),
            _run(110.0, fine=0.88, frozen=0.70, scratch=0.65)]
    goals = {"fine": (">=", 0.85, "median"), "gap": (">=", 0.15)}
    for run in runs:  # what notebook_rows' ``derived`` adds to each run
        run.metrics["gap"] = round(run.metrics["fine"] - run.metrics["scratch"], 4)
        run.metrics["iou_per_class"] = {"road": 0.9}  # a table: left to the assignment's rows
    lessons = {"fine beats frozen beats scratch": lambda m: m["fine"] > m["frozen"] > m["scratch"],
               "needs a metric no run has": lambda m: m["absent"] > 0}
    rows = {r["measure"]: r
            for r in seed_rows("w0", runs, goals, 120, (0, 1, 2), lessons, "median")}

    assert (rows["notebook, full mode (s, median seed)"]["value"],
            rows["notebook, full mode (s, median seed)"]["met"]) == (110.0, True)
    assert (rows["fine (median seed)"]["value"], rows["fine (median seed)"]["met"]) == (0.88, True)
    assert (rows["gap (worst seed)"]["value"], rows["gap (worst seed)"]["met"]) == (0.12, False)
    lesson = rows["lesson: fine beats frozen beats scratch"]
    assert (lesson["value"], lesson["met"], lesson["note"]) == ("2 of 3 seeds", False,
                                                                "fails on seed 1")
    assert not any("iou_per_class" in measure for measure in rows)
    missing = rows["lesson: needs a metric no run has"]
    assert (missing["value"], missing["met"]) == ("0 of 3 seeds", False)


# ----------------------------------------------------------------------------- dataset difficulty



def test_difficulty_refuses_datasets_it_does_not_know():
    with pytest.raises(ValueError, match="h5_difficulty knows"):
        difficulty.h5_difficulty("mnist")
    with pytest.raises(ValueError, match="alpaca_difficulty knows"):
        difficulty.alpaca_difficulty("happy")


def test_carla_scores_count_pixels_and_iou_by_class_name():
    truth = np.array([[7, 7, 13, 13]])
    scores = difficulty.carla_scores(truth, np.array([[7, 13, 13, 13]]))
    assert scores["pixel_accuracy"] == 0.75
    assert scores["iou"] == {"Road": 0.5, "Sky": 0.667}
    assert scores["mean_iou"] == pytest.approx((0.5 + 2 / 3) / 2)


def test_the_position_baseline_learns_the_layout_of_the_frames(small_carla, small_carla_registry):
    """The answer that looks only at where a pixel is (the class most frequent there in the
    training masks) beats always answering the most frequent class: it knows the bonnet."""
    result = difficulty.carla_difficulty(small_carla, n_train=3, models=())
    assert result["n_train"] == 3 and result["n_test"] == 1
    assert "colour" not in result and "unet" not in result
    position, majority = result["position"], result["majority"]
    assert position["pixel_accuracy"] > majority["pixel_accuracy"] + 0.1
    assert position["iou"]["Vehicles"] > 0.5


def test_original_recipe_trains_the_course_unet_and_reports_each_epochs_training_accuracy(
        small_carla, small_carla_registry, small_carla_pairs):
    from cnn_course.graders.bench.w3a2_unet_segmentation import original_recipe

    result = original_recipe(seed=0, epochs=2, n_filters=2, folder=small_carla)
    assert (result["pairs"], result["epochs"], result["filters"]) == (small_carla_pairs, 2, 2)
    accuracy = result["train_accuracy"]
    assert len(accuracy) == 2 and all(0.0 <= a <= 1.0 for a in accuracy)
    again = original_recipe(seed=0, epochs=2, n_filters=2, folder=small_carla)
    assert again["train_accuracy"] == accuracy  # seeded
