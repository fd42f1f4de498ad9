"""Assign one foreign key of a sampled child table in linear time (``assign_parents``).

The structural part (which key a child is sampled under, shared-ancestor blocks and their
rates) is in ``synth.multiparent``; this module draws the parent of each child row given
capacities, blocks and, optionally, the parents' learned child models. Methods:

* ``"candidates"`` (the default): ``candidates`` parents are drawn per row in proportion to
  the capacity left (inside or outside the row's block), and one of them is kept with
  probability proportional to the likelihood of the row under that parent's learned child
  model: a sampling-importance-resampling draw from stock HMA's posterior ``capacity x
  likelihood``, with each parent's own parameters, at ``candidates`` models per row instead
  of one model per parent row;
* ``"clusters"``: parents' learned child models are grouped into ``groups`` clusters (k-means
  on their parameters); a row draws a cluster by its likelihood under the cluster's
  moment-matched model times the capacity the cluster has left, then a parent in it by
  capacity;
* ``"clusters+candidates"``: a cluster as in ``"clusters"``, then the candidates are drawn
  inside it (coarse to fine). Best when rows pin their parent down sharply (it finds the
  parent that made a row twice as often in tests/synth), but on the generated 9-table
  database its Intertable Trends of assigned keys were 0.67 against 0.69 for ``"candidates"``
  (``reports/bench_multiparent.md``): the clusters' choice is made on parameters that matter
  little for the row;
* ``"prior"``: capacity only (no likelihood; the cheapest baseline, 0.62 there).

Capacities (HMA's learned children per parent row) are kept exactly when feasible: rows draw in
rounds, an overfull parent keeps a random subset and returns the rest. A row whose side has no
room left (its block ran out, or the totals disagree) is drawn at the end by learned capacity
on its own side, over capacity: the data's consistency wins over exact counts there.

The likelihood is the Gaussian-copula density of a child row in HMA's processed space with
each marginal taken as a normal of the learned mean and spread (``norm`` exactly; truncated
normals and uniforms by their normal approximation), spreads floored at a tenth of the
column's overall spread so a parent with one child cannot claim or reject rows absolutely.
Work is numpy over arrays of (row, candidate) pairs: it grows with rows x candidates, never
with rows x parents. Pure numpy (no SDV).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

METHODS = ("candidates", "clusters", "clusters+candidates", "prior")
DEFAULT_METHOD = "candidates"
_PAIR_CHUNK = 2_000_000  # (pairs x columns^2) floats per batched quadratic form


@dataclass
class ChildModels:
    """Gaussian child models in HMA's processed space: one per parent row (or per cluster)."""

    loc: np.ndarray  # (models, k)
    scale: np.ndarray  # (models, k), floored
    corr: np.ndarray  # (models, k, k), valid correlation matrices
    precision: np.ndarray  # (models, k, k)
    logdet: np.ndarray  # (models,)

    def mean(self, labels: np.ndarray, weights: np.ndarray) -> ChildModels:
        """One model per label: the moment-matched Gaussian of the members' mixture (weights:
        their capacities). Its spread includes the spread *between* members, so a row is
        scored against what the cluster can produce, not against its average member only."""
        k = int(labels.max()) + 1
        w = np.maximum(np.asarray(weights, dtype=float), 1e-9)
        total = np.maximum(np.bincount(labels, w, k), 1e-12)

        def avg(a: np.ndarray) -> np.ndarray:
            out = np.zeros((k, *a.shape[1:]))
            np.add.at(out, labels, a * w.reshape(-1, *([1] * (a.ndim - 1))))
            return out / total.reshape(-1, *([1] * (a.ndim - 1)))

        loc = avg(self.loc)
        cov = self.scale[:, :, None] * self.corr * self.scale[:, None, :]
        dev = self.loc - loc[labels]
        cov = avg(cov + dev[:, :, None] * dev[:, None, :])
        scale = np.sqrt(np.maximum(np.einsum("gii->gi", cov), 0.0))
        scale = np.where(scale > 0, scale, 1.0)  # an empty cluster: any finite model will do
        corr = cov / scale[:, :, None] / scale[:, None, :]
        return child_models(loc, scale, corr, np.zeros(0))


def nearest_correlation(mats: np.ndarray) -> np.ndarray:
    """Batched projection onto valid correlation matrices (eigenvalues clipped at 1e-6,
    diagonal rescaled to 1): cheap and always invertible."""
    vals, vecs = np.linalg.eigh(mats)
    vals = np.maximum(vals, 1e-6)
    out = np.einsum("pij,pj,pkj->pik", vecs, vals, vecs)
    d = np.sqrt(np.einsum("pii->pi", out))
    return out / d[:, :, None] / d[:, None, :]


def child_models(
    loc: np.ndarray, scale: np.ndarray, corr: np.ndarray, floor: np.ndarray
) -> ChildModels:
    """Models from per-parent means / spreads (models x k) and correlations (models x k x k)."""
    k = loc.shape[1]
    scale = np.where(np.isfinite(scale), np.abs(scale), 0.0)
    if len(floor):
        scale = np.maximum(scale, floor[None, :])
    if k:
        corr = np.nan_to_num(corr, nan=0.0)
        corr = np.clip(corr, -0.999, 0.999)
        corr = (corr + np.swapaxes(corr, 1, 2)) / 2
        idx = np.arange(k)
        corr[:, idx, idx] = 1.0
        corr = nearest_correlation(corr)
        vals, vecs = np.linalg.eigh(corr)
        vals = np.maximum(vals, 1e-6)
        precision = np.einsum("pij,pj,pkj->pik", vecs, 1.0 / vals, vecs)
        logdet = np.log(vals).sum(axis=1)
    else:
        corr = precision = np.zeros((len(loc), 0, 0))
        logdet = np.zeros(len(loc))
    return ChildModels(np.nan_to_num(loc), scale, corr, precision, logdet)


def loglik_pairs(X: np.ndarray, rows: np.ndarray, models: ChildModels, which: np.ndarray):
    """Log density of child row ``X[rows[i]]`` under model ``which[i]`` (constants dropped)."""
    n, k = len(rows), X.shape[1]
    out = np.empty(n)
    if k == 0:
        out[:] = 0.0
        return out
    step = max(1, _PAIR_CHUNK // max(k * k, 1))
    for s in range(0, n, step):
        r, m = rows[s : s + step], which[s : s + step]
        z = (X[r] - models.loc[m]) / models.scale[m]
        z = np.where(np.isfinite(z), z, 0.0)
        quad = np.einsum("pi,pij,pj->p", z, models.precision[m], z)
        out[s : s + step] = (
            -0.5 * quad - np.log(models.scale[m]).sum(axis=1) - 0.5 * models.logdet[m]
        )
    return out


def kmeans(points: np.ndarray, k: int, rng: np.random.Generator, iters: int = 15) -> np.ndarray:
    """Cluster labels of ``points`` (standardized inside); k-means++ start, Lloyd steps."""
    n = len(points)
    if n <= k:
        return np.arange(n)
    x = np.nan_to_num(points)
    sd = x.std(axis=0)
    x = (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    centers = [x[rng.integers(n)]]
    dist = ((x - centers[0]) ** 2).sum(axis=1)
    for _ in range(1, k):
        p = dist / dist.sum() if dist.sum() > 0 else None
        centers.append(x[rng.choice(n, p=p)])
        dist = np.minimum(dist, ((x - centers[-1]) ** 2).sum(axis=1))
    c = np.array(centers)
    labels = np.zeros(n, dtype=int)
    for _ in range(iters):
        d = (x**2).sum(1)[:, None] - 2 * x @ c.T + (c**2).sum(1)[None, :]
        new = d.argmin(axis=1)
        if (new == labels).all() and _ > 0:
            break
        labels = new
        counts = np.bincount(labels, minlength=k)
        sums = np.zeros_like(c)
        np.add.at(sums, labels, x)
        c = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], c)
    return labels


# ------------------------------------------------------------------------ assignment
@dataclass
class Assignment:
    """Inputs to ``assign_parents`` for one foreign key of one child table."""

    capacity: np.ndarray  # (P,) learned children per parent row (HMA's num_rows)
    n_null: int = 0  # rows to leave without a parent (the key's null share)
    row_block: np.ndarray | None = None  # (N,) block of each child row, -1 unknown
    parent_block: np.ndarray | None = None  # (P,) block of each parent row
    rate: float = 1.0  # share of rows kept inside their block
    functional: np.ndarray | None = None  # (N,) parent position copied (-1: not known)
    X: np.ndarray | None = None  # (N, k) child rows, processed space
    models: ChildModels | None = None  # per parent row
    params: np.ndarray | None = None  # (P, d) per-parent parameters (for clustering)


@dataclass
class Stats:
    """What happened (for tests, the benchmark and progress lines)."""

    rows: int = 0
    copied: int = 0
    nulls: int = 0
    rounds: int = 0
    over_capacity: int = 0
    scored_pairs: int = 0


class _Segments:
    """Parents sorted by (group, block); cumulative remaining capacity; segment lookups."""

    def __init__(self, group: np.ndarray, block: np.ndarray, n_blocks: int):
        self.order = np.lexsort((block, group))
        self.key = (group * (n_blocks + 1) + block + 1)[self.order]
        self.n_blocks = n_blocks
        n_groups = int(group.max()) + 1 if len(group) else 0
        g = group[self.order]
        self.g_lo = np.searchsorted(g, np.arange(n_groups), "left")
        self.g_hi = np.searchsorted(g, np.arange(n_groups), "right")

    def cell(self, group: np.ndarray, block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = group * (self.n_blocks + 1) + block + 1
        return np.searchsorted(self.key, k, "left"), np.searchsorted(self.key, k, "right")

    @staticmethod
    def cumulative(weights_sorted: np.ndarray) -> np.ndarray:
        return np.concatenate([[0.0], np.cumsum(weights_sorted)])

    def draw(self, rng, cum, lo, hi, ex_lo, ex_hi) -> np.ndarray:
        """A sorted position in [lo, hi) minus [ex_lo, ex_hi), by weight; -1 if none."""
        inside = cum[hi] - cum[lo]
        excluded = cum[ex_hi] - cum[ex_lo]
        total = inside - excluded
        u = cum[lo] + rng.random(len(lo)) * total
        u = np.where(u >= cum[ex_lo], u + excluded, u)
        pos = np.searchsorted(cum, u, "right") - 1
        pos = np.clip(pos, lo, np.maximum(hi - 1, lo))
        return np.where(total > 1e-9, pos, -1)


def _take(rng, idx, chosen, remaining, out, todo, late) -> None:
    """Rows ``idx`` take their ``chosen`` parent while it has room (in random order within a
    parent); the others try again. A row with no room left on its side (its block, or outside
    it) is settled at the end, on its side, over capacity: consistency with the data wins over
    exact counts."""
    stuck = chosen < 0
    todo[idx[stuck]] = False
    late[idx[stuck]] = True
    rows, parents = idx[~stuck], chosen[~stuck]
    accept = rank_within(parents, rng) < remaining[parents]
    out[rows[accept]] = parents[accept]
    np.subtract.at(remaining, parents[accept], 1.0)
    todo[rows[accept]] = False


def assign_parents(
    rng: np.random.Generator,
    n_rows: int,
    job: Assignment,
    method: str = DEFAULT_METHOD,
    candidates: int = 16,
    groups: int = 32,
    rounds: int = 8,
    stats: Stats | None = None,
    settle: bool = True,
) -> np.ndarray:
    """Parent position (0..P-1) for each of ``n_rows`` child rows, -1 for no parent.

    ``settle=False``: rows that found no capacity on their side are returned as -2 instead of
    being placed over capacity (``assign_by_levels`` tries them at a coarser level first).

    See the module doc for the method; work is linear in ``n_rows`` (times ``candidates``)
    and in the number of parents.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got '{method}'")
    stats = stats if stats is not None else Stats()
    stats.rows += n_rows
    P = len(job.capacity)
    out = np.full(n_rows, -1, dtype=np.int64)
    if P == 0 or n_rows == 0:
        return out
    remaining = np.maximum(np.asarray(job.capacity, dtype=float).round(), 0.0)
    todo = np.ones(n_rows, dtype=bool)
    if job.functional is not None:
        hit = job.functional >= 0
        out[hit] = job.functional[hit]
        np.subtract.at(remaining, job.functional[hit], 1.0)
        remaining = np.maximum(remaining, 0.0)
        todo &= ~hit
        stats.copied += int(hit.sum())
    if job.n_null > 0:
        free = np.flatnonzero(todo)
        nulls = rng.choice(free, size=min(job.n_null, len(free)), replace=False)
        todo[nulls] = False
        stats.nulls += len(nulls)
    if remaining.sum() <= 0:
        remaining = np.ones(P)  # nothing learned: uniform over parents

    row_block = job.row_block if job.row_block is not None else np.zeros(n_rows, dtype=np.int64)
    parent_block = job.parent_block if job.parent_block is not None else np.zeros(P, np.int64)
    n_blocks = int(max(row_block.max(initial=-1), parent_block.max(initial=-1))) + 1
    # rows of a block without any parent cannot stay inside it: the others stay a little more
    # often, so that the share inside matches the data's rate overall
    populated = np.zeros(n_blocks + 1, dtype=bool)
    populated[parent_block[parent_block >= 0]] = True
    known_rows = row_block >= 0
    feasible = known_rows & populated[np.where(known_rows, row_block, n_blocks)]
    rate = min(1.0, job.rate * known_rows.sum() / max(int(feasible.sum()), 1))
    inside = feasible & (rng.random(n_rows) < rate)
    if job.row_block is None:
        inside[:] = True  # no constraint: one block holding every parent

    use_models = method != "prior" and job.models is not None and job.X is not None
    by_candidates = use_models and "candidates" in method
    gll = None
    group = np.zeros(P, dtype=np.int64)
    if "clusters" in method and use_models:
        params = job.params if job.params is not None else job.models.loc
        group = kmeans(params, min(groups, P), rng)
        centroids = job.models.mean(group, job.capacity)
        k = len(centroids.loc)
        rows = np.repeat(np.arange(n_rows), k)
        gll = loglik_pairs(job.X, rows, centroids, np.tile(np.arange(k), n_rows))
        gll = gll.reshape(n_rows, k)
        stats.scored_pairs += n_rows * k
    known = row_block >= 0
    parent_block = np.where(parent_block >= 0, parent_block, n_blocks)  # unknown: own block
    row_block = np.where(known, row_block, n_blocks)
    seg = _Segments(group, parent_block, n_blocks + 1)
    n_groups = int(group.max()) + 1
    ctx = _Rows(row_block, inside, known)
    late = np.zeros(n_rows, dtype=bool)

    for round_no in range(rounds):
        idx = np.flatnonzero(todo)
        if not len(idx):
            break
        stats.rounds = max(stats.rounds, round_no + 1)
        cum = seg.cumulative(remaining[seg.order])
        g = _choose_groups(rng, idx, gll, remaining, group, seg, ctx, n_groups)
        models = job if by_candidates else None
        chosen = _choose(rng, idx, g, ctx, seg, cum, models, candidates, stats)
        _take(rng, idx, chosen, remaining, out, todo, late)

    flat = _Segments(np.zeros(P, dtype=np.int64), parent_block, n_blocks + 1)
    for _ in range(rounds):  # the last few rows: capacity only, one cluster, until settled
        idx = np.flatnonzero(todo)
        if not len(idx):
            break
        cum = flat.cumulative(remaining[flat.order])
        chosen = _choose(rng, idx, np.zeros(len(idx), np.int64), ctx, flat, cum, None, 1, stats)
        _take(rng, idx, chosen, remaining, out, todo, late)

    idx = np.flatnonzero(todo | late)
    if len(idx) and not settle:
        out[idx] = -2
        return out
    if len(idx):  # drawn by the learned capacity, ignoring what is left of it
        stats.over_capacity += len(idx)
        weights = np.maximum(np.asarray(job.capacity, dtype=float), 0.0) + 1e-3
        cum = flat.cumulative(weights[flat.order])
        lo, hi = flat.cell(np.zeros(len(idx), dtype=np.int64), ctx.block[idx])
        has = hi > lo
        own = ctx.inside[idx] & has
        away = ~ctx.inside[idx] & ctx.known[idx] & has & ((hi - lo) < P)
        a_lo, a_hi = np.where(own, lo, 0), np.where(own, hi, P)
        e_lo, e_hi = np.where(away, lo, a_lo), np.where(away, hi, a_lo)
        pos = flat.draw(rng, cum, a_lo, a_hi, e_lo, e_hi)
        out[idx] = flat.order[np.maximum(pos, 0)]
    return out


def assign_by_levels(
    rng: np.random.Generator,
    n_rows: int,
    job: Assignment,
    levels: list[tuple[np.ndarray, np.ndarray]],
    rate: float,
    keep_blocks: bool = False,
    **kwargs,
) -> np.ndarray:
    """``assign_parents`` with blocks at several levels: ``levels[0]`` are the blocks of all
    closest common ancestors together, the next ones coarser fallbacks (one ancestor each).

    A row kept inside (probability ``rate``, raised for rows whose level-0 block has no
    parent, as ``assign_parents`` does) is placed in the first level whose block has capacity
    left; then, failing that, outside it (counts win, the default) or in its level-0 block
    over capacity (``keep_blocks``: the data's consistency wins over learned counts);
    rows not kept inside avoid their level-0 block. Oracle CO: an order's (customer, store)
    pair is rarely the pair of any synthetic shipment, but the customer alone usually is.
    """
    stats = kwargs.pop("stats", None) or Stats()
    out = np.full(n_rows, -1, dtype=np.int64)
    pending = np.ones(n_rows, dtype=bool)
    capacity = np.maximum(np.asarray(job.capacity, dtype=float).round(), 0.0)
    remaining = capacity.copy()
    rb0, pb0 = levels[0]
    known = rb0 >= 0
    has_parent = _populated(pb0, np.ones_like(capacity), rb0)
    if job.n_null > 0:
        # when the data keeps blocks, the rows left without a parent are first those whose
        # block has none (order items of an order no shipment could match)
        key = rng.random(n_rows) + (2.0 * (known & ~has_parent) if rate >= 0.5 else 0.0)
        nulls = np.argsort(-key)[: min(job.n_null, n_rows)]
        pending[nulls] = False
        stats.nulls += len(nulls)
    feasible = known & has_parent
    kept = min(1.0, rate * known.sum() / max(int(feasible.sum()), 1))
    inside = known & (rng.random(n_rows) < kept)

    def run(sel, cap, rows_block, parents_block, r: float, settle: bool = True) -> None:
        nonlocal remaining
        sub = Assignment(
            capacity=cap,
            row_block=rows_block[sel],
            parent_block=parents_block,
            rate=r,
            X=None if job.X is None else job.X[sel],
            models=job.models,
            params=job.params,
        )
        stats.rows -= int(sel.sum())  # counted once, below
        pos = assign_parents(rng, int(sel.sum()), sub, stats=stats, settle=settle, **kwargs)
        out[sel] = pos
        used = np.bincount(pos[pos >= 0], minlength=len(capacity))
        remaining = np.maximum(remaining - used, 0.0)
        pending[sel] = pos == -2  # no room at this level: try the next one

    stats.rows += n_rows
    for rb, pb in levels:
        sel = pending & inside & _populated(pb, remaining, rb)
        if sel.any():
            run(sel, remaining.copy(), rb, pb, 1.0, settle=False)
    sel = pending & inside & has_parent & keep_blocks
    if sel.any():  # every level full: stay in the level-0 block, over capacity
        stats.over_capacity += int(sel.sum())
        run(sel, capacity + 1e-3, rb0, pb0, 1.0)
    if pending.any():
        run(pending.copy(), remaining.copy(), rb0, pb0, 0.0)
    return out


def _populated(parent_block: np.ndarray, weight: np.ndarray, row_block: np.ndarray):
    """For each row: does its block hold a parent with positive ``weight``?"""
    top = int(max(parent_block.max(initial=-1), row_block.max(initial=-1))) + 1
    has = np.zeros(top + 1, dtype=bool)
    ok = (parent_block >= 0) & (weight > 0)
    has[parent_block[ok]] = True
    return (row_block >= 0) & has[np.where(row_block >= 0, row_block, top)]


@dataclass
class _Rows:
    block: np.ndarray  # block id of each row (unknown rows: a block no parent has)
    inside: np.ndarray  # drawn inside its block (else outside it)
    known: np.ndarray  # its block is known (else it has nothing to stay out of)


def rank_within(parents: np.ndarray, rng) -> np.ndarray:
    """Random rank of each entry among the entries with the same parent."""
    order = np.lexsort((rng.random(len(parents)), parents))
    sorted_p = parents[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_p)) + 1]
    sizes = np.diff(np.r_[starts, len(sorted_p)])
    rank_sorted = np.arange(len(sorted_p)) - np.repeat(starts, sizes)
    rank = np.empty(len(parents), dtype=np.int64)
    rank[order] = rank_sorted
    return rank


def _choose_groups(rng, idx, gll, remaining, group, seg, ctx, n_groups):
    """Cluster of each row: likelihood under the cluster model x capacity left in its part of
    the cluster (inside or outside its block). A single cluster when not clustering."""
    if gll is None or n_groups == 1:
        return np.zeros(len(idx), dtype=np.int64)
    width = seg.n_blocks + 1
    cell_cap = np.zeros((n_groups, width))
    np.add.at(cell_cap, (group[seg.order], seg.key % width), remaining[seg.order])
    group_cap = cell_cap.sum(axis=1)
    own = cell_cap[:, ctx.block[idx] + 1].T  # (rows, groups)
    outside = np.where(ctx.known[idx][:, None], group_cap[None, :] - own, group_cap[None, :])
    avail = np.where(ctx.inside[idx][:, None], own, outside)
    ll = gll[idx]
    with np.errstate(divide="ignore"):
        score = np.where(avail > 0, ll + np.log(np.maximum(avail, 1e-300)), -np.inf)
    gumbel = -np.log(-np.log(rng.random(score.shape)))
    g = np.argmax(score + gumbel, axis=1)
    # no room on the row's side in any cluster: the draw fails and the caller reacts
    return np.where(np.isfinite(score).any(axis=1), g, np.argmax(ll, axis=1))


def _choose(rng, idx, g, ctx, seg, cum, job, candidates, stats):
    """One parent index per row, -1 when its side has no room. With models: ``candidates``
    draws by capacity, one kept by likelihood (Gumbel-max: proportional to likelihood)."""
    lo, hi = seg.cell(g, ctx.block[idx])
    ins = ctx.inside[idx]
    exclude = ~ins & ctx.known[idx]
    a_lo = np.where(ins, lo, seg.g_lo[g])
    a_hi = np.where(ins, hi, seg.g_hi[g])
    e_lo = np.where(exclude, lo, a_lo)
    e_hi = np.where(exclude, hi, a_lo)
    m = candidates if job is not None and candidates > 1 else 1
    if m == 1:
        pos = seg.draw(rng, cum, a_lo, a_hi, e_lo, e_hi)
        return np.where(pos >= 0, seg.order[np.maximum(pos, 0)], -1)
    pos = seg.draw(
        rng, cum, np.repeat(a_lo, m), np.repeat(a_hi, m), np.repeat(e_lo, m), np.repeat(e_hi, m)
    ).reshape(-1, m)
    parent = np.where(pos >= 0, seg.order[np.maximum(pos, 0)], -1)
    valid = parent >= 0
    ll = np.full(parent.shape, -np.inf)
    rows = np.repeat(idx, m).reshape(-1, m)
    if valid.any():
        ll[valid] = loglik_pairs(job.X, rows[valid], job.models, parent[valid])
        stats.scored_pairs += int(valid.sum())
    gumbel = -np.log(-np.log(rng.random(ll.shape)))
    pick = np.argmax(np.where(valid, ll + gumbel, -np.inf), axis=1)
    chosen = parent[np.arange(len(idx)), pick]
    return np.where(valid.any(axis=1), chosen, -1)
