"""DuckDB loader: one embedded warehouse file, rebuilt in a single transaction on every load."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from synthgen_sdv.core.errors import InputError, SynthgenError
from synthgen_sdv.engines.base import (
    ENGINES,
    Dialect,
    Loader,
    LoadPlan,
    TableLoad,
    create_table_sql,
)
from synthgen_sdv.engines.reader import csv_header
from synthgen_sdv.io import layout


class DuckDBDialect(Dialect):
    """DuckDB's spelling: the ANSI defaults."""

    name = "duckdb"


def source_select(dialect: Dialect, plan: LoadPlan, table: str) -> str:
    """SELECT of a table's declared columns from its Parquet or CSV file, typed as declared."""
    meta = plan.schema.tables[table]
    source = plan.sources[table]
    q = dialect.quote
    path = dialect.literal(str(source.path.resolve()))
    cols = ", ".join(q(c) for c in meta.columns)
    if source.fmt == "parquet":
        return f"SELECT {cols} FROM read_parquet({path})"
    header = csv_header(source.path)
    missing = [c for c in meta.columns if c not in header]
    if missing:
        raise SynthgenError(f"{source.path}: columns {missing} are missing from the CSV header")
    # Columns the metadata does not declare are read as text and left out of the SELECT.
    sql_types = {c: dialect.types[col.sql_type] for c, col in meta.columns.items()}
    types = ", ".join(
        f"{dialect.literal(c)}: {dialect.literal(sql_types.get(c, 'VARCHAR'))}" for c in header
    )
    return (
        f"SELECT {cols} FROM read_csv({path}, header = true, auto_detect = false, "
        f"columns = {{{types}}}, nullstr = '', quote = '\"', escape = '\"', "
        f"dateformat = '%Y-%m-%d')"
    )


@ENGINES.register("duckdb")
class DuckDBLoader(Loader):
    """Drops and recreates the schema's tables inside one transaction, so a rerun is idempotent
    and a failed load leaves the previous warehouse untouched."""

    name = "duckdb"
    dialect = DuckDBDialect()

    def __init__(self, options=None):
        super().__init__(options)
        self._con = None

    def _load(self, plan: LoadPlan) -> list[TableLoad]:
        import duckdb

        DATA_ERRORS = (
            duckdb.ConstraintException,
            duckdb.ConversionException,
            duckdb.InvalidInputException,
            duckdb.OutOfRangeException,
        )

        path = Path(self.options.database or plan.out_dir / layout.WAREHOUSE)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.target = str(path)
        try:
            con = duckdb.connect(str(path))
        except duckdb.Error as exc:
            raise SynthgenError(f"duckdb: cannot open {path}: {exc}") from None
        self._con = con
        q = self.dialect.quote
        loads = []
        current = None
        try:
            con.execute("BEGIN TRANSACTION")
            for table in reversed(plan.order):
                con.execute(f"DROP TABLE IF EXISTS {q(table)}")
            for table in plan.order:
                current = table
                start = time.perf_counter()
                meta = plan.schema.tables[table]
                con.execute(create_table_sql(self.dialect, q(table), meta, plan.schema))
                con.execute(
                    f"INSERT INTO {q(table)} ({', '.join(q(c) for c in meta.columns)}) "
                    + source_select(self.dialect, plan, table)
                )
                if meta.description:
                    con.execute(
                        f"COMMENT ON TABLE {q(table)} IS {self.dialect.literal(meta.description)}"
                    )
                for name, col in meta.columns.items():
                    if col.description:
                        con.execute(
                            f"COMMENT ON COLUMN {q(table)}.{q(name)} IS "
                            f"{self.dialect.literal(col.description)}"
                        )
                (rows,) = con.execute(f"SELECT COUNT(*) FROM {q(table)}").fetchone()
                loads.append(
                    TableLoad(
                        table, int(rows), str(plan.sources[table].path), time.perf_counter() - start
                    )
                )
            current = None
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            # the data breaks its own metadata (a duplicate key, a dangling foreign key, a value
            # of another type): bad input, exit 2, naming the table
            cls = InputError if isinstance(exc, DATA_ERRORS) else SynthgenError
            where = f"table {current!r} of {plan.out_dir}" if current else str(plan.out_dir)
            raise cls(
                f"duckdb: loading {where} into {path} failed, nothing was changed: {exc}"
            ) from None
        return loads

    def table_ref(self, table: str) -> str:
        """The quoted table name in the loaded database."""
        return self.dialect.quote(table)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of a read-only query."""
        if self._con is None:
            raise SynthgenError("duckdb: query() before load()")
        return self._con.execute(sql).fetchall()

    def close(self) -> None:
        """Close the database connection."""
        if self._con is not None:
            self._con.close()
            self._con = None
