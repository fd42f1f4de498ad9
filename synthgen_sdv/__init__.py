"""synthgen_sdv: synthetic TPC-DS-like warehouse data, schema metadata and labeled ETL lineage."""

from synthgen_sdv.core.version import __version__

__all__ = ["__version__"]
