"""The DuckDB database a lineage run or check works in: bounded memory, spilling, no file access.

Inputs are copied into the database by our own statements while it may still read files; then
``seal`` disables external access and locks the configuration, so no step SQL (it comes from
lineage.yml, or from an output folder in the verifier) can read or write a file: not with COPY,
``read_text``, ATTACH or INSTALL, and not by turning access back on. Every table lives in the
database, whose blocks DuckDB evicts to a private work folder beyond ``memory_limit`` (as it
spills joins and sorts there), so memory does not grow with the data. Step outputs leave the
database as Arrow batches that our code writes to Parquet.

User SQL sees only the tables a step reads, as temporary views under their own names
(``views``); the physical tables have names only this module knows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from synthgen_sdv.core import signals
from synthgen_sdv.core.errors import InputError, SynthgenError
from synthgen_sdv.lineage.tables import json_value

STORE = "store"
LOG = logging.getLogger(__name__)


def _duckdb():
    """DuckDB, imported on first use, so that loading lineage.yml stays light."""
    import duckdb

    return duckdb


#: keys of one fault label kept inline in labels.json; more go to a Parquet file beside it
INLINE_KEYS = 10_000


@dataclass(frozen=True)
class KeyFile:
    """A large label's keys, in a Parquet file (one column per key column, in label order)."""

    path: Path
    rows: int

    def __len__(self) -> int:
        return self.rows

    def load(self) -> list:
        """The keys in label form, as ``Workspace.keys`` gives them inline."""
        return read_keys(self.path)


def read_keys(path: Path) -> list:
    """Label-form keys from a key file: scalars for one column, lists for several."""
    table = pq.read_table(path)
    cols = [[json_value(v) for v in c.to_pylist()] for c in table.columns]
    if len(cols) == 1:
        return cols[0]
    return [list(t) for t in zip(*cols, strict=True)]


MEMORY_ENV = "SYNTHGEN_LINEAGE_MEMORY_MB"
DEFAULT_MEMORY_MB = 384
#: memory DuckDB's allocator may keep for reuse after a task (its default: 128 MB)
FLUSH_MB = 8


def retry_limits(mb: int) -> tuple[int, ...]:
    """The lower limits a statement that ran out of memory is retried at (never higher)."""
    return (mb * 6 // 10, mb * 3 // 10)


@dataclass(frozen=True)
class Limits:
    """DuckDB's resources: memory in MB (it spills beyond), threads, rows per Arrow batch.

    One thread keeps float sums and window ties in a fixed order, so a re-run gives
    byte-identical output. ``from_env`` reads the memory from $SYNTHGEN_LINEAGE_MEMORY_MB.
    """

    memory_mb: int = DEFAULT_MEMORY_MB
    threads: int = 1
    batch_rows: int = 122_880

    @classmethod
    def from_env(cls) -> Limits:
        """The defaults, with the memory limit from the environment when it is set."""
        raw = os.environ.get(MEMORY_ENV, "").strip()
        if not raw:
            return cls()
        if not raw.isdigit() or int(raw) < 64:
            raise InputError(f"${MEMORY_ENV}={raw!r}: give DuckDB's memory limit in MB, 64 or more")
        return cls(memory_mb=int(raw))


def ident(name: str) -> str:
    """A name as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: Any) -> str:
    """A Python value as an SQL literal (text, numbers, dates, timestamps, None)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | np.integer | np.floating):
        return f"CAST('{float(value)!r}' AS DOUBLE)" if isinstance(value, float) else str(value)
    if isinstance(value, dt.datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def key_list(key: list[str], alias: str = "") -> str:
    """The key columns as a select / GROUP BY list (``alias.`` in front when given)."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + ident(k) for k in key)


def key_match(key: list[str], left: str, right: str) -> str:
    """A join condition on the key that treats NULL as a value (labels may name NULL keys)."""
    return " AND ".join(f"{left}.{ident(k)} IS NOT DISTINCT FROM {right}.{ident(k)}" for k in key)


def key_order(key: list[str]) -> str:
    """ORDER BY the key, NULLs last: the order of ``faults.base.sorted_keys``."""
    return ", ".join(f"{ident(k)} NULLS LAST" for k in key)


_INTEGER = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
    "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
}  # fmt: skip
_TIMESTAMP = {"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"}


def sql_type(duck_type: str) -> str:
    """The SQL type name the lineage file and events declare for a DuckDB column type."""
    t = duck_type.upper()
    if t in _INTEGER or (t.startswith("DECIMAL") and t.endswith(",0)")):
        return "BIGINT"
    if t in {"FLOAT", "DOUBLE"} or t.startswith("DECIMAL"):
        return "DOUBLE"
    if t in _TIMESTAMP or t.startswith("TIMESTAMP"):
        return "TIMESTAMP"
    if t in {"DATE", "BOOLEAN", "VARCHAR"}:
        return t
    return t


def _plain_type(duck_type: str) -> str | None:
    """The plain type a column is stored in (None: keep it), as ``tables.to_arrow`` makes it."""
    t = duck_type.upper()
    if t in _INTEGER or (t.startswith("DECIMAL") and t.endswith(",0)")):
        return "BIGINT"
    if t == "FLOAT" or t.startswith("DECIMAL"):
        return "DOUBLE"
    if t in _TIMESTAMP:
        return "TIMESTAMP"  # or DATE when every value is midnight: decided on the data
    if t == '"NULL"' or t.startswith("ENUM"):
        return "VARCHAR"
    return None


def is_numeric(duck_type: str) -> bool:
    """True for the number types (compared with a tolerance, scaled by value faults)."""
    return sql_type(duck_type) in {"BIGINT", "DOUBLE"}


class Workspace:
    """One DuckDB connection that spills to ``folder``; see the module docstring."""

    def __init__(self, folder: Path, limits: Limits | None = None):
        self.limits = limits or Limits.from_env()
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.db = _duckdb()
        self.con = self.db.connect(
            ":memory:",
            config={
                "threads": self.limits.threads,
                "memory_limit": f"{self.limits.memory_mb}MB",
                "temp_directory": str(self.folder / "spill"),
                "preserve_insertion_order": True,
                # Hand freed memory back to the system after each task: DuckDB's allocator
                # otherwise keeps up to 128 MB (512 MB after a bulk free) beyond memory_limit,
                # measured 30-120 MB off the peak of a hash aggregate of 20M keys, at no cost
                # in time (reports/memory_profile.md).
                "allocator_flush_threshold": f"{FLUSH_MB}MB",
                "allocator_bulk_deallocation_flush_threshold": f"{2 * FLUSH_MB}MB",
                # Only our code changes it (see _bounded); step SQL is one SELECT, never a SET.
                "allowed_configs": ["memory_limit"],
            },
        )
        # A file, not memory: its compressed blocks are evicted without being written again.
        self.run(f"ATTACH {literal(str(self.folder / 'work.duckdb'))} AS {STORE}")
        self.sealed = False
        self.tables: dict[str, str] = {}  # table name -> physical table
        self.memory_retries = 0  # statements that needed another memory limit (see _bounded)
        self._ids = itertools.count()
        self._registered: list[str] = []

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Close the connection (the caller removes the work folder)."""
        self.con.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def seal(self) -> None:
        """From here on no statement can touch a file, nor change this (see module docstring)."""
        self.run("SET enable_external_access = false")
        self.run("SET lock_configuration = true")
        self.sealed = True

    # ------------------------------------------------------------------ loading (before seal)
    def load_parquet(self, name: str, path: Path) -> str:
        """Copy a Parquet file into the database as table ``name``; a bad file is an input error."""
        self._before_seal()
        try:
            return self._load(name, f"read_parquet({literal(str(path))})")
        except self.db.Error as exc:
            raise InputError(f"{path}: cannot be read as Parquet: {_first_line(exc)}") from None

    def load_arrow(self, name: str, table: pa.Table) -> str:
        """Copy an Arrow table into the database as table ``name``."""
        self._before_seal()
        reg = f"__arrow_{next(self._ids)}"
        self.con.register(reg, table)
        try:
            return self._load(name, ident(reg))
        finally:
            self.con.unregister(reg)

    def _load(self, name: str, relation: str) -> str:
        phys = self.new_table(f"SELECT * FROM {relation}")
        self.tables[name] = phys
        return phys

    def _before_seal(self) -> None:
        if self.sealed:
            raise SynthgenError(
                "the lineage workspace is sealed: inputs are loaded before SQL runs"
            )

    # ------------------------------------------------------------------ tables
    def table(self, name: str) -> str:
        """The physical table that holds pipeline table ``name``."""
        return self.tables[name]

    def new_table(self, select_sql: str) -> str:
        """A new physical table from a SELECT (our own SQL), in plain types (``normalize``)."""
        phys = f"{STORE}.main.{ident(f't{next(self._ids)}')}"
        self._bounded(lambda: self.run(f"CREATE TABLE {phys} AS {select_sql}"))
        self.normalize(phys)
        return phys

    def append(self, phys: str, select_sql: str) -> None:
        """Append a SELECT's rows (same columns) to a physical table, after its rows: how a
        fault repeats rows without sorting the whole table (insertion order is kept)."""
        self._bounded(lambda: self.run(f"INSERT INTO {phys} {select_sql}"))

    def drop(self, phys: str) -> None:
        """Drop a physical table that is no longer needed."""
        self.run(f"DROP TABLE IF EXISTS {phys}")

    def keep_only(self, keep: set[str]) -> None:
        """Drop every physical table but the pipeline's and ``keep``, forget registered Arrow
        tables (after each step)."""
        for name in self._registered:
            self.con.unregister(name)
        self._registered.clear()
        live = set(self.tables.values()) | keep
        for (name,) in self.con.execute(
            f"SELECT table_name FROM duckdb_tables() WHERE database_name = '{STORE}'"
        ).fetchall():
            phys = f"{STORE}.main.{ident(name)}"
            if phys not in live:
                self.drop(phys)

    def normalize(self, phys: str) -> None:
        """Store every column in a plain type, as ``tables.to_arrow`` does for Arrow tables.

        Integers become BIGINT (DuckDB sums into HUGEINT), decimals BIGINT or DOUBLE, and a
        timestamp column whose values are all midnight (or NULL) a DATE, so that a step's
        declared schema does not depend on where its input came from.
        """
        for name, duck_type in self.describe(phys):
            target = _plain_type(duck_type)
            if target == "TIMESTAMP":
                col = ident(name)
                dates = self.scalar(
                    f"SELECT bool_and({col} IS NULL OR {col} = date_trunc('day', {col})) "
                    f"FROM {phys}"
                )
                target = "DATE" if dates in (True, None) else "TIMESTAMP"
            if target and target != duck_type.upper():
                self.run(f"ALTER TABLE {phys} ALTER COLUMN {ident(name)} TYPE {target}")

    def describe(self, relation: str) -> list[tuple[str, str]]:
        """(column, DuckDB type) of a relation, in order."""
        rows = self.con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        return [(r[0], r[1]) for r in rows]

    def columns(self, relation: str) -> list[str]:
        """The column names of a relation."""
        return [c for c, _ in self.describe(relation)]

    def schema(self, relation: str) -> dict[str, str]:
        """Column -> SQL type: what a step declares and what the verifier compares."""
        return {c: sql_type(t) for c, t in self.describe(relation)}

    def memory_mb(self) -> float:
        """What DuckDB holds in memory now (its buffer pool: tables, hash tables, sorts), MB."""
        used = self.con.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()
        return float((used or [0])[0] or 0) / 2**20

    def count(self, relation: str) -> int:
        """Rows in a relation."""
        return int(self.scalar(f"SELECT count(*) FROM {relation}"))

    # ------------------------------------------------------------------ queries (our own SQL)
    def scalar(self, sql: str, params: list | None = None) -> Any:
        """The single value a query returns."""
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        """Every row of a small result (read to the end: DuckDB wants results finished)."""
        return self._bounded(lambda: self.con.execute(sql, params or []).fetchall())

    def _bounded(self, work: Callable[[], Any]) -> Any:
        """Run ``work``; when DuckDB runs out of memory, run it again under lower limits.

        Some operators (a window over many partitions, a large hash table) fail when their data
        is about the size of the memory limit, though they work well below it: a lower limit
        makes them spill from the start. The limit is never raised, so the pipeline's memory
        stays within it at any scale; when every retry fails, the error says which setting
        gives DuckDB more room.
        """
        try:
            return work()
        except self.db.OutOfMemoryException as exc:
            first = exc
        mb = self.limits.memory_mb
        try:
            for retry_mb in retry_limits(mb):
                self.run(f"SET memory_limit = '{retry_mb}MB'")
                try:
                    result = work()
                except self.db.OutOfMemoryException:
                    LOG.debug(f"DuckDB ran out of memory at {retry_mb} MB too")
                    continue
                self.memory_retries += 1
                LOG.debug(f"DuckDB ran out of memory at {mb} MB; the retry at {retry_mb} MB worked")
                return result
        finally:
            self.run(f"SET memory_limit = '{mb}MB'")
        raise SynthgenError(
            f"DuckDB ran out of memory at its limit of {mb} MB, and at "
            f"{', '.join(f'{m} MB' for m in retry_limits(mb))} when spilling from the start: "
            f"{_first_line(first)}; give it more with ${MEMORY_ENV} (MB)"
        ) from None

    def run(self, sql: str) -> None:
        """A statement of our own (DDL, settings), its result read to the end."""
        self.con.execute(sql).fetchall()

    def arrow(self, sql: str) -> pa.Table:
        """A small result as Arrow."""
        return self.con.sql(sql).to_arrow_table()

    def column(self, sql: str) -> pa.Array:
        """The first column of a result as one Arrow array."""
        return self.arrow(sql).column(0).combine_chunks()

    def register(self, table: pa.Table) -> str:
        """A small Arrow table (positions, key lists, updates) as a relation until ``keep_only``."""
        name = f"__arrow_{next(self._ids)}"
        self.con.register(name, table)
        self._registered.append(name)
        return ident(name)

    def keys(self, sql: str) -> list | KeyFile:
        """Row keys in label form (a scalar for one column, else a list), JSON-safe, in order.

        Past ``INLINE_KEYS`` keys (a fault that touched a large table), they go to a Parquet file
        in the work folder instead, a batch at a time: never a Python list of millions of keys.
        """
        n = int(self.scalar(f"SELECT count(*) FROM ({sql})") or 0)
        if n > INLINE_KEYS:
            path = self.folder / "keys" / f"k{next(self._ids)}.parquet"
            self.write_parquet(f"({sql})", path)
            return KeyFile(path, n)
        table = self.arrow(sql)
        cols = [
            [json_value(v) for v in table.column(i).to_pylist()] for i in range(table.num_columns)
        ]
        if len(cols) == 1:
            return cols[0]
        return [list(t) for t in zip(*cols, strict=True)]

    # ------------------------------------------------------------------ step SQL (user SQL)
    @contextlib.contextmanager
    def views(self, relations: Mapping[str, str]) -> Iterator[None]:
        """The given relations as temporary views named after their tables, for step SQL."""
        made = []
        try:
            for name, relation in relations.items():
                self.run(f"CREATE OR REPLACE TEMP VIEW {ident(name)} AS SELECT * FROM {relation}")
                made.append(name)
            yield
        finally:
            for name in made:
                self.run(f"DROP VIEW IF EXISTS temp.main.{ident(name)}")

    def run_step_sql(self, sql: str, what: str) -> str:
        """A step's SELECT into a new physical table; refused unless it is one SELECT."""
        check_select(sql, what)
        try:
            return self.new_table(sql)
        except self.db.Error as exc:
            raise _step_error(exc, what, sql) from None
        except SynthgenError as exc:  # out of memory at every limit (_bounded)
            raise SynthgenError(f"{what}: {exc}") from None

    def step_scalar(self, sql: str, what: str) -> int:
        """The single integer a step's stats query returns (e.g. rows_inserted)."""
        check_select(sql, what)
        try:
            return int(self.scalar(sql) or 0)
        except self.db.Error as exc:
            raise _step_error(exc, what, sql) from None
        except SynthgenError as exc:  # out of memory at every limit (_bounded)
            raise SynthgenError(f"{what}: {exc}") from None

    # ------------------------------------------------------------------ out
    def write_parquet(self, relation: str, path: Path) -> None:
        """Stream a relation to a Parquet file, one row group per Arrow batch."""
        reader = self.con.sql(f"SELECT * FROM {relation}").to_arrow_reader(self.limits.batch_rows)
        path.parent.mkdir(parents=True, exist_ok=True)
        with pq.ParquetWriter(path, reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)


def check_select(sql: str, what: str) -> None:
    """Refuse SQL that is not exactly one SELECT (a step never writes, copies or configures)."""
    duckdb = _duckdb()
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise InputError(f"{what}: SQL does not parse: {_first_line(exc)}\n  SQL: {sql}") from None
    kinds = [s.type.name for s in statements]
    if kinds != ["SELECT"]:
        raise InputError(
            f"{what}: a step's SQL must be one SELECT statement; this is "
            f"{', '.join(kinds) or 'empty'} (check the step's params for ';' or a statement)"
            f"\n  SQL: {sql}"
        )


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _step_error(exc: Exception, what: str, sql: str) -> SynthgenError:
    # DuckDB turns Ctrl-C into an error ("Query interrupted"): an interrupted run stops here,
    # not taken for a failed step that the pipeline records and goes on from
    signals.check()
    duckdb = _duckdb()
    if isinstance(exc, duckdb.PermissionException):
        return InputError(
            f"{what}: SQL tried to read or write a file, which lineage SQL may not do "
            f"(DuckDB runs it with external access disabled): {_first_line(exc)}\n  SQL: {sql}"
        )
    if isinstance(exc, duckdb.OutOfMemoryException):
        return SynthgenError(
            f"{what}: DuckDB ran out of memory under its limit even when spilling to disk: "
            f"{_first_line(exc)}"
        )
    return InputError(f"{what}: SQL failed: {exc}\n  SQL: {sql}")
