"""Arguments shared by several commands, and the checks every command makes before any work.

One spelling per concept:

* a folder the command *reads* that is an output of ours is the positional ``DIR`` (default
  ``./output``): validate, load, lineage, validate-lineage, export-graph, compare;
* data that is not an output is ``--data-dir``; a config folder is ``--config-dir``;
* a folder the command *writes* is ``--out`` (``--model-dir`` for a model), replaced only when
  it is ours and ``--overwrite`` is given (``io.output.claim``).

Old spellings (``lineage --data``, ``compare --reference``) still work for one release and say
so in one line (``deprecated``). Flags a command would ignore are refused (``refuse_given``),
and every name (synthesizer, table, engine, check, metric) is checked before any work.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.progress import Progress, console_err, console_out, stderr_progress
from synthgen_sdv.core.sizes import parse_size
from synthgen_sdv.io.output import Claim, claim
from synthgen_sdv.runs.config import load_project
from synthgen_sdv.schema.models import MAX_SCALE, MAX_WORKERS
from synthgen_sdv.schema.plan import Plan, resolve_plan

DEFAULT_DIR = Path("output")

if TYPE_CHECKING:
    from synthgen_sdv.runs.estimate import Estimate


def scale_arg(text: str) -> float:
    """A scale: a positive, finite number up to MAX_SCALE (nan, inf, 0 and -1 are refused
    here, by argparse, with exit 2; a scale the machine cannot hold is refused by the
    estimate)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0 or value > MAX_SCALE:
        raise argparse.ArgumentTypeError(
            f"must be a finite number > 0 and at most {MAX_SCALE:g}, got {text!r}"
        )
    return value


def path_arg(text: str) -> Path:
    """A file or folder argument; a symlink loop on its way is refused here (exit 2), before
    the estimate or the claim would trip over it."""
    path = Path(text)
    try:
        path.resolve()
    except (RuntimeError, OSError) as exc:
        raise argparse.ArgumentTypeError(f"{text}: cannot follow its symlinks ({exc})") from None
    return path


def _int_arg(low: int, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}, got {value}")
        return value

    return parse


#: --seed: a whole number a NumPy generator takes
seed_arg = _int_arg(0, 2**63 - 1)
#: --workers
workers_arg = _int_arg(1, MAX_WORKERS)


def size_arg(text: str) -> str:
    """A memory size ('8GB', '512MiB', '75%'), checked when parsed."""
    try:
        parse_size(text, "size")
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("size: ")) from None
    return text


def echo(*parts: object) -> None:
    """A line of the command's result on standard output (also while other libraries' prints
    are captured)."""
    print(*parts, file=console_out(), flush=True)


def note(message: str) -> None:
    """A line on standard error that is always shown (a deprecation, a removed stale folder)."""
    print(message, file=console_err(), flush=True)


# --------------------------------------------------------------------------- arguments


def add_dir_arg(p: argparse.ArgumentParser, what: str = "output folder to read") -> None:
    """The positional ``DIR``: an output folder the command reads (default ./output)."""
    p.add_argument(
        "out_dir",
        nargs="?",
        default=None,
        type=path_arg,
        metavar="DIR",
        help=f"{what} (default: ./{DEFAULT_DIR})",
    )


def add_deprecated_dir_flag(p: argparse.ArgumentParser, flag: str) -> None:
    """An old spelling of ``DIR`` (e.g. ``--data``), hidden from --help, still accepted."""
    p.add_argument(
        flag, dest=f"deprecated_{flag.lstrip('-')}", type=path_arg, help=argparse.SUPPRESS
    )


def input_dir(args: argparse.Namespace, command: str, old_flag: str | None = None) -> Path:
    """``DIR`` as given (positional, or the deprecated flag with a note), else ./output."""
    given = args.out_dir
    if old_flag is not None:
        old = getattr(args, f"deprecated_{old_flag.lstrip('-')}", None)
        if old is not None:
            if given is not None:
                raise InputError(f"{command}: give the folder once, as DIR (not also {old_flag})")
            deprecated(f"{command} {old_flag} DIR", f"{command} DIR")
            given = old
    return given if given is not None else DEFAULT_DIR


def deprecated(old: str, new: str) -> None:
    """The one-line note of a deprecated spelling (kept for one release)."""
    note(f"note: `{old}` is deprecated and will be removed in the next release; use `{new}`")


def add_overwrite(p: argparse.ArgumentParser, flag: str = "--out") -> None:
    """``--overwrite``: replace the folder of ``flag`` when it holds an earlier output of ours."""
    p.add_argument(
        "--overwrite",
        action="store_true",
        help=f"replace {flag} when it holds an earlier synthgen_sdv result (a folder of other "
        "files is never replaced)",
    )


def add_out(p: argparse.ArgumentParser, default: str, required: bool = False) -> None:
    """``--out DIR`` (a folder written whole) and ``--overwrite``."""
    p.add_argument(
        "--out",
        type=path_arg,
        default=None,
        required=required,
        metavar="DIR",
        help="folder to write (replaced whole, atomically"
        + ("; required)" if required else f"; default: {default})"),
    )
    add_overwrite(p)


def add_config_args(p: argparse.ArgumentParser, out: bool = True, scale: bool = True) -> None:
    """--config-dir, --scale, --seed, --out/--overwrite, --workers, --no-progress."""
    p.add_argument(
        "--config-dir",
        type=path_arg,
        default=None,
        help="folder with tables.yml, lineage.yml, config.yaml (default: built-in configs/)",
    )
    if scale:
        p.add_argument(
            "--scale",
            type=scale_arg,
            default=None,
            help="row-count multiplier (default: config.yaml)",
        )
    p.add_argument(
        "--seed",
        type=seed_arg,
        default=None,
        help="random seed (default: config.yaml)",
    )
    if out:
        add_out(p, "config.yaml output.dir")
    p.add_argument(
        "--workers",
        type=workers_arg,
        default=None,
        help="processes; output is the same for any value",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars or stage lines")


def add_guard_args(p: argparse.ArgumentParser) -> None:
    """--memory-budget and --force: the limits the run's estimate is checked against."""
    p.add_argument(
        "--memory-budget",
        type=size_arg,
        default=None,
        metavar="SIZE",
        help="peak memory the run may need, e.g. 8GB or 50%% of available memory (default: "
        "config.yaml memory_budget, else 75%%); a run estimated above it stops before any work",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="run even when the estimate exceeds the free disk space or the memory budget",
    )


def add_format(p: argparse.ArgumentParser) -> None:
    """``--format csv|parquet|both``."""
    p.add_argument(
        "--format",
        choices=["csv", "parquet", "both"],
        default=None,
        help="file format (default: config.yaml output.formats)",
    )


def add_no_lineage(p: argparse.ArgumentParser) -> None:
    """``--no-lineage``: do not run the ETL pipeline (no lineage_data/, no OpenLineage events)."""
    p.add_argument(
        "--no-lineage",
        action="store_true",
        help="skip the ETL pipeline of lineage.yml (no lineage_data/, no OpenLineage events)",
    )


def given(args: argparse.Namespace, *dests: str) -> list[str]:
    """The flags among ``dests`` the user gave (not None and not False), spelled as flags."""
    return [
        "--" + d.replace("_", "-") for d in dests if getattr(args, d, None) not in (None, False)
    ]


def refuse_given(args: argparse.Namespace, dests: tuple[str, ...], why: str) -> None:
    """InputError when any flag of ``dests`` was given: it would be ignored (``why``)."""
    flags = given(args, *dests)
    if flags:
        raise InputError(f"{', '.join(flags)}: {why}")


def check_model_name(name: str | None) -> None:
    """An unknown --model is refused before any work (the message lists the known ones)."""
    if name is not None:
        from synthgen_sdv.synth import SYNTHESIZERS  # heavy: only when a command runs

        SYNTHESIZERS.get(name)


def model_params(
    model: str, defaults: dict[str, Any] | None, given: list[str] | None
) -> dict[str, Any] | None:
    """config.yaml's synthesis.params with each --param NAME=VALUE over it (VALUE read as a
    YAML scalar: 0, 0.5, false, text); a name the synthesizer does not take is refused."""
    import yaml

    from synthgen_sdv.synth import SYNTHESIZERS

    params = dict(defaults or {})
    for item in given or []:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise InputError(f"--param {item!r}: expected NAME=VALUE, e.g. small_tables=0")
        try:
            params[name.strip()] = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError:
            params[name.strip()] = text
    if not params:
        return defaults
    try:  # built once here so a wrong name or value stops the run before any work
        SYNTHESIZERS.get(model)(seed=0, verbose=False, **params)
    except (TypeError, ValueError) as exc:
        raise InputError(f"--param / synthesis.params of {model} {params}: {exc}") from None
    return params


def split_names(text: str | None, flag: str) -> list[str] | None:
    """A comma-separated list of names (None when not given); an empty list is an error."""
    if text is None:
        return None
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise InputError(f"{flag}: expected comma-separated names, got {text!r}")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(f"{flag}: {', '.join(map(repr, repeated))} named more than once")
    return names


# --------------------------------------------------------------------------- plan and output


def load_plan(args: argparse.Namespace) -> Plan:
    """The plan of --config-dir at --seed and --scale (every config problem at once)."""
    loaded = load_project(args.config_dir)
    scale = getattr(args, "scale", None)
    if scale is not None and not scale > 0:
        raise InputError(f"--scale must be > 0, got {scale}")
    return resolve_plan(loaded, seed=args.seed, scale=scale)


def check_size(
    args: argparse.Namespace, out: Path, estimate: Estimate, config_budget: str | None = None
) -> None:
    """Print the run's estimate; stop (exit 2) when it exceeds the free disk space at ``out``
    or the memory budget (--memory-budget, else the config's), unless --force."""
    from synthgen_sdv.runs.guard import check, limits

    budget = limits(out, args.memory_budget, config_budget)
    check(estimate, budget, args.force, progress(args))


def out_dir(args: argparse.Namespace, plan: Plan) -> Path:
    """--out, else config.yaml's output.dir."""
    return args.out if args.out is not None else Path(plan.loaded.run.output.dir)


def config_dir(plan: Plan) -> Path:
    """The config folder the plan was read from (an input of the run)."""
    return Path(plan.loaded.config_dir)


def workers(args: argparse.Namespace, plan: Plan) -> int:
    """--workers, else config.yaml's workers."""
    return args.workers if args.workers is not None else plan.loaded.run.workers


def progress(args: argparse.Namespace) -> Progress:
    """Stage lines and bars on stderr, unless --no-progress."""
    return stderr_progress(not getattr(args, "no_progress", False))


def formats(args: argparse.Namespace, plan: Plan) -> list[str]:
    """--format (``both``: parquet and csv), else config.yaml's output.formats."""
    if args.format == "both":
        return ["parquet", "csv"]
    return [args.format] if args.format else list(plan.loaded.run.output.formats)


@contextmanager
def claimed(
    args: argparse.Namespace,
    out: Path,
    inputs: Mapping[str, Path | None] | None = None,
    flag: str = "--out",
) -> Iterator[Claim]:
    """Claim ``out`` for the command (checks, --overwrite, lock, stale temporaries) before any
    work starts; the writer inside finds the claim."""
    with claim(
        out,
        overwrite=getattr(args, "overwrite", False),
        inputs=inputs,
        flag=flag,
        say=note,
        who=f"synthgen_sdv {getattr(args, 'command', '')}".strip(),
    ) as held:
        yield held
