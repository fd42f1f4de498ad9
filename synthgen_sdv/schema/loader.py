"""Load configs/*.yml into typed models, collecting every problem with its YAML path and line.

Validation is done per table and per column, so one typo does not hide the other problems:
whatever validates goes on to the cross-checks in ``resolve_plan``, and all problems are
raised together in one ``ConfigError``.
"""

from __future__ import annotations

import difflib
import types
import typing
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from synthgen_sdv.anomalies import ANOMALIES
from synthgen_sdv.core.errors import ConfigError, Problem
from synthgen_sdv.core.names import column_name_problem, table_name_problem
from synthgen_sdv.kinds import KINDS, ColumnSpec
from synthgen_sdv.schema.models import AnomalySpec, Defaults, RunConfig, TableSpec, TablesSpec
from synthgen_sdv.schema.yamlio import LineMap, format_loc, line_for, load_yaml

DEFAULT_CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs"
TABLES_FILE, LINEAGE_FILE, RUN_FILE = "tables.yml", "lineage.yml", "config.yaml"

_COLUMN = TypeAdapter(ColumnSpec)
_ANOMALY = TypeAdapter(AnomalySpec)


@dataclass(frozen=True)
class LoadedConfig:
    """The validated configuration, with what the plan needs to point at lines in files."""

    tables: TablesSpec
    run: RunConfig
    config_dir: Path
    tables_lines: LineMap
    invalid_tables: frozenset[str]
    invalid_columns: frozenset[tuple[str, str]]
    problems: tuple[Problem, ...]
    lineage: Any = None

    @contextmanager
    def located(self) -> Iterator[None]:
        """Problems found while the config runs (a per-row expression, a parameter out of
        range: raised by the engine with a YAML path only) get tables.yml's file and line."""
        try:
            yield
        except ConfigError as exc:
            if all(p.file for p in exc.problems):
                raise
            raise ConfigError([self._locate(p) for p in exc.problems]) from None

    def _locate(self, problem: Problem) -> Problem:
        if problem.file or not problem.path.startswith(("tables.", "anomalies")):
            return problem
        loc = tuple(problem.path.replace("[", ".").replace("]", "").split("."))
        return Problem(
            problem.path,
            problem.message,
            line_for(self.tables_lines, loc),
            str(self.config_dir / TABLES_FILE),
        )

    def problem(self, loc: tuple[Any, ...], message: str) -> Problem:
        """A problem at a YAML path of tables.yml, with its file and line."""
        return Problem(
            path=format_loc(loc),
            message=message,
            file=str(self.config_dir / TABLES_FILE),
            line=line_for(self.tables_lines, loc),
        )


def default_config_dir() -> Path:
    """The built-in configs/ of a source checkout, else ./configs."""
    if DEFAULT_CONFIG_DIR.is_dir():
        return DEFAULT_CONFIG_DIR
    return Path.cwd() / "configs"


def load_config(config_dir: Path | None = None) -> LoadedConfig:
    """Read tables.yml and config.yaml (``runs.config.load_project`` adds lineage.yml)."""
    config_dir = Path(config_dir) if config_dir else default_config_dir()
    if not config_dir.is_dir():
        raise ConfigError(
            [Problem(path="(config dir)", message="folder not found", file=str(config_dir))]
        )
    problems: list[Problem] = []
    tables_path = config_dir / TABLES_FILE
    raw, lines = load_yaml(tables_path)
    tables, invalid_tables, invalid_columns = _tables_spec(raw, lines, tables_path, problems)

    run_path = config_dir / RUN_FILE
    run = RunConfig()
    if run_path.exists():
        raw_run, run_lines = load_yaml(run_path)
        try:
            run = RunConfig.model_validate(raw_run or {})
        except ValidationError as exc:
            problems += _problems(exc, (), RunConfig, raw_run, run_lines, run_path)
    loaded = LoadedConfig(
        tables,
        run,
        config_dir,
        lines,
        frozenset(invalid_tables),
        frozenset(invalid_columns),
        tuple(problems),
    )
    return loaded


def _tables_spec(raw: Any, lines: LineMap, path: Path, problems: list[Problem]):
    invalid_tables: set[str] = set()
    invalid_columns: set[tuple[str, str]] = set()
    if not isinstance(raw, dict):
        problems.append(Problem("(top)", "must be a mapping with a 'tables' key", file=str(path)))
        return TablesSpec(tables={}), invalid_tables, invalid_columns
    top = {k: v for k, v in raw.items() if k not in ("tables", "anomalies")}
    try:
        head = TablesSpec.model_validate({**top, "tables": {}})
    except ValidationError as exc:
        problems += _problems(exc, (), TablesSpec, raw, lines, path)
        head = TablesSpec(tables={}, defaults=Defaults())
    tables: dict[str, TableSpec] = {}
    raw_tables = raw.get("tables")
    if not isinstance(raw_tables, dict) or not raw_tables:
        problems.append(
            Problem(
                "tables",
                "needs a mapping of table name -> table",
                file=str(path),
                line=line_for(lines, ("tables",)),
            )
        )
        raw_tables = {}
    for name, raw_table in raw_tables.items():
        table = _table(name, raw_table, lines, path, problems, invalid_columns)
        if table is None:
            invalid_tables.add(str(name))
        else:
            tables[str(name)] = table
    problems += _collisions(list(raw_tables), ("tables",), "table", lines, path)
    anomalies = []
    for i, raw_anomaly in enumerate(raw.get("anomalies") or []):
        try:
            anomalies.append(_ANOMALY.validate_python(raw_anomaly))
        except ValidationError as exc:
            problems += _problems(exc, ("anomalies", i), None, raw_anomaly, lines, path)
    spec = TablesSpec(
        version=head.version, defaults=head.defaults, tables=tables, anomalies=anomalies
    )
    return spec, invalid_tables, invalid_columns


def _collisions(names: list[Any], loc: tuple[str, ...], what: str, lines, path) -> list[Problem]:
    """Names that differ only in case or Unicode form ('Orders' and 'orders', 'café' composed
    and decomposed): one file on Windows and macOS, one identifier in SQL."""
    seen: dict[str, str] = {}
    out = []
    for name in map(str, names):
        key = unicodedata.normalize("NFC", name).casefold()
        if key in seen:
            at = (*loc, name)
            out.append(
                Problem(
                    format_loc(at),
                    f"{what} name {name!r} differs from {seen[key]!r} only in case or Unicode "
                    "form; they would be one file on Windows and macOS and one SQL identifier",
                    file=str(path),
                    line=line_for(lines, at),
                )
            )
        else:
            seen[key] = name
    return out


def _not_text_hint(name: Any) -> str:
    """A YAML key that is not text (``yes``, ``~``, ``123``, a date) was read as a value."""
    if isinstance(name, str):
        return ""
    return " (YAML read the unquoted key as a value; quote the name: 'yes', '123')"


def _table(name, raw_table, lines, path, problems, invalid_columns) -> TableSpec | None:
    loc = ("tables", str(name))
    bad_name = table_name_problem(name)  # a table name becomes a file name: core.names
    if bad_name:
        bad_name += _not_text_hint(name)
        line = line_for(lines, loc)
        problems.append(Problem(format_loc(loc), bad_name, file=str(path), line=line))
        return None
    name = str(name)
    if not isinstance(raw_table, dict):
        problems.append(
            Problem(format_loc(loc), "must be a mapping", file=str(path), line=line_for(lines, loc))
        )
        return None
    columns: dict[str, Any] = {}
    raw_columns = raw_table.get("columns")
    if isinstance(raw_columns, dict):
        problems += _collisions(list(raw_columns), (*loc, "columns"), "column", lines, path)
        for col, raw_col in raw_columns.items():
            bad_name = column_name_problem(col)
            if bad_name:
                bad_name += _not_text_hint(col)
                at = (*loc, "columns", str(col))
                problems.append(
                    Problem(format_loc(at), bad_name, file=str(path), line=line_for(lines, at))
                )
                invalid_columns.add((name, str(col)))
                continue
            try:
                columns[str(col)] = _COLUMN.validate_python(raw_col)
            except ValidationError as exc:
                problems += _problems(exc, (*loc, "columns", str(col)), None, raw_col, lines, path)
                invalid_columns.add((name, str(col)))
    try:
        return TableSpec.model_validate({**raw_table, "columns": columns or raw_columns})
    except ValidationError as exc:
        problems += _problems(exc, loc, TableSpec, raw_table, lines, path)
        return None


def validation_problems(
    exc: ValidationError,
    prefix: tuple[Any, ...],
    model: type[BaseModel] | None,
    raw: Any,
    lines: LineMap,
    path: Path,
) -> list[Problem]:
    """A pydantic error as Problems with YAML path, line and a 'did you mean' hint, so any
    strict config model read from YAML (not only tables.yml) reports errors the same way."""
    out = []
    for err in exc.errors():
        loc = _strip_tags(tuple(err["loc"]), raw)
        key = getattr(err.get("ctx", {}).get("error"), "key", None)  # core.strict.KeyProblem
        if key is not None:
            loc = (*loc, key)
        full = (*prefix, *loc)
        out.append(
            Problem(
                path=format_loc(full) or "(top)",
                message=_message(err, loc, model, raw),
                file=str(path),
                line=line_for(lines, full),
            )
        )
    return out


_problems = validation_problems  # the name used before it was public


def _strip_tags(loc: tuple[Any, ...], raw: Any) -> tuple[Any, ...]:
    """Drop pydantic's union tags ('int', 'function-after[...]') from an error location."""
    out: list[Any] = []
    node = raw
    for part in loc:
        if (
            isinstance(node, dict)
            and part not in node
            and (node.get("kind") == part or str(part).startswith("function-"))
        ):
            continue
        out.append(part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            node = None
    return tuple(out)


def _message(
    err: ErrorDetails, loc: tuple[Any, ...], model: type[BaseModel] | None, raw: Any
) -> str:
    """One validation error in the config's words: allowed keys, known kinds, the bad value."""
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1], raw)
        key = str(loc[-1]) if loc else "?"
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"unknown key '{key}'; allowed: {', '.join(sorted(allowed))}{hint}"
    if kind == "union_tag_invalid":
        tag = err.get("ctx", {}).get("tag")
        registry = ANOMALIES if tag not in KINDS and _is_anomaly(loc, raw) else KINDS
        return registry.unknown_message(str(tag))
    if kind == "union_tag_not_found":
        return f"missing 'kind'; known kinds: {', '.join(KINDS)}"
    if kind == "missing":
        return "required key is missing"
    msg = err["msg"].removeprefix("Value error, ")
    if "input" in err and not isinstance(err["input"], dict | list):
        msg += f" (got {err['input']!r})"
    return msg


def _is_anomaly(loc, raw) -> bool:
    return isinstance(raw, dict) and "table" in raw and "columns" not in raw


def _allowed_keys(model: type[BaseModel] | None, loc: tuple[Any, ...], raw: Any) -> list[str]:
    """The field names of the model at ``loc`` (for 'did you mean' on unknown keys)."""
    node = raw
    for part in loc:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict) and isinstance(node.get("kind"), str):
        for registry in (KINDS, ANOMALIES):
            if node["kind"] in registry and (model is None or not loc or len(loc) > 0):
                cls = registry.get(node["kind"])
                if model is None and not loc and registry is ANOMALIES and "table" not in node:
                    continue
                return list(cls.model_fields)
    current = model
    for part in loc:
        if current is None:
            return []
        field = current.model_fields.get(str(part))
        current = _model_of(field.annotation) if field else None
    return list(current.model_fields) if current else []


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        for arg in typing.get_args(annotation):
            found = _model_of(arg)
            if found:
                return found
    return None
