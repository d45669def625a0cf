"""BusinessCalendar against a brute-force minute-stepping oracle, plus hand-checked cases.

The oracle knows nothing about the implementation: it walks every UTC minute of a window, asks
zoneinfo what the wall clock shows, and decides from the wall-clock readings of that local day
whether the minute is open.  Prefix sums over the minute flags answer the queries.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from itertools import accumulate
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from desk.sla.calendar import BusinessCalendar

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")
INPUT_ZONES = [UTC, PARIS, NEW_YORK, ZoneInfo("Asia/Tokyo")]
US = timedelta(microseconds=1)
H = timedelta(hours=1)

# No example database: failing examples would pile up under .hypothesis/ in the repository.
FAST = settings(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

FRENCH_HOLIDAYS = [
    "2026-01-01", "2026-04-06", "2026-05-01", "2026-05-08", "2026-05-14", "2026-05-25",
    "2026-07-14", "2026-08-15", "2026-11-01", "2026-11-11", "2026-12-25", "2027-01-01",
]  # fmt: skip
WEEKDAYS_8_17 = {d: [("08:00", "17:00")] for d in range(5)}
LUNCH = [("08:00", "12:00"), ("13:30", "17:00")]
OFFICE_HOURS = {
    **dict.fromkeys(range(4), LUNCH),
    4: [("08:00", "16:00")],
    6: [("01:00", "04:00"), ("20:00", "24:00")],
}


# Results are compared in UTC: == between different zones is always False for a time in a
# repeated hour (PEP 495), and == within one zone ignores fold.
def paris(*args: int, fold: int = 0) -> datetime:
    """Paris wall-clock time, as UTC."""
    return datetime(*args, tzinfo=PARIS, fold=fold).astimezone(UTC)


def utc(*args: int) -> datetime:
    """UTC time."""
    return datetime(*args, tzinfo=UTC)


def add(cal: BusinessCalendar, start: datetime, delta: timedelta) -> datetime:
    """cal.add_business_time, checked to be in the calendar's zone, as UTC."""
    result = cal.add_business_time(start, delta)
    assert result.tzinfo == cal.tzinfo
    return result.astimezone(UTC)


def next_open(cal: BusinessCalendar, at: datetime) -> datetime:
    """cal.next_open, checked to be in the calendar's zone, as UTC."""
    result = cal.next_open(at)
    assert result.tzinfo == cal.tzinfo
    return result.astimezone(UTC)


# -- the oracle -----------------------------------------------------------------------------


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


class Oracle:
    """Open/closed flag for every UTC minute whose local date is in [first_day, last_day].

    The minute starting at instant t (local date D, open interval [start, end) of D's weekday,
    D not a holiday) is open iff, looking only at D's wall-clock readings minute by minute:
      * the clock has shown a time >= start at or before t, and
      * from t on the clock still shows a time < end, or after t it shows a time <= end.
    With no DST change on D this is just start <= wall(t) < end.  Around a DST change it says:
    a start inside the repeated hour counts from its first occurrence, an end inside it from
    its second occurrence, and a start or end inside the skipped hour is the jump itself.
    """

    def __init__(
        self,
        zone: str,
        weekly_hours: dict[int, list[tuple[str, str]]],
        holidays: list[str],
        first_day: date,
        last_day: date,
    ) -> None:
        tz = ZoneInfo(zone)
        closed = {date.fromisoformat(h) for h in holidays}
        weekly = {d: [(_minutes(s), _minutes(e)) for s, e in v] for d, v in weekly_hours.items()}
        lo = int(datetime.combine(first_day, datetime.min.time(), UTC).timestamp()) // 60 - 1440
        hi = int(datetime.combine(last_day, datetime.min.time(), UTC).timestamp()) // 60 + 2880
        by_day: dict[date, list[tuple[int, int]]] = {}
        for m in range(lo, hi):
            local = datetime.fromtimestamp(m * 60, tz)
            if first_day <= local.date() <= last_day:
                by_day.setdefault(local.date(), []).append((m, local.hour * 60 + local.minute))
        self.base = by_day[first_day][0][0]
        self.end = by_day[last_day][-1][0] + 1
        flags = bytearray(self.end - self.base)
        for day, items in by_day.items():
            # Each local day is one run of consecutive UTC minutes in the zones used here.
            assert [m for m, _ in items] == list(range(items[0][0], items[-1][0] + 1))
            if day in closed:
                continue
            walls = [w for _, w in items]
            if walls == list(range(1440)):
                # Plain day (no DST change): open iff start <= wall < end, a slice.
                first = items[0][0] - self.base
                for start, end in weekly.get(day.weekday(), []):
                    flags[first + start : first + end] = b"\x01" * (end - start)
                continue
            seen_max = list(accumulate(walls, max))
            ahead_min = [*reversed(list(accumulate(reversed(walls), min))), 10**9]
            for start, end in weekly.get(day.weekday(), []):
                for i, (m, _) in enumerate(items):
                    if seen_max[i] >= start and (ahead_min[i] < end or ahead_min[i + 1] <= end):
                        flags[m - self.base] = 1
        self.flags = flags
        self.prefix = array("q", [0, *accumulate(flags)])

    def inside(self, minute: int) -> bool:
        """Whether the oracle knows this minute."""
        return self.base <= minute < self.end

    def between(self, a: int, b: int) -> int:
        """Open minutes in [a, b) (negative when b < a)."""
        return self.prefix[b - self.base] - self.prefix[a - self.base]

    def add(self, a: int, k: int) -> int | None:
        """Earliest minute t >= a with between(a, t) == k, or None past the window."""
        j = bisect_left(self.prefix, self.prefix[a - self.base] + k, a - self.base)
        return None if j >= len(self.prefix) else self.base + j

    def is_open(self, minute: int) -> bool:
        """Whether the minute starting at `minute` is open."""
        return bool(self.flags[minute - self.base])

    def next_open(self, minute: int) -> int | None:
        """First open minute >= minute, or None past the window."""
        j = self.flags.find(1, minute - self.base)
        return None if j < 0 else self.base + j


def at_minute(minute: int, tz: timezone | ZoneInfo = UTC) -> datetime:
    """Aware datetime of a UTC epoch minute, expressed in tz."""
    return datetime.fromtimestamp(minute * 60, UTC).astimezone(tz)


def minute_of(dt: datetime) -> int:
    """UTC epoch minute of a whole-minute aware datetime."""
    seconds = dt.timestamp()
    assert seconds % 60 == 0, dt
    return int(seconds) // 60


@dataclass
class Case:
    """A calendar definition with the dates worth aiming at, and its lazily built oracle."""

    zone: str
    weekly_hours: dict[int, list[tuple[str, str]]]
    holidays: list[str]
    focus: list[str]
    _oracle: Oracle | None = field(default=None, repr=False)

    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar(self.zone, self.weekly_hours, self.holidays)

    @property
    def oracle(self) -> Oracle:
        if self._oracle is None:
            self._oracle = Oracle(
                self.zone, self.weekly_hours, self.holidays, date(2026, 1, 1), date(2027, 1, 31)
            )
        return self._oracle


CASES = {
    # Sunday 01:00-04:00 straddles both Paris DST changes (both on Sundays), 20:00-24:00 ends
    # at midnight, weekdays have a lunch break.
    "paris_office": Case(
        "Europe/Paris",
        OFFICE_HOURS,
        FRENCH_HOLIDAYS,
        ["2026-03-29", "2026-10-25", "2026-04-06", "2026-12-25", "2027-01-01", "2026-05-14"],
    ),
    "paris_24_7": Case(
        "Europe/Paris",
        {d: [("00:00", "24:00")] for d in range(7)},
        ["2026-12-25"],
        ["2026-03-29", "2026-10-25", "2026-12-25"],
    ),
    "new_york": Case(
        "America/New_York",
        {**{d: [("09:00", "17:30")] for d in range(5)}, 6: [("01:30", "03:30")]},
        ["2026-01-01", "2026-05-25", "2026-07-03", "2026-11-26", "2026-12-25"],
        ["2026-03-08", "2026-11-01", "2026-07-03", "2026-11-26"],
    ),
    "sydney": Case(
        "Australia/Sydney",
        {**{d: [("08:30", "17:00")] for d in range(5)}, 6: [("00:00", "24:00")]},
        ["2026-01-26", "2026-04-03", "2026-04-06", "2026-12-25", "2026-12-28"],
        ["2026-04-05", "2026-10-04", "2026-04-03", "2026-12-25"],
    ),
}
CALENDARS = {name: case.calendar() for name, case in CASES.items()}


@st.composite
def case_and_minute(draw: st.DrawFn, margin: int = 0) -> tuple[str, int]:
    """A fixed calendar and a whole minute in its window, often near a DST change or holiday."""
    name = draw(st.sampled_from(sorted(CASES)))
    oracle = CASES[name].oracle
    if draw(st.booleans()):
        focus = date.fromisoformat(draw(st.sampled_from(CASES[name].focus)))
        centre = int(datetime.combine(focus, datetime.min.time(), UTC).timestamp()) // 60
        minute = centre + draw(st.integers(-4 * 1440, 4 * 1440))
    else:
        minute = draw(st.integers(oracle.base, oracle.end - 1))
    return name, min(max(minute, oracle.base), oracle.end - 1 - margin)


DELTA_MINUTES = st.integers(0, 3 * 24 * 60)


@settings(FAST, max_examples=3000)
@given(case_and_minute(), DELTA_MINUTES, st.sampled_from(INPUT_ZONES))
def test_add_matches_oracle(case: tuple[str, int], delta: int, zone: ZoneInfo) -> None:
    name, start = case
    expected = CASES[name].oracle.add(start, delta)
    assume(expected is not None)
    result = add(CALENDARS[name], at_minute(start, zone), timedelta(minutes=delta))
    assert result == at_minute(expected)


@settings(FAST, max_examples=3000)
@given(case_and_minute(), st.integers(-6 * 1440, 6 * 1440), st.sampled_from(INPUT_ZONES))
def test_between_matches_oracle(case: tuple[str, int], span: int, zone: ZoneInfo) -> None:
    name, a = case
    oracle = CASES[name].oracle
    b = a + span
    assume(oracle.inside(b))
    cal = CALENDARS[name]
    forward = cal.business_time_between(at_minute(a, zone), at_minute(b))
    assert forward == timedelta(minutes=oracle.between(a, b))
    assert cal.business_time_between(at_minute(b), at_minute(a, zone)) == -forward


@settings(FAST, max_examples=1500)
@given(case_and_minute(), st.sampled_from(INPUT_ZONES))
def test_is_open_and_next_open_match_oracle(case: tuple[str, int], zone: ZoneInfo) -> None:
    name, minute = case
    oracle, cal = CASES[name].oracle, CALENDARS[name]
    at = at_minute(minute, zone)
    assert cal.is_open(at) is oracle.is_open(minute)
    # Arithmetic in UTC: adding to a local fold=1 time would give a fold=0 (other) instant.
    late = (at.astimezone(UTC) + timedelta(seconds=59)).astimezone(zone)
    assert cal.is_open(late) is oracle.is_open(minute)
    expected = oracle.next_open(minute)
    assume(expected is not None)
    assert next_open(cal, at) == at_minute(expected)


@settings(FAST, max_examples=600)
@given(case_and_minute(), st.integers(3 * 24 * 60, 400 * 60), st.integers(1, 8), st.booleans())
def test_large_delta_matches_oracle(
    case: tuple[str, int], minutes: int, weeks: int, whole_weeks: bool
) -> None:
    # Hundreds of business hours: exercises the whole-week jumps across holidays and DST.  An
    # exact number of weeks of open time must end at a closing time, not the next opening.
    name, start = case
    week = CALENDARS[name].weekly_open_time // timedelta(minutes=1)
    delta = weeks * week if whole_weeks else minutes
    expected = CASES[name].oracle.add(start, delta)
    assume(expected is not None)
    cal = CALENDARS[name]
    result = add(cal, at_minute(start), timedelta(minutes=delta))
    assert result == at_minute(expected)
    assert cal.business_time_between(at_minute(start), result) == timedelta(minutes=delta)


# Microsecond instants within 2026-2027, deltas up to 3 days.
MICRO_START = st.integers(
    int(utc(2026, 1, 1).timestamp()) * 10**6, int(utc(2027, 12, 1).timestamp()) * 10**6
)
MICRO_DELTA = st.integers(0, 3 * 86_400 * 10**6)


@settings(FAST, max_examples=3000)
@given(st.sampled_from(sorted(CASES)), MICRO_START, MICRO_DELTA)
def test_round_trip_and_earliest_to_the_microsecond(
    name: str, start_us: int, delta_us: int
) -> None:
    cal = CALENDARS[name]
    start = utc(1970, 1, 1) + timedelta(microseconds=start_us)
    delta = timedelta(microseconds=delta_us)
    result = add(cal, start, delta)
    assert result >= start
    assert cal.business_time_between(start, result) == delta
    if delta:
        # Earliest: one microsecond sooner is not enough, and the last microsecond was open.
        assert cal.business_time_between(start, result - US) == delta - US
        assert cal.is_open(result - US)
    else:
        assert result == start


@settings(FAST, max_examples=600)
@given(
    st.sampled_from(sorted(CASES)),
    MICRO_START,
    st.integers(0, 500 * 3600 * 10**6),
    st.integers(0, 500 * 3600 * 10**6),
)
def test_add_is_additive(name: str, start_us: int, d1_us: int, d2_us: int) -> None:
    # add(add(s, d1), d2) == add(s, d1 + d2) holds for the earliest-instant definition, and
    # compares week jumps (one big add) with shorter walks.
    cal = CALENDARS[name]
    start = utc(1970, 1, 1) + timedelta(microseconds=start_us)
    d1, d2 = timedelta(microseconds=d1_us), timedelta(microseconds=d2_us)
    # The intermediate result goes back in as returned (local time, fold=1 in a repeated hour).
    assert add(cal, cal.add_business_time(start, d1), d2) == add(cal, start, d1 + d2)


# -- random calendars around DST changes ----------------------------------------------------

DST_DAYS = {
    "Europe/Paris": [date(2026, 3, 29), date(2026, 10, 25)],
    "America/New_York": [date(2026, 3, 8), date(2026, 11, 1)],
    "Australia/Sydney": [date(2026, 4, 5), date(2026, 10, 4)],
}
# Boundaries on quarter hours anywhere, plus 5-minute steps around the 01:00-04:00 DST hours.
BOUNDARY = st.one_of(
    st.sampled_from(range(0, 1441, 15)), st.sampled_from(range(60, 241, 5)), st.just(1440)
)


@st.composite
def day_hours(draw: st.DrawFn) -> list[tuple[str, str]]:
    """Intervals of one day; consecutive chosen segments touch (e.g. 00:00-02:30, 02:30-05:00)."""
    bounds = sorted(draw(st.sets(BOUNDARY, max_size=6)))
    keep = draw(st.lists(st.booleans(), min_size=len(bounds), max_size=len(bounds)))
    hhmm = [f"{b // 60:02d}:{b % 60:02d}" for b in bounds]
    return [(hhmm[i], hhmm[i + 1]) for i in range(len(bounds) - 1) if keep[i]]


@st.composite
def random_case(draw: st.DrawFn) -> tuple[Case, BusinessCalendar, date]:
    """A random calendar in one of three zones, with a window around one of its DST days."""
    zone = draw(st.sampled_from(sorted(DST_DAYS)))
    dst_day = draw(st.sampled_from(DST_DAYS[zone]))
    weekly = {d: draw(day_hours()) for d in range(7)}
    weekly[dst_day.weekday()] = draw(day_hours().filter(bool))  # the DST day has hours
    offsets = draw(st.sets(st.integers(-5, 5), max_size=3))
    holidays = [(dst_day + timedelta(days=o)).isoformat() for o in offsets if o]
    case = Case(zone, weekly, holidays, [])
    return case, case.calendar(), dst_day


@settings(FAST, max_examples=300)
@given(
    random_case(),
    st.lists(
        st.tuples(st.integers(0, 11 * 1440), st.integers(0, 6 * 1440), st.sampled_from([0, 59])),
        min_size=1,
        max_size=25,
    ),
)
def test_random_calendars_match_oracle(
    case: tuple[Case, BusinessCalendar, date], queries: list[tuple[int, int, int]]
) -> None:
    spec, cal, dst_day = case
    oracle = Oracle(
        spec.zone,
        spec.weekly_hours,
        spec.holidays,
        dst_day - timedelta(days=5),
        dst_day + timedelta(days=6),
    )
    for offset, amount, seconds in queries:
        minute = min(oracle.base + offset, oracle.end - 1)
        start = at_minute(minute)
        assert cal.is_open(start + timedelta(seconds=seconds)) is oracle.is_open(minute)
        other = min(minute + amount, oracle.end)
        expected_between = timedelta(minutes=oracle.between(minute, other))
        assert cal.business_time_between(start, at_minute(other)) == expected_between
        assert cal.business_time_between(at_minute(other), start) == -expected_between
        expected = oracle.add(minute, amount // 8)
        result = add(cal, start, timedelta(minutes=amount // 8))
        if expected is None:
            assert minute_of(result) >= oracle.end
        else:
            assert result == at_minute(expected)
        expected_open = oracle.next_open(minute)
        if expected_open is not None:
            assert next_open(cal, start) == at_minute(expected_open)


# -- hand-checked cases ---------------------------------------------------------------------

OFFICE = CALENDARS["paris_office"]
STANDARD = BusinessCalendar("Europe/Paris", WEEKDAYS_8_17, FRENCH_HOLIDAYS)


def test_landing_exactly_on_closing_time_returns_the_closing_time() -> None:
    # 2026-03-02 is a Monday: 08:00 + 4 h is 12:00, not 13:30 after lunch.
    assert add(OFFICE, paris(2026, 3, 2, 8), 4 * H) == paris(2026, 3, 2, 12)
    assert add(OFFICE, paris(2026, 3, 2, 8), 4 * H + US) == paris(2026, 3, 2, 13, 30, 0, 1)
    assert add(STANDARD, paris(2026, 3, 6, 8), 9 * H) == paris(2026, 3, 6, 17)


def test_lunch_break_is_skipped() -> None:
    assert add(OFFICE, paris(2026, 3, 2, 11), 2 * H) == paris(2026, 3, 2, 14, 30)
    assert add(OFFICE, paris(2026, 3, 2, 12, 15), H) == paris(2026, 3, 2, 14, 30)
    assert OFFICE.business_time_between(paris(2026, 3, 2, 8), paris(2026, 3, 2, 18)) == 7.5 * H
    assert not OFFICE.is_open(paris(2026, 3, 2, 12))
    assert OFFICE.is_open(paris(2026, 3, 2, 11, 59, 59, 999999))
    assert next_open(OFFICE, paris(2026, 3, 2, 12, 10)) == paris(2026, 3, 2, 13, 30)


def test_friday_afternoon_plus_one_working_day_is_monday_afternoon() -> None:
    # 2026-03-06 is a Friday.
    assert add(STANDARD, paris(2026, 3, 6, 16, 30), 9 * H) == paris(2026, 3, 9, 16, 30)


def test_monday_holiday_pushes_to_tuesday() -> None:
    # Easter Monday 2026-04-06 is a holiday.
    assert add(STANDARD, paris(2026, 4, 3, 16, 30), 9 * H) == paris(2026, 4, 7, 16, 30)
    assert not STANDARD.is_open(paris(2026, 4, 6, 10))
    assert next_open(STANDARD, paris(2026, 4, 6, 10)) == paris(2026, 4, 7, 8)


def test_christmas_and_new_year_holidays() -> None:
    # Christmas 2026 and New Year 2027 both fall on a Friday.
    assert add(STANDARD, paris(2026, 12, 24, 16, 30), 9 * H) == paris(2026, 12, 28, 16, 30)
    assert add(STANDARD, paris(2026, 12, 31, 16, 30), 9 * H) == paris(2027, 1, 4, 16, 30)
    week = STANDARD.business_time_between(paris(2026, 12, 21), paris(2027, 1, 4))
    assert week == 8 * 9 * H


def test_paris_spring_forward() -> None:
    # 2026-03-29: 02:00 CET jumps to 03:00 CEST.
    day, next_day = paris(2026, 3, 29), paris(2026, 3, 30)
    assert CALENDARS["paris_24_7"].business_time_between(day, next_day) == 23 * H
    # Sunday 01:00-04:00 (office) lasts 2 real hours, plus 20:00-24:00.
    assert OFFICE.business_time_between(day, next_day) == 6 * H
    assert add(OFFICE, paris(2026, 3, 29, 1), 90 * timedelta(minutes=1)) == paris(
        2026, 3, 29, 3, 30
    )
    assert add(OFFICE, paris(2026, 3, 29, 1), 2 * H) == paris(2026, 3, 29, 4)
    assert add(OFFICE, paris(2026, 3, 29, 1), 2 * H + US) == paris(2026, 3, 29, 20, 0, 0, 1)


def test_paris_fall_back() -> None:
    # 2026-10-25: 03:00 CEST goes back to 02:00 CET, 02:00-03:00 happens twice.
    day, next_day = paris(2026, 10, 25), paris(2026, 10, 26)
    assert CALENDARS["paris_24_7"].business_time_between(day, next_day) == 25 * H
    assert OFFICE.business_time_between(day, next_day) == 8 * H
    first = OFFICE.add_business_time(paris(2026, 10, 25, 1), 90 * timedelta(minutes=1))
    second = OFFICE.add_business_time(paris(2026, 10, 25, 1), 150 * timedelta(minutes=1))
    # Both read 02:30 on the wall; the first in summer time, the second in winter time.
    assert (first.hour, first.minute, first.utcoffset()) == (2, 30, 2 * H)
    assert (second.hour, second.minute, second.utcoffset()) == (2, 30, H)
    assert first.astimezone(UTC) == utc(2026, 10, 25, 0, 30)
    assert second.astimezone(UTC) == utc(2026, 10, 25, 1, 30)
    assert second.astimezone(UTC) == paris(2026, 10, 25, 2, 30, fold=1)
    assert add(OFFICE, paris(2026, 10, 25, 1), 4 * H) == utc(2026, 10, 25, 3)


def test_interval_bounds_inside_the_dst_hours() -> None:
    cal = BusinessCalendar(
        "Europe/Paris", {6: [("00:00", "02:30"), ("02:30", "05:00")], 5: [("02:30", "02:45")]}
    )
    # Spring: 02:30 does not exist, both bounds map to the jump (01:00 UTC).
    assert cal.business_time_between(utc(2026, 3, 27, 12), utc(2026, 3, 29, 0, 59)) == (
        timedelta(minutes=15) + timedelta(minutes=119)
    )
    assert cal.is_open(utc(2026, 3, 29, 1)) and cal.is_open(utc(2026, 3, 29, 0, 59))
    assert cal.business_time_between(paris(2026, 3, 29), paris(2026, 3, 30)) == 4 * H
    # Fall: a start takes the first 02:30 (00:30 UTC), an end the second (01:30 UTC); the two
    # intervals then overlap in real time and are counted once: 22:00 -> 04:00 UTC.
    assert cal.business_time_between(paris(2026, 10, 25), paris(2026, 10, 26)) == 6 * H
    alone = BusinessCalendar("Europe/Paris", {6: [("02:30", "05:00")], 0: [("00:00", "02:00")]})
    assert alone.business_time_between(paris(2026, 10, 25), paris(2026, 10, 26)) == 3.5 * H
    assert next_open(alone, paris(2026, 10, 25)) == utc(2026, 10, 25, 0, 30)
    # An interval entirely inside the skipped hour has no time at all that day.
    gap = BusinessCalendar("Europe/Paris", {6: [("02:10", "02:50"), ("10:00", "11:00")]})
    assert gap.business_time_between(paris(2026, 3, 29), paris(2026, 3, 30)) == H
    assert gap.business_time_between(paris(2026, 10, 25), paris(2026, 10, 26)) == (
        2 * H + timedelta(minutes=40)
    )


def test_midnight_end_and_round_the_clock() -> None:
    # Sunday 20:00-24:00 then Monday 08:00.
    assert add(OFFICE, paris(2026, 3, 1, 23), H) == paris(2026, 3, 2)
    assert add(OFFICE, paris(2026, 3, 1, 23), H + US) == paris(2026, 3, 2, 8, 0, 0, 1)
    assert not OFFICE.is_open(paris(2026, 3, 2))
    always = CALENDARS["paris_24_7"]
    assert always.business_time_between(paris(2026, 3, 1), paris(2026, 4, 1)) == 743 * H
    assert always.business_time_between(paris(2026, 12, 24), paris(2026, 12, 27)) == 48 * H
    assert add(always, paris(2026, 3, 28, 12), 24 * H) == paris(2026, 3, 29, 13)


def test_new_york_dst() -> None:
    cal = BusinessCalendar("America/New_York", {6: [("01:00", "04:00")], 0: [("09:00", "17:00")]})

    def ny(*args: int) -> datetime:
        return datetime(*args, tzinfo=NEW_YORK).astimezone(UTC)

    # 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST.
    assert cal.business_time_between(ny(2026, 3, 8), ny(2026, 3, 9)) == 2 * H
    assert cal.business_time_between(ny(2026, 11, 1), ny(2026, 11, 2)) == 4 * H
    assert cal.business_time_between(ny(2026, 3, 1), ny(2026, 3, 2)) == 3 * H
    assert add(cal, ny(2026, 11, 1), 90 * timedelta(minutes=1)) == utc(2026, 11, 1, 6, 30)
    assert add(cal, ny(2026, 11, 1, 1), 3 * H) == utc(2026, 11, 1, 8)
    assert add(cal, ny(2026, 3, 8), 3 * H) == ny(2026, 3, 9, 10)
    result = add(cal, utc(2026, 3, 8, 6), H)
    assert result == ny(2026, 3, 8, 3)


def test_sydney_dst() -> None:
    cal = CALENDARS["sydney"]

    def syd(*args: int) -> datetime:
        return datetime(*args, tzinfo=SYDNEY).astimezone(UTC)

    # 2026-04-05 03:00 AEDT -> 02:00 AEST (25 h Sunday); 2026-10-04 02:00 -> 03:00 (23 h).
    assert cal.business_time_between(syd(2026, 4, 5), syd(2026, 4, 6)) == 25 * H
    assert cal.business_time_between(syd(2026, 10, 4), syd(2026, 10, 5)) == 23 * H
    # Good Friday 2026-04-03 and Easter Monday 2026-04-06 are holidays.
    assert add(cal, syd(2026, 4, 2, 16), 2 * H) == syd(2026, 4, 5, 1)
    assert add(cal, syd(2026, 4, 5, 23), 2 * H) == syd(2026, 4, 7, 9, 30)


def test_microsecond_exactness() -> None:
    start = paris(2026, 3, 2, 11, 59, 59, 999999)
    assert add(OFFICE, start, US) == paris(2026, 3, 2, 12)
    assert add(OFFICE, start, 2 * US) == paris(2026, 3, 2, 13, 30, 0, 1)
    assert OFFICE.business_time_between(paris(2026, 3, 2, 8, 0, 0, 1), paris(2026, 3, 2, 12)) == (
        4 * H - US
    )
    assert OFFICE.business_time_between(start, paris(2026, 3, 2, 13, 30, 0, 7)) == 8 * US
    assert OFFICE.is_open(start) and not OFFICE.is_open(start + US)
    far = add(OFFICE, paris(2026, 3, 2, 8, 0, 0, 3), 1000 * H + 5 * US)
    assert far.microsecond == 8
    assert OFFICE.business_time_between(paris(2026, 3, 2, 8, 0, 0, 3), far) == 1000 * H + 5 * US


def test_zero_delta_returns_start_in_calendar_zone() -> None:
    saturday = utc(2026, 3, 7, 10, 0, 0, 17)
    result = add(STANDARD, saturday, timedelta(0))
    assert result == saturday
    assert STANDARD.business_time_between(saturday, saturday) == timedelta(0)


def test_inputs_in_other_zones() -> None:
    tokyo = datetime(2026, 3, 2, 16, tzinfo=ZoneInfo("Asia/Tokyo"))  # 08:00 Paris
    result = add(OFFICE, tokyo, 4 * H)
    assert result == paris(2026, 3, 2, 12)
    fixed = datetime(2026, 3, 2, 9, tzinfo=timezone(timedelta(hours=1)))  # 09:00 Paris
    assert OFFICE.business_time_between(tokyo, fixed) == H


def test_whole_week_jumps_agree_with_day_walks_and_skip_days() -> None:
    cal = BusinessCalendar("Europe/Paris", WEEKDAYS_8_17, FRENCH_HOLIDAYS)
    start = paris(2026, 1, 5, 8)
    stepped = start
    for _ in range(300):
        stepped = add(cal, stepped, 9 * H)  # never more than a week: no jump
    assert len(cal._days) > 300
    fresh = BusinessCalendar("Europe/Paris", WEEKDAYS_8_17, FRENCH_HOLIDAYS)
    assert add(fresh, start, 2700 * H) == stepped
    # Jumping computed only the days of the weeks holding a holiday or DST change.
    assert len(fresh._days) < 200
    assert fresh.business_time_between(start, stepped) == 2700 * H
    # Independently: the 300th weekday from 2026-01-05 that is not a holiday, at 17:00.
    day, count = date(2026, 1, 5), 0
    while True:
        if day.weekday() < 5 and day.isoformat() not in FRENCH_HOLIDAYS:
            count += 1
            if count == 300:
                break
        day += timedelta(days=1)
    assert stepped == paris(day.year, day.month, day.day, 17)
    # Exactly two weeks of open time from a closed Sunday: Friday's close, not Monday 08:00.
    assert add(fresh, paris(2026, 1, 11, 12), 90 * H) == paris(2026, 1, 23, 17)
    assert fresh.business_time_between(paris(2026, 1, 11), paris(2026, 1, 25)) == 90 * H


def test_between_is_antisymmetric() -> None:
    a, b = paris(2026, 3, 27, 9, 15), paris(2026, 4, 14, 11, 5, 30, 12)
    assert OFFICE.business_time_between(b, a) == -OFFICE.business_time_between(a, b)
    assert OFFICE.business_time_between(a, b) > timedelta(0)


def test_holidays_accept_dates_and_iso_strings() -> None:
    as_dates = BusinessCalendar("Europe/Paris", WEEKDAYS_8_17, [date(2026, 12, 25)])
    as_text = BusinessCalendar("Europe/Paris", WEEKDAYS_8_17, ["2026-12-25"])
    assert as_dates.holidays == as_text.holidays == frozenset({date(2026, 12, 25)})
    assert not as_text.is_open(paris(2026, 12, 25, 10))
    assert as_text.is_open(paris(2026, 12, 24, 10))


def test_repr_round_trips() -> None:
    text = repr(OFFICE)
    assert text.startswith("BusinessCalendar(timezone='Europe/Paris', weekly_hours={0: [")
    again = eval(text, {"BusinessCalendar": BusinessCalendar})  # noqa: S307
    assert repr(again) == text
    assert OFFICE.weekly_open_time == 4 * 7.5 * H + 8 * H + 7 * H


# -- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "weekly", "holidays", "message"),
    [
        ("Europe/Pariss", WEEKDAYS_8_17, [], "unknown time zone 'Europe/Pariss'"),
        ("", WEEKDAYS_8_17, [], "unknown time zone ''"),
        ("../etc/passwd", WEEKDAYS_8_17, [], "unknown time zone"),
        # Files of the zone database that are no place: the host's own setting, a placeholder.
        ("localtime", WEEKDAYS_8_17, [], "unknown time zone 'localtime'"),
        ("Factory", WEEKDAYS_8_17, [], "unknown time zone 'Factory'"),
        ("Europe/Paris", {7: [("08:00", "17:00")]}, [], "day 7 is outside 0–6"),
        ("Europe/Paris", {-1: [("08:00", "17:00")]}, [], "day -1 is outside 0–6"),
        ("Europe/Paris", {"1": [("08:00", "17:00")]}, [], "day '1' is not an integer"),
        ("Europe/Paris", {0: [("8h", "17:00")]}, [], "malformed time '8h' on day 0"),
        ("Europe/Paris", {0: [("08:00", "25:00")]}, [], "time '25:00' on day 0 is outside"),
        ("Europe/Paris", {0: [("12:60", "17:00")]}, [], "time '12:60' on day 0 is outside"),
        ("Europe/Paris", {0: [("08:00", "24:01")]}, [], "time '24:01' on day 0 is outside"),
        ("Europe/Paris", {0: [("08:00", 17)]}, [], "malformed time 17 on day 0"),
        (
            "Europe/Paris",
            {2: [("12:00", "08:00")]},
            [],
            "interval 12:00–08:00 on day 2 is reversed",
        ),
        ("Europe/Paris", {0: [("08:00", "08:00")]}, [], "interval 08:00–08:00 on day 0 is empty"),
        ("Europe/Paris", {0: [("08:00",)]}, [], "is not a (start, end) pair"),
        (
            "Europe/Paris",
            {0: [("13:00", "17:00"), ("08:00", "13:30")]},
            [],
            "intervals 08:00–13:30 and 13:00–17:00 on day 0 overlap",
        ),
        ("Europe/Paris", {}, [], "no open hours"),
        ("Europe/Paris", {0: [], 6: []}, [], "no open hours"),
        ("Europe/Paris", WEEKDAYS_8_17, ["2026-13-01"], "malformed holiday '2026-13-01'"),
        ("Europe/Paris", WEEKDAYS_8_17, ["25/12/2026"], "malformed holiday '25/12/2026'"),
        ("Europe/Paris", WEEKDAYS_8_17, [datetime(2026, 12, 25)], "must be a date"),
        ("Europe/Paris", WEEKDAYS_8_17, [20261225], "must be a date"),
    ],
)
def test_construction_errors(
    zone: str, weekly: dict[int, list[tuple[str, str]]], holidays: list[object], message: str
) -> None:
    with pytest.raises(ValueError) as caught:
        BusinessCalendar(zone, weekly, holidays)
    assert message in str(caught.value)


def test_touching_intervals_are_fine() -> None:
    cal = BusinessCalendar("Europe/Paris", {0: [("08:00", "12:00"), ("12:00", "13:00")]})
    assert cal.weekly_hours == {0: [("08:00", "13:00")]}
    assert add(cal, paris(2026, 3, 2, 11), 2 * H) == paris(2026, 3, 2, 13)


def test_naive_datetimes_and_negative_delta_are_rejected() -> None:
    naive, aware = datetime(2026, 3, 2, 9), paris(2026, 3, 2, 9)
    calls = [
        lambda: OFFICE.is_open(naive),
        lambda: next_open(OFFICE, naive),
        lambda: add(OFFICE, naive, H),
        lambda: OFFICE.business_time_between(naive, aware),
        lambda: OFFICE.business_time_between(aware, naive),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="timezone-aware"):
            call()
    with pytest.raises(ValueError, match="negative"):
        add(OFFICE, aware, -US)
