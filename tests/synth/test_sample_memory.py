"""A sample's peak memory does not grow with its scale (issue 11 item 3): its batches spill to
disk and the writer reads them a chunk at a time. Each sample runs in a fresh process (its peak
RSS is its own). Batches are made small (``BATCH_ROWS`` 2,000) so that both scales are many
batches, and the larger one holds three times the rows of the smaller one; the tiny config's
chunks of 7 rows are made ordinary ones (a Parquet writer keeps the metadata of every row group
it wrote until it closes: 8,000 chunks would measure that instead)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import pytest

import synthgen_sdv as sg
from tests.conftest import ROOT, TINY

SCRIPT = textwrap.dedent(
    """
    import json, resource, sys
    from pathlib import Path
    from synthgen_sdv.synth import batches
    batches.BATCH_ROWS = 2_000
    from synthgen_sdv.io.spill import Spill
    from synthgen_sdv.runs.model_folder import load_fitted
    from synthgen_sdv.runs.sample import sample, write_sampled
    folder, out, scale = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
    fitted = load_fitted(folder)
    fitted.source.etl = False
    with Spill(out.parent) as spill:
        sampled = sample(fitted, scale, seed=1, spill=spill)
        write_sampled(fitted.source, sampled, out, ["parquet"])
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        held = 0  # what the sampled tables take in memory, read one at a time (after the peak)
        for table in sampled.tables.values():
            held += int(table.frame().memory_usage(deep=True).sum())
        rows = sum(len(t) for t in sampled.tables.values())
    print(json.dumps({"rss_mb": peak, "rows": rows, "held_mb": held / 2**20}))
    """
)


def _peak(folder, out, scale, script=SCRIPT):
    """``script`` run in a fresh process on (folder, out, scale): its last line, as JSON."""
    proc = subprocess.run(
        [sys.executable, "-c", script, str(folder), str(out), str(scale)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_peak_memory_of_a_sample_does_not_grow_with_its_scale(tmp_path):
    config = shutil.copytree(TINY, tmp_path / "config")
    tables = config / "tables.yml"
    text = tables.read_text().replace("chunk_size: 7", "chunk_size: 20000")
    tables.write_text(text.split("anomalies:")[0])  # labels are the engine's (item 1), not ours
    model = sg.fit(sg.generate(config_dir=config), synthesizer="gaussian_copula")
    folder = model.save(tmp_path / "M")
    small = _peak(folder, tmp_path / "small", 330)
    large = _peak(folder, tmp_path / "large", 1000)
    assert large["rows"] >= 3 * small["rows"] > 50_000
    # the same bound at any scale (100,000 more rows add under 1 MB of held frames here, so
    # this guards per-row state of the run, such as labels; the test below guards the frames)
    grew = large["rss_mb"] - small["rss_mb"]
    assert grew < 10, (small, large)


def test_writing_a_spilled_sample_reads_no_more_than_a_batch_at_once(tmp_path, monkeypatch):
    from synthgen_sdv.io import spill as spill_module
    from synthgen_sdv.runs.model_folder import load_fitted
    from synthgen_sdv.runs.sample import sample, write_sampled
    from synthgen_sdv.synth import batches

    monkeypatch.setattr(batches, "BATCH_ROWS", 400)
    folder = sg.fit(sg.generate(config_dir=TINY), synthesizer="gaussian_copula").save(
        tmp_path / "M"
    )
    fitted = load_fitted(folder)
    fitted.source.etl = False
    largest = [0]
    real_frame = spill_module._frame

    def frame(table, dtypes):
        largest[0] = max(largest[0], table.num_rows)
        return real_frame(table, dtypes)

    monkeypatch.setattr(spill_module, "_frame", frame)
    with spill_module.Spill(tmp_path) as spill:
        sampled = sample(fitted, 20, seed=1, spill=spill)  # 10 batches of 2 fitted sizes
        largest[0] = 0
        write_sampled(fitted.source, sampled, tmp_path / "out", ["parquet"])
        parts = max(max(t.rows) for t in sampled.tables.values())
        whole = max(len(t) for t in sampled.tables.values())
        kept = {n: list(t._kept) for n, t in sampled.tables.items() if t._kept}
    assert len(sampled.tables["customers"].parts) == 10
    assert 0 < largest[0] <= parts < whole / 5  # a part at a time, never a whole table
    assert set(kept) <= {"customers", "orders"}  # only tables other tables look up
