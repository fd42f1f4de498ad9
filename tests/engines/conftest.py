"""Shared fixtures for the engine tests: fixture output folders and ONE Spark session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from engines_fixture import write_fixture


@pytest.fixture(scope="session")
def fixture_dir(tmp_path_factory) -> Path:
    """A clean+dirty output folder whose dirty anomalies are all labeled. Do not modify."""
    return write_fixture(tmp_path_factory.mktemp("out") / "out")


@pytest.fixture
def fresh_dir(tmp_path) -> Path:
    """A private copy of the fixture folder that a test may change."""
    return write_fixture(tmp_path / "out")


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """Its warehouse and metastore live in a temporary folder, not in the working directory."""
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("synthgen_sdv tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("spark-warehouse")))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
