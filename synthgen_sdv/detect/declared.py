"""Metadata the user gave (SDV JSON, or a schema_metadata.json), checked against the data.

Every problem is collected and raised as one ``InputError`` naming the file, table and column.
A primary key that repeats or is empty is one of them, with the lines at fault, unless
``--bad-rows drop`` leaves those rows out. Relationships that form a cycle are broken at the
weakest link (``detect.graph``); links listed under ``unmodeled_relationships`` (as the saved
detected metadata does) are checked too and stay out of the model.
"""

from __future__ import annotations

from collections.abc import Collection
from copy import deepcopy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.detect.graph import LeftOut, break_cycles, relationship_of
from synthgen_sdv.detect.integrity import describe, key_problem
from synthgen_sdv.detect.reading import RawTable
from synthgen_sdv.detect.types import type_column
from synthgen_sdv.detect.userdata import UNMODELED, UserData
from synthgen_sdv.io.reader import read_json


def read_metadata_file(path: Path, tables: Collection[str] = ()) -> dict:
    """The SDV metadata dict in ``path`` (SDV JSON, or our schema_metadata.json). SDV's
    single-table metadata (``columns`` at the top, ``SINGLE_TABLE_V1``) describes the one
    table of ``tables``, as SDV's ``Metadata.load_from_dict`` reads it."""
    doc: Any = read_json(path, f"--metadata {path}")
    if "sdv_metadata" in doc:
        doc = doc["sdv_metadata"]
    if isinstance(doc, dict) and "tables" not in doc and isinstance(doc.get("columns"), dict):
        if len(tables) != 1:
            raise InputError(
                f"--metadata {path}: single-table SDV metadata ('columns' at the top) describes "
                f"one table, but the folder has {len(tables)}: {', '.join(sorted(tables))}; "
                "use multi-table metadata ({'tables': {name: {...}}, 'relationships': [...]})"
            )
        table = {k: v for k, v in doc.items() if k != "METADATA_SPEC_VERSION"}
        doc = {"tables": {next(iter(tables)): table}, "relationships": []}
    if not isinstance(doc, dict) or not isinstance(doc.get("tables"), dict):
        raise InputError(
            f"--metadata {path}: expected SDV metadata (a JSON object with a 'tables' object, "
            "or one table's 'columns') or a schema_metadata.json with an 'sdv_metadata' key"
        )
    return doc


def _examples(values) -> str:
    return ", ".join(repr(v.item() if isinstance(v, np.generic) else v) for v in list(values)[:5])


def check_metadata(
    data_dir: Path,
    files: dict[str, Path],
    raws: dict[str, RawTable],
    path: Path,
    bad_rows: str = "error",
) -> UserData:
    """The user's metadata checked against the data: every problem at once, with where."""
    raw = {t: r.frame for t, r in raws.items()}
    md = deepcopy(read_metadata_file(path, list(files)))
    md.setdefault("METADATA_SPEC_VERSION", "V1")
    md.setdefault("relationships", [])
    unmodeled = md.pop(UNMODELED, [])
    if not isinstance(unmodeled, list) or not isinstance(md["relationships"], list):
        raise InputError(f"--metadata {path}: relationships and {UNMODELED} must be lists")
    problems: list[str] = []
    notes: list[str] = [f"metadata read from {path}"]
    where = {t: f"{files[t].name}" for t in files}

    for name in files:
        if name not in md["tables"]:
            notes.append(f"{files[name].name}: table '{name}' is not in the metadata; ignored")
    formats: dict[tuple[str, str], str] = {}
    use: dict[str, pd.DataFrame] = {}
    for name, tmeta in md["tables"].items():
        at = f"tables.{name}"
        if name not in files:
            problems.append(
                f"{at}: no file {name}.csv or {name}.parquet in {data_dir}; tables there: "
                f"{', '.join(files)}"
            )
            continue
        cols = tmeta.get("columns") if isinstance(tmeta, dict) else None
        if not isinstance(cols, dict):
            problems.append(f"{at}.columns: missing (an object of column -> {{sdtype: ...}})")
            continue
        df = raw[name]
        missing = [c for c in cols if c not in df.columns]
        extra = [c for c in df.columns if c not in cols]
        for c in missing:
            problems.append(f"{at}.columns.{c}: not a column of {where[name]}")
        if extra:
            problems.append(
                f"{at}.columns: {where[name]} has columns the metadata does not describe: "
                f'{", ".join(extra)}; add them (e.g. {{"sdtype": "categorical"}})'
            )
        for c, cmeta in cols.items():
            if not isinstance(cmeta, dict) or not isinstance(cmeta.get("sdtype"), str):
                problems.append(f"{at}.columns.{c}: needs an 'sdtype' (e.g. categorical)")
            elif cmeta["sdtype"] == "datetime" and cmeta.get("datetime_format"):
                formats[(name, c)] = cmeta["datetime_format"]
        use[name] = df[[c for c in df.columns if c in cols]]

    frames, types = {}, {}
    for name, df in use.items():
        cols = md["tables"][name]["columns"]
        typed, types[name] = {}, {}
        for col in df.columns:
            at = f"tables.{name}.columns.{col}"
            sdtype = cols[col].get("sdtype") if isinstance(cols[col], dict) else None
            try:
                kind, series, _ = type_column(df[col], formats.get((name, col)))
            except ValueError as exc:
                bad = _unparsed(df[col], formats[(name, col)])
                problems.append(f"{at} ({where[name]}): {exc}; e.g. {_examples(bad)}")
                kind, series = "string", df[col]
            if sdtype == "datetime" and kind not in ("date", "datetime"):
                problems.append(
                    f"{at} ({where[name]}): sdtype datetime but values like "
                    f"{_examples(df[col].dropna().unique())} are not dates; add a "
                    "'datetime_format' (e.g. \"%d/%m/%Y\") or change the sdtype"
                )
            elif sdtype == "numerical" and kind not in ("int", "float"):
                bad = df[col].dropna()
                bad = bad[pd.to_numeric(bad, errors="coerce").isna()].unique()
                problems.append(
                    f"{at} ({where[name]}): sdtype numerical but values like {_examples(bad)} "
                    "are not numbers; use sdtype categorical"
                )
            elif sdtype == "boolean" and kind not in ("bool", "int"):
                problems.append(
                    f"{at} ({where[name]}): sdtype boolean but values are {kind}; use "
                    "true/false values or another sdtype"
                )
            elif sdtype not in ("datetime",) and kind in ("date", "datetime"):
                kind, series = "string", df[col].astype(object)  # dates kept as labels
            typed[col], types[name][col] = series, kind
        frames[name] = pd.DataFrame(typed, index=df.index)

    keys: dict[str, Any] = {}
    for name, df in frames.items():
        pk = md["tables"][name].get("primary_key")
        if isinstance(pk, list) and len(pk) == 1:
            pk = md["tables"][name]["primary_key"] = pk[0]
        keys[name] = pk
        if pk is None:
            continue
        cols = pk if isinstance(pk, list) else [pk]
        at = f"tables.{name}.primary_key"
        absent = [c for c in cols if c not in df.columns]
        if absent or not all(isinstance(c, str) for c in cols):
            problems.append(f"{at}: {pk!r} is not a column of {where[name]}")
            continue
        problem = key_problem(df, name, cols)
        if problem is None:
            continue
        said = describe(problem, raws[name], df)
        if bad_rows not in ("drop", "repair"):
            problems.append(
                f"{at} ({where[name]}): {said}; a primary key is unique and never empty: choose "
                "another column or a composite key (a list), or pass --bad-rows drop to keep "
                "the first row of each key value"
            )
            continue
        drop = np.union1d(problem.repeated, problem.empty)
        keep = np.ones(len(df), bool)
        keep[drop] = False
        frames[name] = df[keep].reset_index(drop=True)
        raws[name].drop_rows(drop)
        notes.append(f"{said}: {len(drop)} rows left out (--bad-rows {bad_rows})")

    alternate = {
        name: _alternate_keys(md, name, frames[name], raws[name], where, problems)
        for name in frames
    }
    _type_empty_keys(md["relationships"] + unmodeled, frames, types)
    for i, rel in enumerate(md["relationships"]):
        problems.extend(_check_relationship(i, rel, md, frames, types, keys, where))
    for i, rel in enumerate(unmodeled):
        found = _check_relationship(i, rel, md, frames, types, keys, where)
        problems.extend(p.replace("relationships[", f"{UNMODELED}[", 1) for p in found)
    problems.extend(_placeholder_ids(md, keys, alternate, unmodeled, where))

    if problems:
        n = len(problems)
        raise InputError(
            f"--metadata {path}: {n} problem{'s' if n != 1 else ''} with the data in "
            f"{data_dir}:\n" + "\n".join(f"  - {p}" for p in problems)
        )
    md["tables"] = {t: md["tables"][t] for t in frames}
    kept = {t: files[t] for t in frames}
    rels, left_out = break_cycles([relationship_of(r, frames, md) for r in md["relationships"]])
    md["relationships"] = [r.as_sdv() for r in rels]
    left_out += [
        LeftOut(relationship_of(r, frames, md), str(r.get("reason") or f"listed in {UNMODELED}"))
        for r in unmodeled
    ]
    reasons = [f"left out of the model: {lo.relationship.label()}: {lo.reason}" for lo in left_out]
    return UserData(
        data_dir, kept, frames, md, types, notes, reasons, metadata_file=path, left_out=left_out
    )


def _alternate_keys(
    md: dict, name: str, df: pd.DataFrame, raw: RawTable, where: dict, problems: list
) -> set:
    """The columns of ``name``'s ``alternate_keys`` (SDV's: each one column, an id or PII
    sdtype), checked as a primary key is: a column of the file, unique and never empty."""
    listed = md["tables"][name].get("alternate_keys") or []
    at = f"tables.{name}.alternate_keys"
    if not isinstance(listed, list):
        problems.append(f"{at}: expected a list of column names, got {listed!r}")
        return set()
    out = set()
    for key in listed:
        if not isinstance(key, str) or key not in df.columns:
            problems.append(f"{at}: {key!r} is not a column of {where[name]}")
            continue
        out.add(key)
        problem = key_problem(df, name, [key])
        if problem is not None:
            problems.append(
                f"{at} ({where[name]}): {describe(problem, raw, df)}; an alternate key is "
                "unique and never empty: leave the column out of alternate_keys"
            )
    return out


def _placeholder_ids(
    md: dict, keys: dict, alternate: dict, unmodeled: list, where: dict
) -> list[str]:
    """sdtype id on a column that is no key: SDV would fill it with placeholder ids."""
    referencing = {
        (r["child_table_name"], r["child_foreign_key"])
        for r in [*md["relationships"], *unmodeled]
        if isinstance(r, dict)
    }
    problems = []
    for name, key in keys.items():
        own = set(key if isinstance(key, list) else [key] if key else [])
        own |= alternate.get(name, set())
        for col, cmeta in md["tables"][name]["columns"].items():
            if cmeta.get("sdtype") == "id" and col not in own and (name, col) not in referencing:
                problems.append(
                    f"tables.{name}.columns.{col} ({where[name]}): sdtype id, but the column is "
                    "neither a key nor a foreign key, so every value would be replaced by a "
                    "generated placeholder id; use categorical (or declare the key)"
                )
    return problems


def _unparsed(series: pd.Series, fmt: str) -> pd.Series:
    values = series.dropna()
    return values[pd.to_datetime(values, format=fmt, errors="coerce").isna()].unique()


def _type_empty_keys(rels: list, frames: dict, types: dict) -> None:
    """A foreign key column with no values (Sakila's film.original_language_id) reads as text;
    it takes its parent key's type, since there is no value to disagree with it."""
    for rel in rels:
        if not isinstance(rel, dict):
            continue
        parent, pk = rel.get("parent_table_name"), rel.get("parent_primary_key")
        child, fk = rel.get("child_table_name"), rel.get("child_foreign_key")
        if parent not in frames or child not in frames or not isinstance(pk, str):
            continue
        if fk not in frames[child].columns or pk not in frames[parent].columns:
            continue
        if frames[child][fk].notna().any() or types[child][fk] == types[parent][pk]:
            continue
        dtype = frames[parent][pk].dtype
        frames[child][fk] = pd.Series(pd.NA, index=frames[child].index, dtype=object).astype(
            dtype if dtype.kind not in "iu" else "Int64"
        )
        types[child][fk] = types[parent][pk]


def _check_relationship(i, rel, md, frames, types, keys, where) -> list[str]:
    at = f"relationships[{i}]"
    need = ("parent_table_name", "parent_primary_key", "child_table_name", "child_foreign_key")
    if not isinstance(rel, dict) or any(not isinstance(rel.get(k), str) for k in need):
        return [f"{at}: needs the text fields {', '.join(need)}"]
    parent, pk = rel["parent_table_name"], rel["parent_primary_key"]
    child, fk = rel["child_table_name"], rel["child_foreign_key"]
    at = f"{at} ({child}.{fk} -> {parent}.{pk})"
    problems = []
    for role, t in (("parent_table_name", parent), ("child_table_name", child)):
        if t not in md["tables"]:
            problems.append(
                f"{at}.{role}: '{t}' is not a table of the metadata; tables: "
                f"{', '.join(md['tables'])}"
            )
    if problems or parent not in frames or child not in frames:
        return problems
    if isinstance(keys.get(parent), list):
        problems.append(
            f"{at}: {parent} has a composite key {keys[parent]}; SDV metadata cannot point a "
            f"foreign key at part of it. Give {parent} a single-column key and reference it, "
            "or drop the relationship"
        )
        return problems
    if keys.get(parent) != pk:
        problems.append(
            f"{at}.parent_primary_key: '{pk}' is not the primary key of {parent} "
            f"(it is {keys.get(parent)!r}); a relationship points at the parent's primary key"
        )
        return problems
    if fk not in frames[child].columns:
        return [f"{at}.child_foreign_key: '{fk}' is not a column of {where[child]}"]
    if types[child][fk] != types[parent][pk]:
        return [
            f"{at}: {child}.{fk} holds {types[child][fk]} values but {parent}.{pk} holds "
            f"{types[parent][pk]} values; they cannot match"
        ]
    values = frames[child][fk].dropna()
    outside = values[~values.isin(set(frames[parent][pk]))]
    if len(outside):
        problems.append(
            f"{at}: {len(outside)} rows of {child}.{fk} ({where[child]}) point to no "
            f"{parent}.{pk}, e.g. {_examples(outside.unique())}; every foreign key value must "
            f"be a key of {parent} (fix the data, empty those values, or drop the relationship)"
        )
    return problems
