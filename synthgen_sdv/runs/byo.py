"""Bring your own data: load a folder of CSV / Parquet tables, fit a synthesizer, write an output.

``fit-sample --data-dir`` calls either the composed run::

    outcome = run_user_fit_sample(data_dir, out, metadata_file=None, tables=None, model="hma",
                                  scale=1.0, seed=0, formats=("parquet",))

or the steps it is made of::

    user = load_user_data(data_dir, metadata_file=None)   # UserData: tables, metadata, notes
    print(user.describe())                                 # what was detected, and why
    result = synthesize(user, model="hma", tables=None, scale=1.0, seed=0)  # SynthResult
    with staged_output(out) as tmp:
        write_user_output(tmp, result.tables, result.metadata, result.types, seed=0,
                          sources=result.sources, lineage=result.lineage)
        save_metadata(user, tmp / DETECTED_FILE)          # editable, for --metadata

``load_user_data`` reads one table per file (name = file stem). Without a metadata file it
detects types, keys and relationships (``byo_detect``); with one (SDV metadata JSON, or a
``schema_metadata.json`` whose ``sdv_metadata`` holds it) it checks it against the data and
raises one ``InputError`` listing every problem with file, table and column. The metadata dict
is SDV's (``METADATA_SPEC_VERSION`` V1) with one extension: ``primary_key`` may be a list of
columns (a composite key). ``synthesize`` hides what sdv 1.37.4 cannot model (``byo_keys``),
fits and samples a registered synthesizer, rebuilds the hidden keys, and adds the parents the
sampled tables refer to but that were not modeled, copied from the input (their keys are what
the re-attached foreign keys point to). ``write_user_output`` writes ``data/`` with the
project's writers and ``metadata/schema_metadata.json`` in the ARCHITECTURE.md format.
"""

from __future__ import annotations

import hashlib
import json
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.detect.columns import (
    OUTPUT_FORMAT,
    Relationship,
    detect_primary_key,
    detect_relationships,
    read_raw,
    sdv_sdtypes,
    table_files,
    text_regex,
    type_column,
)
from synthgen_sdv.detect.columns import column_sdtype as _column_sdtype

DETECTED_FILE = Path("metadata") / "detected_metadata.json"
MIN_ROWS_UNIQUE_NOTE = 20  # below this, a distinct-valued text column is unremarkable


@dataclass
class UserData:
    """The user's tables (typed), their SDV metadata dict, and what was detected or changed.

    ``types[table][column]`` is the logical type (int, float, string, bool, date, datetime)
    the writers use; ``reasons`` say why each key and relationship was chosen.
    """

    data_dir: Path
    files: dict[str, Path]
    tables: dict[str, pd.DataFrame]
    metadata: dict
    types: dict[str, dict[str, str]]
    notes: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    metadata_file: Path | None = None

    def describe(self) -> str:
        """A human summary: tables, keys, relationships (with reasons), notes."""
        source = (
            f"metadata from {self.metadata_file}" if self.metadata_file else "detected metadata"
        )
        lines = [f"{len(self.tables)} tables in {self.data_dir} ({source}):"]
        width = max(map(len, self.tables))
        for name, df in self.tables.items():
            pk = self.metadata["tables"][name].get("primary_key")
            key = f"({', '.join(pk)})" if isinstance(pk, list) else (pk or "no key")
            lines.append(
                f"  {name:<{width}}  {len(df):>8,} rows  {df.shape[1]:>3} columns  key {key}"
            )
        rels = self.metadata.get("relationships", [])
        if rels:
            lines.append("relationships:")
            for r in rels:
                lines.append(
                    f"  {r['child_table_name']}.{r['child_foreign_key']} -> "
                    f"{r['parent_table_name']}.{r['parent_primary_key']}"
                )
        for title, items in (("why:", self.reasons), ("notes:", self.notes)):
            if items:
                lines.append(title)
                lines.extend(f"  - {x}" for x in items)
        return "\n".join(lines)


# ============================================================================ loading
def load_user_data(data_dir: str | Path, metadata_file: str | Path | None = None) -> UserData:
    """Read every *.csv / *.parquet of ``data_dir``; detect or check the metadata (see module)."""
    data_dir = Path(data_dir)
    files = table_files(data_dir)
    raw = {name: read_raw(path) for name, path in files.items()}
    if metadata_file is None:
        return _detect(data_dir, files, raw)
    return _with_metadata(data_dir, files, raw, Path(metadata_file))


def _type_frames(raw: dict[str, pd.DataFrame], formats: dict | None = None):
    frames, types, fmts, notes = {}, {}, {}, []
    for name, df in raw.items():
        cols, types[name], fmts[name] = {}, {}, {}
        for col in df.columns:
            kind, series, fmt = type_column(df[col], (formats or {}).get((name, col)))
            cols[col], types[name][col], fmts[name][col] = series, kind, fmt
            if fmt and df[col].dtype == object and formats is None:
                notes.append(f"{name}.{col}: {kind}s stored as text (format {fmt}), parsed")
        frames[name] = pd.DataFrame(cols, index=df.index)
    return frames, types, fmts, notes


def _detect(data_dir: Path, files: dict[str, Path], raw: dict[str, pd.DataFrame]) -> UserData:
    frames, types, fmts, notes = _type_frames(raw)
    sdv_cols, sdv_pks = sdv_sdtypes(frames)
    reasons: list[str] = []
    keys: dict[str, str | list[str] | None] = {}
    for name, df in frames.items():
        keys[name], why = detect_primary_key(name, df, types[name], sdv_pks.get(name))
        reasons.append(f"{name} key: {why}")
        if isinstance(keys[name], list):
            reasons.append(
                f"{name}: composite key; sdv 1.37.4 cannot model it, so it is modeled without a "
                "key and the combination is made unique again after sampling"
            )
    rels, rel_notes = detect_relationships(frames, types, keys)
    notes.extend(rel_notes)
    sdv_rels = {
        (r["child_table_name"], r["child_foreign_key"], r["parent_table_name"])
        for r in _sdv_relationships(frames)
    }
    for r in rels:
        by_sdv = "" if (r.child, r.column, r.parent) in sdv_rels else " (sdv's detection missed it)"
        what = "self reference" if r.parent == r.child else "foreign key"
        reasons.append(
            f"{what} {r.child}.{r.column} -> {r.parent}.{r.parent_key}: {r.reason}{by_sdv}"
        )
    metadata = _build_metadata(frames, types, fmts, keys, rels, sdv_cols, notes)
    return UserData(data_dir, files, frames, metadata, types, notes, reasons)


def _sdv_relationships(frames: dict[str, pd.DataFrame]) -> list[dict]:
    import warnings

    from sdv.metadata import Metadata

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
            entry, note = _column_sdtype(
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
    return {
        "METADATA_SPEC_VERSION": "V1",
        "tables": tables,
        "relationships": [r.as_sdv() for r in rels],
    }


# ------------------------------------------------------------------ user metadata
def read_metadata_file(path: Path) -> dict:
    """The SDV metadata dict in ``path`` (SDV JSON, or our schema_metadata.json)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"--metadata {path}: not found") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"--metadata {path}: not valid JSON ({exc.msg} at line {exc.lineno}, column "
            f"{exc.colno})"
        ) from None
    if isinstance(doc, dict) and "sdv_metadata" in doc:
        doc = doc["sdv_metadata"]
    if not isinstance(doc, dict) or not isinstance(doc.get("tables"), dict):
        raise InputError(
            f"--metadata {path}: expected SDV metadata (a JSON object with a 'tables' object) "
            "or a schema_metadata.json with an 'sdv_metadata' key"
        )
    return doc


def _examples(values) -> str:
    return ", ".join(repr(v.item() if isinstance(v, np.generic) else v) for v in list(values)[:5])


def _with_metadata(
    data_dir: Path, files: dict[str, Path], raw: dict[str, pd.DataFrame], path: Path
) -> UserData:
    md = deepcopy(read_metadata_file(path))
    md.setdefault("METADATA_SPEC_VERSION", "V1")
    md.setdefault("relationships", [])
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
        nulls = df[cols].isna().any(axis=1)
        if nulls.any():
            problems.append(
                f"{at} ({where[name]}): {int(nulls.sum())} rows have an empty key (first at "
                f"data row {int(np.flatnonzero(nulls.to_numpy())[0]) + 1}); a key is never empty"
            )
        dup = df[cols].duplicated(keep=False) & ~nulls
        if dup.any():
            shown = df.loc[dup, cols].drop_duplicates().head(3).to_dict("records")
            problems.append(
                f"{at} ({where[name]}): {int(dup.sum())} rows share a key value, e.g. {shown}; "
                "a primary key is unique: choose another column or a composite key (a list)"
            )

    for i, rel in enumerate(md["relationships"]):
        problems.extend(_check_relationship(i, rel, md, frames, types, keys, where))

    if problems:
        n = len(problems)
        raise InputError(
            f"--metadata {path}: {n} problem{'s' if n != 1 else ''} with the data in "
            f"{data_dir}:\n" + "\n".join(f"  - {p}" for p in problems)
        )
    md["tables"] = {t: md["tables"][t] for t in frames}
    kept = {t: files[t] for t in frames}
    return UserData(data_dir, kept, frames, md, types, notes, [], metadata_file=path)


def _unparsed(series: pd.Series, fmt: str) -> pd.Series:
    values = series.dropna()
    return values[pd.to_datetime(values, format=fmt, errors="coerce").isna()].unique()


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


def save_metadata(user: UserData, path: str | Path) -> Path:
    """Write the metadata as editable JSON (pass it back with ``--metadata``); return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(user.metadata, indent=2) + "\n", encoding="utf-8")
    return path


# ============================================================================ synthesis
@dataclass
class SynthResult:
    """Sampled tables (plus copied parents), their metadata and logical types, and notes."""

    tables: dict[str, pd.DataFrame]
    metadata: dict
    types: dict[str, dict[str, str]]
    sources: dict[str, str]
    modeled: list[str]
    notes: list[str]
    synthesizer: Any
    lineage: dict[str, Any] = field(default_factory=dict)  # the generation_lineage tables


def _closure_of_parents(metadata: dict, tables: list[str]) -> list[str]:
    """``tables`` plus every table they refer to, transitively (parents first is not needed)."""
    out = list(tables)
    for t in out:
        for r in metadata.get("relationships", []):
            if r["child_table_name"] == t and r["parent_table_name"] not in out:
                out.append(r["parent_table_name"])
    return out


def synthesize(
    user: UserData,
    model: str = "hma",
    tables: list[str] | None = None,
    scale: float = 1.0,
    seed: int = 0,
    verbose: bool = False,
    params: dict[str, Any] | None = None,
) -> SynthResult:
    """Fit ``model`` on ``tables`` (default: all) of ``user`` and sample at ``scale``.

    Parents of the modeled tables that are not modeled are copied from the input (foreign
    keys to them are re-attached to their real keys); other tables are left out.
    """
    from synthgen_sdv.synth import SYNTHESIZERS
    from synthgen_sdv.synth.base import derive_seed
    from synthgen_sdv.synth.keys import hide_keys, rebuild_keys

    modeled = list(tables) if tables else list(user.metadata["tables"])
    unknown = [t for t in modeled if t not in user.metadata["tables"]]
    if unknown:
        raise InputError(
            f"--tables: unknown table(s) {', '.join(unknown)}; tables are: "
            f"{', '.join(user.metadata['tables'])}"
        )
    hidden = hide_keys(user.tables, user.metadata, modeled)
    synth = SYNTHESIZERS.get(model)(seed=seed, verbose=verbose, **(params or {}))
    synth.fit(hidden.tables, hidden.metadata, modeled=modeled)
    sampled = synth.sample(scale)
    rng = np.random.default_rng(derive_seed(seed, "byo_keys", scale))
    rebuilt, notes = rebuild_keys(sampled, hidden, user.tables, rng)
    notes = hidden.describe() + notes + list(synth.prepared.warnings)
    for kf in synth.prepared.keys:
        notes.append(
            f"{kf.table}.{kf.column} -> {kf.parent_table}.{kf.parent_column}: parent not "
            "modeled; keys drawn from its real keys with their real frequencies"
        )
    out_names = _closure_of_parents(user.metadata, modeled)
    out: dict[str, pd.DataFrame] = {}
    sources: dict[str, str] = {}
    for name in out_names:
        if name in rebuilt:
            frame = rebuilt[name][list(user.tables[name].columns)]
            out[name] = _coerce(frame, user.types[name])
            sources[name] = f"synthesizer:{model}"
        else:
            out[name] = user.tables[name]
            sources[name] = "copied from input (parent of a modeled table, not modeled)"
            notes.append(f"{name}: not modeled; copied from the input as the parent it is")
    left_out = [t for t in user.metadata["tables"] if t not in out_names]
    if left_out:
        notes.append(
            f"not written: {', '.join(left_out)} (not modeled, and no modeled table refers to "
            "them); add them to --tables to synthesize them too"
        )
    metadata = subset_metadata(user.metadata, out_names)
    types = {t: user.types[t] for t in out_names}
    info = synth.params()
    rebuilt_keys = {k.table: k.describe() for k in (*hidden.composites, *hidden.self_references)}
    lineage: dict[str, Any] = {}
    for name in out_names:
        entry: dict[str, Any] = {
            "source": "synthesizer" if name in modeled else "copied from input",
            "input": {"file": str(user.files[name]), "rows": len(user.tables[name])},
            "rows": len(out[name]),
        }
        if name in modeled:
            entry.update({"model": model, "seed": seed, "sample_scale": scale, "synthesizer": info})
            if name in rebuilt_keys:
                entry["keys_rebuilt_after_sampling"] = rebuilt_keys[name]
        lineage[name] = entry
    return SynthResult(out, metadata, types, sources, modeled, notes, synth, lineage)


def subset_metadata(metadata: dict, names: list[str]) -> dict:
    keep = set(names)
    md = deepcopy(metadata)
    md["tables"] = {t: md["tables"][t] for t in metadata["tables"] if t in keep}
    md["relationships"] = [
        r
        for r in md.get("relationships", [])
        if r["parent_table_name"] in keep and r["child_table_name"] in keep
    ]
    return md


def _coerce(frame: pd.DataFrame, types: dict[str, str]) -> pd.DataFrame:
    """Sampled values in the columns' logical types (SDV may hand back floats for ints)."""
    out = {}
    for col in frame.columns:
        s, kind = frame[col], types.get(col, "string")
        if kind == "int":
            s = pd.to_numeric(s, errors="coerce").round().astype("Int64")
        elif kind == "float":
            s = pd.to_numeric(s, errors="coerce").astype("float64")
        elif kind in ("date", "datetime"):
            s = pd.to_datetime(s, errors="coerce")
            if kind == "date":
                s = s.dt.normalize()
        elif kind == "bool":
            s = s.astype("boolean")
        else:
            s = s.astype(object).where(s.notna(), None)
        out[col] = s
    return pd.DataFrame(out, index=frame.index).reset_index(drop=True)


# ============================================================================ writing
def output_sdv_metadata(metadata: dict, types: dict[str, dict[str, str]]) -> dict:
    """SDV-valid metadata of the written files: ISO date formats, no composite keys or self
    references.

    SDV refuses both (a composite key is "not supported in SDV Community", a self reference is
    a "circular dependency") and SDMetrics' Intertable Trends fails on a self reference, so
    ``compare`` could not score the folder. Both stay in the table's own ``primary_key`` and
    ``foreign_keys`` in schema_metadata.json, which ``validate`` and ``load`` check.
    """
    md = deepcopy(metadata)
    md["relationships"] = [
        r for r in md.get("relationships", []) if r["parent_table_name"] != r["child_table_name"]
    ]
    for name, tmeta in md["tables"].items():
        if isinstance(tmeta.get("primary_key"), list):
            tmeta.pop("primary_key")
        for col, cmeta in tmeta["columns"].items():
            if cmeta.get("sdtype") == "datetime":
                cmeta["datetime_format"] = OUTPUT_FORMAT.get(types[name][col], "%Y-%m-%d")
    md["METADATA_SPEC_VERSION"] = "V1"
    return md


def write_user_output(
    out_dir: str | Path,
    tables: dict[str, pd.DataFrame],
    metadata: dict,
    types: dict[str, dict[str, str]],
    seed: int,
    scale: float = 1.0,
    formats: tuple[str, ...] | list[str] = ("parquet",),
    sources: dict[str, str] | None = None,
    descriptions: dict[str, str] | None = None,
    lineage: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write data/<table>.<fmt> and metadata/schema_metadata.json into ``out_dir``.

    Call it inside ``staged_output(out)`` with the temporary folder. ``lineage`` (e.g.
    ``SynthResult.lineage``) is written as metadata/generation_lineage.yaml under ``tables``.
    Returns the schema_metadata document. ``config_hash`` is the sha256 of the metadata dict.
    """
    from synthgen_sdv.io import artifacts
    from synthgen_sdv.io.writers import FileSink
    from synthgen_sdv.kinds.base import SQL_TYPES

    out_dir = Path(out_dir)
    sink = FileSink(out_dir, list(formats))
    for name, frame in tables.items():
        tt = {c: types[name][c] for c in frame.columns}
        sink.begin(name, tt, None)
        sink.write(name, _coerce(frame, tt), None)
        sink.end(name)
    text = json.dumps(metadata, sort_keys=True, default=str)
    config_hash = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    doc = artifacts.header(artifacts.SCHEMA_METADATA, seed, config_hash, scale=scale)
    doc["sdv_metadata"] = output_sdv_metadata(metadata, types)
    rels = metadata.get("relationships", [])
    entries = {}
    for name, frame in tables.items():
        tmeta = metadata["tables"][name]
        source = (sources or {}).get(name, "user data")
        description = (descriptions or {}).get(name, f"{name} ({source})")
        columns = {}
        for col in frame.columns:
            cmeta = tmeta["columns"][col]
            columns[col] = {
                "sql_type": SQL_TYPES[types[name][col]],
                "logical_type": types[name][col],
                "nullable": bool(frame[col].isna().any()),
                "kind": "user",
                "sdtype": cmeta.get("sdtype"),
                "pii": bool(cmeta.get("pii", False)),
                "description": "",
                "domain": "user",
            }
        entries[name] = {
            "domain": "user",
            "description": description,
            "row_count": len(frame),
            "primary_key": tmeta.get("primary_key"),
            "foreign_keys": [
                {
                    "column": r["child_foreign_key"],
                    "parent_table": r["parent_table_name"],
                    "parent_column": r["parent_primary_key"],
                }
                for r in rels
                if r["child_table_name"] == name
            ],
            "columns": columns,
            "files": sink.files.get(name, {}),
            "source": source,
        }
    doc["tables"] = entries
    artifacts.write_json(out_dir / "metadata" / "schema_metadata.json", doc)
    if lineage is not None:
        lineage_doc = artifacts.header(artifacts.LINEAGE, seed, config_hash)
        lineage_doc["tables"] = lineage
        artifacts.write_yaml(out_dir / "metadata" / "generation_lineage.yaml", lineage_doc)
    return doc


# ============================================================================ composed
@dataclass
class UserRunOutcome:
    out: Path
    user: UserData
    result: SynthResult
    metadata_path: Path  # OUT/metadata/detected_metadata.json: the metadata used, editable
    seconds: float


def run_user_fit_sample(
    data_dir: str | Path,
    out: str | Path,
    metadata_file: str | Path | None = None,
    tables: list[str] | None = None,
    model: str = "hma",
    scale: float = 1.0,
    seed: int = 0,
    formats: tuple[str, ...] | list[str] = ("parquet",),
    params: dict[str, Any] | None = None,
    progress: bool = True,
) -> UserRunOutcome:
    """The whole bring-your-own-data run: load, report, fit, sample, write ``out`` atomically.

    The metadata used is saved as ``OUT/metadata/detected_metadata.json`` (detected, or a
    verbatim copy of ``metadata_file``), so editing it and rerunning with ``--metadata`` on
    that path and the same ``--out`` works again and again. If fitting fails
    with a known cause, the output folder is not written, so the detected metadata is saved
    beside it (``OUT.detected_metadata.json``) and the error message says where, to be edited
    and passed back with ``--metadata``.
    """
    import sys
    import time

    from synthgen_sdv.core.errors import SynthgenError
    from synthgen_sdv.io.output import check_replaceable, staged_output

    def say(msg: str) -> None:
        if progress:
            print(msg, file=sys.stderr, flush=True)

    started = time.perf_counter()
    out = Path(out)
    check_replaceable(out.resolve())  # fail before minutes of fitting, not after
    user = load_user_data(data_dir, metadata_file)
    say(user.describe())
    try:
        result = synthesize(user, model, tables, scale, seed, verbose=progress, params=params)
    except SynthgenError as exc:
        if user.metadata_file is not None:
            raise
        saved = save_metadata(user, out.parent / f"{out.name}.detected_metadata.json")
        cls = InputError if isinstance(exc, InputError) else SynthgenError
        raise cls(
            f"{exc}\nThe detected metadata is saved in {saved}: edit it (keys, relationships, "
            f"sdtypes) and rerun with --metadata {saved}"
        ) from None
    for note in result.notes:
        say(f"  - {note}")
    with staged_output(out) as tmp:
        write_user_output(
            tmp,
            result.tables,
            result.metadata,
            result.types,
            seed,
            scale,
            formats,
            sources=result.sources,
            lineage=result.lineage,
        )
        if user.metadata_file is None:
            save_metadata(user, tmp / DETECTED_FILE)
        else:  # verbatim, so --metadata OUT/metadata/detected_metadata.json --out OUT reruns
            (tmp / DETECTED_FILE).write_bytes(user.metadata_file.read_bytes())
    final = out.resolve()
    path = final / DETECTED_FILE
    what = "detected metadata" if user.metadata_file is None else "metadata used (a copy)"
    say(f"{what} saved in {path}; edit it and rerun with --metadata {path}")
    return UserRunOutcome(final, user, result, path, time.perf_counter() - started)
