"""Entry point for ``python -m synthgen_sdv``."""

import sys

from synthgen_sdv.cli import run

sys.exit(run())
