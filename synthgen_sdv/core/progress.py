"""One progress reporter for every layer: a line per stage, bars only on a terminal.

Logs stay readable (no carriage-return bars in a file or CI log) and a terminal user still
sees bars. ``quiet`` silences both, for library use and tests.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO, TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


@dataclass
class Progress:
    """Stage lines and progress bars on ``stream`` (stderr by default)."""

    quiet: bool = False
    stream: TextIO | None = None

    @property
    def _out(self) -> TextIO:
        return self.stream or sys.stderr

    @property
    def interactive(self) -> bool:
        """True on a terminal: only then are bars drawn."""
        return not self.quiet and bool(getattr(self._out, "isatty", lambda: False)())

    def say(self, message: str) -> None:
        """One line, flushed at once (a stage started, a decision made); on a terminal through
        tqdm, so that it does not break a bar that is being drawn."""
        if self.quiet:
            return
        if self.interactive:
            tqdm.write(message, file=self._out)
        else:
            print(message, file=self._out, flush=True)

    def bar(
        self, items: Iterable[T], total: int | None = None, desc: str = "", **kw: Any
    ) -> Iterator[T]:
        """``items`` with a bar on a terminal; elsewhere just ``items``."""
        if not self.interactive:
            yield from items
            return
        yield from tqdm(items, total=total, desc=desc, file=self._out, leave=False, **kw)


#: for code with nothing to report to
QUIET = Progress(quiet=True)


def stderr_progress(enabled: bool = True) -> Progress:
    """The reporter the CLI uses: stage lines on stderr unless ``enabled`` is False."""
    return Progress(quiet=not enabled)
