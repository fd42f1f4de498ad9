"""What a validation check sees and returns: the context of one variant, results, the report.

Checks are plug-ins registered in ``CHECKS`` (the built-in ones are in ``engines.validation``);
each gets a ``CheckContext`` (metadata, labels, the tables of one variant, read once) and
returns ``CheckResult`` lines. Failing rows that a label names are EXPECTED, not FAIL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synthgen_sdv.core.registry import Registry
from synthgen_sdv.engines.reader import TableRead, read_table
from synthgen_sdv.io.models import Anomaly, Labels, SchemaMetadata

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
        """The report line (with examples of failing rows under it)."""
        where = self.table + (f".{self.column}" if self.column else "")
        text = f"{self.status:<8} {self.variant:<5} {self.check:<13} {where}: {self.message}"
        if self.examples:
            shown = "; ".join(", ".join(f"{k}={v}" for k, v in ex.items()) for ex in self.examples)
            text += f"\n{'':<29}e.g. {shown}"
        return text


@dataclass
class ValidationReport:
    """Every check result of one ``validate`` run."""

    out_dir: str
    results: list[CheckResult]

    @property
    def ok(self) -> bool:
        """False when any check failed unexpectedly (labeled failures are expected)."""
        return not any(r.status == FAIL for r in self.results)

    def summary(self) -> str:
        """Counts per variant and the overall result."""
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

    def to_text(self, passed: bool = True) -> str:
        """The result lines and the summary; ``passed=False`` leaves out the PASS lines (the
        CLI's default: failures, expected failures and warnings are what a reader needs)."""
        shown = [r.line() for r in self.results if passed or r.status != PASS]
        return "\n".join([f"validate {self.out_dir}", *shown, self.summary()])

    def to_json(self) -> dict[str, Any]:
        """The versioned JSON report (``validate --json``)."""
        return {
            "schema": "synthgen_sdv.validation_report",
            "version": 1,
            "out_dir": self.out_dir,
            "ok": self.ok,
            "results": [asdict(r) for r in self.results],
        }


def plain_value(value: Any) -> Any:
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
        """The labels that may explain failures of ``table`` (and ``column``)."""
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
            ref = {c: plain_value(frame.at[int(pos), c]) for c in pk} if pk else {}
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
                keys = {plain_value(k) for k in anomaly.rows}
                values = frame[anomaly.primary_key].to_numpy(dtype=object)[positions]
                hit = np.array([plain_value(v) in keys for v in values], dtype=bool)
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


def collapse_passing(
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
