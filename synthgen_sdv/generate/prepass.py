"""Before a family is generated in parallel: rows per chunk (so keys), and the inferred types.

Keys of driven tables run on across chunks (orders 1..n), so chunk ``c`` must know how many
rows chunks ``0 .. c-1`` have in every member table. The pre-pass makes only the columns that
children counts read (and what those read: ``needed_columns``), which is a fraction of a chunk's
work, for every chunk; prefix sums give each chunk its first key. Then every chunk is
self-contained, so workers and Spark tasks can write their own pieces.

A column whose type only its values tell (a derived column without ``dtype``) gets the type of
its values in chunk 0, as when chunks were written in order; the probe makes only those columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from synthgen_sdv.kinds.derived import infer_logical_type
from synthgen_sdv.schema.plan import Family, Plan

Needed = dict[str, set[str]]


def needed_columns(plan: Plan, family: Family, wanted: Mapping[str, Iterable[str]]) -> Needed:
    """The columns of each member to make so that ``wanted`` and every member's row count can
    be computed: the closure over what columns read, across the family's parent links."""
    need: Needed = {t: set(wanted.get(t, ())) for t in family.members}
    members = set(family.members)
    for name in reversed(family.members):  # children first: their needs reach their parents
        tp = plan.tables[name]
        if tp.driver:  # its row count reads parent columns
            need[name].add(tp.driver)
        stack = list(need[name])
        seen: set[str] = set()
        while stack:
            col = stack.pop()
            if col in seen:
                continue
            seen.add(col)
            need[name].add(col)
            spec = tp.columns[col]
            if spec.rollup_source is not None:
                raise _NeedsWholeChunk
            for ref in spec.deps():
                alias, dot, pcol = ref.partition(".")
                if not dot:
                    if ref in tp.columns:
                        stack.append(ref)
                    continue
                lookup = tp.parent_alias[alias]
                target = tp.lookup(lookup).foreign_key_target
                if lookup != col:
                    stack.append(lookup)
                if target in members:
                    need[target].add(pcol)
    return need


class _NeedsWholeChunk(Exception):
    """A count or type that reads an aggregate of children: make the whole chunk instead."""


def closure(plan: Plan, family: Family, wanted: Mapping[str, Iterable[str]]) -> Needed | None:
    """``needed_columns``, or None when only the whole chunk will do."""
    try:
        return needed_columns(plan, family, wanted)
    except _NeedsWholeChunk:
        return None


def inferred_columns(plan: Plan, family: Family, known: Mapping[str, Mapping[str, str]]) -> Needed:
    """Emitted columns of the family whose logical type only their values tell."""
    out: Needed = {}
    for name in family.members:
        tp = plan.tables[name]
        cols = {c for c in tp.emitted if static_type(plan, name, c, known) == "inferred"}
        if cols:
            out[name] = cols
    return out


def static_type(plan: Plan, table: str, column: str, known: Mapping[str, Mapping[str, str]]) -> str:
    """A column's logical type from the config (a foreign key: its parent key's), or
    'inferred' when only its values tell."""
    tp = plan.tables[table]
    spec = tp.columns[column]
    kind = spec.logical_type()
    parent = spec.foreign_key_target
    if kind == "inferred" and parent is not None:
        key = tp.target_column(column, plan)
        kind = known.get(parent, {}).get(key) or plan.tables[parent].columns[key].logical_type()
    return kind


def table_types(
    plan: Plan,
    table: str,
    known: Mapping[str, Mapping[str, str]],
    values: Mapping[str, pd.Series],
    rows: int,
) -> dict[str, str]:
    """The logical type of every emitted column: static, else from ``values`` (chunk 0)."""
    out = {}
    for col in plan.tables[table].emitted:
        kind = static_type(plan, table, col, known)
        if kind == "inferred":
            kind = infer_logical_type(values[col]) if rows else "string"
        out[col] = kind
    return out
