"""Scores candidate datasets against a real holdout and writes comparison.json, .md, .html.

API::

    report = compare(reference_train, holdout, {"hma": hma_data, "rules": rule_data}, metadata,
                     out_dir, candidate_stats={"hma": {"fit_seconds": 75.2, ...}},
                     reference_label="the rule-based bootstrap",
                     written=WrittenOutput(data=written, fitted_on=full_input))
    report.summary          # {candidate: {column: value}}; also in comparison.md
    report.data             # exactly what comparison.json holds

Protocol (section 1): candidates learn from ``reference_train`` only and are scored against
``holdout``; the row ``train (ceiling)`` scores the real train split itself against the
holdout, which is the best any generator can reach. SDMetrics runs on root-entity subsamples
(``subsample_by_root``) of equal root count for holdout and every candidate, so
size-dependent properties compare like with like and a 10M-row candidate costs no more than a
small one. ``written`` (section 2) scores what a run actually wrote against the data it was
fitted on, with the metrics that need no holdout (``WRITTEN_METRICS``). Both open with one
sentence saying what was compared with what at what sizes (``headline``). ``notes`` (the
"Read with care" section) says what the sizes and the metadata make unreliable. Files are
written to temporary names and renamed, so a crash leaves no half-written report. The JSON
Schema of comparison.json is in ``report_schema``; what the Markdown and HTML show, in
``markdown``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.progress import QUIET, Progress
from synthgen_sdv.core.version import __version__
from synthgen_sdv.evaluate import notes as cautions
from synthgen_sdv.evaluate import plots
from synthgen_sdv.evaluate.headline import headline
from synthgen_sdv.evaluate.markdown import render_html, render_markdown
from synthgen_sdv.evaluate.metrics import (
    METRICS,
    EvalOptions,
    clean,
    sdmetrics_thresholds,
)
from synthgen_sdv.evaluate.metrics.pairs import MAX_COLUMN_PAIRS
from synthgen_sdv.evaluate.parallel import Job, run_jobs
from synthgen_sdv.evaluate.relations import (
    Dataset,
    TableGraph,
    check_dataset,
    coerce_like,
    scorable_metadata,
)
from synthgen_sdv.evaluate.report_schema import COMPARISON_JSON_SCHEMA, SCHEMA, VERSION
from synthgen_sdv.evaluate.scoring import Section, make_scoring
from synthgen_sdv.evaluate.split import children_per_parent
from synthgen_sdv.io.files import write_json, write_text
from synthgen_sdv.io.layout import named_path

__all__ = [
    "CEILING",
    "COMPARISON_JSON_SCHEMA",
    "DEFAULT_METRICS",
    "WRITTEN",
    "WRITTEN_METRICS",
    "ComparisonReport",
    "WrittenOutput",
    "compare",
    "render_html",
    "render_markdown",
]

CEILING = "train (ceiling)"
WRITTEN = "written output"
SCOPES = ("all", "held_out")
#: summary columns that are not 0..1 scores, left out of the score bars
NOT_SCORES = ("time s", "peak MB", "ML synth", "ML real", "closer to train", "Spikes")

DEFAULT_METRICS = [
    "quality",
    "diagnostic",
    "referential_integrity",
    "column_artifacts",
    "ml_utility",
    "dcr_baseline",
    "dcr_overfitting",
    "dcr_ratio",
    "resources",
]
#: section 2 has no holdout: no ML utility (it would test on rows the model saw), no overfitting
WRITTEN_METRICS = [
    "quality",
    "diagnostic",
    "referential_integrity",
    "column_artifacts",
    "dcr_baseline",
    "resources",
]

PROTOCOL = (
    "Candidates learn from the real train split only and are scored against the real holdout, "
    "which no candidate saw. The row '{ceiling}' scores the real train split itself against the "
    "holdout: two real samples of one population differ by that much, so it is the ceiling a "
    "generator can reach. The diagnostic report (validity: keys, ranges, categories, "
    "relationships) and the per-column check check each candidate against the train split it "
    "learned from, since a generator is bound by what it saw, not by the holdout's narrower "
    "range. SDMetrics reports (quality, diagnostic) and the plots use root-entity "
    "subsamples: the holdout is cut to at most {max_root} '{root}' rows and every candidate to "
    "the same number of root rows (method subsample_by_root, seed {seed}), each root row with "
    "all its descendants; shared tables that no table references are capped at {max_shared} "
    "rows. Referential integrity, the per-column check, ML utility and privacy use the full "
    "candidate (row caps below). ML utility: a model trained on the candidate and tested on the "
    "holdout (TSTR) versus one trained on the real train split (TRTR); ratio = TSTR / TRTR. "
    "Privacy: SDMetrics' DCRBaselineProtection (median distance to the closest train row, over "
    "that of uniformly random rows; the ceiling row shows what the holdout's unseen real rows "
    "score) and DCROverfittingProtection (share of rows closer to train than to an equal-sized "
    "holdout sample), per held-out table ('{root}' and its descendants, {dcr_query} rows "
    "against {dcr_ref}), worst table shown; and the DCR ratio (median distance to the closest "
    "train row, candidate rows over holdout rows)."
)

SUMMARY_NOTES = {
    "Quality": "SDMetrics QualityReport overall (mean of the non-blank properties)",
    "RI (worst)": "share of child foreign keys that resolve, worst relationship",
    "Spikes": "columns where one value takes more than twice its real share plus one "
    "percentage point (0 is the goal; see the per-column check)",
    "Worst shape": "the lowest KS/TV complement of any column against what it learned from",
    "ML ratio": "TSTR / TRTR score",
    "DCR baseline": "SDMetrics DCRBaselineProtection, worst held-out table (1 = as far from "
    "train as random rows; compare with the ceiling row: unseen real rows)",
    "DCR overfitting": "SDMetrics DCROverfittingProtection, worst held-out table (1 = no more "
    "rows near train than near unseen real rows)",
    "closer to train": "share of candidate rows nearer to train than to an equal-size holdout "
    "sample (0.5 is ideal; worst held-out table)",
    "DCR ratio": "median distance to the closest train row, candidate rows / holdout rows "
    "(about 1 = new rows as real data; near 0 = copies). Kept beside SDMetrics' because it "
    "compares with the whole train sample: SDMetrics' overfitting score uses an equal-sized "
    "train sample, so it misses most copies of train rows",
}


@dataclass
class WrittenOutput:
    """What a run wrote (``data``) and the data it was fitted on (``fitted_on``), for section 2.

    Both hold the tables of ``compare``'s metadata. ``stats`` are the run's measured
    ``fit_seconds`` / ``sample_seconds``; ``metrics`` default to ``WRITTEN_METRICS``.
    """

    data: Dataset
    fitted_on: Dataset
    stats: dict[str, Any] = field(default_factory=dict)
    metrics: list[str] = field(default_factory=lambda: list(WRITTEN_METRICS))
    #: rows written per table, when ``data`` is a part of them (a sample at scale: its first
    #: batch of whole root entities); None: ``data`` is all of it
    rows: dict[str, int] | None = None


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

    @property
    def written_summary(self) -> dict[str, Any] | None:
        """Section 2's numbers (the written output against its input), or None."""
        written = self.data.get("written")
        return written["candidates"][0]["summary"] if written else None

    @property
    def headline(self) -> str:
        """The sentence the report opens with."""
        return self.data["headline"]

    def result(self, candidate: str, metric: str) -> dict[str, Any]:
        """One metric's full result for one candidate of section 1, or ``WRITTEN`` for
        section 2 (KeyError for an unknown candidate)."""
        entries = list(self.data["candidates"])
        if self.data.get("written"):
            entries += self.data["written"]["candidates"]
        for c in entries:
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
    max_column_pairs: int = MAX_COLUMN_PAIRS,
    scope: str = "all",
    skip_identifier_like: bool = True,
    include_ceiling: bool = True,
    make_plots: bool = True,
    split_info: dict[str, Any] | None = None,
    protocol_note: str | None = None,
    reference_label: str = "the reference data",
    trained_on_train: bool = True,
    holdout_label: str | None = None,
    written: WrittenOutput | None = None,
    failures: dict[str, str] | None = None,
    progress: Callable[[str], None] = _say,
    workers: int | None = None,
    reporter: Progress = QUIET,
) -> ComparisonReport:
    """Score every candidate (and the train ceiling) against the holdout; write the report.

    ``candidate_stats[name]`` may hold ``fit_seconds``, ``sample_seconds``, ``total_seconds``,
    ``peak_memory_mb`` (measured by the caller, see ``measure``) and is echoed in the report.
    ``scope="held_out"`` runs SDMetrics on the root's subtree only: shared tables hold the
    same rows in train and holdout, so they score 1 for the ceiling by construction.
    ``skip_identifier_like`` hides near-unique categorical columns from SDMetrics (see
    ``relations.identifier_like``); the columns are listed in the report.
    ``reference_label`` names where train came from in the opening sentence ("the rule-based
    bootstrap"); ``trained_on_train=False`` says the candidates were made elsewhere (the
    ``compare`` command), ``holdout_label`` where a given holdout came from. ``written`` adds
    section 2: a run's output against the data it was fitted on. ``failures`` names candidates
    that could not be made (and why), for the notes. ``max_column_pairs`` bounds the column
    pairs SDMetrics scores per table and relationship (``metrics.pairs``).

    The entries (ceiling, candidates, written output) and the plots are independent jobs run
    in ``workers`` forked processes (None: one per available core, ``parallel.auto_workers``);
    the report is the same for any count. ``progress`` gets a line per step and finished job,
    ``reporter`` draws a bar over the jobs on a terminal.
    """
    if not candidates and not include_ceiling:
        raise InputError("nothing to compare: no candidates and include_ceiling=False")
    if scope not in SCOPES:
        raise InputError(f"scope must be one of {list(SCOPES)}, got '{scope}'")
    if max_column_pairs < 1:
        raise InputError(f"max_column_pairs must be at least 1, got {max_column_pairs}")
    md, left_out = scorable_metadata(metadata)
    graph = TableGraph(md)
    check_dataset(reference_train, graph, "reference train")
    check_dataset(holdout, graph, "holdout")
    for name, data in candidates.items():
        check_dataset(data, graph, f"candidate '{name}'")
    if written is not None:
        check_dataset(written.data, graph, "written output")
        check_dataset(written.fitted_on, graph, "the data the written output was fitted on")
    if CEILING in candidates:
        raise InputError(f"'{CEILING}' is reserved for the ceiling row; rename that candidate")
    names = metrics or DEFAULT_METRICS
    for n in [*names, *(written.metrics if written else [])]:
        METRICS.get(n)
    root = root_table or graph.entity_root(reference_train)
    # A root without a key has no children (a foreign key needs one): split.py splits its rows
    # as they are, so only a root with descendants needs a key.
    if root not in graph.tables or (
        graph.primary_keys.get(root) is None and graph.descendants(root)
    ):
        raise InputError(
            f"root table '{root}' is not a table with a primary key to split by: "
            f"{[t for t in graph.tables if graph.primary_keys.get(t)]}"
        )
    options = EvalOptions(
        seed=seed, target=target, root_table=root, max_column_pairs=max_column_pairs
    )
    stats = candidate_stats or {}
    unknown = sorted(set(stats) - set(candidates))
    if unknown:
        raise InputError(
            f"candidate_stats for unknown candidates {unknown}; candidates: {sorted(candidates)}"
        )
    sizes = {
        "max_root_rows": max_root_rows,
        "max_shared_rows": max_shared_rows,
        "scope": scope,
        "skip_identifier_like": skip_identifier_like,
        "progress": progress,
    }
    scoring, hold_sample, id_like = make_scoring(
        reference_train, holdout, md, graph, names, options, **sizes
    )
    entries: list[tuple[str, str, Dataset]] = []
    if include_ceiling:
        entries.append((CEILING, "ceiling", reference_train))
    entries += [(n, "candidate", coerce_like(d, holdout, graph)) for n, d in candidates.items()]
    section = Section(
        scoring,
        [scoring.context(n, r, d, stats.get(n, {})) for n, r, d in entries],
        real=hold_sample.data,
        real_info=hold_sample.info,
    )
    written_section = None
    if written is not None:
        written_section = _written_section(written, md, graph, options, sizes)
    sections = [section] if written_section is None else [section, written_section]
    scored, drawn = _score_and_draw(
        sections,
        scoring.score_md,
        Path(out_dir) if make_plots else None,
        workers,
        progress,
        reporter,
    )
    out_candidates = scored[0]
    written_entry = scored[1][0] if written_section is not None else None
    plots_drawn = drawn[0]
    written_drawn = drawn[1] if written_section is not None else {}

    columns = list(out_candidates[0]["summary"]) if out_candidates else []
    n_roots = scoring.n_roots
    notes = [
        f"'{name}' is not in the table: it failed on the train split ({why})."
        for name, why in (failures or {}).items()
    ]
    notes += cautions.size_notes(root, n_roots, out_candidates)
    if id_like:
        notes.append(cautions.identifier_note(id_like))
    if left_out:
        notes.append("Keys the evaluation cannot read: " + "; ".join(left_out) + ".")
    quality = out_candidates[0]["results"].get("quality", {}) if out_candidates else {}
    chance, n_assoc = cautions.chance_level_pairs(quality, scoring.score_md, scoring.hold_scored)
    if chance:
        notes.append(cautions.chance_note(chance, n_assoc))
    subtree = [root, *graph.descendants(root)]
    shared_tables = [t for t in graph.tables if t not in subtree]
    if scope == "all" and shared_tables:
        notes.append(cautions.shared_note(shared_tables))
    protocol = PROTOCOL.format(
        ceiling=CEILING,
        max_root=max_root_rows,
        root=root,
        seed=seed,
        max_shared=max_shared_rows,
        dcr_query=options.dcr_query_rows,
        dcr_ref=options.dcr_reference_rows,
    )
    if protocol_note:
        protocol += " " + protocol_note
    written_doc = None
    if written is not None and written_section is not None and written_entry is not None:
        written_doc = {
            "rows": dict(written.rows) if written.rows is not None else _rows(written.data),
            "scored_rows": _rows(written.data),  # its first batch, for a sample at scale
            "fitted_rows": _rows(written.fitted_on),
            "fitted_evaluated": written_section.real_info,
            "metrics": list(written.metrics),
            "columns": list(written_entry["summary"]),
            "candidates": [written_entry],
            "plots": {},
        }
    hold_kept = {t: v["kept"] for t, v in hold_sample.info["rows"].items()}
    data = {
        "schema": SCHEMA,
        "version": VERSION,
        "generator": {"name": "synthgen_sdv", "version": __version__},
        "created_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "headline": headline(
            subtree,
            _rows(reference_train),
            _rows(holdout),
            hold_kept,
            reference_label,
            trained_on_train=trained_on_train,
            holdout_label=holdout_label,
            written=written_doc,
        ),
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
            "scored_tables": list(scoring.score_md["tables"]),
            "identifier_like_skipped": id_like,
            "root_table": root,
            "root_chosen_by": "argument" if root_table else "auto (PII columns, subtree, rows)",
            "reference_label": reference_label,
            "trained_on_train": trained_on_train,
        },
        "metrics": names,
        "columns": columns,
        "column_notes": {k: v for k, v in SUMMARY_NOTES.items() if k in columns},
        "notes": notes,
        "candidates": out_candidates,
        "written": written_doc,
        "plots": {},
    }
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    if make_plots:
        data["plots"] = _plot_files(out, data, plots_drawn)
        if written_doc is not None:
            written_doc["plots"] = _plot_files(out, written_doc, written_drawn, "written_")
        files.update({k: out / v for k, v in data["plots"].items()})
        if written_doc is not None:
            files.update({f"written_{k}": out / v for k, v in written_doc["plots"].items()})
    data = clean(data)
    files["json"] = write_json(out / "comparison.json", data, indent=2)
    files["markdown"] = write_text(out / "comparison.md", render_markdown(data))
    files["html"] = write_text(out / "comparison.html", render_html(data, out))
    return ComparisonReport(data=data, out_dir=out, files=files)


def _score_and_draw(
    sections: list[Section],
    score_md: dict,
    plot_dir: Path | None,
    workers: int | None,
    progress: Callable[[str], None],
    reporter: Progress,
) -> tuple[list[list[dict[str, Any]]], list[dict[str, Path | None]]]:
    """Every section's entries scored and (with ``plot_dir``) its plots drawn against its real
    side, as jobs in workers after the work they share is made once here. Per section: its
    JSON entries and its plots by name."""
    progress("work shared by every entry (real baselines, reference samples)")
    for part in sections:
        part.prepare()
    plot_jobs: list[dict[str, Job]] = []
    for i, part in enumerate(sections):
        if plot_dir is None:
            plot_jobs.append({})
            continue
        second = {"prefix": "written_", "real_label": "fitted on (real)"} if i else {}
        plot_jobs.append(_plot_jobs(plot_dir, score_md, part.real, part.samples, **second))
    score_jobs = [part.jobs() for part in sections]
    done = iter(
        run_jobs(
            [j for jobs in score_jobs for j in jobs]
            + [j for jobs in plot_jobs for j in jobs.values()],
            workers,
            say=progress,
            reporter=reporter,
            desc="compare",
        )
    )
    scored = [[next(done) for _ in jobs] for jobs in score_jobs]
    drawn = [{k: next(done) for k in jobs} for jobs in plot_jobs]
    if any(plot_jobs):
        progress(f"{sum(len(j) for j in plot_jobs)} plots drawn")
    return scored, drawn


def _written_section(
    written: WrittenOutput,
    md: dict,
    graph: TableGraph,
    options: EvalOptions,
    sizes: dict[str, Any],
) -> Section:
    """Section 2: the written output scored like a candidate, with the data it was fitted on
    standing in for both train and holdout (so only metrics that need no holdout run)."""
    fitted = written.fitted_on
    scoring, fitted_sample, _ = make_scoring(
        fitted, fitted, md, graph, written.metrics, options, **sizes
    )
    scoring.has_holdout = False
    data = coerce_like(written.data, fitted, graph)
    entry = scoring.context(WRITTEN, "written", data, written.stats)
    return Section(scoring, [entry], real=fitted_sample.data, real_info=fitted_sample.info)


def _plot_jobs(
    out: Path,
    md: dict,
    real: Dataset,
    samples: dict[str, Dataset],
    prefix: str = "",
    real_label: str = plots.REAL,
) -> dict[str, Job]:
    """A job per plot of the tables SDMetrics scored (``md``), from the same samples, keyed by
    the plot's name (``prefix`` names the files of a second section, ``real_label`` what the
    real side is). The score bars wait for the scores (``_plot_files``)."""
    graph = TableGraph(md)
    folder = Path(out) / "plots"
    jobs: dict[str, Job] = {}
    drawers = {"distributions": plots.plot_distributions, "correlations": plots.plot_correlations}
    for table in graph.tables:
        for kind, draw in drawers.items():
            path = named_path(folder, table, ".png", f"{prefix}{kind}_")
            jobs[f"{kind}_{table}"] = Job(
                f"plot {kind} of {table}",
                partial(draw, real, samples, graph, table, path, real_label),
                loud=False,
            )
    jobs["cardinality"] = Job(
        "plot cardinality",
        partial(
            _plot_cardinality, md, real, samples, folder / f"{prefix}cardinality.png", real_label
        ),
        loud=False,
    )
    return jobs


def _plot_cardinality(
    md: dict, real: Dataset, samples: dict[str, Dataset], path: Path, real_label: str
) -> Path | None:
    return plots.plot_cardinality(
        children_per_parent(real, md),
        {n: children_per_parent(d, md) for n, d in samples.items()},
        path,
        real_label,
    )


def _plot_files(
    out: Path, data: dict, drawn: dict[str, Path | None], prefix: str = ""
) -> dict[str, str]:
    """The score bars of one section (drawn here: they need its scores; ``prefix`` names its
    file), then the plots its jobs drew, as paths relative to ``out`` in the report's order."""
    summary = {c["name"]: c["summary"] for c in data["candidates"]}
    score_cols = [c for c in data["columns"] if c not in NOT_SCORES]
    written: dict[str, Path | None] = {
        "property_scores": plots.plot_property_scores(
            summary, score_cols, out / "plots" / f"{prefix}property_scores.png"
        )
    }
    written.update(drawn)
    return {k: str(p.relative_to(out)) for k, p in written.items() if p is not None}
