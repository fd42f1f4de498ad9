"""`load` into DuckDB and fakesnow-Snowflake: DDL from the metadata, FK order, idempotent reruns."""

from __future__ import annotations

import json
import logging

import duckdb
import pytest

from synthgen_sdv.cli import main
from synthgen_sdv.core.errors import InputError
from synthgen_sdv.engines.base import ENGINES, LoadOptions, get_engine
from synthgen_sdv.engines.snowflake_engine import snowflake_settings

COUNTS = {"calendar": 730, "stores": 8, "customers": 40, "orders": 120, "order_items": 360}
SECRET = "s3cr3t-Pa55word!"
# fakesnow 0.12.1 with duckdb 1.x warns on every fetch; not ours to fix.
FAKESNOW_WARNING = "ignore:Arrow output on a DB-API result:UserWarning"


def test_engines_registry_lists_all_three():
    get_engine("duckdb")
    assert list(ENGINES) == ["duckdb", "snowflake", "spark"]
    with pytest.raises(InputError, match=r"unknown engine 'duckbd'.*did you mean 'duckdb'"):
        get_engine("duckbd")


def test_duckdb_load_creates_keys_types_comments_and_is_idempotent(fresh_dir, tmp_path, capsys):
    db = tmp_path / "wh.duckdb"
    for _ in range(2):
        assert (
            main(
                [
                    "load",
                    str(fresh_dir),
                    "--database",
                    str(db),
                    "--json",
                    str(tmp_path / "load.json"),
                ]
            )
            == 0
        )
    out = capsys.readouterr().out
    assert "order_items        360 rows" in out
    assert json.loads((tmp_path / "load.json").read_text())["loads"][0]["tables"] == COUNTS
    con = duckdb.connect(str(db), read_only=True)
    counts = {t: con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in COUNTS}
    assert counts == COUNTS  # a rerun replaces, it does not append
    kinds = sorted(
        con.execute(
            "SELECT table_name, constraint_type FROM duckdb_constraints() "
            "WHERE constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY')"
        ).fetchall()
    )
    assert ("orders", "FOREIGN KEY") in kinds and ("calendar", "PRIMARY KEY") in kinds
    assert sum(k == "FOREIGN KEY" for _, k in kinds) == 4
    types = dict(
        con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'orders'"
        ).fetchall()
    )
    assert types["order_ts"] == "TIMESTAMP" and types["order_date"] == "DATE"
    assert types["order_id"] == "BIGINT" and types["total_amount"] == "DOUBLE"
    assert con.execute(
        "SELECT comment FROM duckdb_columns() WHERE table_name = 'orders' "
        "AND column_name = 'order_id'"
    ).fetchone() == ("Order key",)
    assert con.execute(
        "SELECT comment FROM duckdb_tables() WHERE table_name = 'orders'"
    ).fetchone() == ("The orders table; it's a test fixture.",)
    # values survive CSV: NULLs, quoted commas, booleans
    assert con.execute("SELECT COUNT(*) - COUNT(is_member) FROM customers").fetchone() == (5,)
    assert con.execute("SELECT name FROM customers WHERE customer_id = 1").fetchone() == (
        "Doe, Jane 1",
    )
    con.close()
    con = duckdb.connect(str(db))
    with pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO order_items VALUES (9999, 123456, 'x', 1, 1.0, NULL)")
    con.close()


def test_duckdb_default_database_is_under_the_output_folder(fresh_dir):
    with get_engine("duckdb")() as loader:
        result = loader.load(fresh_dir)
    assert result.target == str(fresh_dir / "warehouse.duckdb")
    assert {t.table: t.rows for t in result.tables} == COUNTS
    assert [t.table for t in result.tables][:3] == ["calendar", "stores", "customers"]


def test_load_fails_cleanly_when_a_data_file_is_missing(fresh_dir, capsys):
    (fresh_dir / "data" / "stores.parquet").unlink()
    assert main(["load", str(fresh_dir)]) == 2
    assert "table 'stores': no data file" in capsys.readouterr().err


def _snowflake_env(monkeypatch):
    for key, value in {
        "ACCOUNT": "acct",
        "USER": "loader",
        "PASSWORD": SECRET,
        "DATABASE": "SYNTH",
        "SCHEMA": "PUBLIC",
    }.items():
        monkeypatch.setenv(f"SNOWFLAKE_{key}", value)


def test_snowflake_settings_from_env_file_and_environment(tmp_path, monkeypatch):
    for var in ("ACCOUNT", "USER", "PASSWORD", "DATABASE", "SCHEMA", "WAREHOUSE", "ROLE"):
        monkeypatch.delenv(f"SNOWFLAKE_{var}", raising=False)
    env = tmp_path / ".env"
    env.write_text(f"SNOWFLAKE_ACCOUNT=a1\nSNOWFLAKE_USER=u1\nSNOWFLAKE_PASSWORD={SECRET}\n")
    with pytest.raises(InputError) as err:
        snowflake_settings(env)
    assert "SNOWFLAKE_DATABASE, SNOWFLAKE_SCHEMA" in str(err.value)
    assert SECRET not in str(err.value)
    monkeypatch.setenv("SNOWFLAKE_DATABASE", "D")
    monkeypatch.setenv("SNOWFLAKE_SCHEMA", "S")
    monkeypatch.setenv("SNOWFLAKE_USER", "from_env")  # the environment wins over the file
    settings = snowflake_settings(env)
    assert (settings.account, settings.user, settings.database) == ("a1", "from_env", "D")
    assert SECRET not in repr(settings) and SECRET not in str(settings.model_dump())


@pytest.mark.filterwarnings(FAKESNOW_WARNING)
def test_snowflake_load_under_fakesnow_is_idempotent_and_never_shows_the_password(
    fresh_dir, monkeypatch, capsys, caplog
):
    fakesnow = pytest.importorskip("fakesnow")
    _snowflake_env(monkeypatch)
    caplog.set_level(logging.DEBUG)
    with fakesnow.patch():
        assert main(["-v", "load", str(fresh_dir), "--engine", "snowflake"]) == 0
        assert main(["-v", "load", str(fresh_dir), "--engine", "snowflake"]) == 0
        loader = get_engine("snowflake")(LoadOptions())
        counts = {t: loader.query(f"SELECT COUNT(*) FROM {t}")[0][0] for t in COUNTS}
        cols = dict(
            loader.query(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = 'ORDERS'"
            )
        )
        (comment,) = loader.query(
            "SELECT comment FROM information_schema.tables WHERE table_name = 'ORDERS'"
        )[0]
        names = loader.query("SELECT name FROM customers WHERE customer_id IN (1, 2) ORDER BY 1")
        loader.close()
    captured = capsys.readouterr()
    assert counts == COUNTS
    assert names == [("Doe, Jane 1",), ("Doe, Jane 2",)]  # quoted CSV field with a comma
    # fakesnow 0.12.1 does not re-escape a quote inside a comment: the load goes on, warning
    assert comment == "The orders table; it's a test fixture." or (
        "orders: comment not set" in captured.out
    )
    assert cols["ORDER_TS"] == "TIMESTAMP_NTZ" and cols["ORDER_ID"] == "NUMBER"
    assert "loaded 5 tables into snowflake (acct SYNTH.PUBLIC)" in captured.out
    assert "PUT 'file://" in caplog.text and "AUTO_COMPRESS = FALSE" in caplog.text
    for text in (captured.out, captured.err, caplog.text):
        assert SECRET not in text


def test_snowflake_missing_credentials_fail_before_loading(fresh_dir, monkeypatch, capsys):
    for var in ("ACCOUNT", "USER", "PASSWORD", "DATABASE", "SCHEMA"):
        monkeypatch.delenv(f"SNOWFLAKE_{var}", raising=False)
    monkeypatch.chdir(fresh_dir)  # no .env here
    assert main(["load", str(fresh_dir), "--engine", "duckdb,snowflake"]) == 2
    captured = capsys.readouterr()
    assert "set SNOWFLAKE_ACCOUNT" in captured.err
    assert not (fresh_dir / "warehouse.duckdb").exists()


def test_a_failed_duckdb_load_leaves_the_previous_warehouse_untouched(fresh_dir, capsys):
    import pyarrow.parquet as pq

    assert main(["load", str(fresh_dir)]) == 0
    path = fresh_dir / "data" / "order_items.parquet"
    table = pq.read_table(path)
    rows = table.to_pylist()
    rows[0]["order_id"] = 999999  # an orphan: DuckDB enforces the FOREIGN KEY
    pq.write_table(table.from_pylist(rows, schema=table.schema), path)
    (fresh_dir / "data" / "order_items.csv").unlink()
    assert main(["load", str(fresh_dir)]) == 2  # the data breaks its metadata: bad input
    err = capsys.readouterr().err
    assert "nothing was changed" in err and "table 'order_items'" in err
    con = duckdb.connect(str(fresh_dir / "warehouse.duckdb"), read_only=True)
    assert con.execute("SELECT COUNT(*), MIN(order_id) FROM order_items").fetchone()[0] == 360
    assert con.execute("SELECT COUNT(*) FROM order_items WHERE order_id = 999999").fetchone() == (
        0,
    )
    con.close()


def test_missing_optional_packages_name_the_pip_extra(fresh_dir, monkeypatch):
    import sys

    from synthgen_sdv.core.errors import MissingExtraError
    from synthgen_sdv.engines.snowflake_engine import SnowflakeLoader, SnowflakeSettings
    from synthgen_sdv.engines.spark_engine import SparkLoader

    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark -> ImportError
    with pytest.raises(MissingExtraError, match=r"pip install .*'\.\[spark\]'"):
        SparkLoader().load(fresh_dir)
    monkeypatch.setitem(sys.modules, "snowflake.connector", None)
    settings = SnowflakeSettings(account="a", user="u", password="p", database="d", schema_="s")
    with pytest.raises(MissingExtraError, match=r"snowflake-connector-python.*'\.\[snowflake\]'"):
        SnowflakeLoader(settings=settings).load(fresh_dir)
