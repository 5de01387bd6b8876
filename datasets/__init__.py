"""Dataset registry of the course (``cnn_course.datasets``).

Each dataset has a loader with the original course's return convention, the
original file layout, and a seeded generator of an offline stand-in. Files live
in one cache folder: ``$CNN_COURSE_DATA``, else a per-user cache directory.
"""

import os
from pathlib import Path


def data_dir() -> Path:
    """The folder that holds the course's data files (created on first use)."""
    root = os.environ.get("CNN_COURSE_DATA")
    if root:
        path = Path(root).expanduser()
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        path = Path(base) / "cnn-course" / "data"
    path.mkdir(parents=True, exist_ok=True)
    return path


__all__ = ["data_dir"]
