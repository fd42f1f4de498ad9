"""Library code replaced by ours for a block, and put back after: ``Swap``.

Our synthesizer's fit and sample run faster replacements of a few RDT and SDV functions (the
same answers, tested against the originals), and the comparison report bounds the column pairs
SDMetrics scores (``evaluate.metrics.pairs``). They are in force only while a block holds the
swap, so stock SDV and SDMetrics run elsewhere in the process keep the libraries' own code.
Blocks nest (fit inside a comparison inside a run): the originals come back when the outermost
ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_MISSING = object()


class Swap:
    """``(owner, name, ours)`` targets: an attribute of a module or class, or a key of a dict
    (``copy._deepcopy_dispatch``), set to ``ours`` while a ``with swap():`` block runs."""

    def __init__(self, *targets: tuple[Any, Any, Any]):
        self.targets = targets
        self.depth = 0
        self.saved: list[Any] = []

    @contextmanager
    def __call__(self) -> Iterator[None]:
        """The block: ours in force; the originals back when the outermost block ends."""
        if self.depth == 0:
            self.saved = [_get(owner, name) for owner, name, _ in self.targets]
            for owner, name, ours in self.targets:
                _put(owner, name, ours)
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
            if self.depth == 0:
                for (owner, name, _), value in zip(self.targets, self.saved, strict=True):
                    _put(owner, name, value)


def _get(owner: Any, name: Any) -> Any:
    """The value as stored (a class's own function, not a bound or inherited one)."""
    if isinstance(owner, dict):
        return owner.get(name, _MISSING)
    return vars(owner).get(name, _MISSING)


def _put(owner: Any, name: Any, value: Any) -> None:
    if isinstance(owner, dict):
        if value is _MISSING:
            owner.pop(name, None)
        else:
            owner[name] = value
    elif value is _MISSING:
        delattr(owner, name)
    else:
        setattr(owner, name, value)
