"""Bad configs: every problem is reported at once, with its YAML path, line and what is allowed."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from synthgen_sdv.core.errors import ConfigError, Problem
from synthgen_sdv.runs.config import load_project
from synthgen_sdv.schema.plan import resolve_plan
from tests.generate.helpers import GOOD


def write(tmp_path: Path, tables: str, config: str | None = None) -> Path:
    (tmp_path / "tables.yml").write_text(textwrap.dedent(tables))
    if config is not None:
        (tmp_path / "config.yaml").write_text(textwrap.dedent(config))
    return tmp_path


def problems(tmp_path: Path, tables: str, config: str | None = None) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        resolve_plan(load_project(write(tmp_path, tables, config)))
    return [str(p) for p in exc.value.problems]


def test_good_config_resolves(tmp_path):
    plan = resolve_plan(load_project(write(tmp_path, GOOD)))
    assert [f.members for f in plan.families] == [("customers", "orders")]


BAD = [
    (
        "misspelled key",
        GOOD.replace("mean: 10", "maen: 10"),
        "tables.customers.columns.income.maen: unknown key 'maen'",
        "did you mean 'mean'?",
    ),
    (
        "unknown kind",
        GOOD.replace("kind: float", "kind: flaot"),
        "tables.customers.columns.income: unknown column kind 'flaot'",
        "did you mean 'float'?",
    ),
    (
        "missing distribution param",
        GOOD.replace(", std: 1", ""),
        "tables.customers.columns.income",
        "distribution 'normal' needs std",
    ),
    (
        "wrong type",
        GOOD.replace("rows: 10", "rows: many"),
        "tables.customers.rows",
        "valid integer",
    ),
    (
        "unknown lookup target",
        GOOD.replace("table: customers", "table: customer"),
        "tables.orders.columns.customer_id.table: lookup target 'customer' does not exist",
        "did you mean 'customers'?",
    ),
    (
        "unknown parent column",
        GOOD.replace("customers.income", "customers.incme"),
        "tables.orders.columns.value: expression reads 'customers.incme'",
        "did you mean 'customers.income'?",
    ),
    (
        "unknown own column",
        GOOD.replace('"customers.income * 2"', '"valu * 2"'),
        "tables.orders.columns.value: expression reads unknown column 'valu'",
        "did you mean 'value'?",
    ),
    (
        "bad expression syntax",
        GOOD.replace('"customers.income * 2"', '"customers.income * "'),
        "tables.orders.columns.value.expr",
        "cannot parse expression",
    ),
    (
        "forbidden expression",
        GOOD.replace('"customers.income * 2"', "\"__import__('os')\""),
        "tables.orders.columns.value.expr",
        "unknown expression function '__import__'",
    ),
    (
        "primary key missing",
        GOOD.replace("primary_key: order_id", "primary_key: id"),
        "tables.orders.primary_key",
        "primary key 'id' is not a column",
    ),
    (
        "rows and driver",
        GOOD.replace("    domain: sales\n", "    domain: sales\n    rows: 5\n"),
        "tables.orders.rows",
        "conflicts with 'customer_id'",
    ),
    (
        "unknown top-level key",
        GOOD.replace("version: 1", "version: 1\ntabels: {}"),
        "tabels: unknown key 'tabels'",
        "did you mean 'tables'?",
    ),
    (
        "anomaly on unknown column",
        GOOD + "anomalies:\n  - {kind: null_burst, table: orders, column: vlue}\n",
        "anomalies[0].column",
        "'orders' has no column 'vlue'",
    ),
    (
        "unknown anomaly kind",
        GOOD + "anomalies:\n  - {kind: nul_burst, table: orders, column: value}\n",
        "anomalies[0]",
        "unknown anomaly kind 'nul_burst'",
    ),
    (
        "faker provider",
        GOOD.replace(
            "income: {kind: float, distribution: normal, mean: 10, std: 1}",
            "income: {kind: faker, provider: no_such_thing}",
        ),
        "tables.customers.columns.income.provider",
        "Faker has no provider 'no_such_thing'",
    ),
    (
        "column cycle",
        GOOD.replace(
            'value: {kind: derived, expr: "customers.income * 2"}',
            'value: {kind: derived, expr: "other + 1"}\n'
            '      other: {kind: derived, expr: "value + 1"}',
        ),
        "tables.orders.columns",
        "columns read each other in a cycle",
    ),
]


@pytest.mark.parametrize("name,tables,where,what", BAD, ids=[b[0] for b in BAD])
def test_bad_config_message(tmp_path, name, tables, where, what):
    found = problems(tmp_path, tables)
    assert any(where in p and what in p for p in found), found
    assert all("tables.yml:" in p for p in found), "every problem names the file and line"


def test_table_cycle_is_named(tmp_path):
    cyc = GOOD.replace(
        "      income: {kind: float, distribution: normal, mean: 10, std: 1}",
        "      income: {kind: float, distribution: normal, mean: 10, std: 1}\n"
        "      last_order: {kind: lookup, table: orders}",
    )
    found = problems(tmp_path, cyc)
    assert any(
        "tables form a cycle of lookups" in p and "customers" in p and "orders" in p for p in found
    ), found


def test_run_config_errors(tmp_path):
    found = problems(tmp_path, GOOD, "seed: -1\nworkerz: 2\n")
    assert len(found) == 2
    assert any("config.yaml" in p and "seed" in p for p in found)
    assert any("unknown key 'workerz'" in p and "did you mean 'workers'?" in p for p in found)


FOUR_PROBLEMS = (
    GOOD.replace("mean: 10", "maen: 10")
    .replace("table: customers", "table: customer")
    .replace('"customers.income * 2"', '"customers.income * (2"')
    + """\
  a:
    domain: x
    rows: 1
    primary_key: id
    columns:
      id: {kind: sequence}
      b_id: {kind: lookup, table: b}
  b:
    domain: x
    rows: 1
    primary_key: id
    columns:
      id: {kind: sequence}
      a_id: {kind: lookup, table: a}
"""
)


def test_four_problems_in_one_message_with_exit_code_2(tmp_path):
    write(tmp_path, FOUR_PROBLEMS)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "synthgen_sdv",
            "generate",
            "--config-dir",
            str(tmp_path),
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    err = proc.stderr
    assert "Traceback" not in err
    assert "unknown key 'maen'" in err and "tables.customers.columns.income" in err
    assert "lookup target 'customer' does not exist" in err
    assert "tables form a cycle of lookups" in err
    assert "tables.orders.columns.value.expr" in err and "cannot parse" in err
    assert not (tmp_path / "out").exists()


def test_default_config_dir_copy_is_valid(tmp_path):
    shutil.copytree(Path(__file__).resolve().parents[2] / "configs", tmp_path / "c")
    plan = resolve_plan(load_project(tmp_path / "c"))
    assert len(plan.tables) == 13


# --------------------------------------------------------------------------- issue 13: bounded
# input and the config checks (the CLI cases, with time and memory, are in tests/fuzz/hostile.py)


BOUNDED = [
    (
        "alias bomb",
        "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        + "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9))
        + GOOD.replace("version: 1\n", "")
        + "anomalies: *a8\n",
        "(syntax)",
        "an alias bomb",
    ),
    (
        "duplicate key",
        GOOD.replace("rows: 10", "rows: 10\n    rows: 20"),
        "tables.customers.rows",
        "duplicate key 'rows' (first on line 5)",
    ),
    (
        "impossible date",
        GOOD + "    x: {kind: date, start: 2005-02-30, end: 2005-03-01}\n",
        "tables.orders.x.start",
        "day is out of range for month",
    ),
    (
        "huge integer literal",
        GOOD.replace("rows: 10", "rows: " + "9" * 5000),
        "tables.customers.rows",
        "4300 digits",
    ),
    (
        "NaN",
        GOOD.replace("std: 1", "std: .nan"),
        "tables.customers.columns.income.std",
        "finite number",
    ),
    (
        "infinity",
        GOOD.replace("mean: 10", "mean: .inf"),
        "tables.customers.columns.income.mean",
        "finite number",
    ),
    (
        "min > max",
        GOOD.replace("std: 1}", "std: 1, min: 3, max: 2}"),
        "tables.customers.columns.income",
        "min (3) is greater than max (2)",
    ),
    (
        "negative std",
        GOOD.replace("std: 1", "std: -2"),
        "tables.customers.columns.income",
        "'std' must be >= 0 (got -2)",
    ),
    (
        "uniform reversed",
        GOOD.replace(
            "distribution: normal, mean: 10, std: 1", "distribution: uniform, low: 5, high: 1"
        ),
        "tables.customers.columns.income",
        "'low' (5) is greater than 'high' (1)",
    ),
    (
        "negative rate",
        GOOD.replace("distribution: normal, mean: 10, std: 1", "distribution: poisson, lam: -1"),
        "tables.customers.columns.income",
        "'lam' must be >= 0",
    ),
    (
        "bernoulli p > 1",
        GOOD.replace("distribution: normal, mean: 10, std: 1", "distribution: bernoulli, p: 2"),
        "tables.customers.columns.income",
        "'p' must be >= 0 and <= 1",
    ),
    (
        "negative children",
        GOOD.replace("{count: 2}", "{count: -2}"),
        "tables.orders.columns.customer_id.children_per_parent",
        "'count' must be >= 0",
    ),
    (
        "children min > max",
        GOOD.replace("{count: 2}", "{count: 2, min: 5, max: 1}"),
        "tables.orders.columns.customer_id.children_per_parent",
        "min (5) is greater than max (1)",
    ),
    (
        "division by zero",
        GOOD.replace('"customers.income * 2"', '"customers.income % (3 - 3)"'),
        "tables.orders.columns.value.expr",
        "division by zero",
    ),
    (
        "expression in a parameter",
        GOOD.replace("std: 1", 'std: "10**10**10"'),
        "tables.customers.columns.income.std",
        "digits",
    ),
    (
        "expression result beyond int64",
        GOOD.replace('"customers.income * 2"', '"2**70"'),
        "tables.orders.columns.value.expr",
        "64-bit integer",
    ),
    (
        "faker private attribute",
        GOOD.replace(
            "income: {kind: float, distribution: normal, mean: 10, std: 1}",
            "income: {kind: faker, provider: _Generator__config}",
        ),
        "tables.customers.columns.income.provider",
        "no provider '_Generator__config'",
    ),
    (
        "faker unknown locale",
        GOOD.replace(
            "income: {kind: float, distribution: normal, mean: 10, std: 1}",
            "income: {kind: faker, provider: name, locale: xx_XX}",
        ),
        "tables.customers.columns.income.provider",
        "no locale 'xx_XX'",
    ),
    (
        "date outside pandas' range",
        GOOD.replace(
            "income: {kind: float, distribution: normal, mean: 10, std: 1}",
            "income: {kind: date, start: 1066-10-14, end: 2000-01-01}",
        ),
        "tables.customers.columns.income",
        "dates must be from 1678-01-01",
    ),
    (
        "sequence format without a number",
        GOOD.replace("customer_id: {kind: sequence}", "customer_id: {kind: sequence, format: 'C'}"),
        "tables.customers.columns.customer_id.format",
        "exactly one field",
    ),
    (
        "zero-row lookup target through a chain",
        GOOD.replace("{count: 2}", "{count: 0}")
        + """\
  stores:
    domain: x
    rows: 2
    primary_key: id
    columns:
      id: {kind: sequence}
      last_order: {kind: lookup, table: orders}
""",
        "tables.stores.columns.last_order.table",
        "'orders' gets 0 rows per row of 'customers'",
    ),
]


@pytest.mark.parametrize("name,tables,where,what", BOUNDED, ids=[b[0] for b in BOUNDED])
def test_bounded_input_and_config_checks(tmp_path, name, tables, where, what):
    found = problems(tmp_path, tables)
    assert any(where in p and what in p for p in found), found


def test_aliases_and_merge_keys_still_work(tmp_path):
    tables = GOOD.replace(
        "version: 1\n", "version: 1\nx-normal: &normal {kind: float, distribution: normal}\n"
    )
    with pytest.raises(ConfigError, match="x-normal: unknown key"):  # not a tables.yml key
        resolve_plan(load_project(write(tmp_path, tables)))
    merged = GOOD.replace(
        "income: {kind: float, distribution: normal, mean: 10, std: 1}",
        "income: &income {kind: float, distribution: normal, mean: 10, std: 1}\n"
        "      spend: {<<: *income, mean: 3}",
    )
    plan = resolve_plan(load_project(write(tmp_path, merged)))
    assert plan.tables["customers"].columns["spend"].mean == 3


def test_rows_zero_is_an_empty_table(tmp_path):
    from tests.conftest import generate
    from tests.generate.helpers import read, schema

    out = generate(write(tmp_path, GOOD.replace("rows: 10", "rows: 0")), tmp_path / "out")
    assert schema(out)["tables"]["customers"]["row_count"] == 0
    assert len(read(out, "orders")) == 0


def test_division_by_a_column_that_is_zero_gives_null():
    import pandas as pd

    from synthgen_sdv.core.expr import evaluate

    env = {"a": pd.Series([6.0, 6.0, 6.0]), "b": pd.Series([2, 0, -3])}
    assert evaluate("a / b", env, 3).tolist()[::2] == [3.0, -2.0]
    assert pd.isna(evaluate("a / b", env, 3)[1])
    assert pd.isna(evaluate("a // b", env, 3)[1]) and pd.isna(evaluate("a % b", env, 3)[1])


def test_null_parameters_give_null_values_and_bad_ones_name_the_column(tmp_path):
    from tests.conftest import generate
    from tests.generate.helpers import read

    nullable = GOOD.replace(
        'value: {kind: derived, expr: "customers.income * 2"}',
        'value: {kind: int, distribution: poisson, lam: "where(index_in_parent == 0, 3, None)"}',
    )
    out = generate(write(tmp_path, nullable), tmp_path / "out")
    values = read(out, "orders")["value"]
    assert values.isna().sum() == 10 and values.notna().sum() == 10
    bad = nullable.replace("3, None)", "3, -1)").replace("poisson, lam", "normal, mean: 0, std")
    with pytest.raises(ConfigError, match=r"tables\.orders\.columns\.value: 'std' must be >= 0"):
        generate(write(tmp_path, bad), tmp_path / "out2")


def test_a_config_error_raised_in_a_worker_keeps_its_problems(tmp_path):
    """Runtime config errors cross the worker pool intact (ConfigError pickles its problems)."""
    import pickle

    err = ConfigError([Problem(path="tables.a.columns.b", message="bad")])
    again = pickle.loads(pickle.dumps(err))
    assert again.problems == err.problems and str(again) == str(err)
    bad = (
        GOOD.replace("version: 1\n", "version: 1\ndefaults: {chunk_size: 2}\n")
        .replace('"customers.income * 2"', '"customers.name + 1"')
        .replace("std: 1}", "std: 1}\n      name: {kind: faker, provider: first_name, pool: 5}")
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "synthgen_sdv",
            "generate",
            "--config-dir",
            str(write(tmp_path, bad)),
            "--out",
            str(tmp_path / "out"),
            "--workers",
            "2",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2, proc.stderr
    assert "tables.orders.columns.value: cannot evaluate" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_lineage_yml_is_loaded_bounded(tmp_path):
    write(tmp_path, GOOD)
    (tmp_path / "lineage.yml").write_text("a: &a [*a]\n")
    with pytest.raises(ConfigError, match=r"lineage\.yml:1: a: an alias refers to the anchor"):
        resolve_plan(load_project(tmp_path))
