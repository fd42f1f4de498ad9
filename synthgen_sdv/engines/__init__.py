"""Reading, validating and loading an output folder: DuckDB, Spark and Snowflake loaders.

`reader.read_tables` reads typed tables, `validation.validate` checks them (plug-ins in
`check_context.CHECKS`), `base.ENGINES` holds the loaders (via `base.get_engine`), and `parity`
compares the same generated queries across engines.

The engine modules are imported here so that they register themselves in `base.ENGINES`
whatever module of the package is imported first; `base` never imports them. They are light:
duckdb, pyspark and the Snowflake connector are imported only when an engine loads.
"""

from synthgen_sdv.engines import duckdb_engine, snowflake_engine, spark_engine

__all__ = ["duckdb_engine", "snowflake_engine", "spark_engine"]
