"""The ablation's document (ablation.json, versioned) and its Markdown (ablation.md).

The tables are drawn with ``evaluate.markdown``'s helpers, like the comparison report.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from synthgen_sdv.core.version import __version__
from synthgen_sdv.evaluate.markdown import digits, table_row, table_rule
from synthgen_sdv.evaluate.report import CEILING
from synthgen_sdv.io.files import write_json, write_text
from synthgen_sdv.io.reader import read_versioned
from synthgen_sdv.runs.ablation.aggregate import COSTS, SCORES, aggregate, table
from synthgen_sdv.runs.ablation.config import DEFAULT_CONFIG, AblationConfig
from synthgen_sdv.runs.ablation.plots import make_plots
from synthgen_sdv.runs.ablation.provenance import machine_info, source_revision

SCHEMA = "synthgen_sdv.runs.ablation"
VERSION = 1
HEADLINE = ("Quality", "Column Pair Trends", "Intertable Trends", "ML ratio", "DCR ratio", "time s")


def build_doc(
    cfg: AblationConfig,
    cells: list[dict[str, Any]],
    config_path: Path | None,
    seconds: float,
    source: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """ablation.json: the grid, every cell's numbers (or errors), the aggregates, and the
    machine, versions and commit they came from."""
    names: list[str] = []
    for cell in cells:
        names += [n for n in cell["candidates"] if n not in names]
    return {
        "schema": SCHEMA,
        "version": VERSION,
        "generator": {"name": "synthgen_sdv", "version": __version__},
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "config_file": _shown_path(config_path),
        "grid": {
            **json.loads(cfg.model_dump_json(exclude={"out"})),
            "candidates": names,
            "cells": len(cells),
        },
        "metrics": {m: better for m, better in (*SCORES, *COSTS)},
        "seconds": round(seconds, 1),
        "cells": [{k: v for k, v in c.items() if k not in ("key", "cached")} for c in cells],
        "aggregates": aggregate(cells),
        **machine_info(),
        "source": source or source_revision(),
    }


def _shown_path(path: Path | None) -> str | None:
    if path is None:
        return None
    path = Path(path).resolve()
    for base in (Path.cwd(), DEFAULT_CONFIG.parents[1]):
        if path.is_relative_to(base):
            return str(path.relative_to(base))
    return str(path)


def read_ablation(path: Path) -> dict[str, Any]:
    """Read ablation.json (or the folder holding it), checking schema and version."""
    path = Path(path)
    return read_versioned(path / "ablation.json" if path.is_dir() else path, SCHEMA)


def write_outputs(doc: dict[str, Any], folder: Path) -> dict[str, Path]:
    """Write ablation.json, ablation.md and plots/ into ``folder``; return what was written."""
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / "ablation.json", doc)
    write_text(folder / "ablation.md", render_markdown(doc))
    paths = {"json": folder / "ablation.json", "md": folder / "ablation.md"}
    paths.update(make_plots(doc, folder / "plots"))
    return paths


def _pm(row: dict[str, Any] | None, metric: str) -> str:
    """'mean ± std' of an aggregate row (the mean alone for one seed), decimals by metric."""
    if not row or row.get("mean") is None:
        return "n/a"
    d = digits(metric)
    text = f"{row['mean']:.{d}f} ± {row['std']:.{d}f}"
    return text if row["n"] > 1 else f"{row['mean']:.{d}f}"


def _failed(rows: dict[str, dict[str, Any]]) -> int:
    return max((r.get("failed", 0) for r in rows.values()), default=0)


def render_markdown(doc: dict[str, Any]) -> str:
    """ablation.md: ranking, headline, scores and cost per (scale, candidate), failures, run."""
    grid = doc["grid"]
    t = table(doc)
    seeds = ", ".join(map(str, grid["seeds"]))
    lines = [
        "# Ablation: synthesizers x bootstrap scale x seed",
        "",
        f"Each cell: the rule-based reference at a bootstrap scale and seed, split by root "
        f"entity ({grid['holdout_fraction']:.0%} held out); every candidate learns from train "
        f"and is scored against the holdout; `{CEILING}` is train itself scored against the "
        f"holdout. Values are mean ± std (sample std) over seeds {seeds}.",
        "",
        *_ranking(t),
        "## Headline",
        "",
        table_row(["scale", "candidate"], [*HEADLINE, "failed"]),
        table_rule(["---:", "---"], len(HEADLINE) + 1),
    ]
    for (scale, name), rows in t.items():
        cells = [_pm(rows.get(m), m) for m in HEADLINE]
        lines.append(table_row([f"{scale:g}", name], [*cells, f"{_failed(rows)}"]))
    for title, metrics in (("Scores", SCORES), ("Cost", COSTS)):
        names = [m for m, _ in metrics]
        lines += [
            "",
            f"## {title}",
            "",
            table_row(["scale", "candidate", "n"], names),
            table_rule(["---:", "---", "---:"], len(names)),
        ]
        for (scale, name), rows in t.items():
            n = max((r["n"] for r in rows.values()), default=0)
            cells = [_pm(rows.get(m), m) for m in names]
            lines.append(table_row([f"{scale:g}", name, f"{n}"], cells))
    lines += ["", "## How to read it", ""]
    lines += [f"- **{m}**: {MEANINGS[m]}" for m, _ in (*SCORES, *COSTS) if m in MEANINGS]
    failures = [
        (c["seed"], c["scale"], name, cand["error"].splitlines()[0])
        for c in doc["cells"]
        for name, cand in c["candidates"].items()
        if cand["status"] != "ok"
    ]
    if failures:
        lines += ["", "## Failures", ""]
        lines += [f"- seed {s}, scale {x:g}, {n}: `{e}`" for s, x, n, e in failures]
    m, v = doc["machine"], doc["versions"]
    lines += [
        "",
        "## Run",
        "",
        f"- grid: seeds {seeds}; bootstrap scales {', '.join(f'{s:g}' for s in grid['scales'])}; "
        f"synthesizers {', '.join(grid['synthesizers'])}"
        f"{' + rules_baseline' if grid['baseline'] else ''}; {grid['cells']} cells, "
        f"{doc['seconds']:.0f} s in all",
        f"- config: `{doc.get('config_file') or 'built-in configs/ablation.yml'}`; data config: "
        f"`{grid.get('config_dir') or 'built-in configs/'}`",
        "- reference rows per cell, before the train/holdout split: "
        + "; ".join(
            f"scale {c['scale']:g}: " + ", ".join(f"{k} {n:,}" for k, n in c["rows"].items())
            for c in _first_per_scale(doc["cells"])
        ),
        f"- machine: {m['cores']} cores, {m.get('memory_gib', '?')} GiB, {m['os']}, "
        f"Python {m['python']}",
        "- versions: " + ", ".join(f"{k} {val}" for k, val in v.items()),
        _source_line(doc.get("source")),
        "- plots: `plots/` (one per metric: mean with std error bars per scale; time vs scale); "
        "per-cell reports: `cells/`",
        "- times and memory are measured in one process on a machine that may be shared: "
        "read them as orders of magnitude",
        "",
    ]
    return "\n".join(lines)


def _ranking(t: dict[tuple[float, str], dict[str, dict[str, Any]]]) -> list[str]:
    """One line per scale: candidates by mean Quality; '≈' where the gap is within a std."""
    lines = ["## Ranking by Quality", ""]
    for scale in sorted({s for s, _ in t}):
        rows = [
            (name, r["Quality"])
            for (s, name), r in t.items()
            if s == scale and r.get("Quality", {}).get("mean") is not None
        ]
        ceiling = [r for name, r in rows if name == CEILING]
        ranked = sorted((x for x in rows if x[0] != CEILING), key=lambda x: -x[1]["mean"])
        text = ""
        for i, (name, r) in enumerate(ranked):
            if i:
                prev = ranked[i - 1][1]
                close = prev["mean"] - r["mean"] <= max(prev["std"], r["std"])
                text += " ≈ " if close else " > "
            text += f"{name} {_pm(r, 'Quality')}"
        if ceiling:
            text += f" (ceiling {_pm(ceiling[0], 'Quality')})"
        lines.append(f"- scale {scale:g}: {text}")
    return [*lines, "", "'≈': the gap is within one standard deviation over seeds.", ""]


def _source_line(source: dict[str, Any] | None) -> str:
    if not source:
        return "- code: not a git checkout"
    extra = " plus uncommitted changes" if source["modified"] else ""
    return f"- code: git commit {source['commit'][:10]}{extra}"


def _first_per_scale(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[float, dict[str, Any]] = {}
    for c in cells:
        seen.setdefault(c["scale"], c)
    return list(seen.values())


MEANINGS = {
    "Quality": "SDMetrics QualityReport overall: mean of column shapes, pair trends, "
    "cardinality and intertable trends (0..1, higher is closer to the holdout)",
    "Column Shapes": "each column's marginal distribution vs the holdout (0..1)",
    "Column Pair Trends": "correlations / contingency of column pairs within a table (0..1)",
    "Cardinality": "children-per-parent counts along each relationship (0..1)",
    "Intertable Trends": "pair trends across a parent and child column (0..1)",
    "Diagnostic": "validity and structure: keys, ranges, categories (0..1; 1 is expected)",
    "RI (worst)": "share of foreign keys that resolve, worst relationship (1 = all resolve)",
    "ML ratio": "macro F1 (or R^2) of a model trained on the candidate / of one trained on "
    "real train, both tested on the holdout (1 = as useful as real data)",
    "Spikes": "columns where one value takes more than twice its real share plus one "
    "percentage point (the per-column check; 0 is the goal)",
    "DCR overfitting": "SDMetrics DCROverfittingProtection, worst held-out table (1 = no more "
    "rows near train than near unseen real rows)",
    "DCR ratio": "distance to closest train record, candidate rows / holdout rows, worst "
    "held-out table (about 1 or above = no sign of copying train; well below 1 = memorisation)",
    "fit s": "seconds to fit on train (the baseline infers a config instead: 0)",
    "sample s": "seconds to sample as many rows as train",
    "time s": "fit + sample seconds",
    "peak MB": "peak RSS of the process during fit and sample (includes what it held before)",
}
