"""Dataset registry of the course (``cnn_course.datasets``).

Each dataset has a loader with the original course's return convention, the
original file layout, and a seeded generator of an offline stand-in. Files live
in one cache folder: ``$CNN_COURSE_DATA``, else a per-user cache directory.
Original files placed there are used as they are; otherwise the stand-in is
generated once and reused. ``make data`` prepares everything.
"""

# Importing the dataset modules registers them, in course order (hence no import sorting).
# isort: off
from cnn_course.datasets import h5sets  # noqa: F401  Happy House, SIGNS
from cnn_course.datasets import alpaca  # noqa: F401  Alpaca / not alpaca, pretrain_source
from cnn_course.datasets import road  # noqa: F401  road scenes for detection
from cnn_course.datasets import carla  # noqa: F401  CARLA-style segmentation
# isort: on
from cnn_course.datasets._registry import (
    REGISTRY,
    Dataset,
    DatasetError,
    data_dir,
    get,
    prepare,
    register,
    source_of,
)

__all__ = ["REGISTRY", "Dataset", "DatasetError", "data_dir", "get", "prepare", "register",
           "source_of"]
