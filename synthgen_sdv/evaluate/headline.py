"""The one sentence a comparison report opens with: what was compared with what, at what sizes.

A reader of ``comparison.md`` (or ``.html``) should know before any number whether the scores
describe the data that was written or a refit on part of the input, and how many rows each
side had. Sizes are given for the entity root and its descendants (the tables that were split);
shared tables are the same on every side and are left out of the sentence.
"""

from __future__ import annotations

from typing import Any


def sizes(rows: dict[str, int], tables: list[str], adjective: str = "") -> str:
    """``"800 customers (3,210 orders, 12,050 transactions)"``: the first of ``tables`` (the
    root) in front, its descendants in brackets; ``adjective`` goes before the root's name."""
    present = [t for t in tables if t in rows]
    if not present:
        return "no rows"
    head = f"{rows[present[0]]:,} {adjective + ' ' if adjective else ''}{present[0]}"
    rest = ", ".join(f"{rows[t]:,} {t}" for t in present[1:])
    return f"{head} ({rest})" if rest else head


def holdout_phrase(held: dict[str, int], scored: dict[str, int], tables: list[str]) -> str:
    """The held-out rows scored: all of them, or a root-entity subsample of them."""
    root = tables[0]
    if scored.get(root, held.get(root)) == held.get(root):
        return f"the {sizes(held, tables, 'held-out')}"
    kept = ", ".join(f"{scored[t]:,} {t}" for t in tables[1:] if t in scored)
    return f"{scored[root]:,} of the {held[root]:,} held-out {root}" + (
        f" (with {kept})" if kept else ""
    )


def headline(
    tables: list[str],
    train: dict[str, int],
    holdout: dict[str, int],
    holdout_scored: dict[str, int],
    reference_label: str,
    *,
    trained_on_train: bool = True,
    holdout_label: str | None = None,
    written: dict[str, Any] | None = None,
) -> str:
    """The sentence. ``tables`` is the root then its descendants; ``written`` (optional) holds
    ``rows`` (the written output) and ``fitted_rows`` (the data it was fitted on)."""
    hold = holdout_phrase(holdout, holdout_scored, tables)
    if trained_on_train:
        text = (
            f"Each candidate was trained on {sizes(train, tables)} of {reference_label} and "
            f"scored against {hold}, which no candidate saw"
        )
    elif holdout_label:
        text = (
            f"Each candidate was scored against {hold} in {holdout_label}, with the "
            f"{sizes(train, tables)} of {reference_label} as the train ceiling"
        )
    else:
        text = (
            f"Each candidate was scored against {hold} split from {reference_label}, with the "
            f"other {sizes(train, tables)} as the train ceiling"
        )
    if written:
        text += (
            f"; the written output, {sizes(written['rows'], tables)}, is scored in section 2 "
            f"against the data it was fitted on, {sizes(written['fitted_rows'], tables)}"
        )
    return text + "."
