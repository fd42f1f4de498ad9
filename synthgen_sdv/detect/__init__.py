"""Your own data: reading a folder of CSV / Parquet tables and detecting types, keys and links."""
