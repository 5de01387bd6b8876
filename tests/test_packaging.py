"""The repository's layout, dependency lists and entry points agree with DESIGN.md."""

import re
import subprocess
import sys

import pytest
import tomllib

from cnn_course.graders.authoring.notebooks import repo_root

ROOT = repo_root()


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ \[;]", spec.strip(), maxsplit=1)[0].lower()


def test_top_level_layout():
    for name in ("notebooks", "graders", "datasets", "utils", "tests", "environment.yml",
                 "README.md", "Makefile", "pyproject.toml", "nbgrader_config.py", ".ci/run"):
        assert (ROOT / name).exists(), f"{name} is missing from the repository root"


def test_environment_yml_lists_the_pyproject_dependencies():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project = pyproject["project"]
    specs = (project["dependencies"] + project["optional-dependencies"]["instructor"]
             + project["optional-dependencies"]["dev"])
    declared = {_name(d): d.replace(" ", "") for d in specs}
    text = (ROOT / "environment.yml").read_text()
    pip_lines = re.findall(r"^\s+- (?!-e)([A-Za-z][^\n#]*)$", text.split("- pip:", 1)[1], re.M)
    listed = {_name(line): line.strip().replace(" ", "") for line in pip_lines}
    assert listed == declared, f"environment.yml {listed} differs from pyproject.toml {declared}"
    student = {_name(d) for d in project["dependencies"]}
    assert student == {"tensorflow", "numpy", "h5py", "matplotlib", "pillow"}, (
        f"the student package must require only what the notebooks import, not {sorted(student)}")
    for required in ("jupyterlab", "nbgrader", "jupytext"):
        assert required in {_name(d) for d in project["optional-dependencies"]["instructor"]}
    assert "pytest" in {_name(d) for d in project["optional-dependencies"]["dev"]}
    assert re.search(r"tensorflow>=2\.1[6-9]|tensorflow>=2\.[2-9]\d", declared["tensorflow"])


def test_one_import_namespace_without_bare_utils_or_datasets(tmp_path):
    import cnn_course.datasets
    import cnn_course.graders
    import cnn_course.utils

    assert cnn_course.utils.__file__.startswith(str(ROOT / "utils"))
    code = ("import importlib.util as u; "
            "print(u.find_spec('utils'), u.find_spec('datasets'), u.find_spec('graders'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "None None None", \
        "a bare utils/datasets/graders must not be importable"


def test_no_sys_path_edits_or_cd():
    offenders = []
    for path in [*ROOT.glob("utils/*.py"), *ROOT.glob("graders/*.py"), *ROOT.glob("datasets/*.py"),
                 *ROOT.glob("notebooks/*/*.py")]:
        text = path.read_text()
        if "sys.path" in text or re.search(r"^\s*%cd\b", text, re.M) or "os.chdir" in text:
            offenders.append(path.name)
    assert not offenders, f"sys.path edits or %cd in {offenders}"


def test_ci_runs_make_test_only():
    lines = [ln for ln in (ROOT / ".ci/run").read_text().splitlines()
             if ln.strip() and not ln.startswith("#")]
    assert lines[-1].strip() in ("make test", "exec make test")


@pytest.mark.parametrize("target", ["setup", "build", "release", "autograde", "feedback", "demo",
                                    "demo-nbgrader", "test", "lab", "bench", "lint", "clean",
                                    "references", "data"])
def test_makefile_has_target(target):
    assert re.search(rf"^{target}:", (ROOT / "Makefile").read_text(), re.M), \
        f"make {target} is missing"


def test_generated_files_are_ignored_by_git():
    ignored = (ROOT / ".gitignore").read_text().split()
    for pattern in ("*.ipynb", "release/", ".venv/", "gradebook.db"):
        assert pattern in ignored
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True,
                             text=True).stdout.split()
    assert not [t for t in tracked if t.endswith(".ipynb") or t.startswith("release/")]


def test_readme_starts_with_a_two_command_quick_start():
    text = (ROOT / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "make demo" in quick and "make test" in quick
    for section in ("Course map", "For instructors", "For students", "Colab", "Original files"):
        assert section.lower() in text.lower(), f"README lacks {section}"
