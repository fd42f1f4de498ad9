"""Detecting foreign keys: evidence from names first, values as a check or, when strong, alone.

For each column, the tables its name points at (``names.name_level``) are tried strongest
first. A name that is the parent key's own, names the table (also after a role:
``ShipToAddressID``) or abbreviates it needs only that every value is a parent key. A weaker
hint (``ProductAssemblyID`` -> ``Product``) or none at all (then only to a key of short
codes: ``flights.dest`` -> ``airports.faa``, and a sibling column of the same kind with it:
``flights.origin``; or to a key of GUIDs: ``orders.customer``) needs inclusion that is unlikely by
chance (``evidence.Inclusion.strong``), in exactly one table. A column pointing at its own
table (``reports_to``, ``ParentProductCategoryID``) is a self reference when it has the shape
of a hierarchy: named for one, empty on the top rows, no row pointing at itself. When tables
share a key name because one extends the other 1:1 (``pub_info.pub_id`` ->
``publishers.pub_id``), references go to the table extended. Ambiguity is a note, never a key,
and so is a column named after a table that is not in the folder.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from synthgen_sdv.detect.evidence import Inclusion, Keys, inclusion
from synthgen_sdv.detect.keys import ORPHAN_SHARE, code_like
from synthgen_sdv.detect.names import (
    GUID_RE,
    Level,
    generic_row_id,
    hierarchy_named,
    key_named,
    name_level,
    named_after_table,
    spells_table,
    split_key,
    words,
)

REFERENCE_TYPES = ("int", "string", "date", "datetime")
_FAMILY = {"int": "int", "string": "string", "date": "date", "datetime": "date"}
ID_WORDS = frozenset({"id", "key", "fk", "ref", "guid", "uuid"})  # names that say "a row's id"
HOW = {
    Level.SAME: "same name as",
    Level.TABLE: "named after",
    Level.ABBREVIATION: "named (by an abbreviation, a staff role or the table's name) after",
    Level.QUALIFIED: "its name starts with",
    Level.NONE: "by values alone:",
}


@dataclass
class Relationship:
    """One foreign key, with the reason it was accepted and how strong its evidence is."""

    parent: str
    parent_key: str
    child: str
    column: str
    reason: str = ""
    level: int = int(Level.NONE)  # names.Level of the column's name for the parent
    nullable: bool = False
    in_key: bool = False  # the column is (part of) the child's primary key
    orphans: tuple = ()  # values naming no parent row, to be emptied (``--bad-rows repair``)

    def as_sdv(self) -> dict[str, str]:
        """The relationship as an entry of SDV's ``relationships`` list."""
        return {
            "parent_table_name": self.parent,
            "parent_primary_key": self.parent_key,
            "child_table_name": self.child,
            "child_foreign_key": self.column,
        }

    def label(self) -> str:
        """``orders.customer_id -> customers.customer_id``."""
        return f"{self.child}.{self.column} -> {self.parent}.{self.parent_key}"


def _names(key: str, table: str, table_key: str) -> bool:
    """Whether a table's key is named after ``table`` (keyed by ``table_key``) strongly enough
    to make the table an extension of it: the table's name with a role, or spelled out."""
    level = name_level(key, table, table_key)
    return level == Level.TABLE or (level == Level.ABBREVIATION and spells_table(key, table))


def guids(values: pd.Series) -> bool:
    """Whether every value is a GUID (``4b6c2304-2b9e-41e4-942a-cf11a1819378``)."""
    text = values.dropna().astype(str)
    return bool(len(text)) and bool(text.str.match(GUID_RE).all())


def compatible(a: str, b: str) -> bool:
    """Whether values of logical types ``a`` and ``b`` can be equal keys."""
    return _FAMILY.get(a) is not None and _FAMILY.get(a) == _FAMILY.get(b)


class _Finder:
    def __init__(self, frames, types, keys, repair: bool = False):
        self.frames, self.types, self.keys = frames, types, keys
        self.repair = repair  # --bad-rows repair: empty a few references to missing parents
        self.parents = {t: k for t, k in keys.items() if isinstance(k, str)}
        self.key_sets = {t: Keys.of(frames[t][k], types[t][k]) for t, k in self.parents.items()}
        self.rels: list[Relationship] = []
        self.notes: list[str] = []
        self.absent: list[str] = []
        # columns not linked on the first pass: their note (None: nothing to say)
        self.pending: dict[tuple[str, str], tuple[str, str] | None] = {}
        self.extends = self._extensions()
        # tables keyed by short text codes (airports.faa) or by GUIDs (random 128-bit ids,
        # which no unrelated column repeats): plain-named columns may refer to them
        self.coded = {
            t
            for t, k in self.parents.items()
            if self.types[t][k] == "string" and (code_like(frames[t][k]) or guids(frames[t][k]))
        }

    def _extensions(self) -> dict[str, str]:
        """``{table: table it extends}`` for tables whose keys share a name (1:1), and for a
        table whose key is named after another table, not after its own (csu_gebühren or
        campus_fees keyed by ``campus``, every one a ``campuses.id``: a campus's fees)."""
        out: dict[str, str] = {}
        names = list(self.parents)
        for a in names:
            ka = self.parents[a]
            if named_after_table(ka, a) > Level.QUALIFIED or generic_row_id(ka):
                continue
            named = [  # a key that only starts like b's name is no evidence: see spells_table
                b
                for b in names
                if b != a
                and _names(ka, b, self.parents[b])
                and compatible(self.types[a][ka], self.types[b][self.parents[b]])
            ]
            if len(named) == 1 and set(self.key_sets[a].index) <= set(
                self.key_sets[named[0]].index
            ):
                out[a] = named[0]
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                ka, kb = self.parents[a], self.parents[b]
                if name_level(ka, b, kb) != Level.SAME:
                    continue
                if not compatible(self.types[a][ka], self.types[b][kb]):
                    continue
                sa, sb = set(self.key_sets[a].index), set(self.key_sets[b].index)
                if sa < sb:
                    out[a] = b
                elif sb < sa:
                    out[b] = a
                elif sa == sb:
                    la, lb = named_after_table(ka, a), named_after_table(kb, b)
                    if la != lb:
                        out[a if la < lb else b] = b if la < lb else a
        return out

    def add(self, parent: str, child: str, col: str, level: Level, inc: Inclusion, why: str = ""):
        pk = self.parents[parent]
        reason = why or f"{HOW[Level(level)]} {parent}.{pk}; {inc.describe()}"
        nullable = bool(self.frames[child][col].isna().any())
        own = self.keys.get(child)
        in_key = col in (own if isinstance(own, list) else [own])
        self.rels.append(Relationship(parent, pk, child, col, reason, int(level), nullable, in_key))

    def column(self, child: str, col: str) -> None:
        kind = self.types[child][col]
        own = self.keys.get(child)
        if kind not in REFERENCE_TYPES:
            return
        levels = {  # not to a table that extends this one (campuses.campus, csu_gebühren.campus)
            p: name_level(col, p, pk)
            for p, pk in self.parents.items()
            if p != child and self.extends.get(p) != child
        }
        top = max(levels.values(), default=Level.NONE)
        if col == own and top < Level.ABBREVIATION:
            return  # a table's own key refers elsewhere only when named so (1:1)
        if top >= Level.ABBREVIATION:
            candidates = [p for p, lv in levels.items() if lv == top]
            # a table that extends another (csu_gebühren.campus -> campuses) stands for it
            wider = {self.extends[p] for p in candidates if levels.get(self.extends.get(p, ""))}
            self.named(child, col, [*candidates, *sorted(wider - set(candidates))], top)
            return
        if isinstance(own, str) and col != own and self.self_reference(child, col):
            return
        self.by_values(child, col, levels)

    def named(self, child: str, col: str, candidates: list[str], level: Level) -> None:
        kind = self.types[child][col]
        values = self.frames[child][col]
        if col == self.keys.get(child):  # a table's own key refers elsewhere only 1:1
            base = [self.extends[child]] if self.extends.get(child) in candidates else []
        else:  # a reference to a table and its 1:1 extensions goes to the table extended
            base = [p for p in candidates if self.extends.get(p) not in candidates]
        if len(base) != 1:
            if any(  # ambiguous only if its values could refer to one of them
                compatible(kind, self.types[p][self.parents[p]])
                and inclusion(values, self.key_sets[p], kind).contained
                for p in base
            ):
                self.notes.append(
                    f"{child}.{col}: named like the keys of {', '.join(sorted(base))}; "
                    "ambiguous, not used as a foreign key (declare it in a metadata file)"
                )
            return
        p = base[0]
        pk = self.parents[p]
        if self.frames[p].empty and values.notna().any():  # its key comes from names alone
            self.notes.append(
                f"{child}.{col}: named after table {p}, which has no rows; not used as a "
                "foreign key"
            )
            return
        if values.notna().sum() == 0:
            if level >= Level.TABLE:
                self.add(p, child, col, level, inclusion(values, self.key_sets[p], kind))
            return
        if not compatible(kind, self.types[p][pk]):
            self.notes.append(
                f"{child}.{col}: named like {p}.{pk} but holds {kind} values and {p}.{pk} "
                f"holds {self.types[p][pk]} values; not used as a foreign key"
            )
            return
        inc = inclusion(values, self.key_sets[p], kind)
        if inc.contained:
            self.add(p, child, col, level, inc)
            return
        shown = ", ".join(map(str, inc.outside.head(5)))
        rows = int(values.isin(inc.outside).sum())
        few = level >= Level.TABLE and rows <= ORPHAN_SHARE * values.notna().sum()
        if few and self.repair:
            self.add(p, child, col, level, inc, f"{HOW[Level(level)]} {p}.{pk}")
            self.rels[-1].orphans = tuple(inc.outside)
            self.rels[-1].reason += (
                f"; {rows} rows naming {len(inc.outside)} values that are not {p} keys (e.g. "
                f"{shown}) are emptied (--bad-rows repair)"
            )
            return
        hint = (
            f"; --bad-rows repair links it and empties those {rows} rows"
            if few
            else ". Fix the data or declare the relationship in a metadata file after fixing it"
        )
        self.notes.append(
            f"{child}.{col}: named like {p}.{pk} but {len(inc.outside)} of its values are not "
            f"{p} keys (e.g. {shown}; {rows} rows); not used as a foreign key{hint}"
        )

    def self_reference(self, child: str, col: str) -> bool:
        frame, own = self.frames[child], self.keys[child]
        kind = self.types[child][col]
        if not (key_named(col) or hierarchy_named(col)):
            return False
        if not compatible(kind, self.types[child][own]) or not frame[col].isna().any():
            return False
        values = frame[col]
        inc = inclusion(values, self.key_sets[child], kind)
        rows = int(values.isin(inc.outside).sum())  # rows naming rows not in the table
        if rows:
            if rows > ORPHAN_SHARE * values.notna().sum():
                return False
            inc = inclusion(values.mask(values.isin(inc.outside)), self.key_sets[child], kind)
            outside = inclusion(values, self.key_sets[child], kind).outside
        if inc.distinct == 0 or (values == frame[own]).fillna(False).any():
            return False
        level = name_level(col, child, own)
        if not (level >= Level.TABLE or hierarchy_named(col) or inc.strong):
            return False
        why = "named for a hierarchy" if hierarchy_named(col) else f"{HOW[level]} {child}.{own}"
        if rows and not self.repair:
            shown = ", ".join(map(str, outside.head(5)))
            self.notes.append(
                f"{child}.{col}: refers within {child} ({why}; {inc.describe()}) but "
                f"{len(outside)} of its values are not {child} keys (e.g. {shown}; {rows} rows); "
                f"not used as a foreign key; --bad-rows repair links it and empties those rows"
            )
            return True
        self.add(
            child,
            child,
            col,
            level,
            inc,
            f"{why}; a hierarchy in its own table: {inc.describe()}, empty on the top rows, no "
            "row points to itself",
        )
        if rows:
            self.rels[-1].orphans = tuple(outside)
            self.rels[-1].reason += f"; {rows} rows naming rows not in it are emptied"
        return True

    def by_values(self, child: str, col: str, levels: dict[str, Level]) -> None:
        frame, kind = self.frames[child], self.types[child][col]
        named = key_named(col)
        if kind not in ("int", "string") or frame[col].nunique() < 1:
            return
        if not named and kind == "string" and not self.coded:
            return  # plain-named text refers by values alone only to a key of short codes
        if kind == "string" and (padded := self.padded(child, col)):
            self.pending[(child, col)] = ("note", padded)
            return
        if generic_row_id(col):
            return  # ROW_ID: a row's own number in every table, a match by range alone
        strong = {}
        for p, pk in self.parents.items():
            if p == child or not compatible(kind, self.types[p][pk]):
                continue
            if not named and kind == "string" and p not in self.coded:
                continue
            inc = inclusion(frame[col], self.key_sets[p], kind, within_keys=not named)
            if inc.strong:
                strong[p] = inc
        qualified = [p for p in strong if levels.get(p) == Level.QUALIFIED]
        chosen = qualified if len(qualified) == 1 else list(strong)
        stem, word = split_key(col)
        if len(chosen) == 1:
            p = chosen[0]
            level = levels.get(p, Level.NONE)
            unnamed = "" if level else " (its name names no table in the folder)"
            self.add(p, child, col, level, strong[p], "")
            self.rels[-1].reason += unnamed
            return
        if len(chosen) > 1:
            self.pending[(child, col)] = (
                "note",
                f"{child}.{col}: its values are keys of {', '.join(sorted(chosen))}; "
                "ambiguous, not used as a foreign key (declare it in a metadata file if it is one)",
            )
        elif keyless := [
            t
            for t in self.frames
            if t not in self.parents
            and t != child  # its own table (a composite key's part: l_linenumber)
            and name_level(col, t, None) >= Level.ABBREVIATION
        ]:
            t = keyless[0]
            composite = self.keys.get(t)
            if isinstance(composite, list):  # one column cannot name a row of it
                self.pending[(child, col)] = (
                    "note",
                    f"{child}.{col}: named after table {t}, whose key is composite "
                    f"({', '.join(composite)}); one column cannot refer to it, not used as a "
                    "foreign key",
                )
                return
            why = "it has no rows" if self.frames[t].empty else "no column of it is a key"
            self.pending[(child, col)] = (
                "note",
                f"{child}.{col}: named after table {t}, which has no primary key ({why}); not "
                f"used as a foreign key (name {t}'s key in a metadata file if it has one)",
            )
        elif (
            word in ID_WORDS
            and len(words(col)) > 1
            and all(lv == Level.NONE for lv in levels.values())
            and name_level(col, child, None) < Level.ABBREVIATION  # Teams.teamID: its own
        ):
            self.pending[(child, col)] = ("absent", f"{child}.{col} ('{' '.join(stem)}')")
        else:
            self.pending[(child, col)] = None

    def padded(self, child: str, col: str) -> str | None:
        """A note when a text column's values are keys of one table only once the spaces
        around them are trimmed (Spider's flight_2: flights name airports ``' APG'``, the
        airports' key is ``'APG'``), an inclusion unlikely by chance: not linked, since the
        values differ, but said, so the user can trim them."""
        values = self.frames[child][col].dropna().astype(str)
        trimmed = values.str.strip()
        if values.empty or (trimmed == values).all():
            return None
        found = []
        for p, pk in self.parents.items():
            if p == child or self.types[p][pk] != "string":
                continue
            keys = self.frames[p][pk].dropna().astype(str).str.strip()
            if values.isin(self.key_sets[p].index).all():
                return None  # the values are keys as they are: no note
            if inclusion(trimmed, Keys.of(keys, "string"), "string").strong:
                found.append(p)
        if len(found) != 1:
            return None
        p = found[0]
        shown = ", ".join(repr(v) for v in values[values != trimmed].unique()[:3])
        return (
            f"{child}.{col}: its values are keys of {p}.{self.parents[p]} only with the spaces "
            f"around them trimmed (e.g. {shown}); not used as a foreign key (trim them in the "
            "data to link it)"
        )

    def by_analogy(self, child: str, col: str) -> bool:
        """A column named like a foreign key found elsewhere refers to the same parent."""
        name = "".join(words(col))
        parents = {
            (r.parent, r.child, r.column)
            for r in self.rels
            if "".join(words(r.column)) == name and (r.child, r.column) != (child, col)
        }
        if len({p for p, _, _ in parents}) != 1:
            return False
        parent, other, other_col = next(iter(parents))
        pk = self.parents[parent]
        kind = self.types[child][col]
        if parent == child or not compatible(kind, self.types[parent][pk]):
            return False
        inc = inclusion(self.frames[child][col], self.key_sets[parent], kind)
        if not inc.contained or inc.distinct == 0:
            return False
        self.add(
            parent,
            child,
            col,
            Level.ABBREVIATION,
            inc,
            f"same name as {other}.{other_col}, a foreign key to {parent}.{pk}; {inc.describe()}",
        )
        return True

    def by_sibling(self, child: str, col: str) -> bool:
        """A plain text column whose values are all keys of the code table a sibling column of
        the same table refers to by values (``flights.origin`` beside ``flights.dest`` ->
        ``airports.faa``): a pair of roles (origin and destination, home and away) of one
        kind, too few values to be evidence alone."""
        kind = self.types[child][col]
        if kind != "string" or key_named(col):
            return False
        for r in list(self.rels):
            if r.child != child or r.column == col or r.level != Level.NONE:
                continue
            if r.parent not in self.coded or self.types[child][r.column] != kind:
                continue
            inc = inclusion(self.frames[child][col], self.key_sets[r.parent], kind)
            if inc.contained and inc.distinct >= 2:
                self.add(
                    r.parent,
                    child,
                    col,
                    Level.NONE,
                    inc,
                    f"holds keys of {r.parent}.{r.parent_key} as its sibling {child}.{r.column} "
                    f"does; {inc.describe()}",
                )
                return True
        return False

    def run(self) -> tuple[list[Relationship], list[str]]:
        for child, frame in self.frames.items():
            for col in frame.columns:
                self.column(child, col)
        linked = {key for key in self.pending if self.by_sibling(*key)}
        for (child, col), note in self.pending.items():
            if (child, col) in linked:
                continue
            if self.by_analogy(child, col) or note is None:
                continue
            (self.absent if note[0] == "absent" else self.notes).append(note[1])
        if self.absent:
            self.notes.append(
                "named like keys of tables that are not in the folder, kept as plain columns "
                f"(not linked to another table): {', '.join(self.absent)}"
            )
        return self.rels, self.notes


def detect_relationships(
    frames: dict[str, pd.DataFrame],
    types: dict[str, dict[str, str]],
    keys: dict[str, str | list[str] | None],
    repair: bool = False,
) -> tuple[list[Relationship], list[str]]:
    """Foreign keys of every table (see the module docstring) and notes on what was not used;
    with ``repair``, a reference named after its parent whose few rows name missing parents
    is linked all the same, those values listed in ``Relationship.orphans`` to be emptied."""
    return _Finder(frames, types, keys, repair).run()
