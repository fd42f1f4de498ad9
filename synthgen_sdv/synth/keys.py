"""Keys sdv 1.37.4's HMA cannot model (composite keys, self references): hidden, then rebuilt.

Measured on sdv 1.37.4: ``HMASynthesizer`` refuses a composite primary key ("not supported in
SDV Community") and a self reference ("circular dependency"); ``synth.limits`` says so before
SDV is called. For user data both are common, so ``hide_keys`` takes them out of what the
synthesizer sees and ``rebuild_keys`` puts them back after sampling:

* composite key ``(order_id, product_id)``: SDV metadata V1 has no composite foreign keys, so
  such a table is never a parent; the synthesizer models it without a primary key (its columns
  stay ordinary foreign keys). After sampling, rows that repeat a key combination get a new
  value in the key's *free* column (the one not tied to a modeled parent, else the last one),
  drawn from the valid values with their sampled frequencies and unused within the group.
  When a group has used every valid value (a sample larger than the data: ``--scale 2``
  gives a GTFS shape twice its points), a free column that counts within its group in the
  data (line and sequence numbers: ``sequence``) continues the count; otherwise the row moves
  to another sampled row's values of the key columns not tied to a parent (a team in another
  season), where its free value is unused. Only a row no move places is dropped (and counted
  in the notes).
* self reference ``employees.reports_to -> employees.employee_id``: the relationship and the
  column are hidden from the synthesizer; after sampling the column is rebuilt from the sampled
  table's own keys as a forest: rows are ordered with the null (top) rows first, the first
  ``referenced share`` rows are the referenced ones (managers), and every non-null row points to
  a manager placed before it. The learned null rate and share of referenced rows are kept and
  there is no cycle. A self reference without nulls in the input (every row points somewhere)
  cannot be a forest; it is drawn from the keys without the no-cycle guarantee.
* shared key ``document_details.document_id``, the table's key and a reference to
  ``documents.document_id`` (a one-to-one extension table): SDV draws a key of its own, which
  names no parent row (sdv 1.37.4 then drops every row: "All references ... are unknown").
  A table no other table refers to is modeled without its key: the column stays a reference,
  so rows are drawn under their parent rows, and after sampling the rows repeating a parent
  (the count model may give a parent two) are dropped. A table others refer to keeps its key
  and loses the link; after sampling its keys are mapped one-to-one onto distinct sampled
  parent keys, and its children's references follow the same map.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from copy import deepcopy
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

REJECTION_TRIES = 64
MAX_MISSES = 256  # rows dropped before moving rows to other groups is given up (bounded time)


@dataclass
class CompositeKey:
    """A composite key hidden from HMA: one free column is redrawn where combinations repeat."""

    table: str
    columns: list[str]
    free: str
    fixed: list[str]
    # the free column's valid values come from this parent key (or its own observed values)
    parent: tuple[str, str] | None
    observed: np.ndarray
    tied: list[str] = field(default_factory=list)  # key columns that refer to modeled parents
    sequence: bool = False  # the free column counts rows within its group (1..n)

    def describe(self) -> str:
        """What was hidden and how it is rebuilt, for the run's notes."""
        return (
            f"{self.table}: composite key ({', '.join(self.columns)}) modeled without a key; "
            f"repeated combinations get a new '{self.free}' after sampling"
        )


@dataclass
class SelfReference:
    """A self reference hidden from HMA, rebuilt after sampling with the learned shape."""

    table: str
    column: str
    key: str
    null_rate: float
    referenced_share: float
    acyclic: bool

    def describe(self) -> str:
        """What was hidden and how it is rebuilt, for the run's notes."""
        return (
            f"{self.table}.{self.column} -> {self.table}.{self.key}: self reference hidden from "
            f"the synthesizer, rebuilt from sampled keys (null rate {self.null_rate:.2f}, "
            f"{self.referenced_share:.0%} of rows referenced"
            + (", no cycles)" if self.acyclic else ")")
        )


@dataclass
class SharedKey:
    """A primary key that is also a reference to another table, hidden from HMA one way or
    the other (see the module docstring): ``remap`` when other tables refer to it."""

    table: str
    column: str
    parent: str
    key: str
    remap: bool
    children: list[tuple[str, str]] = field(default_factory=list)  # (child, its column)

    def describe(self) -> str:
        """What was hidden and how it is rebuilt, for the run's notes."""
        link = f"{self.table}.{self.column} -> {self.parent}.{self.key}"
        if self.remap:
            return (
                f"{link}: the key is also a reference; modeled as a key, then mapped one-to-one "
                f"onto sampled {self.parent} keys"
            )
        return f"{link}: the key is also a reference; modeled as the reference, made unique again"


@dataclass
class HiddenKeys:
    """What the synthesizer is given, and how to rebuild what was hidden from it."""

    tables: dict[str, pd.DataFrame]
    metadata: dict
    composites: list[CompositeKey] = field(default_factory=list)
    self_references: list[SelfReference] = field(default_factory=list)
    shared: list[SharedKey] = field(default_factory=list)

    def describe(self) -> list[str]:
        """One note per hidden key."""
        return [k.describe() for k in (*self.composites, *self.self_references, *self.shared)]


def hide_keys(
    tables: dict[str, pd.DataFrame], metadata: dict, modeled: Sequence[str]
) -> HiddenKeys:
    """Tables and metadata without composite keys and self references of modeled tables."""
    modeled_set = set(modeled)
    md = deepcopy(metadata)
    out = dict(tables)
    composites: list[CompositeKey] = []
    selfrefs: list[SelfReference] = []
    for rel in [r for r in md.get("relationships", []) if r["child_table_name"] in modeled_set]:
        table = rel["child_table_name"]
        if rel["parent_table_name"] != table:
            continue
        col, key = rel["child_foreign_key"], rel["parent_primary_key"]
        values = tables[table][col]
        referenced = values.dropna().nunique()
        null_rate = float(values.isna().mean())
        selfrefs.append(
            SelfReference(
                table,
                col,
                key,
                null_rate,
                referenced / max(len(values), 1),
                acyclic=null_rate > 0,
            )
        )
        md["relationships"].remove(rel)
        md["tables"][table]["columns"].pop(col, None)
        out[table] = out[table].drop(columns=[col])
    shared = _hide_shared(md, modeled_set)
    for table in modeled:
        pk = md["tables"][table].get("primary_key")
        if not isinstance(pk, list):
            continue
        md["tables"][table].pop("primary_key")
        fk_parent = {
            r["child_foreign_key"]: (r["parent_table_name"], r["parent_primary_key"])
            for r in md.get("relationships", [])
            if r["child_table_name"] == table
        }
        tied = [c for c in pk if c in fk_parent and fk_parent[c][0] in modeled_set]
        free = next((c for c in reversed(pk) if c not in tied), pk[-1])
        fixed = [c for c in pk if c != free]
        composites.append(
            CompositeKey(
                table,
                list(pk),
                free,
                fixed,
                fk_parent.get(free),
                tables[table][free].dropna().unique(),
                tied,
                free not in fk_parent and _counts_within(tables[table], fixed, free),
            )
        )
    return HiddenKeys(out, md, composites, selfrefs, shared)


def _hide_shared(md: dict, modeled: set[str]) -> list[SharedKey]:
    """Take every primary key that is also a reference out of ``md`` (see SharedKey)."""
    found: list[SharedKey] = []
    rels = md.get("relationships", [])
    for rel in list(rels):
        table, col = rel["child_table_name"], rel["child_foreign_key"]
        parent = rel["parent_table_name"]
        if table not in modeled or parent not in modeled or parent == table:
            continue
        if md["tables"][table].get("primary_key") != col or any(s.table == table for s in found):
            continue
        children = [
            (r["child_table_name"], r["child_foreign_key"])
            for r in rels
            if r["parent_table_name"] == table and r["child_table_name"] != table
        ]
        remap = bool(children)
        if remap:
            rels.remove(rel)
        else:
            md["tables"][table].pop("primary_key")
        found.append(SharedKey(table, col, parent, rel["parent_primary_key"], remap, children))
    return found


def rebuild_keys(
    sampled: dict[str, pd.DataFrame],
    hidden: HiddenKeys,
    real: dict[str, pd.DataFrame],
    rng: np.random.Generator,
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Re-create self references and make composite keys unique again; returns notes."""
    out = dict(sampled)
    notes: list[str] = []
    for ref in hidden.self_references:
        df = out[ref.table].copy()
        df[ref.column] = _self_reference(df[ref.key], ref, rng)
        out[ref.table] = df
    # remaps first: a remap may empty references that a table below then drops as keyless
    for sk in sorted(hidden.shared, key=lambda sk: not sk.remap):
        note = _rebuild_shared(out, sk, real, rng)
        if note:
            notes.append(note)
    for ck in hidden.composites:
        if ck.parent is None:
            valid = ck.observed
        else:
            parent, key = ck.parent
            source = out.get(parent, real.get(parent))
            valid = source[key].dropna().unique()
        df, dropped, changed = _unique_composite(out[ck.table], ck, valid, rng)
        out[ck.table] = df
        if changed or dropped:
            notes.append(
                f"{ck.table}: {changed} repeated ({', '.join(ck.columns)}) combinations got a "
                f"new {ck.free}"
                + (f"; {dropped} rows dropped (no unused {ck.free} left)" if dropped else "")
            )
    return out, notes


def merge_notes(notes: Sequence[str]) -> list[str]:
    """The notes of a sample's batches as one sample's: notes alike but for their counts
    (``36 repeated ...``, ``11 rows dropped``) become one, their counts summed; an integer
    inside a name (``car_1``) is part of the text."""
    merged: dict[str, list[int]] = {}
    for note in notes:
        counts = [int(n) for n in _COUNT.findall(note)]
        template = _COUNT.sub("{}", note.replace("{", "{{").replace("}", "}}"))
        seen = merged.setdefault(template, [0] * len(counts))
        merged[template] = [a + b for a, b in zip(seen, counts, strict=True)]
    return [template.format(*counts) for template, counts in merged.items()]


_COUNT = re.compile(r"(?<![\w.,])\d+(?![\w.,])")  # a whole count, not part of a name


def _rebuild_shared(
    out: dict[str, pd.DataFrame],
    sk: SharedKey,
    real: dict[str, pd.DataFrame],
    rng: np.random.Generator,
) -> str | None:
    """Make ``sk.table``'s key unique and in its parent's keys again (in ``out``); a note
    when rows were dropped or references emptied."""
    df = out[sk.table]
    if not sk.remap:
        values = df[sk.column]
        drop = values.isna() | values.duplicated(keep="first")
        if not drop.any():
            return None
        out[sk.table] = df[~drop.to_numpy()].reset_index(drop=True)
        return (
            f"{sk.table}: {int(drop.sum())} rows dropped: they repeated a {sk.parent} row in "
            f"'{sk.column}', its key"
        )
    source = out.get(sk.parent, real.get(sk.parent))
    keys = source[sk.key].dropna().unique()
    n = min(len(df), len(keys))
    new = keys[rng.permutation(len(keys))[:n]]
    old = df[sk.column].to_numpy(dtype=object)
    # an empty sampled key names no child's parent (several NaN keys of a dict made pandas'
    # map fail with InvalidIndexError: WorldCup's shared key with empty values)
    mapping = {o: v for o, v in zip(old[:n], new, strict=True) if not pd.isna(o)}
    table = df.iloc[:n].copy()
    table[sk.column] = pd.Series(new, index=table.index).astype(source[sk.key].dtype)
    out[sk.table] = table
    emptied = 0
    for child, col in sk.children:
        if child not in out:
            continue
        frame = out[child].copy()
        mapped = frame[col].map(mapping)
        emptied += int((mapped.isna() & frame[col].notna()).sum())
        frame[col] = mapped.astype(source[sk.key].dtype) if mapped.notna().all() else mapped
        out[child] = frame
    dropped = len(df) - n
    if not dropped and not emptied:
        return None
    return (
        f"{sk.table}: {dropped} rows beyond the {len(keys)} {sk.parent} keys dropped; "
        f"{emptied} references to them emptied"
    )


def _self_reference(keys: pd.Series, ref: SelfReference, rng: np.random.Generator) -> pd.Series:
    n = len(keys)
    values = keys.to_numpy(dtype=object)
    if n == 0:
        return pd.Series([], dtype=object)
    if not ref.acyclic:
        return pd.Series(values[rng.integers(0, n, n)], index=keys.index)
    is_null = rng.random(n) < ref.null_rate
    if not is_null.any():
        is_null[rng.integers(0, n)] = True  # a forest needs a top
    order = np.concatenate(
        [rng.permutation(np.flatnonzero(is_null)), rng.permutation(np.flatnonzero(~is_null))]
    )
    n_ref = min(n, max(1, round(ref.referenced_share * n)))
    result = np.full(n, None, dtype=object)
    for pos in range(int(is_null.sum()), n):
        row = order[pos]
        # managers placed before this row: the first n_ref positions, excluding itself
        limit = min(pos, n_ref)
        result[row] = values[order[rng.integers(0, limit)]]
    return pd.Series(result, index=keys.index)


def _row_tuples(df: pd.DataFrame, columns: list[str]) -> list[tuple]:
    """Each row's values of ``columns`` as a tuple, made column-wise: the same keys of a dict
    as ``df[columns].apply(tuple, axis=1)``, which builds a Series per row (a row's numbers
    may come out upcast there, 1.0 for 1, which hash and compare the same)."""
    if not columns:
        return [()] * len(df)
    return list(zip(*(df[c].to_numpy(dtype=object) for c in columns), strict=True))


def _counts_within(df: pd.DataFrame, fixed: list[str], free: str) -> bool:
    """Whether ``free`` numbers the rows of each group of ``fixed`` (order lines, GTFS
    ``shape_pt_sequence``): whole numbers from 0, the typical group's largest at most twice
    its row count. A year or a code is not such a count, so it is never continued."""
    values = df[free]
    if values.empty or values.dtype == bool or not pd.api.types.is_numeric_dtype(values):
        return False
    known = values.dropna().to_numpy(dtype=float)
    if not len(known) or known.min() < 0 or (known != np.round(known)).any():
        return False
    if not fixed:
        return bool(known.max() <= 2 * len(known))
    groups = df.groupby(fixed, dropna=False, observed=True)[free].agg(["max", "size"])
    return bool((groups["max"] / groups["size"]).median() <= 2)


def _unique_composite(
    df: pd.DataFrame, ck: CompositeKey, valid: np.ndarray, rng: np.random.Generator
) -> tuple[pd.DataFrame, int, int]:
    dup = df.duplicated(subset=ck.columns, keep="first").to_numpy()
    if not dup.any():
        return df, 0, 0
    df = df.reset_index(drop=True).copy()
    counts = df[ck.free].value_counts()
    weights = counts.reindex(valid, fill_value=0).to_numpy(dtype=float) + 1.0
    weights /= weights.sum()
    group_keys = _row_tuples(df, ck.fixed)
    taken: dict[tuple, set] = {}
    for g, v, d in zip(group_keys, df[ck.free], dup, strict=True):
        if not d:
            taken.setdefault(g, set()).add(v)
    free_values = df[ck.free].to_numpy(dtype=object)
    drop: list[int] = []
    changed = 0
    # ``rng.choice(valid, size=tries, p=weights)`` as numpy draws it (the same values from the
    # same stream), its cumulative weights made once instead of once per row
    tries = min(REJECTION_TRIES, len(valid))
    cdf = weights.cumsum()
    if len(cdf):
        cdf /= cdf[-1]
    valid = np.asarray(valid)

    def unused(used: set) -> object | None:
        drawn = valid[cdf.searchsorted(rng.random(tries), side="right")] if tries else valid[:0]
        return next((v for v in drawn if v not in used), None)

    full: set[tuple] = set()  # groups that hold every valid value
    misses = 0  # rows no move placed: past MAX_MISSES the key space is full, stop trying
    moved = _Moves(df, ck, group_keys)
    for row in np.flatnonzero(dup):
        group = group_keys[row]
        used = taken.setdefault(group, set())
        choice = None if group in full else unused(used)
        if choice is None and group not in full:
            left = [v for v in valid if v not in used]
            if left:
                choice = left[rng.integers(0, len(left))]
            else:
                full.add(group)
        if choice is None and ck.sequence and ck.parent is None:
            choice = _next_count(used)
        if choice is None:  # another group: the untied key columns of another sampled row
            for _ in range(REJECTION_TRIES if moved.columns and misses < MAX_MISSES else 0):
                other = moved.group(group, int(rng.integers(0, len(df))))
                if other is None or other in full:
                    continue
                used = taken.setdefault(other, set())
                choice = unused(used)
                if choice is not None:
                    moved.move(row, other)
                    break
        if choice is None:
            misses += 1
            drop.append(row)
            continue
        used.add(choice)
        free_values[row] = choice
        changed += 1
    df[ck.free] = pd.Series(free_values, index=df.index).astype(df[ck.free].dtype)
    moved.write()
    if drop:
        df = df.drop(index=drop).reset_index(drop=True)
    return df, len(drop), changed


def _next_count(used: set) -> object:
    """The count after the group's largest (every value up to it is taken or skipped)."""
    known = [v for v in used if v == v]  # NaN is not a count
    return max(known) + 1 if known else 0


class _Moves:
    """Rows moved to another group: the key columns not tied to a parent take another sampled
    row's values (a tied column keeps the row under its parent, and a batch's own keys)."""

    def __init__(self, df: pd.DataFrame, ck: CompositeKey, group_keys: list[tuple]):
        tied = set(ck.tied)
        self.df, self.fixed, self.group_keys = df, ck.fixed, group_keys
        self.columns = [i for i, c in enumerate(ck.fixed) if c not in tied]
        self.rows: dict[int, tuple] = {}

    def group(self, group: tuple, donor: int) -> tuple | None:
        """``group`` with the untied columns of row ``donor``'s group; None where the donor's
        are empty (a key column is never empty in the data, and NaN groups cannot be told
        apart)."""
        values = list(group)
        for i in self.columns:
            values[i] = self.group_keys[donor][i]
            if pd.isna(values[i]):
                return None
        return tuple(values)

    def move(self, row: int, group: tuple) -> None:
        self.rows[row] = group
        self.group_keys[row] = group

    def write(self) -> None:
        """The moved rows' new values into the frame, in each column's own type."""
        if not self.rows:
            return
        rows = np.fromiter(self.rows, dtype=np.int64, count=len(self.rows))
        for i in self.columns:
            col = self.fixed[i]
            values = self.df[col].to_numpy(dtype=object)
            values[rows] = [g[i] for g in self.rows.values()]
            self.df[col] = pd.Series(values, index=self.df.index).astype(self.df[col].dtype)
