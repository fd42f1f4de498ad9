"""Your own data as the rest of the package sees it: typed tables, their SDV metadata, and why.

The metadata dict is SDV's (``METADATA_SPEC_VERSION`` V1) with one extension: ``primary_key``
may be a list of columns (a composite key). ``reasons`` and ``notes`` say what was detected or
changed, so the user can check it and edit the saved file (``save_metadata``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from synthgen_sdv.io import files


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
        for title, items in (("why:", self.reasons), ("notes:", self.notes)):
            if items:
                lines.append(title)
                lines.extend(f"  - {x}" for x in items)
        return "\n".join(lines)


def save_metadata(user: UserData, path: str | Path) -> Path:
    """Write the metadata as editable JSON (pass it back with ``--metadata``); return the path."""
    return files.write_json(Path(path), user.metadata)
