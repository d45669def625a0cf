"""Business-hours calendar: open time between two instants, and adding business time.

Pure standard library (datetime, zoneinfo, bisect) so the SLA engine can be used from the web
app, the Celery worker and scripts alike.

How wall-clock intervals become real instants
---------------------------------------------
Opening hours are local wall-clock times in the calendar's zone.  Each local date gets its own
list of real (UTC) intervals, computed once and cached:

* a time that does not exist (inside a spring-forward gap) maps to the instant the clock jumps,
  so 01:00-04:00 on the Paris spring-forward day lasts 2 real hours;
* a time that happens twice (inside a fall-back overlap) maps to its FIRST occurrence when it
  starts an interval and to its SECOND occurrence when it ends one, so the whole wall-clock span
  is included: 01:00-04:00 on the Paris fall-back day lasts 4 real hours, 00:00-02:00 lasts 3;
* "24:00" is the first instant of the next local day, so 00:00-24:00 lasts 23 h or 25 h on
  DST days, and a day's intervals never spill into the next day;
* intervals that come to overlap in real time because of a fall-back are merged (never counted
  twice), and an interval swallowed entirely by a gap is dropped.

All arithmetic is done on integer UTC epoch microseconds, so results are exact to the
microsecond.  Whole regular weeks (no holiday, no UTC-offset change) are skipped in one step
using the precomputed weekly open time; everything else is walked interval by interval.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["BusinessCalendar"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = 1_000_000
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})")
_ISO_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Files of the zone database that name no place: "localtime" is the host's own setting (due
# dates would follow whichever machine computes them), "Factory" a placeholder.
NOT_ZONES = frozenset({"localtime", "Factory"})
# The per-date cache holds a few tuples per day; cap it so a long-lived process that is asked
# about arbitrary dates cannot grow it without bound (about 130 years of days).
_MAX_CACHED_DAYS = 50_000

Span = tuple[int, int]


def _to_us(dt: datetime) -> int:
    """Return the exact UTC epoch microseconds of an aware datetime."""
    # Aware subtraction honours fold and is exact, unlike the float from datetime.timestamp().
    d = dt - _EPOCH
    return (d.days * 86_400 + d.seconds) * _US + d.microseconds


def _require_aware(value: object, name: str) -> None:
    """Raise unless value is a timezone-aware datetime."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


def _fmt_minute(minute: int) -> str:
    """Format minutes after local midnight as HH:MM."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _parse_time(text: object, day: int) -> int:
    """Parse 'HH:MM' (00:00-24:00) into minutes after local midnight."""
    match = _TIME_RE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"malformed time {text!r} on day {day}: expected 'HH:MM'")
    hour, minute = int(match[1]), int(match[2])
    if minute > 59 or hour > 24 or (hour == 24 and minute):
        raise ValueError(f"time {text!r} on day {day} is outside 00:00–24:00")
    return hour * 60 + minute


def _parse_weekly(
    weekly_hours: Mapping[int, Iterable[Sequence[str]]],
) -> tuple[tuple[Span, ...], ...]:
    """Validate weekly hours into 7 sorted tuples of (start, end) minutes after midnight."""
    if not isinstance(weekly_hours, Mapping):
        raise ValueError("weekly_hours must be a mapping of weekday (0=Monday) to intervals")
    week: list[tuple[Span, ...]] = [()] * 7
    for day, intervals in weekly_hours.items():
        if isinstance(day, bool) or not isinstance(day, int):
            raise ValueError(f"day {day!r} is not an integer weekday 0–6")
        if not 0 <= day <= 6:
            raise ValueError(f"day {day} is outside 0–6")
        spans: list[Span] = []
        for interval in intervals:
            if isinstance(interval, str) or len(interval) != 2:
                raise ValueError(f"interval {interval!r} on day {day} is not a (start, end) pair")
            start, end = _parse_time(interval[0], day), _parse_time(interval[1], day)
            label = f"{_fmt_minute(start)}–{_fmt_minute(end)}"
            if start > end:
                raise ValueError(f"interval {label} on day {day} is reversed")
            if start == end:
                raise ValueError(f"interval {label} on day {day} is empty")
            spans.append((start, end))
        spans.sort()
        for (s1, e1), (s2, e2) in pairwise(spans):
            if s2 < e1:
                raise ValueError(
                    f"intervals {_fmt_minute(s1)}–{_fmt_minute(e1)} and "
                    f"{_fmt_minute(s2)}–{_fmt_minute(e2)} on day {day} overlap"
                )
        # Touching intervals (08:00-12:00, 12:00-13:00) are one opening; merging keeps the
        # per-day lists short.
        merged: list[Span] = []
        for s, e in spans:
            if merged and merged[-1][1] == s:
                merged[-1] = (merged[-1][0], e)
            else:
                merged.append((s, e))
        week[day] = tuple(merged)
    if not any(week):
        raise ValueError("calendar has no open hours: every weekday is closed")
    return tuple(week)


def _parse_holidays(holidays: Iterable[date | str] | None) -> frozenset[date]:
    """Validate holidays given as dates or ISO 'YYYY-MM-DD' strings."""
    result: set[date] = set()
    for item in holidays or ():
        if isinstance(item, datetime):
            # A datetime is a date subclass, but its time and zone would be silently ignored.
            raise ValueError(f"holiday {item!r} must be a date, not a datetime")
        if isinstance(item, date):
            result.add(item)
        elif isinstance(item, str):
            try:
                if not _ISO_DATE_RE.fullmatch(item):
                    raise ValueError
                result.add(date.fromisoformat(item))
            except ValueError:
                raise ValueError(f"malformed holiday {item!r}: expected 'YYYY-MM-DD'") from None
        else:
            raise ValueError(f"holiday {item!r} must be a date or a 'YYYY-MM-DD' string")
    return frozenset(result)


class BusinessCalendar:
    """Weekly opening hours in one time zone, minus whole-day holidays."""

    def __init__(
        self,
        timezone: str | ZoneInfo,
        weekly_hours: Mapping[int, Iterable[Sequence[str]]],
        holidays: Iterable[date | str] | None = None,
    ) -> None:
        """Validate the definition; raise ValueError naming the first problem found."""
        if isinstance(timezone, ZoneInfo):
            self._tz = timezone
        else:
            try:
                if not isinstance(timezone, str) or not timezone or timezone in NOT_ZONES:
                    raise ValueError
                self._tz = ZoneInfo(timezone)
            except (ZoneInfoNotFoundError, ValueError, OSError):
                raise ValueError(f"unknown time zone {timezone!r}") from None
        if self._tz.key in NOT_ZONES:
            raise ValueError(f"unknown time zone {self._tz.key!r}")
        self._weekly = _parse_weekly(weekly_hours)
        self._holidays = _parse_holidays(holidays)
        self._holiday_ordinals = frozenset(h.toordinal() for h in self._holidays)
        self._week_us = sum(e - s for spans in self._weekly for s, e in spans) * 60 * _US
        # ordinal of a local date -> tuple of (start_us, end_us) real open intervals.
        self._days: dict[int, tuple[Span, ...]] = {}
        # year -> sorted ordinals of days that break the weekly pattern (holiday or DST change).
        self._irregular: dict[int, tuple[int, ...]] = {}

    # -- public API -------------------------------------------------------------------------

    @property
    def timezone(self) -> str:
        """IANA name of the calendar's time zone."""
        return self._tz.key

    @property
    def tzinfo(self) -> ZoneInfo:
        """The calendar's time zone."""
        return self._tz

    @property
    def weekly_hours(self) -> dict[int, list[tuple[str, str]]]:
        """Normalised opening hours: weekday -> [(HH:MM, HH:MM), ...], open days only."""
        return {
            day: [(_fmt_minute(s), _fmt_minute(e)) for s, e in spans]
            for day, spans in enumerate(self._weekly)
            if spans
        }

    @property
    def holidays(self) -> frozenset[date]:
        """Whole local days that are closed."""
        return self._holidays

    @property
    def weekly_open_time(self) -> timedelta:
        """Open time of a week without holidays or DST change."""
        return timedelta(microseconds=self._week_us)

    def __repr__(self) -> str:
        holidays = [h.isoformat() for h in sorted(self._holidays)]
        return (
            f"BusinessCalendar(timezone={self.timezone!r}, weekly_hours={self.weekly_hours!r}, "
            f"holidays={holidays!r})"
        )

    def is_open(self, at: datetime) -> bool:
        """Return whether the instant lies inside an open interval."""
        _require_aware(at, "at")
        pos = _to_us(at)
        return any(s <= pos < e for s, e in self._spans(self._local_ordinal(at)))

    def next_open(self, at: datetime) -> datetime:
        """Return the earliest open instant at or after `at`, in the calendar's zone."""
        _require_aware(at, "at")
        pos = _to_us(at)
        ordinal = self._local_ordinal(at)
        while True:
            for s, e in self._spans(ordinal):
                if pos < e:
                    return self._from_us(max(s, pos))
            ordinal += 1

    def add_business_time(self, start: datetime, delta: timedelta) -> datetime:
        """Return the earliest instant t >= start with business_time_between(start, t) == delta."""
        _require_aware(start, "start")
        if not isinstance(delta, timedelta):
            raise TypeError(f"delta must be a timedelta, got {type(delta).__name__}")
        remaining = (delta.days * 86_400 + delta.seconds) * _US + delta.microseconds
        if remaining < 0:
            raise ValueError(f"delta must not be negative, got {delta}")
        local = start.astimezone(self._tz)
        if remaining == 0:
            return local
        pos = _to_us(start)
        ordinal = local.toordinal()
        days = self._days
        week = self._week_us
        while True:
            spans = days.get(ordinal)
            if spans is None:
                spans = self._compute_day(ordinal)
            for s, e in spans:
                if e <= pos:
                    continue
                if s < pos:
                    s = pos
                if remaining <= e - s:
                    # `<=` so that landing exactly on a closing time returns that closing time.
                    return (_EPOCH + timedelta(microseconds=s + remaining)).astimezone(self._tz)
                remaining -= e - s
            ordinal += 1
            if remaining > week:
                # Keep at least 1 µs for the walk so the answer is the closing time of the last
                # interval, not the start of the next (empty) day.
                weeks = self._regular_weeks(ordinal, (remaining - 1) // week)
                remaining -= weeks * week
                ordinal += 7 * weeks

    def business_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Return the open time in [a, b); negative (== -between(b, a)) when b < a."""
        _require_aware(a, "a")
        _require_aware(b, "b")
        ua, ub = _to_us(a), _to_us(b)
        if ua > ub:
            return -self.business_time_between(b, a)
        if ua == ub:
            return timedelta(0)
        ordinal, last = self._local_ordinal(a), self._local_ordinal(b)
        days = self._days
        week = self._week_us
        total = 0
        while ordinal <= last:
            spans = days.get(ordinal)
            if spans is None:
                spans = self._compute_day(ordinal)
            for s, e in spans:
                if s < ua:
                    s = ua
                if e > ub:
                    e = ub
                if e > s:
                    total += e - s
            ordinal += 1
            if last - ordinal >= 7:
                # Days strictly between the two end days are wholly inside [a, b).
                weeks = self._regular_weeks(ordinal, (last - ordinal) // 7)
                total += weeks * week
                ordinal += 7 * weeks
        return timedelta(microseconds=total)

    # -- internals --------------------------------------------------------------------------

    def _local_ordinal(self, dt: datetime) -> int:
        """Return the ordinal of the local date of an aware datetime."""
        if dt.tzinfo is self._tz:
            return dt.toordinal()
        return dt.astimezone(self._tz).toordinal()

    def _from_us(self, us: int) -> datetime:
        """Return UTC epoch microseconds as an aware datetime in the calendar's zone."""
        return (_EPOCH + timedelta(microseconds=us)).astimezone(self._tz)

    def _wall(self, us: int) -> datetime:
        """Return the naive local wall-clock time of an instant."""
        return self._from_us(us).replace(tzinfo=None)

    def _spans(self, ordinal: int) -> tuple[Span, ...]:
        """Return the real open intervals of a local date (cached)."""
        spans = self._days.get(ordinal)
        return self._compute_day(ordinal) if spans is None else spans

    def _compute_day(self, ordinal: int) -> tuple[Span, ...]:
        """Compute and cache the real open intervals of a local date."""
        day = date.fromordinal(ordinal)
        minutes = self._weekly[day.weekday()]
        merged: list[list[int]] = []
        if minutes and ordinal not in self._holiday_ordinals:
            pieces = sorted(
                (self._instant(day, s, first=True), self._instant(day, e, first=False))
                for s, e in minutes
            )
            for s, e in pieces:
                if s >= e:
                    continue  # swallowed by a spring-forward gap
                if merged and s <= merged[-1][1]:
                    # A fall-back can make consecutive wall-clock intervals overlap in real time.
                    merged[-1][1] = max(merged[-1][1], e)
                else:
                    merged.append([s, e])
        spans = tuple((s, e) for s, e in merged)
        if len(self._days) >= _MAX_CACHED_DAYS:
            self._days.clear()
        self._days[ordinal] = spans
        return spans

    def _instant(self, day: date, minute: int, *, first: bool) -> int:
        """Return the UTC microseconds at which the local clock shows `minute` on `day`.

        first=True picks the first occurrence of a repeated time (interval starts), False the
        second (interval ends); a skipped time maps to the instant the clock jumps.
        """
        if minute == 1440:
            return self._instant(day + timedelta(days=1), 0, first=True)
        naive = datetime(day.year, day.month, day.day, minute // 60, minute % 60)
        early = _to_us(naive.replace(tzinfo=self._tz, fold=0))
        late = _to_us(naive.replace(tzinfo=self._tz, fold=1))
        if early > late:
            early, late = late, early
        if self._wall(early) == naive or self._wall(late) == naive:
            return early if first else late
        # Nonexistent time: `early` is before the jump and `late` after it.  Bisect on whole
        # seconds (tz database transitions are whole seconds) for the first instant whose wall
        # clock is past `naive` - that is the jump.
        lo, hi = early // _US, -(-late // _US)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self._wall(mid * _US) > naive:
                hi = mid
            else:
                lo = mid
        return hi * _US

    def _regular_weeks(self, ordinal: int, max_weeks: int) -> int:
        """Return how many whole weeks from `ordinal` (at most max_weeks) are regular."""
        if max_weeks <= 0:
            return 0
        limit = ordinal + 7 * max_weeks
        return (self._next_irregular(ordinal, limit) - ordinal) // 7

    def _next_irregular(self, ordinal: int, limit: int) -> int:
        """Return the first irregular local date >= ordinal, or limit if none comes before."""
        year = date.fromordinal(ordinal).year
        while True:
            marks = self._irregular.get(year)
            if marks is None:
                marks = self._compute_irregular(year)
            i = bisect_left(marks, ordinal)
            if i < len(marks):
                return min(marks[i], limit)
            year += 1
            if year > 9999 or date(year, 1, 1).toordinal() >= limit:
                return limit

    def _compute_irregular(self, year: int) -> tuple[int, ...]:
        """Compute and cache the days of `year` that a whole-week jump must not cross."""
        first = date(year, 1, 1).toordinal()
        last = date(year, 12, 31).toordinal()
        marks = {o for o in self._holiday_ordinals if first <= o <= last}
        # Sample the UTC offset at 12:00 UTC every day.  A change between two samples lies on
        # local date o-1, o or o+1 for any real offset (-12 h..+14 h); mark a day more on each
        # side to be safe (a false mark only costs walking that week day by day).
        previous = None
        for o in range(max(first - 3, 1), min(last + 4, date.max.toordinal())):
            noon = datetime.fromordinal(o).replace(hour=12, tzinfo=UTC)
            offset = noon.astimezone(self._tz).utcoffset()
            if previous is not None and offset != previous:
                marks.update(d for d in range(o - 2, o + 2) if first <= d <= last)
            previous = offset
        result = tuple(sorted(marks))
        self._irregular[year] = result
        return result
