"""Hand-written hostile inputs: each finding of issues 13 and 11 that concerns config input,
as the files and arguments a hostile (or careless) user would give, with the exit code and the
words the error must contain (always the YAML path when there is one).

tests/fuzz/test_hostile.py runs every case through the CLI in a bounded subprocess (5 s and
500 MB after imports); benchmarks/reliability.py lists them in reports/reliability.md.
"""

from __future__ import annotations

from dataclasses import dataclass

BASE = """\
version: 1
tables:
  customers:
    domain: customer
    rows: 10
    primary_key: customer_id
    columns:
      customer_id: {kind: sequence}
      name: {kind: faker, provider: first_name, pool: 20}
      income: {kind: float, distribution: normal, mean: 10, std: 1}
      signup: {kind: date, start: 2021-01-01, end: 2021-12-31}
  orders:
    domain: sales
    primary_key: order_id
    columns:
      order_id: {kind: sequence}
      customer_id: {kind: lookup, table: customers, children_per_parent: {count: 2}}
      value: {kind: derived, expr: "customers.income * 2"}
"""
VALUE = '      value: {kind: derived, expr: "customers.income * 2"}'
INCOME = "      income: {kind: float, distribution: normal, mean: 10, std: 1}"


def expr(text: str) -> str:
    """BASE with orders.value computed by ``text`` (YAML-quoted)."""
    quoted = text.replace("\\", "\\\\").replace('"', '\\"')
    return BASE.replace(VALUE, f'      value: {{kind: derived, expr: "{quoted}"}}')


def column(spec: str, table: str = "orders") -> str:
    """BASE with one more column ``extra: <spec>`` in ``table``."""
    anchor = VALUE if table == "orders" else INCOME
    return BASE.replace(anchor, f"{anchor}\n      extra: {spec}")


def alias_bomb() -> str:
    """About 1 KB that expands to ~400 million nodes (the 'billion laughs')."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n" + BASE.replace("version: 1\n", "") + "anomalies: *a8\n"


@dataclass(frozen=True)
class Hostile:
    """One hostile input: files, arguments, and what the CLI must answer."""

    name: str
    finding: str  # the finding it reproduces (issue and item)
    tables: str = BASE
    config: str | None = None
    args: tuple[str, ...] = ()
    code: int = 2
    expect: tuple[str, ...] = ()  # words the error must contain, the YAML path first


CASES: list[Hostile] = [
    # -- issue 13, finding 4: unbounded inputs
    Hostile(
        "yaml alias bomb",
        "13.4",
        alias_bomb(),
        expect=("aliases expanded", "alias bomb"),
    ),
    Hostile(
        "yaml recursive alias",
        "13.4",
        BASE + "anomalies: &loop [*loop]\n",
        expect=("anomalies", "recursive alias"),
    ),
    Hostile(
        "yaml nested 10,000 levels",
        "13.4",
        BASE + "anomalies: " + "[" * 10_000 + "]" * 10_000 + "\n",
        expect=("nested more than",),
    ),
    Hostile(
        "expression 10**10**10",
        "13.4",
        expr("10**10**10"),
        expect=("tables.orders.columns.value.expr", "digits"),
    ),
    Hostile(
        "expression 'x' * 10**9",
        "13.4",
        expr("'x' * 10**9"),
        expect=("tables.orders.columns.value.expr", "1,000,000,000 characters"),
    ),
    Hostile(
        "expression repeating a text column",
        "13.4",
        expr("customers.name * 10**9"),
        expect=("tables.orders.columns.value", "characters"),
    ),
    Hostile(
        "expression of 10,000 terms",
        "13.4",
        expr(" + ".join(["customers.income"] * 10_000)),
        expect=("tables.orders.columns.value.expr", "characters long"),
    ),
    Hostile(
        "expression nested 600 parentheses",
        "13.4",
        expr("(" * 600 + "customers.income" + ")" * 600),
        expect=("tables.orders.columns.value.expr", "cannot parse"),
    ),
    Hostile(
        "expression nested 60 calls",
        "13.4",
        expr("abs(" * 60 + "customers.income" + ")" * 60),
        expect=("tables.orders.columns.value.expr", "nested more than"),
    ),
    Hostile(
        "strftime format of 2 MB",
        "13.4",
        expr("strftime(customers.signup, '%Y' * 10**6)"),
        expect=("tables.orders.columns.value.expr", "characters"),
    ),
    Hostile(
        "strftime padded to a gigabyte",
        "13.4",
        expr("strftime(customers.signup, '%01000000000Y')"),
        expect=("tables.orders.columns.value.expr", "width 1000000000"),
    ),
    Hostile(
        "date format bomb",
        "13.4",
        column('{kind: date, start: 2021-01-01, end: 2021-12-31, format: "%0999999999d"}'),
        expect=("tables.orders.columns.extra.format", "width"),
    ),
    Hostile(
        "round to a billion digits",
        "13.4",
        expr("round(customers.income, -10**9)"),
        expect=("tables.orders.columns.value.expr", "digits"),
    ),
    Hostile(
        "template padded to a gigabyte",
        "13.4",
        column('{kind: template, template: "{order_id:>1000000000}"}'),
        expect=("tables.orders.columns.extra.template", "width 1000000000"),
    ),
    Hostile(
        "sequence format padded to a gigabyte",
        "13.4",
        column('{kind: sequence, format: "K{:01000000000d}"}', table="customers"),
        expect=("tables.customers.columns.extra.format", "width 1000000000"),
    ),
    Hostile(
        "faker text of a gigabyte",
        "13.4",
        column("{kind: faker, provider: pystr, args: {max_chars: 1000000000}}"),
        expect=("tables.orders.columns.extra.args", "max_chars"),
    ),
    Hostile("--scale nan", "13.4", args=("--scale", "nan"), expect=("--scale", "finite")),
    Hostile("--scale inf", "13.4", args=("--scale", "inf"), expect=("--scale", "finite")),
    Hostile("--scale -1", "13.4", args=("--scale", "-1"), expect=("--scale", "> 0")),
    Hostile("--scale 1e12", "13.4", args=("--scale", "1e12"), expect=("--scale", "at most")),
    Hostile(
        "--scale 1e8 (estimate)",
        "11.5",
        args=("--scale", "1e8"),
        expect=("would not fit", "estimate:", "on disk"),
    ),
    Hostile(
        "rows: 1e15",
        "13.4",
        BASE.replace("rows: 10", "rows: 1.0e+15"),
        expect=("tables.customers.rows", "less than or equal to 1000000000000"),
    ),
    Hostile(
        "rows: 10**11 (estimate)",
        "11.5",
        BASE.replace("rows: 10", "rows: 100000000000"),
        expect=("would not fit", "estimate:"),
    ),
    Hostile(
        "a billion children per parent (estimate)",
        "11.5",
        BASE.replace("{count: 2}", "{count: 1000000000}"),
        expect=("would not fit", "10,000,000,010 rows"),
    ),
    Hostile(
        "chunk_size 10**12",
        "13.4",
        BASE.replace("version: 1\n", "version: 1\ndefaults: {chunk_size: 1000000000000}\n"),
        expect=("defaults.chunk_size", "less than or equal"),
    ),
    Hostile(
        "memory budget too small",
        "11.5",
        args=("--memory-budget", "1MB"),
        expect=("would not fit", "memory budget of 1.0 MB"),
    ),
    # -- issue 13, finding 6: silent surprises
    Hostile(
        "duplicate YAML key",
        "13.6",
        BASE.replace(INCOME, INCOME + "\n" + INCOME),
        expect=("tables.customers.columns.income", "duplicate key 'income'"),
    ),
    Hostile(
        "min > max",
        "13.6",
        BASE.replace("mean: 10, std: 1}", "mean: 10, std: 1, min: 5, max: 1}"),
        expect=("tables.customers.columns.income", "min (5) is greater than max (1)"),
    ),
    Hostile(
        "uniform low > high",
        "13.6",
        column("{kind: int, distribution: uniform, low: 9, high: 1}"),
        expect=("tables.orders.columns.extra", "'low' (9) is greater than 'high' (1)"),
    ),
    Hostile(
        "negative Poisson rate",
        "13.6",
        column("{kind: int, distribution: poisson, lam: -3}"),
        expect=("tables.orders.columns.extra", "'lam' must be >= 0"),
    ),
    Hostile(
        "zero-row lookup target",
        "13.6",
        BASE.replace("rows: 10", "rows: 0")
        + "  stores:\n    domain: x\n    rows: 3\n    primary_key: id\n    columns:\n"
        "      id: {kind: sequence}\n      best: {kind: lookup, table: customers}\n",
        expect=("tables.stores.columns.best.table", "has no rows"),
    ),
    Hostile(
        "division by zero",
        "13.6",
        expr("customers.income / 0"),
        expect=("tables.orders.columns.value.expr", "division by zero"),
    ),
    Hostile(
        "division by a constant zero",
        "13.6",
        expr("customers.income // (2 - 2)"),
        expect=("tables.orders.columns.value.expr", "division by zero"),
    ),
    Hostile(
        "Faker provider __class__",
        "13.6",
        BASE.replace("provider: first_name", "provider: __class__"),
        expect=("tables.customers.columns.name.provider", "no provider '__class__'"),
    ),
    Hostile(
        "Faker provider seed_instance",
        "13.6",
        BASE.replace("provider: first_name", "provider: seed_instance"),
        expect=("tables.customers.columns.name.provider", "no provider 'seed_instance'"),
    ),
    # -- issue 13, finding 7: exit 1 where the input is at fault
    Hostile(
        "negative std",
        "13.7",
        BASE.replace("std: 1}", "std: -1}"),
        expect=("tables.customers.columns.income", "'std' must be >= 0"),
    ),
    Hostile(
        "negative std from an expression",
        "13.7",
        column('{kind: float, distribution: normal, mean: 0, std: "customers.income - 100"}'),
        expect=("tables.orders.columns.extra", "'std' must be >= 0", "rows"),
    ),
    Hostile(
        "NaN weight",
        "13.7",
        column("{kind: categorical, values: {a: .nan, b: 1}}"),
        expect=("tables.orders.columns.extra.values", "finite number"),
    ),
    Hostile(
        "NaN mean",
        "13.7",
        BASE.replace("mean: 10", "mean: .nan"),
        expect=("tables.customers.columns.income.mean", "finite"),
    ),
    Hostile(
        "2005-02-30",
        "13.7",
        BASE.replace("start: 2021-01-01", "start: 2005-02-30"),
        expect=("tables.customers.columns.signup.start", "day is out of range"),
    ),
    Hostile(
        "date('2005-02-30') in an expression",
        "13.7",
        expr("date('2005-02-30')"),
        expect=("tables.orders.columns.value.expr", "day is out of range"),
    ),
    Hostile(
        "text plus a number, per row",
        "13.7",
        expr("customers.name + 1"),
        expect=("tables.orders.columns.value", "cannot evaluate"),
    ),
    Hostile(
        "outliers on a text column",
        "13.7",
        BASE + "anomalies:\n  - {kind: outliers, table: customers, column: name}\n",
        expect=("anomalies[0].column", "outliers applies to int, float columns"),
    ),
    Hostile(
        "zipf a <= 1",
        "13.7",
        column("{kind: int, distribution: zipf, a: 1}"),
        expect=("tables.orders.columns.extra", "'a' must be > 1"),
    ),
    Hostile(
        "all-zero seasonality",
        "13.7",
        BASE.replace(
            "end: 2021-12-31}", "end: 2021-12-31, seasonality: [0,0,0,0,0,0,0,0,0,0,0,0]}"
        ),
        expect=("tables.customers.columns.signup.seasonality", "not all 0"),
    ),
    Hostile(
        "sequence step 0",
        "13.7",
        BASE.replace("customer_id: {kind: sequence}", "customer_id: {kind: sequence, step: 0}"),
        expect=("tables.customers.columns.customer_id.step", "same key"),
    ),
    Hostile(
        "categorical value of the wrong type",
        "13.7",
        column("{kind: categorical, values: [a, b], dtype: int}"),
        expect=("tables.orders.columns.extra", "'a' is not a int"),
    ),
    Hostile(
        "Faker provider with an unknown argument",
        "13.7",
        column("{kind: faker, provider: sentence, args: {bogus: 1}}"),
        expect=("tables.orders.columns.extra.args", "bogus"),
    ),
    Hostile(
        "invalid memory_budget in config.yaml",
        "11.5",
        config="memory_budget: lots\n",
        expect=("config.yaml", "memory_budget", "expected a size"),
    ),
]


#: an expression that reaches the pilot's cap: its size cannot be known
CASES.append(
    Hostile(
        "children per parent from a huge expression (estimate)",
        "11.5",
        BASE.replace("{count: 2}", '{count: "customers.income * 10**8"}'),
        expect=("would not fit", "at least", "size at full scale is unknown"),
    )
)
