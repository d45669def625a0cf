"""French writes the first day of a month as an ordinal: « mardi 1er décembre 2026 »."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import render_template_string
from flask_babel import force_locale

from desk.core.i18n import datetime_formatter, first_of_month, localdt, long_date

FIRST = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)  # 10:30 in Paris
SECOND = dt.datetime(2026, 12, 2, 9, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("pattern", "first", "second"),
    [
        (
            "EEEE d MMMM y, HH:mm",
            "mardi 1er décembre 2026, 10:30",
            "mercredi 2 décembre 2026, 10:30",
        ),
        ("d MMM y, HH:mm", "1er déc. 2026, 10:30", "2 déc. 2026, 10:30"),
        ("dd/MM/y HH:mm", "01/12/2026 10:30", "02/12/2026 10:30"),  # figures only: no ordinal
        ("d MMMM y 'à' H'h'", "1er décembre 2026 à 10h", "2 décembre 2026 à 10h"),  # Babel's path
    ],
)
def test_the_french_formatter_writes_1er(pattern, first, second):
    fmt = datetime_formatter("fr", "Europe/Paris", pattern)
    assert fmt(FIRST) == first and fmt(SECOND) == second


def test_english_keeps_its_figures():
    fmt = datetime_formatter("en", "Europe/Paris", "EEEE d MMMM y, HH:mm")
    assert fmt(FIRST) == "Tuesday 1 December 2026, 10:30"


def test_the_day_is_the_one_in_paris():
    # 23:30 UTC on 30 November is already 1 December in Paris; 23:30 on 1 December is the 2nd.
    fmt = datetime_formatter("fr", "Europe/Paris", "d MMMM")
    assert fmt(dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)) == "1er décembre"
    assert fmt(dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC)) == "2 décembre"


def test_only_a_day_before_a_month_changes():
    assert (
        first_of_month("le 11 décembre, 1 mai, 21 mai", "fr") == "le 11 décembre, 1er mai, 21 mai"
    )
    assert first_of_month("salle 1 mars", "fr") == "salle 1er mars"  # a day, as Babel writes it
    assert first_of_month("01/05/2026, 10:01 mai", "fr") == "01/05/2026, 10:01 mai"
    assert first_of_month("1 May", "en") == "1 May"


def test_pages_and_filters(app):
    with app.test_request_context("/"), force_locale("fr"):
        assert long_date(dt.date(2026, 5, 1)) == "1er mai 2026"
        assert localdt(FIRST, "EEEE d MMMM") == "mardi 1er décembre"
        assert render_template_string("{{ d|day }}", d=dt.date(2027, 1, 1)) == "1er janvier"
        assert render_template_string("{{ d|longdate }}", d=dt.date(2027, 1, 2)) == "2 janvier 2027"
    with app.test_request_context("/"), force_locale("en"):
        assert long_date(dt.date(2026, 5, 1)) == "1 May 2026"
