"""Scoring one section of a comparison: every metric on every entry, from one set-up.

``make_scoring`` cuts the holdout to its root-entity sample, hides identifier-like columns from
SDMetrics and builds the metrics once; ``Scoring.score`` runs them on one entry (a candidate,
the train ceiling or a run's written output) and returns its JSON entry and the sample the
plots use. A metric that raises records its error instead of sinking the report.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from synthgen_sdv.core.errors import SynthgenError
from synthgen_sdv.evaluate.metrics import METRICS, EvalContext, EvalOptions, Metric, clean
from synthgen_sdv.evaluate.parallel import Job
from synthgen_sdv.evaluate.relations import (
    Dataset,
    TableGraph,
    identifier_like,
    subset_metadata,
    without_self_references,
)
from synthgen_sdv.evaluate.split import Sample, subsample_by_root


def _rows(data: Dataset) -> dict[str, int]:
    return {t: len(df) for t, df in data.items()}


@dataclass
class Scoring:
    """What every entry of one section is scored with."""

    train: Dataset
    holdout: Dataset
    hold_scored: Dataset  # the root-subsampled holdout, scored tables only
    n_roots: int
    md: dict
    score_md: dict
    graph: TableGraph
    options: EvalOptions
    metrics: dict[str, Metric]
    max_shared_rows: int
    progress: Callable[[str], None]
    has_holdout: bool = True
    shared: dict[str, Any] = field(default_factory=dict)

    def context(
        self, name: str, role: str, data: Dataset, stats: dict[str, Any]
    ) -> tuple[EvalContext, Sample]:
        """What the metrics see for one entry (a candidate, the ceiling or the written output),
        and its root-entity sample (SDMetrics' and the plots' input)."""
        sample = subsample_by_root(
            data,
            self.md,
            self.n_roots,
            seed=self.options.seed + 1,
            root_table=self.options.root_table,
            max_shared_rows=self.max_shared_rows,
        )
        ctx = EvalContext(
            name=name,
            train=self.train,
            holdout=self.holdout,
            candidate=data,
            candidate_sample={t: sample.data[t] for t in self.score_md["tables"]},
            holdout_sample=self.hold_scored,
            metadata=self.md,
            sample_metadata=self.score_md,
            graph=self.graph,
            options=self.options,
            is_ceiling=role == "ceiling",
            stats=stats,
            shared=self.shared,
            has_holdout=self.has_holdout,
            role=role,
        )
        return ctx, sample

    def prepare(self, ctx: EvalContext) -> None:
        """The work this entry shares with the others (``Metric.prepare``), done once, before
        the entries are scored (in workers that then only read it)."""
        for metric in self.metrics.values():
            try:
                metric.prepare(ctx)
            except SynthgenError:
                raise
            except Exception:  # compute meets the same error and records it
                pass

    def run(self, ctx: EvalContext, sample: Sample) -> dict[str, Any]:
        """Every metric on one prepared entry: its JSON entry."""
        start = time.perf_counter()
        name = ctx.name
        results, summary, seconds = {}, {}, {}
        self.progress(f"score {name}")
        for mname, metric in self.metrics.items():
            began = time.perf_counter()
            try:
                res = clean(metric.compute(ctx))
            except SynthgenError:
                raise
            except Exception as exc:  # one broken candidate must not sink the whole report
                self.progress(f"{name}: {mname} failed: {type(exc).__name__}: {exc}")
                res = {"score": None, "reason": f"failed: {type(exc).__name__}: {exc}"}
            res.setdefault("reason", None)
            results[mname] = res
            seconds[mname] = round(time.perf_counter() - began, 3)
            summary.update(clean(metric.columns(res)))
        return {
            "name": name,
            "role": ctx.role,
            "rows": _rows(ctx.candidate),
            "summary": summary,
            "results": results,
            "sample": sample.info,
            "eval_seconds": round(time.perf_counter() - start, 3),
            "metric_seconds": seconds,
        }

    def score(
        self, name: str, role: str, data: Dataset, stats: dict[str, Any]
    ) -> tuple[dict[str, Any], Dataset]:
        """One entry scored in this process: its JSON entry and the root-entity sample
        SDMetrics and the plots saw."""
        ctx, sample = self.context(name, role, data, stats)
        self.prepare(ctx)
        return self.run(ctx, sample), sample.data


@dataclass
class Section:
    """One section's entries, each with its context and sample, ready to be scored as jobs.

    ``real`` / ``real_info`` are what the section's plots draw as the real side: the holdout
    sample, or for the written section the sample of the data it was fitted on.
    """

    scoring: Scoring
    entries: list[tuple[EvalContext, Sample]]
    real: Dataset = field(default_factory=dict)
    real_info: dict[str, Any] = field(default_factory=dict)

    @property
    def samples(self) -> dict[str, Dataset]:
        """Each entry's root-entity sample, by name (what the plots draw)."""
        return {ctx.name: sample.data for ctx, sample in self.entries}

    def prepare(self) -> None:
        """The work every entry shares, done once here, before the jobs fork."""
        for ctx, _ in self.entries:
            self.scoring.prepare(ctx)

    def jobs(self) -> list[Job]:
        """A scoring job per entry; the ceiling (no overfitting, no ratio) costs less."""
        return [
            Job(
                f"score {ctx.name}",
                partial(self.scoring.run, ctx, sample),
                cost=50.0 if ctx.is_ceiling else 100.0,
            )
            for ctx, sample in self.entries
        ]


def make_scoring(
    train: Dataset,
    holdout: Dataset,
    md: dict,
    graph: TableGraph,
    names: list[str],
    options: EvalOptions,
    *,
    max_root_rows: int,
    max_shared_rows: int,
    scope: str,
    skip_identifier_like: bool,
    progress: Callable[[str], None],
) -> tuple[Scoring, Sample, list[str]]:
    """The scoring set-up of one section; also the holdout sample and the identifier-like
    columns hidden from SDMetrics."""
    root = options.root_table
    hold_sample = subsample_by_root(
        holdout,
        md,
        max_root_rows,
        seed=options.seed,
        root_table=root,
        max_shared_rows=max_shared_rows,
    )
    # judged on train, the larger real part: a 20-row holdout cannot show 20 distinct values
    score_md, id_like = identifier_like(md, train) if skip_identifier_like else (md, [])
    score_md = without_self_references(score_md)
    if scope == "held_out":
        score_md = subset_metadata(score_md, [root, *graph.descendants(root)])
    id_like = [c for c in id_like if c.split(".", 1)[0] in score_md["tables"]]
    scoring = Scoring(
        train=train,
        holdout=holdout,
        hold_scored={t: hold_sample.data[t] for t in score_md["tables"]},
        n_roots=len(hold_sample.data[root]),
        md=md,
        score_md=score_md,
        graph=graph,
        options=options,
        metrics={n: METRICS.get(n)() for n in names},
        max_shared_rows=max_shared_rows,
        progress=progress,
    )
    return scoring, hold_sample, id_like
