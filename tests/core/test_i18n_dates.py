"""`short_datetime`, the per-process "short" date formatter of long lists and `localdt`, and
`datetime_formatter` (the e-mails' long dates) say exactly what Babel says, in every language
and across the daylight-saving changes."""

from __future__ import annotations

import datetime as dt

import pytest
from babel.dates import format_datetime
from markupsafe import escape

from desk.core.i18n import (
    DATETIME_PATTERNS,
    datetime_formatter,
    first_of_month,
    html_safe,
    short_datetime,
)
from desk.notifications.content import DATE_PATTERN

# Around both changes of 2026 in Paris, every 37 minutes, plus the ends of a year.
MOMENTS = [
    start + dt.timedelta(minutes=37 * i)
    for start in (
        dt.datetime(2026, 3, 28, 22, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 10, 24, 22, 0, tzinfo=dt.UTC),
    )
    for i in range(120)
] + [dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC), dt.datetime(2027, 1, 1, tzinfo=dt.UTC)]


@pytest.mark.parametrize("language", ["fr", "en", "de"])
def test_same_text_as_babel(language):
    fmt = short_datetime(language, "Europe/Paris")
    pattern = DATETIME_PATTERNS.get(language, "short")  # de: no pattern of ours, CLDR's short
    for moment in MOMENTS:
        expected = format_datetime(moment, pattern, tzinfo="Europe/Paris", locale=language)
        assert fmt(moment) == expected
    assert fmt(None) == ""


@pytest.mark.parametrize("language", ["fr", "en", "de"])
def test_the_long_email_dates_are_babel_s(language):
    fmt = datetime_formatter(language, "Europe/Paris", DATE_PATTERN)
    for moment in MOMENTS + [dt.datetime(2026, 5, d, 9, 30, tzinfo=dt.UTC) for d in range(1, 8)]:
        expected = format_datetime(moment, DATE_PATTERN, tzinfo="Europe/Paris", locale=language)
        assert fmt(moment) == first_of_month(expected, language)  # « 1er » in French
    assert fmt(None) == ""


def test_a_naive_datetime_is_read_as_utc_as_babel_does():
    naive = dt.datetime(2026, 7, 1, 16, 5)
    for pattern in (None, "dd/MM/y HH:mm", DATE_PATTERN):
        expected = format_datetime(naive, pattern or "short", tzinfo="Europe/Paris", locale="fr")
        expected = first_of_month(expected, "fr")
        assert datetime_formatter("fr", "Europe/Paris", pattern)(naive) == expected
    assert short_datetime("fr", "Europe/Paris")(naive) == "01/07/2026 18:05"


def test_the_display_time_zone_and_the_reader_language():
    winter = dt.datetime(2026, 12, 1, 16, 5, tzinfo=dt.UTC)
    summer = dt.datetime(2026, 7, 1, 16, 5, tzinfo=dt.UTC)
    assert short_datetime("fr", "Europe/Paris")(winter) == "01/12/2026 17:05"
    assert short_datetime("fr", "Europe/Paris")(summer) == "01/07/2026 18:05"
    assert short_datetime("en", "Europe/Paris")(winter) == "1 Dec 2026, 17:05"
    assert short_datetime("en", "UTC")(summer) == "1 Jul 2026, 16:05"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_list_dates_need_no_escaping_and_say_so(language):
    """The lists print these dates unescaped only because nothing in them can be markup."""
    fmt = short_datetime(language, "Europe/Paris")
    assert html_safe(fmt)
    assert all(escape(fmt(moment)) == fmt(moment) for moment in MOMENTS)


def test_a_pattern_with_markup_characters_is_not_html_safe():
    quoted = datetime_formatter("en", "Europe/Paris", "d MMM y '<&>' HH:mm")
    assert quoted(dt.datetime(2026, 5, 4, 9, 30, tzinfo=dt.UTC)) == "4 May 2026 <&> 11:30"
    assert not html_safe(quoted)
    # Babel's own formatting (CLDR's "short", no pattern of ours) is never taken as safe.
    assert not html_safe(short_datetime("de", "Europe/Paris"))
