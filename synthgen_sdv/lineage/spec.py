"""Loads ``lineage.yml`` into its strict models (``models``), reporting every problem at once.

Beyond the models' own checks it cross-checks tables against the generated ones and each step's
``params`` and ``fault_params`` against its operation and fault plug-ins.
"""

from __future__ import annotations

import difflib
import graphlib
from collections.abc import Iterable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from synthgen_sdv.core.errors import ConfigError, InputError, Problem
from synthgen_sdv.lineage.faults import FAULTS
from synthgen_sdv.lineage.models import LAYERS, NORMAL, LineageSpec, SourceSystem, Step
from synthgen_sdv.lineage.operations import OPERATIONS
from synthgen_sdv.lineage.workspace import check_select
from synthgen_sdv.schema.yamlio import parse_yaml, read_config_text

# The models are importable from here too, as before the loader was split from them.
__all__ = [
    "LAYERS",
    "NORMAL",
    "LineageSpec",
    "SourceSystem",
    "Step",
    "default_lineage_path",
    "load_lineage_spec",
    "parse_lineage_spec",
]


# --------------------------------------------------------------------------- YAML with lines
def _line_map(text: str) -> dict[tuple, int]:
    """Map each YAML path (tuple of keys / indexes) to the 1-based line where it starts."""
    lines: dict[tuple, int] = {}

    def walk(node: yaml.Node, path: tuple) -> None:
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value
                lines[(*path, key)] = key_node.start_mark.line + 1
                walk(value_node, (*path, key))
                lines[(*path, key)] = key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i))

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is not None:
        walk(root, ())
    return lines


def format_path(loc: Iterable[Any]) -> str:
    """A location as users read it in the YAML: ``steps[3].fault_params.fraction``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class _Problems:
    """Collects problems with their YAML line numbers."""

    def __init__(self, file: str | None, lines: dict[tuple, int]):
        self.file = file
        self.lines = lines
        self.items: list[Problem] = []

    def add(self, loc: tuple, message: str) -> None:
        line = None
        for n in range(len(loc), -1, -1):
            if loc[:n] in self.lines:
                line = self.lines[loc[:n]]
                break
        self.items.append(
            Problem(path=format_path(loc), message=message, file=self.file, line=line)
        )

    def add_validation(self, prefix: tuple, exc: ValidationError, model: type[BaseModel]) -> None:
        for err in exc.errors():
            loc = (*prefix, *err["loc"])
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = unknown_key_message(str(err["loc"][-1]), _model_at(model, err["loc"][:-1]))
            self.add(loc, msg)


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The nested model a validation error location points into (for listing allowed keys)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        field = current.model_fields.get(part) if hasattr(current, "model_fields") else None
        if field is None:
            return None
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        candidates = [ann, *args]
        current = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if current is None:
            for c in args:
                inner = getattr(c, "__args__", ())
                current = next(
                    (x for x in inner if isinstance(x, type) and issubclass(x, BaseModel)), None
                )
                if current:
                    break
    return current


def unknown_key_message(key: str, model: type[BaseModel] | None) -> str:
    """An unknown key's message lists the keys allowed there, so a typo is fixed in one go."""
    if model is None:
        return f"unknown key '{key}'"
    allowed = list(model.model_fields)
    return f"unknown key '{key}'; allowed: {', '.join(allowed)}" + closest(key, allowed)


def closest(name: str, options: Iterable[str]) -> str:
    """A "did you mean" hint for the closest option, or nothing when none is close."""
    close = difflib.get_close_matches(name, list(options), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


# --------------------------------------------------------------------------- loading
def parse_lineage_spec(
    data: Any,
    table_names: Iterable[str],
    *,
    file: str | None = None,
    lines: dict[tuple, int] | None = None,
) -> LineageSpec:
    """Validate an already parsed document; raises ConfigError listing every problem."""
    problems = _Problems(file, lines or {})
    tables = set(table_names)
    if not isinstance(data, dict):
        problems.add((), "the lineage file must be a mapping with version, sources and steps")
        raise ConfigError(problems.items)

    # Validate each step on its own so one bad step does not hide the others' problems.
    raw_steps = data.get("steps")
    good: list[tuple[int, Step]] = []
    # The table-level shape of every step, valid or not, so cross-checks still see it.
    shapes: list[tuple[int, SimpleNamespace]] = []
    if isinstance(raw_steps, list):
        for i, raw in enumerate(raw_steps):
            try:
                good.append((i, Step.model_validate(raw)))
            except ValidationError as exc:
                problems.add_validation(("steps", i), exc, Step)
            shape = _shape(raw)
            if shape is not None:
                shapes.append((i, shape))
    good_steps = [s for _, s in good]
    top = {k: v for k, v in data.items() if k != "steps"}
    top["steps"] = [s.model_dump() for s in good_steps] or (raw_steps if raw_steps else [])
    spec: LineageSpec | None = None
    try:
        spec = LineageSpec.model_validate(top)
    except ValidationError as exc:
        for err in exc.errors():
            if err["loc"] and err["loc"][0] == "steps" and good_steps:
                continue
            loc = tuple(err["loc"])
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = unknown_key_message(str(loc[-1]), _model_at(LineageSpec, loc[:-1]))
            problems.add(loc, msg)

    sources = data.get("sources") if isinstance(data.get("sources"), dict) else {}
    source_tables: dict[str, str] = {}
    for sys_name, system in sources.items():
        for j, table in enumerate((system or {}).get("tables", []) or []):
            if table not in tables:
                problems.add(
                    ("sources", sys_name, "tables", j),
                    f"unknown table '{table}'; generated tables are: {', '.join(sorted(tables))}"
                    + closest(str(table), tables),
                )
            if table in source_tables:
                problems.add(
                    ("sources", sys_name, "tables", j),
                    f"table '{table}' is already extracted from system '{source_tables[table]}'",
                )
            source_tables[table] = sys_name

    seen_ids: dict[str, int] = {}
    produced: dict[str, str] = {}
    for i, step in shapes:
        if step.id in seen_ids:
            problems.add(("steps", i, "id"), f"duplicate step id '{step.id}'")
        seen_ids.setdefault(step.id, i)
        for j, out in enumerate(step.outputs):
            if out in produced:
                problems.add(
                    ("steps", i, "outputs", j),
                    f"output '{out}' is already written by step '{produced[out]}'; "
                    "each table has one producer",
                )
            elif out in tables:
                problems.add(
                    ("steps", i, "outputs", j),
                    f"output '{out}' would overwrite the generated source table '{out}'",
                )
            else:
                produced[out] = step.id
    known = set(source_tables) | set(produced)
    for i, shape in shapes:
        for j, inp in enumerate(shape.inputs):
            if inp not in known:
                hint = closest(inp, known)
                where = "not a source table nor the output of any step"
                if inp in tables:
                    where = "a generated table that no source system lists under sources"
                problems.add(
                    ("steps", i, "inputs", j), f"unknown input table '{inp}': {where}{hint}"
                )
    for i, step in good:
        _check_operation_and_label(problems, i, step)

    # Cycles: graphlib names the tables on the cycle.
    graph = {out: set(shape.inputs) for _, shape in shapes for out in shape.outputs}
    position = {shape.id: i for i, shape in shapes}
    try:
        list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        cycle = exc.args[1]
        first = produced.get(cycle[-1])
        problems.add(
            ("steps", position[first]) if first else ("steps",),
            f"the steps form a cycle: {' -> '.join(cycle)}",
        )
    else:
        # Steps must be written so that each reads only what earlier steps wrote.
        for i, shape in shapes:
            for j, inp in enumerate(shape.inputs):
                prod = produced.get(inp)
                if prod and position[prod] > i:
                    problems.add(
                        ("steps", i, "inputs", j),
                        f"input '{inp}' is written by step '{prod}', which comes later; "
                        "list steps in execution order",
                    )

    # Fault-specific requirements (e.g. a missing output must have no consumers).
    consumers: dict[str, list[str]] = {}
    for _, shape in shapes:
        for inp in shape.inputs:
            consumers.setdefault(inp, []).append(shape.id)
    for i, step in good:
        if step.label != NORMAL and step.label in FAULTS:
            fault = FAULTS.get(step.label)()
            try:
                params = fault.Params.model_validate(step.fault_params)
            except ValidationError:
                continue
            for loc, msg in fault.check_step(step, params, consumers):
                problems.add(("steps", i, *loc), msg)

    if problems.items or spec is None:
        raise ConfigError(problems.items)
    return spec


def _shape(raw: Any) -> SimpleNamespace | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        return None
    lists = [raw.get("inputs", []), raw.get("outputs", [])]
    if not all(isinstance(x, list) and all(isinstance(v, str) for v in x) for x in lists):
        return None
    return SimpleNamespace(id=raw["id"], inputs=lists[0], outputs=lists[1])


def _check_operation_and_label(problems: _Problems, i: int, step: Step) -> None:
    if step.operation not in OPERATIONS:
        problems.add(("steps", i, "operation"), OPERATIONS.unknown_message(step.operation))
    else:
        op = OPERATIONS.get(step.operation)()
        try:
            parsed = op.Params.model_validate(step.params)
        except ValidationError as exc:
            problems.add_validation(("steps", i, "params"), exc, op.Params)
        else:
            found = op.check(step, parsed)
            for loc, msg in found:
                problems.add(("steps", i, *loc), msg)
            if not found:
                _check_statements(problems, i, step, op, parsed)
    if step.label == NORMAL:
        if step.fault_params:
            problems.add(("steps", i, "fault_params"), "a normal step takes no fault_params")
        return
    labels = [NORMAL, *FAULTS]
    if step.label not in FAULTS:
        problems.add(
            ("steps", i, "label"),
            f"unknown label '{step.label}'; allowed: {', '.join(labels)}"
            + closest(step.label, labels),
        )
        return
    fault = FAULTS.get(step.label)()
    try:
        fault.Params.model_validate(step.fault_params)
    except ValidationError as exc:
        problems.add_validation(("steps", i, "fault_params"), exc, fault.Params)


def _check_statements(problems: _Problems, i: int, step: Step, op: Any, params: Any) -> None:
    """Each SQL the step would run must be one SELECT: a ';' in a param cannot add a COPY."""
    for plan in op.plan(step, params, {}):
        for sql in [plan.sql, *plan.stats_sql.values()]:
            try:
                check_select(sql, f"step '{step.id}' ({plan.table})")
            except InputError as exc:
                problems.add(("steps", i, "params"), str(exc).splitlines()[0])
                return


def load_lineage_spec(path: str | Path, table_names: Iterable[str]) -> LineageSpec:
    """Read ``lineage.yml`` and check it against the generated tables' names."""
    path = Path(path)
    text = read_config_text(path)  # bounded, a regular UTF-8 file: else ConfigError
    # bounded: an alias bomb, deep nesting, duplicate keys or 2005-02-30 raise ConfigError
    data, _ = parse_yaml(text, str(path))
    try:
        lines = _line_map(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(
            [
                Problem(
                    path="(syntax)",
                    message=f"not valid YAML: {getattr(exc, 'problem', exc)}",
                    file=str(path),
                    line=mark.line + 1 if mark else None,
                )
            ]
        ) from None
    return parse_lineage_spec(data, table_names, file=str(path), lines=lines)


def default_lineage_path() -> Path:
    """The built-in pipeline shipped in the repository's configs folder."""
    return Path(__file__).resolve().parents[2] / "configs" / "lineage.yml"
