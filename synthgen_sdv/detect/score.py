"""Detected keys scored against declared ones: precision and recall, primary and foreign keys.

``score_keys(detected_metadata, keys)`` takes the metadata detection wrote (SDV dict; a
composite key is a list; links left out of the model are in ``unmodeled_relationships``) and
a corpus ``keys.json`` (``tables: {t: {primary_key}}``, ``foreign_keys: [{child, column,
parent, parent_column}]``). A primary key counts as found when it is the declared column or
the same set of columns; a table declared and detected without a key counts for neither. A
foreign key is found when child, column, parent and parent key all agree.

When the declared foreign keys to a table all reference one unique column other than its
declared primary key (MIMIC-III: ``ROW_ID`` is the key, every link uses ``HADM_ID``), that
column is the key to find: SDV's metadata links a child to its parent's primary key only, so
the referenced column is the only key that can carry those links.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class KindScore:
    """Precision and recall of one kind of key, with what was found, missed and invented."""

    found: list = field(default_factory=list)
    missed: list = field(default_factory=list)
    invented: list = field(default_factory=list)

    @property
    def precision(self) -> float:
        """Share of detected keys that are declared (1.0 when nothing was detected)."""
        n = len(self.found) + len(self.invented)
        return len(self.found) / n if n else 1.0

    @property
    def recall(self) -> float:
        """Share of declared keys that were detected (1.0 when nothing is declared)."""
        n = len(self.found) + len(self.missed)
        return len(self.found) / n if n else 1.0

    def as_dict(self) -> dict[str, Any]:
        """Counts, precision, recall and the lists (JSON-ready)."""
        return {
            "declared": len(self.found) + len(self.missed),
            "detected": len(self.found) + len(self.invented),
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "found": self.found,
            "missed": self.missed,
            "invented": self.invented,
        }


@dataclass
class KeyScore:
    """Primary and foreign keys scored separately."""

    primary: KindScore
    foreign: KindScore

    def as_dict(self) -> dict[str, Any]:
        """``{"primary_keys": ..., "foreign_keys": ...}``."""
        return {"primary_keys": self.primary.as_dict(), "foreign_keys": self.foreign.as_dict()}


def _pk_label(table: str, key) -> str:
    if isinstance(key, list | tuple):
        return f"{table}({', '.join(key)})"
    return f"{table}.{key}"


def _same_key(a, b) -> bool:
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return set(a) == set(b) and len(a) == len(b)
    if isinstance(a, list | tuple) and len(a) == 1:
        return a[0] == b
    if isinstance(b, list | tuple) and len(b) == 1:
        return b[0] == a
    return a == b


def referenced_key(keys: dict[str, Any], table: str) -> str | None:
    """The one column other than ``table``'s declared primary key that every declared foreign
    key to it references, or None (see the module docstring)."""
    declared = keys.get("tables", {}).get(table, {}).get("primary_key")
    used = {f["parent_column"] for f in keys.get("foreign_keys", []) if f["parent"] == table}
    if len(used) == 1 and not _same_key(declared, next(iter(used))):
        return next(iter(used))
    return None


def score_keys(detected_metadata: dict[str, Any], keys: dict[str, Any]) -> KeyScore:
    """Detected primary and foreign keys against the declared ``keys`` (see module)."""
    pk = KindScore()
    tables = detected_metadata.get("tables", {})
    for table, declared in keys.get("tables", {}).items():
        want = referenced_key(keys, table) or declared.get("primary_key")
        got = tables.get(table, {}).get("primary_key")
        if want and got and _same_key(want, got):
            pk.found.append(_pk_label(table, want))
            continue
        if want:
            pk.missed.append(_pk_label(table, want))
        if got:
            pk.invented.append(_pk_label(table, got))
    fk = KindScore()
    rels = [
        *detected_metadata.get("relationships", []),
        *detected_metadata.get("unmodeled_relationships", []),
    ]
    detected = {
        (
            r["child_table_name"],
            r["child_foreign_key"],
            r["parent_table_name"],
            r["parent_primary_key"],
        )
        for r in rels
    }
    declared = {
        (f["child"], f["column"], f["parent"], f["parent_column"])
        for f in keys.get("foreign_keys", [])
    }
    label = "{0}.{1} -> {2}.{3}".format
    fk.found = sorted(label(*k) for k in detected & declared)
    fk.missed = sorted(label(*k) for k in declared - detected)
    fk.invented = sorted(label(*k) for k in detected - declared)
    return KeyScore(pk, fk)
