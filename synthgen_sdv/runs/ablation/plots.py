"""The ablation's PNGs: one per score (mean ± std per scale, a line per candidate), time and
memory against scale, and an overview grid. Colours, line styles and the atomic PNG writer
are ``evaluate.plots``' (so the ceiling looks the same as in a comparison report).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from matplotlib.ticker import ScalarFormatter

from synthgen_sdv.evaluate import plots
from synthgen_sdv.runs.ablation.aggregate import BOUNDED, SCORES

MIN_SPAN = 0.05  # smallest y range drawn for a 0..1 score


def _slug(text: str) -> str:
    """A metric name as a file name: 'RI (worst)' -> 'ri_worst'."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _series(doc: dict[str, Any], metric: str) -> dict[str, list[tuple[float, dict[str, Any]]]]:
    """{candidate: [(scale, aggregate row)]} for one metric, rows with a value only."""
    out: dict[str, list[tuple[float, dict[str, Any]]]] = {}
    for name in doc["grid"]["candidates"]:
        pts = [
            (r["scale"], r)
            for r in doc["aggregates"]
            if r["candidate"] == name and r["metric"] == metric and r["mean"] is not None
        ]
        if pts:
            out[name] = sorted(pts, key=lambda p: p[0])
    return out


def make_plots(doc: dict[str, Any], folder: Path) -> dict[str, Path]:
    """One PNG per metric (mean ± std per scale, a line per candidate) and time vs scale."""
    plt = plots.pyplot()
    colors = plots.candidate_colors(doc["grid"]["candidates"])
    scales = sorted(doc["grid"]["scales"])
    seeds = len(doc["grid"]["seeds"])
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}

    def draw(ax, metric: str) -> bool:
        series = _series(doc, metric)
        # a small sideways offset per candidate keeps overlapping error bars apart
        width = 0.06 * (len(series) - 1)
        for i, (name, pts) in enumerate(series.items()):
            dx = (i - (len(series) - 1) / 2) * (width / max(1, len(series) - 1))
            xs = [_xpos(scales, s) + dx for s, _ in pts]
            ax.errorbar(
                xs,
                [r["mean"] for _, r in pts],
                yerr=[r["std"] for _, r in pts],
                label=name,
                marker="o",
                capsize=4,
                **plots.line_style(name, colors),  # the ceiling dashed
            )
        lo, hi = ax.get_ylim()
        if metric in BOUNDED and hi - lo < MIN_SPAN:
            # a score that barely moves (Diagnostic at 1.0) should look flat, not dramatic
            mid = (lo + hi) / 2
            ax.set_ylim(mid - MIN_SPAN / 2, mid + MIN_SPAN / 2)
        ax.set_xticks(range(len(scales)), [f"{s:g}" for s in scales])
        ax.set_xlim(-0.5, len(scales) - 0.5)
        ax.set_xlabel("bootstrap scale")
        ax.grid(axis="y", alpha=0.3)
        return bool(series)

    for metric, better in SCORES:
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        if draw(ax, metric):
            ax.set_title(f"{metric} ({better} is better): mean ± std over {seeds} seeds")
            ax.set_ylabel(metric)
            ax.legend(fontsize=8, loc="best")
            paths[metric] = plots.save_figure(fig, folder / f"metric_{_slug(metric)}.png")
        else:
            plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, metric, title in (
        (axes[0], "time s", "fit + sample seconds"),
        (axes[1], "peak MB", "peak memory (MB, RSS)"),
    ):
        draw(ax, metric)
        means = [r["mean"] for pts in _series(doc, metric).values() for _, r in pts]
        if means and min(means) > 0 and max(means) / min(means) > 20:
            # stock HMA takes ~50x longer than the rest: a log axis keeps all of them readable
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(ScalarFormatter())
            title += " (log scale)"
        ax.set_title(f"{title} vs scale, mean ± std")
        ax.set_ylabel(metric)
    axes[0].legend(fontsize=8, loc="best")
    paths["time"] = plots.save_figure(fig, folder / "time_vs_scale.png")

    shown = [m for m, _ in SCORES if m in paths]
    cols = 3
    rows = math.ceil(len(shown) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.3 * cols, 3.3 * rows), squeeze=False)
    for ax, metric in zip(axes.flat, shown, strict=False):
        draw(ax, metric)
        ax.set_title(metric, fontsize=10)
        ax.set_xlabel("")
    for ax in list(axes.flat)[len(shown) :]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=9)
    fig.suptitle(f"Scores by bootstrap scale (mean ± std over {seeds} seeds)")
    fig.tight_layout(rect=(0, 0.05, 1, 0.97))
    paths["overview"] = plots.save_figure(fig, folder / "overview.png")
    return paths


def _xpos(scales: list[float], scale: float) -> float:
    return float(scales.index(scale))
