"""Shared helpers for the corpus build scripts (standard library only).

Output format of every corpus folder: one CSV per table, file stem = table name,
header row, UTF-8, comma separated, minimal quoting, NULL written as an empty
field (so NULL and the empty string look the same, as in the shared northwind
and berka folders).  Plus keys.json (declared keys) written by write_keys().

Readers here:
  * export_sqlite(con, out)    -> every table of a SQLite file as CSV, with its declared keys
  * parse_pg_copy(text)        -> {table: (columns, rows)}  for pg_dump COPY blocks
  * parse_sql_inserts(text)    -> [(table, columns|None, values)] for plain
                                  INSERT [INTO] t [(cols)] VALUES (...) scripts
                                  ('' quoting; Oracle TO_DATE, TO_TIMESTAMP,
                                  UTL_RAW.CAST_TO_RAW; T-SQL N'..', $money, 0x..)
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
import re
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------- output
def write_table(out_dir: Path, name: str, columns: list[str], rows) -> int:
    """Write one table; None -> empty field.  Returns the number of rows."""
    out_dir.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(out_dir / f"{name}.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow(["" if v is None else v for v in r])
            n += 1
    return n


def read_text(path, encoding: str = "utf-8") -> str:
    with open(path, encoding=encoding, newline="") as fh:
        return fh.read()


def write_keys(
    out_dir: Path,
    source: str,
    licence: str,
    tables: dict,
    foreign_keys: list,
    absent_parents: list | None = None,
    extra: dict | None = None,
) -> None:
    """tables: {name: pk} with pk a column name, a list (composite) or None.
    foreign_keys: [(child, column, parent, parent_column)].
    absent_parents: [(child, column, parent_table_not_included)].
    extra: more documented facts, written as they are (unique keys, composite foreign keys)."""
    doc = {
        "source": source,
        "licence": licence,
        "tables": {t: {"primary_key": pk} for t, pk in tables.items()},
        "foreign_keys": [
            {"child": c, "column": col, "parent": p, "parent_column": pc}
            for c, col, p, pc in foreign_keys
        ],
        "absent_parents": [
            {"child": c, "column": col, "parent": p} for c, col, p in (absent_parents or [])
        ],
        **(extra or {}),
    }
    with open(out_dir / "keys.json", "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=2, ensure_ascii=False)
        fh.write("\n")


# ------------------------------------------------------------------ SQLite
def export_sqlite(
    con, out_dir: Path, label: str = "", blobs_as_hex: bool = False
) -> tuple[dict, list]:
    """Every table of an open SQLite database as CSV (SELECT * in rowid order, values as
    sqlite returns them), with the keys the file declares (PRAGMA table_info /
    foreign_key_list): ({table: pk}, [(child, column, parent, parent_column)]).

    A BLOB column is refused (the corpus holds text only) unless ``blobs_as_hex``: then its
    bytes are written as hex text, as a dump tool would (benchmarks/bench_unseen.py)."""
    names = [
        r[0]
        for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type='table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    pks, fks = {}, []
    for t in names:
        info = con.execute(f'PRAGMA table_info("{t}")').fetchall()  # cid,name,type,notnull,dflt,pk
        assert blobs_as_hex or not any(r[2].upper() == "BLOB" for r in info)
        pk = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]]
        pks[t] = pk[0] if len(pk) == 1 else (pk or None)
        for r in con.execute(f'PRAGMA foreign_key_list("{t}")'):  # id,seq,table,from,to,...
            fks.append((t, r[3], r[2], r[4]))
        cur = con.execute(f'SELECT * FROM "{t}" ORDER BY rowid')
        rows = (
            (tuple(v.hex() if isinstance(v, bytes) else v for v in row) for row in cur)
            if blobs_as_hex
            else cur
        )
        n = write_table(out_dir, t, [d[0] for d in cur.description], rows)
        print(f"{label}{t:30s} {n:6d}")
    return pks, sorted(fks)


# ------------------------------------------------------------ pg_dump COPY
_PG_ESC = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def _pg_unescape(field: str):
    if field == r"\N":
        return None
    if "\\" not in field:
        return field
    out, i = [], 0
    while i < len(field):
        ch = field[i]
        if ch == "\\" and i + 1 < len(field):
            nxt = field[i + 1]
            if nxt in _PG_ESC:
                out.append(_PG_ESC[nxt])
                i += 2
                continue
            m = re.match(r"[0-7]{1,3}", field[i + 1 :])
            if m:
                out.append(chr(int(m.group(0), 8)))
                i += 1 + len(m.group(0))
                continue
            out.append(nxt)
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def parse_pg_copy(text: str) -> dict:
    """Every 'COPY [schema.]t (cols) FROM stdin;' block of a pg_dump file."""
    tables, lines, i = {}, text.split("\n"), 0
    head = re.compile(r"^COPY\s+(?:\w+\.)?(\w+)\s*\(([^)]*)\)\s+FROM\s+stdin;")
    while i < len(lines):
        m = head.match(lines[i])
        i += 1
        if not m:
            continue
        cols = [c.strip().strip('"') for c in m.group(2).split(",")]
        rows = []
        while lines[i] != r"\.":
            rows.append([_pg_unescape(f) for f in lines[i].split("\t")])
            i += 1
        tables[m.group(1)] = (cols, rows)
    return tables


# ----------------------------------------------------- INSERT statement parser
_MON = {
    m: i
    for i, m in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
        start=1,
    )
}


def oracle_to_date(value: str, fmt: str) -> str:
    """Render an Oracle TO_DATE/TO_TIMESTAMP literal as ISO text.
    Only the formats used by the Oracle sample schemas are supported."""
    f = fmt.upper()
    if f == "DD-MM-YYYY":
        d = _dt.datetime.strptime(value, "%d-%m-%Y")
        return d.date().isoformat()
    if f == "YYYY-MM-DD-HH24-MI-SS":
        d = _dt.datetime.strptime(value, "%Y-%m-%d-%H-%M-%S")
        return d.date().isoformat() if d.time() == _dt.time() else d.isoformat(" ")
    if f == "DD-MON-YYYY HH24.MI.SS.FF":
        m = re.fullmatch(r"(\d\d)-([A-Z]{3})-(\d{4}) (\d\d)\.(\d\d)\.(\d\d)\.(\d+)", value.upper())
        dd, mon, yy, hh, mi, ss, ff = m.groups()
        return f"{yy}-{_MON[mon]:02d}-{dd} {hh}:{mi}:{ss}.{ff}"
    raise ValueError(f"unsupported date format {fmt!r}")


class Opaque(str):
    """A value the parser does not reproduce: a PL/SQL variable, or binary
    content (UTL_RAW.CAST_TO_RAW(...), T-SQL 0x... literals).  Only allowed in
    columns that the build scripts drop."""


class _Tok:
    def __init__(self, s: str, i: int):
        self.s, self.i = s, i

    def ws(self):
        while self.i < len(self.s) and self.s[self.i].isspace():
            self.i += 1

    def peek(self):
        self.ws()
        return self.s[self.i] if self.i < len(self.s) else ""

    def expect(self, ch):
        if self.peek() != ch:
            raise ValueError(f"expected {ch!r} at {self.i}: {self.s[self.i : self.i + 60]!r}")
        self.i += 1

    def string(self):
        self.expect("'")
        out = []
        while True:
            j = self.s.index("'", self.i)
            out.append(self.s[self.i : j])
            if self.s.startswith("''", j):
                out.append("'")
                self.i = j + 2
            else:
                self.i = j + 1
                return "".join(out)

    def items(self) -> list:
        """The comma-separated values up to and including the closing ``)`` (the opening one
        already read)."""
        out = [self.value()]
        while self.peek() == ",":
            self.i += 1
            out.append(self.value())
        self.expect(")")
        return out

    def value(self):
        c = self.peek()
        if c == "'":
            return self.string()
        if c in "Nn" and self.s.startswith("'", self.i + 1):  # T-SQL N'unicode'
            self.i += 1
            return self.string()
        m = re.compile(r"0x[0-9A-Fa-f]*").match(self.s, self.i)
        if m:  # T-SQL binary literal
            self.i = m.end()
            return Opaque("blob")
        if c == "$":  # T-SQL money literal: $20.00 -> 20.00
            self.i += 1
        m = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?").match(self.s, self.i)
        if m:
            self.i = m.end()
            return m.group(0)
        m = re.compile(r"[A-Za-z_][\w.]*").match(self.s, self.i)
        if not m:
            raise ValueError(f"cannot parse value at {self.i}: {self.s[self.i : self.i + 60]!r}")
        word = m.group(0)
        self.i = m.end()
        if word.upper() == "NULL":
            return None
        if self.peek() != "(":  # a PL/SQL variable, e.g. co_populate.sql's prod_details
            return Opaque(word)
        self.expect("(")
        args = self.items()
        fn = word.upper()
        if fn in ("TO_DATE", "TO_TIMESTAMP"):
            return oracle_to_date(args[0], args[1])
        if fn == "UTL_RAW.CAST_TO_RAW":  # BLOB content; such columns are dropped
            return Opaque("blob")
        raise ValueError(f"unsupported function {word}")


_INSERT = re.compile(r"INSERT\s+(?:INTO\s+)?(\w+)\s*(\(([^)]*)\))?\s*VALUES\s*\(", re.I)


def parse_sql_inserts(text: str) -> list:
    """[(table, columns or None, [values...])] in file order."""
    out, pos = [], 0
    while True:
        m = _INSERT.search(text, pos)
        if not m:
            return out
        cols = [c.strip().lower() for c in m.group(3).split(",")] if m.group(3) else None
        tok = _Tok(text, m.end())
        vals = tok.items()
        out.append((m.group(1).lower(), cols, vals))
        pos = tok.i
