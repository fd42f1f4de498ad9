"""The loader plug-in contract: `Loader.load()` checks and times around each engine's `_load()`."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.registry import Registry
from synthgen_sdv.core.strict import StrictModel
from synthgen_sdv.engines.reader import TableSource, table_source
from synthgen_sdv.io.models import SchemaMetadata, TableMeta
from synthgen_sdv.io.reader import load_schema_metadata


class LoadOptions(StrictModel):
    """Every engine's options; each engine reads the ones it needs."""

    database: Path | None = None  # duckdb file; default OUT/warehouse.duckdb
    spark_master: str = "local[2]"
    spark_database: str = "synthgen"
    spark_path: Path | None = None  # where Spark writes table files; default OUT/spark
    env_file: Path | None = None  # snowflake credentials; default ./.env when present


class Dialect:
    """How an engine spells identifiers and types; parity queries and DDL go through it."""

    name = "ansi"
    types: ClassVar[dict[str, str]] = {
        "BIGINT": "BIGINT",
        "DOUBLE": "DOUBLE",
        "VARCHAR": "VARCHAR",
        "BOOLEAN": "BOOLEAN",
        "DATE": "DATE",
        "TIMESTAMP": "TIMESTAMP",
    }

    def quote(self, ident: str) -> str:
        """A quoted identifier (names from metadata are never trusted as bare SQL)."""
        return '"' + ident.replace('"', '""') + '"'

    @staticmethod
    def literal(text: str) -> str:
        """A SQL string literal, quotes doubled."""
        return "'" + text.replace("'", "''") + "'"

    def year(self, expr: str) -> str:
        """The year of a date or timestamp expression, in this dialect."""
        return f"EXTRACT(YEAR FROM {expr})"

    def month(self, expr: str) -> str:
        """The month of a date or timestamp expression, in this dialect."""
        return f"EXTRACT(MONTH FROM {expr})"


def name_of(meta: TableMeta, schema: SchemaMetadata) -> str:
    """The name under which ``meta`` is one of ``schema``'s tables."""
    return next(n for n, m in schema.tables.items() if m is meta)


def create_table_sql(
    dialect: Dialect,
    qualified: str,
    meta: TableMeta,
    schema: SchemaMetadata,
    table_comment_inline: bool = False,
    ref=None,
) -> str:
    """CREATE TABLE with types, NOT NULL, PRIMARY KEY and FOREIGN KEY ... REFERENCES."""
    q = dialect.quote
    lines = [
        f"{q(name)} {dialect.types[col.sql_type]}{'' if col.nullable else ' NOT NULL'}"
        for name, col in meta.columns.items()
    ]
    if meta.pk_columns:
        lines.append(f"PRIMARY KEY ({', '.join(q(c) for c in meta.pk_columns)})")
    for fk in meta.foreign_keys:
        parent = schema.tables[fk.parent_table]
        # Engines only accept references to a primary (or unique) key; other references stay
        # documented in the metadata and are checked by `validate`. A self reference is left
        # out too: DuckDB refuses rows that point at rows of the same insert.
        if parent.pk_columns == [fk.parent_column] and fk.parent_table != name_of(meta, schema):
            target = ref(fk.parent_table) if ref else q(fk.parent_table)
            lines.append(
                f"FOREIGN KEY ({q(fk.column)}) REFERENCES {target} ({q(fk.parent_column)})"
            )
    body = ",\n  ".join(lines)
    sql = f"CREATE TABLE {qualified} (\n  {body}\n)"
    if table_comment_inline and meta.description:
        sql += f" COMMENT = {dialect.literal(meta.description)}"
    return sql


@dataclass
class TableLoad:
    """One table loaded: rows counted in the engine, the file it came from, seconds taken."""

    table: str
    rows: int
    source: str
    seconds: float


@dataclass
class LoadResult:
    """What one engine's load did, table by table."""

    engine: str
    target: str
    tables: list[TableLoad] = field(default_factory=list)
    seconds: float = 0.0

    def to_text(self) -> str:
        """A line per table under a headline, as ``load`` prints it."""
        width = max((len(t.table) for t in self.tables), default=5)
        lines = [
            f"loaded {len(self.tables)} tables into {self.engine} ({self.target}) "
            f"in {self.seconds:.2f} s"
        ]
        lines += [
            f"  {t.table:<{width}} {t.rows:>10,} rows  {t.seconds:6.2f} s  from {t.source}"
            for t in self.tables
        ]
        return "\n".join(lines)


@dataclass(frozen=True)
class LoadPlan:
    """What `_load` gets: the folder, its metadata, the tables in FK order and their files."""

    out_dir: Path
    schema: SchemaMetadata
    order: list[str]
    sources: dict[str, TableSource]


class Loader(ABC):
    """An engine: `load()` resolves and checks the input, times, and verifies row counts."""

    name: ClassVar[str]
    dialect: ClassVar[Dialect] = Dialect()

    def __init__(self, options: LoadOptions | None = None):
        self.options = options or LoadOptions()
        self.target = ""

    def load(self, out_dir: str | Path) -> LoadResult:
        """Load every table of ``out_dir`` in foreign-key order; refuse row counts that differ
        from the metadata."""
        out = Path(out_dir)
        schema = load_schema_metadata(out)
        order = schema.table_order()
        sources = {t: table_source(out, schema.tables[t], t, "clean") for t in order}
        plan = LoadPlan(out, schema, order, sources)
        start = time.perf_counter()
        loads = self._load(plan)
        result = LoadResult(self.name, self.target, loads, time.perf_counter() - start)
        wrong = [
            f"{t.table}: loaded {t.rows}, metadata says {schema.tables[t.table].row_count}"
            for t in loads
            if schema.tables[t.table].row_count not in (None, t.rows)
        ]
        if wrong:
            raise InputError(  # the folder's files and its metadata disagree: bad input
                f"{self.name}: row counts differ after loading:\n  " + "\n  ".join(wrong)
            )
        return result

    @abstractmethod
    def _load(self, plan: LoadPlan) -> list[TableLoad]:
        """Create and fill every table of `plan.order`; return rows counted in the engine."""

    @abstractmethod
    def table_ref(self, table: str) -> str:
        """How a query names a loaded table."""

    @abstractmethod
    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Run a read-only query on the loaded tables."""

    def close(self) -> None:  # noqa: B027 - optional hook; most loaders hold a connection
        """Release connections or sessions the loader opened."""

    def __enter__(self) -> Loader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


ENGINES: Registry[type[Loader]] = Registry("engine")


def get_engine(name: str) -> type[Loader]:
    """The loader class registered as ``name`` (``engines/__init__`` imports every engine
    module, so all are registered; their heavy packages are imported only when loading)."""
    return ENGINES.get(name)
