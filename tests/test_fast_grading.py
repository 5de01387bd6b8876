"""The fast sandboxed grader gives nbgrader's scores, faster, in a sandbox.

Every graded cohort of every assignment (built and autograded by nbgrader once,
the ``cohorts`` fixture) is graded again by the fast grader in a copy of its
course directory; the gradebooks must agree student by student, test by test.
The adversarial cohort is in tests/test_adversarial.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from cnn_course.graders.authoring.mutants import mutants
from cnn_course.graders.authoring.notebooks import assignments
from cnn_course.graders.engine import cohort as ct
from cnn_course.graders.engine import fast, remote
from cnn_course.graders.engine.report import common_failure, write_reports

pytestmark = pytest.mark.nbgrader
ASSIGNMENTS = assignments()


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_fast_grader_gives_nbgrader_scores_on_the_sample_cohort(cohorts, tmp_path, assignment_id):
    cohort, nbgrader_table = cohorts[assignment_id]
    course = tmp_path / "course"
    shutil.copytree(cohort.course, course)
    ct.make_course(course)  # its nbgrader_config.py must name the copy as the course root
    shutil.rmtree(course / "autograded")
    # a fresh gradebook: every score below comes from the fast grader
    (course / "gradebook.db").unlink()
    ct.generate_release(course, assignment_id)
    fast.autograde(course, assignment_id, jobs=2, progress=lambda _: None)
    fast_table = ct.scores(course, assignment_id)
    assert set(fast_table) == set(nbgrader_table)
    for student, grades in nbgrader_table.items():
        assert fast_table[student] == grades, \
            f"{student}: fast {fast_table[student]} != nbgrader {grades}"
    # Feedback from the fast grader's results shows no hidden test and no reference output.
    ct.run_nbgrader(course, "generate_feedback", assignment_id, "--force")
    for html in (course / "feedback").rglob("*.html"):
        text = html.read_text()
        assert "BEGIN HIDDEN TESTS" not in text and "hidden=True" not in text, html
    released = course / "release" / assignment_id
    assert not list(released.rglob("*.npz")) and not list(released.rglob("*.py"))


@pytest.mark.parametrize("assignment_id",
                         [a for a in ASSIGNMENTS if not ct.nbgrader_grades_mutants(a)])
def test_fast_grader_catches_the_mutants_nbgrader_does_not_run(tmp_path, assignment_id):
    """A mutant of each TensorFlow assignment fails exactly its expected tests in the sandbox too.

    One per assignment (each costs a process and a TensorFlow start); all of them
    are graded at function level by tests/test_assignments.py.
    """
    released = ct.release(ct.make_course(tmp_path / "course"), assignment_id)
    for mutant in mutants(assignment_id)[:1]:
        result = fast.grade_submission(assignment_id, ct.fill_release(released, mutant),
                                       mutant.name)
        failed = {t for t, r in result.results.items() if not r["passed"]}
        assert failed == set(mutant.fails), (mutant.name, result.incidents)


def test_common_failure_groups_messages_that_differ_only_in_numbers():
    message, count = common_failure(["got 0.31, expected 1", "got 0.27, expected 1",
                                     "shape is wrong"])
    assert count == 2 and message.startswith("got 0.31")


def test_only_the_trusted_setup_cells_run(tmp_path):
    """A student's edited setup cell is replaced by the source's.

    Only graded cells come from the student.
    """
    aid = "w1a1_conv_step_by_step"
    released = ct.release(ct.make_course(tmp_path / "course"), aid)
    nb = ct.fill_release(released)
    setup = next(c for c in nb.cells if "setup" in c.metadata.get("tags", []))
    setup.source += "\nimport numpy as np\nnp.allclose = lambda *a, **k: True\n"
    cells = remote.cells_of(aid, nb)
    assert all("np.allclose = " not in (c["source"] or "") for c in cells)
    graded = {c["grade_id"] for c in cells if c["kind"] == "graded"}
    assert graded == {t.removesuffix("_tests") for t in fast.test_ids(aid)}
    result = fast.grade_submission(aid, nb, "setup-editor")
    assert all(r["passed"] for r in result.results.values())


def test_grading_on_a_dask_cluster(tmp_path):
    from dask.distributed import LocalCluster

    aid = "w1a1_conv_step_by_step"
    course = ct.make_course(tmp_path / "course")
    released = ct.release(course, aid)
    ct.submit(course, "reference", aid, ct.fill_release(released))
    ct.submit(course, "blank", aid, nbformat.read(released, as_version=4))
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=True,
                      dashboard_address=None) as cluster:
        results = fast.grade_all(course, aid, scheduler=cluster.scheduler_address,
                                 progress=lambda _: None)
    assert all(r["passed"] for r in results["reference"].results.values())
    assert not any(r["passed"] for r in results["blank"].results.values())
    paths = write_reports(aid, results, Path(tmp_path) / "report")
    assert paths["csv"].read_text().count("\n") == 3
