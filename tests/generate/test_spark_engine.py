"""`generate --engine spark`: chunks as Spark tasks in local mode give the same output folder as
local generation (content sorted by key, and in fact the same bytes), with the same metadata and
labels."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import TINY, generate
from tests.generate.helpers import labels, schema, tree_hashes

pytestmark = [pytest.mark.spark, pytest.mark.slow]


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    started = SparkSession.getActiveSession() is None
    session = (
        SparkSession.builder.master("local[2]")
        .appName("synthgen_sdv generate tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("spark-warehouse")))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    if started:
        session.stop()


def _spark_generate(spark, out, scale):
    from synthgen_sdv.generate.spark import SparkExecutor
    from synthgen_sdv.runs.config import load_project
    from synthgen_sdv.runs.generate import run_generate
    from synthgen_sdv.schema.plan import resolve_plan

    plan = resolve_plan(load_project(TINY), scale=scale)
    run_generate(plan, out, ["parquet", "csv"], engine=SparkExecutor(spark=spark), etl=False)
    return out


def test_spark_output_equals_local_output(spark, tmp_path):
    # scale 4: the tiny config's 7-row chunks make every family several Spark tasks
    local = generate(TINY, tmp_path / "local", scale=4, workers=2)
    remote = _spark_generate(spark, tmp_path / "spark", scale=4)
    meta = schema(local)
    assert meta == schema(remote) and labels(local) == labels(remote)
    for table, info in meta["tables"].items():
        for folder in ("data", "data_dirty"):
            if folder == "data_dirty" and "dirty" not in info:
                continue
            key = info["primary_key"]
            a = pd.read_parquet(local / folder / f"{table}.parquet")
            b = pd.read_parquet(remote / folder / f"{table}.parquet")
            assert len(a) == info["row_count"] or folder == "data_dirty"
            pd.testing.assert_frame_equal(
                a.sort_values(key, kind="stable").reset_index(drop=True),
                b.sort_values(key, kind="stable").reset_index(drop=True),
            )
    assert tree_hashes(local) == tree_hashes(remote)  # the same bytes, not only the same rows
