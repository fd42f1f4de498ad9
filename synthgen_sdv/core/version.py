"""The package version, in the bottom layer so every artifact writer can stamp it."""

__version__ = "0.1.0"
