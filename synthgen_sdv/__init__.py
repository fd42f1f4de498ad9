"""synthgen_sdv: synthetic TPC-DS-like warehouse data, schema metadata and labeled ETL lineage.

The Python API, in SDV's shape (pandas DataFrames, SDV's ``Metadata``)::

    import synthgen_sdv as sg
    ds = sg.generate(scale=0.2)                       # Dataset: .tables, .metadata, .labels
    model = sg.fit(ds, synthesizer="hma")             # Model
    a = model.sample(); c = model.sample(seed=3)      # fresh draws; reproducible with a seed
    model.save("model"); model = sg.load_model("model")
    report = sg.compare(reference=ds, candidates={"hma": a})
    a.write("out", format="parquet")

Names are loaded on first use (``__getattr__``), so ``import synthgen_sdv`` and the command
line's ``--help`` do not import SDV. ``synthgen_sdv.generate`` is the API function, although
the rule-based engine is a subpackage of that name: its modules import as usual
(``from synthgen_sdv.generate.engine import Engine``), but the package attribute stays the
function (``_Package``).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from synthgen_sdv.core.version import __version__

if TYPE_CHECKING:  # what the lazy names are, for type checkers and IDEs
    from sdv.metadata import Metadata

    from synthgen_sdv.runs.api import (
        AblationResult,
        Dataset,
        FitSampleResult,
        Model,
        ablation,
        fit,
        fit_sample,
        generate,
        load,
        load_model,
        read,
        validate,
    )
    from synthgen_sdv.runs.comparison import Comparison, compare

_API = "synthgen_sdv.runs.api"
#: public name -> the module that defines it
_LAZY = {
    **dict.fromkeys(
        ("generate", "read", "fit", "load_model", "fit_sample", "validate", "load", "ablation"),
        _API,
    ),
    **dict.fromkeys(("Dataset", "Model", "FitSampleResult", "AblationResult"), _API),
    "compare": "synthgen_sdv.runs.comparison",
    "Comparison": "synthgen_sdv.runs.comparison",
    "Metadata": "sdv.metadata",
}

__all__ = [
    "AblationResult",
    "Comparison",
    "Dataset",
    "FitSampleResult",
    "Metadata",
    "Model",
    "__version__",
    "ablation",
    "compare",
    "fit",
    "fit_sample",
    "generate",
    "load",
    "load_model",
    "read",
    "validate",
]


class _Package(types.ModuleType):
    """This package's module: an API name is never rebound to the subpackage of that name
    (importing ``synthgen_sdv.generate.engine`` binds ``synthgen_sdv.generate``)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    """Import the module behind a public name on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'synthgen_sdv' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
