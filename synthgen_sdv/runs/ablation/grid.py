"""Running the grid: one study per (seed, bootstrap scale) cell, cached so a rerun resumes.

A failing candidate is recorded with its error and the grid goes on. Each finished cell is kept
in a cache folder beside the output (``.<out>.cells/``); the cache is removed once the output
is in place.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import shutil
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthgen_sdv.core.progress import Progress, capture_all
from synthgen_sdv.core.seeds import content_hash
from synthgen_sdv.core.version import __version__
from synthgen_sdv.io.files import write_json
from synthgen_sdv.io.output import check_replaceable, staged_output
from synthgen_sdv.runs.ablation.config import AblationConfig
from synthgen_sdv.runs.ablation.provenance import source_revision
from synthgen_sdv.runs.ablation.report import build_doc, write_outputs
from synthgen_sdv.runs.config import load_project
from synthgen_sdv.runs.fitting import bootstrap
from synthgen_sdv.runs.study import BASELINE, run_study
from synthgen_sdv.schema.loader import default_config_dir
from synthgen_sdv.schema.plan import resolve_plan


@dataclass
class AblationResult:
    """The output folder and the ablation.json document written into it."""

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
    with capture_all(buf):  # our stage lines and third-party prints alike
        yield buf


def run_cell(
    cfg: AblationConfig,
    seed: int,
    scale: float,
    report_dir: Path,
    quiet: bool = True,
) -> dict[str, Any]:
    """One (seed, scale): bootstrap, `run_study`, every candidate's numbers or its error."""
    started = time.perf_counter()
    loaded = load_project(cfg.config_dir)
    plan = resolve_plan(loaded, seed=seed, scale=scale)
    modeled = list(cfg.tables or loaded.run.synthesis.tables)
    params = loaded.run.synthesis.params
    cell: dict[str, Any] = {"seed": seed, "scale": scale, "config_hash": plan.config_hash}
    named = [*cfg.synthesizers, *([BASELINE] if cfg.baseline else [])]
    with _quiet(quiet) as log:
        try:
            boot = bootstrap(plan, progress=not quiet)
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
    return content_hash(text, length=16, prefix="")


def cache_key(cfg: AblationConfig, seed: int, scale: float, source: dict[str, Any] | None) -> str:
    """A cached cell is reused only for the same grid settings, data config files and commit."""
    commit = (source or {}).get("commit", "")[:12]
    return f"{_cell_key(cfg, seed, scale)}-{_data_config_hash(cfg)}-{commit}"


def _data_config_hash(cfg: AblationConfig) -> str:
    """Hash of the data config files, so a cached cell is not reused after an edit."""
    folder = cfg.config_dir or default_config_dir()
    files = [folder / name for name in ("tables.yml", "config.yaml", "lineage.yml")]
    text = b"".join(p.name.encode() + p.read_bytes() for p in files if p.exists())
    return content_hash(text, length=16, prefix="")


def run_ablation(
    cfg: AblationConfig,
    out: Path,
    config_path: Path | None = None,
    progress: bool = True,
    quiet_cells: bool = True,
    resume: bool = True,
    log: Callable[[str], None] | None = None,
    overwrite: bool = False,
) -> AblationResult:
    """Run every cell (cached cells are reused), aggregate, write the staged output folder
    (an earlier ablation in ``out`` is replaced only with ``overwrite``)."""
    say = log or Progress().say
    out = Path(out).resolve()
    check_replaceable(out, overwrite)  # before hours of cells, not after
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
            write_json(cached, cell, indent=1)
        if progress:
            say(_cell_line(i, len(grid), cell))
        cells.append(cell)
    doc = build_doc(cfg, cells, config_path, time.perf_counter() - started, source)
    with staged_output(out, overwrite) as tmp:
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
