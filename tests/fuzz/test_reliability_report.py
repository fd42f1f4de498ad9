"""reports/reliability.md is kept current by benchmarks/reliability.py: it must list every
strategy of the fuzz suite (with its number of examples) and every hostile input."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fuzz.hostile import CASES
from tests.fuzz.strategies import STRATEGIES

REPORTS = Path(__file__).resolve().parents[2] / "reports"


def test_report_lists_the_current_strategies_and_hostile_inputs():
    doc = json.loads((REPORTS / "reliability.json").read_text())
    markdown = (REPORTS / "reliability.md").read_text()
    rerun = "rerun python benchmarks/reliability.py"
    listed = {(s["name"], s["max_examples"], s["description"]) for s in doc["strategies"]}
    assert listed == {(s.name, s.examples, s.description) for s in STRATEGIES}, rerun
    assert [h["name"] for h in doc["hostile"]] == [c.name for c in CASES], rerun
    assert all(h["passed"] for h in doc["hostile"]), rerun
    for name in [s.name for s in STRATEGIES] + [c.name for c in CASES]:
        assert f"| {name} |" in markdown, f"{name} missing from reliability.md; {rerun}"
    assert sum(s["examples"] for s in doc["strategies"]) >= 1000
