"""Checks an output folder against its metadata; dirty-variant failures are matched to labels."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.engines.check_context import (
    CHECK_ORDER,
    CHECKS,
    EXPECTED,
    FAIL,
    MAX_EXAMPLES,
    PASS,
    WARN,
    CheckContext,
    CheckResult,
    ValidationReport,
    collapse_passing,
    plain_value,
)
from synthgen_sdv.engines.reader import VARIANTS, read_table
from synthgen_sdv.io import files
from synthgen_sdv.io.reader import load_labels, load_schema_metadata


@CHECKS.register("row_count")
def check_row_count(ctx: CheckContext) -> list[CheckResult]:
    """Row counts of each table's file against the metadata (the dirty variant has its own)."""
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
    """Primary keys are unique and never empty."""
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
    """Every foreign key value is a key of its parent."""
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
                example=lambda p, c=fk.column, v=values: {c: plain_value(v.iloc[p])},
            )
            res.message = f"-> {target}: {res.message}"
            results.append(res)
    return results


@CHECKS.register("column_types")
def check_column_types(ctx: CheckContext) -> list[CheckResult]:
    """Every value parses as its declared SQL type (Parquet columns are stored as declared)."""
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
        results += collapse_passing(
            per_column, "column_types", ctx.variant, name, f"of the declared types ({fmt})"
        )
    return results


@CHECKS.register("nullability")
def check_nullability(ctx: CheckContext) -> list[CheckResult]:
    """NOT NULL columns hold no NULL."""
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
        results += collapse_passing(
            per_column, "nullability", ctx.variant, name, "NOT NULL without NULLs"
        )
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
                    "parquet": plain_value(r.frame[c].iloc[p]),
                    "csv": plain_value(o.frame[c].iloc[p]),
                },
            )
            for column in meta.columns
            if column in read.frame.columns and column in other.frame.columns
        ]
        results += collapse_passing(
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
            present = {plain_value(v) for v in frame[anomaly.primary_key].to_numpy(dtype=object)}
            missing = [k for k in anomaly.rows if plain_value(k) not in present]
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
    """The report as JSON (``validate --json``), written atomically."""
    files.write_json(Path(path), report.to_json())
