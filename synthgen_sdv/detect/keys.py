"""Detecting primary keys (composite ones too) and foreign keys, each with its reason.

sdv's detection finds no composite primary key and relationships by equal column names only
(measured on Northwind, sdv 1.37.4: ``orders.ship_via -> shippers`` and the self reference
``employees.reports_to -> employees`` are missed). Here a key is a unique, never-empty column
named like one, or a unique key-like pair; a foreign key is found by name (``<parent>_id``, or
the parent key's own name) or by values with a name hint, and ambiguity becomes a note.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

# The last word of a column name that says "this refers to a row": order_id, ship_via,
# reports_to, created_by, parent_ref.
KEY_WORDS = {"id", "key", "code", "ref", "no", "num", "via", "to", "by", "parent", "fk"}
MIN_PREFIX = 3  # "ship_via" ~ "shippers": a common prefix this long counts as a name hint
MAX_COMPOSITE_COLUMNS = 8  # pairs are searched among the first key-like columns only


@dataclass
class Relationship:
    """One detected or declared foreign key, with the reason it was accepted."""

    parent: str
    parent_key: str
    child: str
    column: str
    reason: str = ""

    def as_sdv(self) -> dict[str, str]:
        """The relationship as an entry of SDV's ``relationships`` list."""
        return {
            "parent_table_name": self.parent,
            "parent_primary_key": self.parent_key,
            "child_table_name": self.child,
            "child_foreign_key": self.column,
        }


def singular(name: str) -> str:
    """``customers`` -> ``customer``: table names are plural, key columns singular."""
    low = name.lower()
    if low.endswith("ies"):
        return name[:-3] + "y"
    if low.endswith(("sses", "xes", "ches", "shes")):
        return name[:-2]
    if low.endswith("s") and not low.endswith("ss"):
        return name[:-1]
    return name


def key_like(column: str) -> bool:
    """Whether a column's name says it refers to a row (``order_id``, ``ship_via``,
    ``reports_to``)."""
    low = column.lower()
    return low.split("_")[-1] in KEY_WORDS or low.endswith("id")


def _key_typed(kind: str) -> bool:
    return kind in ("int", "string")


def _unique_non_null(frame: pd.DataFrame, cols: list[str]) -> bool:
    sub = frame[cols]
    return len(sub) > 0 and not sub.isna().any().any() and not sub.duplicated().any()


def detect_primary_key(
    table: str, frame: pd.DataFrame, types: dict[str, str], sdv_guess: str | None
) -> tuple[str | list[str] | None, str]:
    """(primary key, reason): a unique non-null int/text column, else a unique key-like pair."""
    single = [c for c in frame.columns if _key_typed(types[c]) and _unique_non_null(frame, [c])]
    sing = singular(table).lower()
    wanted = {f"{sing}_id", f"{table.lower()}_id", "id", f"{sing}id", f"{sing}_key"}
    for c in single:
        if c.lower() in wanted:
            return c, f"'{c}' is unique, never empty, and named after the table"
    if sdv_guess in single:
        return sdv_guess, f"'{sdv_guess}' is unique, never empty (sdv's guess)"
    for c in single:
        if key_like(c):
            return c, f"'{c}' is unique, never empty and named like a key"
    keyish = [
        c for c in frame.columns if _key_typed(types[c]) and key_like(c) and frame[c].notna().all()
    ][:MAX_COMPOSITE_COLUMNS]
    for i, a in enumerate(keyish):
        for b in keyish[i + 1 :]:
            if _unique_non_null(frame, [a, b]):
                return [a, b], f"no single column is a key; the pair ({a}, {b}) is unique"
    return None, "no unique, never-empty key column or key-like pair: the table has no key"


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a.lower(), b.lower(), strict=False):
        if x != y:
            break
        n += 1
    return n


def _values_in(child: pd.Series, parent: pd.Series) -> tuple[bool, pd.Series]:
    values = pd.Series(child.dropna().unique())
    outside = values[~values.isin(set(parent.dropna()))]
    return len(values) > 0 and outside.empty, outside


def detect_relationships(
    frames: dict[str, pd.DataFrame],
    types: dict[str, dict[str, str]],
    keys: dict[str, str | list[str] | None],
) -> tuple[list[Relationship], list[str]]:
    """Foreign keys by name (same name as the parent key, or ``<parent>_id``) and by values.

    A value-only match needs every child value to be a parent key, at least 2 distinct values,
    and a name hint: a common prefix with the parent's name (ship_via ~ shippers); or, for a
    reference to the column's own table, a key-like last word (reports_to) and the shape of a
    hierarchy (some rows empty: the top; no row points to itself). Several equally good
    parents are ambiguous and are reported, not guessed.
    """
    rels: list[Relationship] = []
    notes: list[str] = []
    parents = {t: k for t, k in keys.items() if isinstance(k, str)}
    for child, frame in frames.items():
        own_pk = keys.get(child)
        for col in frame.columns:
            kind = types[child][col]
            if col == own_pk or not _key_typed(kind):
                continue
            named = [
                p
                for p, pk in parents.items()
                if p != child
                and (col == pk or col.lower() in (f"{singular(p).lower()}_id", f"{p.lower()}_id"))
            ]
            if named:
                p = named[0]
                pk = parents[p]
                if types[p][pk] != kind:
                    notes.append(
                        f"{child}.{col}: named like {p}.{pk} but holds {kind} values and "
                        f"{p}.{pk} holds {types[p][pk]} values; not used as a foreign key"
                    )
                    continue
                ok, outside = _values_in(frame[col], frames[p][pk])
                if ok:
                    rels.append(Relationship(p, pk, child, col, _name_reason(col, p, pk, frame)))
                else:
                    shown = ", ".join(map(str, outside.head(5)))
                    notes.append(
                        f"{child}.{col}: named like {p}.{pk} but {len(outside)} of its values "
                        f"are not {p} keys (e.g. {shown}); not used as a foreign key. Fix the "
                        "data or declare the relationship in a metadata file after fixing it"
                    )
                continue
            if frame[col].nunique() < 2:
                continue
            contained = [
                p
                for p, pk in parents.items()
                if types[p][pk] == kind and _values_in(frame[col], frames[p][pk])[0]
            ]
            if not contained:
                continue
            scored = {p: _common_prefix(col, singular(p)) for p in contained}
            best = max(scored.values())
            chosen, why = None, ""
            if best >= MIN_PREFIX and list(scored.values()).count(best) == 1:
                chosen = max(scored, key=scored.get)
                why = f"its name starts like '{chosen}'"
            elif child in contained and key_like(col) and _hierarchy(frame, col, own_pk):
                chosen, why = (
                    child,
                    (
                        "it looks like a hierarchy in its own table (key-like name, empty on "
                        "the top rows, no row points to itself)"
                    ),
                )
            elif len(contained) == 1 and key_like(col):
                chosen, why = contained[0], "its name is key-like"
            if chosen is None:
                if key_like(col) or best >= MIN_PREFIX:
                    notes.append(
                        f"{child}.{col}: its values are keys of {', '.join(contained)}; "
                        "ambiguous, not used as a foreign key (declare it in a metadata file "
                        "if it is one)"
                    )
                continue
            pk = parents[chosen]
            n = frame[col].nunique()
            rels.append(
                Relationship(
                    chosen,
                    pk,
                    child,
                    col,
                    f"all {n} distinct values are {chosen}.{pk} values and {why}",
                )
            )
    return rels, notes


def _hierarchy(frame: pd.DataFrame, col: str, own_pk) -> bool:
    if not isinstance(own_pk, str) or not frame[col].isna().any():
        return False
    return not (frame[col] == frame[own_pk]).fillna(False).any()


def _name_reason(col: str, parent: str, pk: str, frame: pd.DataFrame) -> str:
    how = "same name as" if col == pk else "named after"
    return f"{how} {parent}.{pk}; all {frame[col].nunique()} distinct values are {parent} keys"
