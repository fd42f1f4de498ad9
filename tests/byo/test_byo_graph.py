"""What HMA cannot take as it is still runs: date keys, cycles, chains too deep to fit."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synthgen_sdv.detect import graph
from synthgen_sdv.engines.validation import validate
from synthgen_sdv.runs.fit_sample import run_fit_sample
from synthgen_sdv.runs.from_user import UserSource


def _write(folder, tables: dict[str, pd.DataFrame]):
    folder.mkdir()
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def test_a_date_key_goes_through_hma_and_comes_back_as_dates(tmp_path):
    rng = np.random.default_rng(0)
    days = pd.date_range("2021-03-01", periods=30)
    data = _write(
        tmp_path / "data",
        {
            "times": pd.DataFrame({"time_id": days.strftime("%Y-%m-%d"), "dow": days.dayofweek}),
            "channels": pd.DataFrame({"channel_id": [1, 2, 3], "name": ["web", "shop", "tel"]}),
            "costs": pd.DataFrame(
                {
                    "time_id": rng.choice(days.strftime("%Y-%m-%d"), 200),
                    "channel_id": rng.integers(1, 4, 200),
                    "unit_cost": rng.gamma(2.0, 10.0, 200).round(2),
                }
            ),
        },
    )
    out = tmp_path / "out"
    outcome = run_fit_sample(UserSource(data, seed=4), out, ["parquet"], "hma", scale=2.0)
    assert validate(out).ok
    times, costs = outcome.sampled.tables["times"], outcome.sampled.tables["costs"]
    assert pd.api.types.is_datetime64_any_dtype(times["time_id"]) and times["time_id"].is_unique
    assert len(times) == 60
    # the sampled keys in order onto the real dates, then one (the real step) day after another
    assert times["time_id"].min() == days[0]
    assert times["time_id"].max() == days[-1] + pd.Timedelta(days=30)
    assert costs["time_id"].isin(set(times["time_id"])).all()
    assert any(
        "times.time_id: date key given to the synthesizer as integers" in n
        for n in outcome.sampled.notes
    )


def test_a_chain_too_deep_for_hma_leaves_out_links_and_says_why(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    n = [4, 12, 40, 120]
    names = ["regions", "countries", "cities", "shops"]
    tables = {}
    for i, (name, rows) in enumerate(zip(names, n, strict=True)):
        frame = pd.DataFrame({f"{name[:-1]}_id": np.arange(1, rows + 1)})
        if i:
            parent = names[i - 1][:-1]
            frame[f"{parent}_id"] = np.r_[
                np.arange(1, n[i - 1] + 1), rng.integers(1, n[i - 1] + 1, rows - n[i - 1])
            ]
        frame["size"] = rng.normal(10, 2, rows).round(1)
        frame["kind"] = rng.choice(["a", "b"], rows)
        tables[name] = frame
    data = _write(tmp_path / "data", tables)
    monkeypatch.setattr(graph, "MODELABLE_COLUMNS", 60)
    out = tmp_path / "out"
    outcome = run_fit_sample(UserSource(data, seed=2), out, ["parquet"], "hma")
    assert validate(out).ok
    cut = [x for x in outcome.sampled.notes if "left out of the model (HMA would model" in x]
    assert cut, outcome.sampled.notes
    sampled = outcome.sampled.tables
    for i in range(1, 4):
        child, parent = names[i], names[i - 1][:-1]
        assert sampled[child][f"{parent}_id"].isin(set(sampled[names[i - 1]][f"{parent}_id"])).all()


def test_a_model_folder_keeps_date_keys_and_links_left_out(tmp_path):
    """fit --data-dir then sample --model-dir without the data: the date key comes back as
    dates and the cycle's left-out link is re-attached, from what the model folder keeps."""
    import shutil

    from synthgen_sdv.cli import main

    rng = np.random.default_rng(3)
    days = pd.date_range("2022-01-01", periods=20)
    data = _write(
        tmp_path / "data",
        {
            "times": pd.DataFrame({"time_id": days.strftime("%Y-%m-%d"), "dow": days.dayofweek}),
            "store": pd.DataFrame({"store_id": [1, 2, 3], "manager_staff_id": [1, 5, 9]}),
            "staff": pd.DataFrame(
                {"staff_id": np.arange(1, 13), "store_id": np.arange(12) % 3 + 1}
            ),
            "sales": pd.DataFrame(
                {
                    "sale_id": np.arange(1, 121),
                    "time_id": rng.choice(days.strftime("%Y-%m-%d"), 120),
                    "staff_id": rng.integers(1, 13, 120),
                    "amount": rng.gamma(2.0, 5.0, 120).round(2),
                }
            ),
        },
    )
    model = tmp_path / "M"
    quiet = "--no-progress"
    fit = ["fit", "--data-dir", str(data), "--model-dir", str(model), quiet]
    assert main([*fit, "--model", "gaussian_copula"]) == 0
    shutil.rmtree(data)
    out = tmp_path / "out"
    assert main(["sample", "--model-dir", str(model), "--out", str(out), "--seed", "1", quiet]) == 0
    assert validate(out).ok
    tables = {p.stem: pd.read_parquet(p) for p in (out / "data").glob("*.parquet")}
    keys = pd.to_datetime(tables["times"]["time_id"])  # written as Parquet dates
    assert keys.is_unique and keys.min() == days[0] and keys.max() == days[-1]
    assert tables["sales"]["time_id"].isin(set(tables["times"]["time_id"])).all()
    assert tables["store"]["manager_staff_id"].isin(set(tables["staff"]["staff_id"])).all()
    assert tables["staff"]["store_id"].isin(set(tables["store"]["store_id"])).all()


def test_a_foreign_key_without_values_is_left_out_and_written_empty(tmp_path):
    """sakila's film.original_language_id: named after language, never filled. HMA learns
    nothing from it (and its per-parent statistics need a parent referred to)."""
    rng = np.random.default_rng(5)
    data = _write(
        tmp_path / "data",
        {
            "language": pd.DataFrame({"language_id": [1, 2, 3], "name": ["en", "fr", "de"]}),
            "film": pd.DataFrame(
                {
                    "film_id": np.arange(1, 41),
                    "language_id": rng.integers(1, 4, 40),
                    "original_language_id": [None] * 40,
                    "length": rng.integers(60, 180, 40),
                }
            ),
        },
    )
    out = tmp_path / "out"
    outcome = run_fit_sample(UserSource(data, seed=1), out, ["parquet"], "hma", compare=False)
    assert validate(out).ok
    film = outcome.sampled.tables["film"]
    assert film["original_language_id"].isna().all() and film["language_id"].notna().all()
    assert any(
        "film.original_language_id -> language.language_id: left out of the model (the column "
        "has no values" in n
        for n in outcome.sampled.notes
    )
