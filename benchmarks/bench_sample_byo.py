"""Benchmark `sample --model-dir` on your own data at scale (issue 11 item 3, flat memory):
one row per database x scale with the rows written, seconds, peak RSS of the process tree,
dangling foreign keys and repeated primary keys (both must be 0).

Each database of the corpus (or berka, from ../shared) is `fit` once with the tree under test
(`--data-dir`, detected metadata, default hma), then sampled at every scale as a subprocess of
the CLI (Parquet, `--seed 0`, `--force`); peak memory is the sum of RSS over the process tree
(psutil, polled every 0.1 s: `_report.TreeMemory`). The output's own metadata
(`metadata/detected_metadata.json`: keys, composite keys, relationships) says what is checked,
reading only the key columns. With `--before TREE` (another checkout, e.g. main) the same
models are sampled by that tree too, in the same run, for a before/after on the same machine.

    python benchmarks/bench_sample_byo.py                           # 5 databases x 1, 4, 16
    python benchmarks/bench_sample_byo.py --dbs berka --scales 1 16 --before /work/main
    python benchmarks/bench_sample_byo.py --quick                    # pubs and berka, 1 and 4

The acceptance: peak RSS at scale 16 within about 1.3x of scale 1, 0 dangling, 0 repeated.
Writes reports/bench_sample_byo.json, reports/bench_sample_byo.md and its section of
benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from _realdb import CORPUS, SHARED  # noqa: E402  (a sibling module)
from _report import REPORTS, TreeMemory, machine, machine_md, write_section  # noqa: E402

DBS = ["pubs", "berka", "sakila", "adventureworks_dw", "mimic_demo"]
SHAPES = {
    "pubs": "many small tables, text keys",
    "berka": "multi-parent (disp: account and client)",
    "sakila": "multi-parent, composite keys, cycles",
    "adventureworks_dw": "deep, composite keys, self references",
    "mimic_demo": "deep and wide (18 tables), left-out links",
}


def data_dir(name: str) -> Path:
    local = CORPUS / name
    return local if local.exists() else SHARED / name


#: the CLI with batches as large as any sample (a control: the same sample drawn in one batch)
UNBATCHED = (
    "import sys; import synthgen_sdv.synth.batches as b; b.BATCH_ROWS = b.BATCH_CELLS = 10**15; "
    "from synthgen_sdv.cli import main; sys.exit(main())"
)


def run(cmd: list[str], tree: Path, progress: bool = False, unbatched: bool = False) -> dict:
    """Run the CLI ``cmd`` with ``tree``'s package (its folder is the working directory, which
    ``python -m`` imports first): seconds and peak memory of its process tree; ``progress``
    keeps the stage lines (the batch plan is read from them); ``unbatched`` draws any scale
    in one batch."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    entry = ["-c", UNBATCHED] if unbatched else ["-m", "synthgen_sdv"]
    full = [sys.executable, *entry, *cmd, *([] if progress else ["--no-progress"])]
    started = time.perf_counter()
    proc = subprocess.Popen(
        full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tree, env=env
    )
    memory = TreeMemory(proc.pid)
    out, err = proc.communicate()
    peaks = memory.stop()
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-3000:]}")
    log = out + err
    return {"seconds": round(seconds, 2), **{k: round(v) for k, v in peaks.items()}, "log": log}


def integrity(out: Path) -> dict:
    """Rows per table, repeated primary keys and dangling foreign keys of the written output,
    as its own metadata declares them (composite keys as the combination)."""
    meta = json.loads((out / "metadata" / "detected_metadata.json").read_text())
    data = out / "data"
    written = {p.stem: p for p in data.glob("*.parquet")}
    rows = {t: pq.ParquetFile(p).metadata.num_rows for t, p in written.items()}
    repeated: dict[str, int] = {}
    keysets: dict[str, set] = {}
    for name, table in meta["tables"].items():
        pk = table.get("primary_key")
        if name not in written or not pk:
            continue
        cols = pk if isinstance(pk, list) else [pk]
        keys = pq.read_table(written[name], columns=cols)
        if len(cols) == 1:
            values = keys.column(0).drop_null()
            repeated[name] = len(values) - len(pc.unique(values))
            keysets[name] = set(pc.unique(values).to_pylist())
        else:
            frame = keys.to_pandas()
            repeated[name] = int(frame.duplicated().sum())
    dangling: dict[str, int] = {}
    for r in meta["relationships"]:
        child, parent = r["child_table_name"], r["parent_table_name"]
        if child not in written or parent not in keysets:
            continue
        col = pq.read_table(written[child], columns=[r["child_foreign_key"]]).column(0)
        values = col.drop_null().to_pylist()
        parents = keysets[parent]
        bad = sum(1 for v in values if v not in parents)
        dangling[f"{child}.{r['child_foreign_key']}->{parent}"] = bad
    return {
        "rows": rows,
        "rows_total": sum(rows.values()),
        "repeated_keys": sum(repeated.values()),
        "dangling_fks": sum(dangling.values()),
        "repeated_by_table": {k: v for k, v in repeated.items() if v},
        "dangling_by_link": {k: v for k, v in dangling.items() if v},
    }


# --- quality at scale (issue 11 item 3: within 0.01 of sampling at scale 1) -------------------

QUALITY_DBS = ["berka", "sakila", "adventureworks_dw", "mimic_demo", "pubs", "tpch"]
PROPERTIES = ["Column Shapes", "Column Pair Trends", "Cardinality", "Intertable Trends"]


def quality_scale(model: Path, batches: int = 3) -> tuple[float, int]:
    """A scale cut into ``batches`` full batches by the model's own plan (``synth.batches``),
    and the size of one batch (as a multiple of the fitted rows)."""
    from synthgen_sdv.synth.batches import batch_scale, model_widths
    from synthgen_sdv.synth.store import load_model

    saved = load_model(model)
    rows = dict(saved.manifest.rows)
    step = batch_scale(rows, model_widths(saved.synthesizer, list(saved.manifest.tables)))
    return float(step * batches), step


class Scorer:
    """The project's own scorer of a written output against the data it was fitted on: the
    comparison's section 2 (``evaluate.report._written_section``: ``make_scoring`` with the
    input as train and holdout, SDMetrics' QualityReport, identifier-like columns hidden,
    self references left out), on the tables ``UserSource.study_setup`` scores. Two set-ups:
    ``cut``, the comparison's own sizes (at most 2,000 root entities, shared leaf tables
    capped at 50,000 rows), and ``whole``, no size limit on either side."""

    def __init__(self, db: str, model: Path):
        from synthgen_sdv.core.progress import QUIET
        from synthgen_sdv.evaluate.metrics import EvalOptions
        from synthgen_sdv.evaluate.relations import TableGraph
        from synthgen_sdv.evaluate.scoring import make_scoring
        from synthgen_sdv.runs.from_user import UserSource
        from synthgen_sdv.synth.store import load_model

        modeled = list(load_model(model).manifest.tables)
        source = UserSource(data_dir=data_dir(db), seed=0)
        source.load(QUIET)
        self.reference, self.meta, self.root, _ = source.study_setup(modeled)
        self.graph = TableGraph(self.meta)
        options = EvalOptions(seed=0, root_table=self.root)
        self.scorings = {}
        for name, roots, shared in (("cut", 2_000, 50_000), ("whole", 10**12, None)):
            scoring, _, self.hidden = make_scoring(
                self.reference,
                self.reference,
                self.meta,
                self.graph,
                ["quality"],
                options,
                max_root_rows=roots,
                max_shared_rows=shared,  # type: ignore[arg-type]  (None: no cap)
                scope="all",
                skip_identifier_like=True,
                progress=lambda _m: None,
            )
            scoring.has_holdout = False
            if shared is None:  # the sample too: not cut to the input's root count
                scoring.n_roots = roots
            self.scorings[name] = scoring

    def read(self, out: Path) -> dict:
        """The scored tables of a written output folder, typed like the input."""
        from synthgen_sdv.evaluate.relations import coerce_like

        tables = {}
        for t in self.meta["tables"]:
            tables[t] = pq.read_table(out / "data" / f"{t}.parquet").to_pandas()
        return coerce_like(tables, self.reference, self.graph)

    def score(self, data: dict, how: str, roots: int | None = None, seed: int = 0) -> dict:
        """QualityReport of ``data`` with the ``how`` set-up (first cut to ``roots`` root
        entities with their descendants, ``evaluate.split.subsample_by_root``, when given):
        overall and per property, and the root rows scored."""
        from synthgen_sdv.evaluate.split import subsample_by_root

        if roots is not None:
            data = subsample_by_root(
                data, self.meta, roots, seed=seed, root_table=self.root, max_shared_rows=None
            ).data
        entry, scored = self.scorings[how].score("written output", "written", data, {})
        result = entry["results"]["quality"]
        props = result.get("properties") or {}
        return {
            "quality": result.get("score"),
            **{p: (props.get(p) or {}).get("score") for p in PROPERTIES},
            "roots_scored": len(scored[self.root]),
            "reason": result.get("reason"),
        }


#: the samples of each seed: scale 1, scale N in one draw (the control), scale N in batches
KINDS = ("at_1", "one_draw", "batched")


def quality_runs(
    db: str, model: Path, work: Path, seeds: list[int], scale: float | None, tree: Path = ROOT
) -> dict:
    """Quality at scale 1 and at ``scale`` (default: 3 full batches; also drawn in one batch,
    the control) for ``seeds``, each sample written by the CLI and scored against the input
    whole and cut (the scale-N samples cut to the scale-1 sample's number of root entities)."""
    step = None
    if scale is None:
        scale, step = quality_scale(model)
    scorer = Scorer(db, model)
    runs = []
    for seed in seeds:
        roots = None
        for kind in KINDS:
            at = 1.0 if kind == "at_1" else scale
            out = work / f"q_{db}"
            cmd = ["sample", "--model-dir", str(model), "--scale", f"{at:g}", "--seed", str(seed)]
            cmd += ["--format", "parquet", "--out", str(out), "--overwrite", "--force"]
            got = run(cmd, tree, progress=True, unbatched=kind == "one_draw")
            data = scorer.read(out)
            check = integrity(out)
            shutil.rmtree(out, ignore_errors=True)
            whole = scorer.score(data, "whole")
            cut = scorer.score(data, "cut", roots, seed=seed)
            if kind == "at_1":
                roots = len(data[scorer.root])
            runs.append(
                {
                    "seed": seed,
                    "kind": kind,
                    "scale": at,
                    "roots": len(data[scorer.root]),
                    "rows": sum(len(f) for f in data.values()),
                    "batches": "one draw" if kind == "one_draw" else batches_line(got["log"]),
                    "seconds": got["seconds"],
                    "dangling_fks": check["dangling_fks"],
                    "repeated_keys": check["repeated_keys"],
                    "whole": whole,
                    "cut": cut,
                }
            )
            print(
                f"  {db} seed {seed} {kind} x{at:g} ({runs[-1]['batches']}): whole "
                f"{whole['quality']:.4f}, cut {cut['quality']:.4f} ("
                + ", ".join(f"{p} {whole[p]}" for p in PROPERTIES)
                + ")",
                flush=True,
            )
    return {
        "db": db,
        "scale": scale,
        "batch_scale": step,
        "root": scorer.root,
        "hidden": scorer.hidden,
        "runs": runs,
        "summary": {how: quality_summary(runs, how) for how in ("whole", "cut")},
    }


def _mean(values: list) -> float | None:
    known = [v for v in values if v is not None]
    return round(sum(known) / len(known), 4) if known else None


def quality_summary(runs: list[dict], how: str) -> dict:
    """Means over seeds of each kind of sample scored ``how``; the difference at N - at 1,
    the part batching makes (batched - one draw) and the property that moves most."""
    out: dict = {}
    for key in ["quality", *PROPERTIES]:
        means = {k: _mean([r[how][key] for r in runs if r["kind"] == k]) for k in KINDS}
        one, big, whole = means["at_1"], means["batched"], means["one_draw"]
        out[key] = {
            **means,
            "difference": None if one is None or big is None else round(big - one, 4),
            "batching": None if whole is None or big is None else round(big - whole, 4),
        }
    moved = [
        (abs(v["difference"]), p)
        for p, v in out.items()
        if p != "quality" and v["difference"] is not None
    ]
    out["moves_most"] = max(moved)[1] if moved else None
    d = out["quality"]["difference"]
    out["within"] = d is not None and abs(d) <= 0.01
    return out


def _num(x: float | None, sign: bool = False) -> str:
    if x is None:
        return "blank"
    return f"{x:+.4f}" if sign else f"{x:.4f}"


def _verdict(summary: dict) -> str:
    """Within 0.01, or not: lower (a loss) or higher (at N better than at 1)."""
    d = summary["quality"]["difference"]
    if summary["within"]:
        return "yes"
    return "**no** (higher)" if d is not None and d > 0 else "**no** (lower)"


def _summary_table(results: list[dict], how: str) -> list[str]:
    lines = [
        "| database | root | scale N | batches at N | quality at 1 | at N | difference "
        "| within 0.01 | at N, one draw | batching | moves most (at 1 -> at N) "
        "| dangling / repeated |",
        "|---|---|---:|---|---:|---:|---:|---|---:|---:|---|---:|",
    ]
    for r in results:
        s = r["summary"][how]
        q = s["quality"]
        big = [x for x in r["runs"] if x["kind"] == "batched"]
        moved = s["moves_most"]
        mv = s[moved] if moved else None
        bad = sum(x["dangling_fks"] for x in r["runs"]), sum(x["repeated_keys"] for x in r["runs"])
        lines.append(
            f"| {r['db']} | {r['root']} | {r['scale']:g} | {big[0]['batches'] if big else ''} | "
            f"{_num(q['at_1'])} | {_num(q['batched'])} | {_num(q['difference'], True)} | "
            f"{_verdict(s)} | {_num(q['one_draw'])} | "
            f"{_num(q['batching'], True)} | "
            + (
                f"{moved} ({_num(mv['at_1'])} -> {_num(mv['batched'])}, "
                f"{_num(mv['difference'], True)})"
                if mv
                else ""
            )
            + f" | {bad[0]} / {bad[1]} |"
        )
    lines += [
        "",
        "Per property (mean over seeds): at 1 -> at N in batches (at N in one draw):",
        "",
        "| database | " + " | ".join(PROPERTIES) + " |",
        "|---|" + "---|" * len(PROPERTIES),
    ]
    for r in results:
        s = r["summary"][how]
        cells = [
            f"{_num(s[p]['at_1'])} -> {_num(s[p]['batched'])} ({_num(s[p]['one_draw'])})"
            for p in PROPERTIES
        ]
        lines.append(f"| {r['db']} | " + " | ".join(cells) + " |")
    return lines


def quality_report(results: list[dict], args) -> None:
    info = machine()
    load = os.getloadavg()
    command = "python benchmarks/bench_sample_byo.py " + " ".join(sys.argv[1:])
    seeds = ", ".join(str(s) for s in args.seeds)
    lines = [
        "# Quality at scale on your own data: `sample --scale N` against `--scale 1`",
        "",
        machine_md(info),
        f"Load average at the end: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}.",
        "",
        f"Command: `{command.strip()}`"
        + (f" (samples drawn by the tree {args.before})" if args.before else ""),
        "",
        "Each database is `fit` once (detected metadata, hma), then sampled by the CLI "
        "(`sample --model-dir M --scale S --seed s --format parquet`) at scale 1 and at a "
        "scale N its batch plan cuts into 3 full batches, with seeds "
        f"{seeds}; and, as a control that separates what batching does from what the scale "
        "does, at N in one batch (the CLI with the batch limits raised). Every sample is "
        "scored against the input with the comparison's own scorer (section 2 of the report: "
        "`evaluate.scoring.make_scoring`, SDMetrics QualityReport with its four properties, "
        "identifier-like columns hidden, self references left out). Means over the seeds; "
        "difference = at N in batches - at 1; *batching* = at N in batches - at N in one draw; "
        "the acceptance is |difference| <= 0.01.",
        "",
        "## Whole samples",
        "",
        "Every sample scored whole against the whole input (the scorer with no size limits): "
        "SDMetrics' properties compare distributions (shapes, pairs, children per parent), "
        "which do not depend on the sample's size, so a sample at N and one at 1 are scored "
        "alike.",
        "",
        *_summary_table(results, "whole"),
        "",
        "## Cut to the scale-1 size",
        "",
        "The scale-N samples first cut to as many root entities as the seed's scale-1 sample "
        "has, with all their descendants (`evaluate.split.subsample_by_root`, root as the "
        "comparison picks it), then scored with the comparison's own sizes (at most 2,000 "
        "root entities; shared leaf tables capped at 50,000 rows). Tables outside the root's "
        "subtree stay whole (N times the rows), so on a database with several roots the cut "
        "changes children per parent by itself (sakila's root is actor: rental and payment "
        "stay whole, film_actor is cut), and a cut of a few root rows (berka: 77 districts) "
        "is a noisy draw where the scale-1 sample repeats the input's own counts and unique "
        "values exactly.",
        "",
        *_summary_table(results, "cut"),
        "",
        "Per seed (whole / cut quality):",
        "",
        "| database | seed | sample | scale | batches | rows | root rows | quality whole "
        "| quality cut | " + " | ".join(f"{p} (whole)" for p in PROPERTIES) + " |",
        "|---|---:|---|---:|---|---:|---:|---:|---:|" + "---:|" * len(PROPERTIES),
    ]
    for r in results:
        for x in r["runs"]:
            lines.append(
                f"| {r['db']} | {x['seed']} | {x['kind']} | {x['scale']:g} | {x['batches']} | "
                f"{x['rows']:,} | {x['roots']:,} | {_num(x['whole']['quality'])} | "
                f"{_num(x['cut']['quality'])} | "
                + " | ".join(_num(x["whole"][p]) for p in PROPERTIES)
                + " |"
            )
    markdown = "\n".join(lines) + "\n"
    data = {"machine": info, "load": load, "command": command, "results": results}
    name = args.out
    (REPORTS / f"bench_{name}.md").write_text(markdown)
    (REPORTS / f"bench_{name}.json").write_text(json.dumps(data, indent=1, default=str))
    print(markdown)


def batches_line(log: str) -> str:
    """The sample's batch plan as its progress says it (one draw when it says nothing)."""
    for line in log.splitlines():
        found = re.search(r"(\d+) batches of up to ([\d.]+)x", line)
        if found:
            return f"{found.group(1)} of {found.group(2)}x"
    return "one draw"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--dbs", default=",".join(DBS), help="comma-separated database names")
    ap.add_argument("--scales", type=float, nargs="+", default=[1, 4, 16])
    ap.add_argument(
        "--before",
        type=Path,
        help="another source tree, sampled in the same run (with --quality: the tree that "
        "samples, instead of this one; the fit and the scorer stay this tree's)",
    )
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="pubs and berka at scales 1 and 4")
    ap.add_argument("--out", default="sample_byo", help="report name (reports/bench_NAME.*)")
    ap.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    ap.add_argument(
        "--fit-sample",
        default="berka",
        help="databases also run whole by `fit-sample --scale N` (fit, sample, write, compare) "
        "at the smallest and largest scale; '' for none",
    )
    ap.add_argument(
        "--quality",
        action="store_true",
        help="quality at scale instead of memory: each database at scale 1 and at 3 full "
        "batches (--quality-scale to choose), --seeds, scored against the input "
        f"(default databases: {','.join(QUALITY_DBS)}; report bench_sample_byo_quality)",
    )
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument(
        "--quality-from",
        type=Path,
        nargs="+",
        help="with --quality: no runs, the report of these runs' JSON files put together",
    )
    ap.add_argument("--quality-scale", type=float, help="the scale N (default: 3 full batches)")
    args = ap.parse_args()
    if args.quality:
        quality_main(args)
        return
    dbs = ["pubs", "berka"] if args.quick else args.dbs.split(",")
    scales = [1.0, 4.0] if args.quick else args.scales
    trees = [("after", ROOT)] + ([("before", args.before.resolve())] if args.before else [])
    work = args.work or Path(tempfile.mkdtemp(prefix="bench_sample_byo_"))
    work.mkdir(parents=True, exist_ok=True)
    results: list[dict] = []
    whole: list[dict] = []  # fit-sample runs
    try:
        for db in dbs:
            model = work / f"model_{db}"
            fit = run(
                ["fit", "--data-dir", str(data_dir(db)), "--model-dir", str(model), "--overwrite"],
                ROOT,
            )
            print(f"{db}: fit {fit['seconds']} s, {fit['peak_rss_mb']} MB", flush=True)
            for label, tree in trees:
                for scale in scales:
                    out = work / f"out_{db}"
                    cmd = ["sample", "--model-dir", str(model), "--scale", f"{scale:g}"]
                    cmd += ["--seed", "0", "--format", "parquet", "--out", str(out)]
                    cmd += ["--overwrite", "--force", "--workers", str(args.workers)]
                    got = run(cmd, tree, progress=True)
                    check = integrity(out)
                    row = {
                        "db": db,
                        "shape": SHAPES.get(db, ""),
                        "tree": label,
                        "scale": scale,
                        "seconds": got["seconds"],
                        "peak_rss_mb": got["peak_rss_mb"],
                        "peak_pss_mb": got["peak_pss_mb"],
                        "batches": batches_line(got["log"]),
                        **check,
                    }
                    results.append(row)
                    print(
                        f"  {label} x{scale:g}: {check['rows_total']:,} rows, {got['seconds']} s, "
                        f"{got['peak_rss_mb']} MB, dangling {check['dangling_fks']}, "
                        f"repeated {check['repeated_keys']}",
                        flush=True,
                    )
                    shutil.rmtree(out, ignore_errors=True)
        for db in [d for d in args.fit_sample.split(",") if d] if not args.quick else []:
            for label, tree in trees:
                for scale in sorted({min(scales), max(scales)}):
                    out = work / f"fs_{db}"
                    cmd = ["fit-sample", "--data-dir", str(data_dir(db)), "--scale", f"{scale:g}"]
                    cmd += ["--format", "parquet", "--out", str(out), "--overwrite", "--force"]
                    got = run(cmd, tree)
                    whole.append({"db": db, "tree": label, "scale": scale, **got, "log": None})
                    print(
                        f"  fit-sample {db} {label} x{scale:g}: {got['seconds']} s, "
                        f"{got['peak_single_rss_mb']} MB (largest process), "
                        f"{got['peak_rss_mb']} MB (RSS sum)",
                        flush=True,
                    )
                    shutil.rmtree(out, ignore_errors=True)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    report(results, scales, dbs, trees, args, whole)


def quality_main(args) -> None:
    """``--quality``: fit each database, score samples at 1 and N (``quality_runs``)."""
    dbs = QUALITY_DBS if args.dbs == ",".join(DBS) else args.dbs.split(",")
    if args.out == "sample_byo":
        args.out = "sample_byo_quality"
    if args.quality_from:  # several runs (e.g. in parallel) put together in one report
        runs = [json.loads(Path(f).read_text()) for f in args.quality_from]
        quality_report([r for run in runs for r in run["results"]], args)
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="bench_sample_byo_q_"))
    work.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        for db in dbs:
            model = work / f"model_{db}"
            if not (model / "manifest.json").exists():
                cmd = ["fit", "--data-dir", str(data_dir(db)), "--model-dir", str(model)]
                fit = run([*cmd, "--overwrite"], ROOT)
                print(f"{db}: fit {fit['seconds']} s", flush=True)
            tree = (args.before or ROOT).resolve()
            results.append(quality_runs(db, model, work, args.seeds, args.quality_scale, tree))
            quality_report(results, args)  # after each database: a long run keeps its numbers
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


def _ratio(results: list[dict], db: str, tree: str, scales: list[float]) -> float | None:
    peak = {r["scale"]: r["peak_rss_mb"] for r in results if r["db"] == db and r["tree"] == tree}
    lo, hi = min(scales), max(scales)
    if lo in peak and hi in peak and peak[lo]:
        return round(peak[hi] / peak[lo], 2)
    return None


def report(
    results: list[dict],
    scales: list[float],
    dbs: list[str],
    trees,
    args,
    whole: list[dict] | None = None,
) -> None:
    info = machine()
    load = os.getloadavg()
    command = "python benchmarks/bench_sample_byo.py " + " ".join(sys.argv[1:])
    lines = [
        "# `sample --model-dir` on your own data at scale: peak memory",
        "",
        machine_md(info),
        f"Load average at the end: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
        "(a shared machine: seconds are inflated under load; peaks are not).",
        "",
        f"Command: `{command.strip()}`",
        "",
        "Each run: `sample --model-dir M --scale N --seed 0 --format parquet --force` as a "
        "subprocess; peak RSS summed over its process tree (polled every 0.1 s). Dangling: "
        "foreign key values not among the parent's written keys; repeated: primary keys (or "
        "composite key combinations) written more than once. Both must be 0.",
        "",
        "| database | tree | scale | rows written | seconds | peak RSS MB | dangling FKs "
        "| repeated keys | batches |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['db']} | {r['tree']} | {r['scale']:g} | {r['rows_total']:,} | "
            f"{r['seconds']:.1f} | {r['peak_rss_mb']} | {r['dangling_fks']} | "
            f"{r['repeated_keys']} | {r['batches']} |"
        )
    lines += [
        "",
        f"Peak RSS at scale {max(scales):g} over scale {min(scales):g} (target: at most about "
        "1.3x):",
        "",
        "| database | shape | " + " | ".join(t for t, _ in trees) + " |",
        "|---|---|" + "---:|" * len(trees),
    ]
    ratios = {}
    for db in dbs:
        cells = []
        for label, _ in trees:
            ratio = _ratio(results, db, label, scales)
            ratios[f"{db}/{label}"] = ratio
            cells.append("" if ratio is None else f"{ratio:.2f}x")
        lines.append(f"| {db} | {SHAPES.get(db, '')} | " + " | ".join(cells) + " |")
    if whole:
        lines += [
            "",
            "`fit-sample --data-dir D --scale N` (fit, sample, write, and the comparison report, "
            "whose scoring runs in forked workers: the sum of RSS counts their shared pages once "
            "per process, so the largest single process is given too):",
            "",
            "| database | tree | scale | seconds | largest process MB | RSS sum MB | PSS sum MB |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for r in whole:
            lines.append(
                f"| {r['db']} | {r['tree']} | {r['scale']:g} | {r['seconds']:.1f} | "
                f"{r['peak_single_rss_mb']} | {r['peak_rss_mb']} | {r['peak_pss_mb']} |"
            )
    markdown = "\n".join(lines) + "\n"
    data = {
        "machine": info,
        "load": load,
        "command": command,
        "results": results,
        "fit_sample": whole or [],
        "ratios": ratios,
    }
    name = args.out
    (REPORTS / f"bench_{name}.md").write_text(markdown)
    write_section(name, markdown.replace("# ", "## ", 1), data)
    print(markdown)


if __name__ == "__main__":
    main()
