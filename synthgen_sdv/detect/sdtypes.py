"""SDV sdtypes of user columns: sdv's own guesses, corrected where they fail on real data.

sdv takes ``ship_address`` for an IPv6 address and phone / contact-name columns for categories;
sdtypes that describe a value format are kept only if the values have it, and a few column-name
rules mark addresses, phones, e-mails and contact names as PII.
"""

from __future__ import annotations

import re
import warnings

import pandas as pd

from synthgen_sdv.detect.types import OUTPUT_FORMAT

# sdtypes SDV guesses from names that describe a value format: kept only if values match.
FORMAT_CHECKS = {
    "ipv4_address": re.compile(r"^\d{1,3}(\.\d{1,3}){3}(/\d+)?$"),
    "ipv6_address": re.compile(r"^[0-9A-Fa-f]{0,4}(:[0-9A-Fa-f]{0,4}){2,7}$"),
    "email": re.compile(r"^[^@\s]+@[^@\s]+$"),
    "mac_address": re.compile(r"^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$"),
    "url": re.compile(r"^(https?://|www\.)\S+$"),
    # 12209, 05021, SW1A 1AA, S-958 22, 1234 AB: letters, digits, a space or dash, a digit
    # somewhere; a country table's postal_code_format (####) or _regex (^(\d{4})$) is none
    "postcode": re.compile(r"^(?=.*\d)[A-Za-z0-9][A-Za-z0-9 -]{1,11}$"),
}
# sdtypes SDV guesses from a name (``latitude``, ``swift8``, ``user_agent``) that the PII
# regenerator has no Faker method for: kept, they were written as ``??-########`` codes (a
# text latitude column, 45 of its 2,000 values a spreadsheet's dates, came out as
# ``tL-39324355``). A number column is numerical already; a text one stays categorical.
NO_GENERATOR = frozenset({"latitude", "longitude", "swift8", "user_agent_string"})
# Column-name rules SDV lacks; (pattern, sdtype). First match wins.
NAME_SDTYPES = (
    (re.compile(r"(^|_)e?mail(_address)?$"), "email"),
    (re.compile(r"(^|_)(phone|fax|mobile|telephone)(_number|_no)?$"), "phone_number"),
    (re.compile(r"(^|_)(street_)?address$"), "address"),
    (re.compile(r"^(contact|full|person|customer|employee)_name$"), "name"),
)


# Character classes of a text key's positions: letters as letters, digits as digits, then
# the narrowest mix (text_regex).
_CLASSES = (
    ("[0-9]", "0123456789"),
    ("[A-Z]", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    ("[a-z]", "abcdefghijklmnopqrstuvwxyz"),
    ("[0-9a-f]", "0123456789abcdef"),
    ("[0-9A-F]", "0123456789ABCDEF"),
    ("[0-9A-Z]", "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    ("[0-9a-z]", "0123456789abcdefghijklmnopqrstuvwxyz"),
)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# A generated key needs room: a shape that can make at least this many times the keys it has
# (``JAF-001`` .. ``BEV-005`` as ``[A-Z]{3}-[0-9]{3}``), else SDV's own ids are used.
REGEX_ROOM = 100


def text_regex(values: pd.Series) -> str | None:
    """A regex SDV can generate new text keys from, when the keys share a simple shape: UUIDs
    stay UUIDs (``4b6c2304-2b9e-41e4-942a-cf11a1819378``), fixed-width codes keep their
    letters, digits and separators position by position (``JAF-001``, ``BEV-004`` ->
    ``[A-Z]{3}-[0-9]{3}``; a prefix every key shares stays as it is: ``SUP-[0-9]{3}``)."""
    v = values.dropna().astype(str)
    if v.empty:
        return None
    lengths = v.str.len()
    if lengths.nunique() == 1:
        n = int(lengths.iloc[0])
        for cls, pattern in (("[A-Z]", r"[A-Z]+"), ("[a-z]", r"[a-z]+"), ("[0-9]", r"[0-9]+")):
            if v.str.fullmatch(pattern).all():
                return f"{cls}{{{n}}}"
        m = v.str.extract(r"^([A-Za-z]+[-_]?)(\d+)$")
        if m.notna().all().all() and m[0].nunique() == 1:
            return re.escape(m[0].iloc[0]) + f"[0-9]{{{n - len(m[0].iloc[0])}}}"
    lowered = v.str.lower()
    if lowered.str.match(_UUID).all():
        hexa = "[0-9a-f]" if (v == lowered).all() else "[0-9A-F]"
        return "-".join(f"{hexa}{{{n}}}" for n in (8, 4, 4, 4, 12))
    if lengths.nunique() != 1:
        return None
    n = int(lengths.iloc[0])
    chars = [set(v.str[i]) for i in range(n)]
    parts: list[str] = []
    room = 1.0
    for i, seen in enumerate(chars):
        fits = [(cls, len(alphabet)) for cls, alphabet in _CLASSES if seen <= set(alphabet)]
        if len(seen) == 1 and not next(iter(seen)).isdigit() and (i == 0 or parts[-1][:1] != "["):
            parts.append(re.escape(next(iter(seen))))  # a shared prefix letter or separator
        elif len(seen) == 1 and not next(iter(seen)).isalnum():
            parts.append(re.escape(next(iter(seen))))
        elif fits:
            parts.append(fits[0][0])
            room *= fits[0][1]
        else:
            return None  # mixed classes at one position: no simple shape
    if room < REGEX_ROOM * v.nunique():
        return None
    out, i = [], 0
    while i < len(parts):
        j = i
        while j + 1 < len(parts) and parts[j + 1] == parts[i]:
            j += 1
        out.append(parts[i] if j == i else f"{parts[i]}{{{j - i + 1}}}")
        i = j + 1
    return "".join(out)


def sdv_sdtypes(frames: dict[str, pd.DataFrame]) -> tuple[dict, dict[str, str | None]]:
    """SDV's own per-column guesses and primary-key guesses, table by table."""
    from sdv.metadata import Metadata

    columns: dict[str, dict] = {}
    pks: dict[str, str | None] = {}
    for name, frame in frames.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            md = Metadata.detect_from_dataframes({name: frame}).to_dict()
        columns[name] = md["tables"][name]["columns"]
        pks[name] = md["tables"][name].get("primary_key")
    return columns, pks


def column_sdtype(
    table: str, col: str, kind: str, sdv_guess: dict, values: pd.Series, fmt: str | None
) -> tuple[dict, str | None]:
    """The SDV column entry for a non-key column, and a note when SDV's guess was changed."""
    if kind in ("date", "datetime"):
        return {"sdtype": "datetime", "datetime_format": fmt or OUTPUT_FORMAT[kind]}, None
    if kind == "bool":
        return {"sdtype": "boolean"}, None
    guess = dict(sdv_guess) if sdv_guess else {"sdtype": "categorical"}
    sdtype = guess.get("sdtype")
    if kind in ("int", "float"):
        if sdtype not in ("numerical", "categorical"):
            guess = {"sdtype": "numerical"}
        if guess["sdtype"] == "numerical":
            guess["computer_representation"] = "Int64" if kind == "int" else "Float"
        return guess, None
    for pattern, named in NAME_SDTYPES:
        if pattern.search(col.lower()):
            if sdtype != named:
                return {"sdtype": named, "pii": True}, (
                    f"{table}.{col}: sdtype '{named}' (PII, regenerated) by its name; sdv "
                    f"guessed '{sdtype}'"
                )
            return guess, None
    if sdtype in NO_GENERATOR:
        return {"sdtype": "categorical"}, (
            f"{table}.{col}: sdv guessed '{sdtype}' from the name, a type the PII generator "
            "cannot make; categorical"
        )
    check = FORMAT_CHECKS.get(sdtype)
    if check is not None:
        v = values.dropna().astype(str)
        if len(v) and not v.str.fullmatch(check).mean() >= 0.9:
            return {"sdtype": "categorical"}, (
                f"{table}.{col}: sdv guessed '{sdtype}' from the name but the values are not "
                "in that format; categorical"
            )
    if sdtype in ("numerical", "datetime", "boolean"):
        guess = {"sdtype": "categorical"}
    if sdtype == "id":  # not a key: SDV would write generated placeholder ids into it
        return {"sdtype": "categorical"}, None
    return guess, None
