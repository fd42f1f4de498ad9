"""The HMA synthesizers: ``hma`` (vectorized, with per-column treatment) and ``hma_stock``.

``hma`` = ``FastHMASynthesizer`` (see ``fast_hma``) + per-column treatments (``treatment``) +
shrinkage of per-parent parameters + a chosen marginal for root tables; each choice is a
constructor parameter so benchmarks can switch it off. ``hma_stock`` is sdv's
``HMASynthesizer`` with default settings, behind the same interface (benchmarks, ablations).

Parameters (``SYNTHESIZERS.get("hma")(seed=..., **params)``):
    rules: treatment rules, subset of ("discrete", "log", "ordered"); () = SDV's transformers
    shrinkage: pseudo-count pulling per-parent variances/correlations to pooled values; 0 = stock
    root_distribution: marginal for root-table columns (SDV's HMA default is "beta")
    truncnorm_fit: "moments" or "mle" (stock SLSQP) for table-level truncnorm marginals
    calibrate_counts: rank-map sampled children-per-parent counts onto the real distribution
    count_model: ... per bin of the parent's own values where they explain the counts
        (``counts``), and add rows to parents with children first; False = one global map
    multiparent / candidates: how a multi-parent child's other keys are assigned
        ("candidates", "clusters", "clusters+candidates" or "prior"; synth/parent_assignment.py)
    childless: child-model parameters of parents without children, "donor" or "mean" (stock)
    lookups: columns another column of their table determines are looked up, not modeled
        (``dependencies``)
    calendar: columns that are calendar parts of a date of their row (year, month name, ISO
        week, fiscal quarter) are computed from the sampled date, not modeled (``calendar``)
    arithmetic: a number that is the sum of two or three, or the product of two, other numbers
        of its row (a total, a line amount) is computed from the sampled terms (``arithmetic``)
    anchors: columns tight to a parent's or their row's column are modeled as an offset from
        it (``anchors``)
    clusters: K > 0 adds ClavaDDPM's relation-aware latent classes (``clusters``); 0 = off
    repeats: a child's category column that repeats a parent's gains a modeled "same as the
        parent" flag, and the rows drawn as repeats take their parent's value (``repeats``)
    small_tables: tables of fewer rows whose parents are copied too (lookup tables and their
        small children) are sampled as copies of their real rows with their children's
        parameters, not from models they are too small to fit (``copies``); those rows are
        real rows (PII columns are still regenerated); 0 = always modeled
    conditioning: "parents": a child's numbers and dates re-ordered among its sampled rows
        toward what its parents' columns predict (``conditioning``); "rows": toward its
        parents' columns and its row's own categories; "off" (or False)
    pii / reattach_condition: see ``Synthesizer``
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd

from synthgen_sdv.synth.anchors import Anchors
from synthgen_sdv.synth.arithmetic import Arithmetic
from synthgen_sdv.synth.base import SYNTHESIZERS, Synthesizer
from synthgen_sdv.synth.calendar import Calendar
from synthgen_sdv.synth.clusters import Clusters
from synthgen_sdv.synth.column_loop import in_place_columns
from synthgen_sdv.synth.conditioning import Conditioning
from synthgen_sdv.synth.dependencies import Dependencies
from synthgen_sdv.synth.fast_encode import fast_uniform
from synthgen_sdv.synth.fast_hma import FastHMASynthesizer
from synthgen_sdv.synth.fast_rounding import fast_rounding
from synthgen_sdv.synth.marginals import keep_shares, learn_shares
from synthgen_sdv.synth.preprocess import deferred_fakers, shared_prototypes
from synthgen_sdv.synth.random_states import saved_states
from synthgen_sdv.synth.repeats import Repeats
from synthgen_sdv.synth.seeding import derive_seed
from synthgen_sdv.synth.treatment import (
    DEFAULT_RULES,
    apply_sdtypes,
    assign_transformers,
    choose_treatments,
)


def root_tables(metadata: dict) -> list[str]:
    """Tables that are no relationship's child (HMA models them as roots)."""
    children = {r["child_table_name"] for r in metadata.get("relationships", [])}
    return [t for t in metadata["tables"] if t not in children]


class _HMABase(Synthesizer):
    """Shared fit/sample plumbing around an sdv HMASynthesizer (sub)class."""

    shares_inside = True

    def __init__(
        self,
        seed: int = 0,
        verbose: bool = False,
        rules=(),
        shrinkage: float = 0.0,
        root_distribution: str | None = None,
        truncnorm_fit: str = "mle",
        calibrate_counts: bool = False,
        lookups: bool = False,
        calendar: bool = False,
        arithmetic: bool = False,
        anchors: bool = False,
        clusters: int = 0,
        repeats: bool = False,
        conditioning: str | bool = "off",
        **kwargs,
    ):
        super().__init__(seed=seed, verbose=verbose, **kwargs)
        switches = {"lookups": lookups, "calendar": calendar, "arithmetic": arithmetic}
        switches.update({"anchors": anchors, "repeats": repeats})
        for name, value in switches.items():
            if value not in (True, False):  # 0 / 1 too; "no" or 2 is a typo
                raise ValueError(f"{name} must be true or false, got {value!r}")
        modes = {False: "off", True: "parents", "off": "off", "parents": "parents", "rows": "rows"}
        if conditioning not in modes:
            raise ValueError(
                f"conditioning must be 'off', 'parents' or 'rows', got {conditioning!r}"
            )
        self.conditioning = modes[conditioning]
        self.conditioned: Conditioning | None = None
        self.clusters = int(clusters)
        self.repeats = bool(repeats)
        self.repeated: Repeats | None = None
        self.classes: Clusters | None = None
        self.calibrate_counts = bool(calibrate_counts)
        self.lookups, self.anchors = bool(lookups), bool(anchors)
        self.dependencies: Dependencies | None = None
        self.calendar = bool(calendar)
        self.calendar_parts: Calendar | None = None
        self.arithmetic = bool(arithmetic)
        self.computed: Arithmetic | None = None
        self.anchored: Anchors | None = None
        self.rules = tuple(rules)
        self.shrinkage = float(shrinkage)
        self.root_distribution = root_distribution
        self.truncnorm_fit = truncnorm_fit
        self.treatments = []
        self.model = None

    def _make(self, metadata, table_parameters: dict[str, dict]):
        """SDV's synthesizer for ``metadata``, with the given tables' parameters set."""
        raise NotImplementedError

    def _fit(self, tables: dict[str, pd.DataFrame], metadata: dict) -> None:
        from sdv.metadata import Metadata

        # lookups first (exact structure), then offsets among the columns still modeled;
        # _sample undoes them in the reverse order
        original, original_md = tables, metadata
        memo: dict = {}  # calendar parts of frames the steps below leave as they are
        self.anchored, self.dependencies, self.computed = None, None, None
        if getattr(self, "arithmetic", False):  # sums and products first: a total "determines"
            # its parts only by chance, and the lookups below would take them from it
            leave: set[tuple[str, str]] = set()
            if getattr(self, "calendar", False):  # a calendar part comes from its date
                found = Calendar.fit(tables, metadata, memo)[0].parts
                leave = {(p.table, p.column) for p in found}
            self.computed, tables, metadata = Arithmetic.fit(tables, metadata, leave)
        if self.lookups:
            self.dependencies, tables, metadata = Dependencies.fit(tables, metadata)
        self.calendar_parts = None
        if getattr(self, "calendar", False):  # after lookups: a month's name follows its number
            self.calendar_parts, tables, metadata = Calendar.fit(tables, metadata, memo)
        if self.anchors:
            self.anchored, tables, metadata = Anchors.fit(tables, metadata)
        self.repeated = None
        if getattr(self, "repeats", False):
            self.repeated, tables, metadata = Repeats.fit(tables, metadata)
        self.classes = None
        if getattr(self, "clusters", 0):
            self.classes, tables, metadata = Clusters.fit(tables, metadata, self.clusters)
        self.treatments = choose_treatments(tables, metadata, self.rules) if self.rules else []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SDV's "save metadata" / dtype chatter
            modeled_md = apply_sdtypes(metadata, self.treatments)
            roots = {  # the root tables' marginals, set as their synthesizers are built
                table: self._root_parameters(table, modeled_md["tables"][table])
                for table in (root_tables(metadata) if self.root_distribution else [])
            }
            model = self._make(Metadata.load_from_dict(modeled_md), roots)
            if self.treatments:
                assign_transformers(model, tables, self.treatments)
            model.fit(tables)
        self.model = model
        # shares in the space the model sees: an anchored offset keeps its real shares, and a
        # looked-up label follows its re-labelled determinant rather than being re-labelled
        self.shares = learn_shares(tables, self.treatments)
        # a table sampled as copies of its real rows (``copies``) keeps its rows whole
        copied = set(getattr(self.model, "_copied", None) or ())
        self.shares = [s for s in self.shares if not (s.stream == "unique" and s.table in copied)]
        model.unique_columns = [s for s in self.shares if s.stream == "unique"]
        self.conditioned = None
        mode = getattr(self, "conditioning", "off")
        if mode != "off":
            copied = set(getattr(self.model, "_copied", None) or ())
            self.conditioned = Conditioning.fit(
                original, original_md, self._owned_columns(), copied, rows=mode == "rows"
            )

    def _owned_columns(self) -> set[tuple[str, str]]:
        """(table, column)s an exact mechanism rebuilds (lookups, anchors, repeats, copies):
        conditioning leaves them, and every column of a copied table, alone."""
        owned: set[tuple[str, str]] = set()
        if self.dependencies is not None:
            for lk in self.dependencies.lookups:
                owned |= {(lk.table, lk.column), (lk.table, lk.source)}
        if getattr(self, "calendar_parts", None) is not None:
            for p in self.calendar_parts.parts:
                owned |= {(p.table, p.column), (p.table, p.source)}
        if getattr(self, "computed", None) is not None:
            owned |= self.computed.owned()
        if getattr(self, "anchored", None) is not None:
            for a in self.anchored.anchors:
                owned |= {(a.table, a.column), (a.parent or a.table, a.anchor)}
        if getattr(self, "repeated", None) is not None:
            owned |= {(r.table, r.column) for r in self.repeated.repeats}
        copied = set(getattr(self.model, "_copied", None) or ())
        for table in copied:
            owned |= {(table, c) for c in self.model.metadata.tables[table].columns}
        return owned

    def _root_parameters(self, table: str, table_meta: dict) -> dict:
        """Marginals of a root table: its columns are modeled once, so each gets the family
        that fits its encoding: normal for normal scores (quantile-normalized numbers and
        dates, normal-encoded categories), uniform for uniform-encoded categoricals,
        ``root_distribution`` for the rest."""
        scores = {
            t.column
            for t in self.treatments
            if t.table == table and t.treatment in ("quantile", "normal")
        }
        per_column = {}
        for col, meta in table_meta["columns"].items():
            if col in scores:
                per_column[col] = "norm"
            elif meta["sdtype"] in ("categorical", "boolean"):
                per_column[col] = "uniform"
        return {
            "default_distribution": self.root_distribution,
            "numerical_distributions": per_column,
        }

    def _sample(self, scale: float) -> dict[str, pd.DataFrame]:
        model = self.model
        model.reset_sampling()
        # SDV's own sampling seeds: HMA's numpy seed and each table model's RandomState
        model._numpy_seed = derive_seed(self.seed, "sdv_numpy")
        for table, synthesizer in model._table_synthesizers.items():
            if getattr(synthesizer, "_model", None) is not None:
                synthesizer._set_random_state(derive_seed(self.seed, "sdv_table", table))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = model.sample(scale=scale)
        out = keep_shares(out, getattr(self, "shares", []), self.seed)
        if getattr(self, "repeated", None) is not None:
            out = self.repeated.restore(out)
        if getattr(self, "classes", None) is not None:
            out = self.classes.restore(out)
        if getattr(self, "anchored", None) is not None:
            out = self.anchored.restore(out, derive_seed(self.seed, "anchors"))
        if getattr(self, "calendar_parts", None) is not None:
            out = self.calendar_parts.restore(out)
        if getattr(self, "dependencies", None) is not None:
            out = self.dependencies.restore(out)
        computed = getattr(self, "computed", None)
        if computed is not None:  # before conditioning, which may read them
            out = computed.restore(out)
        if getattr(self, "conditioned", None) is not None:
            out = self.conditioned.restore(out)
            if computed is not None:  # again, from the terms conditioning re-ordered
                out = computed.restore(out)
        return out

    def params(self) -> dict[str, Any]:
        """The lineage entry, with what was copied or encoded rather than modeled: a user
        must be able to see which tables hold copies of real rows (``copies``)."""
        out = super().params()
        copied = list(getattr(self.model, "_copied", None) or [])
        if copied:
            out["copied_tables"] = copied
        counts = getattr(self.model, "describe_counts", None)
        if counts is not None and counts():
            out["count_bins"] = counts()
        repeated = getattr(self, "repeated", None)
        if repeated is not None and repeated.repeats:
            out["repeated_columns"] = repeated.describe()
        conditioned = getattr(self, "conditioned", None)
        if conditioned is not None and conditioned.columns:
            out["conditioned_columns"] = conditioned.describe()
        calendar = getattr(self, "calendar_parts", None)
        if calendar is not None and calendar.parts:
            out["calendar_columns"] = calendar.describe()
        computed = getattr(self, "computed", None)
        if computed is not None and computed.relations:
            out["computed_columns"] = computed.describe()
        return out

    def _params(self) -> dict[str, Any]:
        return {
            "rules": list(self.rules),
            "shrinkage": self.shrinkage,
            "root_distribution": self.root_distribution or "beta",
            "truncnorm_fit": self.truncnorm_fit,
            "calibrate_counts": self.calibrate_counts,
            "lookups": getattr(self, "lookups", False),
            "calendar": getattr(self, "calendar", False),
            "arithmetic": getattr(self, "arithmetic", False),
            "anchors": getattr(self, "anchors", False),
            "clusters": getattr(self, "clusters", 0),
            "repeats": getattr(self, "repeats", False),
            "conditioning": getattr(self, "conditioning", "off"),
            "pii": self.pii,
            "reattach_condition": self.reattach_condition,
        }


@SYNTHESIZERS.register("hma")
class FastHMA(_HMABase):
    """Vectorized HMA with per-column treatment (the default synthesizer)."""

    name = "hma"

    def __init__(
        self,
        seed: int = 0,
        verbose: bool = False,
        rules=DEFAULT_RULES,
        shrinkage: float = 5.0,
        root_distribution: str | None = "beta",
        truncnorm_fit: str = "moments",
        calibrate_counts: bool = True,
        multiparent: str = "candidates",
        candidates: int = 16,
        childless: str = "donor",
        lookups: bool = True,
        calendar: bool = True,
        arithmetic: bool = True,
        anchors: bool = True,
        small_tables: int = 50,
        repeats: bool = True,
        conditioning: str | bool = "parents",
        count_model: bool = True,
        **kwargs,
    ):
        super().__init__(
            seed=seed,
            verbose=verbose,
            rules=rules,
            shrinkage=shrinkage,
            root_distribution=root_distribution,
            truncnorm_fit=truncnorm_fit,
            calibrate_counts=calibrate_counts,
            lookups=lookups,
            calendar=calendar,
            arithmetic=arithmetic,
            anchors=anchors,
            repeats=repeats,
            conditioning=conditioning,
            **kwargs,
        )
        self.multiparent, self.candidates, self.childless = multiparent, candidates, childless
        self.small_tables = int(small_tables)
        if count_model not in (True, False):  # 0 / 1 too; "no" or 2 is a typo
            raise ValueError(f"count_model must be true or false, got {count_model!r}")
        self.count_model = bool(count_model)

    def _fit(self, tables: dict[str, pd.DataFrame], metadata: dict) -> None:
        # RDT's random states without a RandomState per call, decimals learned on numpy,
        # transforms applied to their columns in place, fakers built when first used, one set
        # of default transformers for every table's processor, RDT's category encoder on numpy
        with (
            saved_states(),
            fast_rounding(),
            fast_uniform(),
            in_place_columns(),
            deferred_fakers(),
            shared_prototypes(),
        ):
            super()._fit(tables, metadata)

    def _sample(self, scale: float) -> dict[str, pd.DataFrame]:
        with saved_states(), fast_rounding(), fast_uniform(), in_place_columns(), deferred_fakers():
            return super()._sample(scale)

    def _make(self, metadata, table_parameters):
        return FastHMASynthesizer(
            metadata,
            table_parameters=table_parameters,
            verbose=self.verbose,
            shrinkage=self.shrinkage,
            truncnorm_fit=self.truncnorm_fit,
            calibrate_counts=self.calibrate_counts,
            multiparent=self.multiparent,
            candidates=self.candidates,
            childless=self.childless,
            small_tables=getattr(self, "small_tables", 0),
            count_model=getattr(self, "count_model", False),
        )

    def _params(self) -> dict[str, Any]:
        return {
            **super()._params(),
            "multiparent": self.multiparent,
            "candidates": self.candidates,
            "childless": self.childless,
            "small_tables": getattr(self, "small_tables", 0),
            "count_model": getattr(self, "count_model", False),
        }


@SYNTHESIZERS.register("hma_stock")
class StockHMA(_HMABase):
    """sdv's HMASynthesizer with its default settings (slow; the reference)."""

    name = "hma_stock"

    def __init__(self, seed: int = 0, verbose: bool = False, rules=(), **kwargs):
        super().__init__(
            seed=seed, verbose=verbose, rules=rules, shrinkage=0.0, root_distribution=None, **kwargs
        )

    def _make(self, metadata, table_parameters):
        from sdv.multi_table import HMASynthesizer

        model = HMASynthesizer(metadata, verbose=self.verbose)
        for table, parameters in table_parameters.items():  # none: no root_distribution
            model.set_table_parameters(table, parameters)
        return model
