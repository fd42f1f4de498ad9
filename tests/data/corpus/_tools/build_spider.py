"""Build corpus/csu_1, car_1, bike_1, flight_2, wine_1, college_3 from MachineSpider's SQLite files.

Source: https://github.com/LeLuven/MachineSpider (commit
fec4cdd7c9954caaa8c88e3897b763302103d5a0), files database/<db>/<db>.sqlite: the databases of
the Spider text-to-SQL benchmark (Yu et al. 2018, CC BY-SA 4.0) with table and column names
machine-translated to German (values are Spider's, untranslated).

Every table is exported with python's sqlite3 (SELECT * ORDER BY rowid), values as sqlite
returns them (dates stay text; a REAL prints as python's repr).  Table and column names are kept
as in the file (lower case German, with umlauts).  Primary and foreign keys are read from the
file's own declarations (PRAGMA table_info / foreign_key_list).  No column is dropped (none is
a BLOB).  Declared foreign key values with no parent row are kept as they are and listed in
keys.json under "orphans" (car_1 has two, flight_2 all of its flights': see its README).

No subset: Spider's own copies are already small (bike_1, the largest, is 1.7 MB as CSV).

usage: python build_spider.py path/to/MachineSpider/database
"""

import sqlite3
import sys
from pathlib import Path

from common import CORPUS, export_sqlite, write_keys

COMMIT = "fec4cdd7c9954caaa8c88e3897b763302103d5a0"
LICENCE = (
    "CC BY-SA 4.0 (the Spider dataset's licence, Yu et al. 2018; MachineSpider's translation "
    "is published under Apache-2.0 in its LICENSE)"
)


def build(src: Path, db: str) -> None:
    out = CORPUS / db
    con = sqlite3.connect(src / db / f"{db}.sqlite")
    pks, fks = export_sqlite(con, out, f"{db:8s} ")
    source = f"LeLuven/MachineSpider @ {COMMIT}, database/{db}/{db}.sqlite"
    write_keys(out, source, LICENCE, pks, fks, extra={"orphans": _orphans(con, fks)})


def _orphans(con, fks) -> list:
    """Declared foreign key values with no parent row (SQLite does not enforce the keys), as
    text: kept in the data as the source has them, listed so that validate.py knows them."""
    out = []
    for c, col, p, pc in sorted(fks):
        rows = con.execute(
            f'SELECT DISTINCT CAST("{col}" AS TEXT) FROM "{c}" WHERE "{col}" IS NOT NULL AND '
            f'CAST("{col}" AS TEXT) NOT IN (SELECT CAST("{pc}" AS TEXT) FROM "{p}" '
            f'WHERE "{pc}" IS NOT NULL) ORDER BY 1'
        ).fetchall()
        if rows:
            out.append({"child": c, "column": col, "values": [r[0] for r in rows]})
    return out


DATABASES = ("csu_1", "car_1", "bike_1", "flight_2", "wine_1", "college_3")


def main(src):
    for db in DATABASES:
        build(Path(src), db)


if __name__ == "__main__":
    main(sys.argv[1])
