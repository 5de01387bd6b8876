"""The visible checks of the course's notebooks, ``cnn_course.checks``, in the student package.

``cnn_course.checks.<assignment_id>`` has a ``check_<function>(fn)`` for each graded
function: fixed inputs, a few printed values, and a sentence that says what is wrong
when the function is not right. The expected values come from ``expected/`` (written
from the course's solutions) and from properties any right answer has; this package
holds no solution and no hidden test.
"""
