"""A sample that cannot be cut into batches still counts its integer keys from the data's.

oracle_hr's countries are keyed by two-letter codes, which cannot be counted across batches, so
its samples are one plain draw; that draw kept SDV's random integers for every other key
(employee_id 14,396,190 where the data has 100..206, region_id 3,376,669 for 10..50). They are
now counted from the data's smallest key, as in a batched sample, references along."""

from __future__ import annotations

import numpy as np
import pandas as pd

import synthgen_sdv as sg


def _data() -> tuple[dict[str, pd.DataFrame], dict]:
    rng = np.random.default_rng(0)
    codes = [a + b for a in "ABCDEFG" for b in "KLMNOP"][:30]
    regions = pd.DataFrame({"region_id": [10, 20, 30, 40, 50], "name": list("vwxyz")})
    countries = pd.DataFrame(
        {"country_id": codes, "region_id": rng.choice(regions["region_id"], len(codes))}
    )
    n = 120
    employees = pd.DataFrame(
        {
            "employee_id": np.arange(100, 100 + n),
            "country_id": rng.choice(codes, n),
            "salary": rng.gamma(3.0, 2000.0, n).round(0),
        }
    )
    md = {
        "tables": {
            "regions": {
                "primary_key": "region_id",
                "columns": {"region_id": {"sdtype": "id"}, "name": {"sdtype": "categorical"}},
            },
            "countries": {
                "primary_key": "country_id",
                "columns": {
                    "country_id": {"sdtype": "id", "regex_format": "[A-Z]{2}"},
                    "region_id": {"sdtype": "id"},
                },
            },
            "employees": {
                "primary_key": "employee_id",
                "columns": {
                    "employee_id": {"sdtype": "id"},
                    "country_id": {"sdtype": "id"},
                    "salary": {"sdtype": "numerical"},
                },
            },
        },
        "relationships": [
            {
                "parent_table_name": p,
                "parent_primary_key": k,
                "child_table_name": c,
                "child_foreign_key": k,
            }
            for p, c, k in (
                ("regions", "countries", "region_id"),
                ("countries", "employees", "country_id"),
            )
        ],
    }
    return {"regions": regions, "countries": countries, "employees": employees}, md


def test_a_sample_drawn_in_one_piece_counts_its_keys_from_the_datas():
    tables, md = _data()
    model = sg.fit(tables, metadata=md, seed=0, params={"small_tables": 0})
    assert not model._fitted.source.batchable(model._fitted)  # the one-draw path
    out = model.sample(scale=2, seed=1).tables
    emp, countries, regions = out["employees"], out["countries"], out["regions"]
    assert emp["employee_id"].tolist() == list(range(100, 100 + len(emp)))
    assert regions["region_id"].tolist() == list(range(10, 10 + len(regions)))
    assert countries["region_id"].isin(regions["region_id"]).all()
    assert emp["country_id"].isin(countries["country_id"]).all()
    assert countries["country_id"].str.fullmatch("[A-Z]{2}").all()
