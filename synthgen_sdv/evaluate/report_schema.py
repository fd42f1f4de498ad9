"""The JSON Schema of comparison.json: the contract readers of the report can validate against.

``SCHEMA`` and ``VERSION`` are written into every comparison.json; a reader checks them before
trusting the layout (``io.reader.read_versioned``).

Version 2 (from 1): ``headline`` (the sentence the report opens with); ``written`` (section 2,
the written output against the data it was fitted on, or null); the entry role ``written``;
metrics ``column_artifacts``, ``dcr_baseline`` and ``dcr_overfitting`` (SDMetrics) in place of
``privacy_dcr``, so the summary columns ``DCR ratio`` became ``DCR baseline`` / ``DCR
overfitting`` and ``Spikes`` / ``Worst shape`` were added.
"""

from __future__ import annotations

from typing import Any

SCHEMA = "synthgen_sdv.comparison"
VERSION = 2

ENTRY: dict[str, Any] = {
    "type": "object",
    "required": ["name", "role", "rows", "summary", "results", "sample", "eval_seconds"],
    "properties": {
        "name": {"type": "string"},
        "role": {"enum": ["ceiling", "candidate", "written"]},
        "rows": {"type": "object", "additionalProperties": {"type": "integer"}},
        "summary": {
            "type": "object",
            "additionalProperties": {"type": ["number", "null"]},
        },
        "results": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["score", "reason"],
                "properties": {
                    "score": {"type": ["number", "null"]},
                    "reason": {"type": ["string", "null"]},
                },
            },
        },
    },
}

WRITTEN_SECTION: dict[str, Any] = {
    "type": "object",
    "required": ["rows", "fitted_rows", "metrics", "columns", "candidates", "plots"],
    "properties": {
        "rows": {"type": "object", "additionalProperties": {"type": "integer"}},
        "fitted_rows": {"type": "object", "additionalProperties": {"type": "integer"}},
        "scored_rows": {"type": "object", "additionalProperties": {"type": "integer"}},
        "metrics": {"type": "array", "items": {"type": "string"}},
        "columns": {"type": "array", "items": {"type": "string"}},
        "candidates": {"type": "array", "minItems": 1, "maxItems": 1, "items": ENTRY},
        "plots": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}

COMPARISON_JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": [
        "schema",
        "version",
        "generator",
        "created_utc",
        "headline",
        "protocol",
        "thresholds",
        "sample_sizes",
        "options",
        "metrics",
        "columns",
        "candidates",
        "plots",
        "notes",
        "written",
    ],
    "properties": {
        "schema": {"const": SCHEMA},
        "version": {"const": VERSION},
        "generator": {"type": "object", "required": ["name", "version"]},
        "created_utc": {"type": "string"},
        "headline": {"type": "string", "minLength": 40, "pattern": "^Each candidate .*\\.$"},
        "protocol": {"type": "string", "minLength": 50},
        "thresholds": {
            "type": "object",
            "required": [
                "sdmetrics_version",
                "real_correlation_threshold",
                "real_association_threshold",
            ],
        },
        "sample_sizes": {"type": "object", "required": ["train", "holdout", "holdout_evaluated"]},
        "options": {"type": "object"},
        "metrics": {"type": "array", "items": {"type": "string"}},
        "columns": {"type": "array", "items": {"type": "string"}},
        "candidates": {"type": "array", "minItems": 1, "items": ENTRY},
        "written": {"oneOf": [{"type": "null"}, WRITTEN_SECTION]},
        "plots": {"type": "object", "additionalProperties": {"type": "string"}},
        "notes": {"type": "array", "items": {"type": "string"}},
    },
}
