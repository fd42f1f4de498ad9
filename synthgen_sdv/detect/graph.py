"""A graph of tables HMA can model: no cycles; the weakest link of a cycle is left out, and why.

sdv 1.37.4's HMA needs the tables and their foreign keys to form a graph without cycles (self
references are hidden and rebuilt by ``synth.keys``). Real schemas have cycles: a store has a
manager among its staff and every staff member works in a store; a department has a manager
among the employees it employs. ``break_cycles`` leaves out, cycle by cycle, the link with
the least evidence: the weakest name (found by values alone < a name that only starts like the
table < an abbreviation < the table's name or a role of it < the key's own name), then one with
empty values (optional), then the later one. A link left out is kept as ``LeftOut``, with the
reason, and its values are re-attached after sampling (``LinkShape``) so that they still point
at keys of the sampled parent, with the real share of parents referred to and the real number
of rows per parent.
"""

from __future__ import annotations

import graphlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthgen_sdv.core.tight import MIN_DISTINCT, as_numbers, is_tight, kind_of, residual_share
from synthgen_sdv.detect.links import Relationship
from synthgen_sdv.detect.names import name_level


@dataclass
class LeftOut:
    """A foreign key left out of the modeled graph, and why."""

    relationship: Relationship
    reason: str

    def as_dict(self) -> dict[str, str]:
        """The entry of ``unmodeled_relationships`` in the saved metadata."""
        return {**self.relationship.as_sdv(), "reason": self.reason}


def relationship_of(rel: dict, frames: dict[str, pd.DataFrame], metadata: dict) -> Relationship:
    """An SDV relationship entry with the strength of its name, its emptiness and whether it
    is part of the child's key (to choose which link to leave out)."""
    child, col = rel["child_table_name"], rel["child_foreign_key"]
    parent, pk = rel["parent_table_name"], rel["parent_primary_key"]
    own = metadata["tables"][child].get("primary_key")
    return Relationship(
        parent,
        pk,
        child,
        col,
        "declared in the metadata file",
        int(name_level(col, parent, pk)),
        bool(frames[child][col].isna().any()),
        col in (own if isinstance(own, list) else [own]),
    )


def _strength(r: Relationship) -> tuple:
    # a column of the child's key is never left out while another link can be
    return (r.in_key, r.level, not r.nullable)


def _weakness(r: Relationship, others: list[Relationship]) -> str:
    weaker_name = all(r.level <= o.level for o in others) and any(r.level < o.level for o in others)
    if weaker_name:
        return f"its evidence is the weakest of the cycle ({r.reason.split(';')[0]})"
    if r.nullable and not all(o.nullable for o in others):
        return "it is optional (some rows have no value) and the others are not"
    return "the links of the cycle are equally strong; the last one found is left out"


def break_cycles(rels: list[Relationship]) -> tuple[list[Relationship], list[LeftOut]]:
    """(links kept, links left out): cycles between tables broken at their weakest link."""
    kept = list(rels)
    left: list[LeftOut] = []
    while True:
        graph: dict[str, set[str]] = {}
        for r in kept:
            graph.setdefault(r.parent, set())
            if r.parent != r.child:
                graph.setdefault(r.child, set()).add(r.parent)
        try:
            graphlib.TopologicalSorter(graph).prepare()
            return kept, left
        except graphlib.CycleError as exc:
            cycle: list[str] = exc.args[1]
        # each node of the cycle is a parent of the next one
        pairs = {(cycle[i + 1], cycle[i]) for i in range(len(cycle) - 1)}
        on_cycle = [r for r in kept if (r.child, r.parent) in pairs]
        weakest = min(reversed(on_cycle), key=_strength)
        others = [r for r in on_cycle if r is not weakest]
        path = " -> ".join(reversed(cycle))
        left.append(
            LeftOut(
                weakest,
                f"closes the cycle {path} (each table refers to the next), which HMA cannot "
                f"model; left out of the model because {_weakness(weakest, others)}. Its "
                f"values are re-attached after sampling to keys of the sampled {weakest.parent}",
            )
        )
        kept.remove(weakest)


def empty_links(rels: list[Relationship], frames: dict[str, pd.DataFrame]) -> list[LeftOut]:
    """Links whose column has no value at all (sakila's ``film.original_language_id``): there
    is nothing for HMA to learn from them (its per-parent statistics need a parent referred
    to), so they are left out and re-attached as empty after sampling."""
    return [
        LeftOut(
            r,
            "the column has no values, so there is nothing to model; left out of the model "
            "and written empty, as it is in the input",
        )
        for r in rels
        if r.parent != r.child and frames[r.child][r.column].notna().sum() == 0
    ]


@dataclass
class LinkShape:
    """How a left-out foreign key uses its parent: null rate, share of parents referred to,
    the number of rows per referred parent (learned from the real tables) and, when a column
    of the child is tight to a column of the parent (``core.tight``: a payment's date is its
    rental's date), that pair and its median offset, so the re-attached key points at a parent
    whose value fits rather than at a random one."""

    null_rate: float
    referenced_share: float
    counts: np.ndarray  # rows per referred parent key, one entry per referred key
    anchor: tuple[str, str] | None = None  # (child column, parent column)
    offset: float = 0.0  # median of child - parent over the real rows (seconds for dates)

    @classmethod
    def learn(
        cls,
        child: pd.Series,
        parent_keys: pd.Series,
        child_frame: pd.DataFrame | None = None,
        parent_frame: pd.DataFrame | None = None,
    ) -> LinkShape:
        """The shape of ``child`` (the foreign key column) over ``parent_keys``; with the two
        frames, also the tightest pair of columns between them, if any."""
        values = child.dropna()
        counts = values.value_counts().to_numpy(dtype=np.int64)
        parents = max(int(parent_keys.nunique()), 1)
        shape = cls(
            float(child.isna().mean()) if len(child) else 0.0,
            min(1.0, len(counts) / parents),
            counts if len(counts) else np.ones(1, np.int64),
        )
        if child_frame is not None and parent_frame is not None:
            shape.anchor, shape.offset = _tight_pair(child, parent_keys, child_frame, parent_frame)
        return shape

    def draw(
        self,
        rows: int,
        parent_keys: pd.Series,
        rng: np.random.Generator,
        child_frame: pd.DataFrame | None = None,
        parent_frame: pd.DataFrame | None = None,
    ) -> pd.Series:
        """A foreign key column of ``rows`` rows over the (sampled) ``parent_keys``; with the
        frames and a learned pair, rows go to parents in the order of that pair's values."""
        keys = parent_keys.dropna().unique()
        out = np.full(rows, None, dtype=object)
        if rows == 0 or len(keys) == 0:
            return pd.Series(out)
        filled = np.flatnonzero(rng.random(rows) >= self.null_rate)
        k = int(min(len(keys), max(1, round(self.referenced_share * len(keys)))))
        chosen = keys[rng.permutation(len(keys))[:k]]
        weights = rng.choice(self.counts, size=k).astype(float)
        slots = _slots(weights, len(filled))
        matched = self._matched(filled, chosen, slots, child_frame, parent_frame, parent_keys)
        if matched is None:
            matched = rng.permutation(np.repeat(chosen, slots))
        out[filled] = matched
        return pd.Series(out)

    def _matched(self, filled, chosen, slots, child_frame, parent_frame, parent_keys):
        """Keys for the ``filled`` rows by rank: the rows sorted by their value minus the
        offset take the chosen parents' slots sorted by the parent's value, so the pair stays
        in step."""
        if self.anchor is None or child_frame is None or parent_frame is None:
            return None
        col, pcol = self.anchor
        pk = parent_keys.name
        if col not in child_frame or pcol not in parent_frame or pk not in parent_frame:
            return None
        target = as_numbers(child_frame[col].reset_index(drop=True))[filled] - self.offset
        by_key = pd.Series(as_numbers(parent_frame[pcol]), index=parent_frame[pk].to_numpy())
        anchor = by_key[~by_key.index.duplicated()].reindex(chosen).to_numpy()
        if np.isnan(target).all() or np.isnan(anchor).all():
            return None
        order = np.argsort(np.nan_to_num(anchor, nan=np.inf), kind="stable")
        slot_keys = np.repeat(chosen[order], slots[order])
        rows = np.argsort(np.nan_to_num(target, nan=np.inf), kind="stable")
        out = np.empty(len(filled), dtype=object)
        out[rows] = slot_keys
        return out


def _slots(counts: np.ndarray, rows: int) -> np.ndarray:
    """Rows per chosen parent: the drawn real counts scaled to ``rows`` (largest remainders),
    so the rows-per-parent shape is the real one rather than a multinomial's."""
    share = counts / counts.sum() * rows
    slots = np.floor(share).astype(np.int64)
    rest = rows - int(slots.sum())
    if rest > 0:
        slots[np.argsort(slots - share, kind="stable")[:rest]] += 1
    return slots


def _tight_pair(
    child: pd.Series, parent_keys: pd.Series, child_frame: pd.DataFrame, parent_frame: pd.DataFrame
) -> tuple[tuple[str, str] | None, float]:
    """The (child column, parent column) pair with the smallest residual share, if tight."""
    by_key = parent_frame.set_index(parent_keys.to_numpy())
    by_key = by_key[~by_key.index.duplicated()]
    joined = by_key.reindex(child.to_numpy())
    best: tuple[float, tuple[str, str], float] | None = None
    for c in child_frame.columns:
        kind = kind_of(child_frame[c])
        if kind is None or child_frame[c].nunique() < MIN_DISTINCT:
            continue
        cv = as_numbers(child_frame[c])
        for p in parent_frame.columns:
            if kind_of(parent_frame[p]) != kind or parent_frame[p].nunique() < MIN_DISTINCT:
                continue
            pv = as_numbers(joined[p].reset_index(drop=True))
            share = residual_share(cv, pv)
            if is_tight(share) and (best is None or share < best[0]):
                both = ~(np.isnan(cv) | np.isnan(pv))
                best = (share, (str(c), str(p)), float(np.median(cv[both] - pv[both])))
    return (None, 0.0) if best is None else (best[1], best[2])


PARAMETERS = 4  # per modeled column: a beta or truncated normal has 4 parameters
# Above this many estimated columns, links are left out (``limit_columns``). sdv alerts at
# 1,000; a table modeling 5,000 columns needs a 5,000 x 5,000 correlation matrix (200 MB) and
# minutes to fit; at Chinook's 18,776 (17,951 in Artist's 275 rows) fitting did not finish in
# five minutes on this project's 2-core machine.
MODELABLE_COLUMNS = 5_000
# Estimates saturate here: each level of a chain squares the columns, so a chain of 40 tables
# has an estimate of about 2**40 digits, which took minutes of big-integer arithmetic to reach
# (sakila's 6-level chain, 10**33, stays below the cap).
ESTIMATE_CAP = 10**100


def estimate_columns(metadata: dict) -> int:
    """The columns HMA models for ``metadata``: sdv's own count, computed in a fixed order.

    sdv 1.37.4's ``HMASynthesizer._estimate_num_columns`` walks Python sets and stops at a
    cap, so on a deep schema its number changes from run to run (sakila: 8.5e7 or 8.9e33 by
    hash seed). This is its formula without either: every child adds, per foreign key to its
    parent, a row count, ``PARAMETERS`` per column it models and their pairwise correlations.
    """
    tables = metadata["tables"]
    rels = [
        r
        for r in metadata.get("relationships", [])
        if r["parent_table_name"] != r["child_table_name"]
    ]
    fks: dict[tuple[str, str], int] = {}
    foreign: dict[str, set[str]] = {}
    for r in rels:
        pair = (r["parent_table_name"], r["child_table_name"])
        fks[pair] = fks.get(pair, 0) + 1
        foreign.setdefault(r["child_table_name"], set()).add(r["child_foreign_key"])
    data = {}
    for name, tmeta in tables.items():
        pk = tmeta.get("primary_key")
        keys = foreign.get(name, set()) | set(pk if isinstance(pk, list) else [pk] if pk else [])
        data[name] = sum(
            1
            for col, cmeta in tmeta["columns"].items()
            if cmeta.get("sdtype") != "id" or (col not in keys and not cmeta.get("pii", False))
        )
    children: dict[str, list[tuple[str, int]]] = {}
    for (parent, child), n in sorted(fks.items()):
        children.setdefault(parent, []).append((child, n))
    extended: dict[str, int] = {}

    def walk(table: str, path: tuple[str, ...]) -> int:
        if table in extended:
            return extended[table]
        total = 0
        for child, n in children.get(table, []):
            if child in path:
                continue
            cols = min(data[child] + walk(child, (*path, child)), ESTIMATE_CAP)
            total += n if cols == 0 else n * (1 + PARAMETERS * cols + (cols - 1) * cols // 2)
        extended[table] = total = min(total, ESTIMATE_CAP)
        return total

    return min(sum(data[t] + walk(t, (t,)) for t in sorted(tables)), ESTIMATE_CAP)


def _depths(metadata: dict) -> tuple[dict[str, int], dict[str, str]]:
    """Per table, the tables in the longest parent -> child chain ending at it (1 without
    parents), and the parent that chain comes through."""
    parents: dict[str, set[str]] = {}
    for r in metadata.get("relationships", []):
        if r["parent_table_name"] != r["child_table_name"]:
            parents.setdefault(r["child_table_name"], set()).add(r["parent_table_name"])
    depth: dict[str, int] = {}
    via: dict[str, str] = {}

    def down(table: str, path: frozenset[str]) -> int:
        if table not in depth:
            ups = sorted(p for p in parents.get(table, ()) if p not in path)
            best = max(ups, key=lambda p: down(p, path | {p}), default=None)
            depth[table] = 1 + (down(best, path | {best}) if best else 0)
            if best:
                via[table] = best
        return depth[table]

    for t in metadata["tables"]:
        down(t, frozenset([t]))
    return depth, via


def chain_depths(metadata: dict) -> int:
    """The sum over tables of the longest chain ending at each: every cut that shortens a
    chain lowers it, most of all a cut in the middle of the longest one."""
    return sum(_depths(metadata)[0].values())


def longest_chain(metadata: dict) -> set[tuple[str, str]]:
    """The (parent, child) links of one longest parent -> child chain."""
    depth, via = _depths(metadata)
    if not depth:
        return set()
    table = max(sorted(depth), key=depth.__getitem__)
    links = set()
    while table in via:
        links.add((via[table], table))
        table = via[table]
    return links


def _count(n: int) -> str:
    """A column estimate as people read it: 4,740; 8.9e+33; more than 1e+100."""
    if n >= ESTIMATE_CAP:
        return f"more than {float(ESTIMATE_CAP):.0e}"
    return f"{n:,}" if n < 10**9 else f"{float(n):.1e}"


def limit_columns(
    metadata: dict,
    rels: list[Relationship],
    limit: int = MODELABLE_COLUMNS,
    estimate=estimate_columns,
) -> list[LeftOut]:
    """Links to leave out so that HMA models at most about ``limit`` columns.

    Every level of a chain multiplies the columns HMA's root tables model (sakila's 6-level
    chain: 10**33). Link by link, the weakest one whose removal brings the estimate under
    ``limit`` is left out (among equals, one of a table with other parents, so that every
    table stays attached); when none does, the one that lowers it most. Links found unneeded
    afterwards are put back, strongest first. A link whose column is part of its table's key
    is never left out.
    """
    md = {**metadata, "relationships": list(metadata.get("relationships", []))}
    current = estimate(md)
    left: list[LeftOut] = []
    candidates = [r for r in rels if r.as_sdv() in md["relationships"] and not r.in_key]
    while current > limit and candidates:
        trials = []
        pool = candidates
        if current >= ESTIMATE_CAP:  # estimates tie: cut the longest chain, one of its links
            chain = longest_chain(md)
            pool = [r for r in candidates if (r.parent, r.child) in chain] or candidates
        for r in pool:
            trial = {**md, "relationships": [x for x in md["relationships"] if x != r.as_sdv()]}
            # a link of a child with other parents goes first: the child stays attached
            alone = not any(
                x["child_table_name"] == r.child and x["parent_table_name"] != r.parent
                for x in trial["relationships"]
            )
            after = estimate(trial)
            # past the cap estimates tie: then the cut that shortens chains most is the better
            depth = chain_depths(trial) if after >= ESTIMATE_CAP else 0
            trials.append((after, depth, (*_strength(r), alone), r))
        under = [t for t in trials if t[0] <= limit]
        after, depth, _, chosen = (
            min(under, key=lambda t: (t[2], t[0])) if under else min(trials, key=lambda t: t[:3])
        )
        if (after, depth) >= (current, chain_depths(md) if current >= ESTIMATE_CAP else 0):
            break
        why = "the weakest link whose removal is enough" if under else "the most effective link"
        left.append(
            LeftOut(
                chosen,
                f"HMA would model about {_count(current)} columns for these tables (every "
                f"level of a chain multiplies them; more than {limit:,} do not fit in "
                f"reasonable time and memory); left out as {why}, bringing the estimate to "
                f"{_count(after)}. Its "
                f"values are re-attached after sampling to keys of {chosen.parent}",
            )
        )
        md["relationships"] = [x for x in md["relationships"] if x != chosen.as_sdv()]
        candidates.remove(chosen)
        current = after
    for lo in sorted(left, key=lambda x: _strength(x.relationship), reverse=True):
        back = [*md["relationships"], lo.relationship.as_sdv()]  # not needed after all?
        if current <= limit and estimate({**md, "relationships": back}) <= limit:
            md["relationships"] = back
            left.remove(lo)
    return left
