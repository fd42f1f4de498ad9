"""Hypothesis strategies for the fuzz suite, and the checks each input must pass.

Every strategy is registered in ``STRATEGIES`` with how many examples CI tries and what it
checks; tests/fuzz/test_fuzz.py runs them and benchmarks/reliability.py reports them. An input
passes when it loads (and, where the strategy says so, resolves and generates a few rows) or
raises the project's InputError (ConfigError is one) — never any other exception — within
``SECONDS`` and ``MEMORY_MB``.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from hypothesis import strategies as st

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.expr import evaluate
from synthgen_sdv.generate.engine import Engine
from synthgen_sdv.io.layout import DATA
from synthgen_sdv.io.sink import Sink
from synthgen_sdv.io.writers import decode_parquet, to_arrow
from synthgen_sdv.runs.config import load_project
from synthgen_sdv.runs.estimate import estimate_generate
from synthgen_sdv.schema.plan import resolve_plan

SECONDS, MEMORY_MB = 5.0, 500.0
TINY = Path(__file__).resolve().parents[1] / "configs" / "tiny" / "tables.yml"

# --------------------------------------------------------------------------- values

NAMES = st.tuples(
    st.sampled_from(string.ascii_lowercase),
    st.text(string.ascii_lowercase + "_0123456789", max_size=8),
).map("".join)
HOSTILE_NUMBERS = [0, -1, -0.5, 1e-300, 10**12, 10**30, 1e300, -1e300, 2**63, float("nan")]
SANE = st.one_of(st.integers(0, 20), st.floats(0, 100, allow_nan=False))
NUMBERS = st.one_of(
    st.integers(-3, 30),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(HOSTILE_NUMBERS),
)
DATES = st.one_of(
    st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)),
    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)),
)
TEXT = st.text(string.printable, max_size=20)
FORMATS = st.one_of(
    st.sampled_from(["%Y-%m-%d", "%d/%m/%Y", "%c", "%0100Y", "%_99d", "%%", "%Q", "", "{}"]),
    st.text("%YmdHMSjaAbBcx-/ 0123456789_", max_size=12),
)
SPECS = st.one_of(
    st.sampled_from(["", "06d", ",.2f", ">10", "x", ">101", ".1000f", "d", "^50", "!r"]),
    st.text("<>^=+- #0123456789,._dfxsen%", max_size=8),
)

FUNCTIONS = [
    "round",
    "where",
    "coalesce",
    "isnull",
    "min",
    "max",
    "clip",
    "floor",
    "ceil",
    "log",
    "exp",
    "sqrt",
    "abs",
    "int",
    "float",
    "str",
    "upper",
    "lower",
    "date",
    "days",
    "add_months",
    "year",
    "quarter",
    "month",
    "day",
    "weekday",
    "yyyymmdd",
    "strftime",
    "open",
    "__import__",
]
BINOPS = ["+", "-", "*", "/", "//", "%", "**", "==", "!=", "<", ">=", "and", "or"]


def expressions(names: list[str], max_leaves: int = 12) -> st.SearchStrategy[str]:
    """Expression text over ``names``: literals (huge ones too), operators, calls of any
    arity, conditionals; sometimes not even valid Python."""
    return _expressions(tuple(names), max_leaves)


@lru_cache(maxsize=256)
def _expressions(names: tuple[str, ...], max_leaves: int) -> st.SearchStrategy[str]:
    leaves = st.one_of(
        st.sampled_from(names) if names else st.nothing(),
        st.integers(-10, 10).map(str),
        st.sampled_from(["10**10**10", "10**400", "1e308", "0", "0.0", "2**64", "-1"]),
        st.floats(allow_nan=False, allow_infinity=False).map(repr),
        TEXT.map(repr),
        st.sampled_from(["'2021-05-01'", "'2005-02-30'", "'%Y' * 1000", "True", "None"]),
    )

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(BINOPS), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            ),
            st.tuples(st.sampled_from(["-", "not ", "+"]), inner).map(lambda t: f"{t[0]}{t[1]}"),
            st.tuples(st.sampled_from(FUNCTIONS), st.lists(inner, max_size=3)).map(
                lambda t: f"{t[0]}({', '.join(t[1])})"
            ),
            st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
        )

    noise = st.sampled_from(["", " +", ")", "[0]", ".x", " if", "lambda: 1", "'"])
    return st.tuples(st.recursive(leaves, extend, max_leaves=max_leaves), noise).map(
        lambda t: t[0] + t[1] if t[1] and len(t[0]) % 5 == 0 else t[0]
    )


# --------------------------------------------------------------------------- configs


PROBABILITY = st.floats(0, 1)
ROUNDS = st.one_of(st.integers(0, 4), st.integers(0, 4), st.integers(-500, 500))


def weights(n: int) -> st.SearchStrategy[list[Any]]:
    """n weights: mostly positive, sometimes of any length and value."""
    good = st.lists(st.floats(0.1, 3), min_size=n, max_size=n)
    return st.one_of(good, good, st.lists(NUMBERS, max_size=n + 1))


def _param(names: list[str]) -> st.SearchStrategy[Any]:
    return st.one_of(SANE, SANE, NUMBERS, expressions(names, 4))


DISTS = [
    "uniform",
    "normal",
    "lognormal",
    "exponential",
    "poisson",
    "zipf",
    "bernoulli",
    "constant",
    "pareto",
]
PARAMS = ["low", "high", "mean", "std", "sigma", "lam", "a", "p", "scale", "value"]
PROVIDERS = [
    "first_name",
    "email",
    "city",
    "random_int",
    "sentence",
    "pystr",
    "__class__",
    "seed_instance",
    "_Generator__config",
    "no_such_provider",
]


@dataclass(frozen=True)
class _Values:
    """The value strategies one config draws from: sane ones, or anything (hostile)."""

    hostile: bool

    def __getattr__(self, name: str) -> st.SearchStrategy[Any]:
        sane, wild = _VALUES[name]
        return wild if self.hostile else sane


_VALUES: dict[str, tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]] = {
    "number": (SANE, NUMBERS),
    "rate": (st.floats(0, 0.5), st.one_of(st.floats(0, 1), NUMBERS)),
    "probability": (PROBABILITY, st.one_of(PROBABILITY, NUMBERS)),
    "round": (st.integers(0, 4), ROUNDS),
    "weights12": (st.lists(st.floats(0.1, 3), min_size=12, max_size=12), weights(12)),
    "weights7": (st.lists(st.floats(0.1, 3), min_size=7, max_size=7), weights(7)),
    "date": (st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)), DATES),
    "dformat": (st.sampled_from(["%Y-%m-%d", "%d/%m/%Y", "%Y%m%d"]), FORMATS),
    "spec": (st.sampled_from(["", "06d", ">8", "^5"]), SPECS),
    "provider": (st.sampled_from(["first_name", "email", "city"]), st.sampled_from(PROVIDERS)),
    "pool": (st.integers(1, 30), st.integers(-1, 30)),
    "kind": (
        st.sampled_from(
            [
                "sequence",
                "int",
                "float",
                "categorical",
                "boolean",
                "date",
                "datetime",
                "faker",
                "template",
                "derived",
                "lookup",
                "conditional",
                "rollup",
            ]
        ),
        st.sampled_from(
            [
                "sequence",
                "int",
                "float",
                "categorical",
                "boolean",
                "date",
                "datetime",
                "faker",
                "template",
                "derived",
                "lookup",
                "conditional",
                "rollup",
                "nonsense",
            ]
        ),
    ),
}


@st.composite
def column(
    draw, own: list[str], parents: list[str], tables: list[str], small: bool, hostile: bool
) -> dict:
    """One column spec of a random kind: sane values, or (``hostile``) anything from sensible
    to hostile."""
    v = _Values(hostile)
    names = own + parents
    kind = draw(v.kind)
    spec: dict[str, Any] = {"kind": kind}
    if kind == "sequence":
        spec |= draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "start": st.integers(-10, 10**16) if hostile else st.integers(0, 100),
                    "step": st.integers(-3, 3) if hostile else st.integers(1, 3),
                    "format": st.one_of(v.spec.map(lambda s: "K{:" + s + "}"), TEXT)
                    if hostile
                    else v.spec.map(lambda s: "K{:" + s + "}"),
                },
            )
        )
    elif kind in ("int", "float"):
        dist = draw(st.sampled_from(DISTS if hostile else DISTS[:-1]))
        own_params = {
            "uniform": ["low", "high"],
            "normal": ["mean", "std"],
            "lognormal": ["mean", "sigma"],
            "exponential": ["scale"],
            "poisson": ["lam"],
            "zipf": ["a"],
            "bernoulli": ["p"],
            "constant": ["value"],
        }.get(dist, [])
        chosen = (
            draw(st.lists(st.sampled_from(PARAMS), max_size=3, unique=True))
            if hostile and draw(st.booleans())
            else own_params
        )
        sane_params = {
            "low": st.just(1),
            "high": st.just(5),
            "a": st.floats(1.5, 3),
            "p": PROBABILITY,
        }
        for name in chosen:
            value = _param(names) if hostile else sane_params.get(name, v.number)
            spec[name] = draw(value)
        spec["distribution"] = dist
        if hostile:
            spec |= draw(
                st.fixed_dictionaries(
                    {}, optional={"min": NUMBERS, "max": NUMBERS, "round": v.round}
                )
            )
        else:
            spec |= draw(st.fixed_dictionaries({}, optional={"round": v.round}))
    elif kind == "categorical":
        values = st.one_of(
            st.lists(TEXT, min_size=1, max_size=4),
            st.dictionaries(TEXT, st.floats(0.1, 5), min_size=1, max_size=4),
        )
        if hostile:
            values = st.one_of(
                values,
                st.lists(st.one_of(TEXT, NUMBERS, st.none(), st.booleans()), max_size=4),
                st.dictionaries(TEXT, NUMBERS, max_size=4),
            )
        spec |= {"values": draw(values)}
        if hostile:
            spec |= draw(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "dtype": st.sampled_from(["string", "int", "float", "bool", "complex"])
                    },
                )
            )
    elif kind == "boolean":
        spec |= {"p": draw(st.one_of(v.probability, _param(names)) if hostile else v.probability)}
    elif kind in ("date", "datetime"):
        spec |= {"start": draw(v.date), "end": draw(v.date)}
        if not hostile and spec["end"] < spec["start"]:
            spec["start"], spec["end"] = spec["end"], spec["start"]
        spec |= draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "format": v.dformat,
                    "seasonality": v.weights12,
                    "weekdays": v.weights7,
                    "after": expressions(names, 2),
                },
            )
        )
    elif kind == "faker":
        spec |= {"provider": draw(v.provider), "pool": draw(v.pool)}
        if hostile:
            spec |= draw(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "args": st.dictionaries(
                            st.sampled_from(["max_chars", "nb_words", "min", "bogus"]),
                            st.one_of(NUMBERS, TEXT),
                            max_size=2,
                        )
                    },
                )
            )
    elif kind == "template":
        fields = st.tuples(st.sampled_from(names or ["x"]), v.spec).map(
            lambda t: "{" + t[0] + (":" + t[1] if t[1] else "") + "}"
        )
        spec |= {"template": "-".join(draw(st.lists(st.one_of(fields, TEXT), max_size=3)))}
    elif kind == "derived":
        spec |= {"expr": draw(expressions(names, 4))}
        spec |= draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "dtype": st.sampled_from(
                        ["int", "float", "bool", "string", "date", "datetime"]
                    ),
                    "round": v.round,
                },
            )
        )
    elif kind == "lookup":
        spec |= {"table": draw(st.sampled_from([*tables, "nowhere"] if hostile else tables))}
        how = draw(st.sampled_from(["popularity", "children", "plain"]))
        if how == "popularity":
            spec |= {
                "popularity": {
                    "distribution": draw(st.sampled_from(["uniform", "zipf"])),
                    "a": draw(NUMBERS if hostile else st.floats(0.5, 3)),
                }
            }
        elif how == "children":
            counts = (
                st.one_of(
                    st.fixed_dictionaries({"count": st.integers(0, 3)}),
                    st.fixed_dictionaries(
                        {
                            "distribution": st.just("poisson"),
                            "lam": st.floats(0, 3),
                            "max": st.integers(0, 5),
                        }
                    ),
                    st.fixed_dictionaries(
                        {"count": expressions(parents, 3).map(lambda e: f"clip({e}, 0, 3)")}
                    ),
                )
                if small
                else st.one_of(
                    st.fixed_dictionaries({"count": st.one_of(NUMBERS, expressions(parents, 3))}),
                    st.fixed_dictionaries(
                        {"distribution": st.sampled_from(DISTS), "lam": NUMBERS, "a": NUMBERS}
                    ),
                    st.fixed_dictionaries(
                        {"counts": st.dictionaries(st.integers(-2, 10**9), NUMBERS, max_size=3)}
                    ),
                )
            )
            spec |= {"children_per_parent": draw(counts)}
    elif kind == "conditional":
        spec |= {
            "on": draw(st.sampled_from(own or ["x"])),
            "cases": {
                draw(TEXT): {"kind": "int", "distribution": "constant", "value": draw(v.number)}
            },
        }
    elif kind == "rollup":
        spec |= {
            "table": draw(st.sampled_from([*tables, "nowhere"])),
            "agg": draw(st.sampled_from(["sum", "count", "mean", "median"])),
        }
    common = st.fixed_dictionaries(
        {}, optional={"null_rate": v.rate, "emit": st.booleans(), "description": TEXT}
    )
    if hostile and draw(st.integers(0, 9)) == 0:
        spec["typo_key"] = draw(st.integers())
    return spec | draw(common)


@st.composite
def configs(draw, small: bool) -> str:
    """tables.yml text: 1-3 tables of 1-5 columns, lookups among them, anomalies. Half the
    configs draw only sane values (so that they get far: resolved, generated), half draw
    anything; ``small`` keeps row counts and children per parent tiny (so the config can be
    generated)."""
    hostile = draw(st.booleans())
    v = _Values(hostile)
    names = draw(st.lists(NAMES, min_size=1, max_size=3, unique=True))
    tables: dict[str, Any] = {}
    for i, name in enumerate(names):
        cols: dict[str, Any] = {"id": {"kind": "sequence"}}
        earlier = names[:i]
        parents = [f"{t}.id" for t in earlier]
        for cname in draw(st.lists(NAMES, max_size=4, unique=True)):
            if cname != "id":
                cols[cname] = draw(column(list(cols), parents, earlier or names, small, hostile))
        rows = st.integers(0, 12) if small else st.one_of(st.integers(0, 50), NUMBERS)
        table: dict[str, Any] = {"domain": "x", "primary_key": "id", "columns": cols}
        if not any(isinstance(c, dict) and "children_per_parent" in c for c in cols.values()):
            table["rows"] = draw(rows)
        tables[name] = table
    doc: dict[str, Any] = {"version": 1, "tables": tables}
    if draw(st.booleans()):
        doc["defaults"] = {"chunk_size": draw(st.integers(1, 8) if small else NUMBERS)}
    if draw(st.booleans()):
        kinds = [
            "null_burst",
            "duplicate_rows",
            "outliers",
            "orphan_fk",
            "format_drift",
            "late_arriving",
        ] + (["meteor"] if hostile else [])
        doc["anomalies"] = [
            {
                "kind": draw(st.sampled_from(kinds)),
                "table": draw(st.sampled_from(names)),
                "column": draw(st.sampled_from([*tables[names[0]]["columns"]][1:] or ["id"])),
                "rate": draw(v.rate.filter(lambda r: r != 0) if not hostile else v.rate),
            }
            for _ in range(draw(st.integers(1, 2)))
        ]
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def yaml_values() -> st.SearchStrategy[Any]:
    """Any YAML value at all: what a file that is not a config at all gives the loader."""
    scalars = st.one_of(st.none(), st.booleans(), NUMBERS, TEXT, DATES)
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(
                st.one_of(TEXT, st.sampled_from(["tables", "columns", "kind"])), inner, max_size=4
            ),
        ),
        max_leaves=20,
    ).map(lambda v: {"tables": v} if isinstance(v, dict) and len(v) % 2 else v)


MUTANTS = [
    "nan",
    ".inf",
    "-1",
    "0",
    "1e15",
    "''",
    "2005-02-30",
    "[]",
    "{}",
    "*a",
    "&a x",
    "'%0999999999Y'",
    "10**10**10",
    "null",
    '"__class__"',
    "99999999999999999999",
]


@st.composite
def mutations(draw) -> str:
    """The tiny config (tests/configs/tiny) with one to three scalars replaced by hostile
    values, keys duplicated or lines dropped: near-misses of a real config."""
    lines = TINY.read_text().splitlines()
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        line = lines[i]
        how = draw(st.sampled_from(["value", "duplicate", "drop"]))
        if how == "duplicate":
            lines.insert(i, line)
        elif how == "drop":
            del lines[i]
        elif ":" in line:
            key = line.split(":", 1)[0]
            lines[i] = f"{key}: {draw(st.sampled_from(MUTANTS))}"
        if not lines:
            break
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- checks


class ConvertingSink(Sink):
    """Takes every chunk as the writers do, encoded to Parquet in its declared types (by the
    engine's tasks), decodes it and keeps nothing: generation and encoding are exercised
    without writing files."""

    formats = ("parquet",)

    def __init__(self) -> None:
        self.types: dict[str, tuple[dict[str, str], dict[str, str] | None]] = {}
        self.rows = 0

    def begin(self, table: str, types: dict[str, str], dirty_types: dict[str, str] | None) -> None:
        self.types[table] = (types, dirty_types)

    def append(self, table: str, pieces: dict[tuple[str, str], bytes]) -> None:
        for (folder, _fmt), piece in pieces.items():
            frame = decode_parquet(piece)
            if folder == DATA:
                self.rows += len(frame)

    def write(self, table: str, frame: pd.DataFrame, dirty: pd.DataFrame | None) -> None:
        types, dirty_types = self.types[table]
        to_arrow(frame, types)
        if dirty is not None and dirty_types is not None:
            to_arrow(dirty, dirty_types)
        self.rows += len(frame)


def _project(folder: Path, tables_yml: str):
    (folder / "tables.yml").write_text(tables_yml, encoding="utf-8")
    return load_project(folder)


def check_resolves(folder: Path, tables_yml: str) -> str:
    """Load and resolve only."""
    try:
        resolve_plan(_project(folder, tables_yml))
    except InputError:
        return "input error"
    return "resolved"


def check_generates(folder: Path, tables_yml: str) -> str:
    """Load, resolve and generate every table (a few rows) through the Arrow conversion."""
    try:
        plan = resolve_plan(_project(folder, tables_yml))
    except InputError:
        return "input error"
    try:
        Engine(plan, workers=1, progress=False).run(ConvertingSink())
    except InputError:
        return "input error while generating"
    return "generated"


def check_estimates(folder: Path, tables_yml: str) -> str:
    """Load, resolve and estimate (the pilot is bounded whatever the sizes asked for)."""
    try:
        plan = resolve_plan(_project(folder, tables_yml))
    except InputError:
        return "input error"
    estimate = estimate_generate(plan, ["parquet"], etl=False)
    return "estimated (lower bound)" if estimate.lower_bound else "estimated"


ENV = {
    "qty": pd.Series([1, 2, 0, 5, 3]),
    "price": pd.Series([10.0, 0.0, np.nan, -2.5, 1e300]),
    "name": pd.Series(["ann", "", "bob", None, "x" * 50], dtype=object),
    "d": pd.Series(pd.to_datetime(["2021-01-31", "2020-02-29", None, "2023-12-31", "1999-01-01"])),
    "flag": pd.Series([True, False, True, False, True]),
}


def check_expression(_folder: Path, text: str) -> str:
    """Parse and evaluate over five rows of every type."""
    try:
        result = evaluate(text, ENV, 5)
    except InputError:
        return "expression error"
    assert len(result) == 5
    return "evaluated"


@dataclass(frozen=True)
class FuzzStrategy:
    """One strategy of the suite: what it makes, how many examples a CI run tries, the check."""

    name: str
    description: str
    examples: int
    strategy: Callable[[], st.SearchStrategy[str]]
    check: Callable[[Path, str], str]


STRATEGIES: list[FuzzStrategy] = [
    FuzzStrategy(
        "expressions",
        "random expressions (literals up to 10**10**10, every operator, every function at any "
        "arity, conditionals, syntax noise) evaluated over five rows of int, float (0, NaN, "
        "1e300), text, date and bool columns",
        400,
        lambda: expressions(list(ENV)),
        check_expression,
    ),
    FuzzStrategy(
        "yaml values",
        "any YAML value as tables.yml (nested lists and mappings of text, numbers with NaN and "
        "infinity, dates, booleans, nulls): load and resolve",
        200,
        lambda: yaml_values().map(lambda v: yaml.safe_dump(v, allow_unicode=True)),
        check_resolves,
    ),
    FuzzStrategy(
        "configs to resolve",
        "random configs (1-3 tables, every column kind with sensible to hostile values: NaN, "
        "infinity, 10**30, negative, reversed ranges, unknown providers and distributions, "
        "random expressions, lookups to missing tables, anomalies): load and resolve",
        250,
        lambda: configs(small=False),
        check_resolves,
    ),
    FuzzStrategy(
        "configs to generate",
        "random configs with tiny row counts and children per parent, hostile everything else: "
        "load, resolve, generate every table and convert it to Arrow as the writers do",
        200,
        lambda: configs(small=True),
        check_generates,
    ),
    FuzzStrategy(
        "configs to estimate",
        "random configs with any row counts (up to 10**30) and children per parent (numbers, "
        "distributions, expressions): load, resolve and estimate the run's size",
        40,
        lambda: configs(small=False),
        check_estimates,
    ),
    FuzzStrategy(
        "mutated tiny config",
        "tests/configs/tiny/tables.yml with one to three lines changed to hostile values "
        "(NaN, 2005-02-30, aliases, 10**10**10, __class__), duplicated or dropped: load and "
        "resolve",
        150,
        mutations,
        check_resolves,
    ),
]
