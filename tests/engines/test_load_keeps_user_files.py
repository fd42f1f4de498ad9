"""`load` and `validate` never delete what the user put in the folder: load replaces only its
own tables in warehouse.duckdb (in one transaction), validate writes nothing there."""

from __future__ import annotations

import duckdb

from synthgen_sdv.cli import main
from synthgen_sdv.io.output import lock_path


def _tree(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_load_keeps_the_users_tables_and_files(fresh_dir):
    (fresh_dir / "notes.txt").write_text("mine")
    assert main(["load", str(fresh_dir)]) == 0
    con = duckdb.connect(str(fresh_dir / "warehouse.duckdb"))
    con.execute("CREATE TABLE my_analysis AS SELECT 42 AS answer")
    con.close()
    assert main(["load", str(fresh_dir)]) == 0  # a reload replaces only the output's tables
    con = duckdb.connect(str(fresh_dir / "warehouse.duckdb"), read_only=True)
    assert con.execute("SELECT answer FROM my_analysis").fetchone() == (42,)
    assert con.execute("SELECT COUNT(*) FROM customers").fetchone() == (40,)
    con.close()
    assert (fresh_dir / "notes.txt").read_text() == "mine"
    assert not lock_path(fresh_dir).exists()


def test_validate_changes_nothing_in_the_folder(fresh_dir, tmp_path):
    (fresh_dir / "notes.txt").write_text("mine")
    before = _tree(fresh_dir)
    assert main(["validate", str(fresh_dir), "--json", str(tmp_path / "report.json")]) == 0
    assert _tree(fresh_dir) == before


def test_load_with_a_constraint_violation_is_bad_input(fresh_dir, capsys):
    import pandas as pd

    path = fresh_dir / "data" / "customers.csv"  # the fixture keeps customers as CSV only
    df = pd.read_csv(path)
    df.loc[1, "customer_id"] = df.loc[0, "customer_id"]
    df.to_csv(path, index=False)
    assert main(["load", str(fresh_dir)]) == 2
    err = capsys.readouterr().err
    assert "table 'customers'" in err and "nothing was changed" in err
    assert "unexpected" not in err
