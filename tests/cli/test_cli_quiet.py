"""Quiet by default: bars only on a terminal, a line per stage otherwise, numbering that never
restarts, validate's failures and summary (-v: everything), third-party prints kept out."""

from __future__ import annotations

import io
import re
import sys

import pandas as pd
import pytest

from synthgen_sdv.core import progress as progress_mod
from synthgen_sdv.core.progress import (
    Progress,
    capture_all,
    capture_third_party,
    console_out,
    set_verbose,
)
from tests.cli.conftest import cli, main
from tests.conftest import TINY


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def not_verbose():
    set_verbose(False)
    yield
    set_verbose(False)


def test_bars_only_on_a_terminal_and_only_for_more_than_one_item():
    log = io.StringIO()
    assert list(Progress(stream=log).bar(range(5), desc="x")) == list(range(5))
    assert log.getvalue() == ""
    term = _Tty()
    assert list(Progress(stream=term).bar(range(1), desc="one")) == [0]
    assert term.getvalue() == ""
    list(Progress(stream=term).bar(range(5), desc="five"))
    assert "five" in term.getvalue()


def test_stage_numbers_count_across_nested_runs():
    log = io.StringIO()
    p = Progress(stream=log)
    p.stages(3)
    p.stage("a")
    p.detail("hidden")
    p.stage("b")
    p.say("  a sub-step")
    p.stage("c")
    assert log.getvalue().splitlines() == ["[1/3] a", "[2/3] b", "  a sub-step", "[3/3] c"]
    set_verbose(True)
    p.detail("shown")
    assert log.getvalue().endswith("shown\n")


def test_third_party_prints_are_captured_unless_verbose(capsys):
    with capture_third_party() as tail:
        print("Learning relationships:")
        print("a bar", file=sys.stderr)
        print("ours", file=console_out())
        Progress().say("a stage")
    out, err = capsys.readouterr()
    assert out == "ours\n" and err == "a stage\n"
    assert "Learning relationships:" in tail.text and "a bar" in tail.text
    set_verbose(True)
    with capture_third_party():
        print("Learning relationships:")
    assert capsys.readouterr().out == "Learning relationships:\n"


def test_capture_all_takes_our_lines_too(capsys):
    buf = io.StringIO()
    with capture_third_party(), capture_all(buf):
        Progress().say("cell stage")
        print("third party")
    assert buf.getvalue() == "cell stage\nthird party\n"
    assert capsys.readouterr() == ("", "")
    assert progress_mod._STATE["streams"] is None


def test_generate_logs_a_line_per_stage_and_no_bars(tmp_path):
    proc = cli("generate", "--config-dir", TINY, "--out", tmp_path / "o")
    assert proc.returncode == 0, proc.stderr
    assert "\r" not in proc.stderr and "it/s" not in proc.stderr and "chunk/s" not in proc.stderr
    estimate, *lines = proc.stderr.splitlines()
    assert estimate.startswith("estimate: ") and "peak memory" in estimate  # the guard's line
    assert lines == [line for line in lines if line.startswith("generated ")], lines
    assert len(lines) == 3  # one per table family of the tiny config


def test_validate_prints_failures_and_a_summary_and_everything_with_v(tiny_out, capsys):
    assert main("validate", tiny_out) == 0
    quiet = capsys.readouterr().out.splitlines()
    assert not [line for line in quiet if line.startswith("PASS")]
    assert quiet[-1] == "RESULT: OK" and any(line.startswith("clean:") for line in quiet)
    for argv in (["-v", "validate", tiny_out], ["validate", "-v", tiny_out]):
        assert main(*argv) == 0
        loud = capsys.readouterr().out.splitlines()
        assert len([line for line in loud if line.startswith("PASS")]) > 10
    # a failure is printed without -v
    for suffix, read, write in (
        (".parquet", pd.read_parquet, lambda df, p: df.to_parquet(p, index=False)),
        (".csv", pd.read_csv, lambda df, p: df.to_csv(p, index=False)),
    ):
        path = tiny_out / "data" / f"customers{suffix}"
        df = read(path)
        df.iloc[1, 0] = df.iloc[0, 0]  # a duplicate primary key
        write(df, path)
    assert main("validate", tiny_out, "--variant", "clean") == 1
    out = capsys.readouterr().out
    assert re.search(r"^FAIL", out, re.M) and "RESULT: FAILED" in out


@pytest.mark.slow
def test_fit_sample_numbers_stages_once_and_keeps_library_prints_out(tmp_path):
    proc = cli("fit-sample", "--bootstrap-scale", "0.1", "--out", tmp_path / "o", "--no-lineage")
    assert proc.returncode == 0, proc.stderr
    assert "Learning relationships" not in proc.stdout + proc.stderr
    assert "Preprocess Tables" not in proc.stderr and "\r" not in proc.stderr
    stages = re.findall(r"^\[(\d)/(\d)\]", proc.stderr, re.M)
    assert stages == [(str(i), "5") for i in range(1, 6)], proc.stderr
    assert proc.stdout.startswith("wrote 13 tables to")
