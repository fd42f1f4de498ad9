"""Reading an output folder back for assertions (independent of the product's readers)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

#: a valid two-table config (customers -> orders) that the config-error tests break one way each
GOOD = """\
version: 1
tables:
  customers:
    domain: customer
    rows: 10
    primary_key: customer_id
    columns:
      customer_id: {kind: sequence}
      income: {kind: float, distribution: normal, mean: 10, std: 1}
  orders:
    domain: sales
    primary_key: order_id
    columns:
      order_id: {kind: sequence}
      customer_id: {kind: lookup, table: customers, children_per_parent: {count: 2}}
      value: {kind: derived, expr: "customers.income * 2"}
"""


def schema(out: Path) -> dict:
    return json.loads((out / "metadata" / "schema_metadata.json").read_text())


def labels(out: Path) -> dict:
    return json.loads((out / "metadata" / "labels.json").read_text())


def read(out: Path, table: str, folder: str = "data") -> pd.DataFrame:
    return pd.read_parquet(out / folder / f"{table}.parquet")


def tree_hashes(out: Path) -> dict[str, str]:
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }
