"""A composite key sampled past its data (``--scale 2``): every row kept, every key unique.

A GTFS ``shapes`` table, ``(shape_id, shape_pt_sequence)`` with no parent, sampled at twice its
rows puts about twice the points in each shape: the code before dropped every row past a
shape's real points (13% of a real feed's rows). The count now goes on; the model folder
carries what the fit learned about it."""

from __future__ import annotations

import numpy as np
import pandas as pd

import synthgen_sdv as sg


def _shapes() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(5)
    rows = []
    for shape in range(8):
        n = int(rng.integers(6, 30))
        lat = 34.8 + 0.01 * shape + rng.normal(0, 0.002, n).cumsum()
        rows += [(1000 + shape, i + 1, round(x, 5)) for i, x in enumerate(lat)]
    return {"shapes": pd.DataFrame(rows, columns=["shape_id", "shape_pt_sequence", "lat"])}


METADATA = {
    "tables": {
        "shapes": {
            "primary_key": ["shape_id", "shape_pt_sequence"],
            "columns": {
                "shape_id": {"sdtype": "id"},
                "shape_pt_sequence": {"sdtype": "id"},
                "lat": {"sdtype": "numerical"},
            },
        }
    },
    "relationships": [],
}


def test_a_sequence_key_sampled_at_twice_its_rows_keeps_every_row(tmp_path):
    real = _shapes()
    model = sg.fit(real, metadata=METADATA, seed=0)
    path = model.save(tmp_path / "model")
    for m in (model, sg.load_model(path)):
        out = m.sample(scale=2, seed=1).tables["shapes"]
        assert len(out) == 2 * len(real["shapes"])
        assert not out.duplicated(subset=["shape_id", "shape_pt_sequence"]).any()
        assert not any("dropped" in n for n in m.sample(scale=2, seed=1).notes)
        longest = real["shapes"]["shape_pt_sequence"].max()
        # the counts went on past the longest real shape, from where each shape's ended
        assert out["shape_pt_sequence"].max() > longest
        assert (out["shape_pt_sequence"] >= 1).all()
