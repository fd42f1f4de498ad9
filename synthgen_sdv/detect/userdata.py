"""Your own data as the rest of the package sees it: typed tables, their SDV metadata, and why.

The metadata dict is SDV's (``METADATA_SPEC_VERSION`` V1) with one extension: ``primary_key``
may be a list of columns (a composite key). Its relationships never form a cycle: foreign keys
left out of the model (``detect.graph``) are in ``left_out``, and the saved file lists them
under ``unmodeled_relationships`` with their reason. ``reasons`` and ``notes`` say what was
detected or changed, so the user can check it and edit the saved file (``save_metadata``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from synthgen_sdv.detect.graph import LeftOut
from synthgen_sdv.io import files

UNMODELED = "unmodeled_relationships"  # the saved file's list of links left out of the model


@dataclass
class UserData:
    """The user's tables (typed), their SDV metadata dict, and what was detected or changed.

    ``types[table][column]`` is the logical type (int, float, string, bool, date, datetime)
    the writers use; ``reasons`` say why each key and relationship was chosen.
    """

    data_dir: Path
    files: dict[str, Path]
    tables: dict[str, pd.DataFrame]
    metadata: dict
    types: dict[str, dict[str, str]]
    notes: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    metadata_file: Path | None = None
    left_out: list[LeftOut] = field(default_factory=list)
    dialects: dict[str, str] = field(default_factory=dict)  # file name -> CSV dialect read

    def document(self) -> dict:
        """The metadata as saved: SDV's dict plus the links left out, with their reasons."""
        doc = dict(self.metadata)
        if self.left_out:
            doc[UNMODELED] = [lo.as_dict() for lo in self.left_out]
        return doc

    def describe(self) -> str:
        """A human summary: tables, keys, relationships (with reasons), notes."""
        source = (
            f"metadata from {self.metadata_file}" if self.metadata_file else "detected metadata"
        )
        lines = [f"{len(self.tables)} tables in {self.data_dir} ({source}):"]
        width = max(map(len, self.tables))
        for name, df in self.tables.items():
            pk = self.metadata["tables"][name].get("primary_key")
            key = f"({', '.join(pk)})" if isinstance(pk, list) else (pk or "no key")
            lines.append(
                f"  {name:<{width}}  {len(df):>8,} rows  {df.shape[1]:>3} columns  key {key}"
            )
        rels = self.metadata.get("relationships", [])
        if rels:
            lines.append("relationships:")
            for r in rels:
                lines.append(
                    f"  {r['child_table_name']}.{r['child_foreign_key']} -> "
                    f"{r['parent_table_name']}.{r['parent_primary_key']}"
                )
        if self.left_out:
            lines.append("left out of the model (values re-attached after sampling):")
            lines.extend(f"  {lo.relationship.label()}" for lo in self.left_out)
        if self.dialects:
            groups: dict[str, list[str]] = {}
            for name, dialect in self.dialects.items():
                groups.setdefault(dialect, []).append(name)
            for dialect, names in groups.items():
                which = f"all {len(names)} files" if len(groups) == 1 else ", ".join(names)
                lines.append(f"read as {dialect} ({which})")
        for title, items in (("why:", self.reasons), ("notes:", self.notes)):
            if items:
                lines.append(title)
                lines.extend(f"  - {x}" for x in items)
        return "\n".join(lines)


def save_metadata(user: UserData, path: str | Path) -> Path:
    """Write the metadata as editable JSON (pass it back with ``--metadata``); return the path."""
    return files.write_json(Path(path), user.document())
