"""``python -m cnn_course.graders <command>``: the same commands as ``cnn_course.graders.cli``."""

import sys

from cnn_course.graders.cli import main

sys.exit(main())
