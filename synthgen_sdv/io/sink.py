"""Where generated chunks go: the sink contract, and the sink that keeps nothing."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Placed:
    """An encoded piece a worker process wrote straight into the table's file, instead of
    pickling its bytes back: bytes ``offset .. offset + length`` of ``path``, at the place the
    family's size ledger gave it. ``meta`` is what the format parsed from the piece in the
    worker (a Parquet footer), so the main process neither copies nor parses it."""

    path: str
    offset: int
    length: int
    meta: Any = None


@dataclass(frozen=True)
class Prepared:
    """An encoded piece already split where it was encoded (the one-worker run's encoding
    thread): ``body`` for the file, ``meta`` what the format parsed of the rest (a Parquet
    footer), so the main thread writes the body without parsing anything."""

    body: bytes | memoryview  # a view of the encoder's buffer (``TableFormat.prepare``)
    meta: Any = None


Piece = bytes | Placed | Prepared


def pwrite_all(path: str, data: bytes, offset: int) -> None:
    """Write ``data`` at ``offset`` of the existing file ``path`` (other processes write other
    ranges of it at the same time; nothing is truncated)."""
    fd = os.open(path, os.O_WRONLY)
    try:
        view = memoryview(data)
        while view:
            n = os.pwrite(fd, view, offset)
            view, offset = view[n:], offset + n
    finally:
        os.close(fd)


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
    #: ``append`` takes ``Placed`` pieces (written into the files by local workers) as well
    #: as bytes; ``placement`` says where
    places: bool = False

    def begin(self, table: str, types: dict[str, str], dirty_types: dict[str, str] | None) -> None:
        """Called once per table before its first chunk."""

    def append(self, table: str, pieces: dict[tuple[str, str], Piece]) -> None:
        """Take the next chunk of ``table`` as encoded pieces: (folder, format) -> bytes (or
        ``Placed``, when ``places``)."""
        raise NotImplementedError

    def write(self, table: str, frame: pd.DataFrame, dirty: pd.DataFrame | None) -> None:
        """Take the next chunk of ``table`` (and its dirty copy, when it has anomalies)."""
        raise NotImplementedError

    def placement(self, table: str) -> dict[tuple[str, str], tuple[str, int]]:
        """(folder, format) -> (path of the begun table's file, where its next piece goes),
        for workers that write pieces in place (sinks with ``places``)."""
        return {}

    def end(self, table: str) -> None:
        """Called once per table after its last chunk."""


class NullSink(Sink):
    """Discards every chunk: for runs that keep their tables in memory (``Engine(keep=...)``)."""

    def append(self, table: str, pieces: dict[tuple[str, str], Piece]) -> None:
        """Keep nothing."""

    def write(self, table: str, frame: pd.DataFrame, dirty: pd.DataFrame | None) -> None:
        """Keep nothing."""
