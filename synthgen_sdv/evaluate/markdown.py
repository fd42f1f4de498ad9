"""What a comparison report shows, for people: the sentence and the table read in ten seconds,
then what they rest on; rendered to comparison.md and comparison.html (``document``).

``table_row`` and ``table_rule`` are the one way this package draws a Markdown table (the
comparison report here, the ablation's tables in ``runs.ablation``); ``digits`` the one rule
for how many decimals a column shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synthgen_sdv.evaluate.document import (
    Block,
    Bullets,
    Heading,
    Image,
    Paragraph,
    Section,
    Table,
    table_row,
    table_rule,
    to_html,
    to_markdown,
)

__all__ = [
    "digits",
    "document",
    "format_value",
    "render_html",
    "render_markdown",
    "summary_markdown",
    "table_row",
    "table_rule",
]

TITLE = "Synthetic data comparison"
ML_DETAIL_COLUMNS = ("ML synth", "ML real")
#: decimals shown for a column; the rest are scores (0..1 mostly), shown with 3
DIGITS = {"fit s": 1, "sample s": 1, "time s": 1, "peak MB": 0}
LEGEND = (
    "Scores are 0..1, higher is better, except: time s / peak MB (lower is better), Spikes "
    "(columns failing the per-column check; 0 is the goal), closer to train (0.5 is ideal)."
)
WRITTEN_INTRO = (
    "The output this run wrote, scored against the data the model was fitted on (the whole "
    "input, not the train split): how faithful the delivered tables are. There is no holdout "
    "here, so a model that copied its input would score well: read privacy and overfitting in "
    "section 1. DCR baseline: the ceiling row of section 1 shows what unseen real rows score."
)


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


def _summary_table(candidates: list[dict[str, Any]], columns: list[str]) -> Table:
    cols = [c for c in columns if c not in ML_DETAIL_COLUMNS]
    rows = []
    for c in candidates:
        name = f"*{c['name']}*" if c["role"] == "ceiling" else f"**{c['name']}**"
        rows.append([name, *(format_value(c["summary"].get(k), k) for k in cols)])
    return Table(["candidate", *cols], rows)


def _share(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.2f}%"


def _artifact_blocks(candidates: list[dict[str, Any]], level: int) -> list[Block]:
    """Per candidate: columns checked, how many fail, the largest single-value excess and the
    worst columns by KS/TV complement."""
    rows, rule, reference = [], None, {}
    for c in candidates:
        res = c["results"].get("column_artifacts")
        if not res or res.get("columns_checked") is None:
            continue
        rule = res.get("rule", rule)
        reference[c["name"]] = res.get("reference")
        worst = res.get("worst_excess") or {}
        if worst:
            value = "null" if worst.get("value") is None else str(worst["value"])
            flag = "FAILS" if worst.get("ok") is False else "ok"
            excess = (
                f"{worst['table']}.{worst['column']} = {value}: {_share(worst.get('real_share'))}"
                f" -> {_share(worst.get('synthetic_share'))} ({flag})"
            )
        else:
            excess = "n/a"
        shapes = ", ".join(
            f"{s['table']}.{s['column']} {s['score']:.3f}"
            for s in (res.get("worst_shapes") or [])[:3]
        )
        failing = res.get("failing") or []
        rows.append(
            [
                c["name"],
                excess,
                shapes or "n/a",
                ", ".join(failing[:5]) + (", ..." if len(failing) > 5 else "") or "none",
                str(res["columns_checked"]),
                str(len(failing)),
            ]
        )
    if not rows:
        return []
    header = ["candidate", "largest single-value excess (real share -> its share)"]
    header += ["worst columns by KS/TV complement", "spiked columns", "columns", "spiked"]
    against = "; ".join(f"{n} against {r}" for n, r in reference.items())
    text = (
        f"Averaged scores hide a spike on one value. Rule: {rule}. Compared with what each "
        f"candidate learned from ({against}); keys and PII columns are left out."
    )
    return [Section("Per-column check", [Paragraph(text), Table(header, rows, lead=4)], level)]


def _per_table_blocks(candidates: list[dict[str, Any]], level: int) -> list[Block]:
    """Candidates x tables for the two per-table quality properties."""
    out: list[Block] = []
    for prop in ("Column Shapes", "Column Pair Trends"):
        rows = []
        tables: list[str] = []
        for c in candidates:
            by = c["results"].get("quality", {}).get("properties", {}).get(prop, {}).get("by_table")
            if by is None:
                continue
            tables += [t for t in by if t not in tables]
            rows.append((c["name"], by))
        if rows:
            body = [[n, *(format_value(by.get(t), "") for t in tables)] for n, by in rows]
            out.append(Section(f"{prop} per table", [Table(["candidate", *tables], body)], level))
    return out


def _weakest_blocks(candidates: list[dict[str, Any]], level: int, n: int = 3) -> list[Block]:
    """Per candidate, the lowest-scoring columns and column pairs: where to look first."""
    items = []
    for c in candidates:
        props = c["results"].get("quality", {}).get("properties", {})
        scored = []
        for d in props.get("Column Shapes", {}).get("details", []):
            if d.get("Score") is not None:
                scored.append((d["Score"], f"{d['Table']}.{d['Column']} (shape)"))
        for d in props.get("Column Pair Trends", {}).get("details", []):
            if d.get("Score") is not None and d.get("Meets Threshold?"):
                scored.append(
                    (d["Score"], f"{d['Table']}.{d['Column 1']} x {d['Column 2']} (pair)")
                )
        if scored:
            worst = ", ".join(f"{label} {score:.2f}" for score, label in sorted(scored)[:n])
            items.append(f"{c['name']}: {worst}")
    return [Section("Weakest columns (SDMetrics)", [Bullets(items)], level)] if items else []


def _blank_blocks(candidates: list[dict[str, Any]], level: int) -> list[Block]:
    blanks = []
    for c in candidates:
        for mname, res in c["results"].items():
            if res.get("score") is None and res.get("reason") and mname != "resources":
                blanks.append(f"{c['name']} / {mname}: {res['reason']}")
            for pname, prop in (res.get("properties") or {}).items():
                if prop.get("score") is None:
                    blanks.append(f"{c['name']} / {pname}: {prop.get('reason')}")
    return [Section("Blank (n/a) values and why", [Bullets(blanks)], level)] if blanks else []


def _sampled_line(prop: str, sampled: list[dict[str, Any]]) -> str:
    """Where a table (relationship) had more column pairs than the bound: how many of how many
    were scored."""
    parts = [
        f"{s.get('table') or s.get('relationship')}: {s['scored']:,} of {s['of']:,} pairs"
        for s in sampled
    ]
    return (
        f"{prop}: a seeded sample of the column pairs, the same pairs for every entry "
        f"(SDMetrics' own pair metrics on them; more pairs than the bound): {'; '.join(parts)}"
    )


def _pairs_blocks(candidates: list[dict[str, Any]], level: int) -> list[Block]:
    for c in candidates:
        props = c["results"].get("quality", {}).get("properties", {})
        lines = [
            f"{p}: {props[p].get('pairs_scored')} of {props[p].get('pairs_total')} column pairs "
            "pass the thresholds in the real data and are scored"
            for p in ("Column Pair Trends", "Intertable Trends")
            if p in props and props[p].get("pairs_total") is not None
        ]
        lines += [
            _sampled_line(p, props[p]["pairs_sampled"])
            for p in props
            if props[p].get("pairs_sampled")
        ]
        if lines:
            return [Section("Column pairs actually scored", [Bullets(lines)], level)]
    return []


def _ml_blocks(candidates: list[dict[str, Any]], level: int) -> list[Block]:
    ml = next(
        (c["results"]["ml_utility"] for c in candidates if "ml_utility" in c["results"]), None
    )
    if not ml or not ml.get("target", {}).get("table"):
        return []
    t = ml["target"]
    text = (
        f"{t['table']}.{t['column']} ({t['task']}, chosen by {t['chosen_by']}), metric "
        f"{ml.get('metric')}; features: the table's own values, its parents' values, and per "
        "child table the count and numeric means."
    )
    header = ["candidate", f"TSTR {ml.get('metric')}", f"TRTR {ml.get('metric')}", "ratio"]
    rows = [
        [
            c["name"],
            *(format_value(c["summary"].get(k), "") for k in ("ML synth", "ML real", "ML ratio")),
        ]
        for c in candidates
        if "ML ratio" in c["summary"]
    ]
    return [Section("ML utility target", [Paragraph(text), Table(header, rows)], level)]


def _candidate_rows(candidates: list[dict[str, Any]]) -> Paragraph:
    parts = []
    for c in candidates:
        kept = {t: v.get("kept") for t, v in c["sample"].get("rows", {}).items()}
        sizes = ", ".join(f"{t} {n:,}/{(kept.get(t) or n):,}" for t, n in c["rows"].items())
        parts.append(f"{c['name']}: {sizes}")
    return Paragraph("Rows (full / scored by SDMetrics): " + "; ".join(parts))


def _plot_blocks(plots: dict[str, str], level: int) -> list[Block]:
    if not plots:
        return []
    return [Section("Plots", [Image(k, v) for k, v in plots.items()], level)]


def _holdout_blocks(data: dict[str, Any], level: int) -> list[Block]:
    cands = data["candidates"]
    blocks: list[Block] = [_summary_table(cands, data["columns"]), Paragraph(LEGEND)]
    notes = [f"**{k}**: {v}" for k, v in data.get("column_notes", {}).items()]
    if notes:
        blocks.append(Bullets(notes))
    blocks += _artifact_blocks(cands, level)
    if data.get("notes"):
        blocks.append(Section("Read with care", [Bullets(data["notes"])], level))
    blocks.append(Section("Protocol", [Paragraph(data["protocol"])], level))
    thr = data["thresholds"]
    blocks.append(
        Section(
            "SDMetrics thresholds",
            [
                Paragraph(
                    f"sdmetrics {thr['sdmetrics_version']}: real_correlation_threshold = "
                    f"{thr['real_correlation_threshold']}, real_association_threshold = "
                    f"{thr['real_association_threshold']}. {thr['rule']}"
                )
            ],
            level,
        )
    )
    blocks += _blank_blocks(cands, level)
    blocks += _pairs_blocks(cands, level)
    blocks += _per_table_blocks(cands, level)
    blocks += _weakest_blocks(cands, level)
    blocks += _ml_blocks(cands, level)
    ss = data["sample_sizes"]
    hold_rows = ss["holdout_evaluated"].get("rows", {})
    rows = [
        [
            t,
            f"{ss['train'][t]:,}",
            f"{ss['holdout'][t]:,}",
            f"{hold_rows.get(t, {}).get('kept', ss['holdout'][t]):,}",
        ]
        for t in ss["train"]
    ]
    table = Table(["table", "train", "holdout", "holdout scored"], rows)
    blocks.append(Section("Sample sizes", [table, _candidate_rows(cands)], level))
    blocks += _plot_blocks(data["plots"], level)
    return blocks


def _written_blocks(written: dict[str, Any], level: int) -> list[Block]:
    cands = written["candidates"]
    blocks: list[Block] = [Paragraph(WRITTEN_INTRO), _summary_table(cands, written["columns"])]
    blocks += _artifact_blocks(cands, level)
    blocks += _blank_blocks(cands, level)
    blocks += _per_table_blocks(cands, level)
    blocks += _weakest_blocks(cands, level)
    scored = written.get("scored_rows") or written["rows"]
    rows = [
        [t, f"{written['fitted_rows'][t]:,}", f"{n:,}", f"{scored.get(t, n):,}"]
        for t, n in written["rows"].items()
    ]
    table = Table(
        ["table", "fitted on", "written", "scored (a large sample: its first batch)"], rows
    )
    blocks.append(Section("Sizes", [table, _candidate_rows(cands)], level))
    blocks += _plot_blocks(written.get("plots", {}), level)
    return blocks


def document(data: dict[str, Any]) -> list[Block]:
    """The report's blocks from comparison.json's ``data``: the title, the one sentence, then
    the holdout comparison (section 1) and, for a run that wrote output, that output against
    the data it was fitted on (section 2)."""
    blocks: list[Block] = [Heading(TITLE, 1), Paragraph(data["headline"], css="headline")]
    written = data.get("written")
    if written:
        blocks.append(
            Section(
                "1. Holdout comparison: trained on the train split, scored against the holdout",
                _holdout_blocks(data, 3),
            )
        )
        blocks.append(
            Section(
                "2. The written output, against the data it was fitted on",
                _written_blocks(written, 3),
            )
        )
    else:
        blocks += _holdout_blocks(data, 2)
    blocks.append(
        Paragraph(
            f"*{data['generator']['name']} {data['generator']['version']}, "
            f"{data['created_utc']}; details per table and column in comparison.json.*"
        )
    )
    return blocks


def summary_markdown(data: dict[str, Any]) -> str:
    """Section 1's summary table alone, as Markdown (what ``compare`` prints)."""
    return to_markdown([_summary_table(data["candidates"], data["columns"])])


def render_markdown(data: dict[str, Any]) -> str:
    """comparison.md."""
    return to_markdown(document(data))


def render_html(data: dict[str, Any], report_dir: Path) -> str:
    """comparison.html: the same blocks, every plot read from ``report_dir`` and embedded."""

    def image_bytes(rel: str) -> bytes | None:
        path = report_dir / rel
        return path.read_bytes() if path.is_file() else None

    return to_html(document(data), TITLE, image_bytes)
