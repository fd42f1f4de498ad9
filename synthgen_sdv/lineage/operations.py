"""ETL operation plug-ins: each turns a step's params into DuckDB SQL plus column-level lineage.

``Operation.check`` runs the checks every operation shares (output count, tables read are
inputs) around the operation's own ``_check``; ``plan`` builds the SQL of each output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from synthgen_sdv.core.registry import Registry
from synthgen_sdv.core.strict import StrictModel
from synthgen_sdv.lineage.models import Step

# OpenLineage transformation words (ColumnLineageDatasetFacet 1-2-0).
IDENTITY = "IDENTITY"
TRANSFORMATION = "TRANSFORMATION"
AGGREGATION = "AGGREGATION"
DIRECT = "DIRECT"
INDIRECT = "INDIRECT"

OPERATIONS: Registry[type[Operation]] = Registry("operation")


@dataclass(frozen=True)
class FieldLineage:
    """Where one output column comes from: DIRECT input fields and how they were transformed."""

    inputs: tuple[tuple[str, str], ...]
    subtype: str
    expression: str
    masking: bool = False


@dataclass(frozen=True)
class OutputPlan:
    """The SQL that builds one output table, and the lineage of its columns."""

    table: str
    sql: str
    fields: dict[str, FieldLineage]
    # Columns that shape the whole output without flowing into a column (JOIN, FILTER, ...).
    indirect: tuple[tuple[str, str, str], ...] = ()
    # Extra counts reported by the step (e.g. rows_inserted), each a scalar SQL query.
    stats_sql: dict[str, str] = field(default_factory=dict)


Schemas = dict[str, list[str]]

_STRING = re.compile(r"'(?:[^']|'')*'")
_QUALIFIED = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\b")
_IDENT = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*\()")
_AGG = re.compile(r"\b(sum|count|avg|min|max|median|stddev|count_distinct|any_value)\s*\(", re.I)
_MASK = re.compile(r"\b(md5|sha256|hash)\s*\(", re.I)


def references(expr: str, schemas: Schemas, tables: list[str]) -> tuple[tuple[str, str], ...]:
    """Input columns an SQL expression reads: ``table.column`` or an unambiguous bare name.

    A light scan, not a SQL parser: string literals are skipped and names followed by ``(`` are
    functions. Column names are lower case in this project, SQL keywords are written upper case.
    """
    text = _STRING.sub("''", expr)
    found: list[tuple[str, str]] = []
    for table, col in _QUALIFIED.findall(text):
        if table in schemas and col in schemas[table]:
            found.append((table, col))
    for name in _IDENT.findall(_QUALIFIED.sub(" ", text)):
        owners = [t for t in tables if name in schemas.get(t, [])]
        if len(owners) == 1:
            found.append((owners[0], name))
    return tuple(dict.fromkeys(found))


def quote(name: str) -> str:
    """A (dotted) name as quoted SQL identifiers, so any column name is safe in a query."""
    return ".".join(f'"{part}"' for part in name.split("."))


def _is_plain_ref(expr: str, schemas: Schemas, tables: list[str]) -> bool:
    expr = expr.strip()
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?", expr):
        return False
    return len(references(expr, schemas, tables)) == 1


def field_lineage(
    expr: str, schemas: Schemas, tables: list[str], aggregate: bool = False
) -> FieldLineage:
    """The lineage of a column computed by ``expr``: its inputs and the OpenLineage subtype."""
    refs = references(expr, schemas, tables)
    if _is_plain_ref(expr, schemas, tables):
        subtype = IDENTITY
    elif aggregate and _AGG.search(expr):
        subtype = AGGREGATION
    else:
        subtype = TRANSFORMATION
    return FieldLineage(refs, subtype, expr.strip(), bool(_MASK.search(expr)))


def _indirect(exprs: list[str], subtype: str, schemas: Schemas, tables: list[str]):
    out: list[tuple[str, str, str]] = []
    for expr in exprs:
        out.extend((t, c, subtype) for t, c in references(expr, schemas, tables))
    return tuple(dict.fromkeys(out))


def _order_by(key: list[str]) -> str:
    return ", ".join(quote(k) for k in key)


class Operation:
    """Base: ``plan`` builds the SQL; ``check`` adds static problems beyond the params model."""

    Params: ClassVar[type[BaseModel]]
    description: ClassVar[str] = ""
    outputs: ClassVar[int | None] = 1  # how many outputs a step must declare (None: any)

    def check(self, step: Step, params: Any) -> list[tuple[tuple, str]]:
        """Static problems of ``params`` at ``step`` as (YAML location, message) pairs."""
        problems = []
        if self.outputs is not None and len(step.outputs) != self.outputs:
            problems.append(
                (("outputs",), f"operation '{step.operation}' writes exactly {self.outputs} table")
            )
        for name in self.tables_read(params):
            if name not in step.inputs:
                problems.append(
                    (("params",), f"reads table '{name}', which is not listed in inputs")
                )
        return problems + self._check(step, params)

    def _check(self, step: Step, params: Any) -> list[tuple[tuple, str]]:
        return []

    def tables_read(self, params: Any) -> list[str]:
        """Tables the params name besides the step's first input (each must be an input)."""
        return []

    def plan(self, step: Step, params: Any, schemas: Schemas) -> list[OutputPlan]:
        """The SQL and column lineage of each output, given the inputs' column names."""
        raise NotImplementedError


# --------------------------------------------------------------------------- select-shaped ops
class Join(StrictModel):
    """One joined table: which, on what condition, inner or left."""

    table: str
    condition: str = Field(description="SQL join condition (YAML reads a bare `on` key as true)")
    how: Literal["inner", "left"] = "left"


class QueryParams(StrictModel):
    """A select-shaped step: columns copied and derived from a table, its joins and a filter."""

    source: str | None = Field(default=None, description="the FROM table; default: first input")
    select: list[str] = Field(default_factory=list, description="columns copied as they are")
    derive: dict[str, str] = Field(default_factory=dict, description="new column -> SQL")
    joins: list[Join] = Field(default_factory=list)
    where: str | None = None


def _named(
    exprs: dict[str, str], schemas: Schemas, tables: list[str], aggregate: bool = False
) -> tuple[list[str], dict[str, FieldLineage]]:
    """``expr AS name`` select items and their lineage, for computed columns."""
    cols = [f"{expr} AS {quote(name)}" for name, expr in exprs.items()]
    fields = {name: field_lineage(expr, schemas, tables, aggregate) for name, expr in exprs.items()}
    return cols, fields


def _select_list(
    params: Any, schemas: Schemas, tables: list[str]
) -> tuple[list[str], dict[str, FieldLineage]]:
    """The copied (``select``) then computed (``derive``) columns of a step and their lineage."""
    cols: list[str] = []
    fields: dict[str, FieldLineage] = {}
    for ref in params.select:
        name = ref.split(".")[-1]
        cols.append(f"{quote(ref)} AS {quote(name)}")
        fields[name] = field_lineage(ref, schemas, tables)
    derived, derived_fields = _named(params.derive, schemas, tables)
    return cols + derived, {**fields, **derived_fields}


def _where(params: Any, schemas: Schemas, tables: list[str]) -> tuple[str, tuple]:
    """The WHERE clause (or nothing) and the columns the joins and the filter read."""
    indirect = _indirect([j.condition for j in params.joins], "JOIN", schemas, tables)
    if not params.where:
        return "", indirect
    return f" WHERE {params.where}", indirect + _indirect([params.where], "FILTER", schemas, tables)


def _from_clause(params, step) -> tuple[str, list[str]]:
    base = params.source or step.inputs[0]
    sql = f"FROM {quote(base)}"
    tables = [base]
    for j in params.joins:
        sql += f" {j.how.upper()} JOIN {quote(j.table)} ON {j.condition}"
        tables.append(j.table)
    return sql, tables


class _QueryOperation(Operation):
    """An operation over a FROM table and its joins (select-shaped steps and aggregates)."""

    def tables_read(self, params: Any) -> list[str]:
        """The FROM table when it is named, and every joined table."""
        return [t for t in [params.source] if t] + [j.table for j in params.joins]


class SelectOperation(_QueryOperation):
    """SELECT columns FROM a table [JOIN ...] [WHERE ...]: extract, filter, derive and join."""

    Params = QueryParams
    # A param the operation cannot do without, and what to say when it is missing.
    needs: ClassVar[tuple[str, str] | None] = None

    def _check(self, step: Step, params: Any) -> list[tuple[tuple, str]]:
        problems = []
        if not params.select and not params.derive:
            problems.append((("params",), "select or derive must name at least one column"))
        if self.needs and not getattr(params, self.needs[0]):
            problems.append((("params", self.needs[0]), self.needs[1]))
        return problems

    def plan(self, step: Step, params: Any, schemas: Schemas) -> list[OutputPlan]:
        """SELECT the columns FROM the table, its joins and filter, ORDER BY the step's key."""
        from_sql, tables = _from_clause(params, step)
        cols, fields = _select_list(params, schemas, tables)
        where, indirect = _where(params, schemas, tables)
        sql = f"SELECT {', '.join(cols)} {from_sql}{where} ORDER BY {_order_by(step.key)}"
        return [OutputPlan(step.outputs[0], sql, fields, indirect)]


@OPERATIONS.register("extract")
class Extract(SelectOperation):
    """Copy a source table into staging, renaming and casting columns."""

    description = "copy a source table into staging, renaming and casting columns"


@OPERATIONS.register("filter")
class Filter(SelectOperation):
    """Keep the rows that satisfy a condition."""

    description = "keep the rows that satisfy a condition"
    needs = ("where", "a filter needs a where condition")


@OPERATIONS.register("derive")
class Derive(SelectOperation):
    """Add computed columns."""

    description = "add computed columns"


@OPERATIONS.register("join")
class JoinOperation(SelectOperation):
    """Combine a table with others on key conditions."""

    description = "combine a table with others on key conditions"
    needs = ("joins", "a join needs at least one entry in joins")


class AggregateParams(StrictModel):
    """A GROUP BY step: group columns and measures over a table, its joins and a filter."""

    source: str | None = None
    joins: list[Join] = Field(default_factory=list)
    where: str | None = None
    group_by: dict[str, str] = Field(min_length=1, description="output column -> SQL")
    measures: dict[str, str] = Field(min_length=1, description="output column -> aggregate SQL")


@OPERATIONS.register("aggregate")
class Aggregate(_QueryOperation):
    """Group rows and compute measures."""

    Params = AggregateParams
    description = "group rows and compute measures"

    def plan(self, step: Step, params: Any, schemas: Schemas) -> list[OutputPlan]:
        """SELECT the group columns and measures, GROUP BY the group columns."""
        from_sql, tables = _from_clause(params, step)
        group_cols, group_fields = _named(params.group_by, schemas, tables)
        measure_cols, measure_fields = _named(params.measures, schemas, tables, aggregate=True)
        cols, fields = group_cols + measure_cols, {**group_fields, **measure_fields}
        where, indirect = _where(params, schemas, tables)
        group = ", ".join(params.group_by.values())
        indirect += _indirect(list(params.group_by.values()), "GROUP_BY", schemas, tables)
        sql = (
            f"SELECT {', '.join(cols)} {from_sql}{where} GROUP BY {group} "
            f"ORDER BY {_order_by(step.key)}"
        )
        return [OutputPlan(step.outputs[0], sql, fields, indirect)]


# --------------------------------------------------------------------------- set and window ops
class UnionParams(StrictModel):
    """Stacked inputs: the columns they share, the input's name as a column, merge priority."""

    columns: list[str] = Field(min_length=1, description="columns every input has")
    source_column: str | None = Field(default=None, description="add the input's name as a column")
    priority: list[str] | None = Field(default=None, description="merge: which input wins a key")


def _union_sql(step, params, with_priority: bool) -> str:
    order = params.priority or step.inputs
    parts = []
    for table in step.inputs:
        cols = [quote(c) for c in params.columns]
        if params.source_column:
            cols.append(f"'{table}' AS {quote(params.source_column)}")
        if with_priority:
            cols.append(f"{order.index(table)} AS _priority")
        parts.append(f"SELECT {', '.join(cols)} FROM {quote(table)}")
    return " UNION ALL ".join(parts)


def _union_fields(step, params, schemas) -> dict[str, FieldLineage]:
    fields = {
        c: FieldLineage(tuple((t, c) for t in step.inputs if c in schemas.get(t, [])), IDENTITY, c)
        for c in params.columns
    }
    if params.source_column:
        fields[params.source_column] = FieldLineage((), TRANSFORMATION, "name of the input table")
    return fields


@OPERATIONS.register("union")
class Union(Operation):
    """Stack tables with the same columns."""

    Params = UnionParams
    description = "stack tables with the same columns"

    def plan(self, step: Step, params: Any, schemas: Schemas) -> list[OutputPlan]:
        """UNION ALL of the inputs' shared columns, ORDER BY the step's key."""
        sql = f"SELECT * FROM ({_union_sql(step, params, False)}) ORDER BY {_order_by(step.key)}"
        return [OutputPlan(step.outputs[0], sql, _union_fields(step, params, schemas))]


@OPERATIONS.register("merge")
class Merge(Operation):
    """Stack branches of one entity and keep one row per key by input priority."""

    Params = UnionParams
    description = "stack branches of one entity and keep one row per key by input priority"

    def _check(self, step: Step, params: Any) -> list[tuple[tuple, str]]:
        problems = []
        if params.priority and sorted(params.priority) != sorted(step.inputs):
            problems.append((("params", "priority"), "priority must list every input once"))
        if len(step.inputs) < 2:
            problems.append((("inputs",), "a merge needs at least two inputs"))
        return problems

    def plan(self, step: Step, params: Any, schemas: Schemas) -> list[OutputPlan]:
        """The first row per key of the stacked inputs, by input priority (a window)."""
        cols = [*params.columns, *([params.source_column] if params.source_column else [])]
        key = ", ".join(quote(k) for k in step.key)
        sql = (
            f"SELECT {', '.join(quote(c) for c in cols)} FROM ("
            f"SELECT *, ROW_NUMBER() OVER (PARTITION BY {key} ORDER BY _priority) AS _rn "
            f"FROM ({_union_sql(step, params, True)})) WHERE _rn = 1 "
            f"ORDER BY {_order_by(step.key)}"
        )
        indirect = tuple((t, k, "WINDOW") for t in step.inputs for k in step.key)
        return [OutputPlan(step.outputs[0], sql, _union_fields(step, params, schemas), indirect)]


class DedupParams(StrictModel):
    """Columns kept, what makes rows duplicates, and which duplicate is kept."""

    select: list[str] = Field(default_factory=list)
    derive: dict[str, str] = Field(default_factory=dict)
    partition_by: list[str] = Field(min_length=1, description="SQL that identifies a duplicate")
    order_by: str = Field(description="SQL ordering; the first row of each group is kept")


@OPERATIONS.register("deduplicate")
class Deduplicate(Operation):
    """Keep one row per duplicate group."""

    Params = DedupParams
    description = "keep one row per duplicate group"

    def plan(self, step: Step, params: Any, schemas: Schemas) -> list[OutputPlan]:
        """The first row of each duplicate group (QUALIFY ROW_NUMBER() = 1)."""
        tables = [step.inputs[0]]
        cols, fields = _select_list(params, schemas, tables)
        window = f"PARTITION BY {', '.join(params.partition_by)} ORDER BY {params.order_by}"
        sql = (
            f"SELECT {', '.join(cols)} FROM {quote(tables[0])} "
            f"QUALIFY ROW_NUMBER() OVER ({window}) = 1 ORDER BY {_order_by(step.key)}"
        )
        indirect = _indirect(params.partition_by, "WINDOW", schemas, tables)
        indirect += _indirect([params.order_by], "SORT", schemas, tables)
        return [OutputPlan(step.outputs[0], sql, fields, indirect)]


class Scd2Params(StrictModel):
    """A type-2 dimension: natural and surrogate keys, columns, and when a version starts."""

    natural_key: str
    surrogate_key: str
    select: list[str] = Field(min_length=1)
    derive: dict[str, str] = Field(default_factory=dict)
    valid_from: str = Field(description="SQL for the date a version starts")


@OPERATIONS.register("scd2")
class Scd2(Operation):
    """Slowly changing dimension type 2: versioned rows with validity ranges."""

    Params = Scd2Params
    description = "slowly changing dimension type 2: versioned rows with validity ranges"

    def plan(self, step: Step, params: Any, schemas: Schemas) -> list[OutputPlan]:
        """Versioned rows with a surrogate key, valid_from, valid_to and is_current."""
        tables = [step.inputs[0]]
        cols, fields = _select_list(params, schemas, tables)
        nk = quote(params.natural_key)
        sk = f"ROW_NUMBER() OVER (ORDER BY {nk}, {params.valid_from})"
        vf = f"CAST({params.valid_from} AS DATE)"
        # The next version's start closes a version; the open one ends on 9999-12-31.
        vt = (
            f"COALESCE(LEAD({vf}) OVER (PARTITION BY {nk} ORDER BY {vf}) - INTERVAL 1 DAY, "
            "DATE '9999-12-31')"
        )
        cur = f"LEAD({vf}) OVER (PARTITION BY {nk} ORDER BY {vf}) IS NULL"
        sql = (
            f"SELECT {sk} AS {quote(params.surrogate_key)}, {', '.join(cols)}, "
            f"{vf} AS valid_from, CAST({vt} AS DATE) AS valid_to, {cur} AS is_current "
            f"FROM {quote(tables[0])} ORDER BY {_order_by(step.key)}"
        )
        nk_ref = field_lineage(params.natural_key, schemas, tables)
        vf_ref = field_lineage(params.valid_from, schemas, tables)
        both = tuple(dict.fromkeys(nk_ref.inputs + vf_ref.inputs))
        fields = {
            params.surrogate_key: FieldLineage(both, TRANSFORMATION, "row_number()"),
            **fields,
            "valid_from": FieldLineage(vf_ref.inputs, TRANSFORMATION, vf),
            "valid_to": FieldLineage(both, TRANSFORMATION, "next version's valid_from - 1 day"),
            "is_current": FieldLineage(both, TRANSFORMATION, "no later version"),
        }
        return [OutputPlan(step.outputs[0], sql, fields)]


class IncrementalParams(StrictModel):
    """An insert-only load: columns, the time column and the previous run's watermark."""

    select: list[str] = Field(min_length=1)
    derive: dict[str, str] = Field(default_factory=dict)
    time_column: str = Field(description="input column compared with the watermark")
    watermark: str = Field(
        description="ISO date loaded by the previous run", pattern=r"^\d{4}-\d{2}-\d{2}$"
    )


@OPERATIONS.register("incremental_load")
class IncrementalLoad(Operation):
    """Insert-only load: rows after the previous run's watermark are appended."""

    Params = IncrementalParams
    description = "insert-only load: rows after the previous run's watermark are appended"

    def plan(self, step: Step, params: Any, schemas: Schemas) -> list[OutputPlan]:
        """The rows up to the watermark, then the new batch; counts the inserted rows."""
        tables = [step.inputs[0]]
        cols, fields = _select_list(params, schemas, tables)
        src, tc = quote(tables[0]), quote(params.time_column)
        existing = f"SELECT {', '.join(cols)} FROM {src} WHERE {tc} <= DATE '{params.watermark}'"
        batch = f"SELECT {', '.join(cols)} FROM {src} WHERE {tc} > DATE '{params.watermark}'"
        sql = f"SELECT * FROM ({existing} UNION ALL {batch}) ORDER BY {_order_by(step.key)}"
        stats = {
            "rows_inserted": f"SELECT COUNT(*) FROM {src} WHERE {tc} > DATE '{params.watermark}'",
            "rows_updated": "SELECT 0",
        }
        indirect = _indirect([params.time_column], "FILTER", schemas, tables)
        return [OutputPlan(step.outputs[0], sql, fields, indirect, stats)]


class SplitParams(StrictModel):
    """Columns kept and the condition routing rows to each output."""

    select: list[str] = Field(default_factory=list)
    derive: dict[str, str] = Field(default_factory=dict)
    routes: dict[str, str] = Field(min_length=2, description="output table -> SQL condition")


@OPERATIONS.register("split")
class Split(Operation):
    """Route the rows of one table into several branches."""

    Params = SplitParams
    description = "route the rows of one table into several branches"
    outputs = None

    def _check(self, step: Step, params: Any) -> list[tuple[tuple, str]]:
        problems = []
        if sorted(params.routes) != sorted(step.outputs):
            problems.append((("params", "routes"), "routes must name every output once"))
        return problems

    def plan(self, step: Step, params: Any, schemas: Schemas) -> list[OutputPlan]:
        """One SELECT per route: the rows that satisfy its condition."""
        tables = [step.inputs[0]]
        cols, fields = _select_list(params, schemas, tables)
        plans = []
        for out, cond in params.routes.items():
            sql = (
                f"SELECT {', '.join(cols)} FROM {quote(tables[0])} WHERE {cond} "
                f"ORDER BY {_order_by(step.key)}"
            )
            plans.append(OutputPlan(out, sql, fields, _indirect([cond], "FILTER", schemas, tables)))
        return plans
