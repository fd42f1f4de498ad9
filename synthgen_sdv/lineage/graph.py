"""Exports lineage + schema as a graph: networkx node-link JSON, and arrays for PyTorch Geometric.

Nodes are datasets, columns and jobs; edges are reads, writes, has_column, derives_from (column
lineage), influences (INDIRECT lineage: join keys, filters, group-bys) and foreign_key (from
schema_metadata.json). Every node carries a label: the fault kind that hit it, or ``normal``.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from synthgen_sdv.core.errors import InputError, MissingExtraError
from synthgen_sdv.core.startup import allow_torch
from synthgen_sdv.io import files, layout
from synthgen_sdv.io.reader import read_json
from synthgen_sdv.lineage.faults import FAULTS
from synthgen_sdv.lineage.operations import OPERATIONS
from synthgen_sdv.lineage.verify import read_labels, read_lineage

GRAPH_SCHEMA = "synthgen_sdv.lineage_graph"
GRAPH_VERSION = 1
NODE_TYPES = ("dataset", "column", "job")
LAYERS = ("source", "staging", "core", "mart")
SQL_TYPES = ("BIGINT", "DOUBLE", "VARCHAR", "BOOLEAN", "DATE", "TIMESTAMP")
SUBTYPES = ("IDENTITY", "TRANSFORMATION", "AGGREGATION")
INDIRECT_SUBTYPES = ("JOIN", "FILTER", "GROUP_BY", "SORT", "WINDOW")


def label_names() -> list[str]:
    """Node labels of a step, index = class id: 'normal' first, then every fault kind."""
    return ["normal", *FAULTS]


def _onehot(value: str, options: tuple[str, ...] | list[str]) -> list[float]:
    return [1.0 if value == o else 0.0 for o in options]


def dataset_id(table: str) -> str:
    """Graph node id of a dataset (a table)."""
    return f"dataset:{table}"


def column_id(table: str, column: str) -> str:
    """Graph node id of a column."""
    return f"column:{table}.{column}"


def job_id(step: str) -> str:
    """Graph node id of a job (an ETL step)."""
    return f"job:{step}"


def build_graph(out_dir: str | Path) -> nx.MultiDiGraph:
    """The lineage + schema graph of an output folder (read from its metadata files)."""
    out_dir = Path(out_dir)
    doc = read_lineage(out_dir)
    if "pipeline" not in doc:
        raise InputError(
            f"{out_dir}: {layout.GENERATION_LINEAGE} has no ETL pipeline (the output was made "
            "with --no-lineage, or from your own data); run `python -m synthgen_sdv lineage "
            "DIR` first"
        )
    labels = read_labels(out_dir)
    pipeline = doc["pipeline"]
    table_label: dict[str, str] = {}
    column_label: dict[tuple[str, str], str] = {}
    impacted: set[str] = set()
    for lab in labels:
        for t in lab.get("tables", []):
            table_label[t] = lab["kind"]
            for c in lab.get("columns", []):
                column_label[(t, c)] = lab["kind"]
        impacted.update(lab.get("downstream_tables", []))
    step_label = {lab["step"]: lab["kind"] for lab in labels}

    silo_links = _silo_links(out_dir)
    overlap: dict[str, list[str]] = {}
    for link in silo_links:
        overlap.setdefault(link["table"], []).append(link["links_to"])
        overlap.setdefault(link["links_to"], []).append(link["table"])
    g = nx.MultiDiGraph(
        schema=GRAPH_SCHEMA, version=GRAPH_VERSION, seed=doc.get("seed"), silo_links=silo_links
    )
    key_cols: dict[str, set[str]] = {}
    for s in pipeline["steps"]:
        for o in s["outputs"]:
            key_cols[o["table"]] = set(s["key"])
    for ds in pipeline["datasets"]:
        t = ds["table"]
        declared = ds["schema"]
        actual = ds.get("actual_schema")
        g.add_node(
            dataset_id(t),
            node_type="dataset",
            table=t,
            layer=ds["layer"],
            system=ds.get("system") or "",
            domain=ds.get("domain") or "",
            rows=ds["rows"] if ds["rows"] is not None else -1,
            n_columns=len(declared),
            label=table_label.get(t, "normal"),
            impacted=t in impacted,
            # Ground truth for silo discovery: an undeclared entity overlap, never an edge.
            hidden_overlap_with=",".join(sorted(set(overlap.get(t, [])))),
        )
        columns = list(declared) + [c for c in (actual or {}) if c not in declared]
        for c in columns:
            sql_type = (actual or {}).get(c) or declared.get(c)
            g.add_node(
                column_id(t, c),
                node_type="column",
                table=t,
                column=c,
                sql_type=sql_type,
                declared=c in declared,
                present=(actual is None and ds["rows"] is not None) or c in (actual or {}),
                is_key=c in key_cols.get(t, set()),
                label=column_label.get((t, c), "normal"),
            )
            g.add_edge(dataset_id(t), column_id(t, c), key="has_column", edge_type="has_column")
    for s in pipeline["steps"]:
        j = job_id(s["id"])
        g.add_node(
            j,
            node_type="job",
            step=s["id"],
            operation=s["operation"],
            layer=s["layer"],
            domain=s["domain"],
            status=s["status"],
            rows_in=s["rows_in"],
            rows_out=s["rows_out"],
            duration_ms=s["duration_ms"],
            n_inputs=len(s["inputs"]),
            n_outputs=len(s["outputs"]),
            label=step_label.get(s["id"], "normal"),
            # Text for language models: what the job says it does, and the SQL it ran.
            description=s.get("description") or "",
            sql="\n;\n".join(o["sql"] for o in s["outputs"]),
        )
        for i in s["inputs"]:
            g.add_edge(dataset_id(i["table"]), j, key="reads", edge_type="reads", rows=i["rows"])
        for o in s["outputs"]:
            out_t = o["table"]
            rows = o["rows"] if o["rows"] is not None else -1
            g.add_edge(j, dataset_id(out_t), key="writes", edge_type="writes", rows=rows)
            by_name = {ds["name"]: ds["table"] for ds in pipeline["datasets"]}
            for col, fl in o["columnLineage"]["fields"].items():
                for f in fl["inputFields"]:
                    src = column_id(by_name[f["name"]], f["field"])
                    tr = f["transformations"][0]
                    g.add_edge(
                        src,
                        column_id(out_t, col),
                        key=f"derives_from:{s['id']}",
                        edge_type="derives_from",
                        job=s["id"],
                        subtype=tr["subtype"],
                        masking=bool(tr.get("masking", False)),
                    )
            for f in o["columnLineage"]["dataset"]:
                tr = f["transformations"][0]
                g.add_edge(
                    column_id(by_name[f["name"]], f["field"]),
                    dataset_id(out_t),
                    key=f"influences:{s['id']}:{tr['subtype']}",
                    edge_type="influences",
                    job=s["id"],
                    subtype=tr["subtype"],
                )
    _add_foreign_keys(g, out_dir)
    return g


def _silo_links(out_dir: Path) -> list[dict[str, Any]]:
    """Table pairs that share entities without any declared key (labels.json entity_links)."""
    links = read_json(out_dir / layout.LABELS).get("entity_links", [])
    counts: dict[tuple[str, str], int] = {}
    for link in links:
        pair = (link["table"], link["links_to"]["table"])
        counts[pair] = counts.get(pair, 0) + 1
    return [{"table": a, "links_to": b, "rows": n} for (a, b), n in sorted(counts.items())]


def _add_foreign_keys(g: nx.MultiDiGraph, out_dir: Path) -> None:
    meta = out_dir / layout.SCHEMA_METADATA
    if not meta.exists():
        return
    tables = read_json(meta).get("tables", {})
    for t, info in sorted(tables.items()):
        for fk in info.get("foreign_keys", []) or []:
            child = column_id(t, fk["column"])
            parent = column_id(fk["parent_table"], fk["parent_column"])
            if child in g and parent in g:
                g.add_edge(child, parent, key="foreign_key", edge_type="foreign_key")


# --------------------------------------------------------------------------- arrays
def _features(node: dict[str, Any]) -> list[float]:
    kind = node["node_type"]
    if kind == "dataset":
        rows = max(node["rows"], 0)
        return [
            *_onehot(node["layer"], LAYERS),
            math.log1p(rows),
            float(node["n_columns"]),
            1.0 if node["rows"] < 0 else 0.0,
        ]
    if kind == "column":
        return [
            *_onehot(node["sql_type"] or "", SQL_TYPES),
            float(node["is_key"]),
            float(node["declared"]),
            float(node["present"]),
        ]
    rows_in, rows_out = node["rows_in"], node["rows_out"]
    return [
        *_onehot(node["operation"], list(OPERATIONS)),
        *_onehot(node["layer"], LAYERS),
        math.log1p(rows_in),
        math.log1p(rows_out),
        rows_out / rows_in if rows_in else 0.0,
        node["duration_ms"] / 1000.0,
        1.0 if node["status"] != "COMPLETED" else 0.0,
        float(node["n_inputs"]),
        float(node["n_outputs"]),
    ]


def feature_names() -> dict[str, list[str]]:
    """The names of each node type's feature vector, in the order ``to_pyg`` fills them."""
    return {
        "dataset": [*(f"layer={x}" for x in LAYERS), "log1p_rows", "n_columns", "missing"],
        "column": [*(f"type={x}" for x in SQL_TYPES), "is_key", "declared", "present"],
        "job": [
            *(f"operation={x}" for x in OPERATIONS),
            *(f"layer={x}" for x in LAYERS),
            "log1p_rows_in",
            "log1p_rows_out",
            "rows_out_over_in",
            "duration_s",
            "failed",
            "n_inputs",
            "n_outputs",
        ],
    }


def _edge_features(rel: str, data: dict[str, Any]) -> list[float]:
    if rel == "derives_from":
        return [*_onehot(data["subtype"], SUBTYPES), float(data["masking"])]
    if rel == "influences":
        return _onehot(data["subtype"], INDIRECT_SUBTYPES)
    if rel in ("reads", "writes"):
        return [math.log1p(max(data.get("rows", 0), 0))]
    return [1.0]


def to_arrays(g: nx.MultiDiGraph) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Per-type node features/labels and per-relation edge_index, in PyG's heterograph layout."""
    names = label_names()
    ids: dict[str, list[str]] = {t: [] for t in NODE_TYPES}
    for n, d in g.nodes(data=True):
        ids[d["node_type"]].append(n)
    for t in ids:
        ids[t].sort()
    index = {t: {n: i for i, n in enumerate(ids[t])} for t in NODE_TYPES}
    arrays: dict[str, np.ndarray] = {}
    fnames = feature_names()
    for t in NODE_TYPES:
        x = [_features(g.nodes[n]) for n in ids[t]]
        arrays[f"x__{t}"] = np.asarray(x, dtype=np.float32).reshape(len(ids[t]), len(fnames[t]))
        arrays[f"y__{t}"] = np.asarray([names.index(g.nodes[n]["label"]) for n in ids[t]], np.int64)
    edges: dict[tuple[str, str, str], list[tuple[int, int, list[float]]]] = {}
    for u, v, d in sorted(g.edges(data=True), key=lambda e: (e[0], e[1], e[2]["edge_type"])):
        rel = d["edge_type"]
        st, dt_ = g.nodes[u]["node_type"], g.nodes[v]["node_type"]
        edges.setdefault((st, rel, dt_), []).append(
            (index[st][u], index[dt_][v], _edge_features(rel, d))
        )
    edge_types = []
    for (st, rel, dt_), items in sorted(edges.items()):
        name = f"{st}__{rel}__{dt_}"
        arrays[f"edge_index__{name}"] = np.asarray(
            [[a for a, _, _ in items], [b for _, b, _ in items]], dtype=np.int64
        )
        arrays[f"edge_attr__{name}"] = np.asarray([f for _, _, f in items], dtype=np.float32)
        edge_types.append([st, rel, dt_])
    meta = {
        "schema": GRAPH_SCHEMA,
        "version": GRAPH_VERSION,
        "node_types": list(NODE_TYPES),
        "edge_types": edge_types,
        "node_ids": ids,
        "labels": names,
        "silo_links": g.graph.get("silo_links", []),
        "feature_names": fnames,
        "edge_feature_names": {
            "derives_from": [*SUBTYPES, "masking"],
            "influences": list(INDIRECT_SUBTYPES),
            "reads": ["log1p_rows"],
            "writes": ["log1p_rows"],
            "has_column": ["one"],
            "foreign_key": ["one"],
        },
    }
    return arrays, meta


def export_graph(out_dir: str | Path, prefix: str | Path | None = None) -> dict[str, Path]:
    """Write ``<prefix>.graph.json`` (networkx node-link), ``<prefix>.npz``, ``<prefix>.json``."""
    out_dir = Path(out_dir)
    prefix = Path(prefix) if prefix else out_dir / layout.LINEAGE_GRAPH
    prefix.parent.mkdir(parents=True, exist_ok=True)
    g = build_graph(out_dir)
    graph_path = prefix.with_name(prefix.name + ".graph.json")
    data = nx.node_link_data(g, edges="edges")
    files.write_text(graph_path, json.dumps(data, sort_keys=True, indent=1) + "\n")
    arrays, meta = to_arrays(g)
    npz_path = prefix.with_name(prefix.name + ".npz")
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    files.write_bytes(npz_path, buffer.getvalue())
    meta_path = prefix.with_name(prefix.name + ".json")
    files.write_json(meta_path, meta, indent=1)
    return {"graph": graph_path, "npz": npz_path, "meta": meta_path}


def load_graph(graph_path: str | Path) -> nx.MultiDiGraph:
    """Read a graph written by ``export_graph`` back into networkx."""
    data = json.loads(Path(graph_path).read_text(encoding="utf-8"))
    return nx.node_link_graph(data, edges="edges", directed=True, multigraph=True)


def to_pyg(prefix: str | Path):
    """A torch_geometric HeteroData from the exported arrays (needs the ``pyg`` extra)."""
    allow_torch()
    try:
        import torch
        from torch_geometric.data import HeteroData
    except ImportError:
        raise MissingExtraError(
            "torch_geometric", "pyg", "Building a PyTorch Geometric HeteroData"
        ) from None
    prefix = Path(prefix)
    arrays = np.load(prefix.with_name(prefix.name + ".npz"))
    meta = json.loads(prefix.with_name(prefix.name + ".json").read_text(encoding="utf-8"))
    data = HeteroData()
    for t in meta["node_types"]:
        data[t].x = torch.from_numpy(arrays[f"x__{t}"])
        data[t].y = torch.from_numpy(arrays[f"y__{t}"])
        data[t].node_ids = meta["node_ids"][t]
    for st, rel, dt_ in meta["edge_types"]:
        name = f"{st}__{rel}__{dt_}"
        data[st, rel, dt_].edge_index = torch.from_numpy(arrays[f"edge_index__{name}"])
        data[st, rel, dt_].edge_attr = torch.from_numpy(arrays[f"edge_attr__{name}"])
    data.label_names = meta["labels"]
    return data
