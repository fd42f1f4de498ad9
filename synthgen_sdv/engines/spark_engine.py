"""Spark loader: reads each table with an explicit schema from the metadata, saves it as a table."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any, ClassVar

from synthgen_sdv.core.errors import InputError, MissingExtraError, SynthgenError
from synthgen_sdv.engines.base import ENGINES, Dialect, Loader, LoadPlan, TableLoad
from synthgen_sdv.engines.reader import csv_header
from synthgen_sdv.io import layout
from synthgen_sdv.io.models import TableMeta
from synthgen_sdv.io.output import clean_stale, new_tmp, swap_in


class SparkDialect(Dialect):
    """Spark SQL's spelling: backquoted identifiers and its type names."""

    name = "spark"
    types: ClassVar[dict[str, str]] = {
        **Dialect.types,
        "VARCHAR": "STRING",
        "TIMESTAMP": "TIMESTAMP_NTZ",
    }

    def quote(self, ident: str) -> str:
        """A backquoted identifier."""
        return "`" + ident.replace("`", "``") + "`"


def _pyspark():
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise MissingExtraError("pyspark", "spark", "Loading into Spark") from None
    from pyspark.sql import SparkSession
    from pyspark.sql import types as T

    return SparkSession, T


def check_spark_targets(targets: dict[str, Path]) -> None:
    """Refuse to replace a table's folder that Spark did not write (files other than its
    ``part-*`` files and ``_``/``.`` bookkeeping): --spark-path may point at a folder of yours."""
    for table, path in targets.items():
        if not path.exists():
            continue
        if not path.is_dir() or any(
            not c.name.startswith(("part-", "_", ".")) for c in path.iterdir()
        ):
            raise InputError(
                f"spark: {path} exists and does not hold Spark table files, so loading "
                f"'{table}' would replace it; choose another --spark-path or move it"
            )


def spark_schema(meta: TableMeta, order: list[str] | None = None):
    """StructType of a table's declared columns, in `order` (the file's) when given.

    TIMESTAMP is wall-clock time without a zone, as in DuckDB and Snowflake's TIMESTAMP_NTZ,
    so it maps to TimestampNTZType; TimestampType would shift values by the session zone.
    """
    _, T = _pyspark()
    types = {
        "BIGINT": T.LongType(),
        "DOUBLE": T.DoubleType(),
        "VARCHAR": T.StringType(),
        "BOOLEAN": T.BooleanType(),
        "DATE": T.DateType(),
        "TIMESTAMP": T.TimestampNTZType(),
    }
    fields = []
    for name in order or list(meta.columns):
        col = meta.columns.get(name)
        if col is None:  # a CSV column the metadata does not declare: read, then dropped
            fields.append(T.StructField(name, T.StringType(), True))
            continue
        comment = {"comment": col.description} if col.description else {}
        # Nullable in the read schema: Spark does not enforce NOT NULL on read, and a file with a
        # NULL would otherwise fail late; `validate` is the place that checks nullability.
        fields.append(T.StructField(name, types[col.sql_type], True, comment))
    return T.StructType(fields)


@ENGINES.register("spark")
class SparkLoader(Loader):
    """Writes each table as Parquet under OUT/spark/<table> (or --spark-path) and registers it
    over those files; a rerun writes all tables aside first and then swaps each folder in, so
    a failed load changes nothing. Spark has no PRIMARY/FOREIGN KEY constraints to declare."""

    name = "spark"
    dialect = SparkDialect()

    def __init__(self, options=None, spark=None):
        super().__init__(options)
        self._spark = spark
        self._own_session = False

    @property
    def spark(self):
        """The Spark session, started on first use (pyspark is an optional extra)."""
        if self._spark is None:
            SparkSession, _ = _pyspark()
            self._own_session = SparkSession.getActiveSession() is None
            self._spark = (
                SparkSession.builder.master(self.options.spark_master)
                .appName("synthgen_sdv load")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.sql.session.timeZone", "UTC")
                .getOrCreate()
            )
        return self._spark

    def _read(self, plan: LoadPlan, table: str):
        meta = plan.schema.tables[table]
        source = plan.sources[table]
        path = str(source.path.resolve())
        reader = self.spark.read
        if source.fmt == "parquet":
            df = reader.schema(spark_schema(meta)).parquet(path)
        else:
            # With a schema Spark maps CSV columns by position, so give it the header's order.
            df = (
                reader.schema(spark_schema(meta, csv_header(source.path)))
                .option("header", True)
                .option("mode", "FAILFAST")
                .option("escape", '"')
                .option("dateFormat", "yyyy-MM-dd")
                .option("timestampNTZFormat", "yyyy-MM-dd HH:mm:ss[.SSSSSS]")
                .csv(path)
            )
        return df.select(*meta.columns)

    def _load(self, plan: LoadPlan) -> list[TableLoad]:
        """Write every table's Parquet files into a staging folder first (a failure there
        changes nothing), then swap each table's folder in and register it over its files."""
        db = self.options.spark_database
        base = Path(self.options.spark_path or plan.out_dir / layout.SPARK).resolve()
        self.target = f"database {db}, files under {base}"
        targets = {t: layout.inside(base, t, f"table {t!r}") for t in plan.order}
        check_spark_targets(targets)
        q = self.dialect.quote
        base.mkdir(parents=True, exist_ok=True)
        clean_stale(base)  # staging folders of loads that were killed
        staging = new_tmp(base)
        try:
            for table in plan.order:
                try:
                    self._read(plan, table).write.mode("error").parquet(str(staging / table))
                except SynthgenError:
                    raise
                except Exception as exc:  # Py4J and Spark analysis errors have no common base
                    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                    raise SynthgenError(
                        f"spark: loading {table} from {plan.sources[table].path} failed, "
                        f"nothing was changed: {msg}"
                    ) from None
            self.spark.sql(f"CREATE DATABASE IF NOT EXISTS {q(db)}")
            loads = []
            for table in plan.order:
                start = time.perf_counter()
                meta = plan.schema.tables[table]
                swap_in(staging / table, targets[table])
                self.spark.sql(f"DROP TABLE IF EXISTS {self.table_ref(table)}")  # files stay
                self.spark.catalog.createTable(
                    f"{db}.{table}",
                    path=str(targets[table]),
                    source="parquet",
                    schema=spark_schema(meta),
                    description=meta.description or None,
                )
                rows = self.spark.table(self.table_ref(table)).count()
                loads.append(
                    TableLoad(
                        table, int(rows), str(plan.sources[table].path), time.perf_counter() - start
                    )
                )
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return loads

    def table_ref(self, table: str) -> str:
        """The database-qualified, quoted table name."""
        return f"{self.dialect.quote(self.options.spark_database)}.{self.dialect.quote(table)}"

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of a read-only query."""
        return [tuple(row) for row in self.spark.sql(sql).collect()]

    def close(self) -> None:
        """Stop the Spark session this loader started."""
        if self._spark is not None and self._own_session:
            self._spark.stop()
        self._spark = None
