"""Subcommands; each module has ``register(subparsers)`` that sets ``func`` on its parser.

Add a command by adding its module name here.
"""

COMMAND_MODULES = [
    "generate",
    "fit_sample",
    "infer_config",
    "validate",
    "ablation",
    "load",
    "compare",
    "lineage",
    "export_graph",
]
