"""Optional extras (pyspark, snowflake, mostlyai): checked up front, with the install hint."""

from __future__ import annotations

import importlib
from types import ModuleType

from synthgen_sdv.core.errors import MissingExtraError


def require(package: str, extra: str, purpose: str) -> ModuleType:
    """``package`` imported, or a ``MissingExtraError`` (exit 2) naming the extra to install.

    A run that asked for an engine checks it up front: a Spark run at a small scale may never
    start a Spark task, and it must not quietly run locally instead."""
    try:
        return importlib.import_module(package)
    except ImportError:
        raise MissingExtraError(package, extra, purpose) from None
