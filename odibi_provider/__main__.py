"""``python -m odibi_provider``."""

import sys

from .cli import main

sys.exit(main())
