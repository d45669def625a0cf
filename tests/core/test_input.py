"""`parse_int`: the one reading of a number sent as text, for every form and query string."""

from __future__ import annotations

import pytest

from desk.core.input import MAX_ID, choice_id, parse_int


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("42", 42),
        (" 42 ", 42),
        ("0", 0),
        (str(MAX_ID), MAX_ID),
        (7, 7),
        (str(MAX_ID + 1), None),  # PostgreSQL's integer would refuse it in a query
        ("²", None),  # str.isdigit() says yes, int() says no
        ("١٢", None),  # int() reads other scripts' digits: not ours to accept
        ("１２", None),
        ("9" * 5000, None),  # int() refuses more than 4,300 digits
        ("-1", None),
        ("+1", None),
        ("1.5", None),
        ("1e3", None),
        ("", None),
        ("   ", None),
        (None, None),
        (True, None),
        (3.0, None),
    ],
)
def test_parse_int_reads_ascii_digits_within_bounds(raw, expected):
    assert parse_int(raw) == expected


def test_parse_int_takes_a_sign_only_where_negatives_are_allowed():
    assert parse_int("-5", low=-10, high=10) == -5
    assert parse_int("-11", low=-10, high=10) is None
    assert parse_int("--5", low=-10, high=10) is None
    assert parse_int("50", low=1, high=99) == 50 and parse_int("100", low=1, high=99) is None


def test_choice_id_raises_what_wtforms_turns_into_a_field_error():
    assert choice_id("12") == 12
    for raw in ("", "²", str(MAX_ID + 1), "abc"):
        with pytest.raises(ValueError):
            choice_id(raw)
