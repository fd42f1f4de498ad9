"""``synth.column_loop``: RDT's table-wide transform loops applied in place give RDT's frames,
dtypes and column order included, and leave every transformer in the same random state."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rdt import HyperTransformer
from rdt.transformers import (
    AnonymizedFaker,
    BinaryEncoder,
    FloatFormatter,
    GaussianNormalizer,
    LabelEncoder,
    OneHotEncoder,
    UniformEncoder,
)

from synthgen_sdv.core.swaps import Swap
from synthgen_sdv.synth import column_loop
from synthgen_sdv.synth.column_loop import Columns, in_place_columns
from synthgen_sdv.synth.encoders import QuantileNormalizer
from synthgen_sdv.synth.preprocess import _fit_hyper
from synthgen_sdv.synth.random_states import HeldState, saved_states
from synthgen_sdv.synth.treatment import NormalUniformEncoder, QuantileDatetime


def _table(n: int = 200, index=None) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "amount": np.where(rng.random(n) < 0.1, np.nan, rng.gamma(2.0, 30.0, n).round(2)),
            "count": rng.integers(0, 9, n),
            "kind": rng.choice(["a", "b", "c"], n),
            "flag": rng.random(n) < 0.4,
            "maybe": pd.array(np.where(rng.random(n) < 0.2, None, rng.random(n) < 0.5)),
            "when": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D"),
            "note": np.where(rng.random(n) < 0.2, None, rng.choice(["x", "y"], n)),
            "empty": np.array([None] * n, dtype=object),
            "size": pd.Categorical(rng.choice(["S", "M", "L"], n)),
            "name": rng.choice(["Ann", "Bob", "Cy"], n),
            "price": np.where(rng.random(n) < 0.3, np.nan, rng.normal(50, 5, n)),
        }
    )
    if index is not None:
        frame.index = index
    return frame


def _transformers() -> dict:
    return {
        "amount": QuantileNormalizer(),
        "count": FloatFormatter(),
        "kind": NormalUniformEncoder(),
        "flag": UniformEncoder(),
        "maybe": BinaryEncoder(missing_value_replacement="mode"),
        "when": QuantileDatetime("%Y-%m-%d"),
        "note": LabelEncoder(add_noise=True),
        "empty": UniformEncoder(),
        "size": OneHotEncoder(),
        "name": AnonymizedFaker(),
        "price": GaussianNormalizer(missing_value_generation="from_column"),
    }


def _hyper(frame: pd.DataFrame) -> HyperTransformer:
    hyper = HyperTransformer()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hyper.detect_initial_config(frame)
        if "name" in frame:
            hyper.update_sdtypes({"name": "pii"})
        hyper.update_transformers({k: v for k, v in _transformers().items() if k in frame})
    return hyper


def _rdt_fit(hyper, data):
    """``_fit_hyper`` as it was: RDT's own ``_fit_field_transformer`` walk."""
    hyper._validate_detect_config_called(data)
    hyper._unfit()
    hyper._input_columns = list(data.columns)
    for column in hyper._input_columns:
        data = hyper._fit_field_transformer(data, column, hyper.field_transformers[column])
    hyper._fitted = True
    hyper._modified_config = False
    hyper.reset_randomization()
    return data


def _states(hyper) -> list:
    out = []
    for transformer in hyper._transformers_sequence:
        if transformer.random_states is None:
            continue
        for method in ("transform", "reverse_transform"):
            state = transformer.random_states[method].get_state()
            out.append((state[0], state[1].tobytes(), *state[2:]))
    return out


def _global() -> tuple:
    state = np.random.get_state()
    return (state[0], state[1].tobytes(), *state[2:])


def _run(frame, in_place: bool, stateless: str | None = None):
    hyper = _hyper(frame)
    np.random.seed(11)
    np.random.normal()  # a cached gaussian in the global state too
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = _fit_hyper(hyper, frame) if in_place else _rdt_fit(hyper, frame)
        if stateless:  # RDT calls such a transformer on the global state as it is
            hyper.field_transformers[stateless].random_states = None
        with in_place_columns() if in_place else saved_states():
            transformed = hyper.transform(frame)
            sub = hyper.transform_subset(frame[["amount", "kind", "when"]])
            back = hyper.reverse_transform(transformed)
            back_sub = hyper.reverse_transform_subset(
                transformed[["count", "kind", "size.value0", "size.value1", "size.value2"]]
            )
    return fitted, transformed, sub, back, back_sub, (_states(hyper), _global())


@pytest.mark.parametrize(
    "index", [None, pd.RangeIndex(100, 300), pd.Index(np.arange(200)[::-1] * 7)]
)
def test_same_frames_and_states_as_rdt(index):
    frame = _table(index=index)
    mine = _run(frame, in_place=True)
    theirs = _run(frame, in_place=False)
    for a, b in zip(mine[:-1], theirs[:-1], strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        assert list(a.columns) == list(b.columns)
    assert mine[-1] == theirs[-1]
    assert list(mine[3].columns) == list(frame.columns)  # every column came back, in order
    assert mine[3]["empty"].isna().all()


@pytest.mark.parametrize("stateless", ["kind", "flag", "price"])
def test_a_transformer_without_states_draws_from_the_global_state_as_rdt_does(stateless):
    """One transformer that draws (category positions, nulls) has no states: its draws come
    from numpy's global state and advance it, in the loop held once as in RDT's own."""
    frame = _table()
    mine = _run(frame, in_place=True, stateless=stateless)
    theirs = _run(frame, in_place=False, stateless=stateless)
    for a, b in zip(mine[:-1], theirs[:-1], strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert mine[-1] == theirs[-1]


class _DrawsInFit(FloatFormatter):
    """A transformer whose fit draws from numpy's global state."""

    def _fit(self, data):
        super()._fit(data)
        self.drawn = np.random.random()


def test_a_fit_without_states_draws_from_the_global_state_as_rdt_does():
    frame = _table()
    outs = []
    for in_place in (True, False):
        hyper = _hyper(frame)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            hyper.update_transformers({"count": _DrawsInFit()})
        hyper.field_transformers["count"].random_states = None
        np.random.seed(3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = _fit_hyper(hyper, frame) if in_place else _rdt_fit(hyper, frame)
        outs.append((out, hyper.field_transformers["count"].drawn, _global()))
    pd.testing.assert_frame_equal(outs[0][0], outs[1][0], check_exact=True)
    assert outs[0][1:] == outs[1][1:]


class _KeepsStates(UniformEncoder):
    """A transformer whose reset leaves its random states (as RDT's ``IndexGenerator``'s)."""

    def reset_randomization(self):
        self.reset_calls = getattr(self, "reset_calls", 0) + 1


def test_a_transformer_whose_reset_keeps_its_states_keeps_what_its_calls_left():
    """The fit pass drops the states a fit and a transform leave only for transformers whose
    reset makes them anew; one whose reset keeps them keeps them, as RDT's loop leaves them."""
    frame = _table()
    outs = []
    for in_place in (True, False):
        hyper = _hyper(frame)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            hyper.update_transformers({"kind": _KeepsStates()})
        np.random.seed(5)
        with warnings.catch_warnings(), saved_states():
            warnings.simplefilter("ignore")
            out = _fit_hyper(hyper, frame) if in_place else _rdt_fit(hyper, frame)
        kept = hyper.field_transformers["kind"]
        assert kept.reset_calls == 1
        state = kept.random_states["transform"].get_state()
        outs.append((out, _states(hyper), state[1].tobytes(), state[2:], _global()))
    pd.testing.assert_frame_equal(outs[0][0], outs[1][0], check_exact=True)
    assert outs[0][1:] == outs[1][1:]


@pytest.mark.parametrize("rows", [0, 1])
def test_no_rows_and_one_row_give_rdts_frames(rows):
    """No rows: pandas makes an unnamed empty output an object column; RDT's dtypes kept.
    (Without the generated column, which makes its fitted number of rows for no rows, and
    then RDT's loop and ours both raise.)"""
    frame = _table().drop(columns="name")
    outs = []
    for in_place in (True, False):
        hyper = _hyper(frame)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _fit_hyper(hyper, frame) if in_place else _rdt_fit(hyper, frame)
            with in_place_columns() if in_place else saved_states():
                transformed = hyper.transform(frame)
                outs.append(
                    (
                        hyper.transform(frame.iloc[:rows]),
                        hyper.reverse_transform(transformed.iloc[:rows]),
                    )
                )
    for a, b in zip(*outs, strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_input_frame_is_not_changed():
    frame = _table()
    before = frame.copy()
    _run(frame, in_place=True)
    pd.testing.assert_frame_equal(frame, before, check_exact=True)


class _OwnTransform(FloatFormatter):
    """A transformer with its own ``transform``: kept, not bypassed."""

    calls = 0

    def transform(self, data):
        type(self).calls += 1
        return super().transform(data)


def test_own_transform_is_kept():
    frame = _table()[["amount", "count"]]
    outs = []
    for in_place in (True, False):
        hyper = HyperTransformer()
        hyper.detect_initial_config(frame)
        hyper.update_transformers({"amount": _OwnTransform(), "count": FloatFormatter()})
        if in_place:
            _fit_hyper(hyper, frame)
            with in_place_columns():
                outs.append(hyper.transform(frame))
        else:
            _rdt_fit(hyper, frame)
            outs.append(hyper.transform(frame))
    assert _OwnTransform.calls == 4  # each fit's transform and each transform
    pd.testing.assert_frame_equal(outs[0], outs[1], check_exact=True)


def test_columns_refuses_an_output_that_repeats_a_column():
    table = Columns(pd.DataFrame({"a": [1, 2], "b": [3, 4]}), HeldState())
    with pytest.raises(ValueError, match="repeat a column"):
        table.add(np.array([5, 6]), ["b"])
    with pytest.raises(ValueError, match=r"[Ll]ength"):
        table.add(np.array([5, 6, 7]), ["c"])
    table.drop(["a"])
    table.add(pd.Series([5, 6], index=[9, 8]), ["a"])  # by position, as RDT's set_index
    assert table.frame()["a"].tolist() == [5, 6]
    assert list(table.frame().columns) == ["b", "a"]
    assert list(table.frame([]).columns) == []


def test_outside_the_block_rdt_runs_its_own_loop():
    with in_place_columns():
        assert HyperTransformer._transform is column_loop._hyper_transform
    assert HyperTransformer._transform is not column_loop._hyper_transform


CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"


@pytest.mark.parametrize("name", ["car_1", "clubdata"])
def test_real_database_samples_the_same_bytes(name, monkeypatch, tmp_path):
    """A real corpus database, fitted and sampled by ``hma`` with the in-place loops and with
    RDT's own: the same tables."""
    sys.path.insert(0, str(CORPUS.parents[2] / "benchmarks"))
    import bench_realdb

    from synthgen_sdv.core.progress import QUIET
    from synthgen_sdv.runs.fit_sample import fit
    from synthgen_sdv.runs.from_user import UserSource
    from synthgen_sdv.runs.sample import sample
    from synthgen_sdv.synth import hma, preprocess

    def tables(tmp: Path) -> dict:
        user = bench_realdb.load(name, "detected", tmp)
        source = UserSource(user=user, seed=0)
        fitted = fit(source, "hma", source.default_tables(), progress=QUIET)
        return sample(fitted, 1.0).tables

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mine = tables(tmp_path / "mine")
        monkeypatch.setattr(hma, "in_place_columns", Swap())  # RDT's loops
        monkeypatch.setattr(preprocess, "fit_fields", _rdt_fit_fields)
        theirs = tables(tmp_path / "theirs")
    assert mine.keys() == theirs.keys()
    for table in mine:
        pd.testing.assert_frame_equal(mine[table], theirs[table], check_exact=True)


def _rdt_fit_fields(hyper, data, fields):
    for field, transformer in fields:
        data = hyper._fit_field_transformer(data, field, transformer)
    return data


@pytest.mark.parametrize("rows", [1, 37])
def test_anonymized_columns_are_rdts(rows):
    """``create_anonymized_columns`` in place: RDT's frame (values, dtypes, column order,
    index), the generators' states and numpy's global state as RDT leaves them."""
    from rdt.transformers import RegexGenerator

    n = 60
    frame = pd.DataFrame(
        {
            "id": np.arange(n) * 7,
            "code": [f"K{i:03d}" for i in range(n)],
            "name": np.where(np.arange(n) % 9 == 0, None, "x"),
            "kind": np.random.default_rng(0).choice(["a", "b"], n),
        }
    )

    def run(in_place: bool):
        hyper = HyperTransformer()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            hyper.detect_initial_config(frame)
            hyper.update_sdtypes({"id": "id", "code": "id", "name": "pii"})
            hyper.update_transformers(
                {
                    "id": AnonymizedFaker(
                        function_name="random_int",
                        function_kwargs={"min": 0, "max": 99999},
                        cardinality_rule="unique",
                    ),
                    "code": RegexGenerator("K[0-9]{3}", cardinality_rule="unique"),
                    "name": AnonymizedFaker(missing_value_generation="random"),
                    "kind": UniformEncoder(),
                }
            )
            hyper.fit(frame)
        np.random.seed(4)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with in_place_columns() if in_place else saved_states():
                out = [
                    hyper.create_anonymized_columns(rows, ["name", "id", "code"]),
                    hyper.create_anonymized_columns(rows + 2, ["id"]),
                ]
        return out, _global()

    (ours, ours_state), (rdts, rdt_state) = run(True), run(False)
    for got, expected in zip(ours, rdts, strict=True):
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert ours_state == rdt_state
