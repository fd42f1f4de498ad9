"""Shapes of public databases the evaluation stage met late: a child linked twice to one parent
(OpenFlights' routes -> airports as source and destination) and a folder whose entity root has
no key (tables that nothing links)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthgen_sdv.evaluate.metrics.utility import feature_table
from synthgen_sdv.evaluate.relations import TableGraph
from synthgen_sdv.evaluate.split import split_by_root, subsample_by_root


def _routes() -> tuple[dict, dict]:
    rng = np.random.default_rng(0)
    airports = pd.DataFrame(
        {"airport_id": range(1, 21), "name": [f"a{i}" for i in range(20)], "alt": rng.random(20)}
    )
    routes = pd.DataFrame(
        {
            "route_id": range(200),
            "src_id": rng.integers(1, 21, 200),
            "dst_id": rng.integers(1, 21, 200),
            "stops": rng.integers(0, 2, 200),
        }
    )
    meta = {
        "METADATA_SPEC_VERSION": "V1",
        "tables": {
            "airports": {
                "primary_key": "airport_id",
                "columns": {
                    "airport_id": {"sdtype": "id"},
                    "name": {"sdtype": "categorical"},
                    "alt": {"sdtype": "numerical"},
                },
            },
            "routes": {
                "primary_key": "route_id",
                "columns": {
                    "route_id": {"sdtype": "id"},
                    "src_id": {"sdtype": "id"},
                    "dst_id": {"sdtype": "id"},
                    "stops": {"sdtype": "numerical"},
                },
            },
        },
        "relationships": [
            {
                "parent_table_name": "airports",
                "parent_primary_key": "airport_id",
                "child_table_name": "routes",
                "child_foreign_key": fk,
            }
            for fk in ("src_id", "dst_id")
        ],
    }
    return {"airports": airports, "routes": routes}, meta


def test_a_parent_linked_twice_gives_one_feature_set_per_link():
    data, meta = _routes()
    graph = TableGraph(meta)
    child = feature_table(data, graph, "routes")
    assert child.columns.is_unique
    src, dst = child["airports(src_id).alt"], child["airports(dst_id).alt"]
    alt = data["airports"].set_index("airport_id")["alt"]
    assert src.tolist() == alt.reindex(data["routes"]["src_id"]).tolist()
    assert dst.tolist() == alt.reindex(data["routes"]["dst_id"]).tolist()
    parent = feature_table(data, graph, "airports")
    assert parent.columns.is_unique
    assert parent["routes(src_id).count"].sum() == parent["routes(dst_id).count"].sum() == 200


def test_a_root_without_a_key_and_without_children_is_split_by_rows():
    rng = np.random.default_rng(0)
    data = {
        "people": pd.DataFrame({"name": [f"p{i}" for i in range(50)], "age": rng.random(50)}),
        "planes": pd.DataFrame({"model": [f"m{i}" for i in range(10)]}),
    }
    meta = {
        "METADATA_SPEC_VERSION": "V1",
        "tables": {
            "people": {
                "columns": {"name": {"sdtype": "categorical"}, "age": {"sdtype": "numerical"}}
            },
            "planes": {"columns": {"model": {"sdtype": "categorical"}}},
        },
        "relationships": [],
    }
    split = split_by_root(data, meta, holdout_fraction=0.2, seed=1, root_table="people")
    assert len(split.holdout["people"]) == 10 and len(split.train["people"]) == 40
    assert not set(split.holdout["people"]["name"]) & set(split.train["people"]["name"])
    pd.testing.assert_frame_equal(split.train["planes"], data["planes"])
    sample = subsample_by_root(data, meta, 20, seed=1, root_table="people")
    assert len(sample.data["people"]) == 20


def test_the_entity_root_is_not_a_table_an_edge_table_names_twice():
    """Routes name two airports and one airline. Split by airport, a route is kept only when
    both its airports land in the same part (most are dropped); split by airline, every route
    stays whole, so the airline is the entity even though airports have more rows with
    children."""
    data, meta = _routes()
    rng = np.random.default_rng(2)
    data["airlines"] = pd.DataFrame({"airline_id": range(1, 41), "active": rng.integers(0, 2, 40)})
    data["routes"]["airline_id"] = rng.integers(1, 41, len(data["routes"]))
    meta["tables"]["airlines"] = {
        "primary_key": "airline_id",
        "columns": {"airline_id": {"sdtype": "id"}, "active": {"sdtype": "categorical"}},
    }
    meta["tables"]["routes"]["columns"]["airline_id"] = {"sdtype": "id"}
    meta["relationships"].append(
        {
            "parent_table_name": "airlines",
            "parent_primary_key": "airline_id",
            "child_table_name": "routes",
            "child_foreign_key": "airline_id",
        }
    )
    assert TableGraph(meta).entity_root(data) == "airlines"
    split = split_by_root(data, meta, holdout_fraction=0.2, seed=0)
    assert len(split.train["routes"]) + len(split.holdout["routes"]) == len(data["routes"])
    by_airport = split_by_root(data, meta, holdout_fraction=0.2, seed=0, root_table="airports")
    kept = len(by_airport.train["routes"]) + len(by_airport.holdout["routes"])
    assert kept < 0.8 * len(data["routes"])  # what the old choice lost


def test_a_keyless_root_without_children_gets_a_report(tmp_path):
    """Tables nothing links, the largest without a key (a per-campus, per-year table whose key
    is not detected): the split takes its rows as they are, and the report accepts that root
    (it said 'root table ... is not a table with a primary key to split by')."""
    from synthgen_sdv.evaluate.report import compare

    rng = np.random.default_rng(0)
    data = {
        "enrollments": pd.DataFrame({"year": rng.integers(1990, 2010, 300), "n": rng.random(300)}),
        "campuses": pd.DataFrame({"id": range(23), "size": rng.random(23)}),
    }
    meta = {
        "METADATA_SPEC_VERSION": "V1",
        "tables": {
            "enrollments": {
                "columns": {"year": {"sdtype": "numerical"}, "n": {"sdtype": "numerical"}}
            },
            "campuses": {
                "primary_key": "id",
                "columns": {"id": {"sdtype": "id"}, "size": {"sdtype": "numerical"}},
            },
        },
        "relationships": [],
    }
    assert TableGraph(meta).entity_root(data) == "enrollments"
    split = split_by_root(data, meta, holdout_fraction=0.2, seed=0)
    report = compare(
        split.train,
        split.holdout,
        {"copy": split.train},
        meta,
        tmp_path,
        metrics=["quality"],
        make_plots=False,
        progress=lambda _m: None,
    )
    assert report.data["options"]["root_table"] == "enrollments"
    assert (tmp_path / "comparison.md").is_file()


def _car_like():
    """5 continents -> 15 countries -> 22 makers, and 300 cars that nothing links (car_1,
    whose links below the makers are not detected)."""
    rng = np.random.default_rng(4)
    data = {
        "continents": pd.DataFrame({"cont_id": range(1, 6), "area": rng.random(5)}),
        "countries": pd.DataFrame(
            {"land_id": range(1, 16), "cont": rng.integers(1, 6, 15), "pop": rng.random(15)}
        ),
        "makers": pd.DataFrame(
            {"id": range(1, 23), "land": rng.integers(1, 16, 22), "size": rng.random(22)}
        ),
        "cars": pd.DataFrame({"car_id": range(300), "mpg": rng.random(300) * 40}),
    }
    num = {"sdtype": "numerical"}
    meta = {
        "METADATA_SPEC_VERSION": "V1",
        "tables": {
            "continents": {
                "primary_key": "cont_id",
                "columns": {"cont_id": {"sdtype": "id"}, "area": num},
            },
            "countries": {
                "primary_key": "land_id",
                "columns": {"land_id": {"sdtype": "id"}, "cont": {"sdtype": "id"}, "pop": num},
            },
            "makers": {
                "primary_key": "id",
                "columns": {"id": {"sdtype": "id"}, "land": {"sdtype": "id"}, "size": num},
            },
            "cars": {"primary_key": "car_id", "columns": {"car_id": {"sdtype": "id"}, "mpg": num}},
        },
        "relationships": [
            {
                "parent_table_name": p,
                "parent_primary_key": pk,
                "child_table_name": c,
                "child_foreign_key": fk,
            }
            for p, pk, c, fk in (
                ("continents", "cont_id", "countries", "cont"),
                ("countries", "land_id", "makers", "land"),
            )
        ],
    }
    return data, meta


def test_a_tree_too_small_to_split_gives_way_to_a_root_that_can_be_split():
    data, meta = _car_like()
    assert TableGraph(meta).entity_root(data) == "cars"  # was continents: 1 held out
    split = split_by_root(data, meta, holdout_fraction=0.2, seed=0)
    assert 40 <= len(split.holdout["cars"]) <= 80


def test_privacy_scores_skip_a_held_out_table_with_no_rows(tmp_path):
    """Split by continent, the held-out continent may have no maker: dcr_baseline failed with
    'No objects to concatenate'; now that table is skipped with its reason."""
    from synthgen_sdv.evaluate.report import compare

    data, meta = _car_like()
    train = {t: df for t, df in data.items()}
    holdout = {
        "continents": data["continents"].iloc[[4]],
        "countries": data["countries"].iloc[:0],
        "makers": data["makers"].iloc[:0],
        "cars": data["cars"].iloc[:60],
    }
    report = compare(
        train,
        holdout,
        {"copy": train},
        meta,
        tmp_path,
        metrics=["dcr_baseline"],
        root_table="continents",
        make_plots=False,
        progress=lambda _m: None,
    )
    text = (tmp_path / "comparison.md").read_text()
    assert "No objects to concatenate" not in text and "failed" not in text, text
    assert report.data["options"]["root_table"] == "continents"
