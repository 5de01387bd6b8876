"""Shared helpers for the notebooks and the graders (``cnn_course.utils``).

Submodules:

- ``gradcheck``: numerical gradients (``eval_numerical_gradient_array``, ``rel_error``);
- ``fast_layers``: vectorised conv/pool forward and backward with the graded signatures;
- ``keras_summary``: ``summary(model)`` and ``comparator(learner, instructor)`` for Keras 3;
- ``plots``: the figures the notebooks draw;
- ``notebooks``: reading and building the notebook sources;
- ``execute``: running a notebook headlessly (smoke runs, ``make bench``);
- ``weights``: the registry of weights this project trains itself (``make weights``);
- ``runtime``: ``smoke_mode``, ``quiet_tensorflow``, ``seed_everything``, ``report_metric``.
"""

from cnn_course.utils.runtime import quiet_tensorflow, report_metric, seed_everything, smoke_mode

__all__ = ["quiet_tensorflow", "report_metric", "seed_everything", "smoke_mode"]
