"""The composition layer: each run (generate, fit-sample, sample, study, compare, ablation) wires
the stages together. Commands call these; nothing below imports them.
"""
