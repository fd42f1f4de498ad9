"""Where generated chunks go: the sink contract, and the sink that keeps nothing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


class Sink:
    """Receives each table's chunks in order, as frames or as pieces already encoded in
    ``formats`` (by whichever process made them); writers and in-memory collectors implement it.
    """

    #: the formats chunks are encoded in before they reach ``append`` (none: keep nothing)
    formats: tuple[str, ...] = ()
    #: the (staged) output folder, where labels too large for labels.json go; None: none
    root: Path | None = None
    #: the Parquet codec of the pieces (``io.writers.COMPRESSIONS``)
    compression: str = "snappy"

    def begin(self, table: str, types: dict[str, str], dirty_types: dict[str, str] | None) -> None:
        """Called once per table before its first chunk."""

    def append(self, table: str, pieces: dict[tuple[str, str], bytes]) -> None:
        """Take the next chunk of ``table`` as encoded pieces: (folder, format) -> bytes."""
        raise NotImplementedError

    def write(self, table: str, frame: pd.DataFrame, dirty: pd.DataFrame | None) -> None:
        """Take the next chunk of ``table`` (and its dirty copy, when it has anomalies)."""
        raise NotImplementedError

    def end(self, table: str) -> None:
        """Called once per table after its last chunk."""


class NullSink(Sink):
    """Discards every chunk: for runs that keep their tables in memory (``Engine(keep=...)``)."""

    def append(self, table: str, pieces: dict[tuple[str, str], bytes]) -> None:
        """Keep nothing."""

    def write(self, table: str, frame: pd.DataFrame, dirty: pd.DataFrame | None) -> None:
        """Keep nothing."""
