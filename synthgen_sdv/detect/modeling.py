"""Your data as a synthesizer can take it, and back: date keys and links left out of the model.

Two things in real schemas that sdv 1.37.4's HMA cannot take as they are:

* a key that is a date (``times.time_id``, referred to by ``costs.time_id``), or a warehouse's
  "smart" date key, an integer spelling it (``DimDate.DateKey`` 20050101): SDV generates keys
  as new integers, so date keys are given to it as integers (``DateKey``) and, after
  sampling, mapped back to dates. The key's date also goes to the synthesizer as a plain date
  column of its table (``DateKey.shadow``: a column already equal to it, such as
  ``FullDateAlternateKey``, or one added), which the synthesizer keeps distinct (rule
  ``unique``) and from which it computes the table's calendar parts (``synth.calendar``). Each
  sampled key then takes its own row's date, so the day name, month and fiscal year of a
  sampled date dimension agree with its key; should those dates not come back distinct, the
  sampled keys are mapped in order onto the real dates, then further dates with the real
  typical step;
* a foreign key left out of the modeled graph (``detect.graph``): its column is taken out of
  what the synthesizer sees and re-attached after sampling (``LinkShape``) to keys of the
  sampled parent, or to the real keys when the parent is copied from the input.

``fit_tables`` makes the view, ``restore`` undoes it; ``FitState`` is what goes between them.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from synthgen_sdv.core.errors import SynthgenError
from synthgen_sdv.detect.graph import LeftOut, LinkShape
from synthgen_sdv.detect.links import Relationship
from synthgen_sdv.detect.userdata import UserData

PLACEHOLDER = "sdv-id-"  # how SDV fills an id column it has to generate
#: an integer key is a smart date key when every value spells a date as yyyymmdd within these
#: years and the values span at least two months: a run of 32 or more consecutive integers
#: cannot (it would hold a day 32), so a plain id counted from 20050101 is not taken for one
SMART_YEARS = (1800, 2200)
SMART_MIN_KEYS = 20
SHADOW_SUFFIX = "__date"


@dataclass
class DateKey:
    """A date primary key given to the synthesizer as integers, with its referring columns."""

    table: str
    column: str
    real: np.ndarray  # sorted distinct real keys (datetime64)
    step: np.timedelta64
    references: list[tuple[str, str]]  # (table, column) of modeled foreign keys to it
    #: how the data spells the key: "date" (a date or datetime) or "yyyymmdd" (an integer)
    form: str = "date"
    #: the column of the key's table that carries its date to the synthesizer (None: none)
    shadow: str | None = None
    shadow_added: bool = False  # the shadow is a column added for it, dropped after sampling

    def as_dates(self, values: pd.Series) -> pd.Series:
        """The key's values (or a foreign key's) as datetime64 (unreadable: NaT)."""
        if self.form == "yyyymmdd":
            return yyyymmdd_dates(values)
        return pd.to_datetime(values, errors="coerce")

    def spelled(self, dates: pd.Series) -> pd.Series:
        """Dates spelled as the data spells the key."""
        dates = pd.to_datetime(dates, errors="coerce")
        if self.form == "yyyymmdd":
            number = dates.dt.year * 10000 + dates.dt.month * 100 + dates.dt.day
            return number.astype("Int64")
        return dates

    def codes(self, values: pd.Series) -> pd.Series:
        """Real dates as their rank among the real keys (what the synthesizer learns)."""
        dates = self.as_dates(values)
        pos = np.searchsorted(self.real, dates.to_numpy(dtype="datetime64[ns]"))
        return pd.Series(pos, index=values.index).where(dates.notna()).astype("Int64")

    def mapping(self, sampled: pd.DataFrame, rng: np.random.Generator) -> dict:
        """``{sampled key: date}``: each key its row's sampled date when those are distinct
        and known, else ``dates`` (in order)."""
        keys = sampled[self.column]
        if self.shadow is not None and self.shadow in sampled.columns:
            own = pd.to_datetime(sampled[self.shadow], errors="coerce")
            if own.notna().all() and own.is_unique and keys.notna().all():
                return dict(zip(keys.tolist(), own.to_numpy(dtype="datetime64[ns]"), strict=True))
        return self.dates(keys, rng)

    def dates(self, sampled_keys: pd.Series, rng: np.random.Generator) -> dict:
        """``{sampled key: date}``: the sampled keys in order onto real dates, then beyond."""
        keys = np.sort(sampled_keys.dropna().unique())
        n, m = len(keys), len(self.real)
        if n <= m:
            chosen = (
                np.sort(self.real[rng.choice(m, size=n, replace=False)]) if n < m else self.real
            )
        else:
            extra = self.real[-1] + self.step * np.arange(1, n - m + 1)
            chosen = np.concatenate([self.real, extra])
        return dict(zip(keys.tolist(), chosen, strict=True))


@dataclass
class FitState:
    """What ``restore`` needs: the date keys encoded and the links left out."""

    date_keys: list[DateKey] = field(default_factory=list)
    left_out: list[tuple[LeftOut, LinkShape]] = field(default_factory=list)
    #: the smallest real value of each modeled table's integer primary key: counted keys
    #: start there (an order 10248, an employee 1), as the data's do
    key_starts: dict[str, int] = field(default_factory=dict)

    def describe(self) -> list[str]:
        """One note per change, for the run's notes."""
        notes = [
            f"{d.table}.{d.column}: date key given to the synthesizer as integers and mapped "
            "back to dates in order after sampling"
            for d in self.date_keys
        ]
        for lo, shape in self.left_out:
            r = lo.relationship
            notes.append(
                f"{r.label()}: left out of the model ({lo.reason.split(';')[0]}); re-attached "
                f"after sampling with the real shape: {shape.null_rate:.0%} empty, "
                f"{shape.referenced_share:.0%} of {r.parent} rows referred to"
            )
        return notes

    def to_record(self) -> dict[str, Any]:
        """As JSON, for a model folder (``from_record`` reads it back)."""
        return {
            "date_keys": [
                {
                    "table": d.table,
                    "column": d.column,
                    "real": [str(x) for x in d.real.astype("datetime64[ns]")],
                    "step_ns": int(d.step.astype("timedelta64[ns]").astype(np.int64)),
                    "references": [list(r) for r in d.references],
                    "form": d.form,
                    "shadow": d.shadow,
                    "shadow_added": d.shadow_added,
                }
                for d in self.date_keys
            ],
            "left_out": [
                {
                    "relationship": asdict(lo.relationship),
                    "reason": lo.reason,
                    "null_rate": shape.null_rate,
                    "referenced_share": shape.referenced_share,
                    "counts": shape.counts.tolist(),
                    "anchor": list(shape.anchor) if shape.anchor else None,
                    "offset": shape.offset,
                }
                for lo, shape in self.left_out
            ],
            "key_starts": dict(self.key_starts),
        }

    @classmethod
    def from_record(cls, doc: dict[str, Any]) -> FitState:
        """The state ``to_record`` wrote."""
        dates = [
            DateKey(
                d["table"],
                d["column"],
                np.array(d["real"], dtype="datetime64[ns]"),
                np.timedelta64(d["step_ns"], "ns"),
                [(t, c) for t, c in d["references"]],
                d.get("form", "date"),
                d.get("shadow"),
                bool(d.get("shadow_added", False)),
            )
            for d in doc.get("date_keys", [])
        ]
        left = [
            (
                LeftOut(Relationship(**x["relationship"]), x["reason"]),
                LinkShape(
                    x["null_rate"],
                    x["referenced_share"],
                    np.array(x["counts"], np.int64),
                    tuple(x["anchor"]) if x.get("anchor") else None,
                    float(x.get("offset", 0.0)),
                ),
            )
            for x in doc.get("left_out", [])
        ]
        starts = {t: int(v) for t, v in doc.get("key_starts", {}).items()}
        return cls(dates, left, starts)


def _key_columns(metadata: dict, table: str) -> list[str]:
    """Keys and ids of ``table``: never the value pair a re-attached link follows."""
    meta = metadata["tables"][table]
    keys = {c for c, m in meta["columns"].items() if m.get("sdtype") == "id"}
    pk = meta.get("primary_key")
    keys.update([pk] if isinstance(pk, str) else pk or [])
    for r in metadata.get("relationships", []):
        if r["child_table_name"] == table:
            keys.add(r["child_foreign_key"])
    return sorted(keys)


def fit_tables(
    user: UserData, modeled: list[str], also_left_out: list[LeftOut] | None = None
) -> tuple[dict[str, pd.DataFrame], dict, FitState]:
    """The tables and metadata without the columns of links left out (the detected ones and
    ``also_left_out``), date keys as integers."""
    tables = dict(user.tables)
    metadata = deepcopy(user.metadata)
    state = FitState()
    chosen = set(modeled)
    for lo in [*user.left_out, *(also_left_out or [])]:
        r = lo.relationship
        if r.child not in chosen:
            continue
        metadata["relationships"] = [x for x in metadata["relationships"] if x != r.as_sdv()]
        child, parent = user.tables[r.child], user.tables[r.parent]
        shape = LinkShape.learn(
            child[r.column],
            parent[r.parent_key],
            child.drop(columns=_key_columns(user.metadata, r.child), errors="ignore"),
            parent.drop(columns=_key_columns(user.metadata, r.parent), errors="ignore"),
        )
        state.left_out.append((lo, shape))
        tables[r.child] = tables[r.child].drop(columns=[r.column])
        metadata["tables"][r.child]["columns"].pop(r.column, None)
    # a key that is also its table's reference (a one-to-one child keyed by its parent's
    # key) is coded with its parent's key, never as a date key of its own
    own_refs = {(r["child_table_name"], r["child_foreign_key"]) for r in metadata["relationships"]}
    forms: dict[str, str] = {}
    for name in modeled:
        pk = metadata["tables"][name].get("primary_key")
        if not isinstance(pk, str) or (name, pk) in own_refs:
            continue
        kind = user.types[name].get(pk)
        if kind in ("date", "datetime"):
            forms[name] = "date"
        elif kind == "int" and is_smart_date_key(user.tables[name][pk]):
            forms[name] = "yyyymmdd"
    to_date_key = {
        (r["child_table_name"], r["child_foreign_key"])
        for r in metadata["relationships"]
        if r["parent_table_name"] in forms
    }
    for name in modeled:
        pk = metadata["tables"][name].get("primary_key")
        if not isinstance(pk, str) or name in forms or (name, pk) in to_date_key:
            continue
        if user.types[name].get(pk) == "int":
            keys = pd.to_numeric(user.tables[name][pk], errors="coerce").dropna()
            if len(keys):
                state.key_starts[name] = int(keys.min())
    for name, form in forms.items():
        pk = metadata["tables"][name]["primary_key"]
        refs = [
            (r["child_table_name"], r["child_foreign_key"])
            for r in metadata["relationships"]
            if r["parent_table_name"] == name and r["child_table_name"] in chosen
        ]
        key = DateKey(name, pk, np.array([], "datetime64[ns]"), np.timedelta64(1, "D"), refs, form)
        dates = key.as_dates(user.tables[name][pk])
        key.real = np.sort(dates.dropna().unique().astype("datetime64[ns]"))
        steps = np.diff(key.real)
        key.step = np.median(steps) if len(steps) else np.timedelta64(1, "D")
        for table, column in [(name, pk), *refs]:
            frame = tables[table].copy()
            frame[column] = key.codes(user.tables[table][column])  # the data's values, once
            tables[table] = frame
        _add_shadow(key, dates, tables, metadata, user.types[name])
        state.date_keys.append(key)
    return tables, metadata, state


def yyyymmdd_dates(values: pd.Series) -> pd.Series:
    """Integers spelling dates as yyyymmdd, as datetime64 (anything else: NaT)."""
    number = pd.to_numeric(values, errors="coerce")
    whole = number.notna() & (number % 1 == 0)
    low, high = SMART_YEARS[0] * 10000 + 101, SMART_YEARS[1] * 10000 + 1231
    text = number.where(whole & number.between(low, high)).astype("Int64").astype("string")
    return pd.to_datetime(text, format="%Y%m%d", errors="coerce")


def is_smart_date_key(values: pd.Series) -> bool:
    """Every value an integer spelling a real date as yyyymmdd, over two months or more."""
    known = values.dropna()
    if known.nunique() < SMART_MIN_KEYS:
        return False
    number = pd.to_numeric(known, errors="coerce")
    low, high = SMART_YEARS[0] * 10000 + 101, SMART_YEARS[1] * 10000 + 1231
    if not low <= number.min() <= number.max() <= high:  # (values that are no number: below)
        return False  # a value no date spells (most keys: 1, 2, 3, ...)
    dates = yyyymmdd_dates(known)
    return bool(dates.notna().all()) and dates.dt.to_period("M").nunique() >= 2


def _add_shadow(
    key: DateKey,
    dates: pd.Series,
    tables: dict[str, pd.DataFrame],
    metadata: dict[str, Any],
    types: dict[str, str],
) -> None:
    """Give the key's date to the synthesizer as a date column of its table: a date column
    already equal to it on every row, or one added (``key.shadow``)."""
    frame, columns = tables[key.table], metadata["tables"][key.table]["columns"]
    known = dates.notna()
    for col, kind in types.items():
        if col == key.column or kind not in ("date", "datetime") or col not in frame.columns:
            continue
        if columns.get(col, {}).get("sdtype") != "datetime":
            continue
        other = pd.to_datetime(frame[col], errors="coerce")
        if (other.notna() == known).all() and (other[known] == dates[known]).all():
            key.shadow = col
            return
    name = key.column + SHADOW_SUFFIX
    while name in frame.columns:
        name += "_"
    frame = frame.copy()
    frame[name] = dates.to_numpy(dtype="datetime64[ns]")
    tables[key.table] = frame
    columns[name] = {"sdtype": "datetime"}
    key.shadow, key.shadow_added = name, True


def restore(
    sampled: dict[str, pd.DataFrame],
    state: FitState,
    real: dict[str, pd.DataFrame],
    rng: np.random.Generator,
) -> dict[str, pd.DataFrame]:
    """Date keys back to dates, left-out links re-attached (a new dict)."""
    out = dict(sampled)
    for key in state.date_keys:
        mapping = key.mapping(out[key.table], rng)
        for table, column in [(key.table, key.column), *key.references]:
            if table in out:
                frame = out[table].copy()
                frame[column] = key.spelled(frame[column].map(mapping))
                out[table] = frame
        if key.shadow_added:
            out[key.table] = out[key.table].drop(columns=[key.shadow], errors="ignore")
    for lo, shape in state.left_out:
        r = lo.relationship
        parent = out.get(r.parent, real.get(r.parent))
        frame = out[r.child].copy()
        values = shape.draw(len(frame), parent[r.parent_key], rng, frame, parent)
        values.index = frame.index
        frame[r.column] = values
        out[r.child] = frame
    return out


def placeholder_columns(tables: dict[str, pd.DataFrame], keys: set[tuple[str, str]]) -> list[str]:
    """``table.column`` of non-key columns holding nothing but generated placeholder ids."""
    found = []
    for name, frame in tables.items():
        for col in frame.columns:
            if (name, col) in keys or frame[col].dtype != object:
                continue
            values = frame[col].dropna()
            if not len(values) or not values.iloc[:1].astype(str).str.startswith(PLACEHOLDER).all():
                continue  # the first value is no placeholder: not all of them are
            if values.astype(str).str.startswith(PLACEHOLDER).all():
                found.append(f"{name}.{col}")
    return found


def refuse_placeholders(tables: dict[str, pd.DataFrame], metadata: dict, left: list[dict]) -> None:
    """No column but a key (primary, alternate or foreign) may come out as SDV's generated
    placeholder ids."""
    keys = {
        (r["child_table_name"], r["child_foreign_key"])
        for r in [*metadata.get("relationships", []), *left]
    }
    for name, tmeta in metadata["tables"].items():
        pk = tmeta.get("primary_key")
        keys |= {(name, c) for c in (pk if isinstance(pk, list) else [pk] if pk else [])}
        keys |= {(name, c) for c in tmeta.get("alternate_keys") or [] if isinstance(c, str)}
    bad = placeholder_columns(tables, keys)
    if bad:
        raise SynthgenError(
            f"{', '.join(bad)}: the synthesizer filled these columns with generated placeholder "
            "ids although they are not keys; give them another sdtype (e.g. categorical) in the "
            "metadata file"
        )
