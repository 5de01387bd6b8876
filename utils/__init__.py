"""Shared helpers of the notebooks (``cnn_course.utils``), part of the student package.

Submodules:

- ``gradcheck``: numerical gradients (``eval_numerical_gradient_array``, ``rel_error``);
- ``fast_layers``: vectorised conv/pool forward and backward with the graded signatures;
- ``keras_summary``: ``summary(model)`` and ``comparator(learner, instructor)`` for Keras 3;
- ``plots``: the figures the notebooks draw;
- ``weights``: the course's pretrained weights and where a notebook finds them;
- ``runtime``: ``smoke_mode``, ``quiet_tensorflow``, ``seed_everything``, ``report_metric``.
"""

from cnn_course.utils.runtime import quiet_tensorflow, report_metric, seed_everything, smoke_mode

__all__ = ["quiet_tensorflow", "report_metric", "seed_everything", "smoke_mode"]
