"""The output folder: its writers, artifacts and the atomic writer that puts it in place."""
