"""Your own data: reading a folder of CSV / Parquet tables and detecting types, keys and links.

``load.load_user_data(data_dir, metadata_file=None) -> userdata.UserData`` is the entry point.
Its parts: ``reading`` (one table per file), ``types`` (logical types from values), ``keys``
(primary and foreign keys, with reasons), ``sdtypes`` (sdv's guesses, corrected), ``detected``
(metadata from the data alone) and ``declared`` (a user's metadata file checked against the data).
"""
