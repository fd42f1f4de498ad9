"""Key detection over the corpus of real databases: precision and recall against declared keys.

Every database of tests/data/corpus (and Northwind and Berka from ../shared/datasets) is read
whole and its keys detected with no metadata. The goal: every declared key found and none
invented. The exceptions below are declared keys that neither the data nor the names can
tell; each states what is detected instead, so the test fails if that changes either way.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from synthgen_sdv.detect.load import load_user_data
from synthgen_sdv.detect.score import score_keys

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests/data/corpus"
SHARED = ROOT.parent / "shared/datasets"


def corpus() -> dict[str, tuple[Path, Path]]:
    """``{name: (data folder, keys.json)}`` of every corpus database present."""
    dbs = {
        d.name: (d, d / "keys.json")
        for d in sorted(CORPUS.iterdir())
        if (d / "keys.json").is_file()
    }
    for name in ("northwind", "berka"):
        dbs[name] = (SHARED / name, CORPUS / "_shared_keys" / f"{name}.json")
    return dbs


DBS = corpus()

# (database, kind, declared key) -> (what is detected instead, why the declared one is not
# inferable). Kinds: "pk" (labels as score_keys writes them) and "fk".
EXCEPTIONS = {
    (
        "adventureworks_lt",
        "pk",
        "ProductModelProductDescription(ProductModelID, ProductDescriptionID, Culture)",
    ): (
        "ProductModelProductDescription(ProductModelID, ProductDescriptionID)",
        "a link table named after ProductModel and ProductDescription: its two references are "
        "unique together (ProductDescriptionID alone is); the declared key adds Culture, a "
        "plain text column the data does not need",
    ),
    ("adventureworks_lt", "pk", "SalesOrderDetail(SalesOrderID, SalesOrderDetailID)"): (
        "SalesOrderDetail.SalesOrderDetailID",
        "SalesOrderDetailID is unique and named after the table; the declared key adds the "
        "order's key, which the data does not need (Chinook's InvoiceLine, the same shape, "
        "declares the line's own key alone)",
    ),
    (
        "adventureworks_purchasing",
        "pk",
        "PurchaseOrderDetail(PurchaseOrderID, PurchaseOrderDetailID)",
    ): (
        "PurchaseOrderDetail.PurchaseOrderDetailID",
        "as SalesOrderDetail: the line's own key is unique and named after the table",
    ),
    ("pubs", "pk", "sales(stor_id, ord_num, title_id)"): (
        "sales(ord_num, title_id)",
        "(ord_num, title_id) and (stor_id, title_id) are both unique in the 21 rows; the "
        "declared key is a superset of both; the pair with the table's own identifier "
        "(ord_num) is chosen",
    ),
    ("classicmodels", "pk", "orderdetails(orderNumber, productCode)"): (
        "orderdetails(orderNumber, orderLineNumber)",
        "both pairs are unique; the pair with the table's own identifier (orderLineNumber) is "
        "chosen, as Oracle's order_items declares (order_id, line_item_id)",
    ),
    ("classicmodels", "pk", "payments(customerNumber, checkNumber)"): (
        "payments.checkNumber",
        "checkNumber is unique alone and named like a key; the declared key adds the "
        "customer's, which the data does not need (as SalesOrderDetail)",
    ),
    ("nycflights", "pk", "weather(origin, time_hour)"): (
        None,
        "neither origin nor time_hour is named like a key, and a composite of plain columns is "
        "not searched (a table's plain columns are often unique together by accident); the "
        "table is modeled without a key",
    ),
    # Lahman: the MySQL distribution declares every season table's key with all the columns a
    # row is filed under; in the 2014-2016 seasons fewer of them already tell rows apart, and
    # 'round' / 'inseason' / 'votedBy' are plain columns, not named like keys.
    ("lahman", "pk", "Teams(yearID, lgID, teamID)"): (
        "Teams(yearID, teamID)",
        "a team code is unique within a season (each team plays in one league a year), so the "
        "data does not need lgID; teamID repeats every season, so it is part of the key",
    ),
    ("lahman", "pk", "Salaries(yearID, teamID, lgID, playerID)"): (
        "Salaries(yearID, lgID, playerID)",
        "(yearID, teamID, playerID) and (yearID, lgID, playerID) are both unique in these "
        "seasons and the declared key is a superset of both; the set with more key-named columns "
        "that name no table in the folder (yearID, lgID) is chosen, the rule that picks "
        "classicmodels' (orderNumber, orderLineNumber)",
    ),
    ("lahman", "pk", "AllstarFull(playerID, yearID, gameNum)"): (
        "AllstarFull(playerID, yearID)",
        "gameNum is 0 in every row (one All-Star game a year since 1963): the data does not "
        "need it",
    ),
    ("lahman", "pk", "Managers(yearID, teamID, inseason)"): (
        "Managers(playerID, yearID)",
        "inseason (the manager's order within a team's season) is a plain number not named like "
        "a key; a manager leads one team a season, so (playerID, yearID) is unique",
    ),
    ("lahman", "pk", "BattingPost(yearID, round, playerID)"): (
        None,
        "round ('ALWC', 'WS', ...) is a plain text column; no set of key-named columns is "
        "unique (a player bats in several rounds of a year), so the table is modeled without a "
        "key",
    ),
    ("lahman", "pk", "SeriesPost(yearID, round)"): (
        None,
        "as BattingPost: the key needs 'round', a plain text column",
    ),
    ("lahman", "pk", "AwardsPlayers(yearID, awardID, lgID, playerID)"): (
        "AwardsPlayers(playerID, awardID, yearID)",
        "no player won the same award in both leagues in a year: lgID is not needed",
    ),
    ("lahman", "pk", "AwardsManagers(yearID, awardID, lgID, playerID)"): (
        "AwardsManagers(playerID, awardID)",
        "10 rows: no manager won the same award twice in 2014-2016, so (playerID, awardID) is "
        "already unique",
    ),
    ("lahman", "pk", "HallOfFame(playerID, yearID, votedBy)"): (
        "HallOfFame(playerID, yearID)",
        "votedBy is a plain text column; no one was on two ballots in one year here",
    ),
    # Spider's csu_1 (California State University statistics, names machine-translated to
    # German): per-campus tables keyed by the campus and a year or a discipline.
    ("csu_1", "pk", "fachrichtung_einschreibungen(campus, fachrichtung)"): (
        None,
        "fachrichtung (discipline) is a plain number column, not named like a key or a period; "
        "a composite of a reference and a plain column is not searched (as nycflights' "
        "weather), so the table has no key",
    ),
    # Spider's car_1 (UCI auto-mpg cars, names machine-translated to German).
    ("car_1", "pk", "modellliste.modell"): (
        "modellliste.modell_id",
        "the declared key is modell_id (the table's name starts with its stem, so it is "
        "chosen), but the one link to the table uses the unique text 'modell' instead; SDV "
        "links a child to its parent's primary key only, so the score asks for 'modell'",
    ),
    ("car_1", "fk", "autonamen.modell -> modellliste.modell"): (
        None,
        "it refers to modell, not to the key modell_id, and one of its values (' volkswagen', "
        "with a leading space) is no model (an orphan the source carries; see keys.json)",
    ),
    ("car_1", "fk", "modellliste.hersteller -> autohersteller.id"): (
        None,
        "'hersteller' (maker) is the tail of the German compound 'autohersteller' (car "
        "maker), not its name, and one value (10) is no maker (an orphan in the source)",
    ),
    ("car_1", "fk", "autos_daten.id -> autonamen.marke_id"): (
        None,
        "a table's own bare 'id' that is also a 1:1 reference to another table's differently "
        "named key: both are dense 1..406, so neither names nor values can tell",
    ),
    # Spider's college_3 (a university's courses, faculty and grades; names in German).
    ("college_3", "pk", "gehaltsumwandlung.brief_grade"): (
        None,
        "a grade lookup ('A+' -> 4.0) keyed by letter grades: 'brief_grade' is not named like a "
        "key and the one table using it names its column 'grade'; by values alone, 12 one- or "
        "two-character codes in 13 have a chance of 0.5^12 = 2.4e-4 of being shared by "
        "coincidence, above the 1e-4 a key of codes needs (evidence.STRONG)",
    ),
    ("college_3", "fk", "eingeschrieben_in.grade -> gehaltsumwandlung.brief_grade"): (
        None,
        "the parent has no key detected (above), so nothing to link to",
    ),
    # Spider's flight_2: every airport code in flights carries a leading space (' APG').
    ("flight_2", "fk", "flüge.quellflughafen -> flughäfen.flughafen_code"): (
        None,
        "no value is a key as written: each has a leading space the airports' codes lack; the "
        "run says so in a note (trim them to link), it does not change the data",
    ),
    ("flight_2", "fk", "flüge.zielflughafen -> flughäfen.flughafen_code"): (
        None,
        "as quellflughafen: padded codes, said in a note",
    ),
}


# (database, kind, detected key) -> why: keys detected that the database does not declare,
# and that are right all the same.
UNDECLARED = {
    ("adventureworks_dw", "pk", "FactFinance.FinanceKey"): (
        "the script declares no primary key for FactFinance, but FinanceKey (an IDENTITY "
        "column) is unique, never empty and named after the table"
    ),
    (
        "adventureworks_dw",
        "fk",
        "FactSurveyResponse.ProductCategoryKey -> DimProductCategory.ProductCategoryKey",
    ): (
        "not declared in instawdbdw.sql, yet named as DimProductCategory's key with every value "
        "one of its keys: a real reference the script leaves undeclared"
    ),
    (
        "adventureworks_dw",
        "fk",
        "FactSurveyResponse.ProductSubcategoryKey -> DimProductSubcategory.ProductSubcategoryKey",
    ): "as ProductCategoryKey: an undeclared but real reference",
    ("csu_1", "pk", "fakultät(campus, jahr)"): (
        "the file declares no key for fakultät (faculty per campus and year), but like "
        "abschlüsse and einschreibungen, which declare theirs, it has one row per campus and "
        "year (jahr): the reference and the period are unique together"
    ),
    ("bike_1", "fk", "reise.startstationsnummer -> station.id"): (
        "undeclared, but the trips' start station (German 'start station number', English "
        "start_station_id): every value is a station id"
    ),
    ("bike_1", "fk", "reise.endstationsnummer -> station.id"): "as startstationsnummer",
    ("college_3", "pk", "mitglied_von(fakultät_id, abteilungsnummer)"): (
        "a link table (faculty member of department) with no declared key; its two references "
        "are unique together"
    ),
    ("college_3", "pk", "nebenfach_in.student_id"): (
        "no declared key; a student has one minor here, so the reference is unique (a 1:1 "
        "extension of schüler)"
    ),
    ("college_3", "fk", "schüler.berater -> fakultät.fakultät_id"): (
        "undeclared, but a student's advisor ('berater') is a faculty member: all 18 distinct "
        "values are among 58 sparse 4-digit faculty ids"
    ),
    ("college_3", "fk", "schüler.hauptfach -> fachbereich.abteilungsnummer"): (
        "undeclared, but a student's major ('hauptfach') is a department number: all 6 values "
        "are department numbers (sparse: 10, 50, 520, ...)"
    ),
    ("flight_2", "fk", "flüge.fluggesellschaft -> fluggesellschaften.fluggesellschaft_id"): (
        "undeclared in the SQLite file (the English original neither), but a flight's "
        "airline: named after the table, every value an airline id"
    ),
    (
        "mimic_demo",
        "fk",
        "MICROBIOLOGYEVENTS.AB_ITEMID -> D_ITEMS.ITEMID",
    ): (
        "undeclared in mimic-code's constraints, but D_ITEMS says it: its 436 rows with "
        "LINKSTO 'microbiologyevents' are the ANTIBACTERIUM, ORGANISM and SPECIMEN items; all "
        "28 values are among them (D_ITEMS' ITEMIDs are sparse)"
    ),
    ("mimic_demo", "fk", "MICROBIOLOGYEVENTS.ORG_ITEMID -> D_ITEMS.ITEMID"): "as AB_ITEMID",
    ("mimic_demo", "fk", "MICROBIOLOGYEVENTS.SPEC_ITEMID -> D_ITEMS.ITEMID"): "as AB_ITEMID",
    ("lahman", "pk", "CollegePlaying(playerID, yearID)"): (
        "the distribution declares no key for CollegePlaying; in these rows a player lists one "
        "school a year, so (playerID, yearID) is unique and both are named like keys"
    ),
}


@pytest.fixture(scope="module")
def detected():
    """Detected metadata document and declared keys per database (read once)."""
    out = {}
    for name, (folder, keys_file) in DBS.items():
        if not folder.is_dir():
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            user = load_user_data(folder)
        out[name] = (user, json.loads(keys_file.read_text()))
    return out


@pytest.mark.parametrize("name", list(DBS))
def test_detected_keys_equal_declared_keys(detected, name):
    if name not in detected:
        pytest.skip(f"{DBS[name][0]} is not here (../shared/datasets)")
    user, keys = detected[name]
    score = score_keys(user.document(), keys)
    for kind, result in (("pk", score.primary), ("fk", score.foreign)):
        expected_missed = sorted(k[2] for k in EXCEPTIONS if k[:2] == (name, kind))
        expected_invented = sorted(
            [EXCEPTIONS[k][0] for k in EXCEPTIONS if k[:2] == (name, kind) and EXCEPTIONS[k][0]]
            + [k[2] for k in UNDECLARED if k[:2] == (name, kind)]
        )
        assert sorted(result.missed) == expected_missed, (kind, result.missed)
        assert sorted(result.invented) == expected_invented, (kind, result.invented)


def test_corpus_precision_and_recall(detected):
    """The numbers over the whole corpus; every miss is an explained exception."""
    totals = {"pk": [0, 0, 0], "fk": [0, 0, 0]}  # found, missed, invented
    lines = []
    for name, (user, keys) in sorted(detected.items()):
        score = score_keys(user.document(), keys)
        for kind, result in (("pk", score.primary), ("fk", score.foreign)):
            t = totals[kind]
            t[0] += len(result.found)
            t[1] += len(result.missed)
            t[2] += len(result.invented)
        lines.append(
            f"{name:26} pk P {score.primary.precision:.2f} R {score.primary.recall:.2f}   "
            f"fk P {score.foreign.precision:.2f} R {score.foreign.recall:.2f}"
        )
    print("\n" + "\n".join(lines))
    if len(detected) < len(DBS):
        pytest.skip("part of the corpus is missing")
    pk_found, pk_missed, pk_invented = totals["pk"]
    fk_found, fk_missed, fk_invented = totals["fk"]
    assert pk_missed == sum(1 for k in EXCEPTIONS if k[1] == "pk")
    undeclared = {kind: sum(1 for k in UNDECLARED if k[1] == kind) for kind in ("pk", "fk")}
    assert pk_invented == undeclared["pk"] + sum(
        1 for k, v in EXCEPTIONS.items() if k[1] == "pk" and v[0]
    )
    assert fk_missed == sum(1 for k in EXCEPTIONS if k[1] == "fk")
    assert fk_invented == undeclared["fk"]
    assert pk_found + pk_missed == 206 and fk_found + fk_missed == 245  # declared in the corpus


def test_what_is_not_linked_is_said(detected):
    """Cycles are broken at their weakest link and columns named after absent tables noted."""
    user, _ = detected["sakila"]
    left = {lo.relationship.label(): lo.reason for lo in user.left_out}
    assert list(left) == ["store.manager_staff_id -> staff.staff_id"]
    assert "closes the cycle store -> staff -> store" in left[next(iter(left))]
    user, _ = detected["oracle_hr"]
    assert [lo.relationship.label() for lo in user.left_out] == [
        "departments.manager_id -> employees.employee_id"
    ]
    notes = "\n".join(detected["adventureworks_purchasing"][0].notes)
    assert "PurchaseOrderHeader.EmployeeID ('employee')" in notes  # an absent parent
    notes = "\n".join(detected["adventureworks_dw"][0].notes)
    assert "FactSalesQuota.EmployeeKey ('employee')" in notes
    assert "FactSurveyResponse.CustomerKey ('customer')" in notes
    assert "rowguid" not in json.dumps(
        {
            t: m.get("primary_key")
            for t, m in detected["adventureworks_lt"][0].metadata["tables"].items()
        }
    )
