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
    self references left out), on the tables ``UserSource.study_setup`` scores."""

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
        self.scoring, _, self.hidden = make_scoring(
            self.reference,
            self.reference,
            self.meta,
            self.graph,
            ["quality"],
            options,
            max_root_rows=2_000,
            max_shared_rows=50_000,
            scope="all",
            skip_identifier_like=True,
            progress=lambda _m: None,
        )
        self.scoring.has_holdout = False
        self.n_roots = self.scoring.n_roots

    def read(self, out: Path) -> dict:
        """The scored tables of a written output folder, typed like the input."""
        from synthgen_sdv.evaluate.relations import coerce_like

        tables = {}
        for t in self.meta["tables"]:
            tables[t] = pq.read_table(out / "data" / f"{t}.parquet").to_pandas()
        return coerce_like(tables, self.reference, self.graph)

    def score(self, data: dict, roots: int | None = None, seed: int = 0, whole=False) -> dict:
        """QualityReport of ``data`` (first cut to ``roots`` root entities with their
        descendants, ``evaluate.split.subsample_by_root``, when given; ``whole``: not cut at
        all, not even to the scorer's 2,000 roots): overall and per property, and the root
        rows scored."""
        from synthgen_sdv.evaluate.split import subsample_by_root

        self.scoring.n_roots = 10**12 if whole else self.n_roots

        if roots is not None:
            data = subsample_by_root(
                data, self.meta, roots, seed=seed, root_table=self.root, max_shared_rows=None
            ).data
        entry, scored = self.scoring.score("written output", "written", data, {})
        result = entry["results"]["quality"]
        props = result.get("properties") or {}
        return {
            "quality": result.get("score"),
            **{p: (props.get(p) or {}).get("score") for p in PROPERTIES},
            "roots_scored": len(scored[self.root]),
            "rows": {t: len(f) for t, f in data.items()},
            "reason": result.get("reason"),
        }


def quality_runs(
    db: str, model: Path, work: Path, seeds: list[int], scale: float | None, tree: Path = ROOT
) -> dict:
    """Quality at scale 1 and at ``scale`` (default: 3 full batches) for ``seeds``, each
    sample written by the CLI and scored against the input; the scale-N sample is first cut
    to the scale-1 sample's number of root entities (with their descendants)."""
    step = None
    if scale is None:
        scale, step = quality_scale(model)
    scorer = Scorer(db, model)
    runs = []
    for seed in seeds:
        for at, whole in ((1.0, False), (scale, True), (scale, False)):
            out = work / f"q_{db}"
            cmd = ["sample", "--model-dir", str(model), "--scale", f"{at:g}", "--seed", str(seed)]
            cmd += ["--format", "parquet", "--out", str(out), "--overwrite", "--force"]
            got = run(cmd, tree, progress=True, unbatched=whole)
            data = scorer.read(out)
            check = integrity(out)
            shutil.rmtree(out, ignore_errors=True)
            roots = (
                None
                if at == 1.0
                else next(r["roots"] for r in runs if r["seed"] == seed and r["scale"] == 1.0)
            )
            scored = scorer.score(data, roots, seed=seed)
            if roots is not None:  # and uncut: every root entity against the input
                uncut = scorer.score(data, whole=True)
                scored["uncut"] = {k: uncut[k] for k in ["quality", *PROPERTIES]}
            runs.append(
                {
                    "seed": seed,
                    "scale": at,
                    "control": whole,
                    "roots": len(data[scorer.root]),
                    "batches": batches_line(got["log"]),
                    "seconds": got["seconds"],
                    "dangling_fks": check["dangling_fks"],
                    "repeated_keys": check["repeated_keys"],
                    **scored,
                }
            )
            print(
                f"  {db} seed {seed} x{at:g} "
                f"({'one draw' if whole else runs[-1]['batches']}): quality "
                f"{scored['quality']}, " + ", ".join(f"{p} {scored[p]}" for p in PROPERTIES),
                flush=True,
            )
    return {
        "db": db,
        "scale": scale,
        "batch_scale": step,
        "root": scorer.root,
        "hidden": scorer.hidden,
        "runs": runs,
        **quality_summary(runs, scale),
    }


def _mean(values: list) -> float | None:
    known = [v for v in values if v is not None]
    return round(sum(known) / len(known), 4) if known else None


def quality_summary(runs: list[dict], scale: float) -> dict:
    """Means over seeds at 1, at ``scale`` in batches and (the control) at ``scale`` in one
    draw; the difference at N - at 1, the part batching makes (batches - one draw), and the
    property that moves most."""
    out: dict = {}
    for key in ["quality", *PROPERTIES]:
        one = _mean([r[key] for r in runs if r["scale"] == 1.0])
        big = _mean([r[key] for r in runs if r["scale"] == scale and not r["control"]])
        whole = _mean([r[key] for r in runs if r["scale"] == scale and r["control"]])
        diff = None if one is None or big is None else round(big - one, 4)
        cut = None if whole is None or big is None else round(big - whole, 4)
        uncut = _mean([r["uncut"][key] for r in runs if "uncut" in r and not r["control"]])
        out[key] = {
            "at_1": one,
            "at_n": big,
            "difference": diff,
            "at_n_one_draw": whole,
            "batching": cut,
            "at_n_uncut": uncut,
        }
    moved = [
        (abs(v["difference"]), p)
        for p, v in out.items()
        if p != "quality" and v["difference"] is not None
    ]
    out["moves_most"] = max(moved)[1] if moved else None
    d = out["quality"]["difference"]
    out["within"] = d is not None and abs(d) <= 0.01
    return {"summary": out}


def quality_report(results: list[dict], args) -> None:
    info = machine()
    load = os.getloadavg()
    command = "python benchmarks/bench_sample_byo.py " + " ".join(sys.argv[1:])
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
        f"(`sample --model-dir M --scale S --seed s --format parquet`) at scale 1 and at a "
        "scale its batch plan cuts into 3 full batches, with seeds "
        f"{', '.join(str(s) for s in args.seeds)}. Every sample is scored against the input "
        "with the comparison's own scorer (section 2 of the report: SDMetrics QualityReport, "
        "identifier-like columns hidden, at most 2,000 root entities with their descendants). "
        "To compare like with like, the scale-N sample is first cut to as many root entities "
        "as its seed's scale-1 sample has, with all their descendants "
        "(`evaluate.split.subsample_by_root`; tables outside the root's subtree are kept "
        "whole). Quality and properties are means over the seeds; difference = at N - at 1; "
        "the acceptance is |difference| <= 0.01.",
        "",
        "A control separates what batching does from what scale and the cut do: the same "
        "scale N drawn in one batch (the CLI with the batch limits raised), cut and scored the "
        "same way. *batching* = at N in batches - at N in one draw. *At N uncut*: the batched "
        "sample's every root entity scored against the input (no cut to the scale-1 size).",
        "",
        "| database | root | scale N | batches at N | quality at 1 | at N | difference "
        "| within 0.01 | at N, one draw | batching | at N uncut | moves most (at 1 -> at N) "
        "| dangling / repeated |",
        "|---|---|---:|---|---:|---:|---:|---|---:|---:|---:|---|---:|",
    ]
    for r in results:
        s = r["summary"]
        q = s["quality"]
        big = [x for x in r["runs"] if x["scale"] == r["scale"] and not x["control"]]
        moved = s["moves_most"]
        mv = s[moved] if moved else None
        bad = sum(x["dangling_fks"] for x in r["runs"]), sum(x["repeated_keys"] for x in r["runs"])
        lines.append(
            f"| {r['db']} | {r['root']} | {r['scale']:g} | {big[0]['batches'] if big else ''} | "
            f"{q['at_1']} | {q['at_n']} | {q['difference']:+.4f} | "
            f"{'yes' if s['within'] else '**no**'} | {q['at_n_one_draw']} | "
            f"{q['batching']:+.4f} | {q['at_n_uncut']} | "
            + (f"{moved} ({mv['at_1']} -> {mv['at_n']}, {mv['difference']:+.4f})" if mv else "")
            + f" | {bad[0]} / {bad[1]} |"
        )
    lines += [
        "",
        "Per property (mean over seeds, at 1 -> at N in batches (at N in one draw)):",
        "",
        "| database | " + " | ".join(PROPERTIES) + " |",
        "|---|" + "---|" * len(PROPERTIES),
    ]
    for r in results:
        s = r["summary"]
        cells = [
            f"{s[p]['at_1']} -> {s[p]['at_n']} (one draw {s[p]['at_n_one_draw']})"
            if s[p]["at_1"] is not None
            else "blank"
            for p in PROPERTIES
        ]
        lines.append(f"| {r['db']} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Per seed:",
        "",
        "| database | seed | scale | batches | root rows sampled | root rows scored "
        "| quality | " + " | ".join(PROPERTIES) + " |",
        "|---|---:|---:|---|---:|---:|---:|" + "---:|" * len(PROPERTIES),
    ]
    for r in results:
        for x in r["runs"]:
            lines.append(
                f"| {r['db']} | {x['seed']} | {x['scale']:g} | "
                f"{'one draw (control)' if x['control'] else x['batches']} | {x['roots']:,} | "
                f"{x['roots_scored']:,} | {x['quality']} | "
                + " | ".join(str(x[p]) for p in PROPERTIES)
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
