"""Tables kept for popularity lookups are gathered compact a chunk at a time (generate/kept.py),
and the process reports and hands back its memory per stage (core/memory.py)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pyarrow as pa

from synthgen_sdv.core import memory
from synthgen_sdv.core.values import text
from synthgen_sdv.generate.kept import KeptTable, compact, kept_text


def _chunk(start: int, n: int, rng: np.random.Generator) -> pd.DataFrame:
    names = np.array(["Ann", "Bob", "Cid", "Dee", "Eve", "Fay", "Gus", "Hal"])
    frame = pd.DataFrame(
        {
            "id": np.arange(start, start + n, dtype=np.int64),
            "first_name": text(pa.array(names[rng.integers(0, len(names), n)])),
            "email": text(pa.array([f"user{i:08d}@example.com" for i in range(start, start + n)])),
            "signup": pd.Series(pd.date_range("2020-01-01", periods=n, freq="h")),
        }
    )
    return frame.set_axis(pd.RangeIndex(start, start + n))  # chunks come with their own index


def test_kept_table_equals_the_concatenated_chunks_in_less_memory():
    rng = np.random.default_rng(0)
    chunks = [_chunk(i * 5000, 5000, rng) for i in range(8)] + [_chunk(40_000, 7, rng)]
    kept = KeptTable()
    for c in chunks:
        kept.add(c)
    names = sum(p.nbytes for p in kept.columns["first_name"])
    whole = pd.concat(chunks, ignore_index=True)
    plain = int(whole["first_name"].memory_usage(deep=True))
    assert kept.nbytes() < int(whole.memory_usage(deep=True).sum())
    table = kept.finish()
    assert kept.columns == {}  # the parts are freed once the table is built
    assert list(table.columns) == list(whole.columns) and len(table) == len(whole)
    # repeating text: one small code per row; unique text: one Arrow array; numbers as made
    assert isinstance(table["first_name"].dtype, pd.CategoricalDtype)
    assert table["first_name"].cat.codes.dtype == np.int8
    assert isinstance(table["email"].dtype, pd.ArrowDtype)
    # unique text is one array: a lookup's take from a chunked one copies the whole column
    assert not isinstance(pa.array(table["email"]), pa.ChunkedArray)
    assert table["id"].dtype == np.int64 and table["signup"].dtype == whole["signup"].dtype
    for col in whole.columns:  # the same values, in the same rows
        assert table[col].astype(str).tolist() == whole[col].astype(str).tolist(), col
    # names take a code per row while gathered (and a byte once built), not their text
    assert names < 0.6 * plain, (names, plain)
    assert int(table["first_name"].memory_usage(deep=True)) < 0.3 * plain
    assert compact(whole)["first_name"].tolist() == whole["first_name"].tolist()


def test_text_that_stops_repeating_is_kept_plain():
    """A column whose chunks are mostly distinct (keys, e-mails) is not dictionary-encoded,
    whatever the first chunks looked like; and a short last chunk does not flip the choice."""
    kept = KeptTable()
    kept.add(pd.DataFrame({"c": text(pa.array(["x"] * 100))}))
    kept.add(pd.DataFrame({"c": text(pa.array([f"v{i}" for i in range(1000)]))}))
    kept.add(pd.DataFrame({"c": text(pa.array(["y"]))}))
    table = kept.finish()
    assert isinstance(table["c"].dtype, pd.ArrowDtype)
    assert table["c"].tolist() == ["x"] * 100 + [f"v{i}" for i in range(1000)] + ["y"]
    few = KeptTable()
    for _ in range(3):
        few.add(pd.DataFrame({"c": text(pa.array(["a", "b"] * 50))}))
    few.add(pd.DataFrame({"c": text(pa.array(["z"]))}))  # a last chunk of one new value
    assert isinstance(few.finish()["c"].dtype, pd.CategoricalDtype)


def test_stage_lines_report_and_reset_the_peak(caplog):
    with caplog.at_level(logging.DEBUG, logger="synthgen_sdv.memory"):
        memory.take_peak_mb()
        block = np.ones(40 * 2**20 // 8)  # 40 MB touched, then freed
        del block
        memory.release_memory()
        memory.stage("probe", kept_things=12.0)
        memory.stage("after")
    first, second = (r.getMessage() for r in caplog.records)
    assert first.startswith("probe: RSS ") and first.endswith(", kept things 12 MB")
    now, peak = memory.rss_mb(), memory.take_peak_mb()
    assert now is not None and peak is not None
    peak_probe = float(first.split("peak ")[1].split(" MB")[0].replace(",", ""))
    peak_after = float(second.split("peak ")[1].split(" MB")[0].replace(",", ""))
    assert peak_probe >= peak_after + 30  # the 40 MB block counted in its stage only


def test_text_made_in_the_encoding_thread_gathers_alike():
    """``kept_text`` (the encoding thread's Arrow and dictionary of a chunk's kept text, none
    for columns known unique) gives the table that gathering from the frames alone gives."""
    rng = np.random.default_rng(1)
    chunks = [_chunk(i * 3000, 3000, rng) for i in range(5)]
    alone, helped = KeptTable(), KeptTable()
    for c in chunks:
        alone.add(c)
        helped.add(c, kept_text(c, helped.plain))
    assert helped.plain == alone.plain == {"email"}
    pd.testing.assert_frame_equal(helped.finish(), alone.finish())


def test_kept_text_sent_by_a_worker_builds_the_same_table():
    """A forked worker sends its chunk's kept text as Arrow only, without the text columns in
    the frame (``kept_order`` says where they go), and a dictionary-encoded column as its
    encoding only: the main process must build the table the inline path builds."""
    rng = np.random.default_rng(1)
    chunks = [_chunk(i * 3000, 3000, rng) for i in range(4)]
    inline, sent = KeptTable(), KeptTable()
    plain: set[str] = set()
    for c in chunks:
        inline.add(c, kept_text(c, plain))
        text_cols = kept_text(c, plain)
        as_sent = {
            col: (None, enc) if enc is not None else (arr, None)
            for col, (arr, enc) in text_cols.items()
        }
        sent.add(c.drop(columns=list(text_cols)), as_sent, list(c.columns))
    a, b = inline.finish(), sent.finish()
    assert list(a.columns) == list(b.columns) == list(chunks[0].columns)
    pd.testing.assert_frame_equal(a, b)
    assert isinstance(b["first_name"].dtype, pd.CategoricalDtype)  # repeats: still compact


def test_rows_known_up_front_fill_the_numbers_in_place():
    """A family's root knows its rows before its first chunk: its numeric columns are filled
    in place (``finish`` copies none), and the table equals the one gathered without it, also
    when a chunk's dtype changes, or fewer or more rows come than expected."""
    rng = np.random.default_rng(1)
    chunks = [_chunk(i * 300, 300, rng) for i in range(4)]
    odd = chunks[2].assign(id=chunks[2]["id"].astype(float))  # a dtype that changes midway
    for expected, parts in [
        (1200, chunks),
        (1500, chunks),
        (900, chunks),
        (1200, [*chunks[:2], odd, chunks[3]]),
    ]:
        plain, filled = KeptTable(), KeptTable(expected)
        for c in parts:
            plain.add(c)
            filled.add(c)
        if expected == 1200 and parts is chunks:
            assert set(filled.filled) == {"id", "signup"}
            assert filled.columns["id"] == [] and filled.nbytes() < plain.nbytes()
        want, got = plain.finish(), filled.finish()
        pd.testing.assert_frame_equal(got, want)
        assert got["id"].dtype == want["id"].dtype
