"""Detecting primary keys (composite ones too), each with its reason, names first.

sdv's own detection finds no composite key and takes the first unique id-like column (on
AdventureWorks, a ``rowguid``). Here, in order, a table's key is:

1. a unique, never-empty column named after the table (``customer_id`` in ``customers``,
   ``id``); a date or text key counts when it is named so (``times.time_id``); a unique name
   with no key word (``kontinent`` in ``kontinente``) yields to a unique key-named column
   before it (``cont_id``). A column named
   so that repeats or is empty is a problem (``KeyProblem``) unless it repeats once per period
   (``employee_id`` with ``start_date``: a history table);
2. for a link table named after the tables it links (``film_actor``, ``titleauthor``), the
   columns referring to them; else a unique column whose name the table's name abbreviates or
   starts with (``stor_id`` in ``stores``, ``SalesOrderID`` in ``SalesOrderHeader``);
3. a unique column that the same-named columns of other tables refer to (MIMIC's
   ``admissions.HADM_ID``, where ``ROW_ID`` is the declared key and ``HADM_ID`` the one every
   other table uses; one other table is enough when the name says key or the values are
   short codes: nycflights' ``airlines.carrier``, ``planes.tailnum``), else a unique column
   named like a key that refers to no other table
   (``au_id``, or a generic ``ROW_ID``);
4. a minimal composite key of 2 to 4 never-empty columns named like keys, references, the
   start of a period or a calendar period (a panel's ``year``: ``degrees(campus, year)``),
   preferring the table's own identifiers (``order_id, line_item_id``) and periods
   (``employee_id, start_date``); references alone make pairs only (a fact
   table's references together are not its key), or with a column that numbers each group of
   the references 1..n (an *ordinal*: Ergast's ``lapTimes(raceId, driverId, lap)``), or with
   the column that names the link's other side when that side has no table (the table's name
   is a referenced table's glued to the column's: ``countrylanguage(CountryCode, Language)``);
   then a unique reference (a 1:1 extension);
   then a column of short codes whose values another table's text column repeats, an
   inclusion unlikely by chance (``airports.faa``, used by ``flights.dest``); then a GUID
   (``rowguid``: an alternate key, chosen only when nothing else is a key);
5. otherwise none: the table is modeled without a key.

An empty table (a header, no rows) can show nothing unique, so names alone decide: a key-named
column named after the table (``note_id`` in ``notes``), else the column that is the key of at
least two other tables (MIMIC's ``ROW_ID``: the empty ``NOTEEVENTS`` keys its rows as its
siblings do). No row can break or use that key; it keeps the table's declared shape.
"""

from __future__ import annotations

from itertools import combinations

import pandas as pd

from synthgen_sdv.detect.evidence import Keys, inclusion
from synthgen_sdv.detect.integrity import KeyProblem, key_problem
from synthgen_sdv.detect.names import (
    GUID_RE,
    Level,
    generic_row_id,
    guid_named,
    key_named,
    link_parts,
    name_level,
    named_after_table,
    names_linked_value,
    period_named,
    period_start_named,
    role_then_natural_key,
    sequence_named,
    spells_table,
    words,
)

Key = str | list[str] | None
KEY_TYPES = ("int", "string")
DATE_TYPES = ("date", "datetime")
MAX_COMPOSITE = 4
ORPHAN_SHARE = 0.05  # rows of a reference that may name missing parents (mostly_in)
CODE_MAX_LEN = 16  # longest value of a code-like natural key (code_like)
MAX_CANDIDATES = 8  # composite keys are searched among the first candidate columns only
# A column named after the table whose distinct values are at most this share of its rows is
# not a broken key but part of a composite one (Lahman's Teams.teamID repeats every season);
# it is reported as a problem only if no composite key holding it is found.
PART_OF_KEY_SHARE = 0.9


def mostly_in(values: pd.Series, keys: pd.Series) -> bool:
    """Whether every value of ``values`` but at most ``ORPHAN_SHARE`` of its rows is one of
    ``keys``: a reference with a few rows naming deleted parents (Stack Exchange's votes on
    deleted posts, nycflights' planes missing from planes) still tells which column is the
    key it refers to (the link itself then needs ``--bad-rows repair``)."""
    values = values.dropna()
    return bool(len(values)) and (~values.isin(keys)).sum() <= ORPHAN_SHARE * len(values)


def code_like(values: pd.Series) -> bool:
    """Short text without spaces (``9E``, ``N14228``, ``EWR``): a natural key's codes, not
    names or prose, which a column elsewhere repeats only because it refers to them."""
    text = values.dropna().astype(str)
    return bool(len(text)) and bool(
        text.str.len().max() <= CODE_MAX_LEN and not text.str.contains(r"\s").any()
    )


def unique_non_null(frame: pd.DataFrame, cols: list[str]) -> bool:
    """Whether ``cols`` together identify every row (no empty value, no repeat)."""
    sub = frame[cols]
    return len(sub) > 0 and not sub.isna().any().any() and not sub.duplicated().any()


def ordinal(frame: pd.DataFrame, refs: list[str], col: str, kind: str) -> bool:
    """Whether ``col`` numbers the rows of each group of ``refs`` 1..n (or 0..n-1): a lap,
    a stop, a line (Ergast's ``lapTimes(raceId, driverId, lap)``), whatever its name."""
    if not refs or kind != "int" or not frame[col].notna().all() or len(frame) < 2:
        return False
    values = frame[col]
    if values.min() not in (0, 1):
        return False
    stats = frame.groupby(refs, sort=False, dropna=False)[col].agg(
        ["min", "max", "count", "nunique"]
    )
    if not (stats["count"] > 1).any():
        return False
    return bool(
        (stats["min"] == values.min()).all()
        and (stats["max"] - stats["min"] + 1 == stats["count"]).all()
        and (stats["nunique"] == stats["count"]).all()
    )


class _Detector:
    def __init__(self, frames: dict[str, pd.DataFrame], types: dict[str, dict[str, str]]):
        self.frames, self.types = frames, types
        self.names = list(frames)
        self.keys: dict[str, Key] = {}
        self.why: dict[str, str] = {}
        self.problems: list[KeyProblem] = []
        self.deferred: dict[str, KeyProblem] = {}  # table -> a named column repeating per group

    def set(self, table: str, key: Key, why: str) -> None:
        self.keys[table] = key
        self.why[table] = why

    def reference(self, table: str, col: str) -> tuple[str, Level] | None:
        """The other table ``col``'s name points at most strongly (abbreviation or better)."""
        best: tuple[str, Level] | None = None
        for p in self.names:
            if p == table:
                continue
            pk = self.keys.get(p)
            level = name_level(col, p, pk if isinstance(pk, str) else None)
            if level >= Level.ABBREVIATION and (best is None or level > best[1]):
                best = (p, level)
        return best

    def named(self, table: str) -> None:
        frame, types = self.frames[table], self.types[table]
        named = sorted(
            (
                c
                for c in frame.columns
                if named_after_table(c, table) == Level.TABLE and types[c] in KEY_TYPES + DATE_TYPES
            ),
            key=lambda c: not key_named(c),  # country_id before country (its name)
        )
        referred = False  # the referred column is the key, broken by its repeats
        for c in named:
            if unique_non_null(frame, [c]):
                if referred := self.referred_instead(table, named[0], c):
                    break
                if not self.id_before_name(table, c):
                    self.set(table, c, f"'{c}' is unique, never empty, and named after the table")
                return
        named = [c for c in named if key_named(c)]  # a repeating name (status) is no problem
        if not named:
            return
        c = named[0]
        for s in [] if referred else frame.columns:
            period = s != c and types[s] in DATE_TYPES and period_start_named(s)
            if period and unique_non_null(frame, [c, s]):
                self.set(
                    table,
                    [c, s],
                    f"'{c}' is named after the table and repeats once per '{s}' (a history "
                    f"table): ({c}, {s}) is unique",
                )
                return
        problem = key_problem(frame, table, [c])
        if problem is None:
            return
        values = frame[c].dropna()
        if len(problem.empty) == 0 and values.nunique() <= PART_OF_KEY_SHARE * len(values):
            self.deferred[table] = problem  # repeats per group: part of a composite key?
        else:
            self.problems.append(problem)

    def referred_instead(self, table: str, first: str, unique: str) -> bool:
        """Whether other tables' columns, named after ``table`` and of another type than the
        unique ``unique``, refer to the repeating ``first`` (OMOP's concept_id, one id written
        twice among 436 concepts, beside a unique concept_code no column refers to)."""
        return first != unique and any(
            self.types[o][c] != self.types[table][unique]
            and (self.reference(o, c) or ("",))[0] == table
            and mostly_in(self.frames[o][c], self.frames[table][first])
            for o in self.names
            if o != table
            for c in self.frames[o].columns
        )

    def link(self, table: str) -> bool:
        parts = link_parts(table, self.names)
        if not parts:
            return False
        frame, types = self.frames[table], self.types[table]
        cols = []
        for p in parts:
            pk = self.keys.get(p)
            scored = [
                (name_level(c, p, pk if isinstance(pk, str) else None), -i, c)
                for i, c in enumerate(frame.columns)
                if types[c] in KEY_TYPES and frame[c].notna().all() and c not in cols
            ]
            best = max(scored, default=(Level.NONE, 0, ""))
            if best[0] < Level.ABBREVIATION:
                return False
            cols.append(best[2])
        cols = [c for c in frame.columns if c in cols]
        if not unique_non_null(frame, cols):
            return False
        self.set(
            table,
            cols,
            f"a link table named after {', '.join(parts)}: ({', '.join(cols)}) refer to them "
            "and are unique together",
        )
        return True

    def abbreviated(self, table: str) -> bool:
        frame, types = self.frames[table], self.types[table]
        for level, how in ((Level.ABBREVIATION, "abbreviates"), (Level.QUALIFIED, "starts with")):
            for c in frame.columns:
                if (
                    named_after_table(c, table) == level
                    and types[c] in KEY_TYPES
                    and unique_non_null(frame, [c])
                ):
                    if not self.id_before_name(table, c):
                        self.set(
                            table, c, f"'{c}' is unique, never empty, and the table's name {how} it"
                        )
                    return True
        return False

    def referenced(self, table: str, text_only: bool = False) -> bool:
        """A unique column whose name other tables share, with every value of theirs in it,
        and which is unique in no other table: the key those tables refer to. One other table
        is enough when the name says key, the values are short codes, or the shared values
        are text too many to be in it by chance (wine_1's ``wein.traube``, grape names, in
        ``weintrauben.traube``). ``text_only``: text columns only."""
        frame, types = self.frames[table], self.types[table]
        for c in frame.columns:
            if (
                types[c] not in KEY_TYPES
                or (text_only and types[c] != "string")
                or generic_row_id(c)
                or guid_named(c)
                or not unique_non_null(frame, [c])
            ):
                continue
            name = "".join(words(c))
            users: list[str] = []
            texts: list = []  # inclusions of the users' text values
            for other in self.names:
                if other == table:
                    continue
                same = [x for x in self.frames[other].columns if "".join(words(x)) == name]
                same = same or [  # a role before the name: issued_book_isbn -> books.isbn
                    x for x in self.frames[other].columns if role_then_natural_key(x, str(c))
                ]
                if not same:
                    continue
                values = self.frames[other][same[0]].dropna()
                if values.empty:
                    continue  # an empty column (an empty table) says nothing either way
                if types[c] != self.types[other][same[0]] or values.is_unique:
                    break  # unique there too (a 1:1 table) or another type: not this rule
                if not mostly_in(values, frame[c]):
                    break
                users.append(other)
                if types[c] == "string":
                    keys = Keys.of(frame[c], "string")
                    texts.append(inclusion(values[values.isin(keys.index)], keys, "string"))
            else:
                coded = types[c] == "string" and code_like(frame[c])
                text = bool(texts) and all(inc.strong for inc in texts)
                if users and (key_named(c) or len(users) >= 2 or coded or text):
                    self.set(
                        table,
                        c,
                        f"'{c}' is unique, never empty, and the same column of "
                        f"{len(users)} other table(s) ({', '.join(users[:3])}"
                        f"{', ...' if len(users) > 3 else ''}) refers to it",
                    )
                    return True
        return False

    def identifier_before(self, table: str, name: str | None = None) -> str | None:
        """The first unique, never-empty, key-named column (before ``name`` if given) that
        names no other table and is no GUID."""
        frame, types = self.frames[table], self.types[table]
        cols = list(frame.columns)
        for c in cols[: cols.index(name)] if name is not None else cols:
            if (
                types[c] in KEY_TYPES
                and key_named(c)
                and not guid_named(c)
                and self.reference(table, c) is None
                and unique_non_null(frame, [c])
            ):
                return str(c)
        return None

    def id_before_name(self, table: str, name: str) -> bool:
        """Key ``table`` by a key-named identifier before ``name`` when ``name``, unique and
        named after the table, has no key word: kontinente(cont_id, kontinent)."""
        ident = None if key_named(name) else self.identifier_before(table, name)
        if ident is not None:
            self.set(
                table,
                ident,
                f"'{ident}' is unique, never empty, named like a key, and comes before '{name}' "
                "(a unique name with no key word)",
            )
        return ident is not None

    def own_identifier(self, table: str) -> bool:
        c = self.identifier_before(table)
        if c is not None:
            self.set(table, c, f"'{c}' is unique, never empty, and named like a key")
            return True
        return False

    def extension(self, table: str) -> bool:
        """A table whose first column is unique, never empty and has another table's key's
        own name extends that table 1:1 and is keyed by it (MovieLens' ``links(movieId,
        imdbId, tmdbId)``: ``imdbId``, unique too, is an attribute of the movie)."""
        frame = self.frames[table]
        c = frame.columns[0] if len(frame.columns) else None
        if c is None or self.types[table][c] not in KEY_TYPES or not unique_non_null(frame, [c]):
            return False
        for p in self.names:
            pk = self.keys.get(p)
            if p != table and isinstance(pk, str) and name_level(c, p, pk) == Level.SAME:
                self.set(table, c, f"'{c}' comes first, is unique here and is {p}'s key (1:1)")
                return True
        return False

    def composite(self, table: str) -> bool:
        frame, types = self.frames[table], self.types[table]
        role: dict[str, str] = {}
        for c in frame.columns:
            if not frame[c].notna().all() or guid_named(c) or unique_non_null(frame, [c]):
                continue
            if types[c] in DATE_TYPES and period_start_named(c):
                role[c] = "period"
            elif types[c] in ("int", *DATE_TYPES) and period_named(c):
                role[c] = "period"  # a panel's year: csu_1's abschlüsse(jahr, campus)
            elif types[c] in KEY_TYPES and self.reference(table, c) is not None:
                role[c] = "reference"
            elif types[c] in KEY_TYPES and key_named(c):
                role[c] = "own"
            if len(role) >= MAX_CANDIDATES:
                break
        refs = [c for c, r in role.items() if r == "reference"]
        # a line number of each group of the references, else of one own identifier (an
        # order's lines: AdventureWorks' Sales(OrderNumber, OrderLineItem))
        groups = [refs, *([c] for c, r in role.items() if r == "own")]
        for group in dict.fromkeys(tuple(g) for g in groups if g):
            c = next(
                (
                    c
                    for c in frame.columns
                    if c not in role and ordinal(frame, list(group), c, types[c])
                ),
                None,
            )
            if c is not None and len(role) < MAX_CANDIDATES:
                role[c] = "ordinal"
                break
        else:  # a number named as a sequence, distinct in each group of one reference: a
            # GTFS stop_times(trip_id, stop_sequence), whose numbers may skip or not start at 1
            for c in frame.columns:
                if c in role or types[c] != "int" or not sequence_named(c):
                    continue
                if len(role) < MAX_CANDIDATES and any(unique_non_null(frame, [r, c]) for r in refs):
                    role[c] = "ordinal"
                    break
        for c in frame.columns:
            if len(refs) > 1 and unique_non_null(frame, refs):
                break  # the references are the key: pokemon_species_names' name is a value
            if len(role) < MAX_CANDIDATES and c not in role and self.linked_value(table, refs, c):
                role[c] = "value"  # countrylanguage(CountryCode, Language)
        position = {c: i for i, c in enumerate(frame.columns)}
        named = self.deferred[table].column if table in self.deferred else None
        for size in range(2, MAX_COMPOSITE + 1):
            found = []
            for combo in combinations(role, size):
                own = sum(role[c] in ("own", "ordinal", "value") for c in combo)
                period = any(role[c] == "period" for c in combo)
                if size > 2 and not own and not period:
                    continue
                if all(role[c] == "period" for c in combo):
                    continue
                if unique_non_null(frame, list(combo)) and not any(
                    unique_non_null(frame, list(sub)) for sub in combinations(combo, size - 1)
                ):
                    rank = (named is not None and named not in combo, -own, -int(period))
                    found.append(((*rank, [position[c] for c in combo]), combo))
            if found:
                combo = min(found)[1]
                kinds = ", ".join(f"{c} ({role[c]})" for c in combo)
                self.set(
                    table,
                    list(combo),
                    f"no single column is a key; ({', '.join(combo)}) is unique together and "
                    f"no part of it is: {kinds}",
                )
                return True
        return False

    def linked_value(self, table: str, refs: list[str], col: str) -> bool:
        """A never-empty, repeating key-typed column whose name completes the table's name
        after a table one of ``refs`` refers to: the other side of a link table."""
        frame = self.frames[table]
        if self.types[table][col] not in KEY_TYPES or not frame[col].notna().all():
            return False
        if unique_non_null(frame, [col]):
            return False
        parents = {ref[0] for r in refs if (ref := self.reference(table, r)) is not None}
        return any(names_linked_value(col, table, p) for p in parents)

    def coded_reference(self, table: str) -> bool:
        """A unique column of short codes holding every value of another table's repeating
        text column, an inclusion unlikely by chance (nycflights' ``airports.faa``, which
        ``flights.dest`` uses): the natural key that column refers to, whatever their names."""
        frame, types = self.frames[table], self.types[table]
        for c in frame.columns:
            if types[c] != "string" or not code_like(frame[c]) or not unique_non_null(frame, [c]):
                continue
            keys = Keys.of(frame[c], "string")
            for other in self.names:
                if other == table:
                    continue
                for x in self.frames[other].columns:
                    values = self.frames[other][x]
                    if self.types[other][x] != "string" or values.dropna().is_unique:
                        continue
                    if not mostly_in(values, frame[c]):
                        continue
                    inc = inclusion(values[values.isin(keys.index)], keys, "string")
                    if inc.strong:
                        self.set(
                            table,
                            c,
                            f"'{c}' is unique, never empty, short codes; {other}.{x} repeats "
                            f"them: {inc.describe()}",
                        )
                        return True
        return False

    def fallback(self, table: str) -> None:
        frame, types = self.frames[table], self.types[table]
        for c in frame.columns:
            ref = self.reference(table, c) if types[c] in KEY_TYPES else None
            if ref is not None and not key_named(c) and not spells_table(c, ref[0]):
                continue  # a role before the name (preferred_genre): a reference, not 1:1
            if ref is not None and unique_non_null(frame, [c]):
                named = f"as {ref[0]}'s key" if ref[1] == Level.SAME else f"after table {ref[0]}"
                self.set(table, c, f"'{c}' is unique here and named {named} (1:1 with it)")
                return
        if self.coded_reference(table):
            return
        for c in frame.columns:
            if types[c] != "string" or not unique_non_null(frame, [c]):
                continue
            if guid_named(c) or frame[c].astype(str).str.match(GUID_RE).all():
                self.set(table, c, f"'{c}' holds a unique GUID per row and nothing else is a key")
                return
        self.set(table, None, "no unique, never-empty column or combination named like a key")

    def named_by_others(self, table: str, besides: str) -> bool:
        """Whether a column of another table, other than those called ``besides``, is named
        after ``table`` (a reference to its key)."""
        return any(
            (ref := self.reference(other, c)) is not None and ref[0] == table
            for other in self.names
            if other != table
            for c in self.frames[other].columns
            if "".join(words(c)) != "".join(words(besides))
        )

    def text_over_bare_id(self, table: str) -> None:
        """A bare ``id`` yields to a unique text column other tables refer to by its name
        (wine_1's ``weintrauben.traube``) when no other column names the table, so nothing
        can refer to the id."""
        key, why = self.keys.get(table), self.why.get(table, "")
        if not (isinstance(key, str) and generic_row_id(key)):
            return
        if self.referenced(table, text_only=True):
            c = self.keys[table]
            if self.named_by_others(table, besides=str(c)):
                self.set(table, key, why)
            else:
                self.why[table] += f"; the bare '{key}' is named by no other column"

    def run(self) -> None:
        for t in self.names:
            self.named(t)
        for t in self.names:
            self.text_over_bare_id(t)
        stuck = {p.table for p in self.problems}
        rest = [t for t in self.names if t not in self.keys and t not in stuck]
        for t in rest:
            if not self.link(t):
                self.abbreviated(t)
        rest = [t for t in rest if t not in self.keys]
        for t in rest:
            if not (self.extension(t) or self.referenced(t)):
                self.own_identifier(t)
        for t in [t for t in rest if t not in self.keys]:
            if not (self.link(t) or self.composite(t)):
                self.fallback(t)
        for t, problem in self.deferred.items():
            key = self.keys.get(t)
            if isinstance(key, list) and problem.column in key:
                continue
            if self.repeated_rows(t, problem):
                self.problems.append(problem)  # whole rows written twice: a broken key
                stuck.add(t)
            else:
                self.not_a_key(t, problem)
        for t in stuck:
            self.set(t, None, "its key column repeats or is empty (see the problem reported)")
        for t in self.names:
            if self.frames[t].empty and self.keys.get(t) is None:
                self.empty(t)

    def repeated_rows(self, table: str, problem: KeyProblem) -> bool:
        """Whether the key is broken rather than absent: one value in every row (an export
        that lost its ids), or most rows repeating the key value repeat a whole earlier row
        (a file appended twice)."""
        frame = self.frames[table]
        if frame[problem.column].nunique() < 2:
            return True
        whole = frame.duplicated(keep="first").to_numpy()
        return bool(whole[problem.repeated].mean() >= 0.5)

    def not_a_key(self, table: str, problem: KeyProblem) -> None:
        """A column named after the table that repeats in many rows (at most
        ``PART_OF_KEY_SHARE`` distinct) and is in no composite key found is not a broken key
        but no key at all (Spider's college_2 ``teaches.id``, the instructor's id; a time
        slot's ``time_slot_id``, repeated per day): the table keeps any other key found, or
        is modeled without one, and says why. A key broken by a few rows is still refused."""
        values = self.frames[table][problem.column]
        text = (
            f"'{problem.column}' is named after the table but repeats ({values.nunique()} "
            f"distinct values in {len(values)} rows) and is in no composite key found, so it "
            "is not the table's key"
        )
        if self.keys.get(table) is None:
            self.set(table, None, f"{text}; the table is modeled without a key")
        else:
            self.why[table] += f"; {text}"

    def empty(self, table: str) -> None:
        """An empty table's key from names alone (see the module docstring)."""
        cols = [str(c) for c in self.frames[table].columns]
        for c in cols:
            if named_after_table(c, table) == Level.TABLE and key_named(c):
                self.set(table, c, f"the table is empty; '{c}' is named after it")
                return
        for c in cols:
            users = [t for t, k in self.keys.items() if t != table and k == c]
            if len(users) >= 2:
                self.set(
                    table,
                    c,
                    f"the table is empty; '{c}' is the key of {len(users)} other tables "
                    f"({', '.join(sorted(users)[:3])}{', ...' if len(users) > 3 else ''})",
                )
                return


def detect_primary_keys(
    frames: dict[str, pd.DataFrame], types: dict[str, dict[str, str]]
) -> tuple[dict[str, Key], dict[str, str], list[KeyProblem]]:
    """(key per table, why per table, problems): see the module docstring for the order."""
    d = _Detector(frames, types)
    d.run()
    keys = {t: d.keys.get(t) for t in frames}
    return keys, {t: d.why.get(t, "") for t in frames}, d.problems
