"""Per-column artifact check: does any single value take far more rows than it does in the data?

Averaged scores hide spikes. A copula that clips its draws at a bound puts every clipped row on
one value (the maximum of a discrete column, the last category, the latest timestamp): in one
default run ``transactions.quantity == 9`` held 7.5% of the rows against 0.02% in the data it
learned from, while Column Shapes still read 0.9. This module measures exactly that, per column:

* ``value_share_excess(real, synthetic)``: the value whose synthetic share exceeds its allowed
  share by the most; allowed = ``factor`` x its real share + ``margin`` (defaults: twice the
  real share plus one percentage point, the goal of issue 10) + ``noise_z`` binomial standard
  deviations of a share of that size among the synthetic rows. ``excess > 0`` is a failure.
  The noise term is what makes the check usable on small tables: in a 19-row table one row is
  5%, so any value drawn once would "exceed" 1 percentage point; on 10,000 rows it adds 0.3
  points at most. ``noise_z=0`` gives the bare rule. Nulls count as a value (a burst of nulls
  is an artifact too).
* ``shape_complement(real, synthetic)``: SDMetrics' Column Shapes score of the column, the
  KS complement for numbers and datetimes, the TV complement otherwise, computed the same way
  without SDMetrics so the check runs anywhere.
* ``column_artifacts(real_tables, synthetic_tables, skip=...)``: both, for every column of
  every table, worst first (a ``DataFrame``); ``key_columns(metadata_dict)`` lists the key
  columns to skip (their values are renumbered by design).

Pure pandas / numpy: no SDV, no project imports, so any layer can use it (the comparison
report is its main caller).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd

FACTOR = 2.0
MARGIN = 0.01
NOISE_Z = 3.0
_NULL = "<null>"


class ShareExcess(NamedTuple):
    """The worst value of a column: ``excess = synthetic_share - allowed share`` (see the
    module doc), so ``excess > 0`` means the value is over-represented beyond the tolerance."""

    value: object
    real_share: float
    synthetic_share: float
    excess: float

    @property
    def ok(self) -> bool:
        return not self.excess > 0


def _comparable(real: pd.Series, synthetic: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Both series in one value space: ``9`` and ``9.0`` are the same value, a date stored as
    text in one and as a timestamp in the other too."""
    if _numeric(real) and _numeric(synthetic):
        return real.astype(float), synthetic.astype(float)
    if pd.api.types.is_datetime64_any_dtype(real) or pd.api.types.is_datetime64_any_dtype(
        synthetic
    ):
        return _to_datetime(real), _to_datetime(synthetic)
    # anything else compares as text: "9" read from a CSV is the sampled 9
    return real.map(_text, na_action="ignore"), synthetic.map(_text, na_action="ignore")


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _to_datetime(s: pd.Series) -> pd.Series:
    out = pd.to_datetime(s, errors="coerce", format="mixed")
    return out.dt.tz_localize(None) if getattr(out.dt, "tz", None) is not None else out


def _shares(s: pd.Series) -> pd.Series:
    shares = s.value_counts(dropna=True) / len(s)
    nulls = int(s.isna().sum())
    if nulls:
        shares.loc[_NULL] = nulls / len(s)
    return shares


def value_share_excess(
    real: pd.Series,
    synthetic: pd.Series,
    factor: float = FACTOR,
    margin: float = MARGIN,
    noise_z: float = NOISE_Z,
) -> ShareExcess:
    """The single value of ``synthetic`` most over-represented relative to ``real``.

    Every distinct value (nulls included, as ``"<null>"``) gets ``share_synthetic - allowed``,
    ``allowed = a + noise_z * sqrt(a * (1 - a) / len(synthetic))`` with ``a = factor *
    share_real + margin``; the maximum is returned. For a continuous column each value is one
    row of thousands, so only repeated values (a clipped bound, a collapsed category) can fail.
    An empty side gives ``ShareExcess(None, nan, nan, nan)``, which counts as ok.
    """
    if len(real) == 0 or len(synthetic) == 0:
        return ShareExcess(None, float("nan"), float("nan"), float("nan"))
    real, synthetic = _comparable(real.reset_index(drop=True), synthetic.reset_index(drop=True))
    syn = _shares(synthetic)
    ref = _shares(real).reindex(syn.index, fill_value=0.0)
    base = np.minimum(factor * ref + margin, 1.0)
    excess = syn - (base + noise_z * np.sqrt(base * (1.0 - base) / len(synthetic)))
    worst = excess.index[int(np.argmax(excess.to_numpy()))]
    value = None if isinstance(worst, str) and worst == _NULL else worst
    if isinstance(value, np.generic):
        value = value.item()
    return ShareExcess(value, float(ref[worst]), float(syn[worst]), float(excess[worst]))


def shape_complement(real: pd.Series, synthetic: pd.Series) -> tuple[str, float]:
    """``("KSComplement", 1 - KS)`` for numbers and datetimes, else ``("TVComplement", 1 - TV)``
    over value shares; nulls dropped on both sides, as SDMetrics scores a column in Column
    Shapes (a null burst shows in ``value_share_excess`` instead)."""
    real, synthetic = _comparable(real.reset_index(drop=True), synthetic.reset_index(drop=True))
    if _numeric(real) or pd.api.types.is_datetime64_any_dtype(real):
        a = _as_float(real.dropna())
        b = _as_float(synthetic.dropna())
        if not len(a) or not len(b):
            return "KSComplement", float("nan")
        a, b = np.sort(a), np.sort(b)
        grid = np.concatenate([a, b])
        ks = np.abs(
            np.searchsorted(a, grid, side="right") / len(a)
            - np.searchsorted(b, grid, side="right") / len(b)
        ).max()
        return "KSComplement", float(1.0 - ks)
    real, synthetic = real.dropna(), synthetic.dropna()
    if not len(real) or not len(synthetic):
        return "TVComplement", float("nan")
    p, q = _shares(real), _shares(synthetic)
    index = p.index.union(q.index)
    tv = 0.5 * np.abs(p.reindex(index, fill_value=0) - q.reindex(index, fill_value=0)).sum()
    return "TVComplement", float(1.0 - tv)


def _as_float(s: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.to_numpy("datetime64[ns]").astype(np.int64).astype(float)
    return s.to_numpy(dtype=float)


def key_columns(metadata: Mapping) -> dict[str, set[str]]:
    """Primary and foreign key columns per table of an SDV metadata dict (composite keys too):
    their values are renumbered on purpose, so their shares are not comparable."""
    out: dict[str, set[str]] = {t: set() for t in metadata.get("tables", {})}
    for name, table in metadata.get("tables", {}).items():
        pk = table.get("primary_key")
        out[name].update([pk] if isinstance(pk, str) else list(pk or []))
    for rel in metadata.get("relationships", []):
        out.setdefault(rel["child_table_name"], set()).add(rel["child_foreign_key"])
        out.setdefault(rel["parent_table_name"], set()).add(rel["parent_primary_key"])
    return out


def column_artifacts(
    real: Mapping[str, pd.DataFrame],
    synthetic: Mapping[str, pd.DataFrame],
    skip: Mapping[str, Iterable[str]] | None = None,
    factor: float = FACTOR,
    margin: float = MARGIN,
    noise_z: float = NOISE_Z,
) -> pd.DataFrame:
    """One row per column present in both: ``table, column, metric, score, value, real_share,
    synthetic_share, excess, ok``, worst excess first. ``skip`` maps a table to columns to
    leave out (``key_columns(metadata)``)."""
    rows = []
    for table, syn in synthetic.items():
        if table not in real:
            continue
        ignored = set((skip or {}).get(table, ()))
        for column in syn.columns:
            if column in ignored or column not in real[table].columns:
                continue
            metric, score = shape_complement(real[table][column], syn[column])
            worst = value_share_excess(real[table][column], syn[column], factor, margin, noise_z)
            rows.append(
                {
                    "table": table,
                    "column": column,
                    "metric": metric,
                    "score": score,
                    "value": worst.value,
                    "real_share": worst.real_share,
                    "synthetic_share": worst.synthetic_share,
                    "excess": worst.excess,
                    "ok": worst.ok,
                }
            )
    columns = ["table", "column", "metric", "score", "value"]
    columns += ["real_share", "synthetic_share", "excess", "ok"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values("excess", ascending=False, na_position="last").reset_index(drop=True)
