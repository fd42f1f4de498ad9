"""Parquet columns of Arrow types nothing downstream models: nested values, uint64 beyond int64,
and CSV fields longer than Python csv's 128 KiB default.

Found by a hostile-data probe: a Parquet list column ended in "unexpected ValueError: The truth
value of an array ... is ambiguous" (exit 1), a uint64 column of hashes in "cannot safely cast
non-equivalent uint64 to int64" at the end of sampling, and a CSV with a 200 KB text field
exited 2 with csv's "field larger than field limit".
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from synthgen_sdv.detect.arrow_types import readable
from synthgen_sdv.detect.load import load_user_data

ROOT = Path(__file__).resolve().parents[2]
N = 120


def _nested_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    parent = pa.table(
        {
            "id": pa.array(range(1, N + 1)),
            "tags": pa.array([[f"t{i % 4}", "x"] if i % 5 else None for i in range(N)]),
            "info": pa.array([{"a": i % 3, "b": f"b{i % 2}"} for i in range(N)]),
            "props": pa.array([[("k", i % 6)] for i in range(N)], pa.map_(pa.string(), pa.int64())),
            "hash": pa.array([2**63 + 7 * i for i in range(N)], pa.uint64()),
        }
    )
    child = pa.table(
        {
            "line_id": pa.array(range(1, 3 * N + 1)),
            "t_id": pa.array([1 + i % N for i in range(3 * N)], pa.uint64()),
            "qty": pa.array([i % 9 for i in range(3 * N)], pa.int32()),
        }
    )
    pq.write_table(parent, folder / "t.parquet")
    pq.write_table(child, folder / "lines.parquet")
    return folder


def test_nested_values_become_json_text_and_big_unsigned_text():
    table = pa.table(
        {
            "l": pa.array([[1, 2], None, []]),
            "s": pa.array([{"a": 1, "b": "x"}, None, {"a": 2, "b": None}]),
            "small": pa.array([1, 2, 3], pa.uint64()),
            "big": pa.array([1, 2, 2**64 - 1], pa.uint64()),
            "plain": pa.array([1.5, 2.5, None]),
            "raw": pa.array([b"\x00\xff", None, b"ab"]),
            "uuid": pa.array([bytes(range(16))] * 3, pa.binary(16)),
        }
    )
    out, notes = readable(table, "f.parquet")
    assert out.column("l").to_pylist() == ["[1, 2]", None, "[]"]
    assert [json.loads(v) if v else v for v in out.column("s").to_pylist()] == [
        {"a": 1, "b": "x"},
        None,
        {"a": 2, "b": None},
    ]
    assert out.schema.field("small").type == pa.int64()  # fits: stays a number
    assert out.column("big").to_pylist() == ["1", "2", str(2**64 - 1)]  # exact, not a float
    assert out.column("plain").equals(table.column("plain"))
    assert out.column("raw").to_pylist() == ["00ff", None, "6162"]
    assert out.column("uuid").to_pylist() == ["000102030405060708090a0b0c0d0e0f"] * 3
    assert len(notes) == 5 and all(n.startswith("f.parquet: ") for n in notes)
    assert any("big" in n and "exceed int64" in n for n in notes)


def test_a_folder_with_nested_and_unsigned_columns_is_detected(tmp_path):
    user = load_user_data(_nested_folder(tmp_path))
    assert user.tables["t"]["tags"].dropna().iloc[0] == '["t1", "x"]'
    assert any("tags: nested values" in n for n in user.notes)
    relations = user.metadata["relationships"]
    assert [(r["child_table_name"], r["child_foreign_key"]) for r in relations] == [
        ("lines", "t_id")
    ]


def test_fit_sample_runs_on_nested_and_unsigned_parquet(tmp_path):
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "synthgen_sdv", "fit-sample", "--data-dir",
         str(_nested_folder(tmp_path)), "--out", str(out), "--no-compare"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    written = {p.stem for p in (out / "data").glob("*.parquet")}
    assert written == {"t", "lines"}


def test_a_csv_field_longer_than_128_kib_is_read(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    body = "x" * 300_000
    (folder / "posts.csv").write_text(
        "post_id,body\n" + "".join(f'{i},"{body}{i}"\n' for i in range(1, 6))
    )
    user = load_user_data(folder)
    assert user.tables["posts"]["body"].str.len().tolist() == [300_001] * 5
