"""The fault contract, per plug-in: what every fault declares, what the ``inject`` template
labels, and that ``verify`` reports (never crashes on) an output that is not there."""

from __future__ import annotations

import pandas as pd
import pytest

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.strict import StrictModel
from synthgen_sdv.lineage.diff import diff_tables
from synthgen_sdv.lineage.faults import FAULTS
from synthgen_sdv.lineage.models import Step
from synthgen_sdv.lineage.runner import workspace
from synthgen_sdv.lineage.tables import to_arrow

SCOPES = {"rows", "cells", "column", "schema", "table"}
SIGNS = {
    "output_missing", "schema_changed", "missing_rows", "extra_rows", "duplicate_rows",
    "changed_values",
}  # fmt: skip
OUT = to_arrow(pd.DataFrame({"id": range(8), "v": [float(x) for x in range(8)]}))


@pytest.fixture
def ws(tmp_path):
    """A sealed workspace holding the clean output ``out`` (8 rows) as table ``out``."""
    with workspace(tmp_path) as w:
        w.load_arrow("out", OUT)
        w.seal()
        yield w


def _step(label: str, operation: str = "extract", **fault_params) -> Step:
    return Step(
        id="load",
        layer="core",
        domain="sales",
        operation=operation,
        inputs=["src"],
        outputs=["out"],
        key=["id"],
        label=label,
        fault_params=fault_params,
    )


def _no_rerun(inputs, op_params):
    raise AssertionError("this fault edits the clean output; it does not re-run the step")


@pytest.mark.parametrize("kind", list(FAULTS))
def test_every_fault_declares_its_contract(kind):
    fault = FAULTS.get(kind)
    assert issubclass(fault.Params, StrictModel)
    assert fault.scope in SCOPES
    assert fault.description and fault.evidence
    assert fault.signs and fault.signs <= SIGNS and fault.required <= fault.signs
    assert fault.status in ("COMPLETED", "FAILED")


def test_inject_labels_what_the_fault_did(ws):
    step = _step("partial_write", fraction=0.25)
    clean = {"out": ws.table("out")}
    outcome = FAULTS.get("partial_write")().inject(
        step, seed=1, op_params=None, ws=ws, inputs={"src": clean["out"]}, clean=clean,
        rerun=_no_rerun,
    )  # fmt: skip
    assert ws.count(outcome.outputs["out"]) == 6 and outcome.status == "COMPLETED"
    label = outcome.label
    assert label["id"] == "lineage.load.partial_write" and label["tables"] == ["out"]
    assert label["rows"] == [6, 7] and label["row_count"] == 2 and label["scope"] == "rows"
    assert label["details"] == {"rows_expected": 8, "rows_written": 6}
    assert label["params"] == {"fraction": 0.25} and label["downstream_tables"] == []


def test_a_fault_on_a_table_the_step_does_not_write_names_its_outputs(ws):
    step = _step("duplicate_load", table="elsewhere")
    with pytest.raises(InputError, match="'elsewhere' is not an output of the step; outputs"):
        FAULTS.get("duplicate_load")().inject(
            step, seed=1, op_params=None, ws=ws, inputs={}, clean={"out": ws.table("out")},
            rerun=_no_rerun,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("merge_conflict", "merge_conflict applies to a merge step"),
        ("mixed_operation", "mixed_operation applies to an incremental_load step"),
    ],
)
def test_a_fault_for_one_operation_says_which(kind, message):
    fault = FAULTS.get(kind)()
    params = fault.Params(columns=["v"])
    assert fault.check_step(_step(kind), params, {}) == [(("label",), message)]


@pytest.mark.parametrize("kind", ["null_propagation", "stale_dimension"])
def test_verify_reports_a_missing_output_of_a_cell_fault(kind, ws):
    diff = diff_tables(ws, ws.table("out"), None, ["id"])
    label = {"kind": kind, "rows": [1], "columns": ["v"], "primary_key": ["id"]}
    problems = FAULTS.get(kind)().verify(diff, label, {"status": "COMPLETED"})
    assert f"the data shows output_missing (1), which a {kind} does not make" in problems
