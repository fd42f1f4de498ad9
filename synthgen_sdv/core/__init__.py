"""The bottom layer: errors, the plug-in registry, strict models, expressions, distributions, seeds.

It imports nothing else from the package; everything else may import it.
"""
