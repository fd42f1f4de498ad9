"""RDT's per-call random states, kept as saved states instead of new ``RandomState`` objects.

Every RDT transformer method under ``@random_state`` (fit, transform, reverse_transform) runs in
``rdt.transformers.base.set_random_states``: numpy's global state is saved, the transformer's
state for that method put in its place, and afterwards a *new* ``np.random.RandomState()`` is
made to hold the global state the call left (it seeds itself from the OS first, then is
overwritten), before the global state is put back. Each fit (``_set_seed``) and each reset
(``reset_randomization``) also builds two seeded ``RandomState`` objects, most of which are
replaced before any draw. On a small database building these objects was about a tenth of
fit + sample: a ``RandomState`` costs as much to build as a few hundred rows cost to encode.

Here a transformer's state is a ``SavedState``: the tuple ``RandomState.get_state()`` gives
(or a seed, made into that tuple on first use, by one reused ``RandomState``: ``seed(s)`` is
the legacy seeding ``RandomState(s)`` does). It answers ``get_state()`` as a ``RandomState``
does, which is all RDT asks of it, so a transformer holding one works under RDT's own code as
well. The global state goes through the same ``get_state`` / ``set_state`` calls in the same
order, so every draw is the same (tested in ``tests/synth/test_random_states.py``).

``HeldState``: numpy's global state saved once for a loop of transformer calls
(``synth.column_loop``) instead of around each call.

``saved_states()``: RDT's ``set_random_states``, ``BaseTransformer._set_seed`` and
``BaseTransformer.reset_randomization`` (which subclasses' own resets call first) replaced for
the duration of the block (our synthesizer's fit and sample), RDT's own outside it; and a deep
copy of a transformer there shares RDT's ``INITIAL_FIT_STATE`` (``_deepcopy_state``).
"""

from __future__ import annotations

import copy
import datetime
import hashlib
from contextlib import contextmanager, nullcontext

import numpy as np
import pandas as pd
from rdt.transformers import base as rdt_base
from rdt.transformers.base import BaseTransformer

from synthgen_sdv.core.swaps import Swap

_GLOBAL = np.random.mtrand._rand  # what np.random.get_state / set_state act on
_SEEDER = np.random.RandomState(0)  # reused to turn a seed into its state


class SavedState:
    """A legacy ``RandomState``'s state, as ``get_state()`` returns it (a tuple), or a seed
    made into that state on first use. Never changed once made, so it may be shared."""

    __slots__ = ("_seed", "_state")

    def __init__(self, state: tuple | None = None, seed: int | None = None):
        self._state = state
        self._seed = seed

    def get_state(self, legacy: bool = True):
        """``RandomState.get_state``: the state tuple (``legacy=False``: its dict)."""
        if self._state is None:
            _SEEDER.seed(self._seed)
            self._state = _SEEDER.get_state()
        if legacy:
            return self._state
        _SEEDER.set_state(self._state)
        return _SEEDER.get_state(legacy=False)

    def __getstate__(self):
        return (self._state, self._seed)

    def __setstate__(self, saved) -> None:
        self._state, self._seed = saved


def seeded(seed: int) -> SavedState:
    """The state of ``np.random.RandomState(seed)``, computed when first asked for."""
    return SavedState(seed=seed)


@contextmanager
def _set_random_states(random_states, method_name, set_model_random_state):
    """``rdt.transformers.base.set_random_states`` keeping the state the call leaves as a
    ``SavedState`` rather than a new ``RandomState``."""
    original = _GLOBAL.get_state()
    _GLOBAL.set_state(random_states[method_name].get_state())
    try:
        yield
    finally:
        set_model_random_state(SavedState(_GLOBAL.get_state()), method_name)
        _GLOBAL.set_state(original)


class HeldState:
    """numpy's global state held for a run of RDT transformer calls (``synth.column_loop``):
    saved once before the run and put back once after it, where ``set_random_states`` saves
    and restores it around every call (numpy copies MT19937's 624 words one at a time, about
    0.1 ms each way). Nothing draws between the calls, so each call still draws from its
    transformer's own state, which keeps the state the call leaves, as RDT's does; a
    transformer without states draws from the global state as it would be (``of`` for the
    calls the loop makes, ``around`` for the ones RDT wraps itself)."""

    def __enter__(self) -> HeldState:
        self._original = _GLOBAL.get_state()
        self._changed = False
        return self

    def __exit__(self, *exc) -> None:
        if self._changed:
            _GLOBAL.set_state(self._original)

    @contextmanager
    def of(self, transformer, method: str, keep: bool = True):
        """The block of one call: ``transformer``'s state for ``method`` in force. Without
        ``keep`` the state the call leaves is not kept as the transformer's (a ``get_state``
        less, a twentieth of a millisecond): for a caller that resets its states after."""
        states = transformer.random_states
        if states is None:  # RDT calls it on the global state itself
            with self._as_is():
                yield
            return
        _GLOBAL.set_state(states[method].get_state())
        self._changed = True
        if not keep:
            yield
            return
        try:
            yield
        finally:
            transformer.set_random_state(SavedState(_GLOBAL.get_state()), method)

    def around(self, transformer):
        """The block of a call RDT's ``@random_state`` wraps itself (``fit``, a transformer's
        own ``transform``): with states it keeps the global state as it finds it; without,
        it draws from the global state as it would be."""
        return self._as_is() if transformer.random_states is None else nullcontext()

    @contextmanager
    def _as_is(self):
        """The global state as it would be without the hold, and what the block leaves in it
        kept as such."""
        if self._changed:
            _GLOBAL.set_state(self._original)
            self._changed = False
        try:
            yield
        finally:
            self._original = _GLOBAL.get_state()


# values a Series made from an object row may turn into dates (``NaN`` beside a date: ``NaT``)
_DATELIKE = (datetime.date, datetime.time, datetime.timedelta, np.datetime64, np.timedelta64)
_DATELIKE += (pd.Period, pd.Interval)


def seed_text(data, column: str) -> str:
    """``str(row[column])`` of each of the first five rows of ``data`` that RDT's ``_set_seed``
    hashes, joined. ``iterrows`` builds a Series per row from ``head(5).values`` (every column
    in one common dtype): its values are that array's, as numpy scalars or objects, except
    where the Series infers dates (a date column, or an object row with a date-like value in
    it); so the array is read directly, and those (and a repeated column name) go through
    ``iterrows``."""
    head = data.head(5)
    values = head.values
    slow = head.columns.has_duplicates or column not in head.columns
    slow = slow or values.dtype.kind in "mM"
    if not slow and values.dtype == object:
        slow = any(v is pd.NaT or isinstance(v, _DATELIKE) for v in values.ravel())
    if slow:
        return "".join(str(row[column]) for _, row in head.iterrows())
    return "".join(str(v) for v in values[:, head.columns.get_loc(column)])


def _set_seed(self, data) -> None:
    """``BaseTransformer._set_seed`` (rdt 1.x) with its two states made on first use."""
    hash_value = self.columns[0] + seed_text(data, self.columns[0])
    hash_value = int(hashlib.sha256(hash_value.encode("utf-8")).hexdigest(), 16)
    self.random_seed = hash_value % ((2**32) - 1)  # maximum value for a seed
    self.random_states = {
        "fit": self.INITIAL_FIT_STATE,
        "transform": seeded(self.random_seed),
        "reverse_transform": seeded(self.random_seed + 1),
    }


def reset_states(transformer) -> None:
    """``BaseTransformer.reset_randomization`` of ``transformer``, states made on first use."""
    transformer.random_states = {
        "fit": transformer.INITIAL_FIT_STATE,
        "transform": seeded(transformer.random_seed),
        "reverse_transform": seeded(transformer.random_seed + 1),
    }


def _deepcopy_state(state: np.random.RandomState, memo: dict) -> np.random.RandomState:
    """``copy.deepcopy`` of a ``RandomState``, except RDT's shared ``INITIAL_FIT_STATE``, which
    stays shared: RDT only ever reads it (``get_state``), every transformer RDT builds holds
    that one object, and a copy (pickled and rebuilt: a new ``MT19937`` seeded from the OS
    first) of each transformer's was SDV's largest cost of building a table's synthesizer."""
    if state is BaseTransformer.INITIAL_FIT_STATE:
        return state
    return copy._reconstruct(state, memo, *state.__reduce_ex__(4))  # type: ignore[attr-defined]


#: RDT's random-state handling with ``SavedState``s in ``with saved_states():``
saved_states = Swap(
    (rdt_base, "set_random_states", _set_random_states),
    (BaseTransformer, "_set_seed", _set_seed),
    (BaseTransformer, "reset_randomization", reset_states),
    (copy._deepcopy_dispatch, np.random.RandomState, _deepcopy_state),  # type: ignore[attr-defined]
)
