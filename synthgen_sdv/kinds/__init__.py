"""Column kinds: one module each, registered in ``KINDS``; ``ColumnSpec`` is their union."""

from typing import Annotated, Union

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
from synthgen_sdv.kinds.base import KINDS, ColumnContext, ColumnKind
from synthgen_sdv.kinds.lookup import LookupColumn, RollupColumn

ColumnSpec = Annotated[
    Union[tuple(cls for _, cls in KINDS.items())],  # noqa: UP007
    Field(discriminator="kind"),
]
conditional.ConditionalColumn.model_rebuild(_types_namespace={"ColumnSpec": ColumnSpec})

__all__ = ["KINDS", "ColumnContext", "ColumnKind", "ColumnSpec", "LookupColumn", "RollupColumn"]
