"""The fault contract: ``inject`` at run time, ``verify`` in the verifier, and what they share.

``Fault.inject`` is a template: it validates the fault's params, seeds its generator, checks the
target table, calls the fault's own ``_inject`` and turns what it did into the label, so that
every fault is labeled the same way and a fault module holds only what is particular to it.
``Fault.verify`` is the other half: given the difference between the stored output and a clean
re-run of the step on the stored inputs, it checks that the label's kind, columns and rows are
exactly what the data shows, then calls the fault's own ``_verify_details``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, Field

from synthgen_sdv.core.errors import SynthgenError
from synthgen_sdv.core.registry import Registry
from synthgen_sdv.core.seeds import digest
from synthgen_sdv.core.strict import StrictModel
from synthgen_sdv.lineage.models import Step
from synthgen_sdv.lineage.tables import TableDiff, as_tuple, from_pandas, key_tuples, to_pandas

FAULTS: Registry[type[Fault]] = Registry("fault kind")

#: Re-runs the step's SQL on other inputs or operation params; returns every output.
Rerun = Callable[[dict[str, pa.Table], Any], dict[str, pa.Table]]

#: The label scopes whose ``columns`` name every column whose values the fault changed.
CELL_SCOPES = frozenset({"cells", "column"})


def fault_rng(seed: int, step_id: str) -> np.random.Generator:
    """A generator that depends only on (seed, step id): stable across processes and runs."""
    return np.random.default_rng(
        int.from_bytes(digest("synthgen_sdv.lineage", seed, step_id, sep=":")[:8], "little")
    )


def batch_size(n: int, fraction: float) -> int:
    """How many of ``n`` rows a fraction touches: at least one, at most all."""
    return min(n, max(1, round(fraction * n)))


def sorted_keys(keys: Iterable[tuple]) -> list[tuple]:
    """Row keys in a stable order, whatever their types (None and mixed types included)."""
    return sorted(keys, key=lambda t: tuple((v is None, str(type(v)), v) for v in t))


def key_rows(frame: pd.DataFrame, key: list[str], keys: set[tuple]) -> pd.DataFrame:
    """The rows of ``frame`` whose key is one of ``keys``."""
    return frame[[t in keys for t in key_tuples(frame, key)]]


class TableParams(StrictModel):
    """Params of a fault that hits one output: which one (the first by default)."""

    table: str | None = Field(default=None, description="which output; default the first")


@dataclass
class FaultContext:
    """What a fault can see and do at its step."""

    step: Step
    params: Any  # the fault's own ``Params``, validated
    op_params: Any  # the step's operation params, validated
    rng: np.random.Generator
    inputs: dict[str, pa.Table]
    clean: dict[str, pa.Table]
    rerun: Rerun

    @property
    def key(self) -> list[str]:
        """The columns that identify an output row (labels name rows by them)."""
        return list(self.step.key)

    def target(self) -> str:
        """The output the fault hits: ``fault_params.table``, else the step's first output."""
        name = getattr(self.params, "table", None) or self.step.outputs[0]
        if name not in self.clean:
            raise SynthgenError(
                f"steps.{self.step.id}.fault_params.table: '{name}' is not an output of the step; "
                f"outputs: {', '.join(self.step.outputs)}"
            )
        return name

    def sample(self, n: int, fraction: float) -> np.ndarray:
        """Sorted positions of a random ``fraction`` of ``n`` rows (at least one)."""
        if n == 0:
            raise SynthgenError(
                f"step '{self.step.id}': its output is empty, so a {self.step.label} fault "
                "cannot touch any row; use more data or move the fault"
            )
        return np.sort(self.rng.choice(n, size=batch_size(n, fraction), replace=False))

    def require_column(self, table: str, column: str, what: str) -> None:
        """Fail with the fault_params path when a named column is not in the output."""
        if column not in self.clean[table].column_names:
            raise SynthgenError(
                f"steps.{self.step.id}.fault_params.{what}: column '{column}' is not in output "
                f"'{table}'; columns: {', '.join(self.clean[table].column_names)}"
            )

    def frame(self, table: str) -> pd.DataFrame:
        """The clean output as a DataFrame, for a fault that edits it."""
        return to_pandas(self.clean[table])

    def rebuild(self, table: str, frame: pd.DataFrame) -> pa.Table:
        """An edited output back in the clean output's Arrow schema."""
        return from_pandas(frame, self.clean[table].schema)

    def inputs_with(self, table: str, frame: pd.DataFrame) -> dict[str, pa.Table]:
        """The step's inputs with one of them replaced (in its own schema), for a re-run."""
        return {**self.inputs, table: from_pandas(frame, self.inputs[table].schema)}


@dataclass
class FaultEffect:
    """What ``_inject`` did: the outputs it replaced and the ground truth about them."""

    outputs: dict[str, pa.Table | None]  # None: the fault leaves no table
    columns: list[str]
    rows: list[tuple]
    details: dict[str, Any] = field(default_factory=dict)
    error_message: str | None = None
    stats: dict[str, int] = field(default_factory=dict)


@dataclass
class FaultOutcome:
    """What ``inject`` gives the runner: every output of the step, its status and the label."""

    outputs: dict[str, pa.Table | None]
    status: str
    error_message: str | None
    stats: dict[str, int]
    label: dict[str, Any]


class Fault:
    """Base: ``inject`` at run time, ``verify`` in the verifier; signs name what the data shows.

    A fault sets ``Params``, ``scope``, ``description``, ``evidence`` and ``signs``, and
    implements ``_inject``; ``applies_to``, ``_check_step`` and ``_verify_details`` are optional.
    """

    Params: ClassVar[type[BaseModel]]
    description: ClassVar[str]
    evidence: ClassVar[str]
    # Differences this fault may show, and those it must show (see TableDiff.signs); unless a
    # fault class sets ``required`` itself, it must show every sign it may show.
    signs: ClassVar[frozenset[str]]
    required: ClassVar[frozenset[str]]
    status: ClassVar[str] = "COMPLETED"
    # What the rows/columns of a label mean: whole rows (columns empty), single cells, a whole
    # column, the schema, or the whole table (job_failure).
    scope: ClassVar[str]
    # The one operation whose steps this fault can hit (None: any).
    applies_to: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Default ``required`` to ``signs``: most faults must show all they may show."""
        super().__init_subclass__(**kwargs)
        if "required" not in cls.__dict__ and hasattr(cls, "signs"):
            cls.required = cls.signs

    # ----------------------------------------------------------------------- at load time
    def check_step(
        self, step: Step, params: Any, consumers: dict[str, list[str]]
    ) -> list[tuple[tuple, str]]:
        """Static problems of this fault at ``step`` as (YAML location, message) pairs."""
        if self.applies_to and step.operation != self.applies_to:
            article = "an" if self.applies_to[0] in "aeiou" else "a"
            return [(("label",), f"{step.label} applies to {article} {self.applies_to} step")]
        return self._check_step(step, params, consumers)

    def _check_step(
        self, step: Step, params: Any, consumers: dict[str, list[str]]
    ) -> list[tuple[tuple, str]]:
        return []

    # ----------------------------------------------------------------------- at run time
    def inject(
        self,
        step: Step,
        *,
        seed: int,
        op_params: Any,
        inputs: dict[str, pa.Table],
        clean: dict[str, pa.Table],
        rerun: Rerun,
    ) -> FaultOutcome:
        """Apply the fault to the step's clean outputs and label what it did.

        Its randomness comes from ``fault_rng(seed, step.id)`` alone, so the faulted rows depend
        on nothing but the seed and the step.
        """
        ctx = FaultContext(
            step=step,
            params=self.Params.model_validate(step.fault_params),
            op_params=op_params,
            rng=fault_rng(seed, step.id),
            inputs=inputs,
            clean=clean,
            rerun=rerun,
        )
        table = ctx.target()
        effect = self._inject(ctx, table)
        stray = sorted(set(effect.outputs) - set(clean))
        if stray:
            raise SynthgenError(
                f"step '{step.id}': the {step.label} fault replaced {', '.join(stray)}, "
                f"which the step does not write"
            )
        return FaultOutcome(
            outputs={**clean, **effect.outputs},
            status=self.status,
            error_message=effect.error_message,
            stats=dict(effect.stats),
            label=self.label(step, table, effect),
        )

    def _inject(self, ctx: FaultContext, table: str) -> FaultEffect:
        raise NotImplementedError

    def label(self, step: Step, table: str, effect: FaultEffect) -> dict[str, Any]:
        """The ground truth of one injected fault, as it goes into labels.json."""
        rows = [list(r) if len(r) > 1 else r[0] for r in (as_tuple(x) for x in effect.rows)]
        return {
            "id": f"lineage.{step.id}.{step.label}",
            "step": step.id,
            "kind": step.label,
            "layer": step.layer,
            "domain": step.domain,
            "operation": step.operation,
            "scope": self.scope,
            "tables": [table],
            "columns": list(effect.columns),
            "primary_key": list(step.key),
            "rows": rows,
            "row_count": len(rows),
            "status": self.status,
            "params": dict(step.fault_params),
            "details": effect.details,
            "description": self.description,
            "evidence": self.evidence,
            # filled in by the runner once every step has run
            "downstream_tables": [],
        }

    # ----------------------------------------------------------------------- in the verifier
    def affected(self, diff: TableDiff) -> set[tuple]:
        """Keys of the rows the data shows as touched (what the label's rows must be)."""
        keys = set(diff.missing_keys) | diff.extra_keys | diff.duplicate_keys | diff.changed_keys
        if diff.schema_changed:
            keys |= diff.expected_keys
        return keys

    def verify(self, diff: TableDiff, label: dict, record: dict) -> list[str]:
        """Problems where the data does not show exactly what the label says (empty: proven)."""
        problems = []
        if record.get("status") != self.status:
            problems.append(
                f"status is {record.get('status')}, a {label['kind']} implies {self.status}"
            )
        signs = diff.signs()
        for sign, n in signs.items():
            if sign not in self.signs:
                problems.append(
                    f"the data shows {sign} ({n}), which a {label['kind']} does not make"
                )
        for sign in sorted(self.required):
            if sign not in signs:
                problems.append(f"the data shows no {sign}, which a {label['kind']} must make")
        labeled = {as_tuple(k) for k in label.get("rows", [])}
        affected = self.affected(diff)
        if labeled != affected:
            problems.append(
                f"label rows do not match the data: {len(labeled - affected)} labeled row(s) show "
                f"no sign, {len(affected - labeled)} affected row(s) are not labeled"
            )
        if self.scope in CELL_SCOPES:
            extra = set(diff.changed) - set(label.get("columns", []))
            if extra:
                problems.append(
                    f"values changed in unlabeled column(s): {', '.join(sorted(extra))}"
                )
        return problems + self._verify_details(diff, label, record)

    def _verify_details(self, diff: TableDiff, label: dict, record: dict) -> list[str]:
        return []
