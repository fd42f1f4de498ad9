"""The estimate of a run on your own files, before they are read: rows, disk and peak memory.

A folder of CSV files is read as text, typed, fitted and sampled in memory, so the peak grows
with the input's size: measured on this project's corpus and on generated folders (see
``MEMORY_PER_INPUT_BYTE``), about 40 bytes of memory per byte of CSV at scale 1. The guard
(``runs.guard``) stops a run whose estimate exceeds the memory budget or the free disk, with
exit 2, before anything is read; ``--force`` runs it anyway.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.runs.estimate import Estimate, TableSize

# the interpreter with pandas, SDV and torch imported (450 MB) and a fit's fixed overhead
BASE_MEMORY = 560 << 20
# bytes of memory per byte of input: reading (text -> typed frames) and fitting, then sampling
# at scale 1, and per unit of --scale above 1. fit-sample --no-compare peaks on 2 cores,
# 2026-11-30: berka (0.6 MB of CSV) and sakila (2.7 MB) 569 MB, mimic_demo (3.1 MB, long text)
# 772 MB, a generated 19 MB folder 1,100 MB at scale 1 and 2,140 MB at scale 8; this model
# says 592, 694, 715, 1,525 and 2,606 MB
MEMORY_PER_INPUT_BYTE = {"read and fit": 30.0, "sample": 20.0, "more scale": 8.0}
COMPARE_PER_INPUT_BYTE = 10.0  # the holdout comparison: three more copies of the tables
DISK_PER_INPUT_BYTE = {"csv": 1.0, "parquet": 0.35}  # output bytes per input CSV byte, scale 1
SAMPLE_BYTES = 1 << 20  # bytes of a CSV read to estimate its bytes per row


def _csv_rows(path: Path, size: int) -> int:
    with open(path, "rb") as fh:
        head = fh.read(SAMPLE_BYTES)
    lines = head.count(b"\n")
    if size <= len(head) or not lines:
        return max(0, lines - 1)
    return int(size / (len(head) / lines)) - 1


def _file_size(path: Path) -> tuple[int, int]:
    """(rows, bytes as CSV text) of one input file; a Parquet file by its metadata: its rows
    and its uncompressed size, which is about its size as text."""
    if path.suffix.lower() == ".parquet":
        try:
            meta = pq.ParquetFile(path).metadata
        except (OSError, ValueError) as exc:  # ArrowInvalid is a ValueError: not Parquet
            raise InputError(f"{path}: cannot read it as Parquet: {exc}") from None
        size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        return meta.num_rows, size
    size = path.stat().st_size
    return _csv_rows(path, size), size


def estimate_user(
    files: dict[str, Path],
    formats: list[str],
    modeled: list[str] | None,
    scale: float,
    *,
    fit: bool = True,
    compare: bool = True,
) -> Estimate:
    """Rows, disk bytes and peak memory of a run on ``files`` (table -> file), from their sizes."""
    tables: dict[str, TableSize] = {}
    input_bytes = 0
    for name, path in sorted(files.items()):
        rows, size = _file_size(path)
        input_bytes += size
        out_rows = int(rows * scale) if modeled is None or name in modeled else rows
        per_row = size / rows if rows else 0.0
        disk = int(sum(DISK_PER_INPUT_BYTE.get(f, 1.0) for f in formats) * per_row * out_rows)
        per_mem = MEMORY_PER_INPUT_BYTE["sample"] * per_row
        tables[name] = TableSize(out_rows, 0, disk, per_mem, per_row)
    parts = {"python and libraries": BASE_MEMORY}
    if fit:
        parts["input tables and the fit"] = int(MEMORY_PER_INPUT_BYTE["read and fit"] * input_bytes)
    per = MEMORY_PER_INPUT_BYTE
    sampled = per["sample"] * min(scale, 1.0) + per["more scale"] * max(scale - 1.0, 0.0)
    parts["sampled tables"] = int(sampled * input_bytes)
    if compare:
        parts["comparison"] = int(COMPARE_PER_INPUT_BYTE * input_bytes)
    disk = sum(t.disk_bytes for t in tables.values())
    return Estimate("fit-sample" if fit else "sample", tables, disk, parts)
