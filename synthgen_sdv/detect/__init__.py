"""Your own data: reading a folder of CSV / Parquet tables and detecting types, keys and links.

``load.load_user_data(data_dir, metadata_file=None, bad_rows="error") -> userdata.UserData`` is
the entry point. Its parts: ``reading`` (one table per file; ``dialect`` detects the CSV
dialect; ragged rows and unusable names refused), ``types`` (logical types from values),
``names`` and ``evidence`` (what a column's name and values say about the row it refers to),
``keys`` (primary keys), ``links`` (foreign keys), ``integrity`` (keys that repeat: an error or
rows dropped), ``graph`` (no cycles: the weakest link left out; chains HMA can fit),
``sdtypes`` (sdv's guesses, corrected), ``detected`` (metadata from the data alone),
``declared`` (a user's metadata file checked against the data), ``modeling`` (date keys and
links left out, for the synthesizer and back) and ``score`` (detected keys against declared
ones: ``score_keys``).
"""

from synthgen_sdv.detect.score import score_keys

__all__ = ["score_keys"]
