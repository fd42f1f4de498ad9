"""YAML loading that remembers the line of every key, so errors can point into the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from synthgen_sdv.core.errors import ConfigError, Problem

LineMap = dict[tuple[str, ...], int]


def _walk(node: yaml.Node, path: tuple[str, ...], lines: LineMap) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, str(key.value))
            lines[child] = key.start_mark.line + 1
            _walk(value, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, value in enumerate(node.value):
            _walk(value, (*path, str(i)), lines)


def load_yaml(path: Path) -> tuple[Any, LineMap]:
    """Parse a YAML file into plain Python values plus a map from key path to line number."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [Problem(path="(file)", message="file not found", file=str(path))]
        ) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(
            [
                Problem(
                    path="(syntax)",
                    message=str(exc).replace("\n", " "),
                    file=str(path),
                    line=mark.line + 1 if mark else None,
                )
            ]
        ) from None
    lines: LineMap = {}
    if node is not None:
        _walk(node, (), lines)
    return data, lines


def line_map(text: str) -> LineMap:
    """The line of every key path of YAML ``text`` made in memory (``load_yaml`` reads a file)."""
    lines: LineMap = {}
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if node is not None:
        _walk(node, (), lines)
    return lines


def line_for(lines: LineMap, loc: tuple[Any, ...]) -> int | None:
    """The line of the deepest known prefix of a location."""
    key = tuple(str(p) for p in loc)
    while key:
        if key in lines:
            return lines[key]
        key = key[:-1]
    return None


def format_loc(loc: tuple[Any, ...]) -> str:
    """('tables', 'orders', 'columns', 'x') -> 'tables.orders.columns.x'; list indexes as [i]."""
    out = ""
    for part in loc:
        if isinstance(part, int) or (isinstance(part, str) and part.isdigit()):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
