"""configs/ablation.yml: the grid of an ablation (seeds x bootstrap scales x synthesizers) and
how each cell's study is set up, as a strict model read with YAML paths and lines in errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator

from synthgen_sdv.core.errors import ConfigError, InputError, Problem
from synthgen_sdv.core.strict import StrictModel
from synthgen_sdv.schema.loader import DEFAULT_CONFIG_DIR, validation_problems
from synthgen_sdv.schema.yamlio import load_yaml
from synthgen_sdv.synth import SYNTHESIZERS

DEFAULT_CONFIG = DEFAULT_CONFIG_DIR / "ablation.yml"


class AblationConfig(StrictModel):
    """configs/ablation.yml: which cells to run and how each cell's study is set up."""

    version: int = Field(1, ge=1, le=1)
    config_dir: Path | None = Field(
        None, description="data config folder; relative to this file; default: built-in"
    )
    tables: list[str] | None = Field(
        None, min_length=1, description="modeled tables; default: config.yaml synthesis.tables"
    )
    seeds: list[int] = Field(min_length=1)
    scales: list[float] = Field(min_length=1, description="bootstrap scales")
    synthesizers: list[str] = Field(min_length=1)
    baseline: bool = True
    holdout_fraction: float = Field(0.2, gt=0, lt=1)
    warmup: bool = Field(
        True, description="run one untimed cell at a tenth of the smallest scale first"
    )
    out: Path = Path("ablation")

    @field_validator("scales")
    @classmethod
    def _positive(cls, v: list[float]) -> list[float]:
        bad = [s for s in v if not s > 0]
        if bad:
            raise ValueError(f"scales must be > 0, got {bad}")
        return v

    @field_validator("seeds", "scales", "synthesizers")
    @classmethod
    def _distinct(cls, v: list[Any]) -> list[Any]:
        if len(set(v)) != len(v):
            raise ValueError(f"values must be distinct, got {v}")
        return v

    @field_validator("synthesizers")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        unknown = [s for s in v if s not in SYNTHESIZERS]
        if unknown:
            raise ValueError("; ".join(SYNTHESIZERS.unknown_message(s) for s in unknown))
        return v


def load_ablation_config(path: Path | None = None) -> tuple[AblationConfig, Path]:
    """Read and validate the grid; every problem is reported with its YAML path and line."""
    if path is None:
        # a source checkout has configs/ beside the package; an installed one reads ./configs
        local = Path.cwd() / "configs" / DEFAULT_CONFIG.name
        path = DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else local
    path = Path(path)
    raw, lines = load_yaml(path)
    if not isinstance(raw, dict):
        raise ConfigError([Problem("(top)", "expected a mapping of keys", file=str(path))])
    try:
        cfg = AblationConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(validation_problems(exc, (), AblationConfig, raw, lines, path)) from None
    if cfg.config_dir is not None and not cfg.config_dir.is_absolute():
        cfg = cfg.model_copy(update={"config_dir": (path.parent / cfg.config_dir).resolve()})
    return cfg, path


def apply_overrides(cfg: AblationConfig, overrides: dict[str, Any]) -> AblationConfig:
    """The grid with command-line overrides (empty values are ignored), validated again: an
    override is as strict as the file, and a bad one names its flag (``--seeds: ...``)."""
    overrides = {k: v for k, v in overrides.items() if v}
    if not overrides:
        return cfg
    try:
        return AblationConfig.model_validate({**cfg.model_dump(), **overrides})
    except ValidationError as exc:
        problems = "; ".join(
            f"--{'-'.join(map(str, e['loc'][:1])).replace('_', '-')}: "
            f"{e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        raise InputError(problems) from None
