"""Compare our fast HMA with the external anchor, MOSTLY AI's engine, by the study protocol.

Runs ``study.run_study`` on the built-in default config (bootstrap at ``--scale``, default 1:
1,000 customers) with models ``hma`` and ``mostly``: both learn customers -> orders ->
transactions from the train split and are scored against the holdout with the rule-based
baseline and the train ceiling; each model runs with its default parameters. Needs
``mostlyai[local]`` (``pip install -c constraints.txt -e '.[mostly]'``), so it runs in its
own venv, not in CI.

    python benchmarks/bench_mostly.py [--scale 1] [--seed N] [--longer EPOCHS]

Writes reports/bench_mostly/ (the study's comparison report and plots),
reports/bench_mostly.json and reports/bench_mostly.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from _report import REPORTS, machine, machine_md  # noqa: E402  (a sibling module)

MODELED = ["customers", "orders", "transactions"]
MODELS = ["hma", "mostly"]
EXTRA_VERSIONS = ("mostlyai", "mostlyai-engine", "torch")


def longer_mostly(epochs: int, minutes: float) -> str:
    """Register 'mostly' with a larger training budget under its own name (this process only):
    ``run_study`` gives every model the same params, so a variant needs a name."""
    from synthgen_sdv.synth import SYNTHESIZERS
    from synthgen_sdv.synth.mostly import MostlyTables

    name = f"mostly_{epochs}ep"

    class Longer(MostlyTables):
        def __init__(self, **kwargs):
            kwargs.update(max_epochs=epochs, max_training_minutes=minutes)
            super().__init__(**kwargs)

    Longer.name = name
    SYNTHESIZERS.register(name)(Longer)
    return name


def run(scale: float, seed: int | None, models: list[str]) -> dict:
    from synthgen_sdv.runs.config import load_project
    from synthgen_sdv.runs.fitting import bootstrap
    from synthgen_sdv.runs.study import run_study
    from synthgen_sdv.schema.plan import resolve_plan
    from synthgen_sdv.synth import SYNTHESIZERS

    plan = resolve_plan(load_project(ROOT / "configs"), seed=seed, scale=scale)
    boot = bootstrap(plan, progress=False)
    start = time.perf_counter()
    result = run_study(plan, boot, MODELED, models, REPORTS / "bench_mostly", progress=True)
    seconds = time.perf_counter() - start
    data = json.loads((result.report_dir / "comparison.json").read_text())
    info = machine()
    for pkg in EXTRA_VERSIONS:
        try:
            info["versions"][pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            info["versions"][pkg] = None
    return {
        "config": "configs/ (built-in default)",
        "seed": plan.seed,
        "bootstrap_scale": scale,
        "rows": {t: len(boot.tables[t]) for t in MODELED},
        "models": models,
        # run_study gives every model the same params, so each runs with its own defaults
        "mostly_params": {m: SYNTHESIZERS.get(m)()._params() for m in models if m != "hma"},
        "study_seconds": round(seconds, 1),
        "report_dir": str(result.report_dir.relative_to(ROOT)),
        "machine": info,
        "columns": data["columns"],
        "candidates": [
            {
                "name": c["name"],
                "role": c["role"],
                "rows": c["rows"],
                "summary": c["summary"],
                "quality_properties": _properties(c),
            }
            for c in data["candidates"]
        ],
        "stats": result.stats,
    }


def _properties(candidate: dict) -> dict:
    props = (candidate["results"].get("quality") or {}).get("properties") or {}
    return {name: p.get("score") for name, p in props.items() if isinstance(p, dict)}


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


def markdown(res: dict) -> str:
    cands = res["candidates"]
    lines = [
        "# MOSTLY AI (external anchor) vs our HMA",
        "",
        f"Written by `benchmarks/bench_mostly.py`. Default config, bootstrap scale "
        f"{res['bootstrap_scale']:g} (seed {res['seed']}; "
        + ", ".join(f"{t} {n:,}" for t, n in res["rows"].items())
        + " rows), split by customer into train and holdout; every candidate learns from train "
        "and is scored against the holdout (`study.run_study`). "
        + "".join(f"`{m}` parameters: {json.dumps(p)}. " for m, p in res["mostly_params"].items())
        + f"Full report: `{res['report_dir']}/comparison.md`.",
        "",
        "| candidate | " + " | ".join(res["columns"]) + " |",
        "|---|" + "---|" * len(res["columns"]),
    ]
    for c in cands:
        lines.append(
            f"| {c['name']} | "
            + " | ".join(_fmt(c["summary"].get(k)) for k in res["columns"])
            + " |"
        )
    lines += [
        "",
        "Fit / sample time and peak memory (RSS of the process and its children: MOSTLY AI "
        "trains and generates in subprocesses):",
        "",
        "| model | fit s | sample s | peak MB |",
        "|---|---|---|---|",
    ]
    for name, s in res["stats"].items():
        lines.append(
            f"| {name} | {s['fit_seconds']:.1f} | {s['sample_seconds']:.1f} | "
            f"{s['peak_memory_mb']:,.0f} |"
        )
    lines += ["", machine_md(res["machine"]), ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--scale", type=float, default=1.0, help="bootstrap scale (1 = 1,000 customers)"
    )
    ap.add_argument("--seed", type=int, default=None, help="default: the config's seed")
    ap.add_argument(
        "--longer",
        type=int,
        default=0,
        metavar="EPOCHS",
        help="also run 'mostly' trained for up to EPOCHS epochs (10 min per table cap)",
    )
    args = ap.parse_args(argv)
    models = list(MODELS)
    if args.longer:
        models.append(longer_mostly(args.longer, 10.0))
    res = run(args.scale, args.seed, models)
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "bench_mostly.json").write_text(json.dumps(res, indent=2, default=str) + "\n")
    (REPORTS / "bench_mostly.md").write_text(markdown(res))
    print(markdown(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
