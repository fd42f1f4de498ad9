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
import pyarrow as pa
from pydantic import BaseModel, Field

from synthgen_sdv.core.errors import InputError, SynthgenError
from synthgen_sdv.core.registry import Registry
from synthgen_sdv.core.seeds import digest
from synthgen_sdv.core.strict import StrictModel
from synthgen_sdv.io import layout
from synthgen_sdv.lineage.diff import TableDiff
from synthgen_sdv.lineage.models import Step
from synthgen_sdv.lineage.tables import as_tuple
from synthgen_sdv.lineage.workspace import KeyFile, Workspace, ident, key_list

FAULTS: Registry[type[Fault]] = Registry("fault kind")

#: Re-runs the step's SQL with some inputs replaced (table -> relation SQL) or other operation
#: params; returns every output as a relation of the workspace.
Rerun = Callable[[dict[str, str], Any], dict[str, str]]

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
    """Row keys in a stable order, whatever their types (None and mixed types included).

    ``workspace.key_order`` (ORDER BY the key, NULLs last) gives this order in SQL.
    """
    return sorted(keys, key=lambda t: tuple((v is None, str(type(v)), v) for v in t))


def _scalar(key: Any) -> Any:
    """A one-column key as its value (a 1-tuple from older callers, or already a scalar)."""
    return as_tuple(key)[0] if isinstance(key, tuple) else key


class TableParams(StrictModel):
    """Params of a fault that hits one output: which one (the first by default)."""

    table: str | None = Field(default=None, description="which output; default the first")


@dataclass
class FaultContext:
    """What a fault can see and do at its step: relations of the workspace, never whole tables.

    ``inputs`` and ``clean`` map table names to physical tables, whose rows are in order (the
    clean outputs in key order), so ``rowid`` is a row's position.
    """

    step: Step
    params: Any  # the fault's own ``Params``, validated
    op_params: Any  # the step's operation params, validated
    rng: np.random.Generator
    ws: Workspace
    inputs: dict[str, str]
    clean: dict[str, str]
    rerun: Rerun

    @property
    def key(self) -> list[str]:
        """The columns that identify an output row (labels name rows by them)."""
        return list(self.step.key)

    @property
    def keys_sql(self) -> str:
        """The key columns as a select list."""
        return key_list(self.key)

    def target(self) -> str:
        """The output the fault hits: ``fault_params.table``, else the step's first output."""
        name = getattr(self.params, "table", None) or self.step.outputs[0]
        if name not in self.clean:
            raise InputError(
                f"steps.{self.step.id}.fault_params.table: '{name}' is not an output of the step; "
                f"outputs: {', '.join(self.step.outputs)}"
            )
        return name

    def sample(self, n: int, fraction: float) -> np.ndarray:
        """Sorted positions of a random ``fraction`` of ``n`` rows (at least one)."""
        if n == 0:
            raise InputError(
                f"step '{self.step.id}': its output is empty, so a {self.step.label} fault "
                "cannot touch any row; use more data (a larger --scale) or move the fault"
            )
        return np.sort(self.rng.choice(n, size=batch_size(n, fraction), replace=False))

    def types(self, relation: str) -> dict[str, str]:
        """Column -> DuckDB type of a relation."""
        return dict(self.ws.describe(relation))

    def require_column(self, table: str, column: str, what: str) -> str:
        """The column's DuckDB type; fails with the fault_params path when it is not there."""
        types = self.types(self.clean[table])
        if column not in types:
            raise InputError(
                f"steps.{self.step.id}.fault_params.{what}: column '{column}' is not in output "
                f"'{table}'; columns: {', '.join(types)}"
            )
        return types[column]

    def positions(self, positions: Iterable[int]) -> str:
        """A relation of row positions (column ``pos``) for ``rowid IN (...)``; see ``done``."""
        return self.ws.register(pa.table({"pos": pa.array(np.asarray(positions), pa.int64())}))

    def keys_where(self, relation: str, where: str, order: str = "rowid") -> list | KeyFile:
        """Label-form keys of the rows of ``relation`` that satisfy ``where``, in ``order``."""
        return self.ws.keys(
            f"SELECT {self.keys_sql} FROM {relation} WHERE {where} ORDER BY {order}"
        )

    def table(self, sql: str) -> str:
        """A new physical table (an output the fault writes) from a SELECT."""
        return self.ws.new_table(sql)

    def time_max(self, relation: str, column: str) -> Any:
        """The latest value of a time column (a datetime; None when every value is NULL)."""
        return self.ws.scalar(f"SELECT max(CAST({ident(column)} AS TIMESTAMP)) FROM {relation}")


@dataclass
class FaultEffect:
    """What ``_inject`` did: the outputs it replaced and the ground truth about them."""

    outputs: dict[str, str | None]  # relations; None: the fault leaves no table
    columns: list[str]
    rows: list | KeyFile  # keys in label form, or their file when many (see Workspace.keys)
    details: dict[str, Any] = field(default_factory=dict)
    error_message: str | None = None
    stats: dict[str, int] = field(default_factory=dict)


@dataclass
class FaultOutcome:
    """What ``inject`` gives the runner: every output of the step, its status and the label."""

    outputs: dict[str, str | None]
    status: str
    error_message: str | None
    stats: dict[str, int]
    label: dict[str, Any]
    key_file: KeyFile | None = None  # the label's keys, when they are too many for the JSON


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
        ws: Workspace,
        inputs: dict[str, str],
        clean: dict[str, str],
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
            ws=ws,
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
            key_file=effect.rows if isinstance(effect.rows, KeyFile) else None,
        )

    def _inject(self, ctx: FaultContext, table: str) -> FaultEffect:
        raise NotImplementedError

    def label(self, step: Step, table: str, effect: FaultEffect) -> dict[str, Any]:
        """The ground truth of one injected fault, as it goes into labels.json."""
        if isinstance(effect.rows, KeyFile):  # many keys: a Parquet file beside labels.json
            rows: list = []
            where = {"rows_file": f"{layout.LABELS_DIR}/lineage.{step.id}.parquet"}
        else:
            rows = [
                list(r) if isinstance(r, tuple) and len(r) > 1 else _scalar(r) for r in effect.rows
            ]
            where = {}
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
            **where,
            "row_count": len(effect.rows),
            "status": self.status,
            "params": dict(step.fault_params),
            "details": effect.details,
            "description": self.description,
            "evidence": self.evidence,
            # filled in by the runner once every step has run
            "downstream_tables": [],
        }

    # ----------------------------------------------------------------------- in the verifier
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
        only_labeled, only_data = diff.compare(label.get("rows", []), diff.affected())
        if only_labeled or only_data:
            problems.append(
                f"label rows do not match the data: {only_labeled} labeled row(s) show "
                f"no sign, {only_data} affected row(s) are not labeled"
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
