"""A Parquet table file's piece bodies are written by a writer thread at the offsets the
appender gives them (io.writers._ParquetAppender): the same file as written in order here."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synthgen_sdv.io import writers
from synthgen_sdv.io.parquet_append import ParquetAppender


def _pieces(n: int) -> list[pa.Table]:
    return [
        pa.table({"k": pa.array(range(i * 500, i * 500 + 500)), "t": [f"x{i % 7}"] * 500})
        for i in range(n)
    ]


def test_bodies_written_behind_make_the_same_file(tmp_path, monkeypatch):
    monkeypatch.setattr(writers, "WRITE_BEHIND", 2)  # the bound on waiting bodies is hit
    fmt = writers.WRITERS.get("parquet")
    tables = _pieces(9)
    schema = tables[0].schema
    behind = fmt.open(tmp_path / "behind.parquet", schema)
    for t in tables:
        behind.append(fmt.prepare(t))  # as the one-worker run's encoding thread hands them
        behind.append(fmt.encode(t))  # and as bytes (late rows, small families)
    behind.close()
    with open(tmp_path / "here.parquet", "wb") as fh:
        here = ParquetAppender(fh, schema, **writers.parquet_options(schema))
        for t in tables:
            here.append(fmt.prepare(t))
            here.append(fmt.encode(t))
        here.close()
    assert (tmp_path / "behind.parquet").read_bytes() == (tmp_path / "here.parquet").read_bytes()
    assert pq.read_table(tmp_path / "behind.parquet").num_rows == 2 * 9 * 500


def test_a_failed_write_fails_the_close(tmp_path, monkeypatch):
    def broken(*_args):
        raise OSError("no space left on device")

    monkeypatch.setattr(writers, "_pwrite", broken)
    fmt = writers.WRITERS.get("parquet")
    table = _pieces(1)[0]
    appender = fmt.open(tmp_path / "a.parquet", table.schema)
    appender.append(fmt.prepare(table))
    with pytest.raises(OSError, match="no space"):
        appender.close()
