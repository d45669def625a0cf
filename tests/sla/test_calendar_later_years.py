"""The calendar in 2027–2028 with the French holidays the calendar page generates.

test_calendar.py's oracle covers 2026; here the same oracle checks the next years' two DST
changes in Paris and the movable feasts (Easter Monday, Ascension, Whit Monday), whose dates
come from the `holidays` package as an admin would add them, on a calendar with a lunch break.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from desk.sla.calendar import BusinessCalendar
from desk.sla.parsing import generate_holidays
from tests.sla.test_calendar import FAST, LUNCH, PARIS, Oracle, add, at_minute, minute_of, paris

WEEKLY = {**dict.fromkeys(range(4), LUNCH), 4: [("08:00", "16:00")]}
FIRST, LAST = date(2027, 3, 1), date(2028, 6, 30)
# Last Sundays of March and October, then the movable feasts of 2027 and 2028.
FOCUS = [
    date(2027, 3, 28), date(2027, 10, 31), date(2028, 3, 26),
    date(2027, 3, 29), date(2027, 5, 6), date(2027, 5, 17),
    date(2028, 4, 17), date(2028, 5, 25), date(2028, 6, 5),
]  # fmt: skip


def test_french_movable_feasts_2026_to_2028() -> None:
    """Easter Monday, Ascension (Easter + 39) and Whit Monday (Easter + 50), year by year."""
    generated = set(generate_holidays("FR", [2026, 2027, 2028]))
    easter = {2026: date(2026, 4, 5), 2027: date(2027, 3, 28), 2028: date(2028, 4, 16)}
    for sunday in easter.values():
        for days in (1, 39, 50):
            assert (sunday + timedelta(days=days)).isoformat() in generated
    assert {"2027-05-08", "2028-07-14", "2028-11-01"} <= generated


@cache
def _pair() -> tuple[BusinessCalendar, Oracle]:
    holidays = generate_holidays("FR", [2027, 2028])
    cal = BusinessCalendar("Europe/Paris", WEEKLY, holidays)
    return cal, Oracle("Europe/Paris", WEEKLY, holidays, FIRST, LAST)


@st.composite
def _minute(draw: st.DrawFn) -> int:
    """A whole UTC minute a few days around a DST change or a feast, or anywhere in range."""
    _cal, oracle = _pair()
    if draw(st.booleans()):
        day = datetime.combine(draw(st.sampled_from(FOCUS)), datetime.min.time(), UTC)
        minute = int(day.timestamp()) // 60 + draw(st.integers(-4 * 1440, 4 * 1440))
    else:
        minute = draw(st.integers(oracle.base, oracle.end - 1))
    return min(max(minute, oracle.base), oracle.end - 10 * 1440)


@settings(FAST, max_examples=2000)
@given(_minute(), st.integers(0, 3 * 1440), st.integers(-6 * 1440, 6 * 1440))
def test_later_years_match_the_oracle(minute: int, delta: int, span: int) -> None:
    cal, oracle = _pair()
    start = at_minute(minute, PARIS)
    assert cal.is_open(start) is oracle.is_open(minute)
    expected = oracle.add(minute, delta)
    assert expected is not None
    assert minute_of(add(cal, start, timedelta(minutes=delta))) == expected
    other = min(max(minute + span, oracle.base), oracle.end - 1)
    between = cal.business_time_between(start, at_minute(other))
    assert between == timedelta(minutes=oracle.between(minute, other))


def test_friday_before_whit_monday_2028_and_the_shorter_friday() -> None:
    cal, _oracle = _pair()
    # Friday 2 June 2028, 15:30: half an hour to 16:00, Whit Monday closed, then Tuesday.
    assert add(cal, paris(2028, 6, 2, 15, 30), timedelta(hours=1)) == paris(2028, 6, 6, 8, 30)
    # Ascension Thursday 2027 at 09:00 (closed): the clock starts on Friday at 08:00.
    assert add(cal, paris(2027, 5, 6, 9), timedelta(hours=8)) == paris(2027, 5, 7, 16)
