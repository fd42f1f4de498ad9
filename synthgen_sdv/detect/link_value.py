"""How much a foreign key tells about its child's rows: which link to leave out first.

When HMA would model too many columns (``graph.limit_columns``), links are left out and their
keys re-attached after sampling with the real number of rows per parent (``LinkShape``): what
is lost is how the child's values differ from one parent to the next. That loss is small for a
lookup (WideWorldImporters' order lines vary little by package type: 0.02 below) and large for
a header's lines (the lines of one purchase order share its dates, its editor, its status:
0.70). Choosing the cut by the column count alone left out the headers' links (order lines
sampled under their 227 stock items, whose dates then came from no order: 86% of the lines in
the first of four years).

A link's value is the share of its child's numbers and dates that the parent explains: per
column, the correlation ratio (eta squared) of its normal scores over the parents, adjusted for
the number of parents so that a key with a parent per row does not explain everything by
chance; the mean over the columns. Categories are left out: counted too, they made Chinook's
invoices worth keeping under their customers for the billing address they copy, and the
deeper chain cost more than it kept (holdout Quality 0.738 -> 0.712; numbers and dates only:
0.730). Measured with the report's holdout protocol on the corpus databases whose links are
cut (``reports/links.md``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from synthgen_sdv.detect.links import Relationship

MAX_ROWS = 100_000  # rows of a child a value is measured on (a fixed subsample beyond)
NUMERIC = ("numerical", "datetime")


def _adjusted(eta2: float, n: int, groups: int) -> float:
    """eta squared adjusted for ``groups`` parents among ``n`` rows (0 when it cannot tell)."""
    if n - groups < 2 or not np.isfinite(eta2):
        return 0.0
    return max(0.0, 1.0 - (1.0 - eta2) * (n - 1) / (n - groups))


def _numeric_share(values: pd.Series, codes: np.ndarray) -> float | None:
    """Adjusted eta squared of a number's or date's normal scores over the parents."""
    x = values.astype("int64") if values.dtype.kind == "M" else pd.to_numeric(values, "coerce")
    known = x.notna().to_numpy()
    n = int(known.sum())
    if n < 3:
        return None
    ranks = x[known].rank(pct=True).to_numpy()
    z = special.ndtri((ranks * n - 0.5) / n)
    groups, inverse = np.unique(codes[known], return_inverse=True)
    counts = np.bincount(inverse).astype(float)
    means = np.bincount(inverse, z) / counts
    total = float(((z - z.mean()) ** 2).sum())
    if total <= 0:
        return None
    explained = float((counts * (means - z.mean()) ** 2).sum())
    return _adjusted(explained / total, n, len(groups))


def link_value(tables: dict[str, pd.DataFrame], metadata: dict, rel: Relationship) -> float:
    """The mean share of ``rel``'s child's non-key columns its parent explains (0..1)."""
    df = tables.get(rel.child)
    if df is None or rel.column not in df:
        return 1.0  # nothing to measure it on: treat it as worth keeping
    tmeta = metadata["tables"][rel.child]
    pk = tmeta.get("primary_key")
    keys = set(pk if isinstance(pk, list) else [pk] if pk else [])
    keys |= {
        r["child_foreign_key"]
        for r in metadata.get("relationships", [])
        if r["child_table_name"] == rel.child
    }
    linked = df[df[rel.column].notna()]
    if len(linked) > MAX_ROWS:
        linked = linked.sample(MAX_ROWS, random_state=0)
    codes, _ = pd.factorize(linked[rel.column])
    shares = []
    for col, cmeta in tmeta["columns"].items():
        if col in keys or col not in linked or cmeta.get("pii"):
            continue
        if cmeta.get("sdtype") in NUMERIC:
            share = _numeric_share(linked[col], codes)
        else:
            continue
        if share is not None:
            shares.append(share)
    return float(np.mean(shares)) if shares else 0.0


def link_values(
    tables: dict[str, pd.DataFrame], metadata: dict, rels: list[Relationship]
) -> dict[tuple[str, str], float]:
    """``link_value`` of every relationship, by (child, column)."""
    return {(r.child, r.column): link_value(tables, metadata, r) for r in rels}
