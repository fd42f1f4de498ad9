"""Every corpus database runs through fit-sample --data-dir (hma, no metadata edits), and every
foreign key of its output resolves, the links left out of the model included.

Kept fast with a sample of each database: the first rows of every table plus, transitively,
the rows of other tables their declared foreign keys refer to, values copied as text. The full
databases go through ``benchmarks/bench_keys.py --fit`` (reports/keys.md).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from synthgen_sdv.detect.modeling import placeholder_columns
from synthgen_sdv.engines.validation import validate
from synthgen_sdv.runs.fit_sample import run_fit_sample
from synthgen_sdv.runs.from_user import UserSource
from tests.detect.test_corpus_keys import corpus as _databases

FIRST_ROWS = 40


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def sample_database(folder: Path, keys: dict, out: Path, first: int = FIRST_ROWS) -> Path:
    """The first ``first`` rows of each table and every row their foreign keys refer to."""
    tables = {p.stem: _read(p) for p in sorted(folder.glob("*.csv"))}
    keep = {t: set(range(min(first, len(rows)))) for t, (_, rows) in tables.items()}
    fks = [f for f in keys["foreign_keys"] if f["child"] in tables and f["parent"] in tables]
    changed = True
    while changed:
        changed = False
        for f in fks:
            header, rows = tables[f["child"]]
            col = header.index(f["column"])
            wanted = {rows[i][col] for i in keep[f["child"]] if rows[i][col] != ""}
            p_header, p_rows = tables[f["parent"]]
            p_col = p_header.index(f["parent_column"])
            add = {i for i, r in enumerate(p_rows) if r[p_col] in wanted} - keep[f["parent"]]
            if add:
                keep[f["parent"]] |= add
                changed = True
    out.mkdir(parents=True)
    for name, (header, rows) in tables.items():
        with open(out / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(rows[i] for i in sorted(keep[name]))
    return out


# run on every CI run: a cycle, a history table and a hierarchy (oracle_hr); a staff role,
# a link table and a hierarchy (chinook); names beyond ASCII and a 1:1 extension keyed by its
# reference (csu_1, ~4 s). The other databases are slow (> 20 s here).
FAST = ("oracle_hr", "chinook", "csu_1")


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=() if n in FAST else pytest.mark.slow) for n in _databases()],
)
def test_corpus_database_runs_through_fit_sample(name, tmp_path):
    folder, keys_file = _databases()[name]
    if not folder.is_dir():
        pytest.skip(f"{folder} is not here")
    data = sample_database(folder, json.loads(keys_file.read_text()), tmp_path / "data")
    out = tmp_path / "out"
    outcome = run_fit_sample(UserSource(data, seed=0), out, ["parquet"], "hma", compare=False)
    report = validate(out)
    assert report.ok, report.to_text()
    doc = json.loads(outcome.files["metadata"].read_text())
    written = {p.stem: pd.read_parquet(p) for p in (out / "data").glob("*.parquet")}
    links = [*doc["relationships"], *doc.get("unmodeled_relationships", [])]
    for r in links:
        child, parent = r["child_table_name"], r["parent_table_name"]
        if child in written and parent in written:
            values = written[child][r["child_foreign_key"]].dropna()
            keys = set(written[parent][r["parent_primary_key"]])
            assert values.isin(keys).all(), f"{name}: {r} dangles"
    keys_of = {(r["child_table_name"], r["child_foreign_key"]) for r in links}
    for table, tmeta in doc["tables"].items():
        pk = tmeta.get("primary_key")
        keys_of |= {(table, c) for c in (pk if isinstance(pk, list) else [pk] if pk else [])}
    assert placeholder_columns(written, keys_of) == []
