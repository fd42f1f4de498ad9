"""Build corpus/lahman from the Baseball Databank (the Lahman baseball database) CSV files.

Source: https://github.com/infonuum/baseballdatabank (a copy of chadwickbureau/baseballdatabank,
commit e9f247e0445bb6fee7ace30b46ffb3f83b5431b3), folders core/ and contrib/.

Subset by season: the 2014-2016 seasons of every season table (Teams, Salaries, AllstarFull,
Managers, BattingPost, SeriesPost, AwardsPlayers, AwardsManagers, HallOfFame), the people those
rows name (People), their CollegePlaying rows; TeamsFranchises and Schools whole. Rows whose
reference is not in the source's own parent table are dropped and counted (CollegePlaying rows
naming a school missing from Schools; none in HallOfFame for these seasons). Values as written.

Keys: the primary keys of the Lahman MySQL distribution (ALTER TABLE ... ADD PRIMARY KEY,
lahman_bbdb dump); the foreign keys as the Lahman readme documents them ("The playerID links
the data in this file with records in the other files", "franchID: Franchise (links to
TeamsFranchise table)", CollegePlaying's schoolID names a Schools row). The links on
(yearID, lgID, teamID) to Teams are composite: recorded, not scored.

usage: python build_lahman.py path/to/baseballdatabank   (the folder holding core/ and contrib/)
"""

import csv
import sys
from pathlib import Path

from common import CORPUS, write_keys, write_table

SOURCE = (
    "https://github.com/infonuum/baseballdatabank (copy of chadwickbureau/baseballdatabank), "
    "commit e9f247e0445bb6fee7ace30b46ffb3f83b5431b3"
)
LICENCE = (
    "CC BY-SA 3.0 (Creative Commons Attribution-ShareAlike 3.0 Unported): Chadwick Baseball "
    "Bureau, based on the Lahman Baseball Database, Copyright (C) 1996-2015 by Sean Lahman"
)
SEASONS = {"2014", "2015", "2016"}
SEASON_TABLES = {
    "Teams": "core",
    "Salaries": "contrib",
    "AllstarFull": "core",
    "Managers": "core",
    "BattingPost": "core",
    "SeriesPost": "core",
    "AwardsPlayers": "contrib",
    "AwardsManagers": "contrib",
    "HallOfFame": "contrib",
}
PKS = {
    "People": "playerID",
    "TeamsFranchises": "franchID",
    "Schools": "schoolID",
    "Teams": ["yearID", "lgID", "teamID"],
    "Salaries": ["yearID", "teamID", "lgID", "playerID"],
    "AllstarFull": ["playerID", "yearID", "gameNum"],
    "Managers": ["yearID", "teamID", "inseason"],
    "BattingPost": ["yearID", "round", "playerID"],
    "SeriesPost": ["yearID", "round"],
    "AwardsPlayers": ["yearID", "awardID", "lgID", "playerID"],
    "AwardsManagers": ["yearID", "awardID", "lgID", "playerID"],
    "HallOfFame": ["playerID", "yearID", "votedBy"],
    "CollegePlaying": None,  # no key in the distribution (a player can list a school twice a year)
}
PLAYER_TABLES = [
    "Salaries",
    "AllstarFull",
    "Managers",
    "BattingPost",
    "AwardsPlayers",
    "AwardsManagers",
    "HallOfFame",
    "CollegePlaying",
]
TEAM_CHILDREN = ["Salaries", "AllstarFull", "Managers", "BattingPost"]


def read(path: Path):
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def main(src):
    src, out = Path(src), CORPUS / "lahman"
    tables = {}
    for name, folder in SEASON_TABLES.items():
        cols, rows = read(src / folder / f"{name}.csv")
        y = cols.index("yearID")
        tables[name] = (cols, [r for r in rows if r[y] in SEASONS])
    for name, folder in (("TeamsFranchises", "core"), ("Schools", "contrib")):
        tables[name] = read(src / folder / f"{name}.csv")
    cols, rows = read(src / "core/People.csv")
    named = {
        r[tables[t][0].index("playerID")]
        for t in SEASON_TABLES
        if t in PLAYER_TABLES
        for r in tables[t][1]
    }
    tables["People"] = (cols, [r for r in rows if r[0] in named])
    people = {r[0] for r in tables["People"][1]}
    cols, rows = read(src / "contrib/CollegePlaying.csv")
    schools = {r[0] for r in tables["Schools"][1]}
    kept = [r for r in rows if r[0] in people]
    good = [r for r in kept if r[1] in schools]
    print(f"CollegePlaying: {len(kept) - len(good)} rows dropped (school not in Schools)")
    tables["CollegePlaying"] = (cols, good)
    for name in PLAYER_TABLES:
        cols, rows = tables[name]
        p = cols.index("playerID")
        bad = [r for r in rows if r[p] not in people]
        assert not bad, (name, bad[:3])
    for name in sorted(tables):
        cols, rows = tables[name]
        print(f"{name:16s} {write_table(out, name, cols, rows):6d}")
    fks = [(t, "playerID", "People", "playerID") for t in PLAYER_TABLES]
    fks += [
        ("Teams", "franchID", "TeamsFranchises", "franchID"),
        ("CollegePlaying", "schoolID", "Schools", "schoolID"),
    ]
    composite = [
        {
            "child": t,
            "columns": ["yearID", "lgID", "teamID"],
            "parent": "Teams",
            "parent_columns": ["yearID", "lgID", "teamID"],
        }
        for t in TEAM_CHILDREN
    ]
    write_keys(out, SOURCE, LICENCE, PKS, sorted(fks), extra={"composite_foreign_keys": composite})


if __name__ == "__main__":
    main(sys.argv[1])
