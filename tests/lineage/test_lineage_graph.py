"""Graph export: loads in networkx with the node and edge counts of the lineage file, carries
labels and foreign keys, and has PyG-shaped arrays; to_pyg needs the optional extra."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import yaml

from synthgen_sdv.cli import main
from synthgen_sdv.core.errors import MissingExtraError
from synthgen_sdv.lineage.graph import label_names, load_graph, to_pyg


@pytest.fixture(scope="module")
def exported(lineage_out, tmp_path_factory):
    # A private copy: schema_metadata.json is added, the shared run stays as the CLI wrote it.
    root = tmp_path_factory.mktemp("graph")
    lineage_out = Path(shutil.copytree(lineage_out, root / "out"))
    meta = lineage_out / "metadata" / "schema_metadata.json"
    meta.write_text(json.dumps({"tables": {
        "orders": {"foreign_keys": [
            {"column": "customer_id", "parent_table": "customers", "parent_column": "customer_id"},
            {"column": "store_id", "parent_table": "stores", "parent_column": "store_id"},
        ]},
    }}))  # fmt: skip
    labels_path = lineage_out / "metadata" / "labels.json"
    labels = json.loads(labels_path.read_text())
    labels["entity_links"] = [
        {"table": "legacy_customers", "key": "LC-000001",
         "links_to": {"table": "customers", "key": 3}, "via": "source_customer"},
    ]  # fmt: skip
    labels_path.write_text(json.dumps(labels))
    prefix = root / "g" / "lineage_graph"  # --out is a folder; the files are lineage_graph.*
    assert main(["export-graph", str(lineage_out), "--out", str(prefix.parent)]) == 0
    doc = yaml.safe_load((lineage_out / "metadata" / "generation_lineage.yaml").read_text())
    return prefix, doc


def _expected_counts(doc) -> dict[str, int]:
    pipe = doc["pipeline"]
    n_cols = 0
    for ds in pipe["datasets"]:
        cols = set(ds["schema"]) | set(ds.get("actual_schema") or {})
        n_cols += len(cols)
    derives, influences = set(), set()
    for s in pipe["steps"]:
        for o in s["outputs"]:
            for col, f in o["columnLineage"]["fields"].items():
                for i in f["inputFields"]:
                    derives.add((i["name"], i["field"], o["table"], col, s["id"]))
            for i in o["columnLineage"]["dataset"]:
                sub = i["transformations"][0]["subtype"]
                influences.add((i["name"], i["field"], o["table"], s["id"], sub))
    return {
        "dataset": len(pipe["datasets"]),
        "column": n_cols,
        "job": len(pipe["steps"]),
        "reads": sum(len(s["inputs"]) for s in pipe["steps"]),
        "writes": sum(len(s["outputs"]) for s in pipe["steps"]),
        "has_column": n_cols,
        "derives_from": len(derives),
        "influences": len(influences),
        "foreign_key": 2,
    }


def test_graph_loads_in_networkx_with_the_lineage_counts(exported):
    prefix, doc = exported
    g = load_graph(prefix.with_name("lineage_graph.graph.json"))
    assert isinstance(g, nx.MultiDiGraph)
    want = _expected_counts(doc)
    by_type = {}
    for _, d in g.nodes(data=True):
        by_type[d["node_type"]] = by_type.get(d["node_type"], 0) + 1
    assert by_type == {k: want[k] for k in ("dataset", "column", "job")}
    edges = {}
    for _, _, d in g.edges(data=True):
        edges[d["edge_type"]] = edges.get(d["edge_type"], 0) + 1
    assert edges == {k: v for k, v in want.items() if k not in ("dataset", "column", "job")}
    assert g.number_of_nodes() == sum(by_type.values())
    # Plain networkx JSON, no project code needed to read it.
    raw = json.loads(prefix.with_name("lineage_graph.graph.json").read_text())
    assert nx.node_link_graph(raw, edges="edges").number_of_edges() == g.number_of_edges()


def test_graph_carries_labels_and_lineage_paths(exported):
    prefix, _ = exported
    g = load_graph(prefix.with_name("lineage_graph.graph.json"))
    assert g.nodes["job:build_fact_sales"]["label"] == "partial_join"
    assert g.nodes["dataset:fact_sales"]["label"] == "partial_join"
    assert g.nodes["job:extract_orders"]["label"] == "normal"
    assert "INNER JOIN" in g.nodes["job:build_fact_sales"]["sql"]
    assert g.nodes["column:mart_customer_value.lifetime_revenue"]["label"] == "unit_scale_change"
    assert g.nodes["column:mart_store_staffing.average_salary_usd"]["declared"] is False
    assert g.has_edge("column:orders.customer_id", "column:customers.customer_id")
    # Column-level path from a source column to a mart measure.
    assert nx.has_path(g, "column:transactions.amount", "column:mart_daily_sales.revenue")
    silo = nx.node_connected_component(g.to_undirected(as_view=True), "dataset:legacy_customers")
    assert "dataset:customers" not in silo
    assert g.nodes["dataset:legacy_customers"]["hidden_overlap_with"] == "customers"
    assert g.graph["silo_links"] == [
        {"table": "legacy_customers", "links_to": "customers", "rows": 1}
    ]


def test_arrays_match_the_graph(exported):
    prefix, doc = exported
    arrays = np.load(prefix.with_name("lineage_graph.npz"))
    meta = json.loads(prefix.with_name("lineage_graph.json").read_text())
    want = _expected_counts(doc)
    for t in ("dataset", "column", "job"):
        x, y = arrays[f"x__{t}"], arrays[f"y__{t}"]
        assert x.shape == (want[t], len(meta["feature_names"][t])) and y.shape == (want[t],)
        assert len(meta["node_ids"][t]) == want[t]
    assert meta["labels"] == label_names()
    job_y = arrays["y__job"]
    assert (job_y > 0).sum() == len(doc["pipeline"]["fault_kinds"])
    total = 0
    for st, rel, dt in meta["edge_types"]:
        ei = arrays[f"edge_index__{st}__{rel}__{dt}"]
        assert ei.shape[0] == 2 and ei.dtype == np.int64
        assert ei[0].max() < want[st] and ei[1].max() < want[dt]
        assert arrays[f"edge_attr__{st}__{rel}__{dt}"].shape[0] == ei.shape[1]
        total += ei.shape[1]
    assert total == sum(v for k, v in want.items() if k not in ("dataset", "column", "job"))


def test_to_pyg(exported):
    prefix, _ = exported
    try:
        import torch_geometric  # noqa: F401
    except ImportError:
        with pytest.raises(MissingExtraError, match="pip install"):
            to_pyg(prefix)
        return
    data = to_pyg(prefix)
    assert data["job"].x.shape[0] == len(data["job"].node_ids)
    assert ("dataset", "reads", "job") in data.edge_types
