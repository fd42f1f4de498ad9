"""Reading, validating and loading an output folder: DuckDB, Spark and Snowflake loaders.

`reader.read_tables` reads typed tables, `validation.validate` checks them (plug-ins in
`validation.CHECKS`), `base.ENGINES` holds the loaders (via `base.get_engine`), and `parity`
compares the same generated queries across engines. Heavy packages are imported lazily.
"""
