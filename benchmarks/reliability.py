"""Write reports/reliability.md and reports/reliability.json: what the fuzz suite tries, with
counts and outcomes, and every hand-written hostile input with what the CLI answered.

    python benchmarks/reliability.py

It runs tests/fuzz/test_fuzz.py (the same settings as CI: derandomized, so the same inputs)
with FUZZ_REPORT set to collect each strategy's outcomes, then the hostile inputs of
tests/fuzz/hostile.py through the CLI in one bounded subprocess (tests/fuzz/bounded.py).
tests/fuzz/test_reliability_report.py checks that the committed report lists the current
strategies and hostile inputs, so the report cannot fall behind the suite.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from synthgen_sdv.core import bounds  # noqa: E402
from tests.fuzz.bounded import run_commands  # noqa: E402
from tests.fuzz.hostile import CASES  # noqa: E402
from tests.fuzz.strategies import MEMORY_MB, SECONDS, STRATEGIES  # noqa: E402
from tests.fuzz.test_hostile import setup  # noqa: E402

REPORTS = ROOT / "reports"


def fuzz_outcomes(folder: Path) -> dict:
    report = folder / "fuzz.json"
    env = {**os.environ, "FUZZ_REPORT": str(report), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/fuzz/test_fuzz.py"],
        cwd=str(ROOT),
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(f"the fuzz suite failed:\n{proc.stdout[-4000:]}")
    return json.loads(report.read_text())


def hostile_outcomes(folder: Path) -> list[dict]:
    commands = [setup(case, folder / f"case{i}") for i, case in enumerate(CASES)]
    rows = []
    for case, outcome in zip(CASES, run_commands(commands, folder), strict=True):
        lines = [ln.strip() for ln in outcome.stderr.splitlines() if ln.strip()]
        message = next((ln for ln in lines if ln.startswith("- ")), lines[-1] if lines else "")
        rows.append(
            {
                "name": case.name,
                "finding": case.finding,
                "code": outcome.code,
                "expected_code": case.code,
                "seconds": round(outcome.seconds, 3),
                "memory_mb": round(outcome.memory_mb, 1),
                "message": re.sub(r"^- (\S+\.ya?ml(:\d+)?: )?", "", message)[:160],
                "passed": outcome.code == case.code
                and all(w in outcome.stderr for w in case.expect)
                and outcome.seconds < SECONDS
                and outcome.memory_mb < MEMORY_MB,
            }
        )
    return rows


LIMITS = [
    ("MAX_YAML_BYTES", "characters of a config file"),
    ("MAX_YAML_DEPTH", "nesting of YAML mappings and lists"),
    ("MAX_YAML_NODES", "YAML nodes once aliases are expanded"),
    ("MAX_EXPRESSION_CHARS", "characters of an expression"),
    ("MAX_EXPRESSION_NODES", "syntax-tree nodes of an expression"),
    ("MAX_EXPRESSION_DEPTH", "nesting of an expression"),
    ("MAX_TEXT_CHARS", "characters of a text value an expression or Faker makes"),
    ("MAX_INT_BITS", "bits of an integer an expression computes"),
    ("MAX_ROUND_DIGITS", "digits of round (either sign)"),
    ("MAX_FORMAT_WIDTH", "width or precision in a format spec or strftime directive"),
    ("MAX_FORMAT_CHARS", "characters of a strftime format"),
]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="reliability-") as tmp:
        folder = Path(tmp)
        fuzz = fuzz_outcomes(folder)
        hostile = hostile_outcomes(folder / "hostile")
    import hypothesis

    machine = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "hypothesis": hypothesis.__version__,
    }
    strategies = [
        {
            "name": s.name,
            "description": s.description,
            "examples": fuzz[s.name]["examples"],
            "max_examples": s.examples,
            "outcomes": fuzz[s.name]["outcomes"],
        }
        for s in STRATEGIES
    ]
    doc = {
        "schema": "synthgen_sdv.reliability",
        "version": 1,
        "machine": machine,
        "budget": {"seconds": SECONDS, "memory_mb": MEMORY_MB},
        "strategies": strategies,
        "hostile": hostile,
        "limits": {name: getattr(bounds, name) for name, _ in LIMITS},
    }
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "reliability.json").write_text(json.dumps(doc, indent=2) + "\n")
    (REPORTS / "reliability.md").write_text(markdown(doc))
    failed = [h["name"] for h in hostile if not h["passed"]]
    if failed:
        raise SystemExit(f"hostile inputs not handled: {failed}")


def markdown(doc: dict) -> str:
    total = sum(s["examples"] for s in doc["strategies"])
    budget = doc["budget"]
    lines = [
        "# Reliability: what hostile and random input is tried, and what happens",
        "",
        "Written by `python benchmarks/reliability.py`; `tests/fuzz/test_reliability_report.py` "
        "fails when this report no longer lists the suite's strategies and hostile inputs.",
        f"Machine: {doc['machine']['platform']}, Python {doc['machine']['python']}, "
        f"Hypothesis {doc['machine']['hypothesis']}.",
        "",
        "## Fuzz suite (`tests/fuzz/test_fuzz.py`, every CI run)",
        "",
        f"{total:,} generated inputs per run, the same ones each time (`derandomize=True`, no "
        "example database). Each must load (and resolve, generate or estimate, as its "
        "strategy says) or raise the project's `InputError` / `ConfigError`; any other "
        f"exception fails the test, and so does a case over {budget['seconds']:g} s or "
        f"{budget['memory_mb']:g} MB (peak RSS growth, measured per case).",
        "",
        "| strategy | what it generates | examples | outcomes |",
        "|---|---|---:|---|",
    ]
    for s in doc["strategies"]:
        outcomes = ", ".join(f"{k}: {v}" for k, v in s["outcomes"].items())
        lines.append(f"| {s['name']} | {s['description']} | {s['examples']} | {outcomes} |")
    lines += [
        "",
        "## Hostile inputs (`tests/fuzz/hostile.py`, every CI run)",
        "",
        "Each through the CLI (`generate --config-dir ...`), in one subprocess, timed and "
        "measured after the imports. Findings: 13.4 unbounded input, 13.6 silent surprises, "
        "13.7 exit 1 where the input is at fault (issue 13); 11.5 guard rails (issue 11).",
        "",
        "| input | finding | exit | seconds | MB | message |",
        "|---|---|---:|---:|---:|---|",
    ]
    for h in doc["hostile"]:
        message = h["message"].replace("|", "\\|")
        lines.append(
            f"| {h['name']} | {h['finding']} | {h['code']} | {h['seconds']:.2f} "
            f"| {h['memory_mb']:.0f} | {message} |"
        )
    lines += [
        "",
        "## Limits (`synthgen_sdv/core/bounds.py`)",
        "",
        "| limit | value |",
        "|---|---:|",
    ]
    for name, what in LIMITS:
        lines.append(f"| {what} | {doc['limits'][name]:,} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
