"""Shared helpers for the notebooks and the graders (``cnn_course.utils``).

Submodules:

- ``gradcheck``: numerical gradients (``eval_numerical_gradient_array``, ``rel_error``);
- ``fast_layers``: vectorised conv/pool forward and backward with the graded signatures;
- ``keras_summary``: ``summary(model)`` and ``comparator(learner, instructor)`` for Keras 3;
- ``plots``: the figures the notebooks draw;
- ``notebooks``: reading and building the notebook sources.
"""

from cnn_course.utils.runtime import quiet_tensorflow, smoke_mode

__all__ = ["quiet_tensorflow", "smoke_mode"]
