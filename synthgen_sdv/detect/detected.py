"""Metadata detected from the data alone: types, primary keys, relationships, sdtypes."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from synthgen_sdv.detect.graph import break_cycles
from synthgen_sdv.detect.integrity import refuse_or_drop
from synthgen_sdv.detect.keys import detect_primary_keys
from synthgen_sdv.detect.links import Relationship, detect_relationships
from synthgen_sdv.detect.names import bare_key_word, column_prefix
from synthgen_sdv.detect.reading import RawTable
from synthgen_sdv.detect.sdtypes import column_sdtype, sdv_sdtypes, text_regex
from synthgen_sdv.detect.types import MONEY_RE, type_column
from synthgen_sdv.detect.userdata import UserData

MIN_ROWS_UNIQUE_NOTE = 20  # below this, a distinct-valued text column is unremarkable


def _type_frames(raw: dict[str, pd.DataFrame], formats: dict | None = None):
    frames, types, fmts, notes = {}, {}, {}, []
    for name, df in raw.items():
        cols, types[name], fmts[name] = {}, {}, {}
        for col in df.columns:
            kind, series, fmt = type_column(df[col], (formats or {}).get((name, col)))
            cols[col], types[name][col], fmts[name][col] = series, kind, fmt
            if fmt and df[col].dtype == object and formats is None:
                notes.append(f"{name}.{col}: {kind}s stored as text (format {fmt}), parsed")
            if kind in ("int", "float") and df[col].dtype == object:
                signed = df[col].dropna().astype(str)
                if len(signed) and MONEY_RE.match(signed.iloc[0]):
                    notes.append(
                        f"{name}.{col}: amounts written with a currency sign ({signed.iloc[0]}) "
                        "read as numbers; the output writes them as plain numbers"
                    )
            words = df[col][series.isna() & df[col].notna()]
            if len(words):
                shown = ", ".join(repr(w) for w in words.astype(str).unique()[:3])
                notes.append(
                    f"{name}.{col}: {len(words)} values {shown} among {kind} values read as "
                    "empty (written empty in the output)"
                )
        frames[name] = pd.DataFrame(cols, index=df.index)
    return frames, types, fmts, notes


def detect_metadata(
    data_dir: Path,
    files: dict[str, Path],
    raws: dict[str, RawTable],
    bad_rows: str = "error",
) -> UserData:
    """Type every column and detect keys, relationships and sdtypes, each with its reason."""
    frames, types, fmts, notes = _type_frames({t: r.frame for t, r in raws.items()})
    names = _NameView(frames, types, notes)
    keys, why, problems = names.primary_keys()
    if problems:
        refuse_or_drop(problems, raws, frames, bad_rows, notes)
        keys, why, problems = names.primary_keys()
    sdv_cols, _ = sdv_sdtypes(frames)
    reasons = [f"{name} key: {why[name]}" for name in frames]
    for name, key in keys.items():
        if isinstance(key, list):
            reasons.append(
                f"{name}: composite key; sdv 1.37.4 cannot model it, so it is modeled without a "
                "key and the combination is made unique again after sampling"
            )
    found, rel_notes = names.relationships(keys, repair=bad_rows == "repair")
    notes.extend(rel_notes)
    _empty_orphans(found, frames, notes)
    _type_empty_references(found, frames, types)
    rels, left_out = break_cycles(found)
    sdv_rels = {
        (r["child_table_name"], r["child_foreign_key"], r["parent_table_name"])
        for r in _sdv_relationships(frames)
    }
    for r in found:
        by_sdv = "" if (r.child, r.column, r.parent) in sdv_rels else " (sdv's detection missed it)"
        what = "self reference" if r.parent == r.child else "foreign key"
        reasons.append(f"{what} {r.label()}: {r.reason}{by_sdv}")
    for lo in left_out:
        reasons.append(f"left out of the model: {lo.relationship.label()}: {lo.reason}")
    metadata = _build_metadata(frames, types, fmts, keys, found, sdv_cols, notes)
    metadata["relationships"] = [r.as_sdv() for r in rels]
    return UserData(data_dir, files, frames, metadata, types, notes, reasons, left_out=left_out)


class _NameView:
    """Keys and links detected on column names without a table-wide prefix (TPC-H's
    ``c_custkey`` is read as ``custkey``), the results named with the real columns again."""

    def __init__(self, frames: dict[str, pd.DataFrame], types: dict, notes: list[str]):
        self.frames, self.types = frames, types
        self.real: dict[str, dict[str, str]] = {}  # table -> {name compared: real column}
        for t, df in frames.items():
            prefix = column_prefix(t, [str(c) for c in df.columns])
            if prefix:
                # a bare key word left (dept_no -> no) keeps its prefix: it names the key
                self.real[t] = {
                    (c if bare_key_word(c[len(prefix) :]) else c[len(prefix) :]): c
                    for c in df.columns
                }
                notes.append(
                    f"{t}: every column starts with '{prefix}', so names are compared without it"
                )

    def _view(self):
        frames, types = {}, {}
        for t, df in self.frames.items():
            if t in self.real:
                short = {c: s for s, c in self.real[t].items()}
                frames[t] = df.rename(columns=short, copy=False)
                types[t] = {short[c]: k for c, k in self.types[t].items()}
            else:
                frames[t], types[t] = df, self.types[t]
        return frames, types

    def _col(self, table: str, name: str) -> str:
        return self.real.get(table, {}).get(name, name)

    def _key(self, table: str, key):
        if isinstance(key, list):
            return [self._col(table, c) for c in key]
        return self._col(table, key) if key else key

    def _short(self, table: str, key):
        long = {c: s for s, c in self.real.get(table, {}).items()}
        if isinstance(key, list):
            return [long.get(c, c) for c in key]
        return long.get(key, key) if key else key

    def primary_keys(self):
        """``detect_primary_keys`` on the view; keys and problems named with real columns."""
        frames, types = self._view()
        keys, why, problems = detect_primary_keys(frames, types)
        for p in problems:
            p.column = ", ".join(self._col(p.table, c) for c in p.column.split(", "))
        for t, real in self.real.items():
            key = keys.get(t)
            for short in key if isinstance(key, list) else [key] if key else []:
                why[t] = re.sub(rf"(?<!\w){re.escape(short)}\b", real[short], why[t])
        return {t: self._key(t, k) for t, k in keys.items()}, why, problems

    def relationships(self, keys, repair: bool = False):
        """``detect_relationships`` on the view; each link named with real columns."""
        frames, types = self._view()
        found, rel_notes = detect_relationships(
            frames, types, {t: self._short(t, k) for t, k in keys.items()}, repair
        )
        for r in found:
            pk = self._col(r.parent, r.parent_key)
            r.reason = r.reason.replace(f"{r.parent}.{r.parent_key}", f"{r.parent}.{pk}")
            r.column, r.parent_key = self._col(r.child, r.column), pk
        return found, rel_notes


def _empty_orphans(
    rels: list[Relationship], frames: dict[str, pd.DataFrame], notes: list[str]
) -> None:
    """``--bad-rows repair``: references to parent rows that are not there become empty."""
    for r in rels:
        if r.orphans:
            column = frames[r.child][r.column]
            gone = column.isin(list(r.orphans))
            frames[r.child][r.column] = column.mask(gone)
            notes.append(
                f"{r.child}.{r.column}: {int(gone.sum())} rows named {r.parent} rows that are "
                "not in the folder; emptied (--bad-rows repair)"
            )


def _type_empty_references(
    rels: list[Relationship], frames: dict[str, pd.DataFrame], types: dict[str, dict[str, str]]
) -> None:
    """A foreign key column without any value takes its parent key's type (it reads as text)."""
    for r in rels:
        column = frames[r.child][r.column]
        if column.notna().any():
            continue
        kind = types[r.parent][r.parent_key]
        types[r.child][r.column] = kind
        dtype = {"int": "Int64", "date": "datetime64[ns]", "datetime": "datetime64[ns]"}
        frames[r.child][r.column] = pd.Series(
            pd.array([None] * len(column), dtype=dtype.get(kind, object)), index=column.index
        )


def _sdv_relationships(frames: dict[str, pd.DataFrame]) -> list[dict]:
    from sdv.metadata import Metadata  # heavy; only when detecting

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return Metadata.detect_from_dataframes(frames).to_dict().get("relationships", [])
        except Exception:  # only used to say what sdv missed; never fatal
            return []


def _build_metadata(frames, types, fmts, keys, rels: list[Relationship], sdv_cols, notes):
    tables: dict[str, Any] = {}
    fk_cols = {(r.child, r.column) for r in rels}
    for name, df in frames.items():
        pk = keys[name]
        key_cols = set(pk if isinstance(pk, list) else [pk] if pk else [])
        columns = {}
        for col in df.columns:
            if col in key_cols or (name, col) in fk_cols:
                entry: dict[str, Any] = {"sdtype": "id"}
                if col == pk and types[name][col] == "string":
                    regex = text_regex(df[col])
                    if regex:
                        entry["regex_format"] = regex
                columns[col] = entry
                continue
            entry, note = column_sdtype(
                name, col, types[name][col], sdv_cols[name].get(col), df[col], fmts[name][col]
            )
            columns[col] = entry
            if note:
                notes.append(note)
        copied = [
            c
            for c, m in columns.items()
            if m["sdtype"] == "categorical"
            and types[name][c] == "string"
            and len(df) >= MIN_ROWS_UNIQUE_NOTE
            and df[c].notna().all()
            and df[c].is_unique
        ]
        if copied:
            notes.append(
                f"{name}: {', '.join(copied)}: every value is distinct text, modeled as a "
                "category, so sampled values are copies of input values; if that is private, "
                'set "pii": true on the column in the metadata file (then it is regenerated)'
            )
        tables[name] = {"columns": columns}
        if pk:
            tables[name]["primary_key"] = pk
    return {"METADATA_SPEC_VERSION": "V1", "tables": tables, "relationships": []}
