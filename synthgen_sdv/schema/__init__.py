"""The configuration layer: strict models of the YAML files, their loader, the resolved plan, and
inference of a config from data.
"""
