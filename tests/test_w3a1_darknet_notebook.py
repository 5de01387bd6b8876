"""W3A1 with Darknet's own YOLOv2 files in the data folder: the notebook runs that network.

A tiny network in Darknet's format (64x64 input, convolutions, max pooling, a route to two
layers, a reorg and a ``[region]`` with 5 anchors and 3 classes) is written under Darknet's
names, ``yolov2.cfg``, ``yolov2.weights`` and ``coco.names``, into a temporary data folder
that also holds the road scenes; the built notebook runs in smoke mode with
``CNN_COURSE_DATA`` pointing there and a photo of its own in ``extra_photo``.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cnn_course.datasets import data_dir, road
from cnn_course.graders.authoring.execute import run_notebook
from cnn_course.graders.authoring.notebooks import build_notebook, source_path
from cnn_course.utils import darknet as dn

AID = "w3a1_car_detection"
CFG = """
[net]
height=64
width=64
channels=3

[convolutional]
batch_normalize=1
filters=8
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[convolutional]
batch_normalize=1
filters=8
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[convolutional]
batch_normalize=1
filters=8
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[convolutional]
batch_normalize=1
filters=16
size=3
stride=1
pad=1
activation=leaky

[route]
layers=-3

[reorg]
stride=2

[route]
layers=-1,-3

[convolutional]
size=1
stride=1
pad=1
filters=40
activation=linear

[region]
anchors=0.6,0.7, 1.9,2.1, 3.3,4.4, 7.9,3.5, 9.5,9.2
classes=3
num=5
"""
NAMES = ("person", "bicycle", "car")


@pytest.fixture(scope="module")
def data_folder(tmp_path_factory):
    """A data folder with the tiny YOLOv2's three files and (linked) the road scenes."""
    folder = tmp_path_factory.mktemp("data")
    road.road_dir()  # the road scenes, in the usual data folder (generated there once)
    for path in (data_dir() / road.FOLDER, road.DATASET.marker(data_dir())):
        if path.exists():
            (folder / path.name).symlink_to(path)
    (folder / "yolov2.cfg").write_text(CFG)
    network = dn.load_darknet(folder / "yolov2.cfg")
    values = (
        np.random.default_rng(0).uniform(0.01, 0.05, dn.count_values(network)).astype(np.float32)
    )
    # The last convolution's 40 biases come before its kernel (48 x 40): a large objectness and
    # "car" logit for every anchor, so that boxes come out and get drawn with their names.
    biases = len(values) - 40 - 48 * 40
    for anchor in range(5):
        values[biases + anchor * 8 + 4] = values[biases + anchor * 8 + 5 + 2] = 6.0
    dn.write_weights(folder / "yolov2.weights", network, values)
    (folder / "coco.names").write_text("\n".join(NAMES) + "\n")
    return folder


def test_the_tiny_network_is_what_the_notebook_expects(data_folder):
    found = dn.find_yolov2(data_folder, verbose=False)
    assert (
        found.input_size == (64, 64)
        and found.class_names == list(NAMES)
        and len(found.anchors) == 5
    )
    assert found.darknet.model.output_shape == (None, 8, 8, 5 * (5 + 3))


def _printed(run, grade_id):
    cell = next(
        c
        for c in run.notebook.cells
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id
    )
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("name") == "stdout")


def test_the_notebook_runs_darknets_yolov2_from_the_data_folder(data_folder, tmp_path):
    photo = tmp_path / "my_street.jpg"
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (90, 160, 3), dtype=np.uint8)).save(
        photo
    )
    built = build_notebook(source_path(AID), tmp_path / "car_detection_yolo.ipynb")
    run = run_notebook(
        built,
        smoke=True,
        env={"CNN_COURSE_DATA": str(data_folder)},
        parameters={"extra_photo": str(photo)},
    )
    assert run.problems == [], run.problems
    assert run.metrics.get("darknet_yolov2_classes") == 3, run.metrics
    assert "car_recall_test_frames" not in run.metrics, (
        "the course detector's metrics are not YOLOv2's"
    )
    loaded = _printed(run, "load_detector")
    assert (
        f"Darknet's YOLOv2 from {data_folder}" in loaded
        and "input (64, 64), grid 8x8, 5 anchors" in loaded
    )
    assert "Found 10 boxes for my_street.jpg" in _printed(run, "extra_photo")
    assert "car 0.9" in _printed(run, "predict_test"), "the names come from coco.names"
