"""``load``: an output folder into one or more warehouse engines, and their parity check."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.engines.base import Loader, LoadOptions, LoadResult, get_engine
from synthgen_sdv.engines.parity import ParityReport, check_parity
from synthgen_sdv.io import files


@dataclass
class LoadOutcome:
    """Every engine's load, the parity report when asked for, and the JSON summary."""

    loads: list[LoadResult] = field(default_factory=list)
    parity: ParityReport | None = None
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """False when the engines disagree on the parity queries."""
        return self.parity is None or self.parity.ok


def run_load(
    out_dir: str | Path,
    names: list[str],
    options: LoadOptions,
    parity: bool = False,
    json_path: Path | None = None,
    on_load: Callable[[LoadResult, Loader], None] | None = None,
) -> LoadOutcome:
    """Load ``out_dir`` into each engine of ``names`` (``on_load`` hears of each as it ends),
    then compare the parity queries across them; write the summary to ``json_path``."""
    if parity and len(names) < 2:
        raise InputError(
            "--parity compares engines: give another one, e.g. --engine duckdb --engine spark"
        )
    classes = [get_engine(n) for n in names]  # unknown names fail before anything is loaded
    loaders = [cls(options) for cls in classes]
    outcome = LoadOutcome(summary={"out_dir": str(out_dir), "loads": []})
    try:
        for loader in loaders:
            result = loader.load(out_dir)
            outcome.loads.append(result)
            if on_load is not None:
                on_load(result, loader)
            outcome.summary["loads"].append(
                {
                    "engine": result.engine,
                    "target": result.target,
                    "seconds": result.seconds,
                    "tables": {t.table: t.rows for t in result.tables},
                }
            )
        if parity:
            outcome.parity = check_parity(loaders, out_dir)
            outcome.summary["parity"] = {
                "engines": outcome.parity.engines,
                "ok": outcome.parity.ok,
                "mismatches": outcome.parity.mismatches,
            }
    finally:
        for loader in loaders:
            loader.close()
    if json_path:
        files.write_json(json_path, outcome.summary)
    return outcome
