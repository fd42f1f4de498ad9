"""Table and column names are identifiers: one rule, checked wherever a name enters.

A table name becomes a file name (``data/<table>.parquet``) and a SQL identifier, and a name can
come from someone else (a config, a file name in a folder of CSVs, a metadata file, an output
folder). So names are checked where they enter (config loader, detection, declared metadata,
schema_metadata.json), and ``io.layout`` refuses them again where paths are built.

The rule (documented in the README):

* table names: letters, digits, ``_``, ``-``, ``.`` and spaces; they start with a letter, a
  digit or ``_`` (so never ``.``, ``..`` or a hidden file) and do not end with a space or a
  dot; at most 128 characters and 200 bytes in UTF-8 (a file name holds 255 bytes);
* column names: any printable characters except ``/`` and ``\\``; not ``.`` or ``..``; at
  most 128 characters;
* neither may be empty.

Letters and digits are Unicode ones (``str.isalnum``), so ``kunden`` and ``顧客`` are fine.
"""

from __future__ import annotations

from synthgen_sdv.core.errors import InputError

MAX_CHARS = 128
MAX_TABLE_BYTES = 200
TABLE_EXTRA = frozenset("_-. ")

TABLE_RULE = (
    "letters, digits, '_', '-', '.' and spaces, starting with a letter, digit or '_', "
    f"not ending with a space or '.', at most {MAX_CHARS} characters"
)
COLUMN_RULE = f"printable characters except '/' and '\\', at most {MAX_CHARS} characters"


def _shown(name: object) -> str:
    text = repr(name)
    return text if len(text) <= 40 else text[:37] + "...'"


def table_name_problem(name: object) -> str | None:
    """Why ``name`` is not a valid table name, or None when it is."""
    if not isinstance(name, str):
        return f"table name {_shown(name)} is not text"
    if not name:
        return "a table name is empty"
    if len(name) > MAX_CHARS or len(name.encode("utf-8")) > MAX_TABLE_BYTES:
        return f"table name {_shown(name)} has {len(name)} characters; the limit is {MAX_CHARS}"
    bad = sorted({c for c in name if not (c.isalnum() or c in TABLE_EXTRA)})
    if bad:
        return f"table name {_shown(name)} contains {_chars(bad)}; allowed: {TABLE_RULE}"
    if not (name[0].isalnum() or name[0] == "_"):
        return f"table name {_shown(name)} starts with {name[0]!r}; allowed: {TABLE_RULE}"
    if name[-1] in " .":
        return f"table name {_shown(name)} ends with {name[-1]!r}; allowed: {TABLE_RULE}"
    return None


def column_name_problem(name: object) -> str | None:
    """Why ``name`` is not a valid column name, or None when it is."""
    if not isinstance(name, str):
        return f"column name {_shown(name)} is not text"
    if not name:
        return "a column name is empty"
    if len(name) > MAX_CHARS:
        return f"column name {_shown(name)} has {len(name)} characters; the limit is {MAX_CHARS}"
    if name in (".", ".."):
        return f"column name {name!r} is not allowed"
    bad = sorted({c for c in name if c in "/\\" or not c.isprintable()})
    if bad:
        return f"column name {_shown(name)} contains {_chars(bad)}; allowed: {COLUMN_RULE}"
    return None


def _chars(chars: list[str]) -> str:
    return ", ".join(repr(c) for c in chars[:5]) + (" ..." if len(chars) > 5 else "")


def check_table_name(name: object, where: str = "") -> str:
    """``name`` if it is a valid table name; else InputError (``where`` says where it came
    from: a file, a metadata key)."""
    problem = table_name_problem(name)
    if problem:
        raise InputError(f"{where}: {problem}" if where else problem)
    return name  # type: ignore[return-value]


def check_column_name(name: object, where: str = "") -> str:
    """``name`` if it is a valid column name; else InputError naming ``where``."""
    problem = column_name_problem(name)
    if problem:
        raise InputError(f"{where}: {problem}" if where else problem)
    return name  # type: ignore[return-value]


def metadata_name_problems(metadata: dict, where: str) -> list[str]:
    """Every invalid table or column name of an SDV-style metadata dict (``tables`` ->
    ``columns``), each prefixed with ``where`` and the key path."""
    problems = []
    tables = metadata.get("tables") if isinstance(metadata, dict) else None
    for table, spec in (tables or {}).items():
        problem = table_name_problem(table)
        if problem:
            problems.append(f"{where}: tables: {problem}")
            continue
        columns = spec.get("columns") if isinstance(spec, dict) else None
        for column in columns or {}:
            problem = column_name_problem(column)
            if problem:
                problems.append(f"{where}: tables.{table}.columns: {problem}")
    return problems
