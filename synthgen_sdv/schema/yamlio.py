"""YAML loading that is bounded and remembers the line of every key, so errors point into the file.

Config files are untrusted input. ``parse_yaml`` reads one with PyYAML's safe loader and
refuses, as config errors with the file, line and YAML path:

- files over ``MAX_YAML_BYTES`` and nesting deeper than ``MAX_YAML_DEPTH``;
- alias bombs: anchors and aliases are allowed (``<<: *defaults`` is handy), but the document
  they expand to may have at most ``MAX_YAML_NODES`` nodes, and an alias inside its own anchor
  is refused. The size is counted on the composed node graph, where an alias is the same node
  object as its anchor, so nothing is ever expanded to count it, and the line map walks each
  node once;
- duplicate keys in one mapping (YAML itself keeps the last one silently);
- scalars that look like a date or a number but are not one (``2005-02-30``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from synthgen_sdv.core import bounds
from synthgen_sdv.core.errors import ConfigError, Problem

LineMap = dict[tuple[str, ...], int]
_MERGE = "tag:yaml.org,2002:merge"


class _Refused(yaml.YAMLError):
    """A problem at one node, found while composing or constructing the document."""

    def __init__(self, node_or_mark: Any, message: str):
        super().__init__(message)
        self.node = node_or_mark if isinstance(node_or_mark, yaml.Node) else None
        self.mark = node_or_mark.start_mark if self.node is not None else node_or_mark
        self.message = message


class _Loader(yaml.SafeLoader):
    """The safe loader with a depth limit, duplicate-key detection and scalar errors that
    name their node instead of escaping as a bare ValueError."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.depth = 0
        # (mapping, repeated key node, key, first key node)
        self.duplicates: list[tuple[yaml.Node, yaml.Node, Any, yaml.Node]] = []

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.depth += 1
        try:
            if self.depth > bounds.MAX_YAML_DEPTH:
                raise _Refused(
                    self.peek_event().start_mark,
                    f"nested more than {bounds.MAX_YAML_DEPTH} levels deep",
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:  # 2005-02-30, a 10,000-digit number
            raise _Refused(node, f"invalid value {_clip(node.value)}: {exc}") from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, yaml.Node] = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE:
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    if key in seen:
                        self.duplicates.append((node, key_node, key, seen[key]))
                    else:
                        seen[key] = key_node
                except TypeError:
                    pass  # an unhashable key: the safe constructor reports it below
        return super().construct_mapping(node, deep=deep)


def _clip(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else type(value).__name__
    return text if len(text) <= 60 else text[:57] + "..."


def _expanded_size(root: yaml.Node) -> tuple[int, int]:
    """(nodes, depth) of the document with every alias expanded, computed once per node object
    (without recursion and without expanding); an alias inside its own anchor is refused."""
    size: dict[int, tuple[int, int]] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            kids = _children(node)
            nodes = 1 + sum(size[id(k)][0] for k in kids)
            depth = 1 + max((size[id(k)][1] for k in kids), default=0)
            size[key] = (nodes, depth)
            continue
        if key in size:
            continue
        if key in on_path:
            raise _Refused(node, "an alias refers to the anchor it is inside (a recursive alias)")
        on_path.add(key)
        stack.append((node, True))
        for kid in _children(node):
            if id(kid) in on_path:
                raise _Refused(
                    kid, "an alias refers to the anchor it is inside (a recursive alias)"
                )
            if id(kid) not in size:
                stack.append((kid, False))
    return size[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _walk(root: yaml.Node, lines: LineMap, paths: dict[int, tuple[str, ...]]) -> None:
    """Line of every key path, each node visited once (an alias's subtree keeps the lines of
    its anchor), and the first path of every node (for errors found later)."""
    stack: list[tuple[yaml.Node, tuple[str, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if id(node) in paths:
            continue
        paths[id(node)] = path
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = (*path, str(key.value))
                lines.setdefault(child, key.start_mark.line + 1)
                paths.setdefault(id(key), child)
                stack.append((value, child))
        elif isinstance(node, yaml.SequenceNode):
            for i, value in enumerate(node.value):
                stack.append((value, (*path, str(i))))


def parse_yaml(
    text: str,
    file: str | None = None,
    max_nodes: int = bounds.MAX_YAML_NODES,
    max_chars: int = bounds.MAX_YAML_BYTES,
) -> tuple[Any, LineMap]:
    """Parse YAML ``text`` (from ``file``, for messages) into plain values and a map from key
    path to line; anything unbounded, ambiguous or invalid raises ConfigError. ``max_nodes``:
    ``max_chars``: the sizes allowed (a document we wrote ourselves may be larger than a
    config)."""

    def refuse(path: tuple[str, ...] | None, line: int | None, message: str) -> ConfigError:
        where = format_loc(path) if path else "(syntax)"
        return ConfigError([Problem(path=where, message=message, file=file, line=line)])

    if len(text) > max_chars:
        raise refuse(
            None, None, f"file is {len(text):,} characters long; the limit is {max_chars:,}"
        )
    lines: LineMap = {}
    paths: dict[int, tuple[str, ...]] = {}
    loader = None
    try:
        loader = _Loader(text)  # PyYAML's reader refuses control characters (NUL) here
        node = loader.get_single_node()
        if node is None:
            return None, lines
        _walk(node, lines, paths)
        nodes, depth = _expanded_size(node)
        if nodes > max_nodes or depth > bounds.MAX_YAML_DEPTH:
            # aliases multiply a document only when expanded it is much bigger than written
            aliased = nodes > 2 * len(paths)
            raise refuse(
                None,
                None,
                ("with its aliases expanded the document" if aliased else "the document")
                + f" has {nodes:,} nodes and is {depth} levels deep; the limits are "
                f"{max_nodes:,} nodes and {bounds.MAX_YAML_DEPTH} levels"
                + (" (an alias bomb?)" if aliased else ""),
            )
        data = loader.construct_document(node)
    except _Refused as exc:
        path = paths.get(id(exc.node)) if exc.node is not None else None
        raise refuse(path, exc.mark.line + 1 if exc.mark else None, exc.message) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        char = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        raise refuse(
            None, line, f"not valid YAML: the character {char} is not allowed in YAML text"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).replace("\n", " ")
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise refuse(
            None, mark.line + 1 if mark else None, f"not valid YAML: {problem}{where}"
        ) from None
    except RecursionError:
        raise refuse(None, None, "nested too deeply to read") from None
    finally:
        if loader is not None:
            loader.dispose()
    if loader.duplicates:
        problems = []
        for mapping, key_node, key, first in loader.duplicates:
            path = (*paths.get(id(mapping), ()), str(key))
            problems.append(
                Problem(
                    path=format_loc(path),
                    message=f"duplicate key {key!r} (first on line {first.start_mark.line + 1}); "
                    "YAML would keep only the last one: remove or rename one of them",
                    file=file,
                    line=key_node.start_mark.line + 1,
                )
            )
        raise ConfigError(problems)
    return data, lines


def read_config_text(path: Path) -> str:
    """A config file's text, bounded (``bounds.read_text_file``); any problem reading it is a
    ConfigError naming the file."""

    def refuse(message: str) -> ConfigError:
        return ConfigError([Problem(path="(file)", message=message, file=str(path))])

    try:
        return bounds.read_text_file(path, bounds.MAX_YAML_BYTES)
    except FileNotFoundError:
        raise refuse("file not found") from None
    except bounds.UnreadableFile as exc:
        raise refuse(str(exc)) from None
    except OSError as exc:
        raise refuse(f"cannot read: {exc}") from None


def load_yaml(path: Path) -> tuple[Any, LineMap]:
    """Read and parse a YAML file (``parse_yaml``), with the file named in every problem."""
    return parse_yaml(read_config_text(path), str(path))


def line_map(text: str) -> LineMap:
    """The line of every key path of YAML ``text`` made in memory (``load_yaml`` reads a file)."""
    lines: LineMap = {}
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if node is not None:
        _walk(node, lines, {})
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
