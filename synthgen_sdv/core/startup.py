"""What a command-line process leaves out at start: torch, which no default command uses.

SDV imports ctgan (its CTGAN and TVAE synthesizers) and SDMetrics (its Bayesian-network
likelihood metrics) when it is imported, and both import torch, each inside a ``try``: without
torch those models and metrics are unavailable and nothing else changes. Loading torch is
1.3-1.5 s of every command's start, for models and metrics no command uses. In a command-line
process (``python -m synthgen_sdv``, the ``synthgen-sdv`` script) ``import torch`` is answered
"no torch" until ``allow_torch()``, which the code that needs torch calls first (the MOSTLY AI
synthesizer, the PyTorch Geometric export); torch then loads as usual. Library users
(``synthgen_sdv.api``, notebooks) are not touched.
"""

from __future__ import annotations

import sys
from importlib.abc import MetaPathFinder


class _NoTorch(MetaPathFinder):
    """A finder that answers ``torch`` (and its submodules) with "no such module"."""

    def find_spec(self, name, path=None, target=None):
        if name != "torch" and not name.startswith("torch."):
            return None
        raise ModuleNotFoundError(
            f"No module named {name!r}: left out of this command-line process "
            "(synthgen_sdv.core.startup); call allow_torch() before importing it",
            name=name,
        )


def leave_out_torch() -> None:
    """Install the finder, unless torch is already imported."""
    if "torch" not in sys.modules and not any(isinstance(f, _NoTorch) for f in sys.meta_path):
        sys.meta_path.insert(0, _NoTorch())


def allow_torch() -> None:
    """Remove the finder: the next ``import torch`` loads torch."""
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _NoTorch)]
