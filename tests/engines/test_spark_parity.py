"""Spark local loads with an explicit schema; DuckDB, Spark and fakesnow parity on the fixture."""

from __future__ import annotations

import pytest

from synthgen_sdv.engines.base import LoadOptions, get_engine
from synthgen_sdv.engines.parity import build_queries, check_parity, compare, normalize_rows
from synthgen_sdv.engines.snowflake_engine import SnowflakeSettings
from synthgen_sdv.engines.spark_engine import SparkLoader

COUNTS = {"calendar": 730, "stores": 8, "customers": 40, "orders": 120, "order_items": 360}
pytestmark = [
    pytest.mark.spark,
    pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result:UserWarning"),
]


@pytest.mark.slow
def test_spark_load_uses_the_metadata_schema_and_is_idempotent(spark, fresh_dir):
    loader = SparkLoader(LoadOptions(spark_database="t_spark"), spark=spark)
    first = loader.load(fresh_dir)
    second = loader.load(fresh_dir)
    assert {t.table: t.rows for t in second.tables} == COUNTS
    assert [t.table for t in first.tables] == [t.table for t in second.tables]
    schema = spark.table("t_spark.orders").schema
    types = {f.name: f.dataType.simpleString() for f in schema.fields}
    assert types == {
        "order_id": "bigint",
        "customer_id": "bigint",
        "store_id": "bigint",
        "order_date": "date",
        "order_ts": "timestamp_ntz",
        "channel": "string",
        "total_amount": "double",
        "promo_code": "string",
    }
    assert schema["order_id"].metadata.get("comment") == "Order key"
    assert (fresh_dir / "spark" / "orders").is_dir()  # files under DIR/spark/<table>
    row = loader.query("SELECT name, is_member FROM `t_spark`.`customers` WHERE customer_id = 7")[0]
    assert row == ("Doe, Jane 7", None)  # CSV: quoted comma kept, empty field is NULL
    loader.close()
    assert spark.sparkContext._jsc is not None  # a session it did not create stays up


def test_query_set_is_generated_from_the_metadata(fixture_dir):
    names = [q.name for q in build_queries(fixture_dir)]
    assert "orders join customers by customers.segment" in names
    # store_name comes first but is unique per store; region (4 values) is the dimension
    assert "orders join stores by stores.region" in names
    assert "order_items join orders by orders.channel" in names
    assert "orders.order_date: rows per year-month" in names
    assert "calendar.is_weekend: rows per value" in names
    assert sum(n.endswith("counts, sums, date range") for n in names) == 5


@pytest.mark.slow
def test_duckdb_spark_and_fakesnow_agree(spark, fixture_dir, tmp_path):
    fakesnow = pytest.importorskip("fakesnow")
    options = LoadOptions(
        database=tmp_path / "p.duckdb", spark_database="t_parity", spark_path=tmp_path / "spark"
    )
    settings = SnowflakeSettings(
        account="a", user="u", password="p", database="PARITY", schema_="PUBLIC"
    )
    with fakesnow.patch():
        loaders = [
            get_engine("duckdb")(options),
            SparkLoader(options, spark=spark),
            get_engine("snowflake")(options, settings=settings),
        ]
        for loader in loaders:
            loader.load(fixture_dir)
        report = check_parity(loaders, fixture_dir)
        for loader in loaders:
            loader.close()
    assert report.engines == ["duckdb", "spark", "snowflake"]
    assert report.ok, report.to_text()
    results = report.results["spark"]
    assert len(results) >= 15
    assert results["orders: counts, sums, date range"][0][:2] == (120, 120)
    by_segment = dict((r[0], r[1]) for r in results["orders join customers by customers.segment"])
    assert sum(by_segment.values()) == 120 and None in by_segment  # NULL segment is a group


def test_compare_reports_a_differing_result():
    base = {"q": normalize_rows([("a", 1, 2.0000000001), ("b", 2, None)])}
    same = {"q": normalize_rows([("b", 2, None), ("a", 1, 2.0)])}
    other = {"q": normalize_rows([("a", 1, 2.5), ("b", 2, None)])}
    assert compare({"x": base, "y": same}).ok
    report = compare({"x": base, "y": same, "z": other})
    assert not report.ok
    assert report.mismatches == [
        "  q: x [('a', 1, 2.0000000001), ('b', 2, None)] != z [('a', 1, 2.5), ('b', 2, None)]"
    ]
