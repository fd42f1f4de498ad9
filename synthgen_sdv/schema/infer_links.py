"""How an inferred baseline generates each foreign key, so that any acyclic schema gives a plan.

The rule-based engine generates a child per row of one parent (its *driver*: children per
parent) and draws its other foreign keys from finished tables (popularity lookups). Taking the
first foreign key as the driver broke on real databases: a child of two tables of one chain
(MIMIC's ``ICUSTAYS`` under ``PATIENTS`` and ``ADMISSIONS``) looked up a table generated with it,
and drivers picked in column order made groups of tables depend on each other in a cycle
(AdventureWorksDW: ``DimDate -> DimCurrency -> DimDate``). Here each table's driver is chosen
so that neither happens: the deepest non-null parent first; a key to a table of the driver's
own chain is copied from the driver's row when the data agrees everywhere (a derived column);
a lookup that would close a cycle of groups rules the candidate out; a table with no valid
driver becomes a root whose keys are all lookups. A key to its own table, or to a table not in
the data, keeps its values' marginal (the engine cannot look up an unfinished table).
"""

from __future__ import annotations

import graphlib
import keyword
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

DRIVER, LOOKUP, DERIVED, VALUES = "driver", "lookup", "derived", "values"


@dataclass(frozen=True)
class Link:
    """One foreign key of a child: its parent and how the baseline generates it."""

    column: str
    parent: str
    parent_key: str
    how: str = LOOKUP
    expr: str | None = None  # DERIVED: the parent column it copies, '<driver table>.<column>'


@dataclass
class LinkChoice:
    """Per table: its links (in metadata order) and its driver column (None for a root)."""

    links: dict[str, list[Link]] = field(default_factory=dict)
    driver: dict[str, str | None] = field(default_factory=dict)

    def link(self, table: str, column: str) -> Link | None:
        """The link of ``table.column``, or None when the column is no foreign key."""
        return next((lk for lk in self.links.get(table, []) if lk.column == column), None)


def choose_links(tables: dict[str, pd.DataFrame], metadata: dict[str, Any]) -> LinkChoice:
    """Pick drivers, lookups and derived keys for every table of ``tables``."""
    raw: dict[str, list[Link]] = {t: [] for t in tables}
    for rel in metadata.get("relationships", []):
        child, parent = rel["child_table_name"], rel["parent_table_name"]
        if child not in tables:
            continue
        col, key = rel["child_foreign_key"], rel["parent_primary_key"]
        if col not in tables[child] or any(lk.column == col for lk in raw[child]):
            continue
        usable = parent in tables and parent != child and key in tables[parent]
        raw[child].append(Link(col, parent, key, LOOKUP if usable else VALUES))
    order = _order(raw)
    choice = LinkChoice()
    family: dict[str, str] = {}
    deps: dict[str, set[str]] = {}  # family root -> roots of the families it looks up
    for t in order:
        links = raw[t]
        for cand in _candidates(t, links, tables, family, choice):
            picked = _try_driver(t, cand, links, tables, family, deps, choice)
            if picked is not None:
                choice.links[t], choice.driver[t] = picked, cand.column
                family[t] = family[cand.parent]
                break
        else:
            family[t] = t
            deps.setdefault(t, set())
            choice.links[t], choice.driver[t] = links, None
        for lk in choice.links[t]:
            if lk.how == LOOKUP:
                deps.setdefault(family[t], set()).add(family[lk.parent])
    return choice


def _order(raw: dict[str, list[Link]]) -> list[str]:
    """Parents before children; a link that closes a cycle keeps its values instead."""
    while True:
        graph = {t: {lk.parent for lk in links if lk.how == LOOKUP} for t, links in raw.items()}
        try:
            return list(graphlib.TopologicalSorter(graph).static_order())
        except graphlib.CycleError as exc:
            cycle = exc.args[1]  # [a, b, ..., a]: a depends on b
            child, parent = cycle[0], cycle[1]
            raw[child] = [
                Link(lk.column, lk.parent, lk.parent_key, VALUES)
                if lk.parent == parent and lk.how == LOOKUP
                else lk
                for lk in raw[child]
            ]


def _depth(t: str, choice: LinkChoice) -> int:
    depth, seen = 0, set()
    while (d := choice.driver.get(t)) is not None and t not in seen:
        seen.add(t)
        t = next(lk.parent for lk in choice.links[t] if lk.column == d)
        depth += 1
    return depth


def _candidates(t, links, tables, family, choice) -> list[Link]:
    """Non-null keys to finished tables, the deepest parent first (ties: column order)."""
    frame = tables[t]
    ok = [
        lk
        for lk in links
        if lk.how == LOOKUP and lk.parent in family and not frame[lk.column].isna().any()
    ]
    return sorted(ok, key=lambda lk: -_depth(lk.parent, choice))


def _try_driver(t, cand, links, tables, family, deps, choice) -> list[Link] | None:
    """The links with ``cand`` as driver, or None when another key cannot be generated."""
    fam = family[cand.parent]
    out: list[Link] = []
    for lk in links:
        if lk is cand:
            out.append(Link(lk.column, lk.parent, lk.parent_key, DRIVER))
        elif lk.how != LOOKUP:
            out.append(lk)
        elif family[lk.parent] == fam:
            expr = _copied_from(t, cand, lk, tables, choice)
            if expr is None:
                return None
            out.append(Link(lk.column, lk.parent, lk.parent_key, DERIVED, expr))
        elif _reaches(deps, family[lk.parent], fam):
            return None  # the lookup would make the groups depend on each other in a cycle
        else:
            out.append(lk)
    return out


def _copied_from(t, cand, lk, tables, choice) -> str | None:
    """'<driver>.<column>' when every row's ``lk`` equals that column of its driver row."""
    if lk.parent == cand.parent:
        return None
    parent = tables[cand.parent]
    same = [
        c
        for c in parent.columns
        if (pl := choice.link(cand.parent, c)) is not None
        and pl.parent == lk.parent
        and pl.how != VALUES
    ]
    for col in same:
        if not (_name(cand.parent) and _name(col)):
            continue
        mapped = tables[t][cand.column].map(
            pd.Series(parent[col].to_numpy(), index=parent[cand.parent_key].to_numpy())
        )
        mine = tables[t][lk.column]
        both_null = mapped.isna().to_numpy() & mine.isna().to_numpy()
        equal = (mapped.to_numpy(dtype=object) == mine.to_numpy(dtype=object)) | both_null
        if bool(equal.all()):
            return f"{cand.parent}.{col}"
    return None


def _name(name: str) -> bool:
    """A name an expression can spell."""
    return name.isidentifier() and not keyword.iskeyword(name)


def _reaches(deps: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, stack = set(), [start]
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(deps.get(node, ()))
    return False
