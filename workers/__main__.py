"""`python -m workers`: the worker-side commands."""

import sys

from workers.cli import main

sys.exit(main())
