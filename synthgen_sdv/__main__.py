"""Entry point for ``python -m synthgen_sdv``."""

import sys

try:  # Ctrl-C while the modules import (before the CLI's handlers): no traceback either
    from synthgen_sdv.cli import run

    code = run()
except KeyboardInterrupt:
    print("interrupted", file=sys.stderr)
    code = 130
sys.exit(code)
