"""Fault plug-ins: each injects one kind of ETL fault at a step and says how the data proves it.

A fault either edits the clean output (a partial write, a duplicate batch) or re-runs the step's
SQL on altered inputs or params (a join against an incomplete key set), so what lands in the
output is what that bug would really produce; the verifier proves every label from the data.

``base`` holds the contract (``Fault.inject`` -> ``_inject``, ``Fault.verify`` ->
``_verify_details``), the context and the shared helpers; the families are ``writes``
(partial_write, duplicate_load, delayed_write, job_failure), ``joins`` (partial_join,
stale_dimension, wrong_join_key, null_propagation) and ``values`` (unit_scale_change,
mixed_operation, merge_conflict, schema_drift). Importing the package registers them all in
``FAULTS``; a new fault is one class in a family module (or a new module imported here).
"""

from synthgen_sdv.lineage.faults import joins, values, writes
from synthgen_sdv.lineage.faults.base import (
    FAULTS,
    Fault,
    FaultContext,
    FaultEffect,
    FaultOutcome,
    Rerun,
    fault_rng,
)

# the family modules are imported for their registrations
__all__ = [
    "FAULTS",
    "Fault",
    "FaultContext",
    "FaultEffect",
    "FaultOutcome",
    "Rerun",
    "fault_rng",
    "joins",
    "values",
    "writes",
]
