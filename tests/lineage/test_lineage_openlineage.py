"""OpenLineage events: START then COMPLETE/FAIL per step, valid against the spec's JSON schemas
(resolved offline from a copy of the spec), facets valid against their own schemas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SPEC_DIR = Path(__file__).parent / "data" / "openlineage-spec"


@pytest.fixture(scope="module")
def schemas():
    """Every schema under its https $id, so $refs resolve without the network."""
    resources = {}
    for path in [SPEC_DIR / "OpenLineage.json", *sorted((SPEC_DIR / "facets").glob("*.json"))]:
        doc = json.loads(path.read_text())
        resources[doc["$id"]] = doc
    registry = Registry().with_resources(
        (uri, Resource.from_contents(doc)) for uri, doc in resources.items()
    )
    return resources, registry


def _same_major(resources: dict, url: str) -> dict | None:
    """The client may stamp a newer minor version of a facet than the spec copy has."""
    version, file = url.rsplit("/", 2)[-2:]
    for uri, doc in resources.items():
        v, f = uri.rsplit("/", 2)[-2:]
        if f == file and v.split("-")[0] == version.split("-")[0]:
            return doc
    return None


def _events(out: Path) -> dict[str, list[dict]]:
    files = sorted((out / "metadata" / "openlineage").glob("*.jsonl"))
    return {f.stem: [json.loads(line) for line in f.read_text().splitlines()] for f in files}


def _facets(event: dict):
    """(facet name, facet dict) for every facet in the event."""
    yield from event["run"].get("facets", {}).items()
    yield from event["job"].get("facets", {}).items()
    for ds in event.get("inputs", []) + event.get("outputs", []):
        yield from ds.get("facets", {}).items()
        yield from ds.get("inputFacets", {}).items()
        yield from ds.get("outputFacets", {}).items()


def test_events_validate_against_the_openlineage_spec(lineage_out, schemas):
    resources, registry = schemas
    root = resources["https://openlineage.io/spec/2-0-2/OpenLineage.json"]
    validator = Draft202012Validator(root, registry=registry)
    events = _events(lineage_out)
    steps = yaml.safe_load((lineage_out / "metadata" / "generation_lineage.yaml").read_text())
    assert len(events) == len(steps["pipeline"]["steps"]) + 1, "one file per step + the parent"
    parent = events[f"000_{steps['pipeline']['parent_job']}"]
    assert [e["eventType"] for e in parent] == ["START", "FAIL"], "a step failed"
    assert parent[0]["run"]["runId"] == steps["pipeline"]["parent_run_id"]
    seen_facets = set()
    for name, evs in events.items():
        assert evs[0]["eventType"] == "START", name
        assert evs[1]["eventType"] in ("COMPLETE", "FAIL")
        assert evs[0]["run"]["runId"] == evs[1]["run"]["runId"]
        for ev in evs:
            errors = sorted(validator.iter_errors(ev), key=str)
            assert not errors, f"{name}: {errors[0].message}"
            for facet_name, facet in _facets(ev):
                url = facet["_schemaURL"].split("#")[0]
                schema = resources.get(url) or _same_major(resources, url)
                assert schema, f"{name}: no local schema for {url}"
                fv = Draft202012Validator(schema, registry=registry)
                errors = list(fv.iter_errors({facet_name: facet}))
                assert not errors, f"{name}.{facet_name}: {errors[0].message}"
                seen_facets.add(facet_name)
    assert {
        "schema", "columnLineage", "outputStatistics", "dataQualityMetrics",
        "dataQualityAssertions", "errorMessage", "parent", "sql", "inputStatistics",
    } <= seen_facets  # fmt: skip


def test_failed_step_emits_fail_with_error_message(lineage_out):
    labels = json.loads((lineage_out / "metadata" / "labels.json").read_text())["lineage"]
    failed = next(lab["step"] for lab in labels if lab["kind"] == "job_failure")
    events = _events(lineage_out)
    evs = next(v for k, v in events.items() if k.endswith(failed))
    assert evs[1]["eventType"] == "FAIL"
    assert evs[1]["run"]["facets"]["errorMessage"]["message"]
    normal = events[next(k for k in events if k.endswith("extract_orders"))]
    assert normal[1]["eventType"] == "COMPLETE"
    assert "errorMessage" not in normal[1]["run"]["facets"]


def test_event_times_and_run_ids_come_from_the_schedule(lineage_out):
    doc = yaml.safe_load((lineage_out / "metadata" / "generation_lineage.yaml").read_text())
    events = _events(lineage_out)
    for step in doc["pipeline"]["steps"]:
        evs = next(v for k, v in events.items() if k.endswith("_" + step["id"]))
        assert evs[0]["eventTime"] == step["started_at"]
        assert evs[1]["eventTime"] == step["ended_at"]
        assert evs[0]["run"]["runId"] == step["run_id"]
        assert evs[0]["run"]["facets"]["parent"]["run"]["runId"] == doc["pipeline"]["parent_run_id"]
    drift = next(s for s in doc["pipeline"]["steps"] if s["label"] == "schema_drift")
    evs = next(v for k, v in events.items() if k.endswith(drift["id"]))
    declared = [f["name"] for f in evs[0]["outputs"][0]["facets"]["schema"]["fields"]]
    written = [f["name"] for f in evs[1]["outputs"][0]["facets"]["schema"]["fields"]]
    assert declared != written, "the COMPLETE event shows the drifted schema"


def test_the_schemas_do_reject_broken_events(lineage_out, schemas):
    resources, registry = schemas
    root = resources["https://openlineage.io/spec/2-0-2/OpenLineage.json"]
    event = list(_events(lineage_out).values())[1][1]  # a step COMPLETE (0 is the parent)
    del event["outputs"][0]["name"]
    assert list(Draft202012Validator(root, registry=registry).iter_errors(event))
    facet = event["outputs"][0]["facets"]["columnLineage"]
    del facet["_producer"]
    url = facet["_schemaURL"].split("#")[0]
    fv = Draft202012Validator(resources[url], registry=registry)
    assert list(fv.iter_errors({"columnLineage": facet}))
