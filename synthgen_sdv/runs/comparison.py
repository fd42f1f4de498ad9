"""``sg.compare`` and its report: candidate datasets scored against a reference, in memory.

The scoring is the ``compare`` command's (``evaluate.report.compare``: SDMetrics' Quality and
Diagnostic reports, referential integrity, ML utility, privacy); this module takes Datasets
instead of folders and hands back a ``Comparison`` with SDV-like accessors.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.metadata import subgraph
from synthgen_sdv.evaluate.markdown import render_markdown
from synthgen_sdv.evaluate.report import ComparisonReport
from synthgen_sdv.evaluate.report import compare as compare_datasets
from synthgen_sdv.evaluate.report_schema import SCHEMA, VERSION
from synthgen_sdv.evaluate.split import split_by_root
from synthgen_sdv.io import artifacts
from synthgen_sdv.io.reader import read_versioned
from synthgen_sdv.runs.dataset import Dataset, read_dataset


class Comparison:
    """A comparison report: ``score`` (the first candidate's SDMetrics Quality), ``scores``
    (every row's), ``properties`` (the Quality properties, one row per candidate and
    property), ``summary`` (comparison.md's first table) and ``to_markdown()``.

    >>> report = sg.compare(reference=ds, candidates={"hma": a}); report.score
    """

    def __init__(self, report: ComparisonReport):
        self.report = report

    @classmethod
    def read(cls, path: str | Path) -> Comparison:
        """A report written before: its comparison.json, or the folder that holds it.

        >>> report = sg.Comparison.read("output/reports"); report.summary
        """
        path = Path(path)
        file = path / "comparison.json" if path.is_dir() else path
        data = read_versioned(file, SCHEMA, versions=(VERSION,))
        files = {"json": file, "markdown": file.with_name("comparison.md")}
        files.update({k: file.parent / v for k, v in (data.get("plots") or {}).items()})
        return cls(ComparisonReport(data=data, out_dir=file.parent, files=files))

    @property
    def data(self) -> dict[str, Any]:
        """Everything comparison.json holds."""
        return self.report.data

    @property
    def scores(self) -> dict[str, float | None]:
        """Overall Quality per row of the report (the train ceiling too, when scored)."""
        return {name: row.get("Quality") for name, row in self.report.summary.items()}

    @property
    def score(self) -> float | None:
        """The first candidate's overall Quality (0..1), as SDV's ``get_score()``."""
        rows = [c for c in self.data["candidates"] if c["role"] == "candidate"]
        return rows[0]["summary"].get("Quality") if rows else None

    @property
    def properties(self) -> pd.DataFrame:
        """Columns Candidate, Property, Score: SDMetrics' Quality properties per row."""
        out = []
        for c in self.data["candidates"]:
            props = (c["results"].get("quality") or {}).get("properties") or {}
            out += [
                {"Candidate": c["name"], "Property": p, "Score": v.get("score")}
                for p, v in props.items()
            ]
        return pd.DataFrame(out, columns=["Candidate", "Property", "Score"])

    @property
    def summary(self) -> pd.DataFrame:
        """comparison.md's first table: a row per candidate, a column per score."""
        return pd.DataFrame(self.report.summary).T

    @property
    def files(self) -> dict[str, Path]:
        """The files written (when ``compare`` was given ``out``)."""
        return dict(self.report.files)

    def to_markdown(self) -> str:
        """The report as comparison.md reads."""
        return render_markdown(self.data)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __repr__(self) -> str:
        cells = ", ".join(f"{n} {v:.3f}" for n, v in self.scores.items() if v is not None)
        return f"Comparison(Quality: {cells})"


def compare(
    reference: Dataset | str | Path,
    candidates: Mapping[str, Dataset | str | Path],
    *,
    holdout: Dataset | str | Path | None = None,
    out: str | Path | None = None,
    metrics: list[str] | None = None,
    seed: int = 0,
    holdout_fraction: float = 0.2,
    root_table: str | None = None,
    target: str | None = None,
    scope: str = "all",
    plots: bool | None = None,
    workers: int | None = None,
) -> Comparison:
    """Score candidate datasets against a reference with SDMetrics' Quality and Diagnostic
    reports, referential integrity, ML utility and privacy, as the ``compare`` command does.

    Without ``holdout`` the reference is split by root entity into train and holdout, the
    candidates are scored against the holdout, and the train split is the ceiling (a
    candidate that learned from the whole reference has seen the holdout: pass ``holdout``
    for an unseen one). Candidates are scored on the tables they share with the reference.
    With ``out`` the report (comparison.json, comparison.md, plots) is written there.
    ``workers`` processes score the candidates side by side (default: one per core, at most
    4); the scores are the same for any count.

    >>> report = sg.compare(reference=ds, candidates={"hma": a})
    >>> report.score, report.properties, print(report.to_markdown())
    """
    ref = reference if isinstance(reference, Dataset) else read_dataset(reference)
    cands = {n: c if isinstance(c, Dataset) else read_dataset(c) for n, c in candidates.items()}
    if not cands:
        raise InputError("candidates: give at least one, e.g. {'hma': model.sample()}")
    shared = [t for t in ref.tables if all(t in c.tables for c in cands.values())]
    if not shared:
        raise InputError("candidates: no table in common with the reference")
    md = subgraph(artifacts.output_sdv_metadata(ref.metadata_dict, ref.types), shared, True)
    pick = {n: {t: c.tables[t] for t in shared} for n, c in cands.items()}
    if holdout is not None:
        held_ds = holdout if isinstance(holdout, Dataset) else read_dataset(holdout)
        train, held, split_info = {t: ref.tables[t] for t in shared}, held_ds.tables, None
        note = "Train: the reference; holdout: given by the caller."
    else:
        split = split_by_root(
            {t: ref.tables[t] for t in shared}, md, holdout_fraction, seed, root_table
        )
        train, held, split_info = split.train, split.holdout, split.info
        note = (
            f"The holdout was split from the reference here (fraction {holdout_fraction}, seed "
            f"{seed}); whether the candidates learned from it is not known here."
        )
    with tempfile.TemporaryDirectory(prefix="synthgen_compare_") as tmp:
        report = compare_datasets(
            train,
            {t: held[t] for t in shared},
            pick,
            md,
            Path(out) if out is not None else Path(tmp),
            metrics=metrics,
            target=target,
            seed=seed,
            root_table=root_table,
            scope=scope,
            make_plots=plots if plots is not None else out is not None,
            split_info=split_info,
            protocol_note=note,
            progress=lambda _msg: None,
            workers=workers,
        )
    if out is None:
        report.files = {}
    return Comparison(report)
