"""Appending encoded Parquet pieces into one file, without decoding: the file must read back as
the concatenated tables in pyarrow and DuckDB, and equal what one writer makes."""

from __future__ import annotations

import io

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synthgen_sdv.io.parquet_append import (
    ParquetAppender,
    ParquetAppendError,
    decode_struct,
    encode_piece,
    encode_struct,
)
from synthgen_sdv.io.writers import parquet_options


def _table(n: int, start: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table(
        {
            "id": pa.array(np.arange(start, start + n, dtype=np.int64)),
            "name": pa.array([f"n{i % 7}" if i % 5 else None for i in range(n)]),
            "x": rng.random(n),
            "day": pa.array(np.arange(n).astype("datetime64[D]")),
            "ts": pa.array(np.arange(n).astype("datetime64[us]")),
            "flag": pa.array(rng.random(n) > 0.5),
        }
    )


PIECES = [_table(1000, 0, 1), _table(17, 1000, 2), _table(3000, 1017, 3)]


def _appended(pieces: list[pa.Table], **options) -> bytes:
    out = io.BytesIO()
    appender = ParquetAppender(out, pieces[0].schema, **options)
    for t in pieces:
        appender.append(encode_piece(t, **options))
    appender.close()
    return out.getvalue()


@pytest.mark.parametrize(
    "options",
    [
        {"compression": "zstd"},
        {"compression": "snappy", "use_dictionary": ["name"]},
        {"compression": "zstd", "write_page_index": True},
        {"compression": "none", "bloom_filter_options": {"name": {"ndv": 10}}},
        parquet_options(PIECES[0].schema),  # the generator's own: integers delta-encoded
    ],
)
def test_appended_file_reads_back_as_the_concatenation(tmp_path, options):
    data = _appended(PIECES, **options)
    expected = pa.concat_tables(PIECES)
    assert pq.read_table(io.BytesIO(data)).equals(expected)
    meta = pq.ParquetFile(io.BytesIO(data)).metadata
    assert meta.num_rows == expected.num_rows and meta.num_row_groups == len(PIECES)
    path = tmp_path / "t.parquet"
    path.write_bytes(data)
    got = duckdb.sql(f"select count(*), sum(id), count(name) from '{path}'").fetchall()[0]
    assert got == (4017, sum(range(4017)), expected["name"].length() - expected["name"].null_count)
    # statistics moved with their row groups
    assert meta.row_group(2).column(0).statistics.min == 1017
    if "DELTA_BINARY_PACKED" in str(options.get("column_encoding")):
        assert "DELTA_BINARY_PACKED" in meta.row_group(2).column(0).encodings


def test_appended_file_is_byte_identical_to_one_writer():
    one = io.BytesIO()
    with pq.ParquetWriter(one, PIECES[0].schema, compression="zstd") as writer:
        for t in PIECES:
            writer.write_table(t)
    assert _appended(PIECES, compression="zstd") == one.getvalue()


def test_footer_decodes_and_encodes_to_the_same_bytes():
    data = encode_piece(PIECES[0], compression="zstd", write_page_index=True)
    length = int.from_bytes(data[-8:-4], "little")
    footer = data[-8 - length : -8]
    assert encode_struct(decode_struct(footer)) == footer


def test_no_piece_gives_an_empty_file_with_the_schema():
    out = io.BytesIO()
    ParquetAppender(out, PIECES[0].schema, compression="zstd").close()
    table = pq.read_table(io.BytesIO(out.getvalue()))
    assert table.num_rows == 0 and table.schema.equals(PIECES[0].schema)


def test_a_piece_of_another_schema_is_refused():
    appender = ParquetAppender(io.BytesIO(), PIECES[0].schema, compression="zstd")
    appender.append(encode_piece(PIECES[0], compression="zstd"))
    other = PIECES[1].drop_columns(["flag"])
    with pytest.raises(ParquetAppendError, match="another schema"):
        appender.append(encode_piece(other, compression="zstd"))
    with pytest.raises(ParquetAppendError, match="not a Parquet file"):
        appender.append(b"id,name\n1,a\n")


def test_pieces_placed_by_workers_give_the_same_bytes_as_pieces_in_memory(tmp_path):
    """Workers write pieces' bodies into the file at the offsets a ledger gave them (in any
    order) and decode the footers there; the main process only records them, appends late
    pieces itself, and must write the very same file."""
    from synthgen_sdv.io.parquet_append import place_piece
    from synthgen_sdv.io.sink import Placed, pwrite_all

    tables = [*PIECES, _table(50, 4017, 4), _table(9, 4067, 5)]
    pieces = [encode_piece(t, compression="snappy") for t in tables]
    target = tmp_path / "t.parquet"
    with open(target, "wb") as out:
        appender = ParquetAppender(out, PIECES[0].schema, compression="snappy")
        out.flush()
        appender.append(pieces[0])  # bytes first, then placed pieces, then bytes again
        out.flush()
        offset, placed = appender.position, []
        for piece in pieces[1:-1]:
            body, meta = place_piece(piece)
            placed.append((Placed(str(target), offset, len(body), meta), body))
            offset += len(body)
        for ref, body in reversed(placed):  # written out of order, as workers finish
            pwrite_all(str(target), body, ref.offset)
        for ref, _ in placed:
            appender.append(ref)
        appender.append(pieces[-1])
        appender.close()
    assert target.read_bytes() == _appended(tables, compression="snappy")
    assert pq.read_table(target).equals(pa.concat_tables(tables))
    body, meta = place_piece(pieces[0])
    with pytest.raises(ParquetAppendError, match="placed at byte"):
        ParquetAppender(io.BytesIO(), PIECES[0].schema).append(Placed("x", 99, len(body), meta))
    assert duckdb.connect().execute(f"SELECT count(*) FROM '{target}'").fetchone()[0] == 4076


def test_pieces_split_in_the_encoding_thread_give_the_same_bytes(tmp_path):
    """The one-worker run's encoding thread splits each piece (``Prepared``: body and decoded
    footer); appending those, mixed with plain pieces, writes the same file."""
    from synthgen_sdv.io.parquet_append import place_piece
    from synthgen_sdv.io.sink import Prepared
    from synthgen_sdv.io.writers import WRITERS, encode_chunk

    pieces = [encode_piece(t, compression="snappy") for t in PIECES]
    out = io.BytesIO()
    appender = ParquetAppender(out, PIECES[0].schema, compression="snappy")
    appender.append(Prepared(*place_piece(pieces[0])))
    appender.append(pieces[1])
    appender.append(Prepared(*place_piece(pieces[2])))
    appender.close()
    assert out.getvalue() == _appended(PIECES, compression="snappy")
    # the writers' helper gives one Prepared piece per format; CSV's body is the piece itself
    types = {"id": "int", "x": "float", "flag": "bool"}
    table = PIECES[0].select(list(types))
    prepared = encode_chunk(("parquet", "csv"), "data", table, types, "snappy", prepared=True)
    assert all(isinstance(p, Prepared) for p in prepared.values())
    assert prepared[("data", "csv")].body == WRITERS.get("csv").encode(table)


def test_pieces_kept_as_views_of_arrow_buffers_give_the_same_bytes():
    """The one-worker run's encoding thread keeps each piece as a view of Arrow's buffer
    (``encode_view``; no copy into bytes): the body is a view, the footer the same, and the
    appended file the same bytes."""
    from synthgen_sdv.io.parquet_append import encode_view, place_piece, split_piece
    from synthgen_sdv.io.sink import Prepared
    from synthgen_sdv.io.writers import WRITERS

    for t in PIECES:
        view = encode_view(t, compression="snappy")
        assert isinstance(view, memoryview) and view.tobytes() == encode_piece(
            t, compression="snappy"
        )
        body, footer = split_piece(view)
        plain_body, plain_footer = split_piece(encode_piece(t, compression="snappy"))
        assert isinstance(body, memoryview) and body.tobytes() == plain_body
        assert footer == plain_footer
    out = io.BytesIO()
    appender = ParquetAppender(out, PIECES[0].schema, compression="snappy")
    for t in PIECES:
        appender.append(Prepared(*place_piece(encode_view(t, compression="snappy"))))
    appender.close()
    assert out.getvalue() == _appended(PIECES, compression="snappy")
    prepared = WRITERS.get("parquet").prepare(PIECES[0], "snappy")
    assert isinstance(prepared.body, memoryview)
    with pytest.raises(Exception, match="not a Parquet file"):
        split_piece(memoryview(b"PAR1 not parquet at all"))
