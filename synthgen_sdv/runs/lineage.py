"""The ETL lineage over an existing output folder: run it, prove its labels, export its graph."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx

from synthgen_sdv.io import files, layout
from synthgen_sdv.io.reader import read_json
from synthgen_sdv.lineage.graph import build_graph, export_graph
from synthgen_sdv.lineage.runner import LineageRun
from synthgen_sdv.lineage.verify import VerifyReport, verify_lineage
from synthgen_sdv.lineage.writer import run_for_output

DEFAULT_SEED = 42


def output_seed(out_dir: Path, seed: int | None = None) -> int:
    """``seed``, else the seed in the folder's schema_metadata.json, else 42."""
    if seed is not None:
        return seed
    meta = out_dir / layout.SCHEMA_METADATA
    if meta.exists():
        return int(read_json(meta).get("seed", DEFAULT_SEED))
    return DEFAULT_SEED


def run_lineage(
    out_dir: Path,
    seed: int | None = None,
    spec_path: Path | None = None,
    progress: bool = False,
) -> LineageRun:
    """Execute the lineage pipeline over ``out_dir``'s data and write every lineage output."""
    return run_for_output(
        out_dir, output_seed(out_dir, seed), spec_path=spec_path, progress=progress
    )


def run_verify_lineage(out_dir: Path, json_path: Path | None = None) -> VerifyReport:
    """Prove every lineage label from the stored data; write the problems to ``json_path``."""
    report = verify_lineage(out_dir)
    if json_path:
        doc: dict[str, Any] = {
            "ok": report.ok,
            "summary": report.summary(),
            "problems": report.problems,
        }
        files.write_json(json_path, doc)
    return report


def run_export_graph(
    out_dir: Path, prefix: Path | None = None
) -> tuple[dict[str, Path], nx.MultiDiGraph]:
    """Write the lineage + schema graph files; return their paths and the graph."""
    paths = export_graph(out_dir, prefix)
    return paths, build_graph(out_dir)
