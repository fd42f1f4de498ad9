"""``gaussian_copula``: one GaussianCopulaSynthesizer per table plus learned child counts.

Each table is modeled alone (keys removed); each relationship keeps the empirical distribution
of "children per parent row" (zeros included) and its null-key rate. Sampling goes down the
tree: a child gets, for every sampled parent row, a count drawn from that distribution, and its
key column repeats the parent's key that many times, so referential integrity holds by
construction. A second modeled parent's key is drawn from the sampled parent keys weighted by
counts drawn the same way. Dependencies across tables are not modeled (that is HMA's job);
this is the fast, simple baseline.
"""

from __future__ import annotations

import graphlib
import warnings
from typing import Any

import numpy as np
import pandas as pd

from synthgen_sdv.synth.base import SYNTHESIZERS, Synthesizer
from synthgen_sdv.synth.seeding import derive_seed
from synthgen_sdv.synth.treatment import (
    DEFAULT_RULES,
    apply_sdtypes,
    choose_treatments,
    transformers_for,
)


@SYNTHESIZERS.register("gaussian_copula")
class GaussianCopulaTables(Synthesizer):
    """Independent per-table Gaussian copulas linked by learned children-per-parent counts."""

    name = "gaussian_copula"

    def __init__(
        self,
        seed: int = 0,
        verbose: bool = False,
        rules=DEFAULT_RULES,
        default_distribution: str = "truncnorm",
        **kwargs,
    ):
        super().__init__(seed=seed, verbose=verbose, **kwargs)
        self.rules = tuple(rules)
        self.default_distribution = default_distribution
        self.treatments = []
        self.models: dict[str, Any] = {}
        self.sizes: dict[str, int] = {}
        self.order: list[str] = []
        self.relationships: list[dict] = []
        self.count_values: dict[tuple[str, str], np.ndarray] = {}
        self.null_rates: dict[tuple[str, str], float] = {}
        self.primary_keys: dict[str, str | None] = {}

    def _fit(self, tables: dict[str, pd.DataFrame], metadata: dict) -> None:
        from sdv.metadata import Metadata
        from sdv.single_table import GaussianCopulaSynthesizer

        self.treatments = choose_treatments(tables, metadata, self.rules) if self.rules else []
        md = apply_sdtypes(metadata, self.treatments)
        transformers = transformers_for(self.treatments)
        self.relationships = list(md.get("relationships", []))
        graph = {t: set() for t in md["tables"]}
        for r in self.relationships:
            graph[r["child_table_name"]].add(r["parent_table_name"])
        self.order = list(graphlib.TopologicalSorter(graph).static_order())
        for table in self.order:
            tmeta = md["tables"][table]
            fks = [
                r["child_foreign_key"] for r in self.relationships if r["child_table_name"] == table
            ]
            fks = [c for c in fks if c != tmeta.get("primary_key")]
            single = {"columns": {c: m for c, m in tmeta["columns"].items() if c not in fks}}
            if tmeta.get("primary_key"):
                single["primary_key"] = tmeta["primary_key"]
            data = tables[table].drop(columns=fks)
            self.sizes[table] = len(data)
            self.primary_keys[table] = tmeta.get("primary_key")
            if not single["columns"]:
                # a table of foreign keys only (a link table): nothing for a copula to learn;
                # its rows come from the child counts and its keys from the parents
                self.models[table] = None
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = GaussianCopulaSynthesizer(
                    Metadata.load_from_dict({"tables": {table: single}}),
                    default_distribution=self.default_distribution,
                )
                model.auto_assign_transformers(data)
                if transformers.get(table):
                    model.update_transformers(transformers[table])
                model.fit(data)
            self.models[table] = model
        for r in self.relationships:
            parent, child = r["parent_table_name"], r["child_table_name"]
            fk, pk = r["child_foreign_key"], r["parent_primary_key"]
            counts = tables[child][fk].value_counts()
            per_parent = counts.reindex(tables[parent][pk].to_numpy(), fill_value=0)
            self.count_values[(child, fk)] = per_parent.to_numpy(dtype=np.int64)
            self.null_rates[(child, fk)] = float(tables[child][fk].isna().mean())

    def _rows(self, table: str, n: int) -> pd.DataFrame:
        """``n`` rows of the table's own columns (none for a table of foreign keys only)."""
        model = self.models[table]
        if model is None:
            return pd.DataFrame(index=pd.RangeIndex(n))
        model.reset_sampling()
        if getattr(model, "_model", None) is not None:  # None: a table of keys only
            model._set_random_state(derive_seed(self.seed, "table", table))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return model.sample(max(n, 1)).iloc[:n].reset_index(drop=True)

    def _driver(self, rels: list[dict]) -> dict:
        """The relationship whose counts set the child's rows: the parent with the most rows
        (a 23-row parent where one row holds every child gives 0 children in most draws)."""
        return max(rels, key=lambda r: self.sizes[r["parent_table_name"]])

    def _sample(self, scale: float) -> dict[str, pd.DataFrame]:
        out: dict[str, pd.DataFrame] = {}
        for table in self.order:
            rels = [r for r in self.relationships if r["child_table_name"] == table]
            rng = np.random.default_rng(derive_seed(self.seed, "counts", table))
            if not rels:
                out[table] = self._rows(table, max(1, round(self.sizes[table] * scale)))
                continue
            first = self._driver(rels)
            others = [r for r in rels if r is not first]
            parent_keys = out[first["parent_table_name"]][first["parent_primary_key"]].to_numpy()
            counts = rng.choice(
                self.count_values[(table, first["child_foreign_key"])], size=len(parent_keys)
            )
            n = int(counts.sum())
            if n == 0 and self.sizes[table] and len(parent_keys):
                # the data has rows here: at least one child, under a parent drawn uniformly
                counts[rng.integers(len(parent_keys))] = 1
                n = 1
            df = self._rows(table, n)
            fk_values = pd.Series(np.repeat(parent_keys, counts), dtype=object)
            df[first["child_foreign_key"]] = self._with_nulls(fk_values, table, first, rng)
            for r in others:
                keys = out[r["parent_table_name"]][r["parent_primary_key"]].to_numpy()
                if len(keys) == 0:  # the parent came out empty: no key can resolve but null
                    df[r["child_foreign_key"]] = pd.Series([None] * n, dtype=object)
                    continue
                weights = rng.choice(
                    self.count_values[(table, r["child_foreign_key"])], size=len(keys)
                ).astype(float)
                p = weights / weights.sum() if weights.sum() else None
                drawn = pd.Series(rng.choice(keys, size=n, p=p), dtype=object)
                df[r["child_foreign_key"]] = self._with_nulls(drawn, table, r, rng)
            out[table] = df
        return out

    def _with_nulls(self, values: pd.Series, table: str, rel: dict, rng) -> pd.Series:
        rate = self.null_rates[(table, rel["child_foreign_key"])]
        if rate > 0:
            values[rng.random(len(values)) < rate] = None
        return values.infer_objects()

    def _params(self) -> dict[str, Any]:
        return {
            "rules": list(self.rules),
            "default_distribution": self.default_distribution,
            "pii": self.pii,
            "reattach_condition": self.reattach_condition,
        }
