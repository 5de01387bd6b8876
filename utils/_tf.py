"""TensorFlow, imported on first use and quietly: one helper for the checks, graders and utils."""

from __future__ import annotations

from cnn_course.utils.runtime import quiet_tensorflow


def tensorflow():
    """The ``tensorflow`` module, imported on the first call with its logs silenced.

    nbgrader fails a test cell that writes anything to stderr. ``quiet_tensorflow`` silences
    what TensorFlow logs while it loads; the Python logger is then set to ERROR because
    AutoGraph warns on stderr when it cannot read a function's source, as for the graded
    cells that fast grading runs from a string.
    """
    quiet_tensorflow()
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    return tf
