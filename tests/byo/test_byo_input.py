"""Your own data that is not clean: CSV dialects, repeated keys, ragged rows, odd names.

Each case of the hostile-input probe (issue 13, finding 5) is reproduced: a semicolon CSV once
became one column and an output of placeholder ids, a key with duplicates made another column
the key, ragged rows emptied the id column. Now the dialect is detected and said, and the other
two exit 2 naming file, column and lines unless --bad-rows says what to do.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.detect.load import load_user_data
from synthgen_sdv.detect.modeling import placeholder_columns

ROOT = Path(__file__).resolve().parents[2]


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "data"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "synthgen_sdv", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )


CUSTOMERS_SEMI = "customer_id;name;balance\n1;Ann;1.234,50\n2;Bob;12,25\n3;Cy;0,5\n4;Di;7,0\n"
ORDERS_SEMI = 'order_id;customer_id;note\n10;1;"a;b"\n11;1;x\n12;3;y\n13;4;z\n14;2;w\n'


def test_semicolon_csv_with_decimal_comma(tmp_path):
    folder = _folder(tmp_path, {"customers.csv": CUSTOMERS_SEMI, "orders.csv": ORDERS_SEMI})
    user = load_user_data(folder)
    assert list(user.tables["customers"].columns) == ["customer_id", "name", "balance"]
    assert user.types["customers"]["balance"] == "float"
    assert user.tables["customers"]["balance"].tolist() == [1234.5, 12.25, 0.5, 7.0]
    assert user.tables["orders"]["note"].tolist() == ["a;b", "x", "y", "z", "w"]
    assert {
        (r["child_table_name"], r["parent_table_name"]) for r in user.metadata["relationships"]
    } == {("orders", "customers")}
    text = user.describe()
    assert "read as delimiter ';', quote '\"', decimal mark ','" in text
    assert "customers.csv: balance: numbers with a decimal comma" in "\n".join(user.notes)


def test_other_dialects_tab_pipe_and_single_quotes(tmp_path):
    folder = _folder(
        tmp_path,
        {
            "a.csv": "a_id\tname\n1\tx y\n2\tz\n",
            "b.csv": "b_id|a_id|label\n1|1|'p|q'\n2|2|r\n",
        },
    )
    user = load_user_data(folder)
    assert list(user.tables["a"].columns) == ["a_id", "name"]
    assert user.tables["b"]["label"].tolist() == ["p|q", "r"]
    assert user.dialects == {
        "a.csv": "delimiter tab, quote '\"', decimal mark '.'",
        "b.csv": "delimiter '|', quote ''', decimal mark '.'",
    }


def test_semicolon_folder_end_to_end_has_no_placeholder_columns(tmp_path):
    from synthgen_sdv.runs.fit_sample import run_fit_sample
    from synthgen_sdv.runs.from_user import UserSource

    rows = "\n".join(f"{i};{i % 7 + 1};{i * 1.5:.2f}".replace(".", ",") for i in range(1, 41))
    folder = _folder(
        tmp_path,
        {
            "stores.csv": "store_id;city\n" + "\n".join(f"{i};c{i % 3}" for i in range(1, 8)),
            "sales.csv": "sale_id;store_id;amount\n" + rows + "\n",
        },
    )
    out = tmp_path / "out"
    outcome = run_fit_sample(UserSource(folder, seed=1), out, ["parquet"], "gaussian_copula")
    sales = outcome.sampled.tables["sales"]
    assert list(sales.columns) == ["sale_id", "store_id", "amount"]
    assert pd.api.types.is_float_dtype(sales["amount"])
    assert not sales.astype(str).apply(lambda c: c.str.startswith("sdv-id-").all()).any()
    # the dialect read is recorded with each input file
    read_as = outcome.sampled.lineage["sales"]["input"]["read_as"]
    assert read_as == "delimiter ';', quote '\"', decimal mark ','"


def test_a_key_with_duplicates_exits_2_naming_file_column_and_lines(tmp_path):
    folder = _folder(
        tmp_path,
        {
            "customers.csv": "customer_id,name\n1,a\n2,b\n2,c\n3,d\n,e\n",
            "orders.csv": "order_id,customer_id\n1,1\n2,2\n3,3\n",
        },
    )
    with pytest.raises(InputError) as err:
        load_user_data(folder)
    msg = str(err.value)
    assert (
        "customers.csv, column customer_id: 1 row repeats a key value, e.g. 2 on lines 3, 4;" in msg
    )
    assert "1 row has no key (lines 6)" in msg and "--bad-rows drop" in msg
    user = load_user_data(folder, bad_rows="drop")
    assert user.tables["customers"]["customer_id"].tolist() == [1, 2, 3]
    assert user.metadata["tables"]["customers"]["primary_key"] == "customer_id"
    assert ("orders", "customer_id") in {
        (r["child_table_name"], r["child_foreign_key"]) for r in user.metadata["relationships"]
    }
    assert any("2 rows left out (--bad-rows drop)" in n for n in user.notes)
    # the command line says the same and exits 2 (never a traceback)
    proc = _cli("fit-sample", "--data-dir", str(folder), "--out", str(tmp_path / "o"), cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "customers.csv, column customer_id" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_declared_key_with_duplicates(tmp_path):
    folder = _folder(tmp_path, {"t.csv": "code,v\nA,1\nB,2\nA,3\n"})
    meta = tmp_path / "m.json"
    meta.write_text(
        json.dumps(
            {
                "tables": {
                    "t": {
                        "primary_key": "code",
                        "columns": {"code": {"sdtype": "id"}, "v": {"sdtype": "numerical"}},
                    }
                }
            }
        )
    )
    with pytest.raises(
        InputError,
        match=r"tables\.t\.primary_key \(t\.csv\): t\.csv, column "
        r"code: 1 row repeats a key value, e\.g\. 'A' on lines 2, 4",
    ):
        load_user_data(folder, meta)
    user = load_user_data(folder, meta, bad_rows="drop")
    assert user.tables["t"]["code"].tolist() == ["A", "B"]


def test_ragged_rows_exit_2_or_are_dropped_or_repaired(tmp_path):
    folder = _folder(
        tmp_path,
        {"orders.csv": "order_id,customer_id,amount\n1,1,10\n2,1,5,extra\n3,2\n4,2,7\n"},
    )
    with pytest.raises(InputError) as err:
        load_user_data(folder)
    msg = str(err.value)
    assert "orders.csv: 2 rows do not have the header's 3 fields" in msg
    assert "line 3 has 4 fields: '2', '1', '5', 'extra'" in msg and "line 4 has 2 fields" in msg
    assert "--bad-rows drop" in msg
    dropped = load_user_data(folder, bad_rows="drop").tables["orders"]
    assert dropped["order_id"].tolist() == [1, 4]
    repaired = load_user_data(folder, bad_rows="repair")
    assert repaired.tables["orders"]["order_id"].tolist() == [1, 3, 4]
    assert repaired.tables["orders"]["amount"].isna().tolist() == [False, True, False]
    assert any("1 dropped, 1 repaired" in n for n in repaired.notes)
    proc = _cli("fit-sample", "--data-dir", str(folder), "--out", str(tmp_path / "o"), cwd=tmp_path)
    assert proc.returncode == 2 and "line 3 has 4 fields" in proc.stderr, proc.stderr


def test_a_trailing_delimiter_on_every_row_keeps_the_ids(tmp_path):
    """The probe's 'ragged rows emptied the id column': every row ends with a delimiter."""
    folder = _folder(tmp_path, {"items.csv": "item_id,name\n1,a,\n2,b,\n3,c,\n"})
    with pytest.raises(InputError, match="3 rows do not have the header's 2 fields"):
        load_user_data(folder)
    user = load_user_data(folder, bad_rows="repair")
    assert user.tables["items"]["item_id"].tolist() == [1, 2, 3]
    assert user.metadata["tables"]["items"]["primary_key"] == "item_id"
    # a header that ends with the delimiter too: the nameless empty column is left out
    folder = _folder(tmp_path, {"items.csv": "item_id,name,\n1,a,\n2,b,\n"})
    user = load_user_data(folder)
    assert list(user.tables["items"].columns) == ["item_id", "name"]


def test_unusable_names_are_refused(tmp_path):
    folder = _folder(tmp_path, {"t.csv": "a,,b\n1,2,3\n"})
    with pytest.raises(InputError, match=r"column 2 of t\.csv has no name and holds 1 values"):
        load_user_data(folder)
    # a spreadsheet's stray cells in nameless columns (3 in 300 rows): left out, said where
    rows = "".join(f"{i},{i % 7},{'x' if i == 5 else ''},\n" for i in range(1, 301))
    folder = _folder(tmp_path, {"t.csv": "a,b,,\n" + rows})
    user = load_user_data(folder)
    assert list(user.tables["t"].columns) == ["a", "b"]
    notes = "\n".join(user.notes)
    assert "t.csv: column 3 has no name and only 1 value in 300 rows (lines 6): left out" in notes
    folder = _folder(tmp_path, {"t.csv": "a,A\n1,2\n"})
    with pytest.raises(InputError, match="column 'A' appears twice"):
        load_user_data(folder)
    (tmp_path / "data" / "t.csv").unlink()
    pd.DataFrame({"x": [1], "bad\nname": [2]}).to_parquet(tmp_path / "data" / "p.parquet")
    with pytest.raises(InputError, match="control character"):
        load_user_data(tmp_path / "data")


def test_no_column_but_a_key_is_made_of_placeholder_ids(tmp_path):
    folder = _folder(
        tmp_path, {"t.csv": "t_id,token\n" + "".join(f"{i},tok{i}x\n" for i in range(30))}
    )
    user = load_user_data(folder)
    assert user.metadata["tables"]["t"]["columns"]["token"]["sdtype"] != "id"
    meta = tmp_path / "m.json"
    md = json.loads(json.dumps(user.metadata))
    md["tables"]["t"]["columns"]["token"] = {"sdtype": "id"}
    meta.write_text(json.dumps(md))
    with pytest.raises(InputError, match=r"tables\.t\.columns\.token \(t\.csv\): sdtype id, but"):
        load_user_data(folder, meta)
    tables = {
        "t": pd.DataFrame(
            {"t_id": ["sdv-id-a", "sdv-id-b"], "token": ["sdv-id-1", "sdv-id-2"], "n": np.arange(2)}
        )
    }
    assert placeholder_columns(tables, {("t", "t_id")}) == ["t.token"]


def test_an_empty_table_is_written_empty_and_a_column_named_after_it_is_said(tmp_path):
    from synthgen_sdv.runs.fit_sample import run_fit_sample
    from synthgen_sdv.runs.from_user import UserSource

    folder = _folder(
        tmp_path,
        {
            "regions.csv": "region_id,name\n",
            "shops.csv": "shop_id,region_id,size\n"
            + "".join(f"{i},{i % 3},{i}\n" for i in range(9)),
        },
    )
    user = load_user_data(folder)
    assert user.metadata["relationships"] == []
    assert (
        "shops.region_id: named after table regions, which has no rows; not used as a foreign key"
        in "\n".join(user.notes)
    )
    out = tmp_path / "out"
    outcome = run_fit_sample(UserSource(folder, seed=1), out, ["parquet"], "gaussian_copula")
    assert list(outcome.sampled.tables) == ["shops", "regions"]
    assert "regions: no rows in the input; written empty" in outcome.sampled.notes
    regions = pq.read_table(out / "data" / "regions.parquet")
    assert regions.num_rows == 0 and regions.column_names == ["region_id", "name"]
    assert '"regions"' in (out / "metadata" / "schema_metadata.json").read_text()


def test_a_folder_of_only_empty_tables_exits_2_naming_its_files(tmp_path):
    """Headers and no rows anywhere: said as such (it said "cannot model tables  with HMA: no
    table to model"), before anything is written."""
    folder = _folder(tmp_path, {"regions.csv": "region_id,name\n", "shops.csv": "shop_id\n"})
    proc = _cli("fit-sample", "--data-dir", str(folder), "--out", "out", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "every table is empty (a header, no rows): regions.csv, shops.csv" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_a_binary_file_and_a_broken_parquet_file_exit_2_naming_the_file(tmp_path):
    """A spreadsheet saved as .csv was read as Latin-1 and reported as ragged rows of
    mojibake; a file that is not Parquet made the size estimate fail with exit 1."""
    rng = np.random.default_rng(0)
    for name, content, said in (
        ("sheet.csv", rng.integers(0, 256, 4000, dtype=np.uint8).tobytes(), "not a text CSV"),
        ("t.parquet", b"PAR1 but not really", "cannot read it as Parquet"),
    ):
        folder = tmp_path / name
        folder.mkdir()
        (folder / name).write_bytes(content)
        (folder / "ok.csv").write_text("id,v\n1,2\n2,3\n")
        proc = _cli("fit-sample", "--data-dir", str(folder), "--out", "out", cwd=folder.parent)
        assert proc.returncode == 2, proc.stderr
        assert f"{name}: {said}" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()
    assert load_user_data(_folder(tmp_path, {"tab.csv": "a\tb\n1\t2\n"})).tables["tab"].shape == (
        1,
        2,
    )  # a tab is a delimiter, not a control character


def test_a_cycle_run_says_which_link_is_left_out_and_why(tmp_path):
    """The command's stage lines name the link left out of the model and the reason."""
    import io

    from synthgen_sdv.core.progress import Progress
    from synthgen_sdv.runs.fit_sample import run_fit_sample
    from synthgen_sdv.runs.from_user import UserSource

    folder = _folder(
        tmp_path,
        {
            "store.csv": "store_id,manager_staff_id,city\n1,1,a\n2,5,b\n3,9,c\n",
            "staff.csv": "staff_id,store_id,grade\n"
            + "".join(f"{i},{(i - 1) % 3 + 1},{i % 4}\n" for i in range(1, 13)),
        },
    )
    said = io.StringIO()
    outcome = run_fit_sample(
        UserSource(folder, seed=1),
        tmp_path / "out",
        ["parquet"],
        "hma",
        compare=False,
        progress=Progress(stream=said),
    )
    text = said.getvalue()
    assert (
        "left out of the model: store.manager_staff_id -> staff.staff_id: closes the cycle" in text
    )
    assert "its evidence is the weakest of the cycle" in text
    store, staff = outcome.sampled.tables["store"], outcome.sampled.tables["staff"]
    assert store["manager_staff_id"].isin(set(staff["staff_id"])).all()
    assert staff["store_id"].isin(set(store["store_id"])).all()


def test_the_python_api_takes_bad_rows_too(tmp_path):
    import synthgen_sdv as sg

    folder = _folder(tmp_path, {"items.csv": "item_id,name\n1,a\n2,b,x\n3,c\n"})
    with pytest.raises(InputError, match="line 3 has 3 fields"):
        sg.read(folder)
    assert sg.read(folder, bad_rows="drop").tables["items"]["item_id"].tolist() == [1, 3]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_table_wider_than_the_limit_is_refused_before_its_rows_are_read(
    tmp_path, suffix, monkeypatch
):
    from synthgen_sdv.detect import reading

    monkeypatch.setattr(reading, "MAX_COLUMNS", 6)  # the rule, on a small table
    wide = pd.DataFrame({"id": [1, 2, 3], **{f"c{i}": [i, i, 0] for i in range(6)}})
    path = tmp_path / f"wide{suffix}"
    wide.to_parquet(path) if suffix == ".parquet" else wide.to_csv(path, index=False)
    with pytest.raises(InputError) as err:
        load_user_data(tmp_path)
    assert str(path) in str(err.value) and "7 columns; at most 6 per table" in str(err.value)
    path.unlink()
    wide.iloc[:, :6].to_csv(tmp_path / "wide.csv", index=False)  # at the limit: read
    assert list(load_user_data(tmp_path).tables["wide"].columns) == list(wide.columns[:6])


def test_files_that_look_like_tables_but_are_not_read_are_named_in_the_notes(tmp_path):
    # a folder of customers.csv.gz and orders.csv ran on orders alone, with no word of the other
    folder = _folder(tmp_path, {"orders.csv": "order_id,customer_id\n1,1\n2,1\n3,2\n"})
    (folder / "customers.csv.gz").write_bytes(gzip.compress(b"customer_id,name\n1,a\n2,b\n"))
    (folder / "stores.tsv").write_text("store_id\tcity\n1\tx\n")
    (folder / "README.md").write_text("not a table")
    notes = load_user_data(folder).notes
    assert "customers.csv.gz: not read as a table (a compressed file: decompress it to .csv)" in (
        notes
    )
    assert any(
        n.startswith("stores.tsv: not read as a table (delimited text: name it .csv") for n in notes
    )
    assert not any("README.md" in n for n in notes)
