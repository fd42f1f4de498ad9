"""Infer a tables.yml from data: the rule-based baseline a careful engineer writes from a profile.

Each column gets its own marginal (fitted distribution, category weights, date range with month
and weekday weights, null rate) and each relationship its children-per-parent counts; nothing
else. No cross-column dependency is inferred: that is exactly what makes it a baseline for
synthesizers that learn joint distributions.

``infer_config`` returns the typed config (``TablesSpec``, ``RunConfig``; ``loaded()`` gives what
``resolve_plan`` takes), validated in memory, so the baseline is generated without a YAML
round trip through disk. ``yaml_files`` renders it as the tables.yml and config.yaml that
``infer-config`` writes (``runs.baseline.write_inferred`` writes them).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from pydantic import ValidationError

from synthgen_sdv.core.errors import ConfigError
from synthgen_sdv.kinds.faker_kind import has_provider
from synthgen_sdv.schema.infer_links import DERIVED, DRIVER, VALUES, Link, choose_links
from synthgen_sdv.schema.loader import RUN_FILE, TABLES_FILE, LoadedConfig, validation_problems
from synthgen_sdv.schema.models import RunConfig, TablesSpec
from synthgen_sdv.schema.yamlio import line_map

MAX_CATEGORIES = 200
TABLES_HEADER = "# Inferred by synthgen_sdv infer-config: per-column marginals, no dependencies.\n"
#: where problems of a config that exists only in memory point
IN_MEMORY = Path("(inferred)")


@dataclass(frozen=True)
class InferredConfig:
    """The inferred baseline: typed (what the engine runs) and as the documents a person reads
    and edits. The documents keep the order in which things were inferred (key, then columns in
    table order, each column's kind first), which the models' field order would not."""

    tables: TablesSpec
    run: RunConfig
    tables_doc: dict[str, Any]
    run_doc: dict[str, Any]

    def loaded(self, config_dir: Path | None = None) -> LoadedConfig:
        """The config as ``resolve_plan`` takes it; a problem it finds names the line in
        ``config_dir``/tables.yml (where ``yaml_files`` were written, if they were)."""
        return LoadedConfig(
            tables=self.tables,
            run=self.run,
            config_dir=Path(config_dir) if config_dir else IN_MEMORY,
            tables_lines=line_map(self._texts[TABLES_FILE]),
            invalid_tables=frozenset(),
            invalid_columns=frozenset(),
            problems=(),
        )

    def yaml_files(self) -> dict[str, str]:
        """{file name: text} of tables.yml and config.yaml, as ``infer-config`` writes them."""
        return dict(self._texts)

    @cached_property
    def _texts(self) -> dict[str, str]:
        return {
            TABLES_FILE: TABLES_HEADER
            + yaml.safe_dump(self.tables_doc, sort_keys=False, allow_unicode=True),
            RUN_FILE: yaml.safe_dump(self.run_doc, sort_keys=False),
        }


def infer_config(
    tables: dict[str, pd.DataFrame],
    metadata: dict[str, Any],
    seed: int = 0,
    domain: str = "inferred",
) -> InferredConfig:
    """Profile ``tables`` (described by SDV ``metadata``) into a typed config whose config.yaml
    generates exactly the inferred sizes with ``seed``. A profile the models refuse is our bug,
    reported as a ``ConfigError`` with the YAML path of each problem."""
    tables_doc = infer_tables_config(tables, metadata, domain)
    run_doc = run_config(tables_doc, seed)
    problems = []
    try:
        tables_spec = TablesSpec.model_validate(tables_doc)
    except ValidationError as exc:
        path = IN_MEMORY / TABLES_FILE
        problems += validation_problems(exc, (), TablesSpec, tables_doc, {}, path)
    try:
        run = RunConfig.model_validate(run_doc)
    except ValidationError as exc:
        problems += validation_problems(exc, (), RunConfig, run_doc, {}, IN_MEMORY / RUN_FILE)
    if problems:
        raise ConfigError(problems)
    return InferredConfig(tables_spec, run, tables_doc, run_doc)


def run_config(tables_doc: dict[str, Any], seed: int = 0) -> dict[str, Any]:
    """The config.yaml document: scale 1 and ``seed``, so the inferred sizes come out as seen."""
    return {
        "version": 1,
        "seed": seed,
        "scale": 1.0,
        "output": {"dir": "output", "formats": ["parquet"]},
        "synthesis": {"model": "hma", "tables": list(tables_doc["tables"])},
    }


def infer_tables_config(
    tables: dict[str, pd.DataFrame], metadata: dict[str, Any], domain: str = "inferred"
) -> dict[str, Any]:
    """A tables.yml document (as a dict) reproducing each column's marginal distribution."""
    choice = choose_links(tables, metadata)
    out: dict[str, Any] = {}
    for name, tmeta in metadata["tables"].items():
        if name not in tables:
            continue
        df = tables[name]
        pk = tmeta.get("primary_key")
        driver = choice.driver.get(name)
        columns: dict[str, Any] = {}
        for col, cmeta in tmeta["columns"].items():
            if col not in df:
                continue
            s = df[col]
            link = choice.link(name, col)
            if col == pk and (link is None or link.how != DRIVER):
                columns[col] = _key(s)
            elif link is not None:
                columns[col] = _foreign_key(link, s, tables)
            else:
                columns[col] = _nulls(_column(s, cmeta), s)
        table: dict[str, Any] = {
            "domain": domain,
            "description": f"inferred from {len(df)} rows",
            "primary_key": pk or _add_key(columns),
        }
        if driver is None:
            table["rows"] = len(df)
        table["columns"] = columns
        out[name] = table
    return {"version": 1, "defaults": {"chunk_size": 10000, "locale": "en_US"}, "tables": out}


def _foreign_key(link: Link, s: pd.Series, tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """The spec of one foreign key, generated as ``choose_links`` decided."""
    if link.how == DRIVER:
        parent_keys = tables[link.parent][link.parent_key]
        return {
            "kind": "lookup",
            "table": link.parent,
            "column": link.parent_key,
            "children_per_parent": {"counts": _children_counts(s, parent_keys)},
        }
    if link.how == DERIVED:
        return {
            "kind": "derived",
            "expr": link.expr,
            "references": f"{link.parent}.{link.parent_key}",
        }
    if link.how == VALUES:
        return _nulls(_key_values(s), s)
    spec: dict[str, Any] = {"kind": "lookup", "table": link.parent, "column": link.parent_key}
    spec["popularity"] = {"distribution": "uniform"}
    return _nulls(spec, s)


def _key_values(s: pd.Series) -> dict[str, Any]:
    """A key the engine cannot look up (its own table, a table not in the data): its values."""
    values = s.dropna()
    if values.empty:
        return {"kind": "categorical", "values": [""], "null_rate": 1.0}
    if _integer_like(values):
        if values.is_unique and len(values) == len(s):
            return {"kind": "sequence", "start": int(values.min())}
        freq = values.astype("int64").value_counts(normalize=True).head(MAX_CATEGORIES)
        return {
            "kind": "categorical",
            "dtype": "int",
            "values": {int(k): round(float(v), 6) for k, v in freq.items()},
        }
    return _categories(values)


def _integer_like(values: pd.Series) -> bool:
    return pd.api.types.is_integer_dtype(values.dtype) or (
        pd.api.types.is_float_dtype(values.dtype) and bool((values == values.round()).all())
    )


def _add_key(columns: dict[str, Any]) -> str:
    columns["_row_id"] = {"kind": "sequence", "description": "added: the table had no key"}
    return "_row_id"


def _key(s: pd.Series) -> dict[str, Any]:
    if pd.api.types.is_integer_dtype(s.dtype):
        return {"kind": "sequence", "start": int(s.min()) if len(s) else 1}
    text = s.astype(str)
    match = text.str.extract(r"^(\D*)(\d+)$")
    if len(text) and match.notna().all().all() and match[0].nunique() == 1:
        width = int(match[1].str.len().max())
        return {"kind": "sequence", "format": f"{match[0].iloc[0]}{{:0{width}d}}"}
    return {"kind": "sequence", "format": "K{:06d}"}


def _children_counts(child_fk: pd.Series, parent_keys: pd.Series) -> dict[int, float]:
    counts = child_fk.value_counts().reindex(parent_keys, fill_value=0)
    freq = counts.value_counts(normalize=True).sort_index()
    return {int(k): round(float(v), 6) for k, v in freq.items()}


def _nulls(spec: dict[str, Any], s: pd.Series) -> dict[str, Any]:
    rate = float(s.isna().mean())
    if rate > 0:
        spec["null_rate"] = round(rate, 6)
    return spec


def _column(s: pd.Series, cmeta: dict[str, Any]) -> dict[str, Any]:
    sdtype = cmeta.get("sdtype", "categorical")
    values = s.dropna()
    if sdtype == "datetime":
        return _dates(pd.to_datetime(values, format=cmeta.get("datetime_format"), errors="coerce"))
    if sdtype == "numerical" and len(values):
        integer = pd.api.types.is_integer_dtype(s.dtype)
        return _numbers(pd.to_numeric(values, errors="coerce").dropna(), integer)
    if sdtype == "boolean":
        return {"kind": "boolean", "p": round(float(values.astype(bool).mean()), 6)}
    if sdtype not in ("categorical", "id") and has_provider(sdtype, "en_US"):
        return {"kind": "faker", "provider": sdtype, "pii": True}
    if sdtype == "id" and _integer_like(values):
        return _key_values(s)  # a key of its own table, or of one not in the data
    if sdtype == "id":
        return {"kind": "faker", "provider": "uuid4"}
    return _categories(values)


def _categories(values: pd.Series) -> dict[str, Any]:
    freq = values.astype(str).value_counts(normalize=True).head(MAX_CATEGORIES)
    if freq.empty:
        return {"kind": "categorical", "values": [""], "null_rate": 1.0}
    return {"kind": "categorical", "values": {k: round(float(v), 6) for k, v in freq.items()}}


def _numbers(x: pd.Series, is_int: bool) -> dict[str, Any]:
    """A fitted distribution; the column keeps its integer or float type."""
    if x.nunique() <= 30:  # few distinct values (counts, price points): keep them exactly
        freq = x.value_counts(normalize=True).sort_index()
        cast = int if is_int else float
        return {
            "kind": "categorical",
            "dtype": "int" if is_int else "float",
            "values": {cast(k): round(float(v), 6) for k, v in freq.items()},
        }
    spec: dict[str, Any] = {
        "kind": "int" if is_int else "float",
        "min": float(x.min()),
        "max": float(x.max()),
    }
    if x.min() > 0 and x.skew() > 1:
        logs = np.log(x)
        spec.update(
            distribution="lognormal",
            mean=round(float(logs.mean()), 6),
            sigma=round(float(max(logs.std(), 1e-6)), 6),
        )
    else:
        spec.update(
            distribution="normal",
            mean=round(float(x.mean()), 6),
            std=round(float(max(x.std(), 1e-6)), 6),
        )
    if not is_int:
        spec["round"] = _decimals(x)
    return spec


def _decimals(x: pd.Series) -> int:
    for d in range(0, 5):
        if np.allclose(x, np.round(x, d)):
            return d
    return 6


def _dates(d: pd.Series) -> dict[str, Any]:
    d = d.dropna()
    if d.empty:
        return {"kind": "date", "start": "2000-01-01", "end": "2000-01-01", "null_rate": 1.0}
    has_time = bool((d != d.dt.normalize()).any())
    months = d.dt.month.value_counts().reindex(range(1, 13), fill_value=0)
    weekdays = d.dt.weekday.value_counts().reindex(range(7), fill_value=0)
    spec: dict[str, Any] = {
        "kind": "datetime" if has_time else "date",
        "start": d.min().date().isoformat(),
        "end": d.max().date().isoformat(),
        "seasonality": _weights(months),
        "weekdays": _weights(weekdays),
    }
    if has_time:
        spec["hours"] = _weights(d.dt.hour.value_counts().reindex(range(24), fill_value=0))
    return spec


def _weights(counts: pd.Series) -> list[float]:
    total = counts.sum()
    return [round(float(c) / float(total) * len(counts), 4) if total else 1.0 for c in counts]
