"""Your data as a synthesizer can take it, and back: date keys and links left out of the model.

Two things in real schemas that sdv 1.37.4's HMA cannot take as they are:

* a key that is a date (``times.time_id``, referred to by ``costs.time_id``): SDV generates
  keys as new integers, so date keys are given to it as integers (``DateKeys``) and, after
  sampling, the sampled keys are mapped back to dates in order: the real dates first, then
  further dates with the real typical step when more rows are sampled;
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

from synthgen_sdv.detect.graph import LeftOut, LinkShape
from synthgen_sdv.detect.links import Relationship
from synthgen_sdv.detect.userdata import UserData

PLACEHOLDER = "sdv-id-"  # how SDV fills an id column it has to generate


@dataclass
class DateKey:
    """A date primary key given to the synthesizer as integers, with its referring columns."""

    table: str
    column: str
    real: np.ndarray  # sorted distinct real keys (datetime64)
    step: np.timedelta64
    references: list[tuple[str, str]]  # (table, column) of modeled foreign keys to it

    def codes(self, values: pd.Series) -> pd.Series:
        """Real dates as their rank among the real keys (what the synthesizer learns)."""
        pos = np.searchsorted(self.real, values.to_numpy(dtype="datetime64[ns]"))
        return pd.Series(pos, index=values.index).where(values.notna()).astype("Int64")

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
    for name in modeled:
        pk = metadata["tables"][name].get("primary_key")
        if isinstance(pk, str) and user.types[name].get(pk) == "int":
            keys = pd.to_numeric(user.tables[name][pk], errors="coerce").dropna()
            if len(keys):
                state.key_starts[name] = int(keys.min())
        if not isinstance(pk, str) or user.types[name][pk] not in ("date", "datetime"):
            continue
        real = np.sort(user.tables[name][pk].dropna().unique().astype("datetime64[ns]"))
        steps = np.diff(real)
        step = np.median(steps) if len(steps) else np.timedelta64(1, "D")
        refs = [
            (r["child_table_name"], r["child_foreign_key"])
            for r in metadata["relationships"]
            if r["parent_table_name"] == name and r["child_table_name"] in chosen
        ]
        key = DateKey(name, pk, real, step, refs)
        for table, column in [(name, pk), *refs]:
            frame = tables[table].copy()
            frame[column] = key.codes(frame[column])
            tables[table] = frame
        state.date_keys.append(key)
    return tables, metadata, state


def restore(
    sampled: dict[str, pd.DataFrame],
    state: FitState,
    real: dict[str, pd.DataFrame],
    rng: np.random.Generator,
) -> dict[str, pd.DataFrame]:
    """Date keys back to dates, left-out links re-attached (a new dict)."""
    out = dict(sampled)
    for key in state.date_keys:
        mapping = key.dates(out[key.table][key.column], rng)
        for table, column in [(key.table, key.column), *key.references]:
            if table in out:
                frame = out[table].copy()
                frame[column] = pd.to_datetime(frame[column].map(mapping))
                out[table] = frame
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
            if len(values) and values.astype(str).str.startswith(PLACEHOLDER).all():
                found.append(f"{name}.{col}")
    return found
