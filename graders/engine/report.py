"""Cohort reports after a grading run: a per-student, per-test CSV and an HTML page with a chart.

The instructor sees at a glance what the class got wrong: the pass rate of
every test, the histogram of scores, and for each test the most common failure
message (messages are grouped after numbers are masked, so "got 0.31" and
"got 0.27" count as the same mistake), and which submissions met a problem (a
damaged notebook, a crash, a timeout).
"""

from __future__ import annotations

import csv
import html
import re
from collections import Counter
from pathlib import Path

NUMBER = re.compile(r"-?\d+(\.\d+)?(e-?\d+)?")


def _points(assignment_id: str) -> dict[str, float]:
    """{test grade id: points} from the source notebook."""
    from cnn_course.graders.authoring.notebooks import (
        is_test,
        nbgrader_meta,
        read_notebook,
        source_path,
    )

    return {nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c).get("points", 0))
            for c in read_notebook(source_path(assignment_id)).cells if is_test(c)}


def common_failure(messages: list[str]) -> tuple[str, int]:
    """The most frequent failure (numbers masked) and how many students got it; ("", 0) if none."""
    if not messages:
        return "", 0
    counts = Counter(NUMBER.sub("#", m.split("\n")[0])[:300] for m in messages)
    shape, count = counts.most_common(1)[0]
    example = next(m for m in messages if NUMBER.sub("#", m.split("\n")[0])[:300] == shape)
    return example.split("\n")[0][:300], count


def write_reports(assignment_id: str, results: dict, folder: Path) -> dict[str, Path]:
    """results: {student: SubmissionResult or its dict}.

    Writes scores.csv, report.html and report.png.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    folder.mkdir(parents=True, exist_ok=True)
    points = _points(assignment_id)
    tests = list(points)
    rows = {s: (r.results if hasattr(r, "results") else r["results"]) for s, r in results.items()}
    problems = {s: list(r.incidents if hasattr(r, "incidents") else r.get("incidents", []))
                for s, r in results.items()}
    csv_path = folder / "scores.csv"
    with csv_path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", *tests, "total", "max", "failures", "problems"])
        for student, res in rows.items():
            got = [points[t] if res.get(t, {}).get("passed") else 0.0 for t in tests]
            failures = " | ".join(f"{t}: {res[t]['message'][:200]}" for t in tests
                                  if t in res and not res[t]["passed"])
            writer.writerow([student, *[f"{g:g}" for g in got], f"{sum(got):g}",
                             f"{sum(points.values()):g}", failures, " | ".join(problems[student])])
    n = max(1, len(rows))
    pass_rate = {t: sum(1 for r in rows.values() if r.get(t, {}).get("passed")) / n for t in tests}
    totals = [sum(points[t] for t in tests if r.get(t, {}).get("passed")) for r in rows.values()]
    figure = Figure(figsize=(11, 4), layout="constrained")
    left, right = figure.subplots(1, 2, width_ratios=(3, 2))
    short = [t.removesuffix("_tests") for t in tests]
    left.barh(short[::-1], [100 * pass_rate[t] for t in tests][::-1], color="tab:green")
    left.set_xlim(0, 100)
    left.set_xlabel("students passing (%)")
    left.set_title(f"{assignment_id}: pass rate per test ({len(rows)} students)")
    maximum = sum(points.values())
    right.hist(totals, bins=min(20, int(maximum) + 1), range=(0, maximum), color="tab:blue",
               edgecolor="white")
    right.set_xlabel(f"score (out of {maximum:g})")
    right.set_ylabel("students")
    right.set_title("score histogram")
    png_path = folder / "report.png"
    figure.savefig(png_path, dpi=90)
    table = []
    for t in tests:
        messages = [r[t]["message"] for r in rows.values() if t in r and not r[t]["passed"]]
        message, count = common_failure(messages)
        table.append(f"<tr><td>{html.escape(t)}</td><td>{points[t]:g}</td>"
                     f"<td>{100 * pass_rate[t]:.0f}%</td>"
                     f"<td>{count}</td><td>{html.escape(message)}</td></tr>")
    html_path = folder / "report.html"
    html_path.write_text(
        "<!doctype html><meta charset='utf-8'>"
        f"<title>{html.escape(assignment_id)}: cohort report</title>"
        "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}"
        "td,th{border-bottom:1px solid #ddd;"
        "padding:4px 8px;vertical-align:top;text-align:left}</style>"
        f"<h1>{html.escape(assignment_id)}: cohort report</h1>"
        f"<p>{len(rows)} submissions; mean score {sum(totals) / n:.1f} / {maximum:g}. "
        "Per-student scores and failure messages: <a href='scores.csv'>scores.csv</a>.</p>"
        "<img src='report.png' alt='pass rate per test and score histogram' width='100%'>"
        "<h2>What the class got wrong</h2><table><tr><th>test</th><th>points</th><th>passing</th>"
        "<th>students with the most common failure</th><th>most common failure message</th></tr>"
        + "".join(table) + "</table>" + _problems_section(problems))
    return {"csv": csv_path, "html": html_path, "png": png_path}


def _problems_section(problems: dict[str, list[str]]) -> str:
    """The students whose grading met a problem (a damaged notebook, a crash, a timeout), if any."""
    rows = [f"<tr><td>{html.escape(s)}</td>"
            f"<td>{'<br>'.join(html.escape(i[:500]) for i in found)}</td></tr>"
            for s, found in problems.items() if found]
    if not rows:
        return ""
    return ("<h2>Submissions with problems</h2>"
            "<table><tr><th>student</th><th>what happened</th></tr>" + "".join(rows) + "</table>")
