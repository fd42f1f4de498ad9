"""What a column's name says about the row it refers to: evidence from names, strongest first.

Names are compared as words, so ``ShipToAddressID``, ``ship_to_address_id`` and
``shiptoaddressid`` agree: CamelCase and snake_case are split into lower-case words, and a
table name's last word is made singular (``order_details`` -> ``order detail``).

A column's *stem* is its name without the key word that ends it (``id``, ``key``, ``code``,
``no``, ``num``, ``ref``...) or the preposition of a reference (``ship_via``, ``reports_to``,
``created_by``). How a column relates to a table ``P`` with key ``K``, strongest first
(``Level``):

* ``SAME``: the column has the key's own name (``customer_id`` -> ``customers.customer_id``);
* ``TABLE``: the stem is the table's name (``VendorID`` -> ``Vendor``), or the name ends with
  the key's name or the stem with the table's name after a role (``ShipToAddressID`` ->
  ``Address.AddressID``, ``manager_staff_id`` -> ``staff``, ``original_language_id``);
* ``ABBREVIATION``: the stem abbreviates the table's name (``stor_id`` -> ``stores``,
  ``ship_via`` -> ``shippers``, at least 3 letters);
* ``QUALIFIED``: the stem starts with the table's name and adds to it (``ProductAssemblyID``
  -> ``Product``): a weak hint that needs strong evidence from values.

Two more names count as ``ABBREVIATION`` (every value must still be a parent key): a column
named exactly as a table, with no key word (``customers.region`` -> ``regions``), and a
staff role before the key word pointing at the one table of staff (``SupportRepId``,
``sales_agent_id`` -> ``employees``).
"""

from __future__ import annotations

import re
import unicodedata
from enum import IntEnum

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
# The last word of a name that says "this identifies a row".
# German, Dutch and Scandinavian "nummer" and Romance "numero" are "number" (flugnummer,
# kundennummer, numero_cliente): key words the corpus's German schemas use.
# "sk" is a warehouse's surrogate key (TPC-DS's ss_item_sk, customer_sk).
KEY_WORDS = frozenset(
    {"id", "key", "code", "no", "num", "nbr", "nr", "number", "ref", "fk", "guid", "uuid", "sk"}
    | {"nummer", "numero"}
)
# The last word of a reference named by its preposition: ship_via, reports_to, created_by.
RELATION_WORDS = frozenset({"via", "to", "by"})
LEADING_KEY_WORDS = frozenset({"id", "fk", "sk", "pk"})  # id_customer, fk_customer, sk_customer
# A key kind before the key word that leads: Home Credit's SK_ID_CURR, SK_ID_BUREAU.
KEY_KIND_WORDS = frozenset({"sk", "pk", "fk"})
# Words of a column that points at a row of its own table (a hierarchy).
HIERARCHY_WORDS = frozenset(
    {
        "parent",
        "manager",
        "boss",
        "supervisor",
        "superior",
        "mentor",
        "head",
        "lead",
        "reports",
        "predecessor",
        "successor",
        "previous",
        "referrer",
        "referred",
        "sponsor",
    }
)
# A date or time named by its role (OrderDate, ShipTime) is a value, not a row of a date
# dimension named DateDim or dim_date.
CALENDAR_WORDS = frozenset({"date", "time", "day", "datetime", "timestamp", "dt"})
# Words of a date column that starts a period (a history table's key: employee + start_date).
PERIOD_START_WORDS = frozenset({"start", "from", "begin", "effective", "valid"})
# The last word of a column naming a calendar period, accents folded (a panel table's key is an
# entity and a year: degrees(campus, year), csu_1's abschlüsse(jahr, campus)).
PERIOD_WORDS = frozenset(
    {"year", "yr", "month", "quarter", "season", "jahr", "monat", "annee", "ano", "anno", "jaar"}
)
GUID_NAMES = frozenset({"rowguid", "guid", "uuid", "row_guid", "objectguid"})
GUID_RE = re.compile(
    r"^\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?$"
)
# The last word of a reference to a member of staff (SupportRepId, account_manager_id), and
# the (singular) last word of a table of staff.
STAFF_ROLE_WORDS = frozenset(
    {
        "rep",
        "representative",
        "agent",
        "clerk",
        "salesperson",
        "salesman",
        "seller",
        "cashier",
        "buyer",
        "approver",
        "handler",
        "assignee",
        "manager",
        "supervisor",
    }
)
STAFF_TABLE_WORDS = frozenset({"employee", "staff", "worker", "personnel"})
# Words that say what kind of table a name is, not what it holds: dim_customer, fact_sales,
# tbl_orders, lkp_status, stg_orders, customer_dim.
# d_items and f_sales: the one-letter forms of dim_ and fact_ (MIMIC's dictionary tables).
# raw_orders, src_customers: a loading layer's prefix (dbt's sources and staging models);
# fct_orders: dbt's short form of fact_.
TABLE_AFFIXES = frozenset(
    {"dim", "dimension", "fact", "fct", "tbl", "table", "lkp", "lookup", "stg", "raw", "src"}
    | {"d", "f"}
)
# A row's number in its own table, named the same in every table (ROW_ID, rowid, record_id):
# like a bare ``id`` it says nothing about which table another table's column points at.
GENERIC_ROW_IDS = frozenset(
    {"id", "rowid", "rownum", "rowno", "rownumber", "recordid", "recid", "recordno"}
)
# Key words recognised at the end of one glued word (custkey, orderkey, itemid, linenumber,
# German flugnummer), with at least MIN_GLUED_STEM letters before them (so "monkey", "paid"
# stay plain words).
GLUED_KEY_WORDS = ("number", "nummer", "code", "key", "id")
MIN_GLUED_STEM = 4
# Every column of a TPC-H-style table starts with the table's initials (c_custkey, ps_partkey).
MAX_COLUMN_PREFIX = 4
MIN_ABBREVIATION = 3  # "stor" abbreviates "store"; "st" abbreviates too much
# A relation word glued to a verb form names a reference (reportsto, createdby,
# recommendedby); any other stem keeps the word plain ("potato", "nearby", "bolivia").
VERB_ENDINGS = ("ed", "s")
# Plural endings beyond English's (German kontinente, länder -> lander once folded, Dutch
# klanten, English campuses): a table named with one is also matched without it.
PLURAL_ENDINGS = ("es", "en", "er", "e", "n", "s")
_IRREGULAR = {"people": "person", "children": "child", "men": "man", "women": "woman"}
# Nouns whose singular and plural are one word (pokemon_species, tv_series): not "specie".
_IRREGULAR |= {w: w for w in ("species", "series")}


MIN_NEAR_SPELLING = 12  # shortest compound name matched one letter apart (_one_letter_apart)


class Level(IntEnum):
    """How strongly a column's name points at a table (see the module docstring)."""

    NONE = 0
    QUALIFIED = 1
    ABBREVIATION = 2
    TABLE = 3
    SAME = 4


def words(name: str) -> tuple[str, ...]:
    """``ShipToAddressID`` -> ``('ship', 'to', 'address', 'id')``; ``au_id`` -> ``('au', 'id')``.

    Letters beyond ASCII are letters too (``länder``, ``fakultät``, ``ÜberOrt``): each
    character is classed upper / lower / digit / other and the classes are split by the ASCII
    pattern, so a name in German or French splits where an English one would."""
    classes = "".join(
        "A" if ch.isupper() else "a" if ch.isalpha() else "0" if ch.isdecimal() else " "
        for ch in name
    )
    return tuple(name[m.start() : m.end()].lower() for m in _WORD.finditer(classes))


_SCHEMA = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.(?=.*[^\W\d_])")


def unqualified(table: str) -> str:
    """``Sales.OrderLines`` -> ``OrderLines``: a table named with its schema (SQL Server's
    ``dbo.Customers``, PostgreSQL's ``public.orders``, WideWorldImporters' ``Sales.Orders``)
    is compared by its name without the schema."""
    m = _SCHEMA.match(table)
    return table[m.end() :] if m else table


def singular_word(word: str) -> str:
    """``categories`` -> ``category``, ``addresses`` -> ``address``, ``status`` stays."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def _bare_table_words(table: str) -> tuple[str, ...]:
    w = words(unqualified(table))
    if len(w) > 1 and w[0] in TABLE_AFFIXES:
        return w[1:]
    if len(w) > 1 and w[-1] in TABLE_AFFIXES:
        return w[:-1]
    return w


def table_words(table: str) -> tuple[str, ...]:
    """A table's name as words, its last word singular, a warehouse or naming-scheme affix
    dropped: ``OrderDetails`` -> order, detail; ``dim_customer``, ``tbl_Customers``,
    ``customer_dim`` -> customer."""
    w = _bare_table_words(table)
    return (*w[:-1], singular_word(w[-1])) if w else w


def fold(text: str) -> str:
    """``länder`` -> ``lander``, ``café`` -> ``cafe``: accents dropped, for comparing names."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def table_forms(table: str) -> frozenset[str]:
    """The joined, accent-folded forms a reference uses for ``table`` by its name: the name
    and its singular (``table_words``): ``order_details`` -> orderdetails, orderdetail."""
    bare = _bare_table_words(table)
    forms = {_joined(words(unqualified(table))), _joined(bare), _joined(table_words(table))}
    return frozenset(fold(f) for f in forms)


def inflected_forms(table: str) -> frozenset[str]:
    """Forms of ``table`` with its last word's plural ending cut that English rules miss or
    other languages use (``campuses`` -> campus, ``kontinente`` -> kontinent, ``länder`` ->
    land, ``klanten`` -> klant), keeping at least ``MIN_GLUED_STEM`` letters. Weaker than
    ``table_forms``: the cut also shortens singular words (``stores`` -> stor)."""
    bare = _bare_table_words(table)
    if not bare:
        return frozenset()
    head, last = _joined(bare[:-1]), fold(bare[-1])
    cut = {
        fold(head) + last[: -len(ending)]
        for ending in PLURAL_ENDINGS
        if last.endswith(ending) and len(last) - len(ending) >= MIN_GLUED_STEM
    }
    return frozenset(cut - table_forms(table))


def split_key(name: str) -> tuple[tuple[str, ...], str | None]:
    """(stem, key word) of a column name; the key word is None when the name has none.

    ``SupportRepId`` -> ``(('support', 'rep'), 'id')``, ``ship_via`` -> ``(('ship',), 'via')``,
    ``fk_customer`` -> ``(('customer',), 'fk')``, ``customerid`` -> ``(('customer',), 'id')``,
    ``SK_ID_CURR`` -> ``(('curr',), 'id')``.
    """
    w = words(name)
    if len(w) >= 2 and (w[-1] in KEY_WORDS or w[-1] in RELATION_WORDS):
        return w[:-1], w[-1]
    if len(w) >= 3 and w[0] in KEY_KIND_WORDS and w[1] in LEADING_KEY_WORDS:
        return w[2:], w[1]  # SK_ID_CURR: a surrogate key's id of "curr"
    if len(w) >= 2 and w[0] in LEADING_KEY_WORDS:
        return w[1:], w[0]
    if len(w) == 1 and w[0] not in GUID_NAMES:
        for key in GLUED_KEY_WORDS:  # a glued name, customerid, custkey; compared by letters
            if w[0].endswith(key) and len(w[0]) - len(key) >= MIN_GLUED_STEM:
                return (w[0][: -len(key)],), key
        for rel in RELATION_WORDS:  # reportsto, createdby, recommendedby: a verb, then "by"
            stem = w[0][: -len(rel)]
            if w[0].endswith(rel) and len(stem) >= MIN_GLUED_STEM and stem.endswith(VERB_ENDINGS):
                return (stem,), rel
    return (), None


def _split_for(name: str, table: tuple[str, ...]) -> tuple[tuple[str, ...], str | None]:
    """``split_key``, and also a glued name whose short stem abbreviates ``table``'s one word
    (``facid`` for ``facilities``, ``memid`` for ``members``): three letters glued to a key
    word name a table only when that table is there ("acid", "solid" stay plain words)."""
    stem, key = split_key(name)
    w = words(name)
    if key is not None or len(w) != 1 or len(table) != 1:
        return stem, key
    for key in GLUED_KEY_WORDS:
        short = w[0][: -len(key)]
        if w[0].endswith(key) and len(short) >= MIN_ABBREVIATION and _abbreviates(short, table[0]):
            return (short,), key
    return (), None


def key_named(name: str) -> bool:
    """Whether a name says it identifies or refers to a row (``order_id``, ``ship_via``)."""
    return split_key(name)[1] is not None or bare_id(name)


def bare_id(name: str) -> bool:
    """``id``, ``ID``, and MongoDB's ``_id`` (an export of a collection keys every document so):
    the word id alone, whatever marks surround it."""
    return words(name) == ("id",)


def generic_row_id(name: str) -> bool:
    """``id``, ``ROW_ID``, ``rowid``, ``record_id``: a row's number, the same name everywhere;
    and a name of key words alone (``key_id``, ``id_no``: the World Cup database numbers the
    rows of each of its 27 tables so), which names no table either."""
    return _generic(words(name))


def _generic(ws: tuple[str, ...]) -> bool:
    every = KEY_WORDS | LEADING_KEY_WORDS
    return _joined(ws) in GENERIC_ROW_IDS or (len(ws) > 1 and all(w in every for w in ws))


def bare_key_word(name: str) -> bool:
    """``no``, ``ID``, ``key``: a key word alone, which says "key" but not of what."""
    w = words(name)
    return len(w) == 1 and (w[0] in KEY_WORDS or w[0] in GENERIC_ROW_IDS)


def column_prefix(table: str, columns: list[str]) -> str | None:
    """The prefix every column of ``table`` starts with when it is the table's initials or
    short form (``c_`` in TPC-H's customer, ``ps_`` in partsupp, ``cust_`` in customer), else
    None. Names are compared without it; a prefix that would make two names equal is kept."""
    if len(columns) < 2:
        return None
    heads = {c.split("_", 1)[0] for c in columns}
    if len(heads) != 1 or not all("_" in c and c.split("_", 1)[1] for c in columns):
        return None
    head = next(iter(heads))
    letters, name = head.lower(), "".join(words(unqualified(table)))
    if not (0 < len(letters) <= MAX_COLUMN_PREFIX and letters.isalpha() and name):
        return None
    if letters[0] != name[0] or not _subsequence(letters, name):
        return None
    stripped = [c.split("_", 1)[1] for c in columns]
    if len({_joined(words(c)) for c in stripped}) != len(stripped):
        return None
    return head + "_"


def _subsequence(short: str, long: str) -> bool:
    rest = iter(long)
    return all(ch in rest for ch in short)


def guid_named(name: str) -> bool:
    """``rowguid``, ``guid``, ``uuid``, ``RowGuid``: a row's global id (an alternate key)."""
    joined = "".join(words(name))
    return joined in {g.replace("_", "") for g in GUID_NAMES} or joined.endswith(("guid", "uuid"))


def hierarchy_named(name: str) -> bool:
    """A name for a reference to a row of the same table: ``reports_to``, ``parent_id``."""
    stem, key = split_key(name)
    return key in RELATION_WORDS or any(w in HIERARCHY_WORDS for w in stem)


def period_named(name: str) -> bool:
    """``year``, ``fiscal_year``, ``jahr``, ``season``: a column naming a calendar period."""
    w = words(name)
    return bool(w) and fold(w[-1]) in PERIOD_WORDS


SEQUENCE_WORDS = frozenset({"seq", "sequence", "seqno", "seqnum"})


def sequence_named(name: str) -> bool:
    """``stop_sequence``, ``seq_num``, ``shape_pt_sequence``: a number ordering a group's rows."""
    return any(w in SEQUENCE_WORDS for w in words(name))


def period_start_named(name: str) -> bool:
    """``start_date``, ``StartDate``, ``valid_from``, ``effective_date``: a period's start."""
    return any(w in PERIOD_START_WORDS for w in words(name))


def _joined(ws: tuple[str, ...]) -> str:
    return "".join(ws)


def _one_letter_apart(short: str, long: str) -> bool:
    """Whether ``long`` is ``short`` with one letter more inside (not at the end, which
    plurals cover): a compound's linking letter (German's Fugen-s: konstrukteur + s +
    ergebnisse), or a name's typo. Long names only, where such a near spelling is no chance."""
    if len(short) < MIN_NEAR_SPELLING or len(long) != len(short) + 1:
        return False
    i = next((i for i, (a, b) in enumerate(zip(short, long, strict=False)) if a != b), len(short))
    return 0 < i < len(short) and long[i + 1 :] == short[i:]


def _abbreviates(short: str, long: str) -> bool:
    return len(short) >= MIN_ABBREVIATION and len(short) < len(long) and long.startswith(short)


def _skeleton(short: str, long: str) -> bool:
    """``dept`` in ``department``, ``mgr`` in ``manager``, ``acct`` in ``account``: the word's
    first letter, then some of its letters in order (weaker than a prefix: ``stor``)."""
    return (
        len(short) >= MIN_ABBREVIATION
        and len(short) < len(long)
        and short[0] == long[0]
        and not long.startswith(short)
        and _subsequence(short, long)
    )


def named_after_table(column: str, table: str) -> Level:
    """How a table's own key column is named after it: ``TABLE`` for ``customer_id`` in
    ``customers`` (and ``id``, and a column named just like the table: ``productLine`` in
    ``productlines``), ``ABBREVIATION`` for ``stor_id`` in ``stores``, ``QUALIFIED``
    for a name the table's name starts with (``SalesOrderID`` in ``SalesOrderHeader``,
    ``pub_id`` in ``pub_info``)."""
    if bare_id(column):
        return Level.TABLE
    tw, raw, forms = table_words(table), words(unqualified(table)), table_forms(table)
    stem, key = _split_for(column, tw)
    if key is None and fold(_joined(words(column))) in forms:
        return Level.TABLE  # productLine in productlines: a natural key, the table's name
    if key is None and fold(_joined(words(column))) in inflected_forms(table):
        return Level.ABBREVIATION  # kontinent in kontinente
    if key is None or key in RELATION_WORDS or not stem:
        return Level.NONE
    s = _joined(stem)
    if fold(s) in forms:
        return Level.TABLE
    if fold(s) in inflected_forms(table):
        return Level.ABBREVIATION  # land_id in länder
    if len(stem) > 1 and any(_one_letter_apart(fold(s), f) for f in forms):
        return Level.ABBREVIATION  # konstrukteur_ergebnisse_id in konstrukteursergebnisse
    if len(stem) == 1 and len(tw) == 1 and (_abbreviates(s, tw[0]) or _skeleton(s, tw[0])):
        return Level.ABBREVIATION  # stor_id in stores, dept_no in departments
    if len(stem) < len(raw) and raw[: len(stem)] == stem:
        return Level.QUALIFIED
    if len(stem) == 1 and len(raw) > 1 and _abbreviates(s, raw[0]):
        return Level.QUALIFIED  # emp_id in employee_info
    return Level.NONE


def name_level(column: str, parent: str, parent_key: str | None) -> Level:
    """How strongly ``column``'s name points at ``parent`` (whose key is ``parent_key``)."""
    cw = words(column)
    if _generic(cw):
        return Level.NONE  # every table's "id", ROW_ID: the name says nothing about which
    if parent_key is not None:
        kw = words(parent_key)
        if _joined(cw) == _joined(kw):
            return Level.SAME
    tw, raw, forms = table_words(parent), words(unqualified(parent)), table_forms(parent)
    stem, key = _split_for(column, tw)
    bare = cw and cw[-1] not in RELATION_WORDS and key is None
    if bare and fold(_joined(cw)) in forms | inflected_forms(parent):
        return Level.ABBREVIATION  # customers.region -> regions: the table's name, no key word
    if (
        bare
        and cw[-1] not in CALENDAR_WORDS
        and any(fold(_joined(cw[i:])) in forms for i in range(1, len(cw)))
    ):
        return Level.ABBREVIATION  # Synthea's SECONDARY_PAYER -> payers: a role, the name
    if bare and parent_key is not None and role_then_natural_key(column, parent_key):
        return Level.ABBREVIATION  # issued_book_isbn -> books.isbn: a role, the key's name
    if key is None or not stem:
        return Level.NONE
    if key not in RELATION_WORDS and stem[-1] in STAFF_ROLE_WORDS and tw[-1] in STAFF_TABLE_WORDS:
        return Level.ABBREVIATION  # SupportRepId -> employees: a staff role
    if parent_key is not None and key not in RELATION_WORDS:
        kw = words(parent_key)
        if len(kw) >= 2 and len(cw) > len(kw) and cw[-len(kw) :] == kw:
            return Level.TABLE  # ShipToAddressID ends with AddressID
    if fold(_joined(stem)) in forms:
        return Level.TABLE  # Ländercode's stem: a folded name
    if fold(_joined(stem)) in inflected_forms(parent):
        return Level.ABBREVIATION  # kontinent_id -> kontinente, land_id -> länder
    for name in (tw, raw):
        if len(stem) > len(name) and stem[-len(name) :] == name:
            return Level.TABLE  # home_store_id: a role, then the table's name
    for k in range(1, min(len(stem), len(tw) - 1) + 1):
        if tw[-k:] == stem[-k:] and len(_joined(stem[-k:])) >= MIN_GLUED_STEM:
            # license_id -> drivers_license: the name's last words; also after a role
            # (evolves_from_species_id -> pokemon_species)
            return Level.ABBREVIATION
    if len(stem) == 1 and len(tw) == 1 and _abbreviates(stem[0], tw[0]):
        return Level.ABBREVIATION  # stor_id -> stores; a multi-word table is only QUALIFIED
    if len(stem) == 1 and len(tw) == 1 and _skeleton(stem[0], tw[0]):
        return Level.QUALIFIED  # dept_no -> departments: letters of the name, not its start
    if len(stem) > len(tw) and stem[: len(tw)] == tw:
        return Level.QUALIFIED  # ProductAssemblyID: Product, then what kind
    if len(stem) > 1 and len(tw) == 1 and _abbreviates(stem[0], tw[0]):
        return Level.QUALIFIED  # prod_category_id: an abbreviation, then what kind
    return Level.NONE


def role_then_natural_key(column: str, key: str) -> bool:
    """Whether a column's words are a role, then the one word naming a natural key that is no
    key word (``issued_book_isbn`` and a key ``isbn``): its name says which key, so its
    values must all be that table's keys (``Level.ABBREVIATION``)."""
    cw, kw = words(column), words(key)
    return (
        len(kw) == 1
        and len(cw) > 1
        and cw[-1] == kw[0]
        and len(kw[0]) >= MIN_GLUED_STEM
        and kw[0] not in KEY_WORDS | CALENDAR_WORDS | PERIOD_WORDS  # OrderDate is no link
        and _joined(kw) not in GENERIC_ROW_IDS
    )


def spells_table(column: str, table: str) -> bool:
    """Whether ``column``'s name, its key word aside, is ``table``'s name or an inflection of it
    (``campus`` -> campuses, ``kontinent_id`` -> kontinente), not a prefix of a longer
    compound (``auftragsnummer``, order number, is not ``auftragspositionen``, order items)."""
    forms = table_forms(table) | inflected_forms(table)
    stem, key = _split_for(column, table_words(table))
    return fold(_joined(stem if key is not None else words(column))) in forms


def names_linked_value(column: str, table: str, parent: str) -> bool:
    """Whether ``table``'s name is ``parent``'s glued to ``column``'s, either way round: a link
    table whose other side is a value with no table of its own (MySQL world's
    ``countrylanguage(CountryCode, Language)``, ``movie_genres(movie_id, genre)``)."""
    values = table_forms(column) | {fold(_joined(words(column)))}
    for whole in table_forms(table):
        for p in table_forms(parent) | inflected_forms(parent):
            if len(whole) <= len(p):
                continue
            rests = [whole[len(p) :] if whole.startswith(p) else ""]
            rests.append(whole[: -len(p)] if whole.endswith(p) else "")
            if any(len(r) >= MIN_ABBREVIATION and r in values for r in rests):
                return True
    return False


def link_parts(table: str, tables: list[str]) -> list[str] | None:
    """The tables a link table's name is made of (``film_actor`` -> film, actor;
    ``titleauthor`` -> titles, authors; ``PlaylistTrack``), or None."""
    name = _joined(words(unqualified(table)))
    names = {}
    for t in tables:
        if t == table:
            continue
        for form in {_joined(table_words(t)), _joined(words(unqualified(t)))}:
            if len(form) >= MIN_ABBREVIATION:
                names.setdefault(form, t)

    def split(rest: str) -> list[str] | None:
        if not rest:
            return []
        for form in sorted(names, key=len, reverse=True):
            if rest.startswith(form):
                tail = split(rest[len(form) :])
                if tail is not None:
                    return [names[form], *tail]
        return None

    parts = split(name)
    if parts is None or len(parts) < 2 or len(set(parts)) != len(parts):
        return None
    return parts
