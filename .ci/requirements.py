"""Print the dependencies of pyproject.toml (and the extras asked for) as a requirements file.

The Makefile installs them before the editable installs (which then run with
--no-deps), so that `--tensorflow tensorflow-cpu` can pick the CPU build of
TensorFlow without changing what the distribution declares.
"""

import argparse
from pathlib import Path

import tomllib

parser = argparse.ArgumentParser()
parser.add_argument("--tensorflow", default="tensorflow", help="package name to use for tensorflow")
parser.add_argument("--extras", default="", help="comma-separated extras to add (instructor,dev)")
args = parser.parse_args()

project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
specs = list(project["dependencies"])
for extra in filter(None, args.extras.split(",")):
    specs += project["optional-dependencies"][extra]
requirements = []
for spec in specs:
    if spec.startswith("tensorflow") and not spec.startswith("tensorflow-"):
        spec = args.tensorflow + spec[len("tensorflow"):]
    requirements.append(spec)
print("\n".join(requirements))
