"""Base for strict config models: an unknown key is an error, never a silent default."""

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Frozen; unknown keys are errors (a typo is reported, never silently ignored), and so are
    NaN and infinity in any number (YAML's ``.nan`` / ``.inf``): no setting means them."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )
