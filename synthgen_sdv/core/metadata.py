"""Helpers on SDV's multi-table metadata dict (spec V1), shared by every stage that reads it."""

from __future__ import annotations

from collections.abc import Iterable
from copy import deepcopy
from typing import Any


def subgraph(metadata: dict[str, Any], tables: Iterable[str], copy: bool = False) -> dict[str, Any]:
    """The metadata of ``tables`` only, in the order given, with the relationships whose parent
    and child are both kept. ``copy`` deep-copies the result.

    >>> subgraph(md, ["customers", "orders"])["relationships"]  # customers -> orders only
    """
    names = [t for t in tables if t in metadata["tables"]]
    keep = set(names)
    out = {
        **metadata,
        "tables": {t: metadata["tables"][t] for t in names},
        "relationships": [
            r
            for r in metadata.get("relationships", [])
            if r["parent_table_name"] in keep and r["child_table_name"] in keep
        ],
    }
    return deepcopy(out) if copy else out


def closure_of_parents(
    metadata: dict[str, Any], tables: list[str], extra: list[dict] | None = None
) -> list[str]:
    """``tables`` plus every table they refer to, transitively (parents first is not needed);
    ``extra`` relationships (links left out of the model) count too."""
    out = list(tables)
    rels = [*metadata.get("relationships", []), *(extra or [])]
    for t in out:
        for r in rels:
            if r["child_table_name"] == t and r["parent_table_name"] not in out:
                out.append(r["parent_table_name"])
    return out
