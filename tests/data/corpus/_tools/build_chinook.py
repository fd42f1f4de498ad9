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

from common import CORPUS, export_sqlite, write_keys

SOURCE = (
    "https://github.com/lerocha/chinook-database/blob/7f67772503d71ba90f19283c38e93923addb43fa/"
    "ChinookDatabase/DataSources/Chinook_Sqlite.sqlite"
)
LICENCE = "MIT (Copyright (c) 2008-2024 Luis Rocha), chinook-database LICENSE.md"


def main(path):
    out = CORPUS / "chinook"
    con = sqlite3.connect(path)
    pks, fks = export_sqlite(con, out)
    write_keys(out, SOURCE, LICENCE, pks, fks)


if __name__ == "__main__":
    main(sys.argv[1])
