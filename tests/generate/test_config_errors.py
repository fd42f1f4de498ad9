"""Bad configs: every problem is reported at once, with its YAML path, line and what is allowed."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from synthgen_sdv.core.errors import ConfigError
from synthgen_sdv.runs.config import load_project
from synthgen_sdv.schema.plan import resolve_plan

GOOD = """\
version: 1
tables:
  customers:
    domain: customer
    rows: 10
    primary_key: customer_id
    columns:
      customer_id: {kind: sequence}
      income: {kind: float, distribution: normal, mean: 10, std: 1}
  orders:
    domain: sales
    primary_key: order_id
    columns:
      order_id: {kind: sequence}
      customer_id: {kind: lookup, table: customers, children_per_parent: {count: 2}}
      value: {kind: derived, expr: "customers.income * 2"}
"""


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
