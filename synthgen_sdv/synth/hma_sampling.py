"""How the fast HMA walks the tables when sampling: order, multi-parent keys, progress.

``MultiParentSampling`` is a mixin for ``FastHMASynthesizer`` (``synth.fast_hma``) that
replaces three things of sdv 1.37.4's ``BaseHierarchicalSampler._sample``:

* **Order.** Roots and children are visited in sorted order (sdv iterates Python sets, whose
  order changes with ``PYTHONHASHSEED``), and a child with several modeled parents is sampled
  under the parent ``synth.multiparent.learn_links`` chose at fit time (the one most other
  keys follow from), not under whichever parent the walk reaches first.
* **The other keys** of such a child: assigned by ``synth.parent_assignment.assign_parents``
  in linear time (keys in the order their constraints are strongest; blocks of shared
  ancestors kept at their real rate; learned child counts as capacities), where stock builds
  one child model per parent row for every child row (``_find_parent_ids``). The per-parent
  learned child models it needs are read from the sampled parents' extension columns exactly
  as stock reads them (``_extract_parameters``: NaN -> 1e-6, clipped to the learned range).
* **One BLAS thread** for fit and sample (``synth.fastmath.serial_blas``): the dense work is
  many small decompositions (table correlations, batches of per-parent matrices), where a
  second OpenBLAS thread mostly spins; that cost 3-6x the CPU on this shared 2-core machine.
* **Progress**: a line per sampled table and per assigned key, with rows so far, elapsed time
  and an ETA (the total is known up front: table sizes x scale); bars per batch of parents on
  a terminal (``core.progress.Progress``: lines only in logs). Quiet unless ``verbose``.
"""

from __future__ import annotations

import graphlib
import itertools
import time
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import TypeVar

import numpy as np
import pandas as pd

from synthgen_sdv.core.progress import QUIET, Progress
from synthgen_sdv.synth.fastmath import serial_blas
from synthgen_sdv.synth.multiparent import ChildLinks, block_ids, learn_links
from synthgen_sdv.synth.parent_assignment import (
    DEFAULT_METHOD,
    METHODS,
    Assignment,
    ChildModels,
    Stats,
    assign_by_levels,
    assign_parents,
    child_models,
    rank_within,
)

T = TypeVar("T")
BATCH_ROWS = 50_000  # child rows drawn per batch of parents (bounds memory, paces progress)
SCALE_FLOOR = 0.1  # per-parent spreads are floored at this share of the column's spread


class SampleProgress:
    """Lines (and bars on a terminal) for one ``sample`` call, with an ETA from row counts."""

    def __init__(self, progress: Progress, total_rows: int, name: str = "hma"):
        self.progress, self.total, self.name = progress, max(int(total_rows), 1), name
        self.done = 0
        self.start = time.perf_counter()

    def _eta(self) -> str:
        elapsed = time.perf_counter() - self.start
        if self.done < 0.05 * self.total:  # too early to extrapolate
            return f"{elapsed:.1f}s"
        left = elapsed * max(self.total - self.done, 0) / self.done
        return f"{elapsed:.1f}s, ETA {left:.0f}s"

    def table(self, table: str, rows: int, how: str) -> None:
        """A table was sampled: its rows, how, and the run's rows so far with an ETA."""
        self.done += rows
        self.progress.say(
            f"[{self.name}] sampled {table}: {rows:,} rows {how} "
            f"({self.done:,}/{self.total:,} rows, {self._eta()})"
        )

    def batch(self, table: str, done: int, total: int, parents: int) -> None:
        """A batch of parents' children drawn (a line only for tables of several batches)."""
        if total > BATCH_ROWS and not self.progress.interactive:
            elapsed = time.perf_counter() - self.start
            self.progress.say(
                f"[{self.name}]   {table}: {done:,}/{total:,} rows ({parents:,} parents), "
                f"{elapsed:.1f}s"
            )

    def say(self, message: str) -> None:
        """A line with the synthesizer's name (quiet unless verbose)."""
        self.progress.say(f"[{self.name}] {message}")

    def bar(self, items: Iterable[T], total: int, desc: str) -> Iterator[T]:
        """``items`` with a bar on a terminal (batches of parents, rows of a stock loop)."""
        return self.progress.bar(items, total=total, desc=desc)


class MultiParentSampling:
    """Mixin: sampling order, vectorized multi-parent keys and progress for HMA (see module).

    ``multiparent``: a method of ``synth.parent_assignment`` (``METHODS``; default
    ``"candidates"``); ``candidates`` / ``groups``: their sizes; ``keep_blocks``:
    when a block has no capacity left, its rows leave it (False, the default: learned child
    counts are kept exactly, as stock keeps them) or stay in it over capacity (True:
    consistency first). Berka, disp's account vs client district (0.91 in the data): 0.80
    with Cardinality 1.0, or 0.91 with Cardinality 0.89 (``reports/bench_multiparent.md``).
    """

    multiparent: str = DEFAULT_METHOD
    candidates: int = 16
    groups: int = 32
    keep_blocks: bool = False
    _child_links: dict[str, ChildLinks] | None = None
    _sampling = None  # SampleProgress during a sample call
    last_assignment: dict[str, Stats] | None = None

    def configure_multiparent(
        self,
        method: str = DEFAULT_METHOD,
        candidates: int = 16,
        groups: int = 32,
        keep_blocks: bool = False,
    ) -> None:
        """Choose how the other keys are assigned (see the class doc); checked at once so a
        typo fails at construction, not after a long fit."""
        if method not in METHODS:
            raise ValueError(f"multiparent must be one of {METHODS}, got '{method}'")
        self.multiparent, self.candidates, self.groups = method, int(candidates), int(groups)
        self.keep_blocks = bool(keep_blocks)

    # ------------------------------------------------------------------ fit
    def fit(self, data):
        """Learn the sampling key and shared-ancestor rates of multi-parent children from the
        real keys, then fit as HMA does."""
        relationships = list(self.metadata.relationships)
        null_rates = {
            f"{r['child_table_name']}.{r['child_foreign_key']}": float(
                data[r["child_table_name"]][r["child_foreign_key"]].isna().mean()
            )
            for r in relationships
            if r["child_table_name"] in data
        }
        self._child_links = learn_links(dict(data), relationships, null_rates)
        with serial_blas():
            return super().fit(data)

    def describe_links(self) -> list[str]:
        """One line per multi-parent child: its sampling key and constraints."""
        out = []
        for child, links in sorted((self._child_links or {}).items()):
            cons = "; ".join(c.describe() for c in links.constraints if c.known == links.primary)
            for p in links.pairs.values():
                cons += ("; " if cons else "") + (
                    f"{p.target} copied from a {p.table} row of the same {p.known} "
                    f"({p.rate:.0%} in the data)"
                )
            out.append(f"{child}: sampled under {links.primary}" + (f" ({cons})" if cons else ""))
        return out

    # ------------------------------------------------------------------ walk
    def _sampling_key(self, parent: str, child: str) -> str | None:
        """The key to sample ``child`` under when the walk reaches it from ``parent``; None
        if it is to be sampled under another parent."""
        links = (self._child_links or {}).get(child)
        if links is None:
            return self.metadata._get_foreign_keys(parent, child)[0]
        return links.primary if links.links[links.primary].parent == parent else None

    def _is_copied(self, table: str) -> bool:
        """Sampled as copies of its rows (``synth.copies``, which overrides this)."""
        return False

    def _progress(self) -> SampleProgress:
        return self._sampling or SampleProgress(QUIET, 1)

    def _sample(self, scale=1.0):
        with serial_blas():
            return self._sample_tables(scale)

    def _sample_tables(self, scale):
        total = sum(round(n * scale) for n in self._table_sizes.values())
        self._sampling = SampleProgress(Progress(quiet=not self.verbose), total)
        self.last_assignment = {}
        self._origin = {}
        try:
            sampled_data: dict[str, pd.DataFrame] = {}
            non_roots = set(self.metadata._get_parent_map())
            too_small = False
            for table in sorted(set(self.metadata.tables) - non_roots):
                num_rows = round(self._table_sizes[table] * scale)
                if num_rows <= 0:
                    too_small, num_rows = True, 1
                if self._is_copied(table):
                    sampled_data[table] = self._copy_table(table, sampled_data, scale)
                else:
                    synthesizer = self._table_synthesizers[table]
                    sampled_data[table] = self._sample_rows(synthesizer, num_rows)
                self._progress().table(table, len(sampled_data[table]), "(root)")
                self._sample_children(table_name=table, sampled_data=sampled_data, scale=scale)
            if too_small:
                warnings.warn(
                    "The 'scale' parameter is too small. Some tables may have 1 row.",
                    stacklevel=2,
                )
            self._assign_other_keys(sampled_data)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sampled_data = self._reverse_transform_constraints(sampled_data)
            return self._finalize(sampled_data)
        finally:
            self._sampling = None

    def _reverse_transform_constraints(self, sampled_data):
        """SDV's, whose last step (``drop_unknown_references``: SDV's whole data validation
        of every sampled table, to drop rows whose key points at no sampled parent) runs
        only when such a key exists: this sampler draws keys from the sampled parents, so
        on a small database it was 15 ms of checking that nothing is to be dropped."""
        if (
            getattr(self, "_composite_keys", None)
            or getattr(self, "constraints", None)
            or not keys_resolve(sampled_data, self.metadata.relationships)
        ):
            return super()._reverse_transform_constraints(sampled_data)
        return sampled_data

    def _draw_in_batches(self, child_name, table_name, foreign_key, parent, counts):
        """``_draw_children`` over batches of parents of about ``BATCH_ROWS`` children each:
        memory stays bounded and progress is reported per batch."""
        total = int(counts.sum())
        edges = np.searchsorted(
            np.cumsum(counts), np.arange(BATCH_ROWS, total, BATCH_ROWS), side="left"
        )
        bounds = [0, *sorted({int(e) + 1 for e in edges}), len(counts)]
        spans = [(a, b) for a, b in itertools.pairwise(bounds) if b > a]
        frames, done = [], 0
        bar = self._progress().bar(spans, total=len(spans), desc=f"{child_name} (batches)")
        for a, b in bar:
            rows = self._draw_children(
                child_name, table_name, foreign_key, parent.iloc[a:b], counts[a:b]
            )
            frames.append(rows)
            done += int(counts[a:b].sum())
            self._progress().batch(child_name, done, total, b)
        if len(frames) == 1:
            return frames[0]
        return pd.concat(frames, ignore_index=True)

    # ------------------------------------------------------------------ other keys
    def _assign_other_keys(self, sampled_data: dict[str, pd.DataFrame]) -> None:
        links_by_child = self._child_links or {}
        before: dict[str, set[str]] = {t: set() for t in sorted(self.metadata.tables)}
        for r in self.metadata.relationships:
            before[r["child_table_name"]].add(r["parent_table_name"])
        for child, links in links_by_child.items():
            before[child].update(p.table for p in links.pairs.values())  # siblings first
        graph = {t: sorted(p) for t, p in before.items()}  # sorted: same order every process
        rng = np.random.default_rng(np.random.randint(0, 2**31 - 1))
        for child in graphlib.TopologicalSorter(graph).static_order():
            links = links_by_child.get(child)
            if links is None or child not in sampled_data or self._is_copied(child):
                continue  # a copied table's keys point at copies of its real parents
            frame = sampled_data[child]
            known = {links.primary}
            matrix: dict[tuple, np.ndarray] = {}
            for fk in links.order():
                start = time.perf_counter()
                stats = Stats()
                parent_positions = self._assign_key(
                    rng, sampled_data, links, fk, known, matrix, stats
                )
                link = links.links[fk]
                values = sampled_data[link.parent][link.key].to_numpy()
                if not len(values):  # no parent row was sampled: nothing to point to
                    frame[fk] = np.nan
                else:
                    keys = pd.Series(values[np.maximum(parent_positions, 0)], index=frame.index)
                    frame[fk] = keys.where(parent_positions >= 0)
                known.add(fk)
                self.last_assignment[f"{child}.{fk}"] = stats
                self._progress().say(
                    f"{child}.{fk} -> {link.parent}: {stats.rows:,} rows "
                    f"({self.multiparent}; {stats.copied:,} copied, {stats.nulls:,} null, "
                    f"{stats.over_capacity:,} over capacity) "
                    f"{time.perf_counter() - start:.1f}s"
                )

    def _assign_key(self, rng, sampled_data, links, fk, known, matrix, stats) -> np.ndarray:
        child = links.child
        frame = sampled_data[child]
        link = links.links[fk]
        parent = sampled_data[link.parent]
        num_rows_key = f"__{child}__{fk}__num_rows"
        capacity = pd.to_numeric(parent.get(num_rows_key, 0), errors="coerce")
        capacity = np.asarray(pd.Series(capacity).fillna(0).clip(lower=0), dtype=float)
        if capacity.shape != (len(parent),):
            capacity = np.ones(len(parent))
        null_pct = self._null_foreign_key_percentages.get(f"__{child}__{fk}", 0.0)
        job = Assignment(capacity=capacity, n_null=round(len(frame) * max(null_pct, 0.0)))
        pair = links.pairs.get(fk)
        if pair is not None and pair.known in known:
            job.functional = self._pair_positions(
                rng, sampled_data, frame, parent, link, pair, capacity
            )
        con = links.best(fk, known) if job.functional is None else None
        levels = []
        if con is not None:
            kl = links.links[con.known]
            rows_known = frame[con.known].to_numpy(dtype=object)
            row_block, parent_block, row_keys = block_ids(
                sampled_data, rows_known, kl, parent, link, con
            )
            if con.functional:
                job.functional = pd.Index(parent[link.key]).get_indexer(row_keys[0])
            else:
                levels.append((row_block, parent_block))
                for i in range(len(con.ancestors) if len(con.ancestors) > 1 else 0):
                    one = replace(
                        con,
                        ancestors=(con.ancestors[i],),
                        known_paths=(con.known_paths[i],),
                        target_paths=(con.target_paths[i],),
                    )
                    levels.append(block_ids(sampled_data, rows_known, kl, parent, link, one)[:2])
        if self.multiparent != "prior" and (child, fk) in self._fast_columns:
            columns, dists = self._fast_columns[(child, fk)]
            if tuple(columns) not in matrix:
                matrix[tuple(columns)] = self._child_matrix(child, frame, columns)
            X = matrix[tuple(columns)]
            job.X = X
            job.models, job.params = self._parent_models(child, fk, parent, columns, dists, X)
        how = {"method": self.multiparent, "candidates": self.candidates, "groups": self.groups}
        if levels:
            keep = getattr(self, "keep_blocks", False)
            return assign_by_levels(
                rng, len(frame), job, levels, con.rate, keep_blocks=keep, stats=stats, **how
            )
        return assign_parents(rng, len(frame), job, stats=stats, **how)

    @staticmethod
    def _pair_positions(rng, sampled_data, frame, parent, link, pair, capacity) -> np.ndarray:
        """Parent position copied from a sibling row with the same known key, for a
        ``pair.rate`` share of the rows (-1 elsewhere, and where no sibling row matches).

        The sibling row is drawn in proportion to the capacity its parent has left, in rounds
        (an overfull parent returns its surplus), so parents that take no children here
        (stores that ship nothing) are passed over and learned counts are kept; a row whose
        pairs all sit on full parents is left to the ordinary assignment (counts win there:
        in Oracle CO copying regardless put shipments on every store, Cardinality 0.04)."""
        sibling = sampled_data[pair.table][[pair.sibling_known, pair.sibling_target]].dropna()
        order = np.argsort(sibling[pair.sibling_known].to_numpy(), kind="stable")
        keys = sibling[pair.sibling_known].to_numpy()[order]
        targets = pd.Index(parent[link.key]).get_indexer(
            sibling[pair.sibling_target].to_numpy()[order]
        )
        mine = frame[pair.known].to_numpy()
        lo = np.searchsorted(keys, mine, "left")
        hi = np.searchsorted(keys, mine, "right")
        pos = np.full(len(mine), -1, dtype=np.int64)
        todo = (hi > lo) & (rng.random(len(mine)) < pair.rate)
        remaining = np.asarray(capacity, dtype=float).round().copy()
        for _ in range(8):
            idx = np.flatnonzero(todo)
            if not len(idx):
                break
            left = np.where(targets >= 0, remaining[np.maximum(targets, 0)], 0.0)
            cum = np.concatenate([[0.0], np.cumsum(np.maximum(left, 0.0))])
            total = cum[hi[idx]] - cum[lo[idx]]
            u = cum[lo[idx]] + rng.random(len(idx)) * total
            pick = np.clip(np.searchsorted(cum, u, "right") - 1, lo[idx], hi[idx] - 1)
            chosen = np.where(total > 0, targets[pick], -1)
            todo[idx[chosen < 0]] = False  # every pair on a full parent: assigned normally
            rows, parents = idx[chosen >= 0], chosen[chosen >= 0]
            accept = rank_within(parents, rng) < remaining[parents]
            pos[rows[accept]] = parents[accept]
            np.subtract.at(remaining, parents[accept], 1.0)
            todo[rows[accept]] = False
        return np.where(pos >= 0, pos, -1)

    def _child_matrix(self, child: str, frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
        """Sampled child rows in the processed space their models live in (as stock's
        ``_get_likelihoods`` builds it: transformed columns + raw extension columns)."""
        processor = self._table_synthesizers[child]._data_processor
        rows = frame.copy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            transformed = processor.transform(rows)
        if transformed.index.name:
            rows = rows.set_index(transformed.index.name)
        rows = rows.drop(columns=[c for c in transformed.columns if c in rows.columns])
        transformed = transformed.reset_index(drop=True)
        rows = rows.reset_index(drop=True)
        full = pd.concat([transformed, rows], axis=1)
        out = np.full((len(frame), len(columns)), np.nan)
        for j, col in enumerate(columns):
            if col in full:
                out[:, j] = pd.to_numeric(full[col], errors="coerce").to_numpy(dtype=float)
        return out

    def _parent_models(self, child, fk, parent, columns, dists, X):
        """Each parent row's learned child model for key ``fk`` (means, spreads,
        correlations) and the flat parameters the ``cluster`` method groups."""
        prefix = f"__{child}__{fk}__"
        ranges = self.extended_columns[child]
        names = [c for c in parent.columns if c.startswith(prefix)]
        try:  # one float matrix; a column pandas cannot cast is read value by value
            values = parent[names].to_numpy(dtype=float)
        except (TypeError, ValueError):
            values = parent[names].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
        values = np.where(np.isnan(values), 1e-6, values)
        position = {c: i for i, c in enumerate(names)}

        def param(name: str) -> np.ndarray:
            col = prefix + name
            if col not in position:
                return np.full(len(parent), 1e-6)
            v = values[:, position[col]]
            r = ranges.get(col)  # the learned range, keyed by the full column name
            return v if r is None else np.clip(v, r._min_value, r._max_value)

        k = len(columns)
        loc = np.zeros((len(parent), k))
        scale = np.ones((len(parent), k))
        for j, (col, dist) in enumerate(zip(columns, dists, strict=True)):
            a, b = param(f"univariates__{col}__loc"), param(f"univariates__{col}__scale")
            if dist == "uniform":
                a, b = a + b / 2, b / np.sqrt(12.0)
            loc[:, j], scale[:, j] = a, b
        corr = np.zeros((len(parent), k, k))
        for i in range(1, k):
            for j in range(i):
                corr[:, i, j] = corr[:, j, i] = param(f"correlation__{i - 1}__{j}")
        with np.errstate(all="ignore"):
            spread = np.nanstd(X, axis=0) if len(X) else np.ones(k)
        floor = np.where(np.isfinite(spread) & (spread > 0), SCALE_FLOOR * spread, 1e-3)
        models: ChildModels = child_models(loc, scale, corr, floor)
        tri = np.tril_indices(k, -1)
        params = np.concatenate(
            [models.loc, np.log(models.scale), models.corr[:, tri[0], tri[1]]], axis=1
        )
        return models, params


def keys_resolve(tables: dict[str, pd.DataFrame], relationships) -> bool:
    """Whether every non-null foreign key of ``relationships`` is one of its parent's keys
    (False when a table or column is missing, or a key is not one column)."""
    for r in relationships:
        child, parent = tables.get(r["child_table_name"]), tables.get(r["parent_table_name"])
        fk, pk = r["child_foreign_key"], r["parent_primary_key"]
        if not (isinstance(fk, str) and isinstance(pk, str)):
            return False
        if child is None or parent is None or fk not in child or pk not in parent:
            return False
        values = child[fk]
        if not values.isin(parent[pk]).to_numpy()[values.notna().to_numpy()].all():
            return False
    return True
