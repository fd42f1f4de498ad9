"""Cross-check a loaded config once and resolve it into a frozen generation plan.

Everything that can be wrong between tables (lookup targets, expression references, cycles,
anomaly targets) is checked here, and all problems are raised together. The engine then
trusts the plan and never re-validates.
"""

from __future__ import annotations

import difflib
import graphlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from synthgen_sdv.core import expr as expressions
from synthgen_sdv.core.errors import ConfigError, Problem
from synthgen_sdv.core.seeds import json_hash
from synthgen_sdv.kinds import ColumnKind, ForeignKeyKind
from synthgen_sdv.schema.loader import LoadedConfig
from synthgen_sdv.schema.models import AnomalySpec, TableSpec

IMPLICIT = {"index_in_parent"}
Report = Callable[[tuple[Any, ...], str], None]  # records one problem at a YAML location


@dataclass(frozen=True)
class TablePlan:
    """One table resolved: its row count or driver, and its columns in generation order."""

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
        """Every column's spec, hidden ones too, in declared order."""
        return self.spec.columns

    @property
    def emitted(self) -> list[str]:
        """The columns written to files (not ``emit: false`` helpers)."""
        return [c for c, spec in self.spec.columns.items() if spec.emit]

    @property
    def primary_key(self) -> str:
        """The key labels and foreign keys name rows by."""
        return self.spec.primary_key

    def lookup(self, column: str) -> ForeignKeyKind:
        """The foreign-key contract of a lookup column (the driver or a popularity lookup)."""
        spec = self.spec.columns[column].as_foreign_key()
        if spec is None:
            raise KeyError(f"{self.name}.{column} holds no foreign keys")
        return spec

    def target_column(self, column: str, plan: Plan) -> str:
        """The parent column a lookup's keys come from (default: the parent's primary key)."""
        spec = self.lookup(column)
        return spec.foreign_key_column or plan.tables[spec.foreign_key_target].primary_key

    @property
    def driver_target(self) -> str | None:
        """The parent table this table is generated per row of, if any."""
        return self.lookup(self.driver).foreign_key_target if self.driver else None


@dataclass(frozen=True)
class Family:
    """A root table and the tables generated per its rows, chunk by chunk, together."""

    root: str
    members: tuple[str, ...]  # root first, then driven tables in generation order


@dataclass(frozen=True)
class Plan:
    """The resolved config: tables, families in generation order, seed, scale, anomalies."""

    loaded: LoadedConfig
    seed: int
    scale: float
    chunk_size: int
    locale: str
    tables: dict[str, TablePlan]
    families: tuple[Family, ...]
    materialized: frozenset[str]
    config_hash: str
    anomalies: tuple[AnomalySpec, ...] = field(default_factory=tuple)

    @property
    def table_order(self) -> list[str]:
        """Every table in generation order (families in order, members in order)."""
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
                parent = self.tables[name].driver_target
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
        """Tables generated per row of ``table``."""
        return [t for t, tp in self.tables.items() if tp.driver_target == table]


def scaled_rows(rows: int, scaling: str, scale: float) -> int:
    """A root table's rows at ``scale`` under its scaling rule (dimensions grow slower).

    ``rows: 0`` is an empty table at any scale; any other table keeps at least one row however
    small the scale, so a small scale never empties a table that lookups need.
    """
    if rows == 0:
        return 0
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
        drivers = [c for c, s in cols.items() if s.is_driver]
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
            if col.foreign_key_target is not None:
                targets_count[col.foreign_key_target] = (
                    targets_count.get(col.foreign_key_target, 0) + 1
                )
        for cname, col in cols.items():
            cloc = (*loc, "columns", cname)
            parent = col.foreign_key_target
            if parent is not None:
                if parent not in known:
                    bad((*cloc, "table"), unknown_table(parent))
                    continue
                if parent in tables:
                    target = tables[parent]
                    key = col.foreign_key_column or target.primary_key
                    if key not in target.columns and (parent, key) not in loaded.invalid_columns:
                        bad((*cloc, "column"), f"'{parent}' has no column '{key}'")
                    if parent == tname:
                        bad((*cloc, "table"), "a table cannot look up its own keys")
                    deps_between[tname].add(parent)
                    if col.is_driver:
                        driver_of[tname] = parent
                aliases[cname] = cname
                if targets_count[parent] == 1:
                    aliases[parent] = cname
            source = col.rollup_source
            if source is not None and source not in known:
                bad((*cloc, "table"), unknown_table(source))
            for where, message in col.environment_problems(spec.defaults.locale):
                bad((*cloc, where), message)
            if col.references:
                _check_reference(col.references, loaded, known, (*cloc, "references"), bad)
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
            source = col.rollup_source
            if source is None or source not in tables:
                continue
            cloc = ("tables", tname, "columns", cname)
            if driver_of.get(source) != tname:
                bad(
                    (*cloc, "table"),
                    f"rollup needs '{source}' to be generated per row of '{tname}' "
                    f"(a children_per_parent lookup to '{tname}')",
                )
            else:
                columns = set(tables[source].columns) | _invalid_columns(loaded, source)
                for where, message in col.rollup_problems(columns):
                    bad((*cloc, where), message)

    families: list[Family] = []
    materialized: set[str] = set()
    if not cyclic:
        families, materialized = _families(tables, driver_of, bad)

    _check_anomalies(loaded, tables, bad)
    _check_empty_targets(tables, driver_of, bad)
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
    """``sha256:`` of the tables config with seed and scale (stored in every artifact)."""
    doc = {"tables": loaded.tables.model_dump(mode="json"), "seed": seed, "scale": scale}
    return json_hash(doc, sort_keys=True, default=str)


def _invalid_columns(loaded: LoadedConfig, table: str) -> set[str]:
    """Columns of ``table`` that exist but failed validation (already reported: a check that
    reads one must not add "has no column" to the problem that says what is wrong with it)."""
    return {c for t, c in loaded.invalid_columns if t == table}


def _check_reference(
    ref: str,
    loaded: LoadedConfig,
    known: set[str],
    loc: tuple[Any, ...],
    bad: Report,
) -> None:
    tables = loaded.tables.tables
    if "." not in ref:
        bad(loc, f"'{ref}' must be '<table>.<column>'")
        return
    t, c = ref.split(".", 1)
    if t not in known:
        bad(loc, f"referenced table '{t}' does not exist; tables are: {', '.join(sorted(known))}")
    elif t in tables and c not in tables[t].columns and (t, c) not in loaded.invalid_columns:
        bad(loc, f"'{t}' has no column '{c}'")


def _column_order(
    tname: str,
    tp: TablePlan,
    tables: Mapping[str, TableSpec],
    loaded: LoadedConfig,
    bad: Report,
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Check every name a column reads, and order the columns so each comes after its inputs."""
    cols = tp.columns
    graph: dict[str, set[str]] = {}
    lookups = [c for c, s in cols.items() if s.foreign_key_target is not None and not s.is_driver]
    rollups = [c for c, s in cols.items() if s.rollup_source is not None]
    driven_keys = _driven_sequence_keys(tables)
    for cname, col in cols.items():
        cloc = ("tables", tname, "columns", cname)
        if (tname, cname) in loaded.invalid_columns:
            continue
        is_driver = col.is_driver
        refs = col.deps()
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
                        f"'{ref}' is not a column of '{col.foreign_key_target}'",
                    )
                    continue
                parent_table = tp.lookup(lookup_col).foreign_key_target
                target = tables.get(parent_table)
                if target is None:
                    continue
                if (parent_table, pcol) in loaded.invalid_columns:
                    continue  # already reported where it is defined
                if pcol not in target.columns:
                    close = difflib.get_close_matches(pcol, list(target.columns), n=1)
                    hint = f"; did you mean '{parent_name}.{close[0]}'?" if close else ""
                    bad(
                        cloc,
                        f"expression reads '{ref}', but '{parent_table}' has "
                        f"no column '{pcol}'{hint}",
                    )
                elif (parent_table, pcol) in driven_keys:
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
                    f"('{col.foreign_key_target}.<column>'), not '{ref}'",
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
        if not is_driver and col.rollup_source is None:
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


def _driven_sequence_keys(tables: Mapping[str, TableSpec]) -> set[tuple[str, str]]:
    """Keys of driven tables: numbered by the engine after generation, so unreadable."""
    out = set()
    for tname, table in tables.items():
        if any(s.is_driver for s in table.columns.values()):
            out |= {(tname, c) for c, s in table.columns.items() if s.is_key_sequence}
    return out


def _families(
    tables: Mapping[str, TableSpec], driver_of: dict[str, str], bad: Report
) -> tuple[list[Family], set[str]]:
    """Group driven tables under their root; order families so lookups read finished tables."""

    def root_of(t: str) -> str:
        seen = set()
        while t in driver_of and t not in seen:
            seen.add(t)
            t = driver_of[t]
        return t

    def looked_up(t: str) -> dict[str, str]:
        """Lookup column -> target, for targets that are tables of this config."""
        return {
            c: s.foreign_key_target
            for c, s in tables[t].columns.items()
            if s.foreign_key_target is not None and s.foreign_key_target in tables
        }

    members: dict[str, list[str]] = {}
    order = list(
        graphlib.TopologicalSorter({t: set(looked_up(t).values()) for t in tables}).static_order()
    )
    for t in order:
        members.setdefault(root_of(t), []).append(t)
    materialized: set[str] = set()
    fam_deps: dict[str, set[str]] = {r: set() for r in members}
    for t in tables:
        for cname, target in looked_up(t).items():
            if tables[t].columns[cname].is_driver:
                continue
            if root_of(target) == root_of(t):
                bad(
                    ("tables", t, "columns", cname),
                    f"'{target}' is generated together "
                    f"with '{t}' (same parent chain); a popularity lookup needs a table "
                    "that is finished first",
                )
                continue
            materialized.add(target)
            fam_deps[root_of(t)].add(root_of(target))
    try:
        fam_order = list(graphlib.TopologicalSorter(fam_deps).static_order())
    except graphlib.CycleError as exc:
        bad(
            ("tables",), f"table groups depend on each other in a cycle: {' -> '.join(exc.args[1])}"
        )
        fam_order = list(members)
    return [Family(r, tuple(members[r])) for r in fam_order], materialized


def _check_empty_targets(
    tables: Mapping[str, TableSpec], driver_of: dict[str, str], bad: Report
) -> None:
    """A popularity lookup draws keys from its target: a target that is empty whatever the
    scale (``rows: 0``, or generated per row of an empty table, or with 0 children per
    parent) leaves it nothing to draw."""
    empty: dict[str, str] = {}  # table -> why

    def why_empty(t: str, seen: frozenset[str] = frozenset()) -> str | None:
        if t in empty or t not in tables or t in seen:
            return empty.get(t)
        spec = tables[t]
        reason = None
        if spec.rows == 0 and t not in driver_of:
            reason = f"'{t}' has rows: 0"
        elif t in driver_of:
            driver = next(s for s in spec.columns.values() if s.is_driver).as_foreign_key()
            parent_reason = why_empty(driver_of[t], seen | {t})
            if parent_reason:
                reason = f"'{t}' is generated per row of '{driver_of[t]}' and {parent_reason}"
            elif driver is not None and driver.never_has_children:
                reason = f"'{t}' gets 0 rows per row of '{driver_of[t]}'"
        if reason:
            empty[t] = reason
        return reason

    for tname, table in tables.items():
        for cname, col in table.columns.items():
            target = col.foreign_key_target
            if target is None or col.is_driver:
                continue
            reason = why_empty(target)
            if reason:
                bad(
                    ("tables", tname, "columns", cname, "table"),
                    f"lookup target '{target}' has no rows ({reason}); a lookup needs at "
                    "least one row to draw keys from",
                )


def _check_anomalies(loaded: LoadedConfig, tables: Mapping[str, TableSpec], bad: Report) -> None:
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
            elif (anomaly.table, anomaly.column) in loaded.invalid_columns:
                continue  # the column's own problem is reported
            elif anomaly.column not in cols:
                bad((*loc, "column"), f"'{anomaly.table}' has no column '{anomaly.column}'")
            elif not cols[anomaly.column].emit:
                bad((*loc, "column"), f"'{anomaly.column}' is not emitted")
            elif anomaly.needs_foreign_key and cols[anomaly.column].foreign_key_target is None:
                bad(
                    (*loc, "column"),
                    f"{anomaly.kind} needs a lookup column; '{anomaly.column}' is "
                    f"'{cols[anomaly.column].kind}'",
                )
            elif anomaly.column == tables[anomaly.table].primary_key:
                bad(
                    (*loc, "column"),
                    "anomalies cannot change primary keys (labels name rows by them)",
                )
            else:
                for message in anomaly.column_problems(cols[anomaly.column].logical_type()):
                    bad((*loc, "column"), message)
        elif anomaly.column is not None:
            bad((*loc, "column"), f"anomaly '{anomaly.kind}' applies to whole rows; drop 'column'")


def expression_names(expr: str) -> set[str]:
    """Names an expression reads (for callers outside the plan)."""
    return expressions.references(expr)
