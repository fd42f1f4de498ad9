"""Column kinds: one module each, registered in ``KINDS``; ``ColumnSpec`` is their union.

Code outside this package asks a kind what it can do (``ColumnKind``'s capabilities, see
``kinds.base``) and never tests for a concrete kind class.
"""

from typing import TYPE_CHECKING, Annotated, TypeAlias, Union

from pydantic import Field

from synthgen_sdv.kinds import (  # noqa: F401  (importing registers the kinds)
    categorical,
    conditional,
    dates,
    derived,
    faker_kind,
    lookup,
    numeric,
    sequence,
    template,
)
from synthgen_sdv.kinds.base import KINDS, ColumnContext, ColumnKind, ForeignKeyKind
from synthgen_sdv.kinds.lookup import LookupColumn, RollupColumn  # kept for io.artifacts

if TYPE_CHECKING:
    # statically every column is a ColumnKind; pydantic needs the tagged union at run time
    ColumnSpec: TypeAlias = ColumnKind
else:
    ColumnSpec = Annotated[
        Union[tuple(cls for _, cls in KINDS.items())],  # noqa: UP007
        Field(discriminator="kind"),
    ]
conditional.ConditionalColumn.model_rebuild(_types_namespace={"ColumnSpec": ColumnSpec})

__all__ = [
    "KINDS",
    "ColumnContext",
    "ColumnKind",
    "ColumnSpec",
    "ForeignKeyKind",
    "LookupColumn",
    "RollupColumn",
]
