"""Scores candidate datasets against a real holdout and writes comparison.json, .md and plots.

API::

    report = compare(reference_train, holdout, {"hma": hma_data, "rules": rule_data}, metadata,
                     out_dir, candidate_stats={"hma": {"fit_seconds": 75.2, ...}})
    report.summary          # {candidate: {column: value}}; also in comparison.md
    report.data             # exactly what comparison.json holds

Protocol: candidates learn from ``reference_train`` only and are scored against ``holdout``;
the row ``train (ceiling)`` scores the real train split itself against the holdout, which is
the best any generator can reach. SDMetrics runs on root-entity subsamples (``subsample_by_root``)
of equal root count for holdout and every candidate, so size-dependent properties compare like
with like and a 10M-row candidate costs no more than a small one. ``notes`` (the
"Read with care" section) says what the sizes and the metadata make unreliable: a small
holdout, chance-level column pairs, identifier-like columns hidden from SDMetrics, shared
tables that are not held out, candidates that beat the real data or sit on training rows.
Files are written to temporary names and renamed, so a crash leaves no half-written report.
The JSON Schema of comparison.json is in ``report_schema``, the Markdown in ``markdown``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthgen_sdv.core.errors import InputError, SynthgenError
from synthgen_sdv.core.progress import Progress
from synthgen_sdv.core.version import __version__
from synthgen_sdv.evaluate import plots
from synthgen_sdv.evaluate.markdown import render_markdown
from synthgen_sdv.evaluate.metrics import (
    METRICS,
    EvalContext,
    EvalOptions,
    clean,
    sdmetrics_thresholds,
)
from synthgen_sdv.evaluate.relations import (
    Dataset,
    TableGraph,
    check_dataset,
    coerce_like,
    identifier_like,
    metadata_dict,
    subset_metadata,
)
from synthgen_sdv.evaluate.report_schema import COMPARISON_JSON_SCHEMA, SCHEMA, VERSION
from synthgen_sdv.evaluate.split import children_per_parent, subsample_by_root
from synthgen_sdv.io.files import write_json, write_text
from synthgen_sdv.io.layout import named_path

__all__ = [
    "CEILING",
    "COMPARISON_JSON_SCHEMA",
    "DEFAULT_METRICS",
    "ComparisonReport",
    "compare",
    "render_markdown",
]

CEILING = "train (ceiling)"

DEFAULT_METRICS = [
    "quality",
    "diagnostic",
    "referential_integrity",
    "ml_utility",
    "privacy_dcr",
    "resources",
]

PROTOCOL = (
    "Candidates learn from the real train split only and are scored against the real holdout, "
    "which no candidate saw. The row '{ceiling}' scores the real train split itself against the "
    "holdout: two real samples of one population differ by that much, so it is the ceiling a "
    "generator can reach. The diagnostic report (validity: keys, ranges, categories, "
    "relationships) checks each candidate against the train split it learned from, since a "
    "generator is bound by what it saw, not by the holdout's narrower range. "
    "SDMetrics reports (quality, diagnostic) and the plots use root-entity "
    "subsamples: the holdout is cut to at most {max_root} '{root}' rows and every candidate to "
    "the same number of root rows (method subsample_by_root, seed {seed}), each root row with "
    "all its descendants; shared tables that no table references are capped at {max_shared} "
    "rows. Referential integrity, ML utility and privacy use the full candidate (row caps "
    "below). ML utility: a model trained on the candidate and tested on the holdout (TSTR) "
    "versus one trained on the real train split (TRTR); ratio = TSTR / TRTR. Privacy: distance "
    "to closest record (DCR) of candidate rows to train rows, divided by the holdout's own DCR "
    "to train (median; mean where real rows repeat), per held-out table ('{root}' and its "
    "descendants), worst table shown; a ratio well below 1 or a share 'closer to train' well "
    "above 0.5 means rows were copied from the training data."
)

SUMMARY_NOTES = {
    "Quality": "SDMetrics QualityReport overall (mean of the non-blank properties)",
    "RI (worst)": "share of child foreign keys that resolve, worst relationship",
    "ML ratio": "TSTR / TRTR score",
    "DCR ratio": "DCR candidate->train / holdout->train (median; mean where real rows repeat), "
    "worst held-out table",
    "closer to train": "share of candidate rows nearer to train than to an equal-size holdout "
    "sample (0.5 is ideal; worst held-out table)",
}


@dataclass
class ComparisonReport:
    """The comparison as written: ``data`` is comparison.json, ``files`` what was written."""

    data: dict[str, Any]
    out_dir: Path
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def summary(self) -> dict[str, dict[str, Any]]:
        """{candidate: {column: value}}: the numbers of comparison.md's first table."""
        return {c["name"]: c["summary"] for c in self.data["candidates"]}

    def result(self, candidate: str, metric: str) -> dict[str, Any]:
        """One metric's full result for one candidate (KeyError for an unknown candidate)."""
        for c in self.data["candidates"]:
            if c["name"] == candidate:
                return c["results"][metric]
        raise KeyError(candidate)


_REPORTER = Progress()


def _say(message: str) -> None:
    """The default progress callback: a ``[compare]`` line on stderr."""
    _REPORTER.detail(f"[compare] {message}")  # a line per metric and candidate: -v only


def _rows(data: Dataset) -> dict[str, int]:
    return {t: len(df) for t, df in data.items()}


def compare(
    reference_train: Dataset,
    holdout: Dataset,
    candidates: dict[str, Dataset],
    metadata: Any,
    out_dir: str | Path,
    *,
    candidate_stats: dict[str, dict[str, Any]] | None = None,
    metrics: list[str] | None = None,
    target: str | None = None,
    seed: int = 0,
    root_table: str | None = None,
    max_root_rows: int = 2_000,
    max_shared_rows: int = 50_000,
    scope: str = "all",
    skip_identifier_like: bool = True,
    include_ceiling: bool = True,
    make_plots: bool = True,
    split_info: dict[str, Any] | None = None,
    protocol_note: str | None = None,
    progress: Callable[[str], None] = _say,
) -> ComparisonReport:
    """Score every candidate (and the train ceiling) against the holdout; write the report.

    ``candidate_stats[name]`` may hold ``fit_seconds``, ``sample_seconds``, ``total_seconds``,
    ``peak_memory_mb`` (measured by the caller, see ``measure``) and is echoed in the report.
    ``scope="held_out"`` runs SDMetrics on the root's subtree only: shared tables hold the
    same rows in train and holdout, so they score 1 for the ceiling by construction.
    ``skip_identifier_like`` hides near-unique categorical columns from SDMetrics (see
    ``relations.identifier_like``); the columns are listed in the report.
    """
    if not candidates and not include_ceiling:
        raise InputError("nothing to compare: no candidates and include_ceiling=False")
    if scope not in SCOPES:
        raise InputError(f"scope must be one of {list(SCOPES)}, got '{scope}'")
    md = metadata_dict(metadata)
    graph = TableGraph(md)
    check_dataset(reference_train, graph, "reference train")
    check_dataset(holdout, graph, "holdout")
    for name, data in candidates.items():
        check_dataset(data, graph, f"candidate '{name}'")
    if CEILING in candidates:
        raise InputError(f"'{CEILING}' is reserved for the ceiling row; rename that candidate")
    names = metrics or DEFAULT_METRICS
    metric_objs = {n: METRICS.get(n)() for n in names}
    root = root_table or graph.entity_root(reference_train)
    if root not in graph.roots:
        raise InputError(f"root table '{root}' is not a table without parents: {graph.roots}")
    options = EvalOptions(seed=seed, target=target, root_table=root)
    stats = candidate_stats or {}
    unknown = sorted(set(stats) - set(candidates))
    if unknown:
        raise InputError(
            f"candidate_stats for unknown candidates {unknown}; candidates: {sorted(candidates)}"
        )

    hold_sample = subsample_by_root(
        holdout, md, max_root_rows, seed=seed, root_table=root, max_shared_rows=max_shared_rows
    )
    score_md, id_like = identifier_like(md, holdout) if skip_identifier_like else (md, [])
    if scope == "held_out":
        score_md = subset_metadata(score_md, [root, *graph.descendants(root)])
    score_tables = list(score_md["tables"])
    id_like = [c for c in id_like if c.split(".", 1)[0] in score_tables]
    hold_scored = {t: hold_sample.data[t] for t in score_tables}
    n_roots = len(hold_sample.data[root])
    entries: list[tuple[str, str, Dataset]] = []
    if include_ceiling:
        entries.append((CEILING, "ceiling", reference_train))
    entries += [(n, "candidate", coerce_like(d, holdout, graph)) for n, d in candidates.items()]

    shared: dict[str, Any] = {}
    out_candidates = []
    samples: dict[str, Dataset] = {}
    for name, role, data in entries:
        start = time.perf_counter()
        sample = subsample_by_root(
            data, md, n_roots, seed=seed + 1, root_table=root, max_shared_rows=max_shared_rows
        )
        samples[name] = sample.data
        ctx = EvalContext(
            name=name,
            train=reference_train,
            holdout=holdout,
            candidate=data,
            candidate_sample={t: sample.data[t] for t in score_tables},
            holdout_sample=hold_scored,
            metadata=md,
            sample_metadata=score_md,
            graph=graph,
            options=options,
            is_ceiling=role == "ceiling",
            stats=stats.get(name, {}),
            shared=shared,
        )
        results, summary = {}, {}
        for mname, metric in metric_objs.items():
            progress(f"{name}: {mname}")
            try:
                res = clean(metric.compute(ctx))
            except SynthgenError:
                raise
            except Exception as exc:  # one broken candidate must not sink the whole report
                progress(f"{name}: {mname} failed: {type(exc).__name__}: {exc}")
                res = {"score": None, "reason": f"failed: {type(exc).__name__}: {exc}"}
            res.setdefault("reason", None)
            results[mname] = res
            summary.update(clean(metric.columns(res)))
        out_candidates.append(
            {
                "name": name,
                "role": role,
                "rows": _rows(data),
                "summary": summary,
                "results": results,
                "sample": sample.info,
                "eval_seconds": round(time.perf_counter() - start, 3),
            }
        )

    columns = list(out_candidates[0]["summary"]) if out_candidates else []
    notes = _notes(root, n_roots, out_candidates)
    if id_like:
        notes.append(
            "Not scored by SDMetrics (categorical, but at least 90% of the holdout's values are "
            "distinct, so every pair with them would score 0 for any sample that does not copy "
            "them): " + ", ".join(id_like) + ". Declare them with a PII sdtype (email, "
            "first_name, ...) or pass skip_identifier_like=False / --keep-identifier-like."
        )
    quality = out_candidates[0]["results"].get("quality", {}) if out_candidates else {}
    chance, n_assoc = _chance_level_pairs(quality, score_md, hold_scored)
    if chance:
        notes.append(
            f"{len(chance)} of the {n_assoc} column pairs scored by association "
            "(Column Pair Trends, Intertable Trends) "
            "have a holdout Cramer's V within 1.5x of what independent columns of that size "
            "give (many values, few rows), so they pass the threshold by chance and score low "
            "for every candidate, the ceiling too: "
            + "; ".join(chance[:6])
            + ("; ..." if len(chance) > 6 else "")
            + "."
        )
    shared_tables = [t for t in graph.tables if t not in {root, *graph.descendants(root)}]
    if scope == "all" and shared_tables:
        notes.append(
            "Shared tables (" + ", ".join(shared_tables) + ") are not held out: train and "
            "holdout hold the same rows, so the ceiling scores them 1 by construction, and a "
            "candidate that copies them does too. Use scope 'held_out' (--scope held_out) to "
            "score only the held-out tables."
        )
    protocol = PROTOCOL.format(
        ceiling=CEILING, max_root=max_root_rows, root=root, seed=seed, max_shared=max_shared_rows
    )
    if protocol_note:
        protocol += " " + protocol_note
    data = {
        "schema": SCHEMA,
        "version": VERSION,
        "generator": {"name": "synthgen_sdv", "version": __version__},
        "created_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "protocol": protocol,
        "thresholds": sdmetrics_thresholds(),
        "sample_sizes": {
            "train": _rows(reference_train),
            "holdout": _rows(holdout),
            "holdout_evaluated": hold_sample.info,
            "ml_max_rows": options.max_model_rows,
            "dcr_reference_rows_max": options.dcr_reference_rows,
            "dcr_query_rows_max": options.dcr_query_rows,
        },
        "split": split_info,
        "options": {
            "seed": seed,
            "target": target,
            "max_root_rows": max_root_rows,
            "max_shared_rows": max_shared_rows,
            "scope": scope,
            "scored_tables": score_tables,
            "identifier_like_skipped": id_like,
            "root_table": root,
            "root_chosen_by": "argument" if root_table else "auto (PII columns, subtree, rows)",
        },
        "metrics": names,
        "columns": columns,
        "column_notes": {k: v for k, v in SUMMARY_NOTES.items() if k in columns},
        "notes": notes,
        "candidates": out_candidates,
        "plots": {},
    }
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    if make_plots:
        progress("plots")
        data["plots"] = _make_plots(out, score_md, hold_sample.data, samples, data)
        files.update({k: out / v for k, v in data["plots"].items()})
    files["json"] = write_json(out / "comparison.json", clean(data), indent=2)
    files["markdown"] = write_text(out / "comparison.md", render_markdown(data))
    return ComparisonReport(data=clean(data), out_dir=out, files=files)


SMALL_HOLDOUT_ROOTS = 200
SCOPES = ("all", "held_out")


def _chance_level_pairs(
    quality: dict[str, Any], score_md: dict, real: Dataset, factor: float = 1.5
) -> tuple[list[str], int]:
    """Scored pairs (Column Pair Trends and Intertable Trends) whose holdout Cramer's V is near
    chance level.

    For independent columns with k1 and k2 levels over n rows, chi-square is about
    (k1-1)(k2-1), so Cramer's V is about sqrt((k1-1)(k2-1) / (n (min(k1,k2)-1))). SDMetrics
    bins numbers into 10 bins. A pair whose real V is under ``factor`` times that is scored
    but carries no real association to reproduce. Intertable pairs join a parent column
    (Column 1) to a child column (Column 2) over the child's rows.
    """
    props = quality.get("properties") or {}
    flagged, scored = [], 0
    for prop in ("Column Pair Trends", "Intertable Trends"):
        for d in props.get(prop, {}).get("details", []):
            if d.get("Metric") != "ContingencySimilarity" or not d.get("Meets Threshold?"):
                continue
            scored += 1
            if prop == "Column Pair Trends":
                tables = (d["Table"], d["Table"])
            else:
                tables = (d["Parent Table"], d["Child Table"])
            levels = []
            for table, col in zip(tables, (d["Column 1"], d["Column 2"]), strict=True):
                k = real[table][col].nunique()
                numeric = score_md["tables"][table]["columns"][col]["sdtype"] in (
                    "numerical",
                    "datetime",
                )
                levels.append(min(k, 10) if numeric else k)
            k1, k2 = levels
            n = len(real[tables[1]])
            v = d.get("Real Association")
            if v is None or n == 0 or min(k1, k2) < 2:
                continue
            chance = ((k1 - 1) * (k2 - 1) / (n * (min(k1, k2) - 1))) ** 0.5
            if v < factor * chance:
                where = (
                    f"{tables[0]}.{d['Column 1']} x {d['Column 2']}"
                    if tables[0] == tables[1]
                    else f"{tables[0]}.{d['Column 1']} x {tables[1]}.{d['Column 2']}"
                )
                flagged.append(f"{where} (V {v:.2f}, chance {chance:.2f})")
    return flagged, scored


def _notes(root: str, n_roots: int, candidates: list[dict[str, Any]]) -> list[str]:
    """Cautions that follow from the sizes actually scored."""
    notes = []
    if n_roots < SMALL_HOLDOUT_ROOTS:
        notes.append(
            f"The holdout has only {n_roots} '{root}' rows. Every score is noisy at this size, "
            "and Cramer's V is biased upward on small samples, so pairs with no real "
            "association can pass the 0.3 threshold. 'closer to train' also drifts above 0.5 "
            "without any copying, because a generator reproduces quirks of its small training "
            "sample (values seen only in train). Compare candidates with the ceiling row and "
            "with each other, not with 1.0 or 0.5."
        )
    for c in candidates:
        summary = c["summary"]
        if c["role"] == "candidate" and (summary.get("ML ratio") or 0) > 1.1:
            notes.append(
                f"'{c['name']}' beats the real train split on ML utility (ratio "
                f"{summary['ML ratio']:.2f}): check that it never saw the holdout rows."
            )
        dcr = summary.get("DCR ratio")
        if c["role"] == "candidate" and dcr is not None and dcr < 0.5:
            notes.append(
                f"'{c['name']}' sits much closer to the training rows than new real rows do "
                f"(DCR ratio {dcr:.2f}): it may reproduce training records."
            )
        kept = c["sample"].get("root_rows_kept", n_roots)
        if kept < n_roots:
            notes.append(
                f"'{c['name']}' has {kept} '{root}' rows, fewer than the {n_roots} scored in "
                "the holdout: size-dependent scores (Cardinality from shared tables) are not "
                "like for like."
            )
    return notes


def _make_plots(
    out: Path, md: dict, real: Dataset, samples: dict[str, Dataset], data: dict
) -> dict[str, str]:
    """Plots of the tables SDMetrics scored (``md``), from the same samples."""
    graph = TableGraph(md)
    written: dict[str, Path | None] = {}
    summary = {c["name"]: c["summary"] for c in data["candidates"]}
    score_cols = [
        c
        for c in data["columns"]
        if c not in ("time s", "peak MB", "ML synth", "ML real", "closer to train")
    ]
    written["property_scores"] = plots.plot_property_scores(
        summary, score_cols, out / "plots" / "property_scores.png"
    )
    for table in graph.tables:
        written[f"distributions_{table}"] = plots.plot_distributions(
            real, samples, graph, table, named_path(out / "plots", table, ".png", "distributions_")
        )
        written[f"correlations_{table}"] = plots.plot_correlations(
            real, samples, graph, table, named_path(out / "plots", table, ".png", "correlations_")
        )
    written["cardinality"] = plots.plot_cardinality(
        children_per_parent(real, md),
        {n: children_per_parent(d, md) for n, d in samples.items()},
        out / "plots" / "cardinality.png",
    )
    return {k: str(p.relative_to(out)) for k, p in written.items() if p is not None}
