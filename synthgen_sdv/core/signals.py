"""The signals a command-line run received (SIGINT, SIGTERM, SIGHUP), remembered.

Our handlers raise KeyboardInterrupt, but a library may catch it: DuckDB turns it into a
RuntimeError ("Query interrupted"), and the lineage runner takes a failed step for an injected
fault and goes on. So the signal is also noted here: the output folder is not swapped in after
one (``io.output.swap_in``), and the command line reports the run as interrupted (exit 130 /
143), whatever the exception it ends with. Ctrl-C pressed three times while the ETL ran used to
finish the run, exit 0, replacing the earlier output."""

from __future__ import annotations

import signal

_RECEIVED: list[int] = []


def note(signum: int) -> None:
    """Remember that ``signum`` arrived (called by the command line's handlers)."""
    _RECEIVED.append(signum)


def received() -> int | None:
    """The first signal this run received, or None."""
    return _RECEIVED[0] if _RECEIVED else None


def reset() -> None:
    """Forget them (a new run in the same process; a forked worker)."""
    _RECEIVED.clear()


def check() -> None:
    """Raise KeyboardInterrupt when a signal arrived, even if what it raised was caught."""
    signum = received()
    if signum is not None:
        raise KeyboardInterrupt(f"{signal.Signals(signum).name} received earlier in the run")
