"""``hma_sampling.keys_resolve``: the check that lets sampling skip SDV's full validation."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthgen_sdv.synth.hma_sampling import keys_resolve

REL = [
    {
        "parent_table_name": "p",
        "parent_primary_key": "id",
        "child_table_name": "c",
        "child_foreign_key": "p_id",
    }
]


def _tables(child_keys) -> dict[str, pd.DataFrame]:
    return {"p": pd.DataFrame({"id": [1, 2, 3]}), "c": pd.DataFrame({"p_id": child_keys})}


def test_resolving_and_null_keys_pass():
    assert keys_resolve(_tables([1, 3, 3]), REL)
    assert keys_resolve(_tables([1.0, np.nan, 2.0]), REL)
    assert keys_resolve(_tables(pd.Series([], dtype=float)), REL)


def test_a_dangling_key_or_a_missing_table_fails():
    assert not keys_resolve(_tables([1, 4]), REL)
    assert not keys_resolve({"c": pd.DataFrame({"p_id": [1]})}, REL)
    composite = [dict(REL[0], child_foreign_key=["p_id", "x"])]
    assert not keys_resolve(_tables([1]), composite)


def test_sampling_still_drops_dangling_keys():
    """Where a key does dangle, SDV's own step runs and drops the row."""
    from sdv.metadata import Metadata

    from synthgen_sdv.synth.fast_hma import FastHMASynthesizer

    meta = Metadata.load_from_dict(
        {
            "tables": {
                "p": {"primary_key": "id", "columns": {"id": {"sdtype": "id"}}},
                "c": {
                    "primary_key": "cid",
                    "columns": {"cid": {"sdtype": "id"}, "p_id": {"sdtype": "id"}},
                },
            },
            "relationships": REL,
        }
    )
    synth = FastHMASynthesizer(meta)
    tables = {
        "p": pd.DataFrame({"id": [1, 2, 3]}),
        "c": pd.DataFrame({"cid": [10, 11, 12], "p_id": [1, 2, 9]}),
    }
    out = synth._reverse_transform_constraints(dict(tables))
    assert out["c"]["cid"].tolist() == [10, 11]
    good = {"p": tables["p"], "c": tables["c"].iloc[:2]}
    assert synth._reverse_transform_constraints(good) is good
