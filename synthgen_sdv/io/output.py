"""Output folders: claimed before any work, built in a temporary sibling, swapped in whole.

Every command that writes a folder (``--out``, ``--model-dir``) first *claims* it (``claim``):

* the path must be usable: not a file, no file among its parents, not the folder the command
  runs in (nor one holding it);
* an existing folder that is not empty must be ours (``io.layout.folder_kind``: a marker that
  parses and carries our schema name and version) and hold nothing we did not write, and
  replacing it needs ``overwrite`` (``--overwrite``);
* no folder the command reads may lie inside it (replacing it would delete the input), nor may
  it lie inside one of them;
* a lock file beside it (``.OUT.lock``, ``flock``) refuses a second run on the same folder; the
  kernel drops the lock when the process ends, even by SIGKILL, so a lock never goes stale;
* temporary folders of earlier killed runs (``.OUT.tmp-*``, ``.OUT.old-*``) are removed, and
  an output that a killed two-rename swap left only in ``.OUT.old-*`` is put back first.

``staged_output`` then builds the new folder as ``.OUT.tmp-<pid>-<random>`` and swaps it in:

* on Linux with one ``renameat2(RENAME_EXCHANGE)``: old and new trade places in one step, so
  ``OUT`` exists at every instant; the old one (now under the temporary name) is removed after.
  A kill after the swap leaves a stale temporary that the next claim removes;
* where that call does not exist, with two renames (old out of the way, new in). A kill
  between them leaves ``OUT`` missing for an instant and the old output in ``.OUT.old-*``,
  which the next claim restores. A ``current`` symlink was the other choice: it makes OUT a
  link forever, which surprises ``rm -r``, copies and other tools; the exchange does not.

A failed or interrupted run (Ctrl-C, SIGTERM) removes its temporary folder and leaves ``OUT``
as it was. ``staged_update`` is the same for a command that adds to an existing output
(``lineage DIR``): the folder is copied (files hard-linked, ``metadata/`` copied), changed and
swapped in. Writers never change a file in place (``io.files`` replaces, the others unlink
first), so a hard-linked file of the old folder is never touched.

The CLI claims ``--out`` before the run starts; the writer deep inside (``staged_output``)
finds the claim this process holds and does not check again. A library caller that did not
claim gets the same checks when the writer starts (``overwrite=False`` unless it says so).
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import errno
import json
import os
import secrets
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from synthgen_sdv.core import bounds, signals
from synthgen_sdv.core.errors import InputError, SynthgenError
from synthgen_sdv.io import layout
from synthgen_sdv.io.files import folder_mode

try:  # POSIX; elsewhere there is no lock (said once when a folder is claimed)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

Say = Callable[[str], None]
IGNORED_ENTRIES = frozenset({".DS_Store"})  # made by file browsers, not by the user


def _nothing(_: str) -> None:
    return None


# --------------------------------------------------------------------------- what a folder holds


def describe(out: Path) -> str:
    """What ``out`` holds, for messages: "a synthgen_sdv output (13 tables: 10 by rules, 3 by
    synthesizer:hma; written 2026-11-29 21:40)"."""
    found = layout.folder_kind(out)
    if found is None:
        return "files that are not a synthgen_sdv output"
    kind, doc = found
    details = []
    tables = doc.get("tables")
    if kind.marker == layout.SCHEMA_METADATA and isinstance(tables, dict):
        sources: dict[str, int] = {}
        for t in tables.values():
            src = t.get("source") if isinstance(t, dict) else None
            src = src if isinstance(src, str) and len(src) < 60 else "given"
            sources[src] = sources.get(src, 0) + 1
        ranked = sorted(sources.items(), key=lambda x: -x[1])
        if len(ranked) == 1:
            details.append(f"{len(tables)} tables by {ranked[0][0]}")
        else:
            by = ", ".join(f"{n} by {s}" for s, n in ranked)
            details.append(f"{len(tables)} tables" + (f": {by}" if by else ""))
    elif kind.marker == "manifest.json":
        synth = doc.get("synthesizer")
        name = synth.get("name") if isinstance(synth, dict) else None
        if isinstance(name, str):
            details.append(f"'{name}' fitted on {', '.join(map(str, doc.get('tables') or []))}")
    with contextlib.suppress(OSError):
        stamp = dt.datetime.fromtimestamp((out / kind.marker).stat().st_mtime)
        details.append(f"written {stamp:%Y-%m-%d %H:%M}")
    extras = [e for e in (layout.WAREHOUSE, layout.SPARK) if (out / e).exists()]
    if kind.marker == layout.SCHEMA_METADATA and extras:
        details.append("with what `load` made: " + ", ".join(extras))
    return f"{kind.label} ({'; '.join(details)})" if details else kind.label


def foreign_entries(out: Path) -> list[str]:
    """Top-level entries of our folder ``out`` that none of our commands writes there."""
    found = layout.folder_kind(out)
    if found is None or found[0].entries is None:
        return []
    allowed = found[0].entries
    return sorted(
        p.name + ("/" if p.is_dir() else "")
        for p in out.iterdir()
        if p.name not in allowed and p.name not in IGNORED_ENTRIES
    )


# --------------------------------------------------------------------------- checks


def resolved(path: str | Path, flag: str) -> Path:
    """``Path(path).resolve()``; a symlink loop on the way is an InputError naming ``flag``
    (Python raises RuntimeError or OSError for it, depending on the version)."""
    try:
        return Path(path).resolve()
    except (RuntimeError, OSError) as exc:
        raise InputError(f"{flag} {path}: cannot follow its symlinks ({exc})") from None


def _check_path(out: Path, flag: str, swapped: bool = True) -> None:
    """``out`` can become a folder: no file on its way, not a file itself, and (when it is
    ``swapped`` for a new one) not the folder we run in."""
    if not out.name:
        raise InputError(f"{flag} {out}: not a folder that can be replaced; choose a subfolder")
    for parent in out.parents:
        if parent.exists() and not parent.is_dir():
            raise InputError(f"{flag} {out}: {parent} is a file, so no folder can be made there")
    if out.exists() and not out.is_dir():
        raise InputError(f"{flag} {out}: is a file, not a folder; choose another {flag}")
    with contextlib.suppress(OSError):  # the current folder may be gone; then nothing holds it
        here = Path.cwd().resolve() if swapped else None
        if here is None:
            return
        if here == out or here.is_relative_to(out):
            raise InputError(
                f"{flag} {out}: the command runs inside that folder, which replacing it would "
                "pull away; run it from outside the folder"
            )


def check_replaceable(out: Path, overwrite: bool = False, flag: str = "--out") -> None:
    """Refuse (InputError) to replace ``out`` unless it is absent or empty, or ours, holding
    only what we write, with ``overwrite``. A folder this process has claimed passes."""
    out = resolved(out, flag)
    if out not in _HELD:
        _check_path(out, flag)
        _check_contents(out, overwrite, flag)


def _check_contents(out: Path, overwrite: bool, flag: str) -> None:
    if not out.exists() or not any(p.name not in IGNORED_ENTRIES for p in out.iterdir()):
        return
    if layout.folder_kind(out) is None:
        names = sorted(p.name for p in out.iterdir())
        shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
        raise InputError(
            f"{flag} {out}: exists and is not a synthgen_sdv output folder (no valid "
            f"{layout.SCHEMA_METADATA}; it holds {_count(len(names), 'entry', 'entries')}: "
            f"{shown}); choose "
            "another folder or remove it"
        )
    foreign = foreign_entries(out)
    if foreign:
        shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise InputError(
            f"{flag} {out}: holds {describe(out)} and also {shown}, which synthgen_sdv did not "
            "write; move them out of the folder or choose another " + flag
        )
    if not overwrite:
        raise InputError(
            f"{flag} {out}: holds {describe(out)}; pass --overwrite to replace it, or choose "
            f"another {flag}"
        )


def check_inputs(
    out: Path,
    inputs: Mapping[str, str | Path | None],
    flag: str = "--out",
    may_hold_out: frozenset[str] = frozenset(),
) -> None:
    """Refuse an input folder (or file) inside ``out``, and ``out`` inside an input folder:
    replacing ``out`` would delete the input, or the output would land among the inputs.
    Inputs named in ``may_hold_out`` may contain ``out`` (a config folder with its output
    beside the YAML files: nothing reads its subfolders)."""
    out = resolved(out, flag)
    for name, path in inputs.items():
        if path is None:
            continue
        src = resolved(path, name)
        if src == out:
            raise InputError(
                f"{flag} {out} is also {name}: a run does not replace what it reads; "
                f"choose another {flag}"
            )
        if src.is_relative_to(out):
            raise InputError(
                f"{name} {path} is inside {flag} {out}: replacing {out} would delete it; "
                f"choose another {flag}"
            )
        if out.is_relative_to(src) and src.is_dir() and name not in may_hold_out:
            raise InputError(
                f"{flag} {out} is inside {name} {path}: the output would land among the "
                f"inputs; choose another {flag}"
            )


# --------------------------------------------------------------------------- the lock


def lock_path(out: Path) -> Path:
    """The lock file of ``out``: a hidden sibling, since ``out`` itself gets replaced."""
    return out.parent / f".{out.name}.lock"


def _holder(fh: IO[str]) -> str:
    with contextlib.suppress(OSError, ValueError):
        fh.seek(0)
        info = bounds.parse_json(fh.read(1 << 16) or "{}")
        return f"pid {info.get('pid')}, `{info.get('command')}`, since {info.get('started')}"
    return "another process"


def _acquire(out: Path, flag: str, required: bool = True, who: str = "") -> IO[str] | None:
    """Take the lock of ``out`` (non-blocking); InputError naming the holder if it is taken.
    Where no lock file can be made (a read-only parent) that is an error when ``required``,
    else the run goes on unlocked (``load`` of a read-only folder into another database)."""
    if fcntl is None:  # pragma: no cover - Windows
        return None
    path = lock_path(out)
    for _ in range(10):
        try:
            fh = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release
        except OSError as exc:
            if not required:
                return None
            raise InputError(f"{flag} {out}: cannot make its lock file {path}: {exc}") from None
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fh)
            fh.close()
            raise InputError(
                f"{flag} {out}: another run is writing it ({holder}); wait for it to finish "
                f"or choose another {flag}"
            ) from None
        try:  # the holder before us may have removed the file after we opened it: retry
            same = os.fstat(fh.fileno()).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            fh.seek(0)
            fh.truncate()
            command = who or "synthgen_sdv"
            started = f"{dt.datetime.now():%Y-%m-%d %H:%M:%S}"
            fh.write(json.dumps({"pid": os.getpid(), "command": command, "started": started}))
            fh.flush()
            os.chmod(path, 0o644)
            return fh
        fh.close()
    raise SynthgenError(f"{flag} {out}: could not take the lock {path}")  # pragma: no cover


def _release(out: Path, fh: IO[str] | None) -> None:
    if fh is None:  # pragma: no cover - Windows
        return
    with contextlib.suppress(FileNotFoundError):
        lock_path(out).unlink()  # while still holding it: see the inode check in _acquire
    fh.close()


# --------------------------------------------------------------------------- stale temporaries


def _size(path: Path) -> int:
    total = 0
    for root, _dirs, names in os.walk(path):
        for name in names:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _mb(n: int) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB"


def clean_stale(out: Path, say: Say = _nothing) -> list[Path]:
    """Remove the temporary folders that killed runs left beside ``out`` (call with the lock
    held: no live run is using them). An ``.OUT.old-*`` is an earlier output; if ``out`` is
    missing it is put back, not removed. Returns what was removed."""
    removed: list[Path] = []
    parent = out.parent
    if not parent.is_dir():
        return removed
    olds = sorted(parent.glob(f".{out.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if olds and not out.exists():
        restored = olds.pop()
        restored.rename(out)
        say(f"note: restored {out} from {restored.name}, left by a run killed while swapping")
    for stale in [*parent.glob(f".{out.name}.tmp-*"), *olds]:
        if not stale.is_dir() or stale.is_symlink():
            continue
        size = _size(stale)
        shutil.rmtree(stale, ignore_errors=True)
        if not stale.exists():
            removed.append(stale)
            say(f"note: removed {stale.name} ({_mb(size)}), left by an interrupted run")
        else:  # pragma: no cover - permissions
            say(f"warning: could not remove {stale}, left by an interrupted run")
    return removed


# --------------------------------------------------------------------------- claims


@dataclass
class Claim:
    """A folder this process is about to write: checked, locked, cleaned of stale temporaries."""

    out: Path
    flag: str = "--out"
    lock: IO[str] | None = None


_HELD: dict[Path, Claim] = {}


@contextmanager
def claim(
    out: str | Path,
    *,
    overwrite: bool = False,
    inputs: Mapping[str, str | Path | None] | None = None,
    flag: str = "--out",
    say: Say = _nothing,
    update: bool = False,
    swapped: bool = True,
    may_hold_out: frozenset[str] = frozenset({"--config-dir"}),
    who: str = "",
    require_ours: bool = True,
) -> Iterator[Claim]:
    """Claim ``out`` for this block (see the module docstring); InputError when it may not be
    written. ``update``: the folder exists and is ours, and is added to, not replaced (no
    ``overwrite`` needed); ``swapped=False``: it is only locked, changed in place by an
    engine that is atomic on its own (``load``'s DuckDB file); ``require_ours=False`` lets an
    update add to a folder without our marker (``lineage`` over a folder of Parquet tables).
    ``who`` names the run in the lock, for the message another run gets. Claiming a folder
    this process holds yields the same claim."""
    out = resolved(out, flag)
    if out in _HELD:
        yield _HELD[out]
        return
    _check_path(out, flag, swapped)
    check_inputs(out, inputs or {}, flag, may_hold_out)
    if update:
        if not out.is_dir():
            raise InputError(f"{out}: no such folder")
        if require_ours and layout.folder_kind(out) is None:
            raise InputError(
                f"{out}: not a synthgen_sdv output folder (no valid {layout.SCHEMA_METADATA})"
            )
    else:
        check_replaceable(out, overwrite, flag)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{flag} {out}: cannot create its parent folder: {exc}") from None
    fh = _acquire(out, flag, required=swapped, who=who)
    try:
        if fh is not None:  # only under the lock is a temporary surely nobody's
            clean_stale(out, say)
        if not update:  # a swap that a killed run left half-done may have put an output back
            _check_contents(out, overwrite, flag)
    except BaseException:
        _release(out, fh)
        raise
    held = Claim(out, flag, lock=fh)
    _HELD[out] = held
    try:
        yield held
    finally:
        _HELD.pop(out, None)
        _release(out, fh)


# --------------------------------------------------------------------------- the swap

RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap ``a`` and ``b`` in one step (Linux renameat2); False where that is not possible."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False  # the kernel or the filesystem cannot: two renames instead
    raise OSError(err, f"renameat2({a}, {b}): {os.strerror(err)}")


def swap_in(tmp: Path, out: Path) -> None:
    """Put ``tmp`` where ``out`` is, never leaving ``out`` missing where the OS allows it; the
    old ``out`` is removed. Not after a signal (``core.signals``): an interrupted run whose
    KeyboardInterrupt a library caught does not replace anything."""
    signals.check()
    if not out.exists():
        tmp.rename(out)
        return
    if _exchange(tmp, out):
        shutil.rmtree(tmp, ignore_errors=True)  # the old output, now under the temporary name
        return
    backup = out.parent / f".{out.name}.old-{os.getpid()}-{secrets.token_hex(3)}"
    os.rename(out, backup)
    try:
        os.rename(tmp, out)
    except BaseException:
        if backup.exists() and not out.exists():
            os.rename(backup, out)
        raise
    shutil.rmtree(backup, ignore_errors=True)


def new_tmp(out: Path) -> Path:
    """A new, empty hidden sibling of ``out`` to build its replacement in."""
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}-{secrets.token_hex(3)}"
    tmp.mkdir(mode=folder_mode())
    return tmp


@contextmanager
def staged_output(
    out: str | Path,
    overwrite: bool = False,
    inputs: Mapping[str, str | Path | None] | None = None,
    flag: str = "--out",
) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces ``out`` whole, on failure (or Ctrl-C,
    SIGTERM) it is removed and ``out`` is left as it was. ``out`` is claimed for the block
    unless this process already holds it (``flag`` names it in messages)."""
    with claim(out, overwrite=overwrite, inputs=inputs, flag=flag) as held:
        tmp = new_tmp(held.out)
        try:
            yield tmp
            swap_in(tmp, held.out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise


def _copy_for_update(src: Path, dst: Path) -> None:
    """``src`` into the new folder ``dst``: files hard-linked (the same inodes: nothing of
    the user's is rewritten; copied where links fail), ``metadata/`` copied, since that is
    where updates write; symbolic links kept as links."""
    for entry in src.iterdir():
        target = dst / entry.name
        if entry.is_symlink():
            os.symlink(os.readlink(entry), target)
        elif entry.is_dir():
            copy = shutil.copy2 if entry.name == layout.METADATA else _link_or_copy
            shutil.copytree(entry, target, symlinks=True, copy_function=copy)
        else:
            _link_or_copy(entry, target)


def _link_or_copy(src: Any, dst: Any) -> None:
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:
        shutil.copy2(src, dst)


@contextmanager
def staged_update(
    out: str | Path, say: Say = _nothing, require_ours: bool = True
) -> Iterator[Path]:
    """Yield a copy of the existing folder ``out`` to change; on success it replaces ``out``,
    on failure it is removed. Files are hard-linked, so the copy is cheap; write only by
    replacing files (``io.files``) or by unlinking them first."""
    with claim(out, update=True, say=say, require_ours=require_ours) as held:
        tmp = new_tmp(held.out)
        try:
            _copy_for_update(held.out, tmp)
            yield tmp
            swap_in(tmp, held.out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
