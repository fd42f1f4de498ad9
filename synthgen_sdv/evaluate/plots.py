"""PNG plots of a comparison: property scores, distributions, correlations, cardinalities.

Every function takes already-sampled data (the same samples SDMetrics scored), writes one PNG
with matplotlib's Agg backend (no display needed) and returns its path. ``pyplot``,
``candidate_colors``, ``line_style`` and ``save_figure`` are the shared look of every plot of
the package (the ablation's too): one colour per candidate, the ceiling dashed, atomic PNGs.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from synthgen_sdv.evaluate.metrics import as_number
from synthgen_sdv.evaluate.relations import Dataset, TableGraph
from synthgen_sdv.io import files

REAL = "holdout (real)"
REAL_COLOR = "#222222"
CAP = 1.2


def pyplot():
    """matplotlib.pyplot on the Agg backend: plots are files, so no display is ever needed.
    Imported on first use, so scoring without plots does not pay for matplotlib."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def candidate_colors(names: list[str]) -> dict[str, Any]:
    """One tab10 colour per candidate, by position, so a candidate keeps its colour across plots."""
    plt = pyplot()
    cmap = plt.get_cmap("tab10")
    return {n: cmap(i % 10) for i, n in enumerate(names)}


def line_style(name: str, colors: dict[str, Any]) -> dict[str, Any]:
    """Real data (a name without a candidate colour) solid black; the train ceiling dashed so
    it stays visible under a candidate."""
    if name not in colors:
        return {"color": REAL_COLOR, "linewidth": 2.0}
    return {
        "color": colors[name],
        "linewidth": 1.5,
        "linestyle": "--" if name.endswith("(ceiling)") else "-",
    }


def save_figure(fig: Any, path: Path) -> Path:
    """Write ``fig`` as a PNG atomically (``io.files``) and close it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    pyplot().close(fig)
    return files.write_bytes(path, buffer.getvalue())


def _legend_below(fig: Any, ax: Any, offset: float) -> None:
    """One legend for a grid of panels, centred under it (the panels share their candidates)."""
    handles, labels = ax.get_legend_handles_labels()
    for other in fig.axes:  # ``ax`` may have drawn nothing (a column with no values)
        if labels:
            break
        handles, labels = other.get_legend_handles_labels()
    if not labels:  # nothing drawn at all: no legend (matplotlib refuses ncol=0)
        return
    fig.legend(
        handles,
        labels,
        loc="lower center",
        ncol=min(5, len(labels)),
        fontsize=8,
        bbox_to_anchor=(0.5, offset),
    )


def plot_property_scores(
    summary: dict[str, dict[str, Any]], columns: list[str], path: Path
) -> Path:
    """Grouped bars: one group per score column, one bar per candidate; blanks marked n/a."""
    plt = pyplot()
    names = list(summary)
    colors = candidate_colors(names)
    width_in = min(16.0, max(8.0, 0.4 * len(columns) * (len(names) + 1)))
    fig, ax = plt.subplots(figsize=(width_in, 4.5))
    width = 0.8 / max(1, len(names))
    x = np.arange(len(columns))
    for i, name in enumerate(names):
        vals = [summary[name].get(c) for c in columns]
        pos = x - 0.4 + width * (i + 0.5)
        # Ratios can exceed 1 (ML utility with leakage, DCR far from train): cap the bar so
        # the other bars stay readable, and print the true value on it.
        heights = [min(v, CAP) if v is not None else 0.0 for v in vals]
        bars = ax.bar(pos, heights, width, label=name, color=colors[name])
        for b, v, h in zip(bars, vals, heights, strict=True):
            text = "n/a" if v is None else f"{v:.2f}" + ("^" if v > CAP else "")
            ax.text(
                b.get_x() + b.get_width() / 2,
                h + 0.01,
                text,
                ha="center",
                va="bottom",
                fontsize=7,
                rotation=90 if len(names) > 3 else 0,
            )
    ax.set_xticks(x)
    ax.set_xticklabels([c.replace(" ", "\n", 1) for c in columns], fontsize=9)
    ax.set_ylim(0, CAP + 0.12)
    ax.set_ylabel("score / ratio")
    ax.set_title(
        f"Scores per candidate: 1 is best (^ = above {CAP}, bar capped); DCR baseline: "
        "compare with the ceiling (unseen real rows)",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=min(4, len(names)))
    ax.grid(axis="y", alpha=0.3)
    return save_figure(fig, path)


def key_columns(graph: TableGraph, table: str, real: pd.DataFrame, limit: int = 4) -> list[str]:
    """The first ``limit`` value columns worth a distribution plot: numbers, dates, booleans,
    and categoricals with at most 30 values (names, e-mails and codes are all distinct and
    show nothing), leaving out columns with no value at all (nothing to draw)."""
    out = []
    for col in graph.columns(table):
        if graph.sdtype(table, col) == "categorical" and real[col].nunique() > 30:
            continue
        if real[col].isna().all():
            continue
        out.append(col)
    return out[:limit]


def _compact(x: float, _pos: int) -> str:
    """Tick labels 20k / 1.5M for large numbers, plain for small ones (0.05 stays 0.05)."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            return f"{x / size:g}{suffix}"
    return f"{x:g}"


def _short(label: str, n: int = 18) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


def _numeric(s: pd.Series, sdtype: str) -> pd.Series:
    values = as_number(s, sdtype)
    # Dates as fractional years read better on an axis than days since 1970.
    return values / 365.25 + 1970 if sdtype == "datetime" else values


def plot_distributions(
    real: Dataset,
    candidates: dict[str, Dataset],
    graph: TableGraph,
    table: str,
    path: Path,
    real_label: str = REAL,
) -> Path | None:
    """Real vs candidate histograms (numeric) or category shares (categorical) of key columns."""
    cols = key_columns(graph, table, real[table])
    if not cols:
        return None
    plt = pyplot()
    colors = candidate_colors(list(candidates))
    fig, axes = plt.subplots(1, len(cols), figsize=(4.2 * len(cols), 3.4), squeeze=False)
    for ax, col in zip(axes[0], cols, strict=True):
        sdtype = graph.sdtype(table, col)
        if sdtype in ("numerical", "datetime"):
            series = {real_label: _numeric(real[table][col], sdtype).dropna()}
            series.update(
                {n: _numeric(d[table][col], sdtype).dropna() for n, d in candidates.items()}
            )
            allv = pd.concat(list(series.values()))
            if allv.empty:
                continue
            lo, hi = np.nanquantile(allv, [0.005, 0.995])
            bins = np.linspace(lo, hi if hi > lo else lo + 1, 21)
            for name, s in series.items():
                ax.hist(
                    s.clip(lo, hi),
                    bins=bins,
                    density=True,
                    histtype="step",
                    label=name,
                    **line_style(name, colors),
                )
            ax.set_xlabel("year" if sdtype == "datetime" else col)
            if sdtype == "numerical":
                ax.xaxis.set_major_formatter(FuncFormatter(_compact))
            ax.set_yticks([])
            ax.set_ylabel("density")
        else:
            real_share = real[table][col].astype(str).value_counts(normalize=True)
            cats = real_share.index[:12].tolist()
            width = 0.8 / (1 + len(candidates))
            x = np.arange(len(cats))
            ax.bar(
                x - 0.4 + width / 2,
                real_share.reindex(cats).fillna(0),
                width,
                color=REAL_COLOR,
                label=real_label,
            )
            for i, (name, d) in enumerate(candidates.items()):
                share = (
                    d[table][col].astype(str).value_counts(normalize=True).reindex(cats).fillna(0)
                )
                ax.bar(x - 0.4 + width * (i + 1.5), share, width, color=colors[name], label=name)
            ax.set_xticks(x)
            ax.set_xticklabels([_short(c) for c in cats], rotation=30, ha="right", fontsize=8)
            ax.set_ylabel("share of rows")
        ax.set_title(f"{table}.{col}", fontsize=10)
    _legend_below(fig, axes[0][0], -0.08)
    fig.suptitle(f"{table}: {real_label} vs candidates", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return save_figure(fig, path)


def _corr(df: pd.DataFrame, graph: TableGraph, table: str, cols: list[str]) -> pd.DataFrame:
    num = pd.DataFrame({c: _numeric(df[c], graph.sdtype(table, c)) for c in cols})
    return num.corr(method="pearson")


def plot_correlations(
    real: Dataset,
    candidates: dict[str, Dataset],
    graph: TableGraph,
    table: str,
    path: Path,
    real_label: str = REAL,
    max_columns: int = 10,
) -> Path | None:
    """Pearson correlation heatmaps of numerical/datetime columns: holdout, then each candidate."""
    cols = graph.columns(table, ("numerical", "datetime"))[:max_columns]
    if len(cols) < 2:
        return None
    plt = pyplot()
    panels = {real_label: real, **candidates}
    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels) + 1, 3.4), squeeze=False)
    im = None
    for ax, (name, data) in zip(axes[0], panels.items(), strict=True):
        c = _corr(data[table], graph, table, cols)
        im = ax.imshow(c.to_numpy(), vmin=-1, vmax=1, cmap="RdBu_r")
        ax.set_xticks(range(len(cols)))
        ax.set_xticklabels(cols, rotation=45, ha="right", fontsize=7)
        ax.set_yticks(range(len(cols)))
        ax.set_yticklabels(cols if ax is axes[0][0] else [], fontsize=7)
        for i in range(len(cols)):
            for j in range(len(cols)):
                v = c.iat[i, j]
                ax.text(
                    j,
                    i,
                    "" if pd.isna(v) else f"{v:.1f}",
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if abs(v) > 0.6 else "black",
                )
        ax.set_title(name, fontsize=9)
    fig.colorbar(im, ax=axes[0].tolist(), shrink=0.8, label="Pearson r")
    fig.suptitle(f"{table}: correlations, {real_label} vs candidates", fontsize=11)
    return save_figure(fig, path)


def plot_cardinality(
    real_counts: dict[str, pd.Series],
    candidate_counts: dict[str, dict[str, pd.Series]],
    path: Path,
    real_label: str = REAL,
) -> Path | None:
    """Per relationship: histogram of children per parent row, holdout vs candidates."""
    rels = list(real_counts)
    if not rels:
        return None
    plt = pyplot()
    colors = candidate_colors(list(candidate_counts))
    ncols = min(3, len(rels))
    nrows = -(-len(rels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.3 * nrows), squeeze=False)
    for ax, rel in zip(axes.flat, rels, strict=False):
        series = {real_label: real_counts[rel]}
        series.update({n: c[rel] for n, c in candidate_counts.items() if rel in c})
        hi = max(1, int(np.nanquantile(pd.concat(list(series.values())), 0.99)))
        bins = np.arange(0, hi + 2) - 0.5 if hi <= 40 else np.linspace(0, hi, 31)
        for name, s in series.items():
            ax.hist(
                s.clip(upper=hi),
                bins=bins,
                density=True,
                histtype="step",
                label=name,
                **line_style(name, colors),
            )
        child, parent = rel.split(" -> ")
        ax.set_title(f"{child.split('.')[0]} per {parent.split('.')[0]}", fontsize=10)
        ax.set_xlabel("children per parent row")
        ax.set_ylabel("share of parents")
    for ax in list(axes.flat)[len(rels) :]:
        ax.axis("off")
    _legend_below(fig, axes.flat[0], -0.06)
    fig.suptitle(f"Cardinality: children per parent, {real_label} vs candidates", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.25 / (3.3 * nrows)))
    return save_figure(fig, path)
