"""``ablation``: the comparison protocol over seeds x bootstrap scales x synthesizers."""

from __future__ import annotations

import argparse

from synthgen_sdv.commands.common import add_overwrite, claimed, echo, path_arg
from synthgen_sdv.core.errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``ablation`` subcommand."""
    p = sub.add_parser(
        "ablation",
        help="run the comparison over seeds x scales x synthesizers; mean ± std per metric",
        description="For each (seed, bootstrap scale) of the grid in --config: generate the "
        "reference by rules, split it by root entity, fit every synthesizer on train, infer the "
        "rules baseline from train, score all against the holdout. Writes ablation.json, "
        "ablation.md and plots/ into --out. Finished cells are cached beside --out, so a "
        "rerun after an interruption resumes.",
    )
    p.add_argument(
        "--config",
        type=path_arg,
        default=None,
        metavar="FILE",
        help="grid YAML (default: the built-in configs/ablation.yml)",
    )
    p.add_argument(
        "--out",
        type=path_arg,
        default=None,
        metavar="DIR",
        help="folder to write (replaced whole, atomically; default: the grid's 'out', ablation)",
    )
    add_overwrite(p)
    p.add_argument("--config-dir", type=path_arg, default=None, help="data config folder override")
    p.add_argument("--seeds", default=None, metavar="N,N", help="override the grid's seeds")
    p.add_argument("--scales", default=None, metavar="S,S", help="override the grid's scales")
    p.add_argument(
        "--synthesizers", default=None, metavar="NAME,NAME", help="override the synthesizers"
    )
    p.add_argument("--no-resume", action="store_true", help="ignore cells cached by a run")
    p.add_argument("--verbose-cells", action="store_true", help="show each cell's stage lines")
    p.add_argument("--no-progress", action="store_true", help="no line per cell")
    p.set_defaults(func=run)


def _list(text: str, kind: type, flag: str) -> list:
    try:
        return [kind(x.strip()) for x in text.split(",") if x.strip()]
    except ValueError:
        what = f"comma-separated {kind.__name__}s"
        raise InputError(f"{flag}: expected {what}, got {text!r}") from None


def run(args: argparse.Namespace) -> int:
    """Run the grid of --config with the overrides given, print where it went and a summary."""
    from synthgen_sdv.runs.ablation import apply_overrides, load_ablation_config, run_ablation

    cfg, path = load_ablation_config(args.config)
    overrides = {
        "seeds": args.seeds and _list(args.seeds, int, "--seeds"),
        "scales": args.scales and _list(args.scales, float, "--scales"),
        "synthesizers": args.synthesizers and _list(args.synthesizers, str, "--synthesizers"),
        "config_dir": args.config_dir and args.config_dir.resolve(),
    }
    cfg = apply_overrides(cfg, overrides)
    out = args.out if args.out is not None else cfg.out
    inputs = {"--config-dir": cfg.config_dir, "--config": path}
    with claimed(args, out, inputs):
        result = run_ablation(
            cfg,
            out,
            config_path=path,
            progress=not args.no_progress,
            quiet_cells=not args.verbose_cells,
            resume=not args.no_resume,
            overwrite=args.overwrite,
        )
    echo(f"wrote {result.out / 'ablation.md'}, ablation.json and plots/")
    echo(_summary(result.doc))
    return 0


def _summary(doc: dict) -> str:
    from synthgen_sdv.runs.ablation import table

    lines = []
    for (scale, name), rows in table(doc).items():
        q = rows.get("Quality") or {}
        if q.get("mean") is None:
            lines.append(f"  scale {scale:g}  {name:<18} failed")
            continue
        lines.append(
            f"  scale {scale:g}  {name:<18} Quality {q['mean']:.3f} ± {q['std']:.3f} (n={q['n']})"
        )
    return "\n".join(lines)
