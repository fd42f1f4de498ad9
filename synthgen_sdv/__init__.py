"""synthgen_sdv: synthetic TPC-DS-like warehouse data, schema metadata and labeled ETL lineage."""

__version__ = "0.1.0"
