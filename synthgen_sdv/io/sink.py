"""Where generated chunks go: the sink contract, and the sink that keeps nothing."""

from __future__ import annotations

import pandas as pd


class Sink:
    """Receives chunks in order; writers and in-memory collectors implement it."""

    def begin(self, table: str, types: dict[str, str], dirty_types: dict[str, str] | None) -> None:
        """Called once per table before its first chunk."""

    def write(self, table: str, frame: pd.DataFrame, dirty: pd.DataFrame | None) -> None:
        """Take the next chunk of ``table`` (and its dirty copy, when it has anomalies)."""
        raise NotImplementedError

    def end(self, table: str) -> None:
        """Called once per table after its last chunk."""


class NullSink(Sink):
    """Discards every chunk: for runs that keep their tables in memory (``Engine(keep=...)``)."""

    def write(self, table: str, frame: pd.DataFrame, dirty: pd.DataFrame | None) -> None:
        """Keep nothing."""
