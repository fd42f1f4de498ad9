"""A tiny named-plugin registry: column kinds, anomaly kinds, writers, engines, synthesizers."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from synthgen_sdv.core.errors import InputError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps a name to a plug-in; an unknown name lists the known ones and the closest match."""

    def __init__(self, what: str):
        self.what = what
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """A decorator that registers a plug-in under ``name`` (twice is an error)."""

        def decorator(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.what} '{name}' is registered twice")
            self._items[name] = obj
            return obj

        return decorator

    def get(self, name: str) -> T:
        """The plug-in named ``name``; an unknown name raises InputError with a hint."""
        try:
            return self._items[name]
        except KeyError:
            raise InputError(self.unknown_message(name)) from None

    def unknown_message(self, name: str) -> str:
        """The error text for an unknown name: the known ones and the closest match."""
        known = ", ".join(sorted(self._items))
        close = difflib.get_close_matches(name, list(self._items), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"unknown {self.what} '{name}'; known: {known}{hint}"

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))

    def items(self) -> list[tuple[str, T]]:
        """(name, plug-in) pairs sorted by name, so unions built from them are stable."""
        return sorted(self._items.items())
