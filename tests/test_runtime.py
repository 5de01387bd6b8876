"""quiet_tensorflow: TensorFlow imports without a word on stderr, with oneDNN turned on."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

SCRIPT = """
import sys
from cnn_course.utils import quiet_tensorflow
quiet_tensorflow()
assert "tensorflow" not in sys.modules, "quiet_tensorflow should not import TensorFlow itself"
import keras  # imports TensorFlow through the hook
import tensorflow as tf
print(tf.reduce_sum(tf.ones(3)).numpy(), file=sys.stderr)  # stderr works again afterwards
print("imported", sys.modules.get("tensorflow") is tf)
"""


def _run(env_changes: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS")}
    env.update(env_changes)
    return subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env,
                          timeout=300)


def test_tensorflow_imports_silently_and_stderr_comes_back():
    run = _run({})
    assert run.returncode == 0, run.stderr
    assert run.stderr == "3.0\n"  # TensorFlow's oneDNN line is gone, our own line is there
    assert run.stdout.split()[-1] == "True"


@pytest.mark.skipif(platform.machine() != "x86_64",
                    reason="the lines checked are those of x86-64 builds")
def test_without_the_hook_tensorflow_does_write_to_stderr():
    """The check above can fail: a plain import writes to stderr.

    What it writes depends on the CPU: the oneDNN line on CPUs with AVX-512, a
    cpu_feature_guard line (and no oneDNN line) on others.
    """
    run = subprocess.run([sys.executable, "-c", "import tensorflow"], capture_output=True,
                         text=True, timeout=300,
                         env={k: v for k, v in os.environ.items()
                              if k not in ("TF_ENABLE_ONEDNN_OPTS", "TF_CPP_MIN_LOG_LEVEL")})
    assert run.returncode == 0
    assert "oneDNN" in run.stderr or "cpu_feature_guard" in run.stderr, run.stderr


def test_onednn_is_turned_on_unless_set(monkeypatch):
    """Unset, it becomes 1 (TensorFlow leaves oneDNN off on CPUs without AVX-512).

    A user's 0 is kept.
    """
    from cnn_course.utils import quiet_tensorflow

    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    quiet_tensorflow()
    assert os.environ.get("TF_ENABLE_ONEDNN_OPTS") == "1"
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    quiet_tensorflow()
    assert os.environ.get("TF_ENABLE_ONEDNN_OPTS") == "0"


def test_tensorflow_reports_onednn_on_after_the_hook():
    """TensorFlow itself says oneDNN is on when it loads, on any x86-64 CPU.

    That is the line the hook swallows.
    """
    script = ("import os\nfrom cnn_course.utils import quiet_tensorflow\nquiet_tensorflow()\n"
              "os.environ['TF_CPP_MIN_LOG_LEVEL'] = '0'\nimport sys, subprocess\n"
              "sys.exit(subprocess.run([sys.executable, '-c', 'import tensorflow']).returncode)\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS")}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    if platform.machine() == "x86_64":
        assert "oneDNN custom operations are on" in run.stderr, run.stderr


@pytest.mark.parametrize("switch, nbgrader, smoke", [("", "", False), ("1", "", True),
                                                     ("", "1", True), ("0", "1", False),
                                                     ("0", "", False), ("1", "1", True)])
def test_smoke_mode_follows_the_switch_and_nbgrader(monkeypatch, switch, nbgrader, smoke):
    from cnn_course.utils.runtime import smoke_mode

    for name, value in (("CNN_COURSE_SMOKE", switch), ("NBGRADER_EXECUTION", nbgrader)):
        if value:
            monkeypatch.setenv(name, value)
        else:
            monkeypatch.delenv(name, raising=False)
    assert smoke_mode() is smoke
