"""What SDV sees and what it gets back: the modeled subgraph minus PII and unmodeled keys.

``prepare_for_fit(tables, metadata_dict, modeled)`` checks the subgraph (``limits``), removes
PII columns (``pii``) and foreign keys to tables that are not modeled (``reattach``) from the
data and the metadata, and returns a ``Prepared`` value holding the reduced tables and
metadata plus everything needed to undo it. ``restore_after_sample(sampled, prepared, seed)``
re-attaches those keys, regenerates the PII columns and restores column order and dtypes.
Synthesizers call both; they are public for callers that drive SDV themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.metadata import subgraph
from synthgen_sdv.synth.limits import check_modeled_subgraph
from synthgen_sdv.synth.pii import PiiColumn, pii_columns
from synthgen_sdv.synth.reattach import (
    KeyFrequencies,
    learn_key_frequencies,
    unmodeled_foreign_keys,
)
from synthgen_sdv.synth.seeding import derive_seed


@dataclass
class Prepared:
    """What the model learns from, and what ``restore_after_sample`` needs to undo it."""

    modeled: list[str]
    model_tables: dict[str, pd.DataFrame]
    model_metadata: dict
    keys: list[KeyFrequencies] = field(default_factory=list)
    pii: list[PiiColumn] = field(default_factory=list)
    column_order: dict[str, list[str]] = field(default_factory=dict)
    dtypes: dict[str, dict[str, str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def describe(self) -> dict:
        """What was not modeled and why, for the lineage file."""
        return {
            "reattached_keys": [k.describe() for k in self.keys],
            "pii_regenerated": [p.describe() for p in self.pii],
            "warnings": list(self.warnings),
        }

    def __getstate__(self):
        # the training tables are not needed after fit; keep pickles small and free of data
        state = dict(self.__dict__)
        state["model_tables"] = {}
        return state


def _drop_column(metadata: dict, table: str, column: str) -> None:
    tmeta = metadata["tables"][table]
    tmeta["columns"].pop(column, None)
    rels = tmeta.get("column_relationships")
    if rels:
        tmeta["column_relationships"] = [r for r in rels if column not in r.get("column_names", [])]


def prepare_for_fit(
    tables: dict[str, pd.DataFrame],
    metadata: dict,
    modeled: Sequence[str] | None = None,
    pii: str = "regenerate",
    reattach_condition: str | None = "auto",
) -> Prepared:
    """Reduce ``tables`` / ``metadata`` to what the synthesizer models (see module doc)."""
    if pii not in ("regenerate", "model"):
        raise InputError(f"pii must be 'regenerate' or 'model', got '{pii}'")
    modeled = list(modeled) if modeled else list(metadata["tables"])
    warnings = check_modeled_subgraph(metadata, modeled, tables)
    sub = subgraph(metadata, modeled, copy=True)
    drop: dict[str, list[str]] = {t: [] for t in modeled}

    pii_cols: list[PiiColumn] = []
    if pii == "regenerate":
        for t in modeled:
            for p in pii_columns(tables, metadata, t):
                pii_cols.append(p)
                drop[t].append(p.column)
                _drop_column(sub, t, p.column)

    keys: list[KeyFrequencies] = []
    for rel in unmodeled_foreign_keys(metadata, modeled):
        child = rel["child_table_name"]
        fk = rel["child_foreign_key"]
        if fk == sub["tables"][child].get("primary_key"):
            continue  # a one-to-one key is the child's own identity: SDV generates it
        candidates = [
            c
            for c, m in sub["tables"][child]["columns"].items()
            if m.get("sdtype") in ("categorical", "boolean") and c != fk
        ]
        keys.append(learn_key_frequencies(tables, metadata, rel, candidates, reattach_condition))
        drop[child].append(fk)
        _drop_column(sub, child, fk)

    model_tables = {
        t: tables[t].drop(columns=[c for c in drop[t] if c in tables[t]]) for t in modeled
    }
    return Prepared(
        modeled=modeled,
        model_tables=model_tables,
        model_metadata=sub,
        keys=keys,
        pii=pii_cols,
        column_order={t: list(tables[t].columns) for t in modeled},
        dtypes={t: {c: str(d) for c, d in tables[t].dtypes.items()} for t in modeled},
        warnings=warnings,
    )


def restore_after_sample(
    sampled: dict[str, pd.DataFrame], prepared: Prepared, seed: int
) -> dict[str, pd.DataFrame]:
    """Re-attach unmodeled keys, regenerate PII, restore column order (a new dict)."""
    out = {t: df.reset_index(drop=True).copy() for t, df in sampled.items()}
    for kf in prepared.keys:
        rng = np.random.default_rng(derive_seed(seed, "reattach", kf.table, kf.column))
        out[kf.table][kf.column] = kf.draw(out[kf.table], rng).to_numpy()
    for p in prepared.pii:
        df = out[p.table]
        df[p.column] = p.generate(len(df), derive_seed(seed, "pii", p.table, p.column))
    for t, df in out.items():
        order = [c for c in prepared.column_order.get(t, []) if c in df]
        order += [c for c in df.columns if c not in order]
        out[t] = df[order]
    return out
