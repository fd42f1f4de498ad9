"""Every hand-written hostile input (tests/fuzz/hostile.py) is refused with exit 2, a message
that names the YAML path, no traceback and no 'unexpected' error, within 5 s and 500 MB, and
before any output is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fuzz.bounded import run_commands
from tests.fuzz.hostile import CASES, Hostile

SECONDS, MEMORY_MB = 5.0, 500.0


def setup(case: Hostile, folder: Path) -> list[str]:
    folder.mkdir(parents=True)
    (folder / "tables.yml").write_text(case.tables)
    if case.config is not None:
        (folder / "config.yaml").write_text(case.config)
    return ["generate", "--config-dir", str(folder), "--out", str(folder / "out"), *case.args]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    commands = [setup(case, root / f"case{i}") for i, case in enumerate(CASES)]
    return root, run_commands(commands, root)


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c.name for c in CASES])
def test_hostile_input_is_refused(outcomes, index):
    root, results = outcomes
    case, outcome = CASES[index], results[index]
    err = outcome.stderr
    assert outcome.code == case.code, err
    assert "Traceback" not in err and "error: unexpected" not in err, err
    for words in case.expect:
        assert words in err, f"{words!r} not in:\n{err}"
    assert outcome.seconds < SECONDS, f"took {outcome.seconds:.1f} s"
    assert outcome.memory_mb < MEMORY_MB, f"grew by {outcome.memory_mb:.0f} MB"
    out = root / f"case{index}" / "out"
    assert not out.exists(), "a refused run wrote its output folder"
    assert not list(out.parent.glob(".out.*")), "a refused run left a temporary folder"


def test_every_finding_has_a_case():
    assert {c.finding for c in CASES} >= {"13.4", "13.6", "13.7", "11.5"}
