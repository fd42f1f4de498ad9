"""Cross-check a loaded config once and resolve it into a frozen generation plan.

Everything that can be wrong between tables (lookup targets, expression references, cycles,
anomaly targets) is checked here, and all problems are raised together. The engine then
trusts the plan and never re-validates.
"""

from __future__ import annotations

import difflib
import graphlib
import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

from synthgen_sdv.core import expr as expressions
from synthgen_sdv.core.errors import ConfigError, Problem
from synthgen_sdv.kinds import ColumnKind, LookupColumn, RollupColumn
from synthgen_sdv.kinds.conditional import ConditionalColumn
from synthgen_sdv.kinds.faker_kind import FakerColumn, has_provider
from synthgen_sdv.kinds.sequence import SequenceColumn
from synthgen_sdv.schema.loader import LoadedConfig
from synthgen_sdv.schema.models import TableSpec

IMPLICIT = {"index_in_parent"}


@dataclass(frozen=True)
class TablePlan:
    name: str
    spec: TableSpec
    rows: int | None  # scaled rows of a root table; None when driven by a parent
    driver: str | None  # the children_per_parent lookup column
    lookups: tuple[str, ...]  # popularity lookup columns
    order: tuple[str, ...]  # other columns in dependency order
    rollups: tuple[str, ...]
    parent_alias: dict[str, str]  # name usable in expressions -> lookup column
    family: str

    @property
    def columns(self) -> dict[str, ColumnKind]:
        return self.spec.columns

    @property
    def emitted(self) -> list[str]:
        return [c for c, spec in self.spec.columns.items() if spec.emit]

    @property
    def primary_key(self) -> str:
        return self.spec.primary_key

    def lookup(self, column: str) -> LookupColumn:
        spec = self.spec.columns[column]
        assert isinstance(spec, LookupColumn)
        return spec

    def target_column(self, column: str, plan: Plan) -> str:
        spec = self.lookup(column)
        return spec.column or plan.tables[spec.table].primary_key


@dataclass(frozen=True)
class Family:
    """A root table and the tables generated per its rows, chunk by chunk, together."""

    root: str
    members: tuple[str, ...]  # root first, then driven tables in generation order


@dataclass(frozen=True)
class Plan:
    loaded: LoadedConfig
    seed: int
    scale: float
    chunk_size: int
    locale: str
    tables: dict[str, TablePlan]
    families: tuple[Family, ...]
    materialized: frozenset[str]
    config_hash: str
    anomalies: tuple[Any, ...] = field(default_factory=tuple)

    @property
    def table_order(self) -> list[str]:
        return [t for f in self.families for t in f.members]

    def with_pinned(self, pinned: set[str]) -> tuple[Family, ...]:
        """Families when some tables are given (e.g. sampled by a synthesizer), not generated.

        A given table heads a family of the tables generated per its rows; tables driven by
        generated parents stay with them. Given tables come first: they are already whole.
        """
        first: list[Family] = []
        rest: list[Family] = []
        for family in self.families:
            heads: dict[str, list[str]] = {}
            for name in family.members:
                tp = self.tables[name]
                parent = tp.lookup(tp.driver).table if tp.driver else None
                if name in pinned:
                    heads[name] = [name]
                elif parent is None or parent in pinned:
                    heads.setdefault(parent or name, [parent] if parent else []).append(name)
                else:
                    head = next(h for h, members in heads.items() if parent in members)
                    heads[head].append(name)
            for head, members in heads.items():
                (first if members == [head] and head in pinned else rest).append(
                    Family(head, tuple(members))
                )
        return tuple(first + rest)

    def children(self, table: str) -> list[str]:
        return [
            t for t, tp in self.tables.items() if tp.driver and tp.lookup(tp.driver).table == table
        ]


def scaled_rows(rows: int, scaling: str, scale: float) -> int:
    factor = {
        "linear": scale,
        "sqrt": math.sqrt(scale),
        "log": (1 + math.log10(scale)) if scale >= 1 else math.sqrt(scale),
        "fixed": 1.0,
    }[scaling]
    return max(1, round(rows * factor))


def resolve_plan(loaded: LoadedConfig, seed: int | None = None, scale: float | None = None) -> Plan:
    """All cross-table checks; raises one ConfigError listing every problem found."""
    problems: list[Problem] = list(loaded.problems)
    spec = loaded.tables
    seed = loaded.run.seed if seed is None else seed
    scale = loaded.run.scale if scale is None else scale
    tables = spec.tables
    known = set(tables) | set(loaded.invalid_tables)

    def bad(loc: tuple[Any, ...], message: str) -> None:
        problems.append(loaded.problem(loc, message))

    def unknown_table(name: str) -> str:
        close = difflib.get_close_matches(name, list(known), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return (
            f"lookup target '{name}' does not exist; tables are: {', '.join(sorted(known))}{hint}"
        )

    table_plans: dict[str, TablePlan] = {}
    deps_between: dict[str, set[str]] = {t: set() for t in tables}
    driver_of: dict[str, str] = {}
    for tname, table in tables.items():
        loc = ("tables", tname)
        cols = table.columns
        if (
            table.primary_key not in cols
            and (tname, table.primary_key) not in loaded.invalid_columns
        ):
            bad(
                (*loc, "primary_key"),
                f"primary key '{table.primary_key}' is not a column; "
                f"columns are: {', '.join(cols)}",
            )
        elif table.primary_key in cols and not cols[table.primary_key].emit:
            bad((*loc, "primary_key"), "the primary key column must be emitted (emit: true)")
        drivers = [c for c, s in cols.items() if isinstance(s, LookupColumn) and s.is_driver]
        if len(drivers) > 1:
            bad(
                (*loc, "columns"),
                f"only one lookup may use children_per_parent; found: {', '.join(drivers)}",
            )
        driver = drivers[0] if drivers else None
        if driver is None and table.rows is None:
            bad((*loc, "rows"), "a table needs 'rows' unless one lookup has children_per_parent")
        if driver is not None and table.rows is not None:
            bad(
                (*loc, "rows"),
                f"'rows' conflicts with '{driver}' (children_per_parent): "
                "the row count follows from the parent",
            )
        aliases: dict[str, str] = {}
        targets_count: dict[str, int] = {}
        for col in cols.values():
            if isinstance(col, LookupColumn):
                targets_count[col.table] = targets_count.get(col.table, 0) + 1
        for cname, col in cols.items():
            cloc = (*loc, "columns", cname)
            if isinstance(col, LookupColumn):
                if col.table not in known:
                    bad((*cloc, "table"), unknown_table(col.table))
                    continue
                if col.table in tables:
                    target = tables[col.table]
                    key = col.column or target.primary_key
                    if key not in target.columns:
                        bad((*cloc, "column"), f"'{col.table}' has no column '{key}'")
                    if col.table == tname:
                        bad((*cloc, "table"), "a table cannot look up its own keys")
                    deps_between[tname].add(col.table)
                    if col.is_driver:
                        driver_of[tname] = col.table
                aliases[cname] = cname
                if targets_count[col.table] == 1:
                    aliases[col.table] = cname
            if isinstance(col, RollupColumn) and col.table not in known:
                bad((*cloc, "table"), unknown_table(col.table))
            if isinstance(col, FakerColumn) and not has_provider(
                col.provider, col.locale or spec.defaults.locale
            ):
                bad(
                    (*cloc, "provider"),
                    f"Faker has no provider '{col.provider}' for locale "
                    f"'{col.locale or spec.defaults.locale}'",
                )
            if col.references:
                _check_reference(col.references, tables, known, (*cloc, "references"), bad)
        table_plans[tname] = TablePlan(tname, table, None, driver, (), (), (), aliases, tname)

    # expression references and column order inside each table
    orders: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {}
    for tname, tp in table_plans.items():
        orders[tname] = _column_order(tname, tp, tables, loaded, bad)

    # cycles between tables
    try:
        list(graphlib.TopologicalSorter(deps_between).static_order())
        cyclic = False
    except graphlib.CycleError as exc:
        cyclic = True
        cycle = exc.args[1]
        bad(
            ("tables", cycle[0]),
            f"tables form a cycle of lookups: {' -> '.join(cycle)}; "
            "a table can only look up tables that do not depend on it",
        )

    # rollups need the child to be driven by this table
    for tname, tp in table_plans.items():
        for cname, col in tp.columns.items():
            if isinstance(col, RollupColumn) and col.table in tables:
                if driver_of.get(col.table) != tname:
                    bad(
                        ("tables", tname, "columns", cname, "table"),
                        f"rollup needs '{col.table}' to be generated per row of '{tname}' "
                        f"(a children_per_parent lookup to '{tname}')",
                    )
                elif col.column and col.column not in tables[col.table].columns:
                    bad(
                        ("tables", tname, "columns", cname, "column"),
                        f"'{col.table}' has no column '{col.column}'",
                    )
                elif col.agg != "count" and not col.column:
                    bad(
                        ("tables", tname, "columns", cname, "column"),
                        f"agg '{col.agg}' needs a column",
                    )

    families: list[Family] = []
    materialized: set[str] = set()
    if not cyclic:
        families, materialized = _families(table_plans, tables, driver_of, bad)

    _check_anomalies(loaded, tables, bad)
    if problems:
        raise ConfigError(problems)

    final: dict[str, TablePlan] = {}
    family_of = {t: f.root for f in families for t in f.members}
    for tname, tp in table_plans.items():
        lookups, order, rollups = orders[tname]
        rows = None if tp.driver else scaled_rows(tp.spec.rows or 0, tp.spec.scaling, scale)
        final[tname] = TablePlan(
            tname,
            tp.spec,
            rows,
            tp.driver,
            lookups,
            order,
            rollups,
            tp.parent_alias,
            family_of[tname],
        )
    return Plan(
        loaded=loaded,
        seed=seed,
        scale=scale,
        chunk_size=spec.defaults.chunk_size,
        locale=spec.defaults.locale,
        tables=final,
        families=tuple(families),
        materialized=frozenset(materialized),
        config_hash=config_hash(loaded, seed, scale),
        anomalies=tuple(spec.anomalies),
    )


def config_hash(loaded: LoadedConfig, seed: int, scale: float) -> str:
    doc = {"tables": loaded.tables.model_dump(mode="json"), "seed": seed, "scale": scale}
    text = json.dumps(doc, sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _check_reference(ref, tables, known, loc, bad) -> None:
    if "." not in ref:
        bad(loc, f"'{ref}' must be '<table>.<column>'")
        return
    t, c = ref.split(".", 1)
    if t not in known:
        bad(loc, f"referenced table '{t}' does not exist; tables are: {', '.join(sorted(known))}")
    elif t in tables and c not in tables[t].columns:
        bad(loc, f"'{t}' has no column '{c}'")


def _column_order(tname, tp: TablePlan, tables, loaded, bad):
    """Check every name a column reads, and order the columns so each comes after its inputs."""
    cols = tp.columns
    graph: dict[str, set[str]] = {}
    lookups = [c for c, s in cols.items() if isinstance(s, LookupColumn) and not s.is_driver]
    rollups = [c for c, s in cols.items() if isinstance(s, RollupColumn)]
    driven_keys = _driven_sequence_keys(tables)
    for cname, col in cols.items():
        cloc = ("tables", tname, "columns", cname)
        if (tname, cname) in loaded.invalid_columns:
            continue
        is_driver = isinstance(col, LookupColumn) and col.is_driver
        refs = col.deps()
        if isinstance(col, ConditionalColumn):
            refs = refs | {col.on}
        own: set[str] = set()
        for ref in sorted(refs):
            if "." in ref:
                parent_name, pcol = ref.split(".", 1)
                if parent_name not in tp.parent_alias:
                    available = sorted(set(tp.parent_alias))
                    bad(
                        cloc,
                        f"expression reads '{ref}', but '{tname}' has no lookup to "
                        f"'{parent_name}'; looked-up tables here: {', '.join(available) or 'none'}",
                    )
                    continue
                lookup_col = tp.parent_alias[parent_name]
                if is_driver and lookup_col != cname:
                    bad(
                        cloc,
                        f"a children_per_parent count may only read its parent's columns; "
                        f"'{ref}' is not a column of '{col.table}'",
                    )
                    continue
                target = tables.get(cols[lookup_col].table)  # type: ignore[union-attr]
                if target is None:
                    continue
                if (cols[lookup_col].table, pcol) in loaded.invalid_columns:  # type: ignore[union-attr]
                    continue  # already reported where it is defined
                if pcol not in target.columns:
                    close = difflib.get_close_matches(pcol, list(target.columns), n=1)
                    hint = f"; did you mean '{parent_name}.{close[0]}'?" if close else ""
                    bad(
                        cloc,
                        f"expression reads '{ref}', but '{cols[lookup_col].table}' has "  # type: ignore[union-attr]
                        f"no column '{pcol}'{hint}",
                    )
                elif (cols[lookup_col].table, pcol) in driven_keys:  # type: ignore[union-attr]
                    bad(
                        cloc,
                        f"'{ref}' is a key assigned after generation and cannot be read "
                        "in expressions",
                    )
                if not is_driver:
                    own.add(lookup_col)
            elif ref in IMPLICIT:
                if tp.driver is None:
                    bad(cloc, f"'{ref}' exists only in tables with a children_per_parent lookup")
            elif is_driver:
                bad(
                    cloc,
                    f"a children_per_parent count may only read parent columns "
                    f"('{col.table}.<column>'), not '{ref}'",
                )
            elif ref not in cols:
                if (tname, ref) in loaded.invalid_columns:
                    continue
                close = difflib.get_close_matches(ref, list(cols), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                bad(
                    cloc,
                    f"expression reads unknown column '{ref}'; columns of '{tname}': "
                    f"{', '.join(cols)}{hint}",
                )
            elif ref in rollups:
                bad(cloc, f"'{ref}' is a rollup, computed after the table; it cannot be read")
            elif tp.driver and (tname, ref) in driven_keys:
                bad(cloc, f"'{ref}' is a key assigned after generation and cannot be read")
            else:
                own.add(ref)
        if not is_driver and not isinstance(col, RollupColumn):
            graph[cname] = own - {cname}
            if cname in refs:
                bad(cloc, "a column cannot read itself")
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        bad(
            ("tables", tname, "columns"),
            f"columns read each other in a cycle: {' -> '.join(exc.args[1])}",
        )
        order = list(graph)
    # popularity lookups first (their parents' columns feed expressions), then the rest
    rest = [c for c in order if c in graph and c not in lookups]
    return tuple(c for c in order if c in lookups), tuple(rest), tuple(rollups)


def _driven_sequence_keys(tables) -> set[tuple[str, str]]:
    out = set()
    for tname, table in tables.items():
        if any(isinstance(s, LookupColumn) and s.is_driver for s in table.columns.values()):
            out |= {(tname, c) for c, s in table.columns.items() if isinstance(s, SequenceColumn)}
    return out


def _families(table_plans, tables, driver_of, bad):
    """Group driven tables under their root; order families so lookups read finished tables."""

    def root_of(t: str) -> str:
        seen = set()
        while t in driver_of and t not in seen:
            seen.add(t)
            t = driver_of[t]
        return t

    members: dict[str, list[str]] = {}
    order = list(
        graphlib.TopologicalSorter(
            {
                t: {
                    tables[t].columns[c].table
                    for c in tables[t].columns  # type: ignore[union-attr]
                    if isinstance(tables[t].columns[c], LookupColumn)
                    and tables[t].columns[c].table in tables
                }  # type: ignore[union-attr]
                for t in tables
            }
        ).static_order()
    )
    for t in order:
        members.setdefault(root_of(t), []).append(t)
    materialized: set[str] = set()
    fam_deps: dict[str, set[str]] = {r: set() for r in members}
    for t in tables:
        for cname, col in tables[t].columns.items():
            if isinstance(col, LookupColumn) and not col.is_driver and col.table in tables:
                if root_of(col.table) == root_of(t):
                    bad(
                        ("tables", t, "columns", cname),
                        f"'{col.table}' is generated together "
                        f"with '{t}' (same parent chain); a popularity lookup needs a table "
                        "that is finished first",
                    )
                    continue
                materialized.add(col.table)
                fam_deps[root_of(t)].add(root_of(col.table))
    try:
        fam_order = list(graphlib.TopologicalSorter(fam_deps).static_order())
    except graphlib.CycleError as exc:
        bad(
            ("tables",), f"table groups depend on each other in a cycle: {' -> '.join(exc.args[1])}"
        )
        fam_order = list(members)
    return [Family(r, tuple(members[r])) for r in fam_order], materialized


def _check_anomalies(loaded, tables, bad) -> None:
    for i, anomaly in enumerate(loaded.tables.anomalies):
        loc = ("anomalies", i)
        if anomaly.table not in tables:
            if anomaly.table not in loaded.invalid_tables:
                bad(
                    (*loc, "table"),
                    f"unknown table '{anomaly.table}'; tables are: {', '.join(sorted(tables))}",
                )
            continue
        cols = tables[anomaly.table].columns
        if anomaly.needs_column:
            if anomaly.column is None:
                bad(loc, f"anomaly '{anomaly.kind}' needs a 'column'")
            elif anomaly.column not in cols:
                bad((*loc, "column"), f"'{anomaly.table}' has no column '{anomaly.column}'")
            elif not cols[anomaly.column].emit:
                bad((*loc, "column"), f"'{anomaly.column}' is not emitted")
            elif anomaly.kind == "orphan_fk" and not isinstance(cols[anomaly.column], LookupColumn):
                bad(
                    (*loc, "column"),
                    f"orphan_fk needs a lookup column; '{anomaly.column}' is "
                    f"'{cols[anomaly.column].kind}'",
                )
            elif anomaly.column == tables[anomaly.table].primary_key:
                bad(
                    (*loc, "column"),
                    "anomalies cannot change primary keys (labels name rows by them)",
                )
        elif anomaly.column is not None:
            bad((*loc, "column"), f"anomaly '{anomaly.kind}' applies to whole rows; drop 'column'")


def expression_names(expr: str) -> set[str]:
    return expressions.references(expr)
