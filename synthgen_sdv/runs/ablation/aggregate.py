"""Per (scale, candidate, metric): the seeds reduced to mean, std, min, max and n.

``SCORES`` and ``COSTS`` are the metrics the report shows and plots, with which way is better;
every numeric summary value of a cell is aggregated.
"""

from __future__ import annotations

import math
from typing import Any

#: (metric, better) shown in the tables and plotted; every numeric summary value is aggregated
SCORES = (
    ("Quality", "higher"),
    ("Column Shapes", "higher"),
    ("Column Pair Trends", "higher"),
    ("Cardinality", "higher"),
    ("Intertable Trends", "higher"),
    ("Diagnostic", "higher"),
    ("RI (worst)", "higher"),
    ("ML ratio", "higher"),
    ("Spikes", "lower"),
    ("DCR overfitting", "higher"),
    ("DCR ratio", "about 1"),
)
COSTS = (("fit s", "lower"), ("sample s", "lower"), ("time s", "lower"), ("peak MB", "lower"))
BOUNDED = {m for m, _ in SCORES} - {"DCR ratio", "Spikes"}  # 0..1 scores


def aggregate(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (scale, candidate, metric): mean, std (sample, ddof=1; 0 for one value), min, max,
    n (seeds with a value) and failed (seeds where the candidate raised). A metric that is
    blank for a candidate (the ceiling has no DCR or time) is left out, not averaged as 0."""
    values: dict[tuple[float, str], dict[str, list[float]]] = {}
    failed: dict[tuple[float, str], int] = {}
    order: list[tuple[float, str]] = []
    for cell in cells:
        for name, c in cell["candidates"].items():
            key = (float(cell["scale"]), name)
            if key not in values:
                values[key], failed[key] = {}, 0
                order.append(key)
            if c["status"] != "ok":
                failed[key] += 1
                continue
            for metric, v in c["metrics"].items():
                values[key].setdefault(metric, []).append(float(v))
    rows = []
    for scale, name in sorted(order, key=lambda k: (k[0], order.index(k))):
        for metric, vs in values[(scale, name)].items():
            rows.append(
                {
                    "scale": scale,
                    "candidate": name,
                    "metric": metric,
                    **describe(vs),
                    "failed": failed[(scale, name)],
                }
            )
        if not values[(scale, name)]:
            rows.append(
                {"scale": scale, "candidate": name, "metric": "Quality", **describe([])}
                | {"failed": failed[(scale, name)]}
            )
    return rows


def describe(vs: list[float]) -> dict[str, Any]:
    """mean, std (sample, ddof=1; 0 for one value), min, max and n; all None for no value."""
    n = len(vs)
    if n == 0:
        return {"mean": None, "std": None, "min": None, "max": None, "n": 0}
    mean = math.fsum(vs) / n
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in vs) / (n - 1)) if n > 1 else 0.0
    return {"mean": mean, "std": std, "min": min(vs), "max": max(vs), "n": n}


def table(doc: dict[str, Any]) -> dict[tuple[float, str], dict[str, dict[str, Any]]]:
    """{(scale, candidate): {metric: aggregate row}} in grid order."""
    out: dict[tuple[float, str], dict[str, dict[str, Any]]] = {}
    for row in doc["aggregates"]:
        out.setdefault((row["scale"], row["candidate"]), {})[row["metric"]] = row
    return out
