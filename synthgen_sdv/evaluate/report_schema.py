"""The JSON Schema of comparison.json: the contract readers of the report can validate against.

``SCHEMA`` and ``VERSION`` are written into every comparison.json; a reader checks them before
trusting the layout (``io.reader.read_versioned``).
"""

from __future__ import annotations

from typing import Any

SCHEMA = "synthgen_sdv.comparison"
VERSION = 1

COMPARISON_JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": [
        "schema",
        "version",
        "generator",
        "created_utc",
        "protocol",
        "thresholds",
        "sample_sizes",
        "options",
        "metrics",
        "columns",
        "candidates",
        "plots",
        "notes",
    ],
    "properties": {
        "schema": {"const": SCHEMA},
        "version": {"const": VERSION},
        "generator": {"type": "object", "required": ["name", "version"]},
        "created_utc": {"type": "string"},
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
        "candidates": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["name", "role", "summary", "results", "sample", "eval_seconds"],
                "properties": {
                    "name": {"type": "string"},
                    "role": {"enum": ["ceiling", "candidate"]},
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
            },
        },
        "plots": {"type": "object", "additionalProperties": {"type": "string"}},
        "notes": {"type": "array", "items": {"type": "string"}},
    },
}
