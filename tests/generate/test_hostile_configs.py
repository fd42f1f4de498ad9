"""Hostile config files found by the third sweep (reports/hostile3.md): each is refused with
exit 2 and a message naming the file and the YAML path, never read without a bound."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from synthgen_sdv.core.errors import ConfigError
from synthgen_sdv.runs.config import load_project
from synthgen_sdv.schema.plan import resolve_plan
from tests.generate.helpers import GOOD


def problems(folder: Path) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        resolve_plan(load_project(folder))
    return [str(p) for p in exc.value.problems]


@pytest.mark.parametrize("which", ["tables.yml", "config.yaml", "lineage.yml"])
def test_a_config_file_that_is_a_device_is_refused_unread(tmp_path, which):
    """A symlink to /dev/zero used to be read until memory ran out (16 GB, SIGTERM ignored)."""
    (tmp_path / "tables.yml").write_text(GOOD)
    target = tmp_path / which
    target.unlink(missing_ok=True)
    os.symlink("/dev/zero", target)
    [message] = problems(tmp_path)
    assert which in message and "not a regular file" in message


def test_a_config_file_that_is_a_fifo_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "tables.yml")  # open() on it would block until a writer comes
    [message] = problems(tmp_path)
    assert "tables.yml: (file): not a regular file" in message


def test_a_nul_byte_is_a_syntax_error_with_its_line(tmp_path):
    (tmp_path / "tables.yml").write_text(GOOD.replace("domain: sales", "domain: sa\x00les"))
    [message] = problems(tmp_path)
    assert "tables.yml:11: (syntax)" in message and "U+0000" in message


def test_lineage_yml_that_is_not_utf8_names_the_file_and_line(tmp_path):
    (tmp_path / "tables.yml").write_text(GOOD)
    (tmp_path / "lineage.yml").write_bytes(b"version: 1\nsteps: \xff\n")
    [message] = problems(tmp_path)
    assert "lineage.yml: (file): not UTF-8 text: byte 0xff on line 2" in message


def test_true_where_a_number_is_expected_is_refused(tmp_path):
    """pydantic took `rows: yes` as 1 row and `seed: on` as seed 1."""
    (tmp_path / "tables.yml").write_text(GOOD.replace("rows: 10", "rows: yes"))
    [message] = problems(tmp_path)
    assert "tables.yml:5: tables.customers.rows: 'rows' must be a number, got true" in message


def test_true_as_a_seed_in_config_yaml_is_refused_with_its_line(tmp_path):
    (tmp_path / "tables.yml").write_text(GOOD)
    (tmp_path / "config.yaml").write_text("version: 1\nseed: on\n")
    [message] = problems(tmp_path)
    assert "config.yaml:2: seed: 'seed' must be a number, got true" in message


@pytest.mark.parametrize(
    "broken,reader",
    [
        # the lookup's key column is invalid: only its own problem is reported
        ("customer_id: {kind: sequence}", "customer_id: {kind: sequence, step: 0}"),
        # the column an anomaly names is invalid
        (
            "income: {kind: float, distribution: normal, mean: 10, std: 1}",
            "income: {kind: float, distribution: nope}",
        ),
    ],
)
def test_an_invalid_column_is_not_also_reported_missing(tmp_path, broken, reader):
    tables = GOOD.replace(broken, reader)
    tables += "anomalies:\n  - {kind: null_burst, table: customers, column: income, rate: 0.1}\n"
    tables = tables.replace(
        "      value: {kind: derived",
        "      ref: {kind: int, distribution: uniform, low: 1, high: 2, "
        "references: customers.income}\n      value: {kind: derived",
    )
    (tmp_path / "tables.yml").write_text(tables)
    found = problems(tmp_path)
    assert not [p for p in found if "has no column" in p], found
    assert len(found) == 1, found


@pytest.mark.parametrize(
    "expr,what",
    [
        ("exp(1000)", "'exp(1000)' overflows to infinity"),
        ("1e308 * 10", "overflows to infinity"),
        ("date('0001-01-01')", "outside the dates a column holds"),  # was exit 1
    ],
)
def test_a_constant_that_overflows_is_a_config_error(tmp_path, expr, what):
    (tmp_path / "tables.yml").write_text(GOOD.replace('"customers.income * 2"', f'"{expr}"'))
    [message] = problems(tmp_path)
    assert "tables.yml:16: tables.orders.columns.value.expr" in message and what in message


def test_integers_that_wrap_around_per_row_are_an_error_with_the_line(tmp_path, capsys):
    """numpy wraps int64 silently: `n ** 100` gave 0 or garbage in some rows."""
    from tests.cli.conftest import main

    tables = GOOD.replace('"customers.income * 2"', '"n ** 100"').replace(
        "      value:", "      n: {kind: int, distribution: uniform, low: 2, high: 3}\n      value:"
    )
    (tmp_path / "tables.yml").write_text(tables)
    assert main("generate", "--config-dir", tmp_path, "--out", tmp_path / "o") == 2
    err = capsys.readouterr().err
    assert "tables.yml:17: tables.orders.columns.value: '**' gives integers beyond 64 bits" in err
    assert not (tmp_path / "o").exists()


def test_outliers_on_large_integers_stay_within_the_column_type(tmp_path):
    """A value times the factor beyond int64 was an ArrowInvalid (exit 1)."""
    from tests.conftest import generate

    tables = GOOD.replace(
        "      income:",
        "      big: {kind: int, distribution: constant, value: 100000000000000000}\n      income:",
    )
    tables += (
        "anomalies:\n  - {kind: outliers, table: customers, column: big, rate: 0.5, factor: 1000}\n"
    )
    (tmp_path / "tables.yml").write_text(tables)
    out = generate(tmp_path, tmp_path / "o", formats=("parquet",))
    import pyarrow.parquet as pq

    big = pq.read_table(out / "data_dirty" / "customers.parquet").column("big").to_pylist()
    assert max(big) > 10**17 and max(big) < 2**63


@pytest.mark.parametrize(
    "first,second",
    [("seg", "SEG"), ("caf\u00e9", "cafe\u0301")],  # case; composed and decomposed é
)
def test_column_names_that_differ_only_in_case_or_unicode_form_are_refused(tmp_path, first, second):
    """Both were generated: one SQL identifier (DuckDB's load failed), two look-alike names."""
    spec = "{kind: int, distribution: uniform, low: 1, high: 2}"
    both = f"      {first}: {spec}\n      {second}: {spec}\n"
    tables = GOOD.replace("      income:", both + "      income:")
    (tmp_path / "tables.yml").write_text(tables)
    [message] = problems(tmp_path)
    assert f"column name {second!r} differs from {first!r} only in case" in message


def test_a_table_name_yaml_reads_as_a_value_is_refused_with_a_hint(tmp_path):
    """`yes:` became a table named 'True' (and `~:` one named 'None')."""
    extra = "  yes:\n    domain: x\n    rows: 1\n    primary_key: k\n"
    extra += "    columns: {k: {kind: sequence}}\n"
    (tmp_path / "tables.yml").write_text(GOOD + extra)
    [message] = problems(tmp_path)
    assert "table name True is not text (YAML read the unquoted key as a value" in message


@pytest.mark.parametrize(
    "change",
    [
        (
            "mean: 10, std: 1}",
            "mean: 10, std: 1}\n      seg: {kind: categorical, values: {a: 1.0e+308, b: 1.0e+308}}",
        ),
        (
            "mean: 10, std: 1}",
            "mean: 10, std: 1}\n      day: {kind: date, start: 2020-01-01, "
            "end: 2020-12-31, seasonality: [1.0e+308, 1.0e+308, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]}",
        ),
        ("{count: 2}", "{counts: {1: 1.0e+308, 2: 1.0e+308}}"),
    ],
    ids=["categorical", "seasonality", "counts"],
)
def test_relative_weights_whose_sum_overflows_are_refused(tmp_path, change):
    """{a: 1e308, b: 1e308} summed to infinity and every row got 'a'."""
    (tmp_path / "tables.yml").write_text(GOOD.replace(*change))
    found = problems(tmp_path)  # an invalid driving lookup also leaves its table without rows
    assert any("infinity" in p or "finite total weight" in p for p in found), found


@pytest.mark.parametrize("p", ["customers.income * 100", "customers.income - 20"])
def test_a_per_row_probability_outside_0_to_1_is_an_error_with_the_line(tmp_path, capsys, p):
    """A boolean's p given as an expression was not checked: above 1 every row was true,
    below 0 every row false (hostile3's note)."""
    from tests.cli.conftest import main

    tables = GOOD.replace("      value:", f'      flag: {{kind: boolean, p: "{p}"}}\n      value:')
    (tmp_path / "tables.yml").write_text(tables)
    assert main("generate", "--config-dir", tmp_path, "--out", tmp_path / "o") == 2
    err = capsys.readouterr().err
    assert "tables.orders.columns.flag: p must be from 0 to 1" in err and "of 20 rows" in err
    assert not (tmp_path / "o").exists()
