"""Entry point for ``python -m synthgen_sdv``."""

import sys

from synthgen_sdv.cli import main

sys.exit(main())
