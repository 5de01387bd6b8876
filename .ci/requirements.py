"""Print the runtime dependencies of pyproject.toml as a requirements file.

The Makefile installs them before the editable install (which then runs with
--no-deps), so that `--tensorflow tensorflow-cpu` can pick the CPU build of
TensorFlow without changing what the distribution declares.
"""

import argparse
from pathlib import Path

import tomllib

parser = argparse.ArgumentParser()
parser.add_argument("--tensorflow", default="tensorflow", help="package name to use for tensorflow")
args = parser.parse_args()

pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
requirements = []
for spec in pyproject["project"]["dependencies"]:
    if spec.startswith("tensorflow") and not spec.startswith("tensorflow-"):
        spec = args.tensorflow + spec[len("tensorflow"):]
    requirements.append(spec)
print("\n".join(requirements))
