"""The realistic stage's building blocks: the bootstrap in memory, fit, sample, model identity.

Shared by fit-sample, sample, the comparison protocol (``study``) and the ablation, so none of
them imports another.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.progress import Progress
from synthgen_sdv.generate.engine import Engine
from synthgen_sdv.generate.rederive import recomputed_columns, rederive, renumber_keys
from synthgen_sdv.io import artifacts
from synthgen_sdv.io.sink import NullSink
from synthgen_sdv.schema.plan import Plan
from synthgen_sdv.synth import SYNTHESIZERS
from synthgen_sdv.synth.base import Synthesizer

#: stage lines of callers that pass no reporter (the study and the ablation capture them)
STAGES = Progress()


@dataclass
class Bootstrap:
    """The rule-based tables a synthesizer learns from (clean, in memory) and their types."""

    tables: dict[str, Any]  # clean emitted tables
    types: dict[str, dict[str, str]]
    seconds: float


def bootstrap(
    plan: Plan, workers: int = 1, progress: bool = True, *, reporter: Progress | None = None
) -> Bootstrap:
    """The rule-based dataset the synthesizer learns from, kept in memory (clean)."""
    (reporter or STAGES).stage(
        f"bootstrap: rule-based data at scale {plan.scale:g} (seed {plan.seed})"
    )
    log = (reporter or STAGES).detail if progress else None  # a line per table with -v
    result = Engine(
        plan,
        workers=workers,
        keep=set(plan.tables),
        progress=progress,
        log=log,
    ).run(NullSink())
    return Bootstrap(result.tables, result.types, result.seconds)


def check_modeled(modeled: list[str], tables: list[str]) -> None:
    """Refuse modeled tables that do not exist, naming the ones that do."""
    missing = [t for t in modeled if t not in tables]
    if missing:
        raise InputError(
            f"--tables: unknown table(s) {', '.join(missing)}; tables are: {', '.join(tables)}"
        )


def fit_synthesizer(
    model: str,
    tables: dict[str, Any],
    metadata: dict[str, Any],
    modeled: list[str],
    seed: int,
    verbose: bool = True,
    params: dict[str, Any] | None = None,
) -> Synthesizer:
    """A registered synthesizer fitted on ``modeled`` of ``tables`` (whatever they came from)."""
    try:
        synth = SYNTHESIZERS.get(model)(seed=seed, verbose=verbose, **(params or {}))
    except (TypeError, ValueError) as exc:  # a parameter of the wrong name or type
        raise InputError(f"synthesizer {model} with parameters {params}: {exc}") from None
    synth.fit(tables, metadata, modeled=modeled)
    return synth


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


def fit_line(model: str, tables: dict[str, Any], modeled: list[str]) -> str:
    """The stage line of a fit: which synthesizer, on how many rows of which tables."""
    rows = ", ".join(f"{t} {len(tables[t]):,}" for t in modeled)
    return f"fit '{model}' on {rows} rows"


def fit_model(
    plan: Plan,
    boot: Bootstrap,
    model: str,
    modeled: list[str],
    progress: bool = True,
    params: dict[str, Any] | None = None,
) -> Synthesizer:
    """Fit ``model`` on the ``modeled`` tables of a bootstrap (recomputed columns left out)."""
    check_modeled(modeled, list(plan.tables))
    tables, meta = fit_metadata(plan, boot, modeled)
    STAGES.detail(fit_line(model, boot.tables, modeled))
    return fit_synthesizer(model, tables, meta, modeled, plan.seed, progress, params)


def finish_sampled(
    plan: Plan,
    boot: Bootstrap,
    sampled: dict[str, Any],
    modeled: list[str],
    offsets: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """Sampled tables made exact: keys renumbered like the config's (after ``offsets`` rows
    of each table, for a batch), derived columns and totals recomputed, bootstrap dtypes."""
    renumbered = renumber_keys(plan, sampled, modeled, offsets)
    tables = rederive(plan, {**boot.tables, **renumbered}, modeled)
    return {t: like(tables[t][plan.tables[t].emitted], boot.tables[t]) for t in modeled}


def sample_model(
    plan: Plan, boot: Bootstrap, synth: Any, modeled: list[str], scale: float
) -> dict[str, Any]:
    """Sample ``scale`` times the fitted rows and finish them (``finish_sampled``)."""
    STAGES.detail(f"sample at {scale:g}x the fitted rows; recompute derived columns and totals")
    return finish_sampled(plan, boot, synth.sample(scale), modeled)


def like(frame: Any, reference: Any) -> Any:
    """Give sampled columns the dtypes of the data they were learned from (Int64 stays Int64)."""
    out = frame.copy()
    for col in out.columns.intersection(reference.columns):
        if out[col].dtype != reference[col].dtype:
            # fractional values where the reference had integers stay as they are
            with contextlib.suppress(TypeError, ValueError):
                out[col] = out[col].astype(reference[col].dtype)
    return out
