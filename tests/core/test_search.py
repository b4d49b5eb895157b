"""core.search: which terms are searched at all, and which may run a substring (trigram) match."""

import pytest

from core import search
from core.bounds import SEARCH_TERM_MAX_LENGTH


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("", ""),
        ("  ", ""),
        ("a", ""),
        (" ab ", "ab"),
        ("Jan \t  Kowalski", "Jan Kowalski"),
        ("x" * SEARCH_TERM_MAX_LENGTH, "x" * SEARCH_TERM_MAX_LENGTH),
        ("x" * (SEARCH_TERM_MAX_LENGTH + 1), ""),
    ],
)
def test_a_term_is_searched_only_within_its_bounds(raw, cleaned):
    assert search.clean_term(raw) == cleaned


@pytest.mark.parametrize(
    ("term", "substring"),
    [
        ("ann", True),
        ("Mosiołek", True),
        ("ab", False),
        ("C-1-1", False),  # only padded trigrams: the index would hand over every row
        ("C-100-1", True),
        ("a_b_c", False),  # an underscore is no letter for pg_trgm
        ("%%%", False),
        ("Łód", True),
    ],
)
def test_substring_matches_need_three_letters_or_digits_in_a_row(term, substring):
    assert search.allows_substring(term) is substring
