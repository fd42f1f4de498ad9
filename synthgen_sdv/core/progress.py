"""One progress reporter for every layer: a line per stage, bars only on a terminal.

Logs stay readable (no carriage-return bars in a file or CI log) and a terminal user still
sees bars. ``quiet`` silences both, for library use and tests.

* ``say``: a stage line (always, unless quiet); ``stage``: a numbered one (``[2/5] fit ...``),
  counted by the reporter so that nested runs (the comparison inside fit-sample) do not
  restart the numbering; ``detail``: a line shown only with ``-v`` (``set_verbose``);
* ``bar``: a tqdm bar on a terminal for more than one item, nothing elsewhere;
* ``capture_third_party``: what other libraries print (SDV's "Learning relationships:" on
  stdout, their tqdm bars, warnings) is kept out of the output unless ``-v``. Our own lines
  still reach the real streams, through ``console_out`` / ``console_err``.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO, TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")

_STATE: dict[str, Any] = {"verbose": False, "streams": None}


def set_verbose(on: bool) -> None:
    """``-v``: detail lines, third-party output and tracebacks are shown."""
    _STATE["verbose"] = bool(on)


def verbose() -> bool:
    """True under ``-v``."""
    return bool(_STATE["verbose"])


def console_out() -> TextIO:
    """The real standard output (what the user sees), also while third parties are captured."""
    streams = _STATE["streams"]
    return streams[0] if streams else sys.stdout


def console_err() -> TextIO:
    """The real standard error, also while third parties are captured."""
    streams = _STATE["streams"]
    return streams[1] if streams else sys.stderr


class _Tail(io.TextIOBase):
    """A text sink that keeps only the last ``limit`` characters (for an error report)."""

    def __init__(self, limit: int = 20000):
        self.limit, self.text = limit, ""

    def write(self, s: str) -> int:
        self.text = (self.text + s)[-self.limit :]
        return len(s)

    def isatty(self) -> bool:
        return False


@contextlib.contextmanager
def capture_third_party() -> Iterator[_Tail]:
    """Route ``sys.stdout`` / ``sys.stderr`` into a bounded buffer for the block (unless
    verbose), so prints and bars of other libraries stay out of the output; ours go to
    ``console_out`` / ``console_err``. Yields the buffer (its ``text`` is the tail)."""
    tail = _Tail()
    if verbose() or _STATE["streams"] is not None:
        yield tail
        return
    _STATE["streams"] = (sys.stdout, sys.stderr)
    try:
        with contextlib.redirect_stdout(tail), contextlib.redirect_stderr(tail):
            yield tail
    finally:
        _STATE["streams"] = None


@contextlib.contextmanager
def capture_all(buffer: TextIO) -> Iterator[TextIO]:
    """Everything printed in the block, ours and third parties', goes to ``buffer`` (a run
    inside a run that keeps its lines for an error message: the ablation's cells)."""
    saved = _STATE["streams"]
    _STATE["streams"] = (buffer, buffer)
    try:
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            yield buffer
    finally:
        _STATE["streams"] = saved


@dataclass
class Progress:
    """Stage lines and progress bars on ``stream`` (the real stderr by default)."""

    quiet: bool = False
    stream: TextIO | None = None
    total: int | None = None  # stages of the run, for ``stage``'s [k/n]
    done: int = field(default=0, repr=False)

    @property
    def _out(self) -> TextIO:
        return self.stream or console_err()

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
        else:  # one write: lines of forked scoring jobs on one stream must not interleave
            self._out.write(message + "\n")
            self._out.flush()

    def detail(self, message: str) -> None:
        """A line worth seeing only with ``-v`` (a sub-step, a per-metric line)."""
        if verbose():
            self.say(message)

    def stages(self, total: int) -> None:
        """Announce how many numbered stages the run has (``stage`` counts up to it)."""
        self.total, self.done = total, 0

    def stage(self, message: str) -> None:
        """``[k/n] message`` for the next stage; without ``stages`` just the message."""
        if self.total is None:
            self.say(message)
            return
        self.done += 1
        self.say(f"[{self.done}/{self.total}] {message}")

    def bar(
        self, items: Iterable[T], total: int | None = None, desc: str = "", **kw: Any
    ) -> Iterator[T]:
        """``items`` with a bar on a terminal when there is more than one; elsewhere just
        ``items``."""
        if total is None and hasattr(items, "__len__"):
            total = len(items)  # type: ignore[arg-type]
        if not self.interactive or (total is not None and total <= 1):
            yield from items
            return
        yield from tqdm(items, total=total, desc=desc, file=self._out, leave=False, **kw)


#: for code with nothing to report to
QUIET = Progress(quiet=True)


def stderr_progress(enabled: bool = True) -> Progress:
    """The reporter the CLI uses: stage lines on stderr unless ``enabled`` is False."""
    return Progress(quiet=not enabled)
