"""Build corpus/chinook from the Chinook SQLite database file.

Source: https://github.com/lerocha/chinook-database
(commit 7f67772503d71ba90f19283c38e93923addb43fa),
file ChinookDatabase/DataSources/Chinook_Sqlite.sqlite.

Every table is exported with python's sqlite3 (SELECT * ORDER BY rowid), values as
sqlite returns them (REAL 0.99 -> "0.99", dates are stored as text).  Table and
column names are kept as in the file (PascalCase).  Primary and foreign keys are
read from the file's own declarations (PRAGMA table_info / foreign_key_list).
No column is dropped (the file has no BLOB column); no subsetting.

usage: python build_chinook.py path/to/Chinook_Sqlite.sqlite
"""

import sqlite3
import sys

from common import CORPUS, write_keys, write_table

SOURCE = (
    "https://github.com/lerocha/chinook-database/blob/7f67772503d71ba90f19283c38e93923addb43fa/"
    "ChinookDatabase/DataSources/Chinook_Sqlite.sqlite"
)
LICENCE = "MIT (Copyright (c) 2008-2024 Luis Rocha), chinook-database LICENSE.md"


def main(path):
    out = CORPUS / "chinook"
    con = sqlite3.connect(path)
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
        assert not any(r[2].upper() == "BLOB" for r in info)
        pk = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]]
        pks[t] = pk[0] if len(pk) == 1 else (pk or None)
        for r in con.execute(f'PRAGMA foreign_key_list("{t}")'):  # id,seq,table,from,to,...
            fks.append((t, r[3], r[2], r[4]))
        cur = con.execute(f'SELECT * FROM "{t}" ORDER BY rowid')
        n = write_table(out, t, [d[0] for d in cur.description], cur)
        print(f"{t:15s} {n:6d}")
    write_keys(out, SOURCE, LICENCE, pks, sorted(fks))


if __name__ == "__main__":
    main(sys.argv[1])
