"""Text keys counted across batches and spelled as text (``synth.text_keys``): distinct for
distinct counts, in the pattern's shape, each table its own spelling, nulls kept, and only the
formats that can be counted are."""

from __future__ import annotations

import string

import numpy as np
import pandas as pd
import pytest
from rdt.transformers import AnonymizedFaker, RegexGenerator

from synthgen_sdv.synth.text_keys import KeyFormat, as_text


def test_a_pattern_spells_distinct_counts_as_distinct_keys_in_its_shape():
    fmt = KeyFormat(pattern="sdv-id-??????")
    keys = fmt.spell(np.arange(200_000))
    assert len(set(keys)) == len(keys)
    assert pd.Series(keys).str.fullmatch(r"sdv-id-[A-Za-z]{6}").all()
    assert fmt.spell(np.arange(5)).tolist() == fmt.spell(np.arange(5)).tolist()  # a function
    assert fmt.spell(np.arange(5), salt=1).tolist() != fmt.spell(np.arange(5)).tolist()
    wide = KeyFormat(pattern="K-#??????????")  # past int64's exact range: python integers
    assert len(set(wide.spell(np.arange(10_000)))) == 10_000


def test_digits_keep_their_width_and_grow_past_it():
    assert KeyFormat(width=4).spell(np.array([1, 42, 12345])).tolist() == ["0001", "0042", "12345"]


@pytest.mark.parametrize(
    ("transformer", "expected"),
    [
        (
            AnonymizedFaker(function_name="bothify", function_kwargs={"text": "sdv-id-??????"}),
            KeyFormat(pattern="sdv-id-??????"),
        ),
        (AnonymizedFaker(function_name="bothify", function_kwargs={"text": "??#"}), None),  # few
        (RegexGenerator(regex_format="[0-9]{4}"), KeyFormat(width=4)),
        (RegexGenerator(regex_format=r"\d{6}"), KeyFormat(width=6)),
        (  # a code of classes and literals: one alphabet per position
            RegexGenerator(regex_format=r"[A-Z]{2}[0-9]{4}"),
            KeyFormat(slots=(string.ascii_uppercase,) * 2 + (string.digits,) * 4),
        ),
        (RegexGenerator(regex_format="[A-Z]{2}"), None),  # 676 keys: too few to count
        (RegexGenerator(regex_format="[A-Z]+[0-9]*"), None),  # another regex: one draw
        (AnonymizedFaker(function_name="random_int"), None),  # an integer: counted as is
    ],
)
def test_which_formats_are_counted(transformer, expected):
    assert KeyFormat.of(transformer) == expected


def test_as_text_spells_keys_and_the_foreign_keys_to_them_alike():
    fmt = KeyFormat(pattern="id-??????")
    tables = {
        "parent": pd.DataFrame({"pid": [1, 2, 3]}),
        "child": pd.DataFrame({"cid": [1, 2, 3, 4], "pid": pd.array([3, None, 1, 1], "Int64")}),
    }
    rel = {
        "parent_table_name": "parent",
        "child_table_name": "child",
        "parent_primary_key": "pid",
        "child_foreign_key": "pid",
    }
    out = as_text(tables, {"parent": ("pid", fmt)}, [rel])
    parent, child = out["parent"]["pid"], out["child"]["pid"]
    assert parent.is_unique and parent.map(type).eq(str).all()
    assert child.isna().tolist() == [False, True, False, False]
    assert child.dropna().isin(parent).all()
    assert child[0] == parent[2] and child[2] == child[3] == parent[0]
    assert out["child"]["cid"].tolist() == [1, 2, 3, 4]  # integer keys untouched


def test_a_code_regex_is_spelled_position_by_position_and_stays_distinct():
    from synthgen_sdv.core.errors import SynthgenError
    from synthgen_sdv.synth.text_keys import regex_slots

    fmt = KeyFormat(slots=regex_slots(r"[0-9]{3}\-[0-9]{2}\-[0-9]{4}"))  # pubs' au_id
    keys = fmt.spell(np.arange(5000), salt=11)
    assert len(set(keys)) == 5000
    assert all(len(k) == 11 and k[3] == "-" and k[6] == "-" for k in keys)
    assert all(k.replace("-", "").isdigit() for k in keys)
    small = KeyFormat(slots=regex_slots("[A-C]{2}"))
    assert sorted(small.spell(np.arange(9))) == sorted(a + b for a in "ABC" for b in "ABC")
    with pytest.raises(SynthgenError, match="holds 9"):
        small.spell(np.arange(10))
