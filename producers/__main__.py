"""`python -m producers`: same as the `newsflow` console script."""

import sys

from producers.cli import main

sys.exit(main())
