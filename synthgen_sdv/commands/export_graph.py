"""`export-graph`: the lineage + schema graph of an output folder, for networkx and PyG."""

from __future__ import annotations

import argparse

from synthgen_sdv.commands.common import (
    add_dir_arg,
    add_out,
    claimed,
    echo,
    input_dir,
    note,
    refuse_given,
)

GRAPH_NAME = "lineage_graph"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``export-graph``."""
    p = subparsers.add_parser(
        "export-graph",
        help="write the lineage + schema graph (networkx node-link JSON, PyG arrays)",
        description=(
            "Build a graph of datasets, columns and jobs (edges: reads, writes, has_column, "
            "derives_from, influences, foreign_key) with node/edge features and fault labels. "
            "Writes lineage_graph.graph.json (networkx node-link), lineage_graph.npz (x, y, "
            "edge_index, edge_attr per type) and lineage_graph.json (type maps, feature names, "
            "label names) into DIR/metadata/, or into the folder --out."
        ),
    )
    add_dir_arg(p, "output folder with metadata/")
    add_out(p, "DIR/metadata")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Export the graph (into DIR, updated whole, or into the folder --out); print its size."""
    from synthgen_sdv.io import layout
    from synthgen_sdv.io.output import staged_output, staged_update
    from synthgen_sdv.runs.lineage import run_export_graph

    folder = input_dir(args, "export-graph")
    if args.out is None:
        refuse_given(
            args, ("overwrite",), "it applies to --out (the graph in DIR is always replaced)"
        )
        with staged_update(folder, say=note) as tmp:
            paths, g = run_export_graph(tmp, tmp / layout.LINEAGE_GRAPH)
        where = folder / layout.LINEAGE_GRAPH
    else:
        with claimed(args, args.out, {"DIR": folder}), staged_output(args.out) as tmp:
            paths, g = run_export_graph(folder, tmp / GRAPH_NAME)
        where = args.out / GRAPH_NAME
    names = ", ".join(str(where.with_name(p.name)) for p in paths.values())
    echo(f"graph: {g.number_of_nodes()} nodes, {g.number_of_edges()} edges -> {names}")
    return 0
