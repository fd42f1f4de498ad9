"""``synth.swaps.Swap``: ours in force inside the block (nested too), the originals after."""

from __future__ import annotations

import types

import pytest

from synthgen_sdv.core.swaps import Swap


def test_a_swap_puts_back_attributes_and_keys_after_the_outermost_block():
    module = types.SimpleNamespace(f="theirs")

    class Owner:
        def g(self):
            return "theirs"

    table = {"kept": 1}
    swap = Swap((module, "f", "ours"), (Owner, "g", lambda self: "ours"), (table, "new", 2))
    with swap():
        with swap():
            assert module.f == "ours" and Owner().g() == "ours" and table["new"] == 2
        assert module.f == "ours"  # the inner block ended, the outer holds
    assert module.f == "theirs" and Owner().g() == "theirs" and table == {"kept": 1}
    with pytest.raises(RuntimeError), swap():
        raise RuntimeError
    assert module.f == "theirs" and swap.depth == 0
