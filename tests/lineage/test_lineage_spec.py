"""lineage.yml: the default pipeline's shape, and every problem reported at once with its line."""

from __future__ import annotations

import networkx as nx
import pytest
import yaml

from synthgen_sdv.core.errors import ConfigError
from synthgen_sdv.lineage.faults import FAULTS
from synthgen_sdv.lineage.operations import OPERATIONS
from synthgen_sdv.lineage.spec import default_lineage_path, load_lineage_spec

TABLES = [
    "dates", "suppliers", "products", "stores", "employees", "promotions", "customers",
    "legacy_customers", "orders", "transactions", "returns", "inventory", "sales_targets",
]  # fmt: skip


@pytest.fixture(scope="module")
def spec():
    return load_lineage_spec(default_lineage_path(), TABLES)


def test_default_pipeline_is_multi_layer_with_branches_merges_and_many_faults(spec):
    assert len(spec.steps) >= 20
    assert {s.layer for s in spec.steps} == {"staging", "core", "mart"}
    assert len({s.domain for s in spec.steps}) >= 4
    assert {"crm", "pos", "erp", "hr", "marketing"} <= set(spec.sources)
    kinds = {s.label for s in spec.steps} - {"normal"}
    assert len(kinds) >= 8
    assert kinds == set(FAULTS), "every fault plug-in is exercised (and proven) by the default"
    assert {s.operation for s in spec.steps} == set(OPERATIONS), "every operation is used"
    assert all(s.description for s in spec.steps)
    readers: dict[str, int] = {}
    for s in spec.steps:
        for t in s.inputs:
            readers[t] = readers.get(t, 0) + 1
    assert max(readers.values()) >= 3, "some table feeds several branches"
    assert any(len(s.inputs) >= 3 for s in spec.steps), "some step merges several inputs"
    assert any(len(s.outputs) >= 2 for s in spec.steps), "some step splits into branches"
    assert {s.operation for s in spec.steps} >= {
        "extract", "filter", "join", "merge", "aggregate", "deduplicate", "scd2",
        "incremental_load", "split",
    }  # fmt: skip


def test_legacy_customers_is_a_silo(spec):
    g = nx.Graph()
    for s in spec.steps:
        for i in s.inputs:
            for o in s.outputs:
                g.add_edge(i, o)
    silo = nx.node_connected_component(g, "legacy_customers")
    assert "customers" not in silo
    assert {"stg_legacy_customers", "core_legacy_customers", "mart_legacy_regions"} <= silo
    assert {s.domain for s in spec.steps if set(s.outputs) & silo} == {"customer_legacy"}


def _write(tmp_path, doc) -> str:
    path = tmp_path / "lineage.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return str(path)


def _base() -> dict:
    return {
        "version": 1,
        "namespace": "t",
        "warehouse_namespace": "duckdb://w",
        "run_start": "2024-01-01T00:00:00Z",
        "sources": {"crm": {"namespace": "pg://crm", "tables": ["customers", "orders"]}},
        "steps": [
            {"id": "a", "layer": "staging", "domain": "customer", "operation": "extract",
             "inputs": ["customers"], "outputs": ["stg_a"], "key": ["customer_id"],
             "params": {"select": ["customer_id"]}},
            {"id": "b", "layer": "core", "domain": "customer", "operation": "extract",
             "inputs": ["stg_a"], "outputs": ["core_b"], "key": ["customer_id"],
             "params": {"select": ["customer_id"]}},
        ],
    }  # fmt: skip


def test_minimal_spec_loads(tmp_path):
    spec = load_lineage_spec(_write(tmp_path, _base()), ["customers", "orders"])
    assert [s.id for s in spec.steps] == ["a", "b"]


def test_all_problems_reported_at_once_with_paths_lines_and_hints(tmp_path):
    doc = _base()
    doc["steps"][0]["colour"] = "red"  # unknown key
    doc["steps"][1]["inputs"] = ["stg_aa"]  # unknown input, close to stg_a
    doc["steps"].append(dict(doc["steps"][0], id="c", colour=None))  # duplicate output stg_a
    del doc["steps"][2]["colour"]
    doc["steps"][2]["label"] = "partial_wirte"  # unknown label, close to partial_write
    doc["steps"][1]["operation"] = "joinn"
    path = _write(tmp_path, doc)
    with pytest.raises(ConfigError) as err:
        load_lineage_spec(path, ["customers", "orders"])
    problems = {p.path: p for p in err.value.problems}
    text = str(err.value)
    assert "unknown key 'colour'" in problems["steps[0].colour"].message
    assert "allowed:" in problems["steps[0].colour"].message
    assert "did you mean 'stg_a'?" in problems["steps[1].inputs[0]"].message
    assert "already written by step 'a'" in problems["steps[2].outputs[0]"].message
    label = problems["steps[2].label"].message
    assert "allowed: normal," in label and "did you mean 'partial_write'?" in label
    assert "did you mean 'join'?" in problems["steps[1].operation"].message
    assert all(p.line and p.file == path for p in err.value.problems)
    assert f"{path}:" in text and "5 problems" in text


def test_yaml_syntax_error_has_a_line(tmp_path):
    path = tmp_path / "lineage.yml"
    path.write_text("version: 1\nsteps:\n  - id: a\n    description: x: y\n")
    with pytest.raises(ConfigError) as err:
        load_lineage_spec(path, [])
    assert err.value.problems[0].line == 4 and "not valid YAML" in str(err.value)


def test_cycle_is_named(tmp_path):
    doc = _base()
    doc["steps"][0]["inputs"] = ["customers", "core_b"]
    with pytest.raises(ConfigError) as err:
        load_lineage_spec(_write(tmp_path, doc), ["customers", "orders"])
    assert "cycle" in str(err.value) and "stg_a" in str(err.value) and "core_b" in str(err.value)


def test_unknown_source_table_and_bad_params(tmp_path):
    doc = _base()
    doc["sources"]["crm"]["tables"].append("custmers")
    doc["steps"][0]["params"] = {"select": ["customer_id"], "wher": "x"}
    doc["steps"][1]["label"] = "partial_write"
    doc["steps"][1]["fault_params"] = {"fraction": 2}
    with pytest.raises(ConfigError) as err:
        load_lineage_spec(_write(tmp_path, doc), ["customers", "orders"])
    problems = {p.path: p.message for p in err.value.problems}
    assert "did you mean 'customers'?" in problems["sources.crm.tables[2]"]
    assert "did you mean 'where'?" in problems["steps[0].params.wher"]
    assert "less than 1" in problems["steps[1].fault_params.fraction"]


def test_missing_output_fault_must_be_a_leaf(tmp_path):
    doc = _base()
    doc["steps"][0]["label"] = "job_failure"
    doc["steps"][0]["fault_params"] = {"mode": "missing"}
    with pytest.raises(ConfigError) as err:
        load_lineage_spec(_write(tmp_path, doc), ["customers", "orders"])
    assert "stg_a (read by b)" in str(err.value)


def test_stand_in_tables_match_tables_yml():
    """The stand-in frames used by these tests have exactly the generated tables' columns."""
    from tests.fixtures.lineage_sample import sample_tables

    doc = yaml.safe_load((default_lineage_path().parent / "tables.yml").read_text())
    want = {
        name: [c for c, spec in t["columns"].items() if spec.get("emit", True)]
        for name, t in doc["tables"].items()
    }
    got = {name: list(frame.columns) for name, frame in sample_tables(20).items()}
    assert got == want
