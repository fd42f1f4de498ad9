"""Reads the table graph (primary keys, parent -> child relationships) out of SDV metadata.

The evaluation code accepts a plain SDV multi-table metadata dict (``Metadata.to_dict()``,
METADATA_SPEC_VERSION 'V1') or an SDV ``Metadata`` object; everything downstream works on the
dict, because that is also what SDMetrics expects.
"""

from __future__ import annotations

import graphlib
import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype
from pandas.tseries.api import guess_datetime_format

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.metadata import subgraph

Dataset = dict[str, pd.DataFrame]

# sdtypes the metrics can read as values; every other sdtype (id, email, name, ...) is an
# identifier or PII and says nothing about realism that the id-free columns do not.
VALUE_SDTYPES = ("numerical", "datetime", "categorical", "boolean")
# Fewer rows than this in the entity table make a root-entity split too coarse (see
# TableGraph.entity_root).
MIN_ENTITIES = 20
# A child of the entity root whose rows join two different root rows more often than this is
# split by its own rows instead (TableGraph.edge_entity).
EDGE_SHARE = 0.5
# Where no root can be split finely enough, a table whose split would drop more than this share
# of the rows it cuts (rows naming two different rows of its subtree) ranks after one that
# drops fewer (TableGraph.entity_root's last step).
CROSSING_SHARE = 0.01


@dataclass(frozen=True)
class Relationship:
    """One foreign key: ``child.child_key`` references ``parent.parent_key``."""

    parent: str
    parent_key: str
    child: str
    child_key: str

    @property
    def label(self) -> str:
        """'child.key -> parent.key', as reports name a relationship."""
        return f"{self.child}.{self.child_key} -> {self.parent}.{self.parent_key}"


def metadata_dict(metadata: Any) -> dict:
    """Return the SDV metadata as a dict, whether given a dict or an SDV ``Metadata``."""
    if isinstance(metadata, dict):
        md = metadata
    elif hasattr(metadata, "to_dict"):
        md = metadata.to_dict()
    else:
        raise InputError(f"metadata must be an SDV metadata dict or Metadata, got {type(metadata)}")
    if "tables" not in md or not isinstance(md["tables"], dict) or not md["tables"]:
        raise InputError("metadata has no 'tables'; expected SDV multi-table metadata (V1)")
    return md


class TableGraph:
    """Primary keys, relationships and a parent-first table order of one metadata dict."""

    def __init__(self, metadata: Any):
        self.metadata = metadata_dict(metadata)
        self.tables: list[str] = list(self.metadata["tables"])
        self.primary_keys: dict[str, str | None] = {}
        for name, tmeta in self.metadata["tables"].items():
            pk = tmeta.get("primary_key")
            if isinstance(pk, list | tuple):
                raise InputError(f"{name}: composite primary keys are not supported ({pk})")
            self.primary_keys[name] = pk
        self.relationships: list[Relationship] = []
        for rel in self.metadata.get("relationships", []):
            pk, fk = rel["parent_primary_key"], rel["child_foreign_key"]
            if isinstance(pk, list | tuple) or isinstance(fk, list | tuple):
                raise InputError(f"relationship {rel}: composite keys are not supported")
            self.relationships.append(
                Relationship(rel["parent_table_name"], pk, rel["child_table_name"], fk)
            )
        sorter = graphlib.TopologicalSorter({t: set() for t in self.tables})
        for rel in self.relationships:
            # A self-reference (employee -> manager) is not an edge of the entity tree.
            if rel.parent != rel.child:
                sorter.add(rel.child, rel.parent)
        try:
            self.order: list[str] = list(sorter.static_order())
        except graphlib.CycleError as exc:
            raise InputError(f"metadata relationships form a cycle: {exc.args[1]}") from None

    def parents_of(self, table: str) -> list[Relationship]:
        """The relationships in which ``table`` is the child (self references left out)."""
        return [r for r in self.relationships if r.child == table and r.parent != table]

    def children_of(self, table: str) -> list[Relationship]:
        """The relationships in which ``table`` is the parent (self references left out)."""
        return [r for r in self.relationships if r.parent == table and r.child != table]

    @property
    def roots(self) -> list[str]:
        """Tables without parents, in dependency order: where a split or sample can start."""
        return [t for t in self.order if not self.parents_of(t)]

    def descendants(self, table: str) -> list[str]:
        """Tables reachable from ``table`` along parent -> child edges, in parent-first order."""
        seen = {table}
        for t in self.order:
            if any(r.parent in seen for r in self.parents_of(t)):
                seen.add(t)
        return [t for t in self.order if t in seen and t != table]

    def pii_columns(self, table: str) -> list[str]:
        """Columns whose sdtype is neither a value nor a key (first_name, email, phone, ...)."""
        cols = self.metadata["tables"][table].get("columns", {})
        return [c for c, m in cols.items() if m.get("sdtype") not in (*VALUE_SDTYPES, "id")]

    def entity_root(self, data: Dataset | None = None) -> str:
        """The table whose rows are the data subjects (customers, not stores or dates).

        Structure alone cannot tell customers from a date dimension (both are roots above
        orders), so: among roots with descendants, prefer one whose subtree no table refers to
        twice (OpenFlights' routes name two airports and one airline: split by airline, every
        route stays whole; by airport, most are dropped), then the one with the most
        personal-data columns (SDV PII sdtypes such as first_name, email), then the most
        descendant tables, then the most rows that have children (a split cuts along those: a
        promotions table whose one "no promotion" row holds every sale would leave the holdout
        all or nothing), then the most rows. A split by a root that carries data in fewer than
        ``MIN_ENTITIES`` rows (7 offices above employees above customers; 4 regions; a 36-row
        colour list of which 7 colours have stock items: rows with children count, not the
        table's size) is too coarse to cut 80/20; then every table with children and enough
        rows that carry data, and every root without children and enough rows, is a candidate
        (``_fine_entity``: the rows its split would drop, personal data, then the rows its
        subtree carries), and the tables above the one chosen are shared, as dimensions are
        (car_1: 5 continents above 15 countries above 22 makers, while 406 cars stand apart:
        the cars). A child of a fine root whose rows mostly join two different root rows (trips
        between stations) is the entity instead (``edge_entity``). Pass ``root_table`` where the
        modeled subgraph is known.
        """

        def rows(t: str) -> int:
            return len(data[t]) if data is not None and t in data else 0

        def owners(t: str) -> int:
            if data is None or t not in data or self.primary_keys.get(t) is None:
                return 0
            key = data[t][self.primary_keys[t]]
            held = [
                key.isin(data[r.child][r.child_key]) for r in self.children_of(t) if r.child in data
            ]
            return int(pd.concat(held, axis=1).any(axis=1).sum()) if held else 0

        def crossings(t: str) -> int:
            """Tables below ``t`` that refer twice to one table of its subtree (an edge table:
            routes between two airports). Split by airport, a route lands in the holdout only
            when both its airports do: most routes straddle the parts and are dropped, and the
            holdout keeps a few percent of them."""
            tree = {t, *self.descendants(t)}
            return sum(
                any(
                    sum(r.parent == p for r in self.parents_of(c)) > 1
                    for p in {r.parent for r in self.parents_of(c) if r.parent in tree}
                )
                for c in self.descendants(t)
            )

        def rank(t: str) -> tuple[int, int, int, int, int, int, str]:
            n_desc = len(self.descendants(t))
            # a store's city is personal data of no one: more PII columns, more of a subject
            return (
                -min(n_desc, 1),
                crossings(t),
                -len(self.pii_columns(t)),
                -n_desc,
                -owners(t),
                -rows(t),
                t,
            )

        def grain(t: str) -> int:
            """The rows a split by ``t`` cuts the data into: every row, unless most rows have
            no children; then the rows with children (a colour no stock item has carries
            nothing: 7 of 36 colours hold all the stock), not a customer without orders (19
            of 30 customers have orders: 30 customers are cut)."""
            held = owners(t) if self.descendants(t) else rows(t)
            return held if 2 * held < rows(t) else rows(t)

        entity = sorted(self.roots, key=rank)[0]
        if data is None or grain(entity) >= MIN_ENTITIES:
            return self.edge_entity(entity, data) or entity
        return self._fine_entity(data, grain) or entity

    def _fine_entity(self, data: Dataset, grain) -> str | None:
        """The table to split by when no root is fine enough and nothing below the first one
        is: among the tables with children and a key, and the roots without children, those
        with ``MIN_ENTITIES`` rows that carry data, a table with children first, then one
        whose split drops at most ``CROSSING_SHARE`` of the rows it cuts (rows naming two
        different rows of its subtree: invoices billed to another customer), then the most
        personal-data columns (customers, not products), then the most rows its subtree
        carries whole (reachable rows, not its own size), then the most rows that carry data.
        The drops are counted here, so no ``edge_entity`` is taken after it."""

        def rows(t: str) -> int:
            return len(data[t]) if t in data else 0

        def dropped(t: str) -> int:
            tree = {t, *self.descendants(t)}
            n = 0
            for child in self.descendants(t):
                refs = [r for r in self.parents_of(child) if r.parent in tree]
                for parent in {r.parent for r in refs}:
                    cols = [r.child_key for r in refs if r.parent == parent]
                    if len(cols) > 1 and child in data:
                        frame = data[child]
                        differ = np.zeros(len(frame), dtype=bool)
                        for a, b in itertools.combinations(cols, 2):
                            x, y = frame[a], frame[b]
                            differ |= (x.notna() & y.notna() & (x != y)).to_numpy()
                        n += int(differ.sum())
            return n

        def rank(t: str) -> tuple[int, bool, int, int, int, str]:
            below = self.descendants(t)
            reach = rows(t) + sum(rows(c) for c in below)
            lost = dropped(t) if below else 0
            return (
                -min(len(below), 1),
                lost > CROSSING_SHARE * reach,
                -len(self.pii_columns(t)),
                -(reach - lost),
                -grain(t),
                t,
            )

        found = [
            t
            for t in self.tables
            if t in data
            and grain(t) >= MIN_ENTITIES
            and (
                (self.descendants(t) and self.primary_keys.get(t))
                or (t in self.roots and not self.descendants(t))
            )
        ]
        return sorted(found, key=rank)[0] if found else None

    def edge_entity(self, root: str, data: Dataset | None) -> str | None:
        """A child of ``root`` whose rows mostly join two different ``root`` rows (bike_1's
        trips, from one station to another), if any: the entity to split by instead. Split
        by ``root``, such a row stays only when both its root rows land in the same part
        (with 20% held out, about 4% of them in the holdout and a third dropped). Split by the
        child, every row is kept; ``root`` and its other tables are shared, as dimensions are.
        The largest such child with ``MIN_ENTITIES`` rows and a key (or no children) wins."""
        if data is None:
            return None
        found = []
        for child in sorted({r.child for r in self.children_of(root)} - {root}):
            refs = [r for r in self.parents_of(child) if r.parent == root]
            frame = data.get(child)
            if len(refs) < 2 or frame is None or len(frame) < MIN_ENTITIES:
                continue
            if self.descendants(child) and self.primary_keys.get(child) is None:
                continue
            a, b = frame[refs[0].child_key], frame[refs[1].child_key]
            differ = int((a.notna() & b.notna() & (a != b)).sum())
            if differ > EDGE_SHARE * len(frame):
                found.append((len(frame), child))
        return max(found)[1] if found else None

    def columns(self, table: str, sdtypes: tuple[str, ...] = VALUE_SDTYPES) -> list[str]:
        """Non-key columns of ``table`` whose sdtype is in ``sdtypes``, in metadata order."""
        keys = {self.primary_keys.get(table)}
        keys |= {r.child_key for r in self.relationships if r.child == table}
        cols = self.metadata["tables"][table].get("columns", {})
        return [c for c, m in cols.items() if c not in keys and m.get("sdtype") in sdtypes]

    def sdtype(self, table: str, column: str) -> str:
        """The column's SDV sdtype, which decides how metrics and plots read it."""
        return self.metadata["tables"][table]["columns"][column]["sdtype"]


def check_dataset(data: Dataset, graph: TableGraph, what: str) -> None:
    """Raise InputError naming every table/column mismatch between ``data`` and the metadata."""
    problems = []
    missing = [t for t in graph.tables if t not in data]
    extra = [t for t in data if t not in graph.tables]
    if missing:
        problems.append(f"missing tables {missing}")
    if extra:
        problems.append(f"tables not in the metadata {extra}")
    for t in graph.tables:
        if t not in data:
            continue
        want = set(graph.metadata["tables"][t].get("columns", {}))
        have = set(data[t].columns)
        if want - have:
            problems.append(f"{t}: missing columns {sorted(want - have)}")
        if have - want:
            problems.append(f"{t}: columns not in the metadata {sorted(have - want)}")
    if problems:
        raise InputError(f"{what} does not match the metadata: " + "; ".join(problems))


# 1/0 need no entry: they hash equal to True/False.
_BOOL_TEXT = {
    True: True,
    False: False,
    "True": True,
    "False": False,
    "true": True,
    "false": False,
    "1": True,
    "0": False,
}


def _guessed_format(values: pd.Series) -> str:
    """The format of the first text date (what pandas infers), else "mixed": each value
    read on its own, as pandas falls back to, without its warning. No format in the
    metadata: a date key is an id to SDV."""
    known = values.dropna()
    first = known.iloc[0] if len(known) else None
    return (guess_datetime_format(first) if isinstance(first, str) else None) or "mixed"


def coerce_like(data: Dataset, reference: Dataset, graph: TableGraph) -> Dataset:
    """Cast ``data``'s columns to the reference's dtypes where the sdtype allows it.

    A candidate read from CSV next to a holdout read from Parquet would otherwise compare
    ``"1"`` with ``1`` (every category unseen) or strings with timestamps.
    """
    out: Dataset = {}
    for table in graph.tables:
        df = data[table]
        ref = reference[table]
        changed = {}
        for col, meta in graph.metadata["tables"][table].get("columns", {}).items():
            if col not in df.columns or col not in ref.columns or df[col].dtype == ref[col].dtype:
                continue
            sdtype = meta.get("sdtype")
            if sdtype == "datetime" or pd.api.types.is_datetime64_any_dtype(ref[col]):
                fmt = meta.get("datetime_format") or _guessed_format(df[col])
                changed[col] = pd.to_datetime(df[col], errors="coerce", format=fmt)
            elif is_bool_dtype(ref[col]):
                changed[col] = df[col].map(_BOOL_TEXT).astype(object)
            elif is_numeric_dtype(ref[col]):
                changed[col] = pd.to_numeric(df[col], errors="coerce")
            elif ref[col].dtype == object or pd.api.types.is_string_dtype(ref[col]):
                changed[col] = (
                    df[col]
                    .astype(object)
                    .where(df[col].notna(), None)
                    .map(lambda v: v if v is None else str(v))
                )
        out[table] = df.assign(**changed) if changed else df
    return out


def subset_metadata(metadata: dict, tables: list[str]) -> dict:
    """The metadata of ``tables`` only (in the metadata's order), with the relationships among
    them."""
    keep = set(tables)
    return subgraph(metadata, [t for t in metadata["tables"] if t in keep])


def identifier_like(
    metadata: dict, real: Dataset, min_distinct: int = 20, unique_share: float = 0.9
) -> tuple[dict, list[str]]:
    """Copy of ``metadata`` with near-unique categorical columns set to sdtype 'unknown'.

    A categorical column whose real values are nearly all distinct (e-mails, names, codes
    declared as categorical) has Cramer's V = 1 with every other column, so SDMetrics scores
    it in every pair and it scores 0 against any sample that does not copy the values; it
    says nothing about realism. 'unknown' makes SDMetrics skip it. Returns the new metadata
    and the ``table.column`` names changed.
    """
    out = {**metadata, "tables": {}}
    changed = []
    for table, tmeta in metadata["tables"].items():
        cols = {}
        for col, meta in tmeta.get("columns", {}).items():
            values = real[table][col].dropna() if col in real[table] else pd.Series(dtype=object)
            n_distinct = values.nunique()
            if (
                meta.get("sdtype") == "categorical"
                and n_distinct > min_distinct
                and n_distinct >= unique_share * len(values)
            ):
                meta = {"sdtype": "unknown"}
                changed.append(f"{table}.{col}")
            cols[col] = meta
        out["tables"][table] = {**tmeta, "columns": cols}
    return out, changed


def scorable_metadata(metadata: Any) -> tuple[dict, list[str]]:
    """The metadata the evaluation reads, and what was left out of it.

    SDV metadata V1 has no composite keys, but your own data's metadata may (``primary_key:
    [a, b]``; see ``detect``): such a table is scored without a primary key (its columns stay,
    as ids), and a relationship on a composite key is left out. Returns a copy when anything
    changed; the notes say what, for the report.
    """
    md = metadata_dict(metadata)
    notes: list[str] = []
    tables = {}
    for name, tmeta in md["tables"].items():
        pk = tmeta.get("primary_key")
        if isinstance(pk, list | tuple):
            notes.append(f"{name}: composite primary key ({', '.join(pk)}) scored as plain ids")
            tmeta = {k: v for k, v in tmeta.items() if k != "primary_key"}
        tables[name] = tmeta
    rels = []
    for rel in md.get("relationships", []):
        if isinstance(rel["parent_primary_key"], list | tuple) or isinstance(
            rel["child_foreign_key"], list | tuple
        ):
            notes.append(
                f"{rel['child_table_name']} -> {rel['parent_table_name']}: a composite foreign "
                "key, not scored"
            )
            continue
        rels.append(rel)
    if not notes:
        return md, []
    return {**md, "tables": tables, "relationships": rels}, notes


def without_self_references(metadata: dict) -> dict:
    """``metadata`` without relationships from a table to itself: SDMetrics' reports fail on
    them (its pair trends look the table up under a joined name); referential integrity still
    checks them on the full metadata."""
    rels = metadata.get("relationships", [])
    kept = [r for r in rels if r["parent_table_name"] != r["child_table_name"]]
    return metadata if len(kept) == len(rels) else {**metadata, "relationships": kept}
