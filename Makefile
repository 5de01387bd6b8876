# Every workflow of the course is a target here. All targets work from a fresh
# clone: they create (or reuse) the virtual environment .venv/ first.
#
#   make demo       a small course graded by the fast grader: gradebook, report, feedback
#   make test       everything CI runs (unit tests, nbgrader round trips, smoke runs)
#   make help       list the targets

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_SYS ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# On a machine without a GPU the CPU build of TensorFlow is smaller and faster to
# install; set TF_PACKAGE=tensorflow for the GPU build.
TF_PACKAGE ?= tensorflow-cpu
STAMP := $(VENV)/.complete
COURSE := $(PY) -m cnn_course.graders
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONDONTWRITEBYTECODE := 1
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help system setup dist build release references autograde feedback demo demo-nbgrader test test-fast \
        smoke lab bench lint clean data weights nbgrader-autograde

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

# The environment is complete when the stamp exists and is newer than the
# dependency lists; anything else (a half-built .venv included) is rebuilt.
$(STAMP): pyproject.toml graders/pyproject.toml
	@if [ -d $(VENV) ] && [ ! -f $(STAMP) ]; then echo "[setup] $(VENV) is incomplete: rebuilding it"; rm -rf $(VENV); fi
	@[ -x $(PY) ] || $(PYTHON_SYS) -m venv $(VENV)
	@echo "[setup] installing dependencies into $(VENV) (a few minutes the first time)"
	$(PY) -m pip install -q --upgrade pip setuptools wheel
	$(PYTHON_SYS) .ci/requirements.py --tensorflow $(TF_PACKAGE) --extras instructor,dev > $(VENV)/requirements.txt
	$(PY) -m pip install -q -r $(VENV)/requirements.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e . -e ./graders
	$(PY) -c "import cnn_course.checks, cnn_course.graders, tensorflow, nbgrader, jupytext"
	@touch $(STAMP)
	@echo "[setup] $(VENV) is ready"

system:  ## bubblewrap (grading) and chromium (browser tests): installed as root, else says how
	@bash .ci/system_packages.sh

# The student-only Python that the grading sandbox runs student code with.
STUDENT_STAMP := $(VENV)/student/.complete
$(STUDENT_STAMP): $(STAMP)
	$(COURSE) student-env

setup: $(STAMP) $(STUDENT_STAMP) system  ## create or refresh the virtual environment .venv/ (and the system packages)

dist: $(STAMP)  ## build the student package (a wheel without answers) into dist/
	$(COURSE) dist

build: $(STAMP)  ## render notebooks/*/*.py to .ipynb (git-ignored)
	$(COURSE) build

release: $(STAMP)  ## dist, then every assignment into release/: notebook, student wheel, weights, manifest
	$(COURSE) release

references: $(STAMP)  ## regenerate graders/reference/ from the source solutions
	$(COURSE) references

autograde: $(STAMP) $(STUDENT_STAMP) system  ## fast sandboxed grading of submitted/ into the gradebook + reports (ASSIGNMENT=, JOBS=, SCHEDULER=)
	$(COURSE) grade $(ASSIGNMENT) $(if $(JOBS),--jobs $(JOBS)) $(if $(SCHEDULER),--scheduler $(SCHEDULER))

nbgrader-autograde: $(STAMP) $(STUDENT_STAMP) system  ## the stock nbgrader autograde (re-runs every notebook) of submitted/
	$(COURSE) autograde $(if $(ASSIGNMENT),--assignment $(ASSIGNMENT))

feedback: $(STAMP)  ## nbgrader generate_feedback for what was autograded, into feedback/
	$(COURSE) feedback $(if $(ASSIGNMENT),--assignment $(ASSIGNMENT))

demo: $(STAMP) $(STUDENT_STAMP) system  ## W1A1 + W1A2 cohorts (reference, blank, mutants, a cheater) fast-graded, report, feedback
	$(COURSE) demo

demo-nbgrader: $(STAMP)  ## every assignment's sample cohort through stock nbgrader autograde, print the tables
	$(COURSE) demo-nbgrader

# Two pytest-xdist workers: much of the suite waits on nbgrader and notebook
# kernels, so two keep both cores busy (tests/conftest.py keeps the tests that
# share a cohort in one worker).
TEST_JOBS ?= 2

test: $(STAMP) $(STUDENT_STAMP) system  ## unit tests, nbgrader validate/autograde round trips, smoke runs (TEST_JOBS=2)
	$(PY) -m pytest -p no:cacheprovider -n $(TEST_JOBS) --durations=15

test-fast: $(STAMP)  ## the tests that do not run nbgrader
	$(PY) -m pytest -p no:cacheprovider -m "not nbgrader"

smoke: $(STAMP)  ## execute every notebook with CNN_COURSE_SMOKE=1
	$(COURSE) smoke

# JupyterLab rooted at the course root (this folder, nbgrader_config.py's CourseDirectory.root):
# the formgrader opens notebooks by their path from there. Open the URL it prints (with its
# token): /lab, then Nbgrader > Formgrader, or /formgrader on its own. LAB_ARGS goes to Jupyter.
LAB_PORT ?= 8888

lab: build  ## JupyterLab + formgrader at the course root (LAB_PORT=8888, LAB_ARGS=--no-browser)
	$(PY) -m cnn_course.graders.engine.lab --root "$(CURDIR)" --port $(LAB_PORT) $(LAB_ARGS)

data: $(STAMP)  ## generate the offline datasets once (in the data folder) and their galleries in docs/
	$(COURSE) data

weights: $(STAMP)  ## train the weights the course makes itself, cached (NAME=... for one; minutes each)
	$(COURSE) weights $(if $(NAME),--name $(NAME))

bench: $(STAMP)  ## full-mode timings and quality (ASSIGNMENT=, ONLY=notebooks|grading, MUTANTS=, DIFFICULTY=1)
	$(COURSE) bench $(if $(ASSIGNMENT),--assignment $(ASSIGNMENT)) $(if $(DIFFICULTY),--difficulty) \
	  $(if $(ONLY),--only $(ONLY)) $(if $(MUTANTS),--mutants $(MUTANTS))

lint: $(STAMP)  ## ruff
	$(PY) -m ruff check .

clean:  ## remove built notebooks, releases, grading output (keeps .venv/)
	rm -rf build dist release submitted autograded feedback gradebook.db reports fast_grading
	find notebooks -name '*.ipynb' -delete
	find . -name __pycache__ -not -path './.venv/*' -prune -exec rm -rf {} +
