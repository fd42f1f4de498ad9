"""Check the modeled subgraph against what sdv 1.37.4's HMA accepts, before SDV sees it.

Measured on sdv 1.37.4 (``HMASynthesizer(Metadata)``): it refuses self-references and cycles
("circular dependency"), a parent table without a primary key, and composite primary keys
("not supported in SDV Community"). It accepts several root trees, tables with no
relationship, a child with two parents, two foreign keys to the same parent, a child without a
primary key and diamonds; chains of any depth are accepted (1.38+ refuses deeper than 2).
A child with a second modeled parent is accepted: stock HMA assigns that second key with one
likelihood model per parent row for every child row (quadratic; minutes on tens of thousands
of rows), the fast ``hma`` in linear time (``synth/multiparent.py``); every level of depth
multiplies the number of columns the root table models; both only warn.

``check_modeled_subgraph(metadata_dict, modeled, tables)`` raises ``InputError`` listing every
problem at once, naming the tables and chains at fault and how to choose a subgraph with
``--tables a,b,c``; it returns the warnings.
"""

from __future__ import annotations

import graphlib
from collections.abc import Sequence

import pandas as pd

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.metadata import subgraph

MAX_ESTIMATED_COLUMNS = 1000  # SDV prints its PerformanceAlert above this

HOW_TO_CHOOSE = (
    "choose the tables to model with --tables a,b,c (a tree: each modeled table has at most "
    "one modeled parent); foreign keys to tables left out are re-attached to real keys after "
    "sampling"
)


def _relationships(metadata: dict, modeled: set[str]) -> list[dict]:
    return subgraph(metadata, list(modeled))["relationships"]


def check_modeled_subgraph(
    metadata: dict, modeled: Sequence[str], tables: dict[str, pd.DataFrame] | None = None
) -> list[str]:
    """Raise ``InputError`` for what HMA cannot model; return warnings for what is slow."""
    problems: list[str] = []
    warnings: list[str] = []
    known = list(metadata.get("tables", {}))
    modeled_set = set(modeled)
    for name in modeled:
        if name not in metadata.get("tables", {}):
            problems.append(
                f"table '{name}' is not in the metadata; tables are: {', '.join(known)}"
            )
        elif tables is not None and name not in tables:
            problems.append(f"table '{name}' is in the metadata but no data was given for it")
        elif tables is not None and len(tables[name]) == 0:
            problems.append(f"table '{name}' has no rows; SDV cannot fit an empty table")
    if not modeled:
        problems.append("no table to model")
    modeled_set &= set(known)
    rels = _relationships(metadata, modeled_set)

    for name in sorted(modeled_set):
        pk = metadata["tables"][name].get("primary_key")
        if isinstance(pk, list | tuple):
            problems.append(
                f"table '{name}': composite primary key {list(pk)}; sdv 1.37.4 "
                "(SDV Community) does not support composite keys"
            )
        is_parent = any(r["parent_table_name"] == name for r in rels)
        if is_parent and not pk:
            children = sorted(
                {r["child_table_name"] for r in rels if r["parent_table_name"] == name}
            )
            problems.append(
                f"table '{name}' is the parent of {', '.join(children)} but has no primary key"
            )

    for r in rels:
        if r["parent_table_name"] == r["child_table_name"]:
            problems.append(
                f"table '{r['child_table_name']}' references itself "
                f"({r['child_table_name']}.{r['child_foreign_key']} -> "
                f"{r['parent_table_name']}.{r['parent_primary_key']}); HMA cannot model "
                "self-references: drop that key from the metadata or model the table alone"
            )
    graph = {t: set() for t in modeled_set}
    for r in rels:
        if r["parent_table_name"] != r["child_table_name"]:
            graph[r["child_table_name"]].add(r["parent_table_name"])
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        problems.append(
            f"the modeled tables form a cycle ({cycle}); HMA needs a tree: leave "
            "one table of the cycle out"
        )
        order = []

    if problems:
        raise InputError(
            f"cannot model tables {', '.join(modeled)} with HMA (sdv 1.37.4):\n"
            + "\n".join(f"  - {p}" for p in problems)
            + f"\n{HOW_TO_CHOOSE}"
        )

    for child in order:
        parents = sorted({r["parent_table_name"] for r in rels if r["child_table_name"] == child})
        if len(parents) > 1:
            warnings.append(
                f"table '{child}' has {len(parents)} modeled parents ({', '.join(parents)}); "
                "hma samples it under one of them and assigns the other keys in linear time, "
                "keeping shared ancestors as consistent as in the data; hma_stock assigns "
                "them with one model per parent row for every child row (slow on large "
                "tables); leaving parents out re-attaches their keys from real frequencies"
            )
    depth = {t: 0 for t in order}
    for t in order:
        for p in graph[t]:
            depth[t] = max(depth[t], depth[p] + 1)
    estimated = _estimate_columns(metadata, modeled_set)
    if estimated is not None and estimated > MAX_ESTIMATED_COLUMNS:
        deepest = max(depth, key=depth.get)
        warnings.append(
            f"HMA will model about {_readable(estimated)} columns (chain depth "
            f"{depth[deepest] + 1}, ending at '{deepest}'); fitting and sampling time grow with it"
        )
    return warnings


def _readable(n: int) -> str:
    """4,740 or 1e+33: a huge estimate by its order of magnitude (``str`` of an int of more
    than 4,300 digits raises, and ``float`` of one past 1e308 overflows)."""
    return f"{n:,}" if n < 10**9 else f"1e+{int(n.bit_length() * 0.30103)}"


def _estimate_columns(metadata: dict, modeled: set[str]) -> int | None:
    """SDV's own estimate of the columns HMA models (its PerformanceAlert number)."""
    try:
        from sdv.metadata import Metadata
        from sdv.multi_table import HMASynthesizer

        sub = {
            "tables": {t: metadata["tables"][t] for t in modeled},
            "relationships": _relationships(metadata, modeled),
        }
        md = Metadata.load_from_dict(sub)
        return int(sum(HMASynthesizer._estimate_num_columns(md).values()))
    except Exception:  # an estimate only; SDV's own validation reports real problems later
        return None
