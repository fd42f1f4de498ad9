"""Base for strict config models: an unknown key is an error, never a silent default."""

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Frozen, and unknown keys are errors (a typo is reported, never silently ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
