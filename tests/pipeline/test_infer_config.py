"""infer-config: a baseline config with each column's marginal and no cross-column dependencies."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import yaml
from scipy.stats import ks_2samp

from synthgen_sdv.core.metadata import subgraph
from synthgen_sdv.runs.baseline import generate_baseline, write_inferred
from synthgen_sdv.runs.config import load_project
from synthgen_sdv.schema.infer import infer_config, infer_tables_config
from synthgen_sdv.schema.loader import load_config
from synthgen_sdv.schema.models import TablesSpec
from synthgen_sdv.schema.plan import resolve_plan
from tests.generate.helpers import read, schema


def test_infer_config_command_writes_a_loadable_config(default_output, tmp_path):
    out = tmp_path / "inferred"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "synthgen_sdv",
            "infer-config",
            "--data-dir",
            str(default_output),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    doc = yaml.safe_load((out / "tables.yml").read_text())
    assert set(doc["tables"]) == set(schema(default_output)["tables"])
    orders = doc["tables"]["orders"]["columns"]
    assert orders["customer_id"]["children_per_parent"]["counts"]
    assert orders["order_date"]["kind"] == "date" and len(orders["order_date"]["seasonality"]) == 12
    assert orders["channel"]["kind"] == "categorical"
    assert resolve_plan(load_project(out)).tables["orders"].driver == "customer_id"


MODELED = ["customers", "orders", "transactions"]


def _modeled(out):
    """The modeled tables of an output folder and their SDV metadata subgraph."""
    return {t: read(out, t) for t in MODELED}, subgraph(schema(out)["sdv_metadata"], MODELED)


def test_baseline_keeps_marginals_and_loses_dependencies(default_output):
    real, meta = _modeled(default_output)
    assert set(infer_tables_config(real, meta)["tables"]) == set(MODELED)
    base = generate_baseline(real, meta, seed=3)
    c_real, c_base = real["customers"], base["customers"]
    assert len(c_base) == len(c_real)
    assert ks_2samp(c_real["income"], c_base["income"]).statistic < 0.08
    share = c_base["segment"].value_counts(normalize=True)
    assert (
        abs(share["consumer"] - c_real["segment"].value_counts(normalize=True)["consumer"]) < 0.06
    )
    per_real = real["orders"].groupby("customer_id").size().mean()
    per_base = base["orders"].groupby("customer_id").size().mean()
    assert abs(per_real - per_base) / per_real < 0.15
    # the designed dependency is gone: income no longer depends on segment
    med = c_base.groupby("segment")["income"].median()
    assert med.max() / med.min() < 1.3
    assert (
        np.corrcoef(
            c_real["income"],
            pd.Series(
                c_real["segment"].map(
                    {"consumer": 0, "small_business": 1, "corporate": 2, "premium": 3}
                )
            ),
        )[0, 1]
        > 0.5
    )


def test_inference_is_typed_and_equals_what_its_yaml_loads_to(default_output, tmp_path):
    real, meta = _modeled(default_output)
    inferred = infer_config(real, meta, seed=3)
    assert isinstance(inferred.tables, TablesSpec) and list(inferred.tables.tables) == MODELED
    from_disk = load_config(write_inferred(inferred, tmp_path / "cfg"))
    assert from_disk.tables == inferred.tables and from_disk.run == inferred.run
    in_memory = resolve_plan(inferred.loaded(), seed=3)
    assert in_memory.config_hash == resolve_plan(from_disk, seed=3).config_hash
