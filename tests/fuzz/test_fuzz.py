"""The fuzz suite: each registered strategy (tests/fuzz/strategies.py) runs its examples; every
input must load (resolve, generate or estimate, as the strategy says) or raise the project's
InputError, never another exception, within 5 s and 500 MB each.

Reproducible: ``derandomize=True`` seeds Hypothesis from each test, and ``database=None`` keeps
no example database between runs, so CI tries the same inputs every time (until Hypothesis or
a strategy changes). ``FUZZ_REPORT=file.json`` records the outcomes for
benchmarks/reliability.py.
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tests.fuzz.strategies import MEMORY_MB, SECONDS, STRATEGIES, FuzzStrategy

# Hypothesis warns when it builds the repr of a large example (a 60 KB YAML document)
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")

BACKSTOP = 3 * 2**30  # address space beyond what the process has: a bomb fails, not the machine


def _status(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return 0


@pytest.fixture(scope="module", autouse=True)
def backstop():
    if not Path("/proc/self/clear_refs").exists():
        pytest.skip("needs Linux /proc to measure each case's memory")
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _status("VmSize") + BACKSTOP
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    yield
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def bounded(fuzz: FuzzStrategy, folder: Path, text: str) -> str:
    """Run the strategy's check on one input; fail beyond the time or memory budget."""
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak RSS (VmHWM)
    rss = _status("VmRSS")
    started = time.perf_counter()
    outcome = fuzz.check(folder, text)
    seconds = time.perf_counter() - started
    grown = (_status("VmHWM") - rss) / 2**20
    assert seconds < SECONDS, f"{seconds:.1f} s for:\n{text}"
    assert grown < MEMORY_MB, f"{grown:.0f} MB for:\n{text}"
    return outcome


def record(name: str, examples: int, counts: Counter) -> None:
    path = os.environ.get("FUZZ_REPORT")
    if not path:
        return
    report = Path(path)
    doc = json.loads(report.read_text()) if report.exists() else {}
    doc[name] = {"examples": examples, "outcomes": dict(sorted(counts.items()))}
    report.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")


@pytest.mark.timeout(900, method="thread")
@pytest.mark.parametrize("fuzz", STRATEGIES, ids=[s.name for s in STRATEGIES])
def test_fuzz(fuzz: FuzzStrategy, tmp_path):
    counts: Counter = Counter()

    @settings(
        max_examples=fuzz.examples,
        derandomize=True,
        database=None,
        deadline=None,  # the budget above is the deadline (5 s), measured without shrinking
        # generating a random config draws many values; on a loaded CI machine that can
        # look "too slow" to Hypothesis although each example takes milliseconds
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(fuzz.strategy())
    def run(text: str) -> None:
        counts[bounded(fuzz, tmp_path, text)] += 1

    run()
    record(fuzz.name, sum(counts.values()), counts)
    assert sum(counts.values()) >= fuzz.examples * 0.9, counts


def test_at_least_a_thousand_cases():
    assert sum(s.examples for s in STRATEGIES) >= 1000
