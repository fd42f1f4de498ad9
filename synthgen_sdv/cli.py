"""Command line: parses arguments, calls the stage functions, maps errors to exit codes.

Exit codes: 0 success, 2 bad input (config, arguments, data, a folder that may not be
written), 1 any other failure, 130 on Ctrl-C and 143 on SIGTERM (both clean up the same way:
no partial output is left in place). What other libraries print is kept out of the output
unless ``-v`` (``core.progress.capture_third_party``); the tail of it is shown when a run fails
unexpectedly.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from synthgen_sdv.commands import COMMAND_MODULES
from synthgen_sdv.core import signals
from synthgen_sdv.core.errors import SynthgenError
from synthgen_sdv.core.progress import capture_third_party, console_err, set_verbose
from synthgen_sdv.core.startup import leave_out_torch
from synthgen_sdv.core.version import __version__

VERBOSE_HELP = "more detail: every check, sub-step and third-party message, and tracebacks"


class Terminated(KeyboardInterrupt):
    """SIGTERM (or SIGHUP) in the main process: handled like Ctrl-C, so every staged folder is
    removed on the way out."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def build_parser() -> argparse.ArgumentParser:
    """The parser of every subcommand (each module in ``commands`` registers its own)."""
    parser = argparse.ArgumentParser(
        prog="python -m synthgen_sdv",
        description="Synthetic TPC-DS-like warehouse data, schema metadata and ETL lineage.",
    )
    parser.add_argument("--version", action="version", version=f"synthgen_sdv {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"synthgen_sdv.commands.{name}").register(sub)
    parser.allow_abbrev = False
    for command in sub.choices.values():
        # no abbreviations: `sample --model hma` must not pass as `--model-dir hma`
        command.allow_abbrev = False
        command.add_argument(  # -v after the command name works too
            "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=VERBOSE_HELP
        )
    return parser


def _default_signals_in_child() -> None:
    """A forked worker ends on SIGTERM at once, as by default: a Python-level handler would
    only run between bytecodes, and a pool worker blocked on a queue lock never gets there.
    Ctrl-C raises KeyboardInterrupt there, as before."""
    for signum in _WANTED:
        if signal.getsignal(signum) is _HANDLER.get("fn"):
            signal.signal(signum, signal.SIG_DFL)
    if signal.getsignal(signal.SIGINT) is _HANDLER.get("int"):
        signal.signal(signal.SIGINT, signal.default_int_handler)
    signals.reset()


_WANTED = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
_HANDLER: dict[str, Any] = {}
os.register_at_fork(after_in_child=_default_signals_in_child)


@contextmanager
def _signals_as_interrupts() -> Iterator[None]:
    """SIGTERM and SIGHUP raise ``Terminated`` in this process (forked workers get the
    default back: they just end)."""

    def handler(signum: int, frame: Any) -> None:
        if _repeated(signum):
            return
        raise Terminated(signum)

    def on_interrupt(signum: int, frame: Any) -> None:
        if _repeated(signum):
            return
        raise KeyboardInterrupt

    _HANDLER["fn"], _HANDLER["int"] = handler, on_interrupt
    signals.reset()
    previous = {}
    try:
        for signum in _WANTED:
            previous[signum] = signal.signal(signum, handler)
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, on_interrupt)
    except ValueError:  # not the main thread (an embedding host): leave signals alone
        pass
    try:
        yield
    finally:
        interrupted = signals.received() is not None
        for signum, old in previous.items():  # after a signal: later ones are only noted
            signal.signal(signum, _repeated if interrupted else old)
        if interrupted:
            _HANDLER["restore"] = previous  # put back once the run has been reported
        _HANDLER.pop("fn", None)
        _HANDLER.pop("int", None)


def _repeated(signum: int, frame: Any = None) -> bool:
    """Note a signal; True when one came before: Ctrl-C pressed again while the run cleans
    up does not interrupt the clean-up (nor print a traceback at exit), it is only noted."""
    again = signals.received() is not None
    signals.note(signum)
    return again


def _interrupted(signum: int) -> int:
    what = "interrupted" if signum == signal.SIGINT else "terminated"
    print(f"{what}; no partial output was left in place", file=console_err())
    return 128 + int(signum)


def run() -> int:
    """The command-line process: ``main``, torch left out until needed (``core.startup``).
    After a signal, later ones stay only noted while the interpreter exits (it joins the
    encoding threads)."""
    leave_out_torch()
    _HANDLER["exiting"] = True
    return main()


def main(argv: list[str] | None = None) -> int:
    """Run one command; map our errors to exit codes (2 bad input, 1 other) without a traceback."""
    parser = build_parser()
    args = parser.parse_args(argv)
    set_verbose(args.verbose)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    captured = None
    try:
        with _signals_as_interrupts(), capture_third_party() as captured:
            return int(args.func(args) or 0)
    except SynthgenError as exc:
        if signals.received() is not None:  # a worker the signal ended, a caught interrupt
            return _interrupted(signals.received())  # type: ignore[arg-type]
        print(f"error: {exc}", file=console_err())
        return exc.exit_code
    except KeyboardInterrupt as exc:
        signum = exc.signum if isinstance(exc, Terminated) else signals.received() or signal.SIGINT
        return _interrupted(signum)
    except Exception as exc:  # a bug: still no bare traceback unless asked for
        if signals.received() is not None:  # a library caught the interrupt and failed
            return _interrupted(signals.received())  # type: ignore[arg-type]
        if args.verbose:
            raise
        tail = captured.text.strip() if captured is not None else ""
        if tail:
            last = "\n".join(tail.splitlines()[-15:])
            print(f"output of other libraries before the failure:\n{last}", file=console_err())
        print(
            f"error: unexpected {type(exc).__name__}: {exc} (rerun with -v for details)",
            file=console_err(),
        )
        return 1
    finally:
        signals.reset()  # the process may run more (tests, an embedding host)
        restore = _HANDLER.pop("restore", None)
        if restore and not _HANDLER.get("exiting"):
            for signum, old in restore.items():
                signal.signal(signum, old)
