"""Base for strict config models: an unknown key is an error, never a silent default."""

import types
import typing
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

_NUMBERS = {int, float}


def _numbers_only(annotation: Any) -> bool:
    """True for ``int``, ``float`` and their optional and annotated forms (not a union with
    text or bool: an expression or a flag may be given there)."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _numbers_only(typing.get_args(annotation)[0])
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return bool(args) and all(_numbers_only(a) for a in args)
    return annotation in _NUMBERS


class KeyProblem(ValueError):
    """A value error about one key of a mapping (``key``), raised before its field is
    validated; the config loader adds the key to the error's YAML path."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


class StrictModel(BaseModel):
    """Frozen; unknown keys are errors (a typo is reported, never silently ignored), and so are
    NaN and infinity in any number (YAML's ``.nan`` / ``.inf``): no setting means them, and
    true / false where a number is expected (pydantic would take ``rows: yes`` as 1 row)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )

    @model_validator(mode="before")
    @classmethod
    def _no_bool_for_a_number(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, value in data.items():
                field = cls.model_fields.get(key) if isinstance(value, bool) else None
                if field is not None and _numbers_only(field.annotation):
                    raise KeyProblem(
                        key,
                        f"'{key}' must be a number, got {str(value).lower()} (YAML reads "
                        "yes/no, on/off and true/false as booleans)",
                    )
        return data
