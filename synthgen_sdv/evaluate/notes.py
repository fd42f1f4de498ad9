"""The "Read with care" notes of a comparison: what the sizes and the metadata make unreliable.

Each function looks at what was actually scored (sizes, the quality report's pair details, the
candidates' summaries) and returns sentences for comparison.md; none changes a score.
"""

from __future__ import annotations

from typing import Any

from synthgen_sdv.evaluate.relations import Dataset

SMALL_HOLDOUT_ROOTS = 200


def chance_level_pairs(
    quality: dict[str, Any], score_md: dict, real: Dataset, factor: float = 1.5
) -> tuple[list[str], int]:
    """Scored pairs (Column Pair Trends and Intertable Trends) whose holdout Cramer's V is near
    chance level.

    For independent columns with k1 and k2 levels over n rows, chi-square is about
    (k1-1)(k2-1), so Cramer's V is about sqrt((k1-1)(k2-1) / (n (min(k1,k2)-1))). SDMetrics
    bins numbers into 10 bins. A pair whose real V is under ``factor`` times that is scored
    but carries no real association to reproduce. Intertable pairs join a parent column
    (Column 1) to a child column (Column 2) over the child's rows.
    """
    props = quality.get("properties") or {}
    flagged, scored = [], 0
    for prop in ("Column Pair Trends", "Intertable Trends"):
        for d in props.get(prop, {}).get("details", []):
            if d.get("Metric") != "ContingencySimilarity" or not d.get("Meets Threshold?"):
                continue
            scored += 1
            if prop == "Column Pair Trends":
                tables = (d["Table"], d["Table"])
            else:
                tables = (d["Parent Table"], d["Child Table"])
            levels = []
            for table, col in zip(tables, (d["Column 1"], d["Column 2"]), strict=True):
                k = real[table][col].nunique()
                numeric = score_md["tables"][table]["columns"][col]["sdtype"] in (
                    "numerical",
                    "datetime",
                )
                levels.append(min(k, 10) if numeric else k)
            k1, k2 = levels
            n = len(real[tables[1]])
            v = d.get("Real Association")
            if v is None or n == 0 or min(k1, k2) < 2:
                continue
            chance = ((k1 - 1) * (k2 - 1) / (n * (min(k1, k2) - 1))) ** 0.5
            if v < factor * chance:
                where = (
                    f"{tables[0]}.{d['Column 1']} x {d['Column 2']}"
                    if tables[0] == tables[1]
                    else f"{tables[0]}.{d['Column 1']} x {tables[1]}.{d['Column 2']}"
                )
                flagged.append(f"{where} (V {v:.2f}, chance {chance:.2f})")
    return flagged, scored


def size_notes(root: str, n_roots: int, candidates: list[dict[str, Any]]) -> list[str]:
    """Cautions that follow from the sizes actually scored and from suspicious scores."""
    notes = []
    if n_roots < SMALL_HOLDOUT_ROOTS:
        notes.append(
            f"The holdout has only {n_roots} '{root}' rows. Every score is noisy at this size, "
            "and Cramer's V is biased upward on small samples, so pairs with no real "
            "association can pass the 0.3 threshold. 'closer to train' also drifts above 0.5 "
            "without any copying, because a generator reproduces quirks of its small training "
            "sample (values seen only in train). Compare candidates with the ceiling row and "
            "with each other, not with 1.0 or 0.5."
        )
    ceiling = next((c for c in candidates if c["role"] == "ceiling"), None)
    real_dcr = ceiling["summary"].get("DCR baseline") if ceiling else None
    if ceiling and ceiling["summary"].get("Spikes"):
        notes.append(
            f"The ceiling row fails the per-column check on {ceiling['summary']['Spikes']} "
            "column(s): train against the holdout, two real samples, so at this holdout size "
            "sampling noise alone (values shared by all rows of one root entity, too) can put "
            "a value over its allowance. Read the candidates' spikes against that."
        )
    for c in candidates:
        summary = c["summary"]
        if c["role"] != "candidate":
            continue
        if (summary.get("ML ratio") or 0) > 1.1:
            notes.append(
                f"'{c['name']}' beats the real train split on ML utility (ratio "
                f"{summary['ML ratio']:.2f}): check that it never saw the holdout rows."
            )
        overfit = summary.get("DCR overfitting")
        if overfit is not None and overfit < 0.5:
            notes.append(
                f"'{c['name']}' has many more rows near the training rows than near unseen real "
                f"rows (DCR overfitting {overfit:.2f}): it may reproduce training records."
            )
        dcr = summary.get("DCR baseline")
        ratio = summary.get("DCR ratio")
        if ratio is not None and ratio < 0.5:
            seen = (
                f"; SDMetrics' DCR overfitting reads {overfit:.2f}, because it compares with an "
                "equal-sized sample of train and so cannot see most copies"
                if overfit is not None and overfit >= 0.5
                else ""
            )
            notes.append(
                f"'{c['name']}' sits much closer to the training rows than unseen real rows do "
                f"(DCR ratio {ratio:.2f}): it may reproduce training records{seen}."
            )
        elif dcr is not None and real_dcr and dcr < 0.5 * real_dcr:
            notes.append(
                f"'{c['name']}' sits much closer to the training rows than unseen real rows do "
                f"(DCR baseline {dcr:.3f} against the holdout's {real_dcr:.3f})."
            )
        if summary.get("Spikes"):
            notes.append(
                f"'{c['name']}' has {summary['Spikes']} column(s) where one value takes far more "
                "rows than in the data it learned from: see the per-column check."
            )
        kept = c["sample"].get("root_rows_kept", n_roots)
        if kept < n_roots:
            notes.append(
                f"'{c['name']}' has {kept} '{root}' rows, fewer than the {n_roots} scored in "
                "the holdout: size-dependent scores (Cardinality from shared tables) are not "
                "like for like."
            )
    return notes


def identifier_note(id_like: list[str]) -> str:
    """Why identifier-like categorical columns were hidden from SDMetrics and the check."""
    return (
        "Not scored by SDMetrics nor the per-column check (categorical, but at least 90% of "
        "train's values are distinct, so every pair with them would score 0 for any sample "
        "that does not copy them): " + ", ".join(id_like) + ". Declare them with a PII sdtype "
        "(email, first_name, ...) or pass skip_identifier_like=False / --keep-identifier-like."
    )


def chance_note(chance: list[str], n_assoc: int) -> str:
    """Pairs that pass SDMetrics' association threshold by chance alone."""
    return (
        f"{len(chance)} of the {n_assoc} column pairs scored by association "
        "(Column Pair Trends, Intertable Trends) "
        "have a holdout Cramer's V within 1.5x of what independent columns of that size "
        "give (many values, few rows), so they pass the threshold by chance and score low "
        "for every candidate, the ceiling too: "
        + "; ".join(chance[:6])
        + ("; ..." if len(chance) > 6 else "")
        + "."
    )


def shared_note(shared_tables: list[str]) -> str:
    """Shared tables are not held out, so they flatter the ceiling and copying candidates."""
    return (
        "Shared tables (" + ", ".join(shared_tables) + ") are not held out: train and "
        "holdout hold the same rows, so the ceiling scores them 1 by construction, and a "
        "candidate that copies them does too. Use scope 'held_out' (--scope held_out) to "
        "score only the held-out tables."
    )
