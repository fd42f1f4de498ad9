"""Children with several modeled parents: which parent to sample under, and the other keys.

Stock HMA (sdv 1.37.4) samples such a child under the first parent its depth-first walk meets
and assigns every other key row by row: for each child row, one child copula per parent row
gives a likelihood, and a parent is drawn from them (``_find_parent_ids``: N x P models). That
is quadratic and was most of a 15-minute Sakila run. Here the same question, "which parent row
would have produced this child row?", is answered in linear time, and two structural facts
the stock path ignores are kept:

* **The sampling parent** (``learn_links``): a child is sampled under the parent from which the
  most other keys follow. ``payment`` under ``rental`` (not ``customer``): in the data every
  payment's customer is its rental's customer, so the customer key then follows exactly.
  Ties: the key with fewest nulls, then declaration order.
* **Shared ancestors** (``Constraint``): two parents of a child may reach common ancestors
  (``disp`` under ``account`` and ``client``, both under ``district``; ``order_items`` under
  ``orders`` and ``shipments``, both under ``customers`` and ``stores``). The closest common
  ancestors form a *block*; the data says how often a child row's parents sit in the same
  block (``rate``). Sampling keeps that rate: a row is drawn inside its block with probability
  ``rate`` and outside it otherwise. When the block is the target parent itself and the rate
  is ~1 (``payment.customer_id`` = its rental's customer), the key is copied (``functional``).
* **Capacities**: each parent row has a learned number of children for that key (HMA's
  ``num_rows``); rows draw parents in proportion to the capacity left and overfull parents
  return their surplus for another round, so counts are kept exactly when feasible (a few
  rows at the end may exceed, e.g. when a block has run out).

The parent of each row inside the allowed set is drawn by ``synth.parent_assignment`` (by
likelihood under the parents' learned child models, by clusters of them, or by capacity only).
Pure numpy / pandas (no SDV): ``synth.hma_sampling`` wires both into HMA.
"""

from __future__ import annotations

import graphlib
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

FUNCTIONAL = 0.999  # a consistency rate this high is a functional dependency: copy the key
MAX_HOPS = 4


# ------------------------------------------------------------------------ structure
@dataclass(frozen=True)
class Hop:
    """One step up: ``table.column`` references ``parent.key``."""

    table: str
    column: str
    parent: str
    key: str


@dataclass(frozen=True)
class Link:
    """A modeled foreign key of a child."""

    column: str
    parent: str
    key: str


@dataclass(frozen=True)
class Constraint:
    """Keep ``target`` in the same block as ``known`` with probability ``rate``.

    The block of a parent row is the tuple of its ``ancestors`` keys (the closest common
    ancestors of the two parents), reached along ``known_paths`` / ``target_paths``.
    """

    known: str
    target: str
    ancestors: tuple[str, ...]
    known_paths: tuple[tuple[Hop, ...], ...]
    target_paths: tuple[tuple[Hop, ...], ...]
    rate: float
    functional: bool

    def describe(self) -> str:
        """One line for the progress and lineage notes."""
        how = "copied (functional)" if self.functional else f"same block {self.rate:.0%}"
        return f"{self.target} vs {self.known} through {', '.join(self.ancestors)}: {how}"


@dataclass(frozen=True)
class PairSource:
    """Copy ``target`` from a row of sibling ``table`` with the same ``known`` value.

    Two parents of one child (``shipments`` and ``orders`` of ``order_items``) are themselves
    children of the same tables (customers, stores); in the data every shipment's (customer,
    store) pair is the pair of some order. Assigned independently, almost none would be, and
    no order item could then have an order and a shipment of the same customer and store.
    With probability ``rate`` (the share of rows whose pair appears in the sibling) a row
    takes ``target`` from a random sibling row with its ``known`` value.
    """

    table: str
    known: str  # this table's key already assigned
    target: str  # this table's key to assign
    sibling_known: str  # the sibling's column to the same parent as ``known``
    sibling_target: str  # the sibling's column to the same parent as ``target``
    rate: float


@dataclass
class ChildLinks:
    """A child with two or more modeled foreign keys: its sampling key and constraints."""

    child: str
    links: dict[str, Link]
    primary: str
    constraints: list[Constraint] = field(default_factory=list)
    pairs: dict[str, PairSource] = field(default_factory=dict)  # by target key

    def others(self) -> list[str]:
        """The keys assigned after sampling (all but the sampling key)."""
        return [c for c in self.links if c != self.primary]

    def best(self, target: str, known: set[str]) -> Constraint | None:
        """The constraint on ``target`` from an already assigned key with the highest rate."""
        found = [c for c in self.constraints if c.target == target and c.known in known]
        return max(found, key=lambda c: (c.functional, c.rate), default=None)

    def order(self) -> list[str]:
        """The other keys in assignment order: the best-constrained first, greedily."""
        known, todo, out = {self.primary}, self.others(), []
        while todo:
            pick = max(
                todo,
                key=lambda t: (
                    (c.functional, c.rate) if (c := self.best(t, known)) else (False, -1.0)
                ),
            )
            out.append(pick)
            todo.remove(pick)
            known.add(pick)
        return out


def _parents_of(relationships: list[dict]) -> dict[str, list[Hop]]:
    out: dict[str, list[Hop]] = {}
    for r in relationships:
        if r["parent_table_name"] == r["child_table_name"]:
            continue
        out.setdefault(r["child_table_name"], []).append(
            Hop(
                r["child_table_name"],
                r["child_foreign_key"],
                r["parent_table_name"],
                r["parent_primary_key"],
            )
        )
    return out


def ancestor_paths(
    relationships: list[dict], table: str, max_hops: int = MAX_HOPS
) -> dict[str, tuple[Hop, ...]]:
    """Shortest path (fewest hops, then declaration order) from ``table`` to each ancestor;
    ``table`` itself is reached by the empty path."""
    parents = _parents_of(relationships)
    paths: dict[str, tuple[Hop, ...]] = {table: ()}
    queue = deque([table])
    while queue:
        current = queue.popleft()
        if len(paths[current]) >= max_hops:
            continue
        for hop in parents.get(current, []):
            if hop.parent not in paths:
                paths[hop.parent] = (*paths[current], hop)
                queue.append(hop.parent)
    return paths


def follow(
    tables: dict[str, pd.DataFrame], key: str, keys: np.ndarray, path: tuple[Hop, ...]
) -> np.ndarray:
    """Ancestor keys (object array, None where unknown) of rows whose own key is ``keys``
    (the values of column ``key`` of ``path[0].table``), following ``path``."""
    current = np.asarray(keys, dtype=object)
    for hop in path:
        frame = tables[hop.table]
        pos = pd.Index(frame[key]).get_indexer(current)
        values = frame[hop.column].to_numpy(dtype=object)
        current = np.where(pos >= 0, values[np.maximum(pos, 0)], None)
        key = hop.key
    return current


def _blocks(*columns: np.ndarray) -> np.ndarray:
    """Integer ids of key tuples, -1 where any part is missing (shared across the inputs by
    the caller concatenating them)."""
    frame = pd.DataFrame({i: pd.Series(c, dtype=object) for i, c in enumerate(columns)})
    missing = frame.isna().any(axis=1).to_numpy()
    codes = frame.astype(str).agg("\x1f".join, axis=1) if frame.shape[1] > 1 else frame[0]
    ids, _ = pd.factorize(pd.Series(codes, dtype=object).where(~missing, None))
    return np.where(missing, -1, ids)


def block_ids(
    tables: dict[str, pd.DataFrame],
    child_known: np.ndarray,
    known: Link,
    parents: pd.DataFrame,
    target: Link,
    constraint: Constraint,
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """(block of each child row, block of each target parent row, the rows' ancestor keys)."""
    row_keys = [follow(tables, known.key, child_known, p) for p in constraint.known_paths]
    own = parents[target.key].to_numpy(dtype=object)
    parent_keys = [follow(tables, target.key, own, p) for p in constraint.target_paths]
    n = len(child_known)
    ids = _blocks(*[np.concatenate([r, p]) for r, p in zip(row_keys, parent_keys, strict=True)])
    return ids[:n], ids[n:], row_keys


def learn_links(
    tables: dict[str, pd.DataFrame], relationships: list[dict], null_rates: dict[str, float]
) -> dict[str, ChildLinks]:
    """For every child with two or more modeled foreign keys: the key to sample under and the
    shared-ancestor constraints between its keys, measured on the real ``tables``.

    ``null_rates`` maps ``"child.column"`` to the real null share of that key.
    """
    by_child: dict[str, dict[str, Link]] = {}
    for r in relationships:
        child = r["child_table_name"]
        if child == r["parent_table_name"]:
            continue
        by_child.setdefault(child, {})[r["child_foreign_key"]] = Link(
            r["child_foreign_key"], r["parent_table_name"], r["parent_primary_key"]
        )
    out: dict[str, ChildLinks] = {}
    sources: list[tuple[str, PairSource]] = []
    for child, links in by_child.items():
        if len(links) < 2:
            continue
        constraints = []
        for a, la in links.items():
            up_a = ancestor_paths(relationships, la.parent)
            for b, lb in links.items():
                if a == b:
                    continue
                up_b = ancestor_paths(relationships, lb.parent)
                common = set(up_a) & set(up_b)
                if not common:
                    continue
                closest = [
                    g
                    for g in sorted(common)
                    if not any(g != h and g in ancestor_paths(relationships, h) for h in common)
                ]
                con = Constraint(
                    known=a,
                    target=b,
                    ancestors=tuple(closest),
                    known_paths=tuple(up_a[g] for g in closest),
                    target_paths=tuple(up_b[g] for g in closest),
                    rate=0.0,
                    functional=False,
                )
                rate = consistency_rate(tables, child, la, lb, con)
                if rate is None:
                    continue
                functional = closest == [lb.parent] and not up_b[lb.parent] and rate >= FUNCTIONAL
                constraints.append(
                    Constraint(
                        a,
                        b,
                        con.ancestors,
                        con.known_paths,
                        con.target_paths,
                        rate,
                        functional,
                    )
                )

        pairs = {
            known: [
                p
                for target in links
                if target != known
                and (p := _pair_source(tables, by_child, child, links, known, target))
            ]
            for known in links
        }
        frame = tables.get(child)
        scores = {
            col: (
                # most other keys follow (copied, or from a sibling's pairs), fewest nulls,
                # most specific (most distinct values), then declaration order
                -sum(c.functional for c in constraints if c.known == col) - len(pairs[col]),
                null_rates.get(f"{child}.{col}", 0.0),
                -(frame[col].nunique() if frame is not None and col in frame else 0),
                i,
            )
            for i, col in enumerate(links)
        }
        primary = min(links, key=scores.__getitem__)
        out[child] = ChildLinks(child, links, primary, constraints)
        sources.extend((child, p) for p in pairs[primary])
    # a sibling is assigned first; of two that would wait for each other, the stronger wins
    order: dict[str, set[str]] = {}
    for child, source in sorted(sources, key=lambda cs: -cs[1].rate):
        trial = {**order, child: order.get(child, set()) | {source.table}}
        try:
            tuple(graphlib.TopologicalSorter(trial).static_order())
        except graphlib.CycleError:
            continue
        order = trial
        out[child].pairs[source.target] = source
    return out


PAIR_MIN_RATE = 0.5


def _pair_source(
    tables: dict[str, pd.DataFrame],
    by_child: dict[str, dict[str, Link]],
    me: str,
    links: dict[str, Link],
    known: str,
    target: str,
) -> PairSource | None:
    """The sibling whose (known, target) pairs this table's rows repeat most often, if any
    sibling shares a child with it and repeats them at least ``PAIR_MIN_RATE`` of the time."""
    p_known, p_target = links[known].parent, links[target].parent
    frame = tables.get(me)
    if frame is None or p_known == p_target:
        return None
    best = None
    for sibling, theirs in by_child.items():
        if sibling == me or sibling not in tables:
            continue
        shares_child = any(
            {me, sibling} <= {lk.parent for lk in others.values()} for others in by_child.values()
        )
        k_cols = [c for c, lk in theirs.items() if lk.parent == p_known]
        t_cols = [c for c, lk in theirs.items() if lk.parent == p_target]
        if not (shares_child and k_cols and t_cols):
            continue
        other = tables[sibling]
        seen = pd.MultiIndex.from_arrays([other[k_cols[0]], other[t_cols[0]]])
        mine = frame[[known, target]].dropna()
        if not len(mine):
            continue
        rate = float(pd.MultiIndex.from_frame(mine).isin(seen).mean())
        if rate >= PAIR_MIN_RATE and (best is None or rate > best.rate):
            best = PairSource(sibling, known, target, k_cols[0], t_cols[0], rate)
    return best


def consistency_rate(
    tables: dict[str, pd.DataFrame], child: str, known: Link, target: Link, con: Constraint
) -> float | None:
    """Share of ``child`` rows whose two parents have the same closest common ancestors
    (among rows where both are known); None if no row has both."""
    frame = tables[child]
    ok = frame[known.column].notna() & frame[target.column].notna()
    if not ok.any():
        return None
    a = [
        follow(tables, known.key, frame.loc[ok, known.column].to_numpy(object), p)
        for p in con.known_paths
    ]
    b = [
        follow(tables, target.key, frame.loc[ok, target.column].to_numpy(object), p)
        for p in con.target_paths
    ]
    n = int(ok.sum())
    ids = _blocks(*[np.concatenate([x, y]) for x, y in zip(a, b, strict=True)])
    left, right = ids[:n], ids[n:]
    defined = (left >= 0) & (right >= 0)
    if not defined.any():
        return None
    return float((left[defined] == right[defined]).mean())


def consistency(tables: dict[str, pd.DataFrame], relationships: list[dict]) -> list[dict]:
    """How often each multi-parent child's parents agree on their closest common ancestors,
    in ``tables`` (real or sampled): one row per unordered pair of keys that have any, e.g.
    ``{"child": "disp", "keys": "account_id, client_id", "through": "district", "rate": 0.97}``.
    The benchmark compares it between real and synthetic data."""
    out, seen = [], set()
    for child, links in sorted(learn_links(tables, relationships, {}).items()):
        for c in links.constraints:
            pair = tuple(sorted((c.known, c.target)))
            if (child, pair) in seen:
                continue
            seen.add((child, pair))
            out.append(
                {
                    "child": child,
                    "keys": ", ".join(pair),
                    "through": ", ".join(c.ancestors),
                    "rate": round(c.rate, 4),
                }
            )
    return out
