"""--param NAME=VALUE: a synthesizer parameter from the command line (e.g. no copied tables)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from tests.conftest import ROOT

PUBS = ROOT / "tests" / "data" / "corpus" / "pubs"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "synthgen_sdv", *args], capture_output=True, text=True
    )


def _fit_sample(out, *extra):
    proc = cli(
        "fit-sample",
        "--data-dir",
        str(PUBS),
        "--out",
        str(out),
        "--no-compare",
        *extra,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lineage = yaml.safe_load((out / "metadata" / "generation_lineage.yaml").read_text())
    copied = {
        t for t, e in lineage["tables"].items() if e.get("synthesizer", {}).get("copied_tables")
    }
    return proc, lineage, copied


@pytest.mark.slow
def test_small_tables_are_copies_by_default_and_the_run_says_so_and_param_turns_it_off(tmp_path):
    proc, lineage, copied = _fit_sample(tmp_path / "default")
    assert copied, "pubs has lookup tables under 50 rows (jobs, publishers, stores)"
    assert "sampled as copies of their real rows" in proc.stdout + proc.stderr
    assert "small_tables=0" in proc.stdout + proc.stderr
    proc, lineage, copied = _fit_sample(tmp_path / "off", "--param", "small_tables=0")
    assert not copied
    assert "copies of their real rows" not in proc.stdout + proc.stderr
    entry = next(e for e in lineage["tables"].values() if "synthesizer" in e)
    assert entry["synthesizer"]["params"]["small_tables"] == 0


@pytest.mark.parametrize(
    ("param", "message"),
    [
        ("no_such=1", "no_such"),
        ("small_tables", "expected NAME=VALUE"),
        ("small_tables=many", "small_tables"),
    ],
)
def test_a_bad_param_is_exit_2_naming_it(tmp_path, param, message):
    proc = cli("fit", "--data-dir", str(PUBS), "--model-dir", str(tmp_path / "m"), "--param", param)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert "read your tables" not in proc.stderr  # refused before any work
    assert not (tmp_path / "m").exists()
