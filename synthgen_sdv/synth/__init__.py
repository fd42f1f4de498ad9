"""Multi-table synthesizers behind one interface, registered in ``SYNTHESIZERS``.

``SYNTHESIZERS.get(name)(seed=..., **params)`` -> ``Synthesizer`` with ``fit(tables, metadata,
modeled=None)``, ``sample(scale)``, ``save``/``load``, ``params()``. Names: ``hma`` (fast
vectorized HMA, default), ``hma_stock`` (sdv's HMA, default settings), ``gaussian_copula``.
Versioned model files: ``synth.store.save_model`` / ``load_model``.
"""

from synthgen_sdv.synth import copula, hma, mostly  # noqa: F401  (register the synthesizers)
from synthgen_sdv.synth.base import SYNTHESIZERS, Synthesizer
from synthgen_sdv.synth.prepare import Prepared, prepare_for_fit, restore_after_sample
from synthgen_sdv.synth.seeding import NOT_REPRODUCIBLE, seeded
from synthgen_sdv.synth.store import load_model, save_model

__all__ = [
    "NOT_REPRODUCIBLE",
    "SYNTHESIZERS",
    "Prepared",
    "Synthesizer",
    "load_model",
    "prepare_for_fit",
    "restore_after_sample",
    "save_model",
    "seeded",
]
