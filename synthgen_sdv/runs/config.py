"""The whole project configuration: tables.yml and config.yaml (``schema``) plus lineage.yml.

lineage.yml is validated against the lineage stage's plug-ins (operations, faults), so it is
joined here, above both layers, and its problems are reported with the others, at once.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from synthgen_sdv.core.errors import ConfigError
from synthgen_sdv.lineage.spec import load_lineage_spec
from synthgen_sdv.schema.loader import LINEAGE_FILE, LoadedConfig, load_config
from synthgen_sdv.schema.plan import Plan, resolve_plan


def load_project(config_dir: Path | None = None) -> LoadedConfig:
    """tables.yml and config.yaml, plus lineage.yml when the folder has one."""
    loaded = load_config(config_dir)
    path = loaded.config_dir / LINEAGE_FILE
    if not path.exists():
        return loaded
    names = set(loaded.tables.tables) | set(loaded.invalid_tables)
    try:
        lineage = load_lineage_spec(path, names)
    except ConfigError as exc:
        return replace(loaded, problems=(*loaded.problems, *exc.problems))
    return replace(loaded, lineage=lineage)


def project_plan(
    config_dir: Path | None = None, seed: int | None = None, scale: float | None = None
) -> Plan:
    """Load and resolve: every problem of every file is raised together as one ConfigError."""
    return resolve_plan(load_project(config_dir), seed=seed, scale=scale)
