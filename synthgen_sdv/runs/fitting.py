"""The realistic stage's building blocks: the bootstrap in memory, fit, sample, model identity.

Shared by fit-sample, sample, the comparison protocol (``study``) and the ablation, so none of
them imports another.
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from typing import Any

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.seeds import json_hash
from synthgen_sdv.generate.engine import Engine
from synthgen_sdv.generate.rederive import recomputed_columns, rederive, renumber_keys
from synthgen_sdv.io import artifacts
from synthgen_sdv.io.sink import NullSink
from synthgen_sdv.schema.plan import Plan
from synthgen_sdv.synth import SYNTHESIZERS


def say(msg: str) -> None:
    """A stage line on stderr."""
    print(msg, file=sys.stderr, flush=True)


@dataclass
class Bootstrap:
    tables: dict[str, Any]  # clean emitted tables
    types: dict[str, dict[str, str]]
    seconds: float


def bootstrap(plan: Plan, workers: int = 1, progress: bool = True) -> Bootstrap:
    """The rule-based dataset the synthesizer learns from, kept in memory (clean)."""
    say(f"[1/4] bootstrap: rule-based data at scale {plan.scale:g} (seed {plan.seed})")
    result = Engine(
        plan,
        workers=workers,
        keep=set(plan.tables),
        progress=progress,
        log=say if progress else None,
    ).run(NullSink())
    return Bootstrap(result.tables, result.types, result.seconds)


def model_hash(plan: Plan, model: str, modeled: list[str]) -> str:
    return json_hash({"config": plan.config_hash, "model": model, "tables": sorted(modeled)})


def fit_metadata(plan: Plan, boot: Bootstrap, modeled: list[str]) -> tuple[dict, dict]:
    """Tables and SDV metadata as the synthesizer sees them: recomputed columns removed."""
    meta = artifacts.sdv_metadata(plan, boot.types)
    tables = dict(boot.tables)
    for name in modeled:
        drop = recomputed_columns(plan, name)
        tables[name] = tables[name].drop(columns=drop)
        for col in drop:
            meta["tables"][name]["columns"].pop(col, None)
        meta["relationships"] = [
            r
            for r in meta["relationships"]
            if not (r["child_table_name"] == name and r["child_foreign_key"] in drop)
        ]
    return tables, meta


def fit_model(
    plan: Plan,
    boot: Bootstrap,
    model: str,
    modeled: list[str],
    progress: bool = True,
    params: dict[str, Any] | None = None,
):
    missing = [t for t in modeled if t not in plan.tables]
    if missing:
        raise InputError(
            f"--tables: unknown table(s) {', '.join(missing)}; tables are: {', '.join(plan.tables)}"
        )
    synth = SYNTHESIZERS.get(model)(seed=plan.seed, verbose=progress, **(params or {}))
    tables, meta = fit_metadata(plan, boot, modeled)
    rows = ", ".join(f"{t} {len(boot.tables[t]):,}" for t in modeled)
    say(f"[2/4] fit '{model}' on {rows} rows")
    synth.fit(tables, meta, modeled=modeled)
    return synth


def sample_model(
    plan: Plan, boot: Bootstrap, synth: Any, modeled: list[str], scale: float
) -> dict[str, Any]:
    say(f"[3/4] sample at {scale:g}x the fitted rows; recompute derived columns and totals")
    sampled = renumber_keys(plan, synth.sample(scale), modeled)
    tables = rederive(plan, {**boot.tables, **sampled}, modeled)
    return {t: like(tables[t][plan.tables[t].emitted], boot.tables[t]) for t in modeled}


def like(frame: Any, reference: Any) -> Any:
    """Give sampled columns the dtypes of the data they were learned from (Int64 stays Int64)."""
    out = frame.copy()
    for col in out.columns.intersection(reference.columns):
        if out[col].dtype != reference[col].dtype:
            # fractional values where the reference had integers stay as they are
            with contextlib.suppress(TypeError, ValueError):
                out[col] = out[col].astype(reference[col].dtype)
    return out
