"""Snowflake loader: DDL from the metadata, PUT to each table's stage, COPY INTO by column name."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any, ClassVar

from pydantic import SecretStr

from synthgen_sdv.core.errors import InputError, MissingExtraError, SynthgenError
from synthgen_sdv.core.strict import StrictModel
from synthgen_sdv.engines.base import (
    ENGINES,
    Dialect,
    Loader,
    LoadPlan,
    TableLoad,
    create_table_sql,
)
from synthgen_sdv.engines.reader import csv_header

log = logging.getLogger(__name__)

ENV_VARS = {
    "account": "SNOWFLAKE_ACCOUNT",
    "user": "SNOWFLAKE_USER",
    "password": "SNOWFLAKE_PASSWORD",
    "database": "SNOWFLAKE_DATABASE",
    "schema": "SNOWFLAKE_SCHEMA",
    "warehouse": "SNOWFLAKE_WAREHOUSE",
    "role": "SNOWFLAKE_ROLE",
}
REQUIRED = ("account", "user", "password", "database", "schema")


class SnowflakeDialect(Dialect):
    """Snowflake's spelling: TIMESTAMP_NTZ, and quoted identifiers as given."""

    name = "snowflake"
    types: ClassVar[dict[str, str]] = {
        **Dialect.types,
        "BIGINT": "NUMBER(38,0)",
        "DOUBLE": "FLOAT",
        "TIMESTAMP": "TIMESTAMP_NTZ",
    }

    def quote(self, ident: str) -> str:
        """A quoted identifier (Snowflake folds unquoted names to upper case)."""
        # Upper case inside quotes is what an unquoted name resolves to, so users can query the
        # tables without quotes, and reserved words still work as column names.
        return '"' + ident.upper().replace('"', '""') + '"'


class SnowflakeSettings(StrictModel):
    """Connection settings; the password is a SecretStr so it never shows in a repr or log."""

    account: str
    user: str
    password: SecretStr
    database: str
    schema_: str
    warehouse: str | None = None
    role: str | None = None

    def connect_kwargs(self) -> dict[str, Any]:
        """Arguments for ``snowflake.connector.connect`` (password or key pair)."""
        kwargs = {
            "account": self.account,
            "user": self.user,
            "password": self.password.get_secret_value(),
            "database": self.database,
            "schema": self.schema_,
            "warehouse": self.warehouse,
            "role": self.role,
            "application": "synthgen_sdv",
        }
        return {k: v for k, v in kwargs.items() if v}


def snowflake_settings(env_file: str | Path | None = None) -> SnowflakeSettings:
    """Settings from the environment, else from `env_file` (default ./.env when present)."""
    file_values: dict[str, str | None] = {}
    path = Path(env_file) if env_file else Path(".env")
    if env_file and not path.is_file():
        raise InputError(f"--env-file {path}: no such file")
    if path.is_file():
        try:
            from dotenv import dotenv_values
        except ImportError:
            raise MissingExtraError("python-dotenv", "snowflake", "Reading .env files") from None
        file_values = dict(dotenv_values(path))
    values = {key: os.environ.get(var) or file_values.get(var) for key, var in ENV_VARS.items()}
    missing = [ENV_VARS[k] for k in REQUIRED if not values[k]]
    if missing:
        where = f"the environment or {path}" if path.is_file() else "the environment or a .env file"
        raise InputError(
            f"snowflake: set {', '.join(missing)} in {where} "
            f"(also optional: SNOWFLAKE_WAREHOUSE, SNOWFLAKE_ROLE)"
        )
    return SnowflakeSettings(**{("schema_" if k == "schema" else k): v for k, v in values.items()})


class _Redact(logging.Filter):
    """Replaces a secret in every log record that passes a handler, whoever logged it."""

    def __init__(self, secret: str):
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secret:
            text = record.getMessage()
            if self.secret in text:
                record.msg, record.args = text.replace(self.secret, "********"), None
        return True


@ENGINES.register("snowflake")
class SnowflakeLoader(Loader):
    """Drops and recreates the tables (children first, then parents first), PUTs each file to the
    table's stage and COPYs it in. Snowflake does not enforce FOREIGN KEY constraints (they are
    declared for documentation and tools); loading in FK order also satisfies emulators that do."""

    name = "snowflake"
    dialect = SnowflakeDialect()

    def __init__(self, options=None, settings: SnowflakeSettings | None = None):
        super().__init__(options)
        # Settings are resolved now, so missing credentials fail before any engine loads.
        self._settings = settings or snowflake_settings(self.options.env_file)
        self._conn = None
        self.warnings: list[str] = []

    def _connect(self):
        try:
            import snowflake.connector
        except ImportError:
            raise MissingExtraError(
                "snowflake-connector-python", "snowflake", "Loading into Snowflake"
            ) from None
        settings = self._settings
        secret = settings.password.get_secret_value()
        try:
            self._conn = snowflake.connector.connect(**settings.connect_kwargs())
        except snowflake.connector.errors.Error as exc:
            raise SynthgenError(
                "snowflake: cannot connect to account "
                f"{settings.account!r} as {settings.user!r}: "
                + str(exc).replace(secret, "********")
            ) from None
        self.target = f"{settings.account} {settings.database}.{settings.schema_}"
        return self._conn

    def _execute(self, cur, sql: str):
        log.debug("snowflake: %s", sql)
        return cur.execute(sql)

    def _comment(self, cur, table: str, meta) -> None:
        """Table and column comments; a comment that fails is a warning, not a failed load."""
        q, lit = self.dialect.quote, self.dialect.literal
        statements = []
        if meta.description:
            statements.append(f"COMMENT ON TABLE {q(table)} IS {lit(meta.description)}")
        statements += [
            f"ALTER TABLE {q(table)} ALTER COLUMN {q(name)} COMMENT {lit(col.description)}"
            for name, col in meta.columns.items()
            if col.description
        ]
        for sql in statements:
            try:
                self._execute(cur, sql)
            except Exception as exc:  # e.g. fakesnow 0.12.1 does not re-escape quotes
                msg = f"snowflake: {table}: comment not set ({str(exc).splitlines()[0]})"
                log.warning(msg)
                self.warnings.append(msg)

    def _copy_sql(self, plan: LoadPlan, table: str) -> str:
        source = plan.sources[table]
        q = self.dialect.quote
        stage = f"@%{table.upper()}"
        if source.fmt == "parquet":
            return (
                f"COPY INTO {q(table)} FROM {stage} FILE_FORMAT = (TYPE = PARQUET) "
                "MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE FORCE = TRUE PURGE = TRUE"
            )
        # CSV maps by position after SKIP_HEADER; naming the target columns in the header's order
        # keeps that right whatever order the writer used.
        cols = ", ".join(q(c) for c in csv_header(source.path))
        return (
            f"COPY INTO {q(table)} ({cols}) FROM {stage} FILE_FORMAT = (TYPE = CSV "
            # Our CSV escapes quotes by doubling; a backslash is data, not an escape.
            "SKIP_HEADER = 1 FIELD_OPTIONALLY_ENCLOSED_BY = '\"' ESCAPE_UNENCLOSED_FIELD = NONE "
            "EMPTY_FIELD_AS_NULL = TRUE) "
            "FORCE = TRUE PURGE = TRUE"
        )

    def _load(self, plan: LoadPlan) -> list[TableLoad]:
        conn = self._conn or self._connect()
        secret = self._settings.password.get_secret_value()
        redact = _Redact(secret)
        handlers = logging.getLogger().handlers
        for h in handlers:
            h.addFilter(redact)
        q = self.dialect.quote
        loads = []
        try:
            cur = conn.cursor()
            for table in reversed(plan.order):
                self._execute(cur, f"DROP TABLE IF EXISTS {q(table)}")
            for table in plan.order:
                start = time.perf_counter()
                meta = plan.schema.tables[table]
                source = plan.sources[table]
                self._execute(cur, create_table_sql(self.dialect, q(table), meta, plan.schema))
                self._comment(cur, table, meta)
                # Parquet is compressed inside the file; gzip on top would stop COPY reading it.
                compress = "FALSE" if source.fmt == "parquet" else "TRUE"
                self._execute(
                    cur,
                    f"PUT 'file://{source.path.resolve().as_posix()}' "
                    f"@%{table.upper()} AUTO_COMPRESS = {compress} "
                    "OVERWRITE = TRUE",
                )
                self._execute(cur, self._copy_sql(plan, table))
                (rows,) = self._execute(cur, f"SELECT COUNT(*) FROM {q(table)}").fetchone()
                loads.append(
                    TableLoad(table, int(rows), str(source.path), time.perf_counter() - start)
                )
        except Exception as exc:
            if isinstance(exc, SynthgenError):
                raise
            raise SynthgenError(
                "snowflake: load failed: " + str(exc).replace(secret, "********")
            ) from None
        finally:
            for h in handlers:
                h.removeFilter(redact)
        return loads

    def table_ref(self, table: str) -> str:
        """The fully qualified, quoted table name."""
        return self.dialect.quote(table)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of a read-only query."""
        conn = self._conn or self._connect()
        return conn.cursor().execute(sql).fetchall()

    def close(self) -> None:
        """Close the Snowflake connection."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
