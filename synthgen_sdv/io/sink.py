"""Where generated chunks go: the sink contract, and the sink that keeps nothing."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Spooled:
    """An encoded piece a worker process left in a file, instead of pickling its bytes back:
    bytes ``offset .. offset + length`` of ``path``. ``meta`` is what the format parsed from the
    piece in the worker (a Parquet footer), so the main process only copies bytes."""

    path: str
    offset: int
    length: int
    meta: Any = None


Piece = bytes | Spooled


def copy_range(src: str, offset: int, length: int, dst: Any) -> None:
    """Append bytes ``offset .. offset + length`` of file ``src`` to the open file ``dst``, in
    the kernel (``copy_file_range``) where it can, without reading them into this process."""
    dst.flush()
    with open(src, "rb") as fh:
        fd_in, fd_out = fh.fileno(), dst.fileno()
        done = 0
        try:
            while done < length:
                n = os.copy_file_range(fd_in, fd_out, length - done, offset + done)
                if n == 0:
                    raise OSError("copy_file_range copied nothing")
                done += n
        except (AttributeError, OSError):  # another platform or file system: plain copies
            fh.seek(offset + done)
            while done < length:
                block = fh.read(min(1 << 23, length - done))
                if not block:
                    raise OSError(f"{src}: shorter than expected") from None
                dst.write(block)
                done += len(block)
            dst.flush()


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
    #: ``append`` takes ``Spooled`` pieces (left in files by local workers) as well as bytes
    spools: bool = False

    def begin(self, table: str, types: dict[str, str], dirty_types: dict[str, str] | None) -> None:
        """Called once per table before its first chunk."""

    def append(self, table: str, pieces: dict[tuple[str, str], Piece]) -> None:
        """Take the next chunk of ``table`` as encoded pieces: (folder, format) -> bytes (or
        ``Spooled``, when ``spools``)."""
        raise NotImplementedError

    def write(self, table: str, frame: pd.DataFrame, dirty: pd.DataFrame | None) -> None:
        """Take the next chunk of ``table`` (and its dirty copy, when it has anomalies)."""
        raise NotImplementedError

    def end(self, table: str) -> None:
        """Called once per table after its last chunk."""


class NullSink(Sink):
    """Discards every chunk: for runs that keep their tables in memory (``Engine(keep=...)``)."""

    def append(self, table: str, pieces: dict[tuple[str, str], Piece]) -> None:
        """Keep nothing."""

    def write(self, table: str, frame: pd.DataFrame, dirty: pd.DataFrame | None) -> None:
        """Keep nothing."""
