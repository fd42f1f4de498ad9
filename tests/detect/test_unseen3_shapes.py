"""Shapes met on a third round of public databases run as a new user would (reports/unseen3.md),
each rule on a small folder built for it here, not on the database itself."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthgen_sdv.detect.load import load_user_data
from synthgen_sdv.detect.names import Level, name_level, singular_word
from tests.detect.test_unseen_names import _keys, _rels, _write


def _species(n: int = 60) -> pd.DataFrame:
    return pd.DataFrame({"id": range(1, n + 1), "identifier": [f"sp{i}" for i in range(n)]})


@pytest.mark.parametrize("word", ["species", "series"])
def test_a_noun_with_one_form_stays_as_it_is(word):
    assert singular_word(word) == word


@pytest.mark.parametrize(
    "column, parent, key, expected",
    [
        ("species_id", "pokemon_species", "id", Level.ABBREVIATION),  # the last word, invariant
        ("evolves_from_species_id", "pokemon_species", "id", Level.ABBREVIATION),  # a role first
        ("license_id", "drivers_license", "id", Level.ABBREVIATION),  # as before
        ("issued_book_isbn", "books", "isbn", Level.ABBREVIATION),  # a role, the key's name
        ("return_book_isbn", "books", "isbn", Level.ABBREVIATION),
        ("branch_code", "books", "code", Level.NONE),  # a key word is no natural key
        ("OrderDate", "DateDim", "DATE", Level.NONE),  # a date named by its role
        ("isbn", "books", "isbn", Level.SAME),
        ("pokemon_id", "pokemon_species", "id", Level.NONE),  # the first word only: no
    ],
)
def test_a_reference_named_by_a_tables_last_words_or_its_keys_name(column, parent, key, expected):
    assert name_level(column, parent, key) == expected


def test_a_species_reference_is_found(tmp_path):
    """veekun's pokedex: pokemon.species_id -> pokemon_species.id, once 'species' is not
    made singular as 'specie'."""
    rng = np.random.default_rng(1)
    species = _species()
    pokemon = pd.DataFrame(
        {
            "id": range(1, 101),
            "identifier": [f"p{i}" for i in range(100)],
            "species_id": rng.integers(1, 61, 100),
            "height": rng.integers(1, 30, 100),
        }
    )
    _write(tmp_path, {"pokemon_species": species, "pokemon": pokemon})
    user = load_user_data(tmp_path)
    assert ("pokemon", "species_id", "pokemon_species", "id") in _rels(user)


def test_a_names_table_is_keyed_by_its_references_not_its_name(tmp_path):
    """pokemon_species_names(pokemon_species_id, local_language_id, name): a name repeats across
    languages but not within one, so (local_language_id, name) is unique as well; the table's
    name ends with 'names', yet the two references, unique together, are its key."""
    species = _species(30)
    languages = pd.DataFrame({"id": range(1, 6), "identifier": ["ja", "en", "fr", "de", "es"]})
    rows = [
        (s, lang, f"kana{s}" if lang == 1 else f"name{s}")
        for s in range(1, 31)
        for lang in range(1, 6)
    ]
    names = pd.DataFrame(rows, columns=["pokemon_species_id", "local_language_id", "name"])
    assert not names.duplicated(["local_language_id", "name"]).any()
    tables = {"pokemon_species": species, "languages": languages, "pokemon_species_names": names}
    _write(tmp_path, tables)
    user = load_user_data(tmp_path)
    assert _keys(user)["pokemon_species_names"] == ["pokemon_species_id", "local_language_id"]


def _books(n: int = 30) -> pd.DataFrame:
    isbns = [f"978-0-{i:03d}-{(i * 7919) % 100000:05d}-{i % 10}" for i in range(n)]
    return pd.DataFrame({"isbn": isbns, "book_title": [f"Title {i}" for i in range(n)]})


def test_an_isbn_key_and_its_role_named_references(tmp_path):
    """A library: books keyed by 'isbn' (no key word, 17 characters), issued_status naming it
    'issued_book_isbn', return_status 'return_book_isbn' with NULL written on every row."""
    rng = np.random.default_rng(2)
    books = _books()
    issued = pd.DataFrame(
        {
            "issued_id": [f"IS{100 + i}" for i in range(40)],
            "issued_book_isbn": rng.choice(books["isbn"], 40),
        }
    )
    returns = pd.DataFrame(
        {"return_id": [f"RS{100 + i}" for i in range(10)], "return_book_isbn": ["NULL"] * 10}
    )
    _write(tmp_path, {"books": books, "issued_status": issued, "return_status": returns})
    user = load_user_data(tmp_path)
    assert _keys(user)["books"] == "isbn"
    assert ("issued_status", "issued_book_isbn", "books", "isbn") in _rels(user)
    assert user.tables["return_status"]["return_book_isbn"].isna().all()


def test_null_marks_in_a_column_with_other_text_stay_text(tmp_path):
    """Only a column of nothing but NULL marks is empty; 'NULL' beside names stays a value."""
    frame = pd.DataFrame({"t_id": [1, 2, 3, 4], "note": ["NULL", "a", "b", "NULL"]})
    _write(tmp_path, {"t": frame})
    user = load_user_data(tmp_path)
    assert user.tables["t"]["note"].tolist() == ["NULL", "a", "b", "NULL"]


def test_a_one_to_one_extension_is_keyed_by_its_first_column(tmp_path):
    """MovieLens' links(movieId, imdbId, tmdbId): movieId, first and movies' key, keys it;
    imdbId, unique and named like a key too, is an attribute."""
    rng = np.random.default_rng(4)
    movies = pd.DataFrame({"movieId": range(1, 81), "title": [f"Movie {i}" for i in range(80)]})
    links = pd.DataFrame(
        {
            "movieId": range(1, 81),
            "imdbId": [f"{x:07d}" for x in rng.choice(10**6, 80, replace=False)],
            "tmdbId": rng.choice(10**5, 80, replace=False),
        }
    )
    ratings = pd.DataFrame(
        {"userId": rng.integers(1, 20, 300), "movieId": rng.integers(1, 81, 300)}
    ).drop_duplicates()
    _write(tmp_path, {"movies": movies, "links": links, "ratings": ratings})
    user = load_user_data(tmp_path)
    assert _keys(user)["links"] == "movieId"
    assert ("links", "movieId", "movies", "movieId") in _rels(user)
