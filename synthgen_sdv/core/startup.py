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
from importlib.abc import Loader, MetaPathFinder
from importlib.machinery import ModuleSpec


class _NoTorch(MetaPathFinder, Loader):
    """A finder that finds ``torch`` (and its submodules) and a loader that refuses to load
    them: ``import torch`` raises ModuleNotFoundError, while a probe
    (``importlib.util.find_spec("torch")``, which pyspark makes when a Spark session starts)
    gets a spec instead of an exception. A finder that raised broke that probe: every
    ``--engine spark`` run failed with exit 1."""

    def find_spec(self, name, path=None, target=None):
        if name != "torch" and not name.startswith("torch."):
            return None
        return ModuleSpec(name, self)

    def create_module(self, spec):
        raise ModuleNotFoundError(
            f"No module named {spec.name!r}: left out of this command-line process "
            "(synthgen_sdv.core.startup); call allow_torch() before importing it",
            name=spec.name,
        )

    def exec_module(self, module):  # never reached: create_module refuses
        raise ModuleNotFoundError(f"No module named {module.__name__!r}", name=module.__name__)


def leave_out_torch() -> None:
    """Install the finder, unless torch is already imported."""
    if "torch" not in sys.modules and not any(isinstance(f, _NoTorch) for f in sys.meta_path):
        sys.meta_path.insert(0, _NoTorch())


def allow_torch() -> None:
    """Remove the finder: the next ``import torch`` loads torch."""
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _NoTorch)]
