"""Label files are written a block at a time by the collector's label thread
(generate/labels.py): the same bytes as written in the thread that gathers chunks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from synthgen_sdv.generate import labels


def _fill(stream: labels._Stream, root, n_chunks: int) -> None:
    for c in range(n_chunks):
        keys = pa.array([f"LC-{c:03d}-{i:05d}" for i in range(700)])
        stream.add((keys, pa.array(range(c * 700, c * 700 + 700), pa.int64())), root)


def test_blocks_written_in_the_label_thread_are_the_same_bytes(tmp_path, monkeypatch):
    monkeypatch.setattr(labels, "INLINE_MAX", 1000)
    monkeypatch.setattr(labels, "_BLOCK", 2000)  # many blocks, each from several chunks
    inline_root, thread_root = tmp_path / "inline", tmp_path / "thread"
    plain = labels._Stream("labels/x.parquet", ("key", "links_to"))
    with ThreadPoolExecutor(1) as pool:
        threaded = labels._Stream("labels/x.parquet", ("key", "links_to"), thread=pool)
        _fill(plain, inline_root, 9)
        _fill(threaded, thread_root, 9)
        assert threaded.pending  # blocks were handed to the thread, not written here
        assert plain.close(inline_root) and threaded.close(thread_root)
    a, b = (r / "labels" / "x.parquet" for r in (inline_root, thread_root))
    assert a.read_bytes() == b.read_bytes()
    table = pq.read_table(b)
    assert table.num_rows == 9 * 700 and pq.ParquetFile(b).num_row_groups > 2


def test_a_failed_block_write_is_raised_when_the_collector_waits(tmp_path, monkeypatch):
    monkeypatch.setattr(labels, "INLINE_MAX", 10)

    def broken(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(labels, "_write_block", broken)
    with ThreadPoolExecutor(1) as pool:
        stream = labels._Stream("labels/y.parquet", ("key",), thread=pool)
        stream.add((pa.array(range(50)),), tmp_path)
        with pytest.raises(OSError, match="disk full"):
            stream.wait()
