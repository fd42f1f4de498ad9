"""Quoted text with line breaks across arrow's parse blocks (Stack Exchange post bodies): the
reader still reads every row, as the writer wrote them."""

from __future__ import annotations

import csv

from synthgen_sdv.engines.reader import TableSource, _read_arrow


def test_text_with_line_breaks_in_a_large_csv_is_read_whole(tmp_path):
    path = tmp_path / "PostHistory.csv"
    body = "first line\r\n   2. second line, with a comma\r\n" * 40  # ~1.9 KB a row
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Id", "Text"])
        writer.writerows([i, f"{i}: {body}"] for i in range(1500))  # ~2.8 MB: several blocks
    table = _read_arrow(TableSource("PostHistory", path, "csv", False))
    assert table.num_rows == 1500
    assert table.column("Text")[1499].as_py() == f"1499: {body}"
