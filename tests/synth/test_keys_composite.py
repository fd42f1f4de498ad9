"""``keys._unique_composite``: with its group keys made column-wise it equals the code that built
them with ``DataFrame.apply(tuple, axis=1)`` (the same rows redrawn, to the same values), and a
group that has used every valid value continues its count or moves the row, not drops it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthgen_sdv.synth import keys
from synthgen_sdv.synth.keys import CompositeKey, _row_tuples, _unique_composite


def _unique_composite_before(df, ck, valid, rng):
    """The function as it was, group keys from ``apply(tuple, axis=1)``: the reference."""
    dup = df.duplicated(subset=ck.columns, keep="first").to_numpy()
    if not dup.any():
        return df, 0, 0
    df = df.reset_index(drop=True).copy()
    counts = df[ck.free].value_counts()
    weights = counts.reindex(valid, fill_value=0).to_numpy(dtype=float) + 1.0
    weights /= weights.sum()
    group_keys = df[ck.fixed].apply(tuple, axis=1) if ck.fixed else pd.Series([()] * len(df))
    taken: dict[tuple, set] = {}
    for g, v, d in zip(group_keys, df[ck.free], dup, strict=True):
        if not d:
            taken.setdefault(g, set()).add(v)
    free_values = df[ck.free].to_numpy(dtype=object)
    drop, changed = [], 0
    for row in np.flatnonzero(dup):
        used = taken.setdefault(group_keys[row], set())
        choice = None
        for v in rng.choice(valid, size=min(keys.REJECTION_TRIES, len(valid)), p=weights):
            if v not in used:
                choice = v
                break
        if choice is None:
            left = [v for v in valid if v not in used]
            if not left:
                drop.append(row)
                continue
            choice = left[rng.integers(0, len(left))]
        used.add(choice)
        free_values[row] = choice
        changed += 1
    df[ck.free] = pd.Series(free_values, index=df.index).astype(df[ck.free].dtype)
    if drop:
        df = df.drop(index=drop).reset_index(drop=True)
    return df, len(drop), changed


def _frames():
    rng = np.random.default_rng(3)
    for n in (1, 2, 9, 300):
        a = rng.integers(0, 4, n)
        yield "ints", pd.DataFrame({"a": a, "f": rng.integers(0, 6, n)}), ["a"]
        yield (
            "int and float",
            pd.DataFrame({"a": a, "b": rng.integers(0, 2, n) + 0.5, "f": rng.integers(0, 6, n)}),
            ["a", "b"],
        )
        b = np.where(rng.random(n) < 0.3, np.nan, rng.integers(0, 2, n).astype(float))
        yield "float nulls", pd.DataFrame({"b": b, "f": rng.integers(0, 4, n)}), ["b"]
        t = np.where(rng.random(n) < 0.3, None, rng.choice(["x", "y"], n)).astype(object)
        yield "text nulls", pd.DataFrame({"t": t, "f": rng.integers(0, 4, n)}), ["t"]
        d = pd.to_datetime(rng.choice(["2020-01-01", "2020-01-02", None], n))
        yield (
            "dates and ints",
            pd.DataFrame({"d": d, "a": a, "f": rng.integers(0, 4, n)}),
            [
                "d",
                "a",
            ],
        )
        cat = pd.Categorical(rng.choice(["u", "v"], n))
        yield "categorical", pd.DataFrame({"c": cat, "f": rng.integers(0, 4, n)}), ["c"]
        na = pd.array(np.where(rng.random(n) < 0.3, None, a), dtype="Int64")
        yield "Int64 nulls", pd.DataFrame({"n": na, "f": rng.integers(0, 4, n)}), ["n"]
        yield "bools", pd.DataFrame({"o": rng.random(n) < 0.5, "f": rng.integers(0, 3, n)}), ["o"]
        yield "no fixed", pd.DataFrame({"f": rng.integers(0, 5, n)}), []


@pytest.mark.parametrize("valid_size", [2, 6, 40, 100])
def test_unique_composite_equals_the_row_apply_code(valid_size):
    """The same frame, the same counts and the same draws (nulls, one row, categoricals,
    datetimes, Int64, mixed int and float, no fixed column, valid values running out)."""
    for name, df, fixed in _frames():
        ck = CompositeKey("t", [*fixed, "f"], "f", fixed, None, np.arange(valid_size))
        valid = np.arange(valid_size)
        got = _unique_composite(df, ck, valid, np.random.default_rng(1))
        want = _unique_composite_before(df, ck, valid, np.random.default_rng(1))
        if not df[fixed].isna().any().any():  # NaN groups repeat, as they always did
            assert not got[0].duplicated(subset=ck.columns).any(), name
        if want[1]:  # the code before dropped rows of full groups: now no more are dropped
            assert got[1] <= want[1], name
            continue
        pd.testing.assert_frame_equal(got[0], want[0], obj=name)
        assert got[1:] == want[1:], name


def test_no_valid_value_left_drops_the_repeated_rows():
    """With no value to draw from (a parent sampled no rows), every repeated combination is
    dropped and said (the code before raised numpy's "probabilities do not sum to 1")."""
    df = pd.DataFrame({"a": [1, 1, 2, 2, 2], "f": [0, 0, 0, 1, 1]})
    ck = CompositeKey("t", ["a", "f"], "f", ["a"], None, np.arange(0))
    out, dropped, changed = _unique_composite(df, ck, np.arange(0), np.random.default_rng(1))
    assert (dropped, changed) == (2, 0)
    assert out.to_dict("list") == {"a": [1, 2, 2], "f": [0, 0, 1]}


def test_row_tuples_group_as_the_row_apply():
    """Two rows' tuples are one dict key exactly when ``apply(tuple, axis=1)``'s are."""
    for name, df, fixed in _frames():
        if not fixed:
            continue
        mine = _row_tuples(df.iloc[:40], fixed)
        theirs = list(df.iloc[:40][fixed].apply(tuple, axis=1))
        assert len(mine) == len(theirs), name
        assert len({*mine}) == len({*theirs}), name
        for i in range(len(mine)):
            for j in range(len(mine)):
                assert ({mine[i]: 0}.get(mine[j]) is None) == (
                    {theirs[i]: 0}.get(theirs[j]) is None
                ), name


def test_a_count_is_continued_past_its_largest_value():
    """A GTFS shape sampled with more points than any real shape: its ``shape_pt_sequence``
    goes on (1..5), where the code before dropped the rows past the real 1..3."""
    df = pd.DataFrame({"shape": [7] * 5 + [8] * 2, "seq": [1, 1, 2, 3, 3, 1, 1]})
    ck = CompositeKey("t", ["shape", "seq"], "seq", ["shape"], None, np.arange(1, 4))
    ck.sequence = True
    out, dropped, changed = _unique_composite(df, ck, np.arange(1, 4), np.random.default_rng(1))
    assert (dropped, changed, len(out)) == (0, 3, 7)
    assert sorted(out.loc[out["shape"] == 7, "seq"]) == [1, 2, 3, 4, 5]
    assert out.loc[out["shape"] == 8, "seq"].isin([1, 2, 3]).all()  # room left: redrawn
    _, before_dropped, _ = _unique_composite_before(
        df, ck, np.arange(1, 4), np.random.default_rng(1)
    )
    assert before_dropped == 2


def test_a_full_group_moves_the_row_and_never_its_tied_column():
    """Two teams a season (the free column's every value used): the third team of a season
    moves to a season with room; ``player`` refers to a parent and stays as sampled."""
    df = pd.DataFrame(
        {
            "player": [1, 1, 1, 2],
            "year": [2000, 2000, 2000, 2001],
            "team": ["x", "y", "x", "x"],
        }
    )
    ck = CompositeKey(
        "t", ["player", "year", "team"], "team", ["player", "year"], None, np.array(["x", "y"])
    )
    ck.tied = ["player"]
    for seed in range(20):
        out, dropped, changed = _unique_composite(
            df, ck, np.array(["x", "y"]), np.random.default_rng(seed)
        )
        assert (dropped, changed, len(out)) == (0, 1, 4), seed
        assert out["player"].tolist() == [1, 1, 1, 2]  # never moved off its parent
        assert not out.duplicated(subset=ck.columns).any()
        assert out.loc[2, "year"] == 2001 and out["year"].dtype == df["year"].dtype


def test_a_full_key_space_still_drops_and_says_so():
    """No group with room and no count to continue: the row goes, counted (bounded time)."""
    df = pd.DataFrame({"year": [1, 1, 1, 2, 2], "team": ["x", "y", "x", "x", "y"]})
    ck = CompositeKey("t", ["year", "team"], "team", ["year"], None, np.array(["x", "y"]))
    out, dropped, _ = _unique_composite(df, ck, np.array(["x", "y"]), np.random.default_rng(0))
    assert dropped == 1 and len(out) == 4
    assert not out.duplicated(subset=ck.columns).any()


@pytest.mark.parametrize(
    ("values", "groups", "counts"),
    [
        ([1, 2, 3, 1, 2], [5, 5, 5, 6, 6], True),  # order lines
        ([0, 1, 0], [1, 1, 2], True),  # game numbers from 0
        ([1, 2, 4, 7, 1, 3], [1, 1, 1, 1, 2, 2], True),  # stop numbers that skip some
        ([1998, 1999, 1998], [1, 1, 2], False),  # years
        ([1.5, 2.5, 1.5], [1, 1, 2], False),  # not whole
        ([-1, 0, 1], [1, 1, 1], False),  # below zero
    ],
)
def test_what_counts_within_its_group(values, groups, counts):
    df = pd.DataFrame({"g": groups, "f": values})
    assert keys._counts_within(df, ["g"], "f") is counts
    assert keys._counts_within(df.assign(f=df["f"].astype(str)), ["g"], "f") is False


def test_the_notes_of_a_samples_batches_are_summed():
    """Alike but for their counts: one note, counts summed; a digit in a name stays text."""
    a = "car_1: 36 repeated (a, b) combinations got a new b; 11 rows dropped (no unused b left)"
    b = "car_1: 4 repeated (a, b) combinations got a new b; 1 rows dropped (no unused b left)"
    other = "t: 3 rows beyond the 12 p keys dropped; {braces} kept"
    assert keys.merge_notes([a, other, b]) == [
        "car_1: 40 repeated (a, b) combinations got a new b; 12 rows dropped (no unused b left)",
        other,
    ]
    assert keys.merge_notes([]) == []


def test_a_shared_key_with_empty_sampled_values_is_remapped():
    """Several empty keys in a one-to-one extension table that others refer to: each row
    still gets a distinct parent key, references to the others follow, none to the empties."""
    out = {
        "parent": pd.DataFrame({"pid": [10, 11, 12, 13]}),
        "ext": pd.DataFrame({"pid": [np.nan, np.nan, 7.0], "x": [1, 2, 3]}),
        "child": pd.DataFrame({"ext_id": [7.0, 7.0, np.nan]}),
    }
    sk = keys.SharedKey("ext", "pid", "parent", "pid", True, [("child", "ext_id")])
    note = keys._rebuild_shared(out, sk, {}, np.random.default_rng(0))
    ext, child = out["ext"], out["child"]
    assert ext["pid"].is_unique and ext["pid"].isin(out["parent"]["pid"]).all()
    assert child["ext_id"].iloc[:2].tolist() == [ext["pid"].iloc[2]] * 2
    assert child["ext_id"].iloc[2:].isna().all() and note is None
