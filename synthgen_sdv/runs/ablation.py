"""The ablation: the comparison protocol of `study.run_study` over seeds x scales, aggregated.

For each (seed, bootstrap scale) cell the rule-based reference is generated, split by root
entity, every synthesizer is fit on train, and all candidates (with the rules baseline and the
train ceiling that `run_study` adds) are scored against the holdout. Per (scale, candidate,
metric) the seeds are then reduced to mean, std, min, max and n, and written as
``ablation.json`` (versioned), ``ablation.md`` and PNG plots into a staged output folder.

A failing candidate is recorded with its error and the grid goes on. Each finished cell is kept
in a cache folder beside the output (``.<out>.cells/``), so an interrupted run resumes where it
stopped; the cache is removed once the output is in place.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import os
import platform
import re
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata as im
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator

from synthgen_sdv.core.errors import ConfigError, Problem
from synthgen_sdv.core.strict import StrictModel
from synthgen_sdv.core.version import __version__
from synthgen_sdv.schema.loader import DEFAULT_CONFIG_DIR

SCHEMA = "synthgen_sdv.runs.ablation"
VERSION = 1
DEFAULT_CONFIG = DEFAULT_CONFIG_DIR / "ablation.yml"
CEILING = "train (ceiling)"

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
    ("DCR ratio", "about 1"),
)
COSTS = (("fit s", "lower"), ("sample s", "lower"), ("time s", "lower"), ("peak MB", "lower"))
BOUNDED = {m for m, _ in SCORES} - {"DCR ratio"}  # 0..1 scores
MIN_SPAN = 0.05  # smallest y range drawn for a 0..1 score
HEADLINE = ("Quality", "Column Pair Trends", "Intertable Trends", "ML ratio", "DCR ratio", "time s")


# --- the grid (configs/ablation.yml) ------------------------------------------------------------


class AblationConfig(StrictModel):
    """configs/ablation.yml: which cells to run and how each cell's study is set up."""

    version: int = Field(1, ge=1, le=1)
    config_dir: Path | None = Field(
        None, description="data config folder; relative to this file; default: built-in"
    )
    tables: list[str] | None = Field(
        None, min_length=1, description="modeled tables; default: config.yaml synthesis.tables"
    )
    seeds: list[int] = Field(min_length=1)
    scales: list[float] = Field(min_length=1, description="bootstrap scales")
    synthesizers: list[str] = Field(min_length=1)
    baseline: bool = True
    holdout_fraction: float = Field(0.2, gt=0, lt=1)
    warmup: bool = Field(
        True, description="run one untimed cell at a tenth of the smallest scale first"
    )
    out: Path = Path("ablation")

    @field_validator("scales")
    @classmethod
    def _positive(cls, v: list[float]) -> list[float]:
        bad = [s for s in v if not s > 0]
        if bad:
            raise ValueError(f"scales must be > 0, got {bad}")
        return v

    @field_validator("seeds", "scales", "synthesizers")
    @classmethod
    def _distinct(cls, v: list[Any]) -> list[Any]:
        if len(set(v)) != len(v):
            raise ValueError(f"values must be distinct, got {v}")
        return v

    @field_validator("synthesizers")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        from synthgen_sdv.synth import SYNTHESIZERS

        unknown = [s for s in v if s not in SYNTHESIZERS]
        if unknown:
            raise ValueError("; ".join(SYNTHESIZERS.unknown_message(s) for s in unknown))
        return v


def load_ablation_config(path: Path | None = None) -> tuple[AblationConfig, Path]:
    """Read and validate the grid; every problem is reported with its YAML path and line."""
    from synthgen_sdv.schema.loader import _problems
    from synthgen_sdv.schema.yamlio import load_yaml

    if path is None:
        # a source checkout has configs/ beside the package; an installed one reads ./configs
        local = Path.cwd() / "configs" / DEFAULT_CONFIG.name
        path = DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else local
    path = Path(path)
    raw, lines = load_yaml(path)
    if not isinstance(raw, dict):
        raise ConfigError([Problem("(top)", "expected a mapping of keys", file=str(path))])
    try:
        cfg = AblationConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_problems(exc, (), AblationConfig, raw, lines, path)) from None
    if cfg.config_dir is not None and not cfg.config_dir.is_absolute():
        cfg = cfg.model_copy(update={"config_dir": (path.parent / cfg.config_dir).resolve()})
    return cfg, path


# --- running the cells --------------------------------------------------------------------------


@dataclass
class AblationResult:
    out: Path
    doc: dict[str, Any]


def _cell_name(seed: int, scale: float) -> str:
    return f"seed{seed}-scale{scale:g}"


def _numbers(row: dict[str, Any]) -> dict[str, float]:
    return {
        k: float(v)
        for k, v in row.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    }


def _error(exc: BaseException, log: str = "") -> str:
    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
    tail = "\n".join(log.strip().splitlines()[-5:])
    return f"{last}\n{tail}".strip() if tail else last


@contextlib.contextmanager
def _quiet(enabled: bool) -> Iterator[io.StringIO]:
    """Capture the stage lines and bars of a cell (kept for error messages), unless verbose."""
    buf = io.StringIO()
    if not enabled:
        yield buf
        return
    with contextlib.redirect_stderr(buf):
        yield buf


def run_cell(
    cfg: AblationConfig,
    seed: int,
    scale: float,
    report_dir: Path,
    quiet: bool = True,
) -> dict[str, Any]:
    """One (seed, scale): bootstrap, `run_study`, every candidate's numbers or its error."""
    from synthgen_sdv.runs import fitting
    from synthgen_sdv.runs.config import load_project
    from synthgen_sdv.runs.study import BASELINE, run_study
    from synthgen_sdv.schema.plan import resolve_plan

    started = time.perf_counter()
    loaded = load_project(cfg.config_dir)
    plan = resolve_plan(loaded, seed=seed, scale=scale)
    modeled = list(cfg.tables or loaded.run.synthesis.tables)
    params = loaded.run.synthesis.params
    cell: dict[str, Any] = {"seed": seed, "scale": scale, "config_hash": plan.config_hash}
    named = [*cfg.synthesizers, *([BASELINE] if cfg.baseline else [])]
    with _quiet(quiet) as log:
        try:
            boot = fitting.bootstrap(plan, progress=not quiet)
        except Exception as exc:  # e.g. a scale too small for the config: this cell only
            message = "bootstrap: " + _error(exc, log.getvalue())
            cell["candidates"] = {n: {"status": "error", "error": message} for n in named}
            cell["status"], cell["rows"] = "failed", {}
            cell["seconds"] = round(time.perf_counter() - started, 2)
            return cell
    cell["rows"] = {t: len(boot.tables[t]) for t in modeled if t in boot.tables}

    def study(models: list[str], baseline: bool, where: Path):
        with _quiet(quiet) as log:
            try:
                return run_study(
                    plan,
                    boot,
                    modeled,
                    models,
                    where,
                    holdout_fraction=cfg.holdout_fraction,
                    progress=not quiet,
                    params=params,
                    make_plots=False,
                    baseline=baseline,
                ), None
            except Exception as exc:  # recorded per candidate; the grid goes on
                return None, _error(exc, log.getvalue())

    errors: dict[str, str] = {}
    models = list(cfg.synthesizers)
    result, err = study(models, cfg.baseline, report_dir)
    if result is None:
        # Find the culprit(s): each candidate alone, then the survivors together, so the
        # scores of those that work are the same protocol as in every other cell.
        scratch = report_dir.parent / f".{report_dir.name}.probe"
        for name in named:
            alone = ([], True) if name == BASELINE else ([name], False)
            ok, e = study(*alone, scratch)
            if ok is None:
                errors[name] = e or "failed"
        shutil.rmtree(scratch, ignore_errors=True)
        if len(errors) < len(named):
            result, err = study(
                [m for m in models if m not in errors], BASELINE not in errors, report_dir
            )
        if result is None:
            for name in named:
                errors.setdefault(name, err or "failed")
    candidates: dict[str, dict[str, Any]] = {}
    if result is not None:
        for name, row in result.report.summary.items():
            numbers = _numbers(row)
            stat = result.stats.get(name)
            if stat:
                numbers["fit s"] = float(stat["fit_seconds"])
                numbers["sample s"] = float(stat["sample_seconds"])
            candidates[name] = {"status": "ok", "metrics": numbers}
    for name, message in errors.items():
        candidates[name] = {"status": "error", "error": message}
    cell["candidates"] = candidates
    cell["status"] = "ok" if not errors else ("failed" if result is None else "partial")
    cell["seconds"] = round(time.perf_counter() - started, 2)
    return cell


def _cell_key(cfg: AblationConfig, seed: int, scale: float) -> str:
    text = json.dumps(
        {
            "generator": __version__,
            "config_dir": str(cfg.config_dir),
            "tables": cfg.tables,
            "synthesizers": cfg.synthesizers,
            "baseline": cfg.baseline,
            "holdout_fraction": cfg.holdout_fraction,
            "seed": seed,
            "scale": scale,
        },
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cache_key(cfg: AblationConfig, seed: int, scale: float, source: dict[str, Any] | None) -> str:
    """A cached cell is reused only for the same grid settings, data config files and commit."""
    commit = (source or {}).get("commit", "")[:12]
    return f"{_cell_key(cfg, seed, scale)}-{_data_config_hash(cfg)}-{commit}"


def _data_config_hash(cfg: AblationConfig) -> str:
    """Hash of the data config files, so a cached cell is not reused after an edit."""
    from synthgen_sdv.schema.loader import default_config_dir

    folder = cfg.config_dir or default_config_dir()
    h = hashlib.sha256()
    for name in ("tables.yml", "config.yaml", "lineage.yml"):
        p = folder / name
        if p.exists():
            h.update(name.encode() + p.read_bytes())
    return h.hexdigest()[:16]


def run_ablation(
    cfg: AblationConfig,
    out: Path,
    config_path: Path | None = None,
    progress: bool = True,
    quiet_cells: bool = True,
    resume: bool = True,
    log: Callable[[str], None] | None = None,
) -> AblationResult:
    """Run every cell (cached cells are reused), aggregate, write the staged output folder."""
    from synthgen_sdv.io.output import check_replaceable, staged_output

    say = log or (lambda m: print(m, file=sys.stderr, flush=True))
    out = Path(out).resolve()
    _check_out(out, check_replaceable)
    cache = out.parent / f".{out.name}.cells"
    if not resume:
        shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True, exist_ok=True)
    source = source_revision()  # before the cells: the code that runs them
    grid = [(seed, scale) for scale in cfg.scales for seed in cfg.seeds]
    started = time.perf_counter()
    cells = []
    warm = cfg.warmup
    for i, (seed, scale) in enumerate(grid, 1):
        name = _cell_name(seed, scale)
        key = cache_key(cfg, seed, scale, source)
        cached = cache / f"{name}.json"
        cell = None
        if resume and cached.exists():
            with contextlib.suppress(ValueError, OSError):
                doc = json.loads(cached.read_text(encoding="utf-8"))
                cell = doc if doc.get("key") == key else None
        if cell is not None:
            cell["cached"] = True
        else:
            if warm:
                _warm_up(cfg, cache / ".warmup", say if progress else None)
                warm = False
            cell = run_cell(cfg, seed, scale, cache / name, quiet=quiet_cells)
            cell["key"], cell["cached"] = key, False
            _atomic_json(cached, cell)
        if progress:
            say(_cell_line(i, len(grid), cell))
        cells.append(cell)
    doc = build_doc(cfg, cells, config_path, time.perf_counter() - started, source)
    with _replacing_ablation(out), staged_output(out) as tmp:
        write_outputs(doc, tmp)
        for seed, scale in grid:
            md = cache / _cell_name(seed, scale) / "comparison.md"
            if md.exists():
                (tmp / "cells").mkdir(exist_ok=True)
                shutil.copy2(md, tmp / "cells" / f"{_cell_name(seed, scale)}.md")
    shutil.rmtree(cache, ignore_errors=True)
    return AblationResult(out, doc)


def _warm_up(cfg: AblationConfig, folder: Path, say: Callable[[str], None] | None) -> None:
    """The first fit in a process pays imports and first-call setup (about 5 s for hma here);
    a throwaway cell keeps that out of the first real cell's times."""
    if say:
        say("[ablation] warm-up: one untimed cell at a tenth of the smallest scale")
    with contextlib.suppress(Exception):
        run_cell(cfg, cfg.seeds[0], min(cfg.scales) / 10, folder)
    shutil.rmtree(folder, ignore_errors=True)


def _check_out(out: Path, check_replaceable: Callable[[Path], None]) -> None:
    if not _is_ablation(out):
        check_replaceable(out)


def _is_ablation(out: Path) -> bool:
    try:
        return json.loads((out / "ablation.json").read_text(encoding="utf-8"))["schema"] == SCHEMA
    except (OSError, ValueError, KeyError, TypeError):
        return False


@contextlib.contextmanager
def _replacing_ablation(out: Path) -> Iterator[None]:
    """staged_output replaces only data output folders; an earlier ablation folder (ours, by
    its ablation.json) is moved aside first and restored if the new one is not written."""
    if not _is_ablation(out):
        yield
        return
    backup = out.parent / f".{out.name}.old-{os.getpid()}"
    out.rename(backup)
    try:
        yield
    except BaseException:
        if not out.exists():
            backup.rename(out)
        raise
    shutil.rmtree(backup, ignore_errors=True)


def _atomic_json(path: Path, doc: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(doc, indent=1, default=str) + "\n", encoding="utf-8")
    tmp.replace(path)


def _cell_line(i: int, n: int, cell: dict[str, Any]) -> str:
    parts = []
    for name, c in cell["candidates"].items():
        if c["status"] == "ok":
            q = c["metrics"].get("Quality")
            parts.append(f"{name} {q:.3f}" if q is not None else name)
        else:
            parts.append(f"{name} FAILED")
    how = "cached" if cell.get("cached") else f"{cell['seconds']:.0f} s"
    return (
        f"[ablation] cell {i}/{n} seed {cell['seed']} scale {cell['scale']:g}: "
        f"{cell['status']} ({how}); Quality: {', '.join(parts)}"
    )


# --- aggregation --------------------------------------------------------------------------------


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
    n = len(vs)
    if n == 0:
        return {"mean": None, "std": None, "min": None, "max": None, "n": 0}
    mean = math.fsum(vs) / n
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in vs) / (n - 1)) if n > 1 else 0.0
    return {"mean": mean, "std": std, "min": min(vs), "max": max(vs), "n": n}


def machine_info() -> dict[str, Any]:
    versions = {}
    for pkg in ("synthgen_sdv", "sdv", "sdmetrics", "rdt", "copulas", "pandas", "numpy", "torch"):
        try:
            versions[pkg] = im.version(pkg)
        except im.PackageNotFoundError:
            versions[pkg] = "not installed"
    info: dict[str, Any] = {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "os": platform.platform(),
        "python": platform.python_version(),
    }
    with contextlib.suppress(ImportError):
        import psutil

        info["memory_gib"] = round(psutil.virtual_memory().total / 2**30, 1)
    return {"machine": info, "versions": versions}


def source_revision() -> dict[str, Any] | None:
    """The git commit of the package, and whether its code differs from it: scores move when
    the synthesizers or the metrics change, so a stored result names the code it came from."""
    import subprocess

    root = DEFAULT_CONFIG_DIR.parent
    try:
        git = ["git", "-C", str(root)]
        commit = subprocess.run(
            [*git, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
        status = subprocess.run(
            [*git, "status", "--porcelain", "--", "synthgen_sdv", "configs"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if commit.returncode != 0:
        return None
    return {"commit": commit.stdout.strip(), "modified": bool(status.stdout.strip())}


def build_doc(
    cfg: AblationConfig,
    cells: list[dict[str, Any]],
    config_path: Path | None,
    seconds: float,
    source: dict[str, Any] | None = None,
) -> dict[str, Any]:
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
    from synthgen_sdv.io.reader import read_versioned

    path = Path(path)
    return read_versioned(path / "ablation.json" if path.is_dir() else path, SCHEMA)


# --- writing ------------------------------------------------------------------------------------


def write_outputs(doc: dict[str, Any], folder: Path) -> dict[str, Path]:
    from synthgen_sdv.io.files import write_json

    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / "ablation.json", doc)
    (folder / "ablation.md").write_text(render_markdown(doc), encoding="utf-8")
    paths = {"json": folder / "ablation.json", "md": folder / "ablation.md"}
    paths.update(make_plots(doc, folder / "plots"))
    return paths


def table(doc: dict[str, Any]) -> dict[tuple[float, str], dict[str, dict[str, Any]]]:
    """{(scale, candidate): {metric: aggregate row}} in grid order."""
    out: dict[tuple[float, str], dict[str, dict[str, Any]]] = {}
    for row in doc["aggregates"]:
        out.setdefault((row["scale"], row["candidate"]), {})[row["metric"]] = row
    return out


def _pm(row: dict[str, Any] | None, metric: str) -> str:
    if not row or row.get("mean") is None:
        return "n/a"
    digits = 1 if metric in ("fit s", "sample s", "time s") else 0 if metric == "peak MB" else 3
    text = f"{row['mean']:.{digits}f} ± {row['std']:.{digits}f}"
    return text if row["n"] > 1 else f"{row['mean']:.{digits}f}"


def _failed(rows: dict[str, dict[str, Any]]) -> int:
    return max((r.get("failed", 0) for r in rows.values()), default=0)


def render_markdown(doc: dict[str, Any]) -> str:
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
        "| scale | candidate | " + " | ".join(HEADLINE) + " | failed |",
        "|---:|---|" + "---:|" * (len(HEADLINE) + 1),
    ]
    for (scale, name), rows in t.items():
        cells = " | ".join(_pm(rows.get(m), m) for m in HEADLINE)
        lines.append(f"| {scale:g} | {name} | {cells} | {_failed(rows)} |")
    for title, metrics in (("Scores", SCORES), ("Cost", COSTS)):
        names = [m for m, _ in metrics]
        lines += [
            "",
            f"## {title}",
            "",
            "| scale | candidate | n | " + " | ".join(names) + " |",
            "|---:|---|---:|" + "---:|" * len(names),
        ]
        for (scale, name), rows in t.items():
            n = max((r["n"] for r in rows.values()), default=0)
            cells = " | ".join(_pm(rows.get(m), m) for m in names)
            lines.append(f"| {scale:g} | {name} | {n} | {cells} |")
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
    "DCR ratio": "distance to closest train record, candidate rows / holdout rows, worst "
    "held-out table (about 1 or above = no sign of copying train; well below 1 = memorisation)",
    "fit s": "seconds to fit on train (the baseline infers a config instead: 0)",
    "sample s": "seconds to sample as many rows as train",
    "time s": "fit + sample seconds",
    "peak MB": "peak RSS of the process during fit and sample (includes what it held before)",
}


# --- plots --------------------------------------------------------------------------------------


def _slug(text: str) -> str:
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
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    names = doc["grid"]["candidates"]
    cmap = plt.get_cmap("tab10")
    colors = {n: cmap(i % 10) for i, n in enumerate(names)}
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
                color=colors[name],
                marker="o",
                capsize=4,
                linestyle="--" if name == CEILING else "-",
                linewidth=1.5,
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
            paths[metric] = _save(fig, folder / f"metric_{_slug(metric)}.png", plt)
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
            from matplotlib.ticker import ScalarFormatter

            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(ScalarFormatter())
            title += " (log scale)"
        ax.set_title(f"{title} vs scale, mean ± std")
        ax.set_ylabel(metric)
    axes[0].legend(fontsize=8, loc="best")
    paths["time"] = _save(fig, folder / "time_vs_scale.png", plt)

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
    paths["overview"] = _save(fig, folder / "overview.png", plt)
    return paths


def _xpos(scales: list[float], scale: float) -> float:
    return float(scales.index(scale))


def _save(fig, path: Path, plt) -> Path:
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path
