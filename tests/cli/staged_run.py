"""Run the CLI with a hook in the output writer, to interrupt it at a precise moment.

    python tests/cli/staged_run.py MODE -- CLI ARGS...

MODE:
  pause            after the staged folder is complete, print STAGED on stderr and sleep
                   (the test then sends SIGTERM / SIGKILL: "killed mid-run")
  kill-between     no renameat2: swap with two renames, SIGKILL between them
  kill-after-swap  SIGKILL right after the swap, before the old folder is removed
"""

from __future__ import annotations

import os
import signal
import sys
import time


def main() -> int:
    mode, sep, *args = sys.argv[1:]
    assert sep == "--", "usage: staged_run.py MODE -- ARGS"
    from synthgen_sdv.io import output
    from synthgen_sdv.runs import output as runs_output

    if mode == "pause":
        write_into = runs_output.write_into

        def paused(*a, **k):
            written = write_into(*a, **k)
            print("STAGED", file=sys.__stderr__, flush=True)
            time.sleep(120)
            return written

        runs_output.write_into = paused
    elif mode == "kill-between":
        output._exchange = lambda a, b: False
        rename = os.rename

        def rename_then_die(src, dst):
            rename(src, dst)
            if ".old-" in str(dst):  # the old output moved away, the new one not yet in
                os.kill(os.getpid(), signal.SIGKILL)

        output.os.rename = rename_then_die
    elif mode == "kill-after-swap":
        exchange = output._exchange

        def exchange_then_die(a, b):
            done = exchange(a, b)
            os.kill(os.getpid(), signal.SIGKILL)
            return done

        output._exchange = exchange_then_die
    else:
        raise SystemExit(f"unknown mode {mode}")
    from synthgen_sdv.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
