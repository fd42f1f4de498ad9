"""`export-graph`: the lineage + schema graph of an output folder, for networkx and PyG."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``export-graph``."""
    p = subparsers.add_parser(
        "export-graph",
        help="write the lineage + schema graph (networkx node-link JSON, PyG arrays)",
        description=(
            "Build a graph of datasets, columns and jobs (edges: reads, writes, has_column, "
            "derives_from, influences, foreign_key) with node/edge features and fault labels. "
            "Writes PREFIX.graph.json (networkx node-link), PREFIX.npz (x, y, edge_index, "
            "edge_attr per type) and PREFIX.json (type maps, feature names, label names)."
        ),
    )
    p.add_argument("out_dir", type=Path, metavar="DIR", help="output folder with metadata/")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="FILE_PREFIX",
        help="path prefix of the files (default: DIR/metadata/lineage_graph)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Export the graph; print its size and the files written."""
    from synthgen_sdv.runs.lineage import run_export_graph

    paths, g = run_export_graph(args.out_dir, args.out)
    print(
        f"graph: {g.number_of_nodes()} nodes, {g.number_of_edges()} edges -> "
        + ", ".join(str(p) for p in paths.values())
    )
    return 0
