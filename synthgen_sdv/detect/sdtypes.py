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
}
# Column-name rules SDV lacks; (pattern, sdtype). First match wins.
NAME_SDTYPES = (
    (re.compile(r"(^|_)e?mail(_address)?$"), "email"),
    (re.compile(r"(^|_)(phone|fax|mobile|telephone)(_number|_no)?$"), "phone_number"),
    (re.compile(r"(^|_)(street_)?address$"), "address"),
    (re.compile(r"^(contact|full|person|customer|employee)_name$"), "name"),
)


def text_regex(values: pd.Series) -> str | None:
    """A regex SDV can generate new text keys from, when the keys share a simple shape."""
    v = values.dropna().astype(str)
    if v.empty:
        return None
    lengths = v.str.len()
    if lengths.nunique() != 1:
        return None
    n = int(lengths.iloc[0])
    for cls, pattern in (("[A-Z]", r"[A-Z]+"), ("[a-z]", r"[a-z]+"), ("[0-9]", r"[0-9]+")):
        if v.str.fullmatch(pattern).all():
            return f"{cls}{{{n}}}"
    m = v.str.extract(r"^([A-Za-z]+[-_]?)(\d+)$")
    if m.notna().all().all() and m[0].nunique() == 1:
        return re.escape(m[0].iloc[0]) + f"[0-9]{{{n - len(m[0].iloc[0])}}}"
    return None


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
