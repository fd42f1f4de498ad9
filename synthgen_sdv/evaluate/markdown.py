"""Markdown for people: the comparison table read in ten seconds, then what it rests on.

``table_row`` and ``table_rule`` are the one way this package draws a Markdown table (the
comparison report here, the ablation's tables in ``runs.ablation``); ``digits`` the one rule
for how many decimals a column shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

ML_DETAIL_COLUMNS = ("ML synth", "ML real")
#: decimals shown for a column; the rest are scores (0..1 mostly), shown with 3
DIGITS = {"fit s": 1, "sample s": 1, "time s": 1, "peak MB": 0}


def table_row(lead: Sequence[str], cells: Sequence[str]) -> str:
    """One Markdown table row: the ``lead`` cells (names), then the value ``cells``."""
    return "| " + " | ".join(lead) + " | " + " | ".join(cells) + " |"


def table_rule(lead: Sequence[str], values: int) -> str:
    """The line under a table's header: ``lead`` alignments as given ("---" left, "---:"
    right), then ``values`` right-aligned number columns."""
    return "|" + "".join(f"{a}|" for a in lead) + "---:|" * values


def digits(column: str) -> int:
    """Decimals for a value of ``column``: seconds to 0.1, megabytes whole, scores to 0.001."""
    return DIGITS.get(column, 3)


def format_value(value: Any, column: str) -> str:
    """A summary value as shown: n/a for a blank, decimals by ``digits`` (integers as they are
    unless the column is a time or memory)."""
    if value is None:
        return "n/a"
    if column in ("time s", "peak MB"):
        return f"{value:.{digits(column)}f}"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _per_table_lines(data: dict[str, Any]) -> list[str]:
    """Candidates x tables for the two per-table quality properties."""
    out: list[str] = []
    for prop in ("Column Shapes", "Column Pair Trends"):
        rows = []
        tables: list[str] = []
        for c in data["candidates"]:
            by = c["results"].get("quality", {}).get("properties", {}).get(prop, {}).get("by_table")
            if by is None:
                continue
            tables += [t for t in by if t not in tables]
            rows.append((c["name"], by))
        if not rows:
            continue
        out += [f"## {prop} per table", "", table_row(["candidate"], tables)]
        out.append(table_rule(["---"], len(tables)))
        for name, by in rows:
            out.append(table_row([name], [format_value(by.get(t), "") for t in tables]))
        out.append("")
    return out


def _weakest_lines(data: dict[str, Any], n: int = 3) -> list[str]:
    """Per candidate, the lowest-scoring columns and column pairs: where to look first."""
    out: list[str] = []
    for c in data["candidates"]:
        props = c["results"].get("quality", {}).get("properties", {})
        items = []
        for d in props.get("Column Shapes", {}).get("details", []):
            if d.get("Score") is not None:
                items.append((d["Score"], f"{d['Table']}.{d['Column']} (shape)"))
        for d in props.get("Column Pair Trends", {}).get("details", []):
            if d.get("Score") is not None and d.get("Meets Threshold?"):
                pair = f"{d['Table']}.{d['Column 1']} x {d['Column 2']} (pair)"
                items.append((d["Score"], pair))
        if items:
            worst = ", ".join(f"{label} {score:.2f}" for score, label in sorted(items)[:n])
            out.append(f"- {c['name']}: {worst}")
    return ["## Weakest columns", "", *out, ""] if out else []


def render_markdown(data: dict[str, Any]) -> str:
    """comparison.md from comparison.json's ``data``: a table a person reads in ten seconds,
    then the protocol, blanks and why, pairs scored, weakest columns and sample sizes."""
    # TSTR and TRTR scores get their own table below; the ratio stays in the headline.
    cols = [c for c in data["columns"] if c not in ML_DETAIL_COLUMNS]
    lines = ["# Synthetic data comparison", ""]
    lines.append(table_row(["candidate"], cols))
    lines.append(table_rule(["---"], len(cols)))
    for c in data["candidates"]:
        name = f"*{c['name']}*" if c["role"] == "ceiling" else f"**{c['name']}**"
        lines.append(table_row([name], [format_value(c["summary"].get(k), k) for k in cols]))
    lines += [
        "",
        "Scores are 0..1, higher is better, except: time s / peak MB (lower is better), "
        "DCR ratio (near or above 1 is good), closer to train (0.5 is ideal).",
    ]
    for k, v in data.get("column_notes", {}).items():
        lines.append(f"- **{k}**: {v}")
    if data.get("notes"):
        lines += ["", "## Read with care", "", *(f"- {n}" for n in data["notes"])]
    lines += ["", "## Protocol", "", data["protocol"], ""]
    thr = data["thresholds"]
    lines += [
        "## SDMetrics thresholds",
        "",
        f"sdmetrics {thr['sdmetrics_version']}: real_correlation_threshold = "
        f"{thr['real_correlation_threshold']}, real_association_threshold = "
        f"{thr['real_association_threshold']}. {thr['rule']}",
        "",
    ]
    blanks = []
    for c in data["candidates"]:
        for mname, res in c["results"].items():
            if res.get("score") is None and res.get("reason") and mname != "resources":
                blanks.append(f"- {c['name']} / {mname}: {res['reason']}")
            for pname, prop in (res.get("properties") or {}).items():
                if prop.get("score") is None:
                    blanks.append(f"- {c['name']} / {pname}: {prop.get('reason')}")
    if blanks:
        lines += ["## Blank (n/a) values and why", "", *blanks, ""]
    pair_lines = []
    for c in data["candidates"]:
        props = c["results"].get("quality", {}).get("properties", {})
        for pname in ("Column Pair Trends", "Intertable Trends"):
            if pname in props:
                p = props[pname]
                pair_lines.append(
                    f"- {pname}: {p.get('pairs_scored')} of {p.get('pairs_total')} column "
                    "pairs pass the thresholds in the holdout and are scored"
                )
        if pair_lines:
            break
    if pair_lines:
        lines += ["## Column pairs actually scored", "", *pair_lines, ""]
    lines += _per_table_lines(data)
    lines += _weakest_lines(data)
    ml = next(
        (c["results"]["ml_utility"] for c in data["candidates"] if "ml_utility" in c["results"]),
        None,
    )
    if ml and ml.get("target", {}).get("table"):
        t = ml["target"]
        lines += [
            "## ML utility target",
            "",
            f"{t['table']}.{t['column']} ({t['task']}, chosen by {t['chosen_by']}), "
            f"metric {ml.get('metric')}; features: the table's own values, its parents' "
            "values, and per child table the count and numeric means.",
            "",
            table_row(
                ["candidate"], [f"TSTR {ml.get('metric')}", f"TRTR {ml.get('metric')}", "ratio"]
            ),
            table_rule(["---"], 3),
        ]
        for c in data["candidates"]:
            summary = c["summary"]
            if "ML ratio" in summary:
                scores = [
                    format_value(summary.get(k), "") for k in ("ML synth", "ML real", "ML ratio")
                ]
                lines.append(table_row([c["name"]], scores))
        lines.append("")
    ss = data["sample_sizes"]
    lines += [
        "## Sample sizes",
        "",
        table_row(["table"], ["train", "holdout", "holdout scored"]),
        table_rule(["---"], 3),
    ]
    hold_rows = ss["holdout_evaluated"].get("rows", {})
    for t in ss["train"]:
        kept = hold_rows.get(t, {}).get("kept", ss["holdout"][t])
        lines.append(table_row([t], [f"{ss['train'][t]}", f"{ss['holdout'][t]}", f"{kept}"]))
    lines.append("")
    parts = []
    for c in data["candidates"]:
        kept = {t: v.get("kept") for t, v in c["sample"].get("rows", {}).items()}
        sizes = ", ".join(f"{t} {n}/{kept.get(t, n)}" for t, n in c["rows"].items())
        parts.append(f"{c['name']}: {sizes}")
    lines.append("Candidate rows (full / scored by SDMetrics): " + "; ".join(parts))
    lines.append("")
    if data["plots"]:
        lines += ["## Plots", ""]
        lines += [f"![{k}]({v})" for k, v in data["plots"].items()]
        lines.append("")
    lines.append(
        f"_{data['generator']['name']} {data['generator']['version']}, "
        f"{data['created_utc']}; details per table and column in comparison.json._"
    )
    return "\n".join(lines) + "\n"
