"""Per-call cost of BusinessCalendar.add_business_time vs businesstimedelta and pandas.

Run from the repository root:  .venv/bin/python bench/sla_calendar.py

All three get the same 20,000 random cases: a start instant anywhere in 2026-2027 (random second
and microsecond, so most starts are outside business hours) plus 1-72 business hours, on
Mon-Fri 08:00-17:00 Europe/Paris with the French public holidays of 2026-2029 from `holidays`.
Deltas are whole hours because pandas' CustomBusinessHour can only add a whole number of its
one-hour offset.  Each library gets its inputs in its own native form, built before timing:
  * desk: an aware datetime and a timedelta;
  * businesstimedelta: an aware datetime and a prebuilt BusinessTimeDelta (its rules use the
    pytz zone; given a naive datetime it would assume UTC, so it is only well defined with
    aware inputs - which is what we pass);
  * pandas: a naive local Timestamp (CustomBusinessHour has no notion of time zone) and a
    prebuilt CustomBusinessHour(n=hours).  Naive local wall time is exact here because the
    open hours 08:00-17:00 never contain a DST change.
"""

from __future__ import annotations

import operator
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import businesstimedelta
import holidays
import pandas as pd
import pytz

from desk.sla.calendar import BusinessCalendar

N = 20_000
SEED = 20260101
ZONE = "Europe/Paris"
PARIS = ZoneInfo(ZONE)
FRENCH_HOLIDAYS = sorted(holidays.France(years=range(2026, 2030)))
OPEN_HOURS = {day: [("08:00", "17:00")] for day in range(5)}


def make_cases() -> list[tuple[datetime, int]]:
    """Return N (aware UTC start, whole business hours) pairs from a fixed seed."""
    rng = random.Random(SEED)
    lo = int(datetime(2026, 1, 1, tzinfo=PARIS).timestamp())
    hi = int(datetime(2028, 1, 1, tzinfo=PARIS).timestamp())
    cases = []
    for _ in range(N):
        start = datetime.fromtimestamp(rng.randrange(lo, hi), UTC)
        cases.append((start.replace(microsecond=rng.randrange(1_000_000)), rng.randint(1, 72)))
    return cases


def timed(add: Callable[[Any, Any], Any], inputs: Sequence[tuple[Any, Any]]) -> tuple[list, float]:
    """Run add over all inputs once; return the results and microseconds per call."""
    began = time.perf_counter()
    results = [add(start, delta) for start, delta in inputs]
    return results, (time.perf_counter() - began) / len(inputs) * 1e6


def main() -> None:
    """Run the three implementations on the same cases and print a markdown summary."""
    cases = make_cases()

    # desk: cold = fresh calendar (its per-day caches fill during the pass), warm = second pass.
    desk_inputs = [(start.astimezone(PARIS), timedelta(hours=h)) for start, h in cases]
    calendar = BusinessCalendar(ZONE, OPEN_HOURS, FRENCH_HOLIDAYS)
    desk, desk_cold_us = timed(calendar.add_business_time, desk_inputs)
    desk, desk_us = timed(calendar.add_business_time, desk_inputs)

    tz = pytz.timezone(ZONE)
    rules = businesstimedelta.Rules(
        [
            businesstimedelta.WorkDayRule(
                start_time=datetime.min.time().replace(hour=8),
                end_time=datetime.min.time().replace(hour=17),
                working_days=[0, 1, 2, 3, 4],
                tz=tz,
            ),
            businesstimedelta.HolidayRule(set(FRENCH_HOLIDAYS), tz=tz),
        ]
    )
    btd_inputs = [
        (start.astimezone(tz), businesstimedelta.BusinessTimeDelta(rules, hours=h))
        for start, h in cases
    ]
    btd, btd_us = timed(operator.add, btd_inputs)

    offsets = {
        h: pd.offsets.CustomBusinessHour(n=h, start="08:00", end="17:00", holidays=FRENCH_HOLIDAYS)
        for h in {h for _, h in cases}
    }
    pd_inputs = [
        (pd.Timestamp(start.astimezone(PARIS).replace(tzinfo=None)), offsets[h])
        for start, h in cases
    ]
    pandas_results, pd_us = timed(operator.add, pd_inputs)

    # businesstimedelta should agree exactly: compare instants (in UTC, because == across zones
    # is False for a time inside a repeated DST hour).
    btd_bad = [
        (case, mine, theirs)
        for case, mine, theirs in zip(cases, desk, btd, strict=True)
        if mine.astimezone(UTC) != theirs.astimezone(UTC)
    ]
    # pandas differs systematically in one way: when the business time runs out exactly at a
    # closing time (e.g. Saturday + 9 h), it answers the next opening (Tuesday 08:00) instead of
    # the closing time itself (Monday 17:00).  Both have the same business time from the start;
    # desk returns the earliest such instant.  Compare on local naive wall time.
    pd_exact = pd_closing = 0
    pd_bad = []
    for case, mine, theirs in zip(cases, desk, pandas_results, strict=True):
        local = mine.replace(tzinfo=None)
        if pd.Timestamp(local) == theirs:
            pd_exact += 1
        elif (
            not calendar.is_open(mine)
            and pd.Timestamp(calendar.next_open(mine).replace(tzinfo=None)) == theirs
        ):
            pd_closing += 1
        else:
            pd_bad.append((case, mine, theirs))

    btd_ratio, pd_ratio = btd_us / desk_us, pd_us / desk_us
    print(
        f"{N:,} random cases, seed {SEED}: Mon-Fri 08:00-17:00 {ZONE}, French holidays 2026-2029,"
    )
    print("start anywhere in 2026-2027 (µs precision), delta 1-72 whole business hours.")
    print()
    print("| implementation | µs per call | desk is faster by |")
    print("|---|---:|---:|")
    print(f"| desk BusinessCalendar (warm caches) | {desk_us:.1f} | 1.0x |")
    print(f"| desk BusinessCalendar (cold, first pass) | {desk_cold_us:.1f} | — |")
    print(f"| businesstimedelta {businesstimedelta_version()} | {btd_us:.1f} | {btd_ratio:.0f}x |")
    print(f"| pandas {pd.__version__} CustomBusinessHour | {pd_us:.1f} | {pd_ratio:.0f}x |")
    print()
    print(
        f"agreement with businesstimedelta: {N - len(btd_bad):,}/{N:,} identical instants, "
        f"{len(btd_bad)} mismatches"
    )
    for case, mine, theirs in btd_bad[:5]:
        print(
            f"  start {case[0].isoformat()} + {case[1]} h: desk {mine}, businesstimedelta {theirs}"
        )
    print(
        f"agreement with pandas: {pd_exact:,} identical, {pd_closing:,} closing time vs next "
        f"opening (same business time), {len(pd_bad)} other mismatches"
    )
    for case, mine, theirs in pd_bad[:5]:
        print(f"  start {case[0].isoformat()} + {case[1]} h: desk {mine}, pandas {theirs}")
    verdict = "met" if btd_ratio >= 10 and pd_ratio >= 3 else "NOT met"
    print(f"targets (>=10x businesstimedelta, >=3x pandas): {verdict}")


def businesstimedelta_version() -> str:
    """Installed businesstimedelta version."""
    from importlib.metadata import version

    return version("businesstimedelta")


if __name__ == "__main__":
    main()
