"""Tiny demo data (customers -> orders -> transactions, products not modeled) for synth tests."""

from __future__ import annotations

import warnings

import pytest

from tests.fixtures.demo import demo_metadata, demo_tables

MODELED = ["customers", "orders", "transactions"]


@pytest.fixture(scope="session")
def tiny():
    """(tables, sdv Metadata) with 40 customers."""
    return demo_tables(40, seed=3), demo_metadata()


@pytest.fixture(scope="session")
def fitted_hma(tiny):
    from synthgen_sdv.synth import SYNTHESIZERS

    tables, md = tiny
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SYNTHESIZERS.get("hma")(seed=7).fit(tables, md, modeled=MODELED)


@pytest.fixture(scope="session")
def dangling():
    return count_dangling


def count_dangling(out, tables, metadata_dict) -> int:
    """Foreign-key values in ``out`` that do not resolve (parents from out, else tables)."""
    bad = 0
    for r in metadata_dict["relationships"]:
        child, parent = r["child_table_name"], r["parent_table_name"]
        if child not in out:
            continue
        source = out if parent in out else tables
        keys = set(source[parent][r["parent_primary_key"]].dropna())
        bad += int((~out[child][r["child_foreign_key"]].dropna().isin(keys)).sum())
    return bad
