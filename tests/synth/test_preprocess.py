"""``synth.preprocess.fit_transform``: SDV's fit-then-transform with one pass, same frame."""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pandas as pd
import pytest
from sdv.metadata import Metadata
from sdv.single_table import GaussianCopulaSynthesizer

from synthgen_sdv.synth.fast_copula import FastCopulaSynthesizer
from synthgen_sdv.synth.treatment import NormalUniformEncoder, QuantileDatetime


def _table(n: int = 300) -> tuple[pd.DataFrame, dict]:
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "id": np.arange(10, 10 + n),
            "parent_id": rng.integers(0, 20, n),
            "amount": np.where(rng.random(n) < 0.1, np.nan, rng.gamma(2.0, 30.0, n).round(2)),
            "kind": rng.choice(["a", "b", "c"], n),
            "flag": rng.random(n) < 0.4,
            "when": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D"),
            "note": np.where(rng.random(n) < 0.2, None, rng.choice(["x", "y"], n)),
        }
    )
    meta = {
        "tables": {
            "t": {
                "primary_key": "id",
                "columns": {
                    "id": {"sdtype": "id"},
                    "parent_id": {"sdtype": "id"},
                    "amount": {"sdtype": "numerical"},
                    "kind": {"sdtype": "categorical"},
                    "flag": {"sdtype": "boolean"},
                    "when": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
                    "note": {"sdtype": "categorical"},
                },
            }
        }
    }
    return frame, meta


@pytest.mark.parametrize("treated", [False, True])
def test_one_pass_equals_fit_then_transform(treated):
    frame, meta = _table()
    out = {}
    for cls in (GaussianCopulaSynthesizer, FastCopulaSynthesizer):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            synth = cls(Metadata.load_from_dict(meta))
            synth.auto_assign_transformers(frame)
            update = {"parent_id": None}
            if treated:
                update |= {"kind": NormalUniformEncoder(), "when": QuantileDatetime("%Y-%m-%d")}
            synth.update_transformers(update)
            out[cls] = synth._preprocess(frame.copy())
            # the processor is left as SDV leaves it: re-seeded, a transform gives the same frame
            synth._data_processor.reset_sampling()
            again = synth._data_processor.transform(frame.copy())
            pd.testing.assert_frame_equal(again, out[cls])
    pd.testing.assert_frame_equal(out[FastCopulaSynthesizer], out[GaussianCopulaSynthesizer])
    assert out[FastCopulaSynthesizer].index.name == "id"


def test_an_empty_table_fails_as_sdv_does():
    frame, meta = _table()
    for cls in (GaussianCopulaSynthesizer, FastCopulaSynthesizer):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            synth = cls(Metadata.load_from_dict(meta))
            with pytest.raises(ValueError, match="empty"):
                synth._preprocess(frame.iloc[:0])


def _two_tables():
    parents = pd.DataFrame({"pid": np.arange(30), "size": np.linspace(1.0, 9.0, 30)})
    rng = np.random.default_rng(1)
    children = pd.DataFrame(
        {"cid": np.arange(200), "pid": rng.integers(0, 30, 200), "x": rng.normal(size=200)}
    )
    meta = {
        "tables": {
            "p": {
                "primary_key": "pid",
                "columns": {"pid": {"sdtype": "id"}, "size": {"sdtype": "numerical"}},
            },
            "c": {
                "primary_key": "cid",
                "columns": {
                    "cid": {"sdtype": "id"},
                    "pid": {"sdtype": "id"},
                    "x": {"sdtype": "numerical"},
                },
            },
        },
        "relationships": [
            {
                "parent_table_name": "p",
                "parent_primary_key": "pid",
                "child_table_name": "c",
                "child_foreign_key": "pid",
            }
        ],
    }
    return {"p": parents, "c": children}, meta


def test_a_fit_validates_each_table_once(monkeypatch):
    from sdv.metadata import Metadata as SdvMetadata

    from synthgen_sdv.synth.fast_hma import FastHMASynthesizer

    tables, meta = _two_tables()
    seen = []
    original = SdvMetadata.validate_data

    def counted(self, data):
        seen.append(sorted(data))
        return original(self, data)

    monkeypatch.setattr(SdvMetadata, "validate_data", counted)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synth = FastHMASynthesizer(Metadata.load_from_dict(meta))
        synth.auto_assign_transformers(tables)
        synth.fit(tables)
    assert seen == [["c", "p"]]  # SDV: once per table in each assignment, then all together
    assert synth.get_transformers("c")["pid"] is None  # foreign keys are still not modeled


def test_invalid_data_is_still_refused():
    from sdv.errors import InvalidDataError

    from synthgen_sdv.synth.fast_hma import FastHMASynthesizer

    tables, meta = _two_tables()
    tables["c"].loc[0, "pid"] = 999  # a key no parent has
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synth = FastHMASynthesizer(Metadata.load_from_dict(meta))
        with pytest.raises(InvalidDataError):
            synth.fit(tables)


def test_dtype_proven_columns_skip_the_per_value_check(monkeypatch):
    """An int/float numerical, a bool and a datetime64 column with a format are not checked
    value by value; SDV's own check still runs on a column its dtype does not prove."""
    import sdv.metadata.single_table as single_table

    from synthgen_sdv.synth.fast_hma import FastHMASynthesizer

    tables, meta = _two_tables()
    mapped = []
    original = single_table.SingleTableMetadata._get_invalid_column_values

    def spy(column, function):
        mapped.append(column.name)
        return original(column, function)

    monkeypatch.setattr(
        single_table.SingleTableMetadata, "_get_invalid_column_values", staticmethod(spy)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synth = FastHMASynthesizer(Metadata.load_from_dict(meta))
        synth.fit(tables)
    numerical = [
        c
        for t in meta["tables"].values()
        for c, m in t["columns"].items()
        if m["sdtype"] == "numerical"
    ]
    assert numerical and not set(numerical) & set(mapped)
    # the block leaves SDV's method in place on every table
    for table in synth._original_metadata.tables.values():
        assert "_validate_column_data" not in vars(table)


@pytest.mark.parametrize("bad", ["abc", True])
def test_a_numerical_column_of_other_values_is_still_refused(bad):
    from sdv.errors import InvalidDataError

    from synthgen_sdv.synth.fast_hma import FastHMASynthesizer

    tables, meta = _two_tables()
    numerical = next(
        c for c, m in meta["tables"]["c"]["columns"].items() if m["sdtype"] == "numerical"
    )
    tables["c"][numerical] = tables["c"][numerical].astype(object)
    tables["c"].loc[0, numerical] = bad
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synth = FastHMASynthesizer(Metadata.load_from_dict(meta))
        with pytest.raises(InvalidDataError, match=f"numerical column '{numerical}'"):
            synth.fit(tables)


def test_deferred_fakers_draw_what_rdts_eager_reset_draws():
    """A text key's values after ``DeferredFakers.reset_sampling`` equal those after SDV's
    own reset (each ``Faker`` rebuilt at once); the copy and pickle of a fitted model work."""
    import pickle
    from copy import deepcopy

    from sdv.single_table import GaussianCopulaSynthesizer as Copula

    from synthgen_sdv.synth.preprocess import DeferredFaker

    parents = pd.DataFrame({"code": [f"P{i:03d}" for i in range(40)], "x": np.arange(40.0)})
    meta = {"columns": {"code": {"sdtype": "id"}, "x": {"sdtype": "numerical"}}}
    meta["primary_key"] = "code"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synth = Copula(Metadata.load_from_dict({"tables": {"p": meta}}).tables["p"])
        processor = synth._data_processor
        processor.table_name = "p"
        from synthgen_sdv.synth.preprocess import fit_transform, reset_randomization

        fit_transform(processor, parents)
        faker_of = processor._hyper_transformer.field_transformers["code"]
        assert type(faker_of).__name__ == "AnonymizedFaker"  # what batches / text_keys read
        assert isinstance(faker_of.faker, DeferredFaker)
        copied, pickled = deepcopy(faker_of), pickle.loads(pickle.dumps(faker_of))
        deferred = faker_of._reverse_transform(pd.Series(np.zeros(30)))
        processor._hyper_transformer.reset_randomization()  # RDT's eager reset
        eager = faker_of._reverse_transform(pd.Series(np.zeros(30)))
        assert list(deferred) == list(eager)
        assert list(copied._reverse_transform(pd.Series(np.zeros(30)))) == list(eager)
        assert list(pickled._reverse_transform(pd.Series(np.zeros(30)))) == list(eager)
        reset_randomization(processor._hyper_transformer)
        assert list(faker_of._reverse_transform(pd.Series(np.zeros(30)))) == list(eager)


@pytest.mark.parametrize("rule", [None, "unique"])
def test_fakers_built_in_the_block_draw_what_eager_ones_draw(rule):
    """An ``AnonymizedFaker`` built, fitted and drawn from inside ``deferred_fakers()`` builds
    no ``Faker`` until it draws, and draws what one built outside draws: seeded by its fit,
    after a reset, copied and pickled, and unseeded (sharing faker's module random; a copy
    or pickle of an unseeded one draws too)."""
    import pickle
    import random
    from copy import deepcopy

    import faker
    from rdt.transformers import AnonymizedFaker

    from synthgen_sdv.synth.preprocess import DeferredFaker, deferred_fakers

    data = pd.DataFrame({"name": [f"n{i}" for i in range(20)]})
    kwargs = {"function_name": "bothify", "function_kwargs": {"text": "??##"}}

    def draws(inside: bool) -> list:
        out = []
        with deferred_fakers() if inside else contextlib.nullcontext():
            unseeded = AnonymizedFaker(cardinality_rule=rule, **kwargs)
            for each in (deepcopy(unseeded), pickle.loads(pickle.dumps(unseeded))):
                assert len(each._reverse_transform(pd.Series(np.zeros(5)))) == 5  # draws
            faker.Faker.seed(5)  # the module random unseeded fakers share
            random.seed(5)
            out.append(list(unseeded._reverse_transform(pd.Series(np.zeros(5)))))
            fitted = AnonymizedFaker(cardinality_rule=rule, **kwargs)
            if inside:
                assert isinstance(fitted.faker, DeferredFaker) and fitted.faker._made is None
            fitted.fit(data, "name")
            if inside:
                assert fitted.faker._made is None  # seeded, still not built
            copied, pickled = deepcopy(fitted), pickle.loads(pickle.dumps(fitted))
            for each in (fitted, copied, pickled):
                out.append(list(each._reverse_transform(pd.Series(np.zeros(8)))))
            fitted.reset_randomization()
            out.append(list(fitted._reverse_transform(pd.Series(np.zeros(8)))))
        return out

    assert draws(inside=True) == draws(inside=False)
    assert AnonymizedFaker().faker.__class__ is faker.Faker  # faker's own outside the block


def test_each_table_synthesizer_is_built_once_with_its_parameters(monkeypatch):
    import functools

    from sdv.data_processing import data_processor

    from synthgen_sdv.synth.fast_hma import FastHMASynthesizer

    _tables, meta = _two_tables()
    built = []
    original = data_processor.DataProcessor.__init__

    @functools.wraps(original)
    def counted(self, *args, **kwargs):
        built.append(kwargs.get("table_name"))
        return original(self, *args, **kwargs)

    root = {"p": {"default_distribution": "truncnorm", "numerical_distributions": {}}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rebuilt = FastHMASynthesizer(Metadata.load_from_dict(meta))
        rebuilt.set_table_parameters("p", root["p"])  # the old way: built, then rebuilt
        monkeypatch.setattr(data_processor.DataProcessor, "__init__", counted)
        once = FastHMASynthesizer(Metadata.load_from_dict(meta), table_parameters=root)
        assert len(built) == 2  # one per table
        for table in ("p", "c"):
            assert once.get_table_parameters(table) == rebuilt.get_table_parameters(table)
        assert (
            once.get_table_parameters("c")["synthesizer_parameters"]["default_distribution"]
            == "norm"
        )  # HMA's child
        once.set_table_parameters("c", {"default_distribution": "beta"})  # after: rebuilt
        assert len(built) == 3


def _fk_cases():
    """(name, tables) pairs for the foreign-key check: resolving, a key to no parent, nulls,
    float keys, text keys, differing dtypes, one row, datetimes, a missing table."""
    tables, _meta = _two_tables()
    p, c = tables["p"], tables["c"]
    yield "resolving", {"p": p, "c": c}
    yield "unknown", {"p": p, "c": c.assign(pid=c["pid"].where(c.index != 3, 999))}
    yield "nulls", {"p": p, "c": c.assign(pid=c["pid"].astype(float).where(c.index % 7 > 0))}
    yield "float parents", {"p": p.assign(pid=p["pid"].astype(float)), "c": c}
    both = {"p": p.assign(pid=p["pid"].astype(float))}
    yield "float both", both | {"c": c.assign(pid=c["pid"].astype(float))}
    text = {"p": p.assign(pid=p["pid"].astype(str))}
    yield "text", text | {"c": c.assign(pid=c["pid"].astype(str))}
    yield "text unknown", text | {"c": c.assign(pid=c["pid"].astype(str).replace("3", "x"))}
    yield "text vs int", text | {"c": c}
    yield "one row", {"p": p.iloc[:1], "c": c.iloc[:1].assign(pid=0)}
    days = pd.Series(pd.date_range("2020-01-01", periods=30))
    dated = {"p": p.assign(pid=days)}
    yield "dates", dated | {"c": c.assign(pid=days.iloc[c["pid"]].to_numpy())}
    yield "dates unknown", dated | {"c": c.assign(pid=pd.Timestamp("1999-01-01"))}
    yield "no parent table", {"c": c}


@pytest.mark.parametrize("case", [name for name, _ in _fk_cases()])
def test_the_foreign_key_check_answers_as_sdv(case):
    """Under ``proven_columns`` the foreign-key check returns what SDV's returns (the same
    errors, or the same exception) on every case, and SDV's method is back after it."""

    tables = dict(_fk_cases())[case]
    _, meta = _two_tables()
    metadata = Metadata.load_from_dict(meta)

    def check():
        return [_answer(metadata._validate_foreign_keys, tables)]

    _same_under_proven(metadata, check)
    assert "_validate_foreign_keys" not in vars(metadata)


def _answer(method, data):
    """What a check returns, or the exception it raises (type and message)."""
    try:
        return method(data)
    except Exception as exc:
        return (type(exc), str(exc))


def _same_under_proven(metadata, check) -> None:
    """``check()`` answers the same with SDV's checks and under ``proven_columns``."""
    from synthgen_sdv.synth.preprocess import proven_columns

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = check()
        with proven_columns(metadata):
            got = check()
    assert got == expected


@pytest.mark.parametrize("rounding", [True, False])
def test_shared_prototypes_give_the_same_frame_and_leave_rdts_defaults(rounding):
    """Processors built in ``shared_prototypes()`` read RDT's cached default transformers
    instead of a deep copy each: the same transformers per column, the same processed frame,
    and RDT's cache unchanged after fitting (SDV only replaces entries of its dict)."""
    from rdt.transformers import get_default_transformers

    from synthgen_sdv.synth.preprocess import shared_prototypes

    cached = dict(get_default_transformers())
    before = {k: type(v) for k, v in cached.items()}
    frame, meta = _table()
    out, columns = {}, {}
    for shared in (False, True):
        block = shared_prototypes() if shared else contextlib.nullcontext()
        with warnings.catch_warnings(), block:
            warnings.simplefilter("ignore")
            synth = FastCopulaSynthesizer(Metadata.load_from_dict(meta), enforce_rounding=rounding)
            prototypes = synth._data_processor._transformers_by_sdtype
            assert (prototypes["boolean"] is cached["boolean"]) == shared
            out[shared] = synth._preprocess(frame.copy())
        fields = synth._data_processor._hyper_transformer.field_transformers
        columns[shared] = {
            c: (type(t), vars(t).get("missing_value_encoding")) for c, t in fields.items()
        }
        assert not any(t is p for t in fields.values() for p in prototypes.values())
    pd.testing.assert_frame_equal(out[True], out[False])
    assert columns[True] == columns[False]
    after = get_default_transformers()
    assert after == cached and all(after[k] is cached[k] for k in cached)
    assert {k: type(v) for k, v in after.items()} == before
    assert type(after["numerical"]).__name__ == "FloatFormatter"
    assert after["numerical"].learn_rounding_scheme is False  # the processor's own replaced it


def _key_cases():
    """(name, child table) pairs for the key checks: clean, a missing key, a repeated key,
    repeated NaNs, text keys, a repeated column name, a key column missing."""
    tables, _meta = _two_tables()
    c = tables["c"]
    yield "clean", c
    yield "missing", c.assign(cid=c["cid"].astype(float).where(c.index != 5))
    yield "repeated", c.assign(cid=c["cid"].where(c.index != 5, 7))
    yield "nans", c.assign(cid=c["cid"].astype(float).where(c.index % 50 > 0))
    yield "text", c.assign(cid=c["cid"].astype(str))
    yield "text repeated", c.assign(cid=c["cid"].astype(str).replace("9", "8"))
    yield "two cid columns", pd.concat([c, c[["cid"]]], axis=1)
    yield "no key column", c.drop(columns="cid")


@pytest.mark.parametrize("case", [name for name, _ in _key_cases()])
@pytest.mark.parametrize("alternate", [False, True])
def test_the_key_checks_answer_as_sdv(case, alternate):
    """Under ``proven_columns`` the missing-key and repeated-key checks return what SDV's
    return (the same errors, or the same exception), and SDV's methods are back after it."""

    data = dict(_key_cases())[case]
    _, meta = _two_tables()
    if alternate:
        meta["tables"]["c"]["alternate_keys"] = ["x"]
    metadata = Metadata.load_from_dict(meta)
    table = metadata.tables["c"]

    def check():
        return [
            _answer(getattr(table, method), data)
            for method in (
                "_validate_keys_dont_have_missing_values",
                "_validate_key_values_are_unique",
            )
        ]

    _same_under_proven(metadata, check)
    assert "_validate_key_values_are_unique" not in vars(table)
