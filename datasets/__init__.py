"""Dataset registry of the course (``cnn_course.datasets``).

Each dataset has a loader with the original course's return convention, the
original file layout, and a seeded generator of an offline stand-in. Files live
in one cache folder: ``$CNN_COURSE_DATA``, else a per-user cache directory.
Original files placed there are used as they are; otherwise the stand-in is
generated once and reused. ``make data`` prepares everything.
"""

from cnn_course.datasets._registry import (
    REGISTRY,
    Dataset,
    DatasetError,
    data_dir,
    generate_all,
    get,
    prepare,
    register,
    source_of,
)

__all__ = ["REGISTRY", "Dataset", "DatasetError", "data_dir", "generate_all", "get", "prepare", "register",
           "source_of"]
