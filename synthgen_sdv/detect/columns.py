"""Reading a folder of user tables and detecting their types, keys and relationships.

Nothing here trusts pandas' or SDV's guesses alone. CSV files are read as text and every column
is typed from its values (int, float, bool, date, datetime, string), so ``05021`` stays text and
``1996-07-04`` becomes a date. ``sdv.metadata.Metadata.detect_from_dataframes`` is asked for
sdtypes, then corrected where it is wrong on real data (measured on Northwind, sdv 1.37.4):

* it finds no composite primary key (``order_details`` gets none); we look for a unique pair;
* it finds relationships by equal column names only: ``orders.ship_via -> shippers`` and the
  self reference ``employees.reports_to -> employees`` are missed (ship_via is "categorical",
  reports_to "numerical"); we also match ``<parent>_id`` names and value containment;
* it takes ``ship_address`` for an IPv6 address and phone / contact-name columns for
  categories; sdtypes that describe a value format are kept only if the values have it, and a
  few column-name rules mark addresses, phones, e-mails and contact names as PII.

Every decision is returned as a note with its reason, so the user can check and edit it.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from synthgen_sdv.core.errors import InputError

SUFFIXES = (".csv", ".parquet")
INT_RE = re.compile(r"^[+-]?\d+$")
FLOAT_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
BOOL_TEXT = {"true": True, "false": False, "t": True, "f": False, "yes": True, "no": False}
# Tried in order; the first format every value parses with wins. Day-first and month-first
# slash dates are both tried, month-first first (the usual CSV export); the note says which.
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%m/%d/%Y", "%d/%m/%Y")
DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S.%f",
)
OUTPUT_FORMAT = {"date": "%Y-%m-%d", "datetime": "%Y-%m-%d %H:%M:%S"}
# The last word of a column name that says "this refers to a row": order_id, ship_via,
# reports_to, created_by, parent_ref.
KEY_WORDS = {"id", "key", "code", "ref", "no", "num", "via", "to", "by", "parent", "fk"}
MIN_PREFIX = 3  # "ship_via" ~ "shippers": a common prefix this long counts as a name hint
MAX_COMPOSITE_COLUMNS = 8  # pairs are searched among the first key-like columns only

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


@dataclass
class Relationship:
    """One detected or declared foreign key, with the reason it was accepted."""

    parent: str
    parent_key: str
    child: str
    column: str
    reason: str = ""

    def as_sdv(self) -> dict[str, str]:
        return {
            "parent_table_name": self.parent,
            "parent_primary_key": self.parent_key,
            "child_table_name": self.child,
            "child_foreign_key": self.column,
        }


# ----------------------------------------------------------------------------- reading
def table_files(data_dir: Path) -> dict[str, Path]:
    """``{table: file}`` for every *.csv / *.parquet in ``data_dir`` (table = file stem)."""
    if not data_dir.is_dir():
        raise InputError(f"--data-dir {data_dir}: no such directory")
    files: dict[str, Path] = {}
    for path in sorted(data_dir.iterdir()):
        if path.suffix.lower() not in SUFFIXES or not path.is_file():
            continue
        if path.stem in files:
            raise InputError(
                f"--data-dir {data_dir}: table '{path.stem}' has two files "
                f"({files[path.stem].name}, {path.name}); keep one"
            )
        files[path.stem] = path
    if not files:
        raise InputError(f"--data-dir {data_dir}: no .csv or .parquet files in it")
    return files


def read_raw(path: Path) -> pd.DataFrame:
    """A CSV as text (empty field = NULL), a Parquet file as stored."""
    try:
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason}); save it as UTF-8") from None
    except Exception as exc:  # pandas / pyarrow parse errors carry the line; pass them on
        raise InputError(f"{path}: cannot read it: {exc}") from None


# ----------------------------------------------------------------------------- types
def _parse_dates(values: pd.Series, fmt: str) -> pd.Series | None:
    try:
        return pd.to_datetime(values, format=fmt, errors="raise")
    except (ValueError, TypeError):
        return None


def type_text(series: pd.Series, fmt: str | None = None) -> tuple[str, pd.Series, str | None]:
    """(logical type, typed series, datetime format) of a text column.

    ``fmt`` forces a datetime format (from user metadata); otherwise int, float, bool, date and
    datetime are tried in that order and the column stays text if none fits every value.
    """
    values = series.dropna().astype(str)
    if fmt is not None:
        parsed = _parse_dates(series, fmt)
        if parsed is None:
            raise ValueError(f"values do not match datetime_format '{fmt}'")
        kind = "date" if fmt in DATE_FORMATS or not re.search(r"%[HIMSf]", fmt) else "datetime"
        return kind, parsed, fmt
    if values.empty:
        return "string", series.astype(object), None
    if values.str.fullmatch(INT_RE).all():
        stripped = values.str.lstrip("+-")
        leading_zero = (stripped.str.len() > 1) & stripped.str.startswith("0")
        if leading_zero.any() or stripped.str.len().max() > 18:
            return "string", series.astype(object), None  # codes: 01234 must keep its zero
        numbers = pd.to_numeric(series)
        return "int", numbers if series.notna().all() else numbers.astype("Int64"), None
    if values.str.fullmatch(FLOAT_RE).all():
        return "float", pd.to_numeric(series).astype("float64"), None
    lowered = values.str.lower()
    if lowered.isin(BOOL_TEXT).all():
        mapped = series.str.lower().map(BOOL_TEXT)
        return (
            "bool",
            mapped.astype("boolean") if series.isna().any() else mapped.astype(bool),
            None,
        )
    if values.str.contains(r"\d").all():
        for fmt_try in DATE_FORMATS:
            parsed = _parse_dates(series, fmt_try)
            if parsed is not None:
                return "date", parsed, fmt_try
        for fmt_try in DATETIME_FORMATS:
            parsed = _parse_dates(series, fmt_try)
            if parsed is not None:
                midnight = (parsed.dropna() == parsed.dropna().dt.normalize()).all()
                return ("date" if midnight else "datetime"), parsed, fmt_try
    return "string", series.astype(object), None


def type_column(series: pd.Series, fmt: str | None = None) -> tuple[str, pd.Series, str | None]:
    """Logical type of any column: text goes through ``type_text``, typed columns map over."""
    if pd.api.types.is_bool_dtype(series):
        return "bool", series, None
    if pd.api.types.is_integer_dtype(series):
        return "int", series, None
    if pd.api.types.is_float_dtype(series):
        values = series.dropna()
        if len(values) and (values == values.round()).all() and values.abs().max() < 2**53:
            return "int", series.astype("Int64"), None  # a Parquet int column that had nulls
        return "float", series, None
    if pd.api.types.is_datetime64_any_dtype(series):
        values = series.dropna()
        midnight = bool(len(values)) and (values == values.dt.normalize()).all()
        kind = "date" if midnight else "datetime"
        return kind, series.dt.tz_localize(None) if series.dt.tz else series, OUTPUT_FORMAT[kind]
    text = series.map(lambda v: None if v is None or v is pd.NA or v != v else str(v))
    return type_text(text, fmt)


# ----------------------------------------------------------------------------- keys
def singular(name: str) -> str:
    low = name.lower()
    if low.endswith("ies"):
        return name[:-3] + "y"
    if low.endswith(("sses", "xes", "ches", "shes")):
        return name[:-2]
    if low.endswith("s") and not low.endswith("ss"):
        return name[:-1]
    return name


def key_like(column: str) -> bool:
    low = column.lower()
    return low.split("_")[-1] in KEY_WORDS or low.endswith("id")


def _key_typed(kind: str) -> bool:
    return kind in ("int", "string")


def _unique_non_null(frame: pd.DataFrame, cols: list[str]) -> bool:
    sub = frame[cols]
    return len(sub) > 0 and not sub.isna().any().any() and not sub.duplicated().any()


def detect_primary_key(
    table: str, frame: pd.DataFrame, types: dict[str, str], sdv_guess: str | None
) -> tuple[str | list[str] | None, str]:
    """(primary key, reason): a unique non-null int/text column, else a unique key-like pair."""
    single = [c for c in frame.columns if _key_typed(types[c]) and _unique_non_null(frame, [c])]
    sing = singular(table).lower()
    wanted = {f"{sing}_id", f"{table.lower()}_id", "id", f"{sing}id", f"{sing}_key"}
    for c in single:
        if c.lower() in wanted:
            return c, f"'{c}' is unique, never empty, and named after the table"
    if sdv_guess in single:
        return sdv_guess, f"'{sdv_guess}' is unique, never empty (sdv's guess)"
    for c in single:
        if key_like(c):
            return c, f"'{c}' is unique, never empty and named like a key"
    keyish = [
        c for c in frame.columns if _key_typed(types[c]) and key_like(c) and frame[c].notna().all()
    ][:MAX_COMPOSITE_COLUMNS]
    for i, a in enumerate(keyish):
        for b in keyish[i + 1 :]:
            if _unique_non_null(frame, [a, b]):
                return [a, b], f"no single column is a key; the pair ({a}, {b}) is unique"
    return None, "no unique, never-empty key column or key-like pair: the table has no key"


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a.lower(), b.lower(), strict=False):
        if x != y:
            break
        n += 1
    return n


def _values_in(child: pd.Series, parent: pd.Series) -> tuple[bool, pd.Series]:
    values = pd.Series(child.dropna().unique())
    outside = values[~values.isin(set(parent.dropna()))]
    return len(values) > 0 and outside.empty, outside


def detect_relationships(
    frames: dict[str, pd.DataFrame],
    types: dict[str, dict[str, str]],
    keys: dict[str, str | list[str] | None],
) -> tuple[list[Relationship], list[str]]:
    """Foreign keys by name (same name as the parent key, or ``<parent>_id``) and by values.

    A value-only match needs every child value to be a parent key, at least 2 distinct values,
    and a name hint: a common prefix with the parent's name (ship_via ~ shippers); or, for a
    reference to the column's own table, a key-like last word (reports_to) and the shape of a
    hierarchy (some rows empty: the top; no row points to itself). Several equally good
    parents are ambiguous and are reported, not guessed.
    """
    rels: list[Relationship] = []
    notes: list[str] = []
    parents = {t: k for t, k in keys.items() if isinstance(k, str)}
    for child, frame in frames.items():
        own_pk = keys.get(child)
        for col in frame.columns:
            kind = types[child][col]
            if col == own_pk or not _key_typed(kind):
                continue
            named = [
                p
                for p, pk in parents.items()
                if p != child
                and (col == pk or col.lower() in (f"{singular(p).lower()}_id", f"{p.lower()}_id"))
            ]
            if named:
                p = named[0]
                pk = parents[p]
                if types[p][pk] != kind:
                    notes.append(
                        f"{child}.{col}: named like {p}.{pk} but holds {kind} values and "
                        f"{p}.{pk} holds {types[p][pk]} values; not used as a foreign key"
                    )
                    continue
                ok, outside = _values_in(frame[col], frames[p][pk])
                if ok:
                    rels.append(Relationship(p, pk, child, col, _name_reason(col, p, pk, frame)))
                else:
                    shown = ", ".join(map(str, outside.head(5)))
                    notes.append(
                        f"{child}.{col}: named like {p}.{pk} but {len(outside)} of its values "
                        f"are not {p} keys (e.g. {shown}); not used as a foreign key. Fix the "
                        "data or declare the relationship in a metadata file after fixing it"
                    )
                continue
            if frame[col].nunique() < 2:
                continue
            contained = [
                p
                for p, pk in parents.items()
                if types[p][pk] == kind and _values_in(frame[col], frames[p][pk])[0]
            ]
            if not contained:
                continue
            scored = {p: _common_prefix(col, singular(p)) for p in contained}
            best = max(scored.values())
            chosen, why = None, ""
            if best >= MIN_PREFIX and list(scored.values()).count(best) == 1:
                chosen = max(scored, key=scored.get)
                why = f"its name starts like '{chosen}'"
            elif child in contained and key_like(col) and _hierarchy(frame, col, own_pk):
                chosen, why = (
                    child,
                    (
                        "it looks like a hierarchy in its own table (key-like name, empty on "
                        "the top rows, no row points to itself)"
                    ),
                )
            elif len(contained) == 1 and key_like(col):
                chosen, why = contained[0], "its name is key-like"
            if chosen is None:
                if key_like(col) or best >= MIN_PREFIX:
                    notes.append(
                        f"{child}.{col}: its values are keys of {', '.join(contained)}; "
                        "ambiguous, not used as a foreign key (declare it in a metadata file "
                        "if it is one)"
                    )
                continue
            pk = parents[chosen]
            n = frame[col].nunique()
            rels.append(
                Relationship(
                    chosen,
                    pk,
                    child,
                    col,
                    f"all {n} distinct values are {chosen}.{pk} values and {why}",
                )
            )
    return rels, notes


def _hierarchy(frame: pd.DataFrame, col: str, own_pk) -> bool:
    if not isinstance(own_pk, str) or not frame[col].isna().any():
        return False
    return not (frame[col] == frame[own_pk]).fillna(False).any()


def _name_reason(col: str, parent: str, pk: str, frame: pd.DataFrame) -> str:
    how = "same name as" if col == pk else "named after"
    return f"{how} {parent}.{pk}; all {frame[col].nunique()} distinct values are {parent} keys"


# ----------------------------------------------------------------------------- sdtypes
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
    return guess, None
