"""Databases for the multi-parent benchmark: corpus folders with their declared keys, and a
generated 9-table database with 3-parent children.

Metadata is built from each folder's ``keys.json`` (declared primary and foreign keys) plus
SDV's own column-type detection (``Metadata.detect_from_dataframes``), never from the
project's key detection, so a detection bug cannot change what is measured here. Composite
primary keys stay lists (``synth.keys.hide_keys`` hides them from HMA and rebuilds them);
relationships that would close a cycle in the modeled subgraph are listed in ``DROP`` with the
reason.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "corpus"
SHARED = ROOT.parent.parent / "shared" / "datasets"  # /work/shared/datasets from a worktree
if not SHARED.exists():
    SHARED = Path("/work/shared/datasets")
MULTIPARENT_CONFIG = ROOT / "tests" / "configs" / "multiparent"


@dataclass
class Database:
    name: str
    tables: dict[str, pd.DataFrame]
    metadata: dict  # SDV V1 dict; a primary key may be a list (composite)
    modeled: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(len(self.tables[t]) for t in self.modeled)


# what is modeled per database, and the declared links left out (with why)
# What is modeled per database, and why not more: HMA models, in each parent, every child's
# per-parent parameters (including the child's own extension columns), so a root above a deep
# chain grows quadratically. sdv's estimate for Sakila with store (2 rows) as the root: 32,559
# columns (our fit: 11 minutes); with film: 9,324; Berka with card (depth 4): 11,030 in
# district. The subsets below keep every multi-parent child and its shared ancestors.
SUBSETS = {
    "sakila": {
        # rental under customer, inventory, staff; payment under customer, staff, rental
        "modeled": ["staff", "customer", "inventory", "rental", "payment"],
        "drop": {},
    },
    "sakila_3": {
        # the three tables: payment under customer and rental, rental under customer
        "folder": "sakila",
        "modeled": ["customer", "rental", "payment"],
        "drop": {},
    },
    "oracle_co": {
        # order_items under orders and shipments, which share customers and stores
        "modeled": ["customers", "stores", "products", "orders", "shipments", "order_items"],
        "drop": {},
    },
    "berka": {
        # disp under account and client, which share district (card left out: depth 4)
        "modeled": ["district", "account", "client", "disp", "loan", "order"],
        "drop": {},
    },
}


def _folder(name: str) -> tuple[Path, dict]:
    local = CORPUS / name
    if (local / "keys.json").exists():
        return local, json.loads((local / "keys.json").read_text())
    keys = json.loads((CORPUS / "_shared_keys" / f"{name}.json").read_text())
    return SHARED / name, keys


def load_corpus_db(name: str) -> Database:
    """The modeled subset of a corpus database, with declared keys and SDV column types."""
    from sdv.metadata import Metadata

    subset = SUBSETS[name]
    folder, keys = _folder(subset.get("folder", name))
    modeled = subset["modeled"]
    drop = subset["drop"]
    # the modeled tables and every parent they refer to (keys to those are re-attached)
    needed = list(modeled)
    for fk in keys["foreign_keys"]:
        linked = fk["child"] in modeled and (fk["child"], fk["column"]) not in drop
        if linked and fk["parent"] not in needed:
            needed.append(fk["parent"])
    tables = {t: pd.read_csv(folder / f"{t}.csv", low_memory=False) for t in needed}
    for (table, column), _why in drop.items():
        tables[table] = tables[table].drop(columns=[column])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        detected = Metadata.detect_from_dataframes(tables).to_dict()
    md: dict = {"METADATA_SPEC_VERSION": "V1", "tables": {}, "relationships": []}
    fk_cols = {(f["child"], f["column"]) for f in keys["foreign_keys"]}
    for t in needed:
        cols = detected["tables"][t]["columns"]
        pk = keys["tables"][t]["primary_key"]
        for c in [pk] if isinstance(pk, str) else list(pk or []):
            cols[c] = {"sdtype": "id"}
        for table, column in fk_cols:
            if table == t and column in cols:
                cols[column] = {"sdtype": "id"}
        entry = {"columns": cols}
        if pk:
            entry["primary_key"] = pk
        md["tables"][t] = entry
        for c, meta in cols.items():
            if meta["sdtype"] == "datetime" and "datetime_format" in meta:
                tables[t][c] = pd.to_datetime(
                    tables[t][c], format=meta["datetime_format"], errors="coerce"
                )
    for fk in keys["foreign_keys"]:
        if fk["child"] in needed and fk["parent"] in needed:
            if (fk["child"], fk["column"]) in drop:
                continue
            md["relationships"].append(
                {
                    "parent_table_name": fk["parent"],
                    "child_table_name": fk["child"],
                    "parent_primary_key": fk["parent_column"],
                    "child_foreign_key": fk["column"],
                }
            )
    notes = [f"left out {t}.{c}: {why}" for (t, c), why in drop.items()]
    return Database(name, tables, md, modeled, notes)


def generated_db(scale: float = 1.0, seed: int = 7) -> Database:
    """The 9-table database of ``tests/configs/multiparent`` made by the project's own engine
    (about 75k rows at scale 1; orders, order_lines and payments have 3 parents each)."""
    from synthgen_sdv.generate.engine import Engine
    from synthgen_sdv.io import artifacts
    from synthgen_sdv.io.sink import NullSink
    from synthgen_sdv.schema.loader import load_config
    from synthgen_sdv.schema.plan import resolve_plan

    plan = resolve_plan(load_config(MULTIPARENT_CONFIG), seed=seed, scale=scale)
    result = Engine(plan, keep=set(plan.tables), progress=False).run(NullSink())
    md = artifacts.sdv_metadata(plan, result.types)
    md.setdefault("METADATA_SPEC_VERSION", "V1")
    tables = {t: result.tables[t] for t in md["tables"]}
    return Database("generated_9", tables, md, list(md["tables"]))
