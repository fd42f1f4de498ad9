"""Build corpus/clubdata from PostgreSQL Exercises' sample database (a country club's members,
facilities and bookings).

Source: AlisdairO/pgexercises, database/clubdata.sql (a pg_dump file: COPY blocks for
cd.bookings, cd.facilities, cd.members, then the ALTER TABLE ... PRIMARY KEY / FOREIGN KEY
constraints).

Whole database, no subset: every row of the three tables, values as the dump has them
(``\\N`` -> empty field).

Keys: as the dump's constraints declare them: bookings_pk (bookid), facilities_pk (facid),
members_pk (memid); fk_bookings_facid, fk_bookings_memid, and fk_members_recommendedby
(members.recommendedby -> members.memid, a self reference named after a role, with no key word).

usage: python build_clubdata.py path/to/pgexercises/database/clubdata.sql
"""

import re
import sys

from common import CORPUS, parse_pg_copy, read_text, write_keys, write_table

SOURCE = "AlisdairO/pgexercises @ c226557fd393c6c977d4ec398caa5a4cec2089c4, database/clubdata.sql"
LICENCE = (
    "BSD 2-Clause (the repository's LICENSE, 'Copyright (c) 2013-2014, Alisdair Owens'; "
    "database/ has no licence of its own)"
)


def declared(text: str):
    """(primary keys, foreign keys) from the dump's ALTER TABLE constraints."""
    pks = {
        t: c.strip()
        for t, c in re.findall(
            r"ALTER TABLE ONLY (\w+)\s+ADD CONSTRAINT \w+ PRIMARY KEY \((\w+)\)", text
        )
    }
    fks = re.findall(
        r"ALTER TABLE ONLY (\w+)\s+ADD CONSTRAINT \w+ FOREIGN KEY \((\w+)\) "
        r"REFERENCES (\w+)\((\w+)\)",
        text,
    )
    return pks, sorted(set(fks))


def main(path):
    text = read_text(path)
    out = CORPUS / "clubdata"
    tables = parse_pg_copy(text)
    for name in sorted(tables):
        cols, rows = tables[name]
        print(f"{name:12s} {write_table(out, name, cols, rows):6d}")
    pks, fks = declared(text)
    assert set(pks) == set(tables), (pks, list(tables))
    write_keys(out, SOURCE, LICENCE, pks, fks)


if __name__ == "__main__":
    main(sys.argv[1])
