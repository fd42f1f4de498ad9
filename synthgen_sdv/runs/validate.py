"""``validate``: check an output folder against its metadata, optionally saving the report."""

from __future__ import annotations

from pathlib import Path

from synthgen_sdv.engines.validation import ValidationReport, validate, write_json


def run_validate(
    out_dir: str | Path,
    variants: list[str],
    checks: list[str] | None = None,
    json_path: str | Path | None = None,
) -> ValidationReport:
    """Run the checks on ``variants`` (clean, dirty); write the report to ``json_path``."""
    report = validate(out_dir, variants, checks)
    if json_path:
        write_json(report, json_path)
    return report
