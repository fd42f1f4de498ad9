"""Build corpus/openflights from the OpenFlights airport, airline and route databases.

Source: jpatokal/openflights, data/{airports,airlines,routes,planes}.dat (headerless CSV,
``\\N`` for NULL; field names and meanings as https://openflights.org/data.php documents them).

Column names: the documented field names in snake case (``Airline ID`` -> ``airline_id``,
``Source airport ID`` -> ``source_airport_id``). ``\\N`` is written as an empty field; every
other value as the file has it.

Subset by region: the airports whose tz database time zone is ``Europe/...``, the routes whose
source and destination airports are both among them, every airline (the parents of the routes,
and the airlines with no European route), every plane type. Routes whose airline ID is given but
is not in airlines.dat (the file has such dangling references) are left out and counted, so that
every declared key holds; routes with no airline ID (``\\N``) are kept, with an empty field.

Keys (data.php): airlines.airline_id ("Unique OpenFlights identifier for this airline"),
airports.airport_id ("Unique OpenFlights identifier for this airport"); routes.airline_id ->
airlines, routes.source_airport_id and routes.destination_airport_id -> airports. routes and
planes have no key. countries.dat is not included: its names are not unique and airports and
airlines name countries it does not hold (``Burma``, ``Kyrgyzstan``).

usage: python build_openflights.py path/to/openflights/data
"""

import csv
import sys
from pathlib import Path

from common import CORPUS, write_keys, write_table

SOURCE = "jpatokal/openflights @ 5a0360255a5a2ff2b9f1e9cb199716da68a8a33f, data/*.dat"
LICENCE = "ODbL 1.0 (data/LICENSE: ODC Open Database License; data/README.md and data.php)"
COLUMNS = {
    "airports": [
        "airport_id",
        "name",
        "city",
        "country",
        "iata",
        "icao",
        "latitude",
        "longitude",
        "altitude",
        "timezone",
        "dst",
        "tz_database_timezone",
        "type",
        "source",
    ],
    "airlines": ["airline_id", "name", "alias", "iata", "icao", "callsign", "country", "active"],
    "routes": [
        "airline",
        "airline_id",
        "source_airport",
        "source_airport_id",
        "destination_airport",
        "destination_airport_id",
        "codeshare",
        "stops",
        "equipment",
    ],
    "planes": ["name", "iata", "icao"],
}


def read(path: Path, n: int):
    with open(path, encoding="utf-8", newline="") as fh:
        rows = [[None if v == r"\N" else v for v in r] for r in csv.reader(fh)]
    assert all(len(r) == n for r in rows), path
    return rows


def main(src):
    src, out = Path(src), CORPUS / "openflights"
    t = {name: read(src / f"{name}.dat", len(cols)) for name, cols in COLUMNS.items()}
    tz = COLUMNS["airports"].index("tz_database_timezone")
    t["airports"] = [r for r in t["airports"] if (r[tz] or "").startswith("Europe/")]
    airports = {r[0] for r in t["airports"]}
    airlines = {r[0] for r in t["airlines"]}
    routes = [r for r in t["routes"] if r[3] in airports and r[5] in airports]
    kept = [r for r in routes if r[1] is None or r[1] in airlines]
    print(f"routes: {len(routes) - len(kept)} left out (airline_id not in airlines.dat)")
    t["routes"] = kept
    for name in sorted(t):
        print(f"{name:10s} {write_table(out, name, COLUMNS[name], t[name]):6d}")
    pks = {"airlines": "airline_id", "airports": "airport_id", "routes": None, "planes": None}
    fks = [
        ("routes", "airline_id", "airlines", "airline_id"),
        ("routes", "destination_airport_id", "airports", "airport_id"),
        ("routes", "source_airport_id", "airports", "airport_id"),
    ]
    write_keys(out, SOURCE, LICENCE, pks, fks)


if __name__ == "__main__":
    main(sys.argv[1])
