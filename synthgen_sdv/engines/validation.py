"""Checks an output folder against its metadata; dirty-variant failures are matched to labels."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.registry import Registry
from synthgen_sdv.engines.metadata import (
    Anomaly,
    Labels,
    SchemaMetadata,
    load_labels,
    load_schema_metadata,
)
from synthgen_sdv.engines.reader import VARIANTS, TableRead, read_table

MAX_EXAMPLES = 5
CHECK_ORDER = [
    "row_count",
    "column_types",
    "nullability",
    "primary_key",
    "foreign_key",
    "csv_parquet",
    "labels",
]
PASS, FAIL, EXPECTED, WARN = "PASS", "FAIL", "EXPECTED", "WARN"


@dataclass
class CheckResult:
    """One line of the report: a check on one table (and column), and what it found."""

    check: str
    variant: str
    table: str
    column: str | None
    status: str
    message: str
    failed: int = 0
    expected: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)
    anomaly_ids: list[str] = field(default_factory=list)

    def line(self) -> str:
        where = self.table + (f".{self.column}" if self.column else "")
        text = f"{self.status:<8} {self.variant:<5} {self.check:<13} {where}: {self.message}"
        if self.examples:
            shown = "; ".join(", ".join(f"{k}={v}" for k, v in ex.items()) for ex in self.examples)
            text += f"\n{'':<29}e.g. {shown}"
        return text


@dataclass
class ValidationReport:
    out_dir: str
    results: list[CheckResult]

    @property
    def ok(self) -> bool:
        return not any(r.status == FAIL for r in self.results)

    def summary(self) -> str:
        lines = []
        for variant in dict.fromkeys(r.variant for r in self.results):
            rs = [r for r in self.results if r.variant == variant]
            counts = {s: sum(r.status == s for r in rs) for s in (PASS, EXPECTED, WARN, FAIL)}
            lines.append(
                f"{variant}: {len(rs)} checks, {counts[PASS]} passed, "
                f"{counts[EXPECTED]} failed as labeled (expected), {counts[WARN]} "
                f"warnings, {counts[FAIL]} failed unexpectedly"
            )
        lines.append("RESULT: " + ("OK" if self.ok else "FAILED (unexpected failures above)"))
        return "\n".join(lines)

    def to_text(self) -> str:
        return "\n".join(
            [f"validate {self.out_dir}", *(r.line() for r in self.results), self.summary()]
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": "synthgen_sdv.validation_report",
            "version": 1,
            "out_dir": self.out_dir,
            "ok": self.ok,
            "results": [asdict(r) for r in self.results],
        }


def _plain(value: Any) -> Any:
    """A JSON- and report-friendly scalar; NULL becomes None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value


class CheckContext:
    """What checks see: metadata, labels and the tables of one variant, read once."""

    def __init__(self, out_dir: Path, schema: SchemaMetadata, labels: Labels, variant: str):
        self.out_dir = out_dir
        self.schema = schema
        self.variant = variant
        self.labels = labels if variant == "dirty" else Labels()
        self.tables: dict[str, TableRead] = {
            t: read_table(out_dir, schema, t, variant) for t in schema.tables
        }

    def anomalies_for(self, table: str, column: str | None) -> list[Anomaly]:
        return [
            a
            for a in self.labels.anomalies
            if a.table == table and (column is None or a.column is None or a.column == column)
        ]

    def key_of(self, table: str, positions: np.ndarray) -> list[dict[str, Any]]:
        """The primary key (or the row position when there is none) of rows, for examples."""
        frame = self.tables[table].frame
        pk = [c for c in self.schema.tables[table].pk_columns if c in frame.columns]
        out = []
        for pos in positions:
            ref = {c: _plain(frame.at[int(pos), c]) for c in pk} if pk else {}
            ref = ref or {"row": int(pos)}
            out.append(ref)
        return out

    def classify(
        self, table: str, column: str | None, positions: Iterable[int]
    ) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Split failing row positions into labeled (expected) and unlabeled ones.

        A label names rows by the values of its `primary_key` column when it has one,
        else by 0-based row position in the (dirty) table file.
        """
        positions = np.asarray(sorted(set(int(p) for p in positions)), dtype=np.int64)
        expected = np.zeros(len(positions), dtype=bool)
        ids: list[str] = []
        frame = self.tables[table].frame
        for anomaly in self.anomalies_for(table, column):
            if anomaly.primary_key and anomaly.primary_key in frame.columns:
                keys = {_plain(k) for k in anomaly.rows}
                values = frame[anomaly.primary_key].to_numpy(dtype=object)[positions]
                hit = np.array([_plain(v) in keys for v in values], dtype=bool)
            else:
                hit = np.isin(positions, np.asarray(anomaly.rows, dtype=np.int64))
            if hit.any():
                ids.append(anomaly.id)
            expected |= hit
        return positions[expected], positions[~expected], ids

    def result(
        self,
        check: str,
        table: str,
        column: str | None,
        positions: Iterable[int],
        what: str,
        ok_message: str,
        example: Callable[[int], dict[str, Any]] | None = None,
    ) -> CheckResult:
        """PASS, EXPECTED (every failing row is labeled) or FAIL, with examples."""
        exp_pos, bad_pos, ids = self.classify(table, column, positions)
        n_exp, n_bad = len(exp_pos), len(bad_pos)
        if n_exp + n_bad == 0:
            return CheckResult(check, self.variant, table, column, PASS, ok_message)
        shown = bad_pos if n_bad else exp_pos
        examples: list[dict[str, Any]] = []
        head = shown[: MAX_EXAMPLES * 4]
        for pos, ref in zip(head, self.key_of(table, head), strict=True):
            ex = {**ref, **example(int(pos))} if example is not None else ref
            if ex not in examples:
                examples.append(ex)
            if len(examples) == MAX_EXAMPLES:
                break
        labeled = f"{n_exp} labeled ({', '.join(ids)})" if n_exp else "none labeled"
        message = f"{n_exp + n_bad} {what}; {labeled}"
        status = FAIL if n_bad else EXPECTED
        if n_bad and n_exp:
            message += f"; {n_bad} not labeled"
        return CheckResult(
            check,
            self.variant,
            table,
            column,
            status,
            message,
            failed=n_bad,
            expected=n_exp,
            examples=examples,
            anomaly_ids=ids,
        )


def _collapse(
    per_column: list[CheckResult], check: str, variant: str, table: str, ok_message: str
) -> list[CheckResult]:
    """Passing columns of a table as one line; each other column keeps its own line."""
    other = [r for r in per_column if r.status != PASS]
    n_ok = len(per_column) - len(other)
    if not n_ok:
        return other
    names = [r.column for r in per_column if r.status == PASS]
    listed = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
    word = "other " if other else ""
    return [
        *other,
        CheckResult(
            check, variant, table, None, PASS, f"{n_ok} {word}column(s) {ok_message} ({listed})"
        ),
    ]


Check = Callable[[CheckContext], list[CheckResult]]
CHECKS: Registry[Check] = Registry("validation check")


@CHECKS.register("row_count")
def check_row_count(ctx: CheckContext) -> list[CheckResult]:
    results = []
    for name, meta in ctx.schema.tables.items():
        read = ctx.tables[name]
        n = len(read.frame)
        if read.source.dirty and meta.dirty and meta.dirty.row_count is not None:
            declared = meta.dirty.row_count
            if n == declared:
                results.append(
                    CheckResult(
                        "row_count",
                        ctx.variant,
                        name,
                        None,
                        PASS,
                        f"{n} rows as declared for data_dirty (clean: {meta.row_count})",
                    )
                )
            else:
                results.append(
                    CheckResult(
                        "row_count",
                        ctx.variant,
                        name,
                        None,
                        FAIL,
                        f"{n} rows, dirty.row_count says {declared}",
                        failed=abs(n - declared),
                    )
                )
            continue
        if meta.row_count is None:
            results.append(
                CheckResult(
                    "row_count",
                    ctx.variant,
                    name,
                    None,
                    WARN,
                    f"{n} rows; the metadata declares no row_count",
                )
            )
            continue
        if n == meta.row_count:
            results.append(
                CheckResult("row_count", ctx.variant, name, None, PASS, f"{n} rows as declared")
            )
            continue
        message = f"{n} rows, metadata says {meta.row_count}"
        anomalies = ctx.anomalies_for(name, None)
        # Injected anomalies may add (duplicates) or drop rows; a labeled change in size is
        # expected when the labels account for at least that many rows.
        if anomalies and sum(len(a.rows) for a in anomalies) >= abs(n - meta.row_count):
            results.append(
                CheckResult(
                    "row_count",
                    ctx.variant,
                    name,
                    None,
                    EXPECTED,
                    message + " (table has labeled anomalies)",
                    expected=abs(n - meta.row_count),
                    anomaly_ids=[a.id for a in anomalies],
                )
            )
        else:
            results.append(
                CheckResult(
                    "row_count",
                    ctx.variant,
                    name,
                    None,
                    FAIL,
                    message,
                    failed=abs(n - meta.row_count),
                )
            )
    return results


@CHECKS.register("primary_key")
def check_primary_key(ctx: CheckContext) -> list[CheckResult]:
    results = []
    for name, meta in ctx.schema.tables.items():
        pk = meta.pk_columns
        if not pk:
            continue
        frame = ctx.tables[name].frame
        column = ",".join(pk)
        if any(c not in frame.columns for c in pk):
            continue
        keys = frame[pk]
        nulls = np.flatnonzero(keys.isna().any(axis=1).to_numpy())
        dups = np.flatnonzero(
            keys.duplicated(keep=False).to_numpy() & ~keys.isna().any(axis=1).to_numpy()
        )
        results.append(
            ctx.result(
                "primary_key",
                name,
                column,
                np.concatenate([nulls, dups]),
                f"rows with a NULL or duplicated key ({len(nulls)} NULL, "
                f"{len(dups)} in duplicate groups)",
                f"{len(frame)} keys, unique and not NULL",
            )
        )
    return results


def _comparable(series: pd.Series, sql_type: str) -> pd.Series:
    """Keys made comparable across tables: dates at day precision, numbers as int64 values."""
    if sql_type in ("DATE", "TIMESTAMP"):
        return (
            pd.to_datetime(series).astype("datetime64[us]").dt.normalize()
            if sql_type == "DATE"
            else pd.to_datetime(series).astype("datetime64[us]")
        )
    if sql_type == "BIGINT":
        return series.astype("Int64")
    return series.astype(object)


@CHECKS.register("foreign_key")
def check_foreign_key(ctx: CheckContext) -> list[CheckResult]:
    results = []
    for name, meta in ctx.schema.tables.items():
        child = ctx.tables[name].frame
        for fk in meta.foreign_keys:
            parent_meta = ctx.schema.tables[fk.parent_table]
            parent = ctx.tables[fk.parent_table].frame
            child_type = meta.columns[fk.column].sql_type
            parent_type = parent_meta.columns[fk.parent_column].sql_type
            # A DATE key matched against a TIMESTAMP parent (or vice versa) compares days.
            norm = "DATE" if "DATE" in (child_type, parent_type) else parent_type
            values = _comparable(child[fk.column], norm)
            known = _comparable(parent[fk.parent_column], norm).dropna().unique()
            orphan = values.notna().to_numpy() & ~values.isin(known).to_numpy()
            target = f"{fk.parent_table}.{fk.parent_column}"
            res = ctx.result(
                "foreign_key",
                name,
                fk.column,
                np.flatnonzero(orphan),
                f"orphan rows (value not in {target})",
                f"{int(values.notna().sum())} values all found in {target}",
                example=lambda p, c=fk.column, v=values: {c: _plain(v.iloc[p])},
            )
            res.message = f"-> {target}: {res.message}"
            results.append(res)
    return results


@CHECKS.register("column_types")
def check_column_types(ctx: CheckContext) -> list[CheckResult]:
    results = []
    for name, meta in ctx.schema.tables.items():
        per_column: list[CheckResult] = []
        read = ctx.tables[name]
        fmt = read.source.fmt
        if read.missing_columns or read.extra_columns:
            parts = []
            if read.missing_columns:
                parts.append(f"missing columns {read.missing_columns}")
            if read.extra_columns:
                parts.append(f"columns not in the metadata {read.extra_columns}")
            results.append(
                CheckResult(
                    "column_types",
                    ctx.variant,
                    name,
                    None,
                    FAIL,
                    f"{read.source.path.name}: " + "; ".join(parts),
                )
            )
        for column, col in meta.columns.items():
            if column in read.missing_columns:
                continue
            declared = f"declared {col.sql_type}, {fmt} type {read.file_types.get(column)}"
            bad = read.bad_values.get(column, [])
            raw = read.raw_columns.get(column)
            res = ctx.result(
                "column_types",
                name,
                column,
                bad,
                f"values that are not {col.sql_type}",
                declared,
                example=lambda p, r=raw: {"value": r[p].as_py()},
            )
            mismatch = read.type_mismatches.get(column)
            if mismatch and res.status == PASS:
                # Every value parses, but Parquet should carry the declared type itself.
                labeled = ctx.anomalies_for(name, column) if column else []
                ids = [a.id for a in labeled if a.column == column]
                res = CheckResult(
                    "column_types",
                    ctx.variant,
                    name,
                    column,
                    EXPECTED if ids else FAIL,
                    f"Parquet stores {mismatch}, declared {col.sql_type}",
                    failed=0 if ids else 1,
                    anomaly_ids=ids,
                )
            elif mismatch:
                res.message += f" (Parquet stores {mismatch})"
            per_column.append(res)
        results += _collapse(
            per_column, "column_types", ctx.variant, name, f"of the declared types ({fmt})"
        )
    return results


@CHECKS.register("nullability")
def check_nullability(ctx: CheckContext) -> list[CheckResult]:
    results = []
    for name, meta in ctx.schema.tables.items():
        per_column: list[CheckResult] = []
        read = ctx.tables[name]
        for column, col in meta.columns.items():
            if col.nullable or column in read.missing_columns:
                continue
            # A value that failed to parse is a type problem, reported there, not a NULL.
            isna = read.frame[column].isna().to_numpy().copy()
            isna[read.bad_values.get(column, [])] = False
            per_column.append(
                ctx.result(
                    "nullability",
                    name,
                    column,
                    np.flatnonzero(isna),
                    "NULLs in a NOT NULL column",
                    "no NULLs (NOT NULL)",
                )
            )
        results += _collapse(per_column, "nullability", ctx.variant, name, "NOT NULL without NULLs")
    return results


def _differs(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Positions where two typed columns differ; NULL equals NULL, floats compare closely."""
    if pd.api.types.is_float_dtype(a) and pd.api.types.is_float_dtype(b):
        same = np.isclose(a.to_numpy(), b.to_numpy(), rtol=1e-12, atol=0.0, equal_nan=True)
    else:
        both_null = (a.isna() & b.isna()).to_numpy()
        equal = (a == b).fillna(False).to_numpy(dtype=bool) if len(a) else np.array([], bool)
        same = both_null | equal
    return np.flatnonzero(~same)


@CHECKS.register("csv_parquet")
def check_csv_parquet(ctx: CheckContext) -> list[CheckResult]:
    """When a table is written in both formats, both must hold the same values."""
    results = []
    for name, meta in ctx.schema.tables.items():
        read = ctx.tables[name]
        if read.source.fmt != "parquet":
            continue
        csv_path = read.source.path.with_suffix(".csv")
        if not csv_path.is_file():
            continue
        other = read_table(ctx.out_dir, ctx.schema, name, ctx.variant, fmt="csv")
        if len(other.frame) != len(read.frame):
            results.append(
                CheckResult(
                    "csv_parquet",
                    ctx.variant,
                    name,
                    None,
                    FAIL,
                    f"{csv_path.name} has {len(other.frame)} rows, "
                    f"{read.source.path.name} {len(read.frame)}",
                )
            )
            continue
        per_column = [
            ctx.result(
                "csv_parquet",
                name,
                column,
                _differs(read.frame[column], other.frame[column]),
                "rows where CSV and Parquet differ",
                "same in CSV and Parquet",
                example=lambda p, c=column, o=other, r=read: {
                    "parquet": _plain(r.frame[c].iloc[p]),
                    "csv": _plain(o.frame[c].iloc[p]),
                },
            )
            for column in meta.columns
            if column in read.frame.columns and column in other.frame.columns
        ]
        results += _collapse(
            per_column, "csv_parquet", ctx.variant, name, "with the same values in CSV and Parquet"
        )
    return results


@CHECKS.register("labels")
def check_labels(ctx: CheckContext) -> list[CheckResult]:
    """Dirty variant: each label names a real table and column, and its rows exist."""
    results = []
    for anomaly in ctx.labels.anomalies:
        where = dict(
            check="labels", variant=ctx.variant, table=anomaly.table, column=anomaly.column
        )
        if anomaly.table not in ctx.schema.tables:
            results.append(
                CheckResult(
                    **where,
                    status=FAIL,
                    message=(f"label {anomaly.id}: table '{anomaly.table}' is not in the metadata"),
                )
            )
            continue
        frame = ctx.tables[anomaly.table].frame
        if anomaly.column and anomaly.column not in frame.columns:
            results.append(
                CheckResult(
                    **where,
                    status=FAIL,
                    message=(f"label {anomaly.id}: column '{anomaly.column}' is not in the table"),
                )
            )
            continue
        if anomaly.primary_key and anomaly.primary_key in frame.columns:
            present = {_plain(v) for v in frame[anomaly.primary_key].to_numpy(dtype=object)}
            missing = [k for k in anomaly.rows if _plain(k) not in present]
        else:
            missing = [r for r in anomaly.rows if not 0 <= int(r) < len(frame)]
        if missing:
            # Some anomalies remove rows, so an absent row is a warning, not a failure.
            results.append(
                CheckResult(
                    **where,
                    status=WARN,
                    message=(
                        f"label {anomaly.id} ({anomaly.kind}): {len(missing)} of "
                        f"{len(anomaly.rows)} rows not in the dirty table, "
                        f"e.g. {missing[:MAX_EXAMPLES]}"
                    ),
                )
            )
        else:
            results.append(
                CheckResult(
                    **where,
                    status=PASS,
                    message=(
                        f"label {anomaly.id} ({anomaly.kind}): {len(anomaly.rows)} rows found"
                    ),
                )
            )
    return results


def validate(
    out_dir: str | Path, variants: Iterable[str] = ("clean",), checks: Iterable[str] | None = None
) -> ValidationReport:
    """Run the registered checks on each variant; InputError when out_dir is not an output."""
    out = Path(out_dir)
    schema = load_schema_metadata(out)
    labels = load_labels(out)
    # Cheap structural checks first; plug-ins registered elsewhere run after the built-ins.
    names = (
        list(checks)
        if checks is not None
        else sorted(
            CHECKS,
            key=lambda n: (CHECK_ORDER.index(n) if n in CHECK_ORDER else len(CHECK_ORDER), n),
        )
    )
    fns = [(n, CHECKS.get(n)) for n in names]
    results: list[CheckResult] = []
    for variant in variants:
        if variant not in VARIANTS:
            raise InputError(f"unknown variant '{variant}'; known: {', '.join(VARIANTS)}")
        ctx = CheckContext(out, schema, labels, variant)
        for name, fn in fns:
            if name == "labels" and variant != "dirty":
                continue
            results.extend(fn(ctx))
    return ValidationReport(str(out), results)


def write_json(report: ValidationReport, path: str | Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(
        json.dumps(report.to_json(), indent=2, default=str) + "\n", encoding="utf-8"
    )
