"""Check every corpus folder against its keys.json and print a summary.

Checks: file stems are valid (Unicode) identifiers and match keys.json tables one
to one; files decode as UTF-8 and have a header row; declared primary keys
(composite too) are non-null and unique; every non-null foreign key value is
found in the parent column, or the dangling ones are exactly those keys.json
lists under "orphans"; "absent_parents" tables are really absent.  Values are compared
as text, exactly as written in the CSV (empty field = NULL).

Also checks _shared_keys/<name>.json against ../../../../shared/datasets/<name>
(or the folder given by --shared).

usage: python validate.py [--shared /work/shared/datasets]   (exit 1 on failure)
"""

import json
import sys
from pathlib import Path

import pandas as pd

CORPUS = Path(__file__).resolve().parents[1]


def load(folder: Path) -> dict:
    out = {}
    for f in sorted(folder.glob("*.csv")):
        f.read_bytes().decode("utf-8")  # raises on bad encoding
        out[f.stem] = pd.read_csv(
            f, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8"
        )
    return out


def check(folder: Path, keys: dict) -> tuple[list, dict]:
    errors, dfs = [], load(folder)
    declared = set(keys["tables"])
    for t in dfs:
        if not t.isidentifier():  # Unicode letters allowed (csu_1's `fakultät`)
            errors.append(f"table name {t!r} is not an identifier")
    if set(dfs) != declared:
        errors.append(f"files vs keys.json differ: {sorted(set(dfs) ^ declared)}")
    for t, spec in keys["tables"].items():
        pk = spec["primary_key"]
        if pk is None or t not in dfs:
            continue
        cols = [pk] if isinstance(pk, str) else list(pk)
        df = dfs[t]
        missing = [c for c in cols if c not in df.columns]
        if missing:
            errors.append(f"{t}: pk columns {missing} not in file")
            continue
        if df[cols].isna().any().any():
            errors.append(f"{t}: pk {cols} has NULLs")
        dups = int(df.duplicated(cols).sum())
        if dups:
            errors.append(f"{t}: pk {cols} has {dups} duplicates")
    for fk in keys["foreign_keys"]:
        c, col, p, pc = fk["child"], fk["column"], fk["parent"], fk["parent_column"]
        if c not in dfs or p not in dfs:
            errors.append(f"fk {c}.{col} -> {p}.{pc}: table missing")
            continue
        if col not in dfs[c].columns or pc not in dfs[p].columns:
            errors.append(f"fk {c}.{col} -> {p}.{pc}: column missing")
            continue
        vals = dfs[c][col].dropna()
        bad = vals[~vals.isin(set(dfs[p][pc].dropna()))]
        documented = [
            o["values"] for o in keys.get("orphans", []) if (o["child"], o["column"]) == (c, col)
        ]
        if documented and sorted(set(bad)) == sorted(documented[0]):
            continue  # the source's own dangling values, listed in keys.json's "orphans"
        if len(bad):
            errors.append(
                f"fk {c}.{col} -> {p}.{pc}: {len(bad)} unresolved, e.g. {bad.unique()[:5].tolist()}"
            )
    for ap in keys.get("absent_parents", []):
        if ap["parent"] in dfs:
            errors.append(f"absent parent {ap['parent']} is present")
        if ap["child"] not in dfs or ap["column"] not in dfs[ap["child"]].columns:
            errors.append(f"absent-parent column {ap['child']}.{ap['column']} missing")
    return errors, dfs


def main(argv):
    shared = (
        Path(argv[argv.index("--shared") + 1])
        if "--shared" in argv
        else CORPUS.parents[3] / "shared" / "datasets"
    )
    if not shared.exists():
        shared = Path("/work/shared/datasets")
    jobs = [
        (d.name, d, d / "keys.json")
        for d in sorted(CORPUS.iterdir())
        if d.is_dir() and not d.name.startswith("_")
    ]
    jobs += [
        (f"{j.stem} (shared)", shared / j.stem, j)
        for j in sorted((CORPUS / "_shared_keys").glob("*.json"))
    ]
    failed = 0
    print(
        f"{'database':26s} {'tables':>6s} {'rows':>8s} {'largest':>8s} {'PKs':>4s} {'FKs':>4s} "
        f"{'absent':>6s} {'MB':>6s}  result"
    )
    for name, folder, kfile in jobs:
        keys = json.loads(kfile.read_text(encoding="utf-8"))
        errors, dfs = check(folder, keys)
        rows = sum(len(d) for d in dfs.values())
        big = max((len(d) for d in dfs.values()), default=0)
        mb = sum(f.stat().st_size for f in folder.glob("*.csv")) / 1e6
        npk = sum(1 for s in keys["tables"].values() if s["primary_key"] is not None)
        print(
            f"{name:26s} {len(dfs):6d} {rows:8d} {big:8d} {npk:4d} {len(keys['foreign_keys']):4d} "
            f"{len(keys.get('absent_parents', [])):6d} {mb:6.2f}  {'OK' if not errors else 'FAIL'}"
        )
        for e in errors:
            print("    -", e)
        failed += bool(errors)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
