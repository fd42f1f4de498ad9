"""The Python API, in SDV's shape (``import synthgen_sdv as sg``): pandas DataFrames, SDV's
``Metadata``, a model that gives a fresh sample on every call.

::

    ds = sg.generate(config_dir=None, scale=1.0, seed=None)   # rule-based, in memory
    ds = sg.read("OUT")                                      # an output folder, or your CSVs
    ds.write("OUT", format="parquet")                        # the command line's writer
    model = sg.fit(ds, synthesizer="hma", tables=None)       # tables: the modeled subset
    a = model.sample(scale=1.0); b = model.sample(scale=1.0) # two fresh draws
    c = model.sample(scale=1.0, seed=3)                      # the same tables for the same seed
    model.save("M"); model = sg.load_model("M")              # self-contained model folder
    report = sg.compare(reference=ds, candidates={"hma": a}) # .score, .properties, .to_markdown()

These are the functions the command line runs (``runs.fit_sample.fit``, ``runs.sample``), so a
model fitted here is the model ``fit`` saves, and ``sample --model-dir`` samples it. The
command line streams its output to disk; here tables are materialized in memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sdv.metadata import Metadata

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.progress import QUIET, Progress
from synthgen_sdv.detect.userdata import UserData
from synthgen_sdv.engines.base import LoadOptions
from synthgen_sdv.engines.validation import ValidationReport
from synthgen_sdv.io.output import claim
from synthgen_sdv.runs.ablation import (
    AblationResult,
    apply_overrides,
    load_ablation_config,
    run_ablation,
)
from synthgen_sdv.runs.comparison import Comparison, compare
from synthgen_sdv.runs.config import project_plan
from synthgen_sdv.runs.dataset import (
    FORMATS,
    Dataset,
    materialize,
    read_dataset,
    refuse_without_overwrite,
)
from synthgen_sdv.runs.fit_sample import fit as fit_source
from synthgen_sdv.runs.fit_sample import run_fit_sample
from synthgen_sdv.runs.fitting import Bootstrap
from synthgen_sdv.runs.from_config import ConfigSource, frames_hash
from synthgen_sdv.runs.from_user import UserSource
from synthgen_sdv.runs.load import LoadOutcome, run_load
from synthgen_sdv.runs.model_folder import load_fitted
from synthgen_sdv.runs.sample import draw_seed, sample, save_fitted
from synthgen_sdv.runs.source import Fitted, Source
from synthgen_sdv.runs.validate import run_validate
from synthgen_sdv.schema.loader import load_config

HOLDS_OUT = frozenset({"config_dir"})  # a config folder may hold its output beside the YAML


def _progress(verbose: bool) -> Progress:
    return Progress() if verbose else QUIET


def generate(
    config_dir: str | Path | None = None,
    scale: float | None = None,
    seed: int | None = None,
    *,
    workers: int | None = None,
    verbose: bool = False,
) -> Dataset:
    """Every table of a config made by the rule-based engine, in memory (the tables
    ``generate`` writes, with the dirty copies and labels).

    ``config_dir``: tables.yml / config.yaml / lineage.yml (default: the built-in retail
    schema); ``scale`` and ``seed`` default to config.yaml's (1.0 and 42 in the built-in one).
    The same config, scale and seed give the same tables. Write them with ``ds.write``.

    >>> import synthgen_sdv as sg
    >>> ds = sg.generate(scale=0.2, seed=7)
    >>> ds.tables["customers"].head(); ds.labels["anomalies"][0]["kind"]
    """
    plan = project_plan(Path(config_dir) if config_dir else None, seed=seed, scale=scale)
    ds = materialize(plan, workers=workers or plan.loaded.run.workers, progress=_progress(verbose))
    ds.generated_hash = frames_hash(ds.tables)
    return ds


def read(
    path: str | Path | Mapping[str, pd.DataFrame],
    metadata: str | Path | Metadata | dict | None = None,
    *,
    bad_rows: str = "error",
) -> Dataset:
    """A Dataset from a folder: an output folder of this package (any command's), or a folder
    of your CSV / Parquet files, one table per file (column types, primary and foreign keys
    detected; or ``metadata``, an SDV metadata JSON, checked against the data); or your
    DataFrames, ``{name: DataFrame}`` as SDV takes them, read as such a folder would be
    (``metadata`` may then also be an SDV ``Metadata`` or its dict). Rows with another number
    of fields than the header, or repeating or lacking their table's key, raise an error naming
    file, column and lines unless ``bad_rows`` is "drop" or "repair".

    >>> ds = sg.read("output")            # written by generate / fit-sample / sample
    >>> shop = sg.read("my_csv_folder")   # detected: print(shop.notes) says why
    >>> shop = sg.read({"customers": customers_df, "orders": orders_df})
    """
    return read_dataset(path, metadata, bad_rows)


class Model:
    """A synthesizer fitted on some tables of a Dataset; ``sample`` gives a fresh draw on
    every call, or the same tables for the same ``seed``. Made by ``fit`` or ``load_model``.

    >>> model = sg.fit(ds); a = model.sample(); c = model.sample(seed=3)
    """

    def __init__(self, fitted: Fitted):
        self._fitted = fitted

    @property
    def synthesizer(self) -> str:
        """The synthesizer's registered name (``hma``, ``gaussian_copula``, ...)."""
        return self._fitted.model

    @property
    def tables(self) -> list[str]:
        """The modeled tables."""
        return list(self._fitted.modeled)

    @property
    def rows(self) -> dict[str, int]:
        """Fitted rows per modeled table (``scale=1`` samples as many root rows)."""
        return dict(self._fitted.rows)

    @property
    def fit_seed(self) -> int:
        """The seed the model was fitted with."""
        return self._fitted.seed

    @property
    def params(self) -> dict[str, Any]:
        """The synthesizer's parameters and what it left out (PII, keys re-attached)."""
        return self._fitted.synthesizer.params()

    def __repr__(self) -> str:
        rows = ", ".join(f"{t} {n:,}" for t, n in self._fitted.rows.items())
        return f"Model({self.synthesizer!r} fitted on {rows} rows, seed {self.fit_seed})"

    def sample(
        self,
        scale: float = 1.0,
        seed: int | None = None,
        num_rows: Mapping[str, int] | None = None,
        *,
        verbose: bool = False,
    ) -> Dataset:
        """Sample ``scale`` times the fitted rows of each root table (or ``num_rows``, e.g.
        ``{"customers": 500}``; the other tables follow). Without ``seed`` a fresh seed is
        drawn (``ds.sampling["seed"]`` says which, so the draw can be repeated).

        A model fitted on a config's tables returns every table of the config (the tables
        the rules generate on top of the sampled ones too); on your own data, the sampled
        tables and the parents they refer to.

        >>> a = model.sample(); b = model.sample()       # two different draws
        >>> c = model.sample(seed=3); d = model.sample(seed=3)   # equal tables
        >>> model.sample(num_rows={"customers": 500})
        """
        if num_rows and scale != 1.0:
            raise InputError("give scale or num_rows, not both")
        progress = _progress(verbose)
        drawn = seed is None
        seed = draw_seed() if seed is None else int(seed)
        fitted = self._fitted
        sampled = sample(fitted, scale, progress, seed=seed, num_rows=num_rows, drawn=drawn)
        return fitted.source.dataset(sampled, progress)

    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Save a model folder at ``path``: the synthesizer and what sampling needs besides it
        (the config, or your metadata and copied parents), so ``load_model`` (and the command
        line's ``sample --model-dir``) needs nothing else. A pickle runs code when loaded:
        see ``load_model``. An existing model folder is replaced only with ``overwrite``.

        >>> model.save("model"); sg.load_model("model").sample(seed=3)
        """
        refuse_without_overwrite(Path(path), overwrite)
        return save_fitted(self._fitted, Path(path), overwrite)


def _source_of(data: Dataset, seed: int | None, workers: int) -> Source:
    """A config source when ``data`` is what a config generated (fitted like ``fit``),
    otherwise your-own-data (fitted like ``fit --data-dir``)."""
    generated = (
        data.plan is not None
        and data.sampling is None
        and data.generated_hash is not None
        and data.generated_hash == frames_hash(data.tables)
    )
    if generated and data.plan is not None:
        if seed is not None and seed != data.plan.seed:
            raise InputError(
                f"seed={seed}: a dataset from sg.generate is fitted with its own seed "
                f"({data.plan.seed}), the seed that made it; generate it with seed={seed}"
            )
        boot = Bootstrap(dict(data.tables), data.types, 0.0)
        return ConfigSource(data.plan, workers, boot=boot)
    user = data.user or UserData(
        data_dir=data.path or Path.cwd(),
        files={},
        tables=dict(data.tables),
        metadata=data.metadata_dict,
        types=data.types,
    )
    return UserSource(user=user, seed=seed if seed is not None else load_config().run.seed)


def fit(
    data: Dataset | str | Path | Mapping[str, pd.DataFrame],
    synthesizer: str = "hma",
    tables: list[str] | None = None,
    *,
    metadata: str | Path | Metadata | dict | None = None,
    seed: int | None = None,
    params: dict[str, Any] | None = None,
    workers: int = 1,
    verbose: bool = False,
) -> Model:
    """Fit ``synthesizer`` on the ``tables`` of ``data`` (a Dataset, or a folder or
    ``{name: DataFrame}`` to ``read`` with ``metadata``, detected when None).

    ``tables`` default as on the command line: config.yaml's ``synthesis.tables`` for a
    dataset from ``generate``, every table for any other. What a synthesizer cannot model is
    handled as ``fit-sample`` does: PII regenerated, keys to unmodeled tables re-attached,
    composite keys and self references rebuilt; for a generated dataset, derived columns are
    recomputed from the config and dependent tables generated by its rules. ``seed``: the
    fitting seed (a generated dataset's own seed; else config.yaml's 42).

    >>> model = sg.fit(sg.generate(scale=0.2), synthesizer="hma")
    >>> model = sg.fit(sg.read("my_csv_folder"), tables=["customers", "orders"])
    >>> model = sg.fit({"customers": customers_df, "orders": orders_df}, metadata=metadata)
    """
    if isinstance(data, Dataset):
        if metadata is not None:
            raise InputError("metadata= applies to files or DataFrames; a Dataset has its own")
        ds = data
    else:
        ds = read(data, metadata)
    source = _source_of(ds, seed, workers)
    params = params if params is not None else source.default_params()
    return Model(fit_source(source, synthesizer, tables, params, _progress(verbose)))


def load_model(path: str | Path, *, workers: int = 1) -> Model:
    """A model folder saved by ``Model.save`` or the ``fit`` command.

    Before anything is unpickled the folder is checked: its manifest (valid, complete), the
    library versions, the SHA-256 of every file, and, when ``SYNTHGEN_SDV_MODEL_KEY`` is set,
    an HMAC signature made with that key. A pickle runs code when it is loaded: load only
    model folders you trust, or share a key so that only your team's models load.

    >>> model = sg.load_model("model"); model.sample(scale=2.0, seed=1)
    """
    return Model(load_fitted(path, workers))


@dataclass
class FitSampleResult:
    """What ``fit_sample`` wrote: the folder, its report, the seconds of each stage."""

    out: Path
    timings: dict[str, float]
    sources: dict[str, str]
    notes: list[str]
    _report: Comparison | None = None

    @property
    def dataset(self) -> Dataset:
        """The written output, read back."""
        return read_dataset(self.out)

    @property
    def report(self) -> Comparison | None:
        """The holdout comparison written into ``out/reports`` (None with ``compare=False``)."""
        return self._report


def fit_sample(
    config_dir: str | Path | None = None,
    *,
    out: str | Path,
    data_dir: str | Path | None = None,
    metadata: str | Path | None = None,
    synthesizer: str | None = None,
    tables: list[str] | None = None,
    scale: float | None = None,
    num_rows: Mapping[str, int] | None = None,
    bootstrap_scale: float | None = None,
    seed: int | None = None,
    format: str = "both",
    compare: bool = True,
    workers: int | None = None,
    verbose: bool = False,
    bad_rows: str = "error",
    overwrite: bool = False,
) -> FitSampleResult:
    """The ``fit-sample`` command: learn from a config's rule-based bootstrap (or your files
    in ``data_dir``), sample, write ``out`` and the holdout comparison report (every
    candidate learns from a train split by root entity and is scored against the holdout).
    ``bad_rows`` is ``--bad-rows`` for the files of ``data_dir``. ``out`` is checked before
    any work starts: an existing folder is replaced only with ``overwrite=True`` and only if
    synthgen_sdv wrote it, and it may not hold or lie inside ``data_dir`` / ``config_dir``.

    >>> result = sg.fit_sample(out="fs_out", bootstrap_scale=0.2, synthesizer="hma")
    >>> result.report.summary; result.dataset.tables["orders"].head()
    """
    if format not in FORMATS:
        raise InputError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
    source: Source
    if data_dir is not None:
        if config_dir is not None or bootstrap_scale is not None:
            raise InputError(
                "data_dir fits on your files: config_dir and bootstrap_scale do not apply"
            )
        run = load_config().run
        seed = seed if seed is not None else run.seed
        source = UserSource(data_dir, metadata, seed, bad_rows=bad_rows)
        model = synthesizer or run.synthesis.model
    else:
        plan = project_plan(Path(config_dir) if config_dir else None, seed, bootstrap_scale)
        source = ConfigSource(plan, workers or plan.loaded.run.workers)
        model = synthesizer or plan.loaded.run.synthesis.model
    refuse_without_overwrite(Path(out), overwrite)
    inputs = {"data_dir": data_dir, "config_dir": config_dir}
    with claim(out, overwrite=overwrite, inputs=inputs, flag="out", may_hold_out=HOLDS_OUT):
        outcome = run_fit_sample(
            source,
            Path(out),
            FORMATS[format],
            model,
            tables,
            scale if scale is not None else source.default_scale(),
            params=source.default_params(),
            compare=compare,
            progress=_progress(verbose),
            num_rows=num_rows,
            overwrite=overwrite,
        )
    report = Comparison.read(outcome.out / "reports") if outcome.report else None
    return FitSampleResult(
        outcome.out, outcome.timings, outcome.sources, outcome.sampled.notes, report
    )


def validate(path: str | Path, variants: tuple[str, ...] = ("clean", "dirty")) -> ValidationReport:
    """The ``validate`` command on an output folder: keys, foreign keys, types, nullability,
    row counts, CSV/Parquet agreement; the dirty tables' failures checked against the labels.

    >>> report = sg.validate("output"); report.ok; print(report.summary())
    """
    return run_validate(path, list(variants))


def load(
    path: str | Path, engine: str = "duckdb", *, database: str | Path | None = None
) -> LoadOutcome:
    """The ``load`` command: an output folder into a warehouse (``duckdb`` by default, into
    ``path/warehouse.duckdb`` or ``database``; ``spark``, ``snowflake`` with their extras).

    >>> sg.load("output", database="shop.duckdb").loads[0].tables
    """
    options = LoadOptions(database=Path(database) if database is not None else None)
    return run_load(path, [engine], options)


def ablation(
    config: str | Path | None = None,
    out: str | Path | None = None,
    *,
    seeds: list[int] | None = None,
    scales: list[float] | None = None,
    synthesizers: list[str] | None = None,
    config_dir: str | Path | None = None,
    resume: bool = True,
    verbose: bool = True,
) -> AblationResult:
    """The ``ablation`` command: fit-sample's holdout comparison for every (seed, bootstrap
    scale, synthesizer) of a grid (``config``, a YAML file; default configs/ablation.yml),
    reduced to mean ± std per candidate and metric. ``result.doc`` is ablation.json.

    >>> result = sg.ablation(out="abl", seeds=[1, 2], scales=[0.2], synthesizers=["hma"])
    >>> result.doc["aggregates"][0]
    """
    cfg, path = load_ablation_config(Path(config) if config else None)
    overrides = {
        "seeds": seeds,
        "scales": scales,
        "synthesizers": synthesizers,
        "config_dir": Path(config_dir).resolve() if config_dir else None,
    }
    cfg = apply_overrides(cfg, overrides)
    target = Path(out) if out is not None else cfg.out
    return run_ablation(cfg, target, config_path=path, progress=verbose, resume=resume)


__all__ = [
    "AblationResult",
    "Comparison",
    "Dataset",
    "FitSampleResult",
    "Model",
    "ablation",
    "compare",
    "fit",
    "fit_sample",
    "generate",
    "load",
    "load_model",
    "read",
    "validate",
]
