"""Quiet hours and business days, from the queue's SLA calendar (Mon–Fri when it has none)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app

from desk.reference.models import Queue


def queue_calendar(queue: Queue | None):
    """The queue's BusinessCalendar, or None when it has no business hours defined."""
    if queue is None:
        return None
    try:
        from desk.sla.services import calendar_for_queue
    except ImportError:  # SLA feature not installed: no quiet hours
        return None
    return calendar_for_queue(queue)


def quiet_hours_start(queue: Queue | None, now: dt.datetime) -> dt.datetime:
    """`now` if the queue is open, else its next opening (a 24/7 queue is always open)."""
    calendar = queue_calendar(queue)
    if calendar is None or calendar.is_open(now):
        return now
    return calendar.next_open(now).astimezone(dt.UTC)


def add_business_days(start: dt.datetime, days: int, queue: Queue | None) -> dt.datetime:
    """The same local time `days` working days after `start` (weekends, holidays skipped)."""
    calendar = queue_calendar(queue)
    if calendar is not None:
        zone = calendar.tzinfo
        open_days = set(calendar.weekly_hours)
        holidays = calendar.holidays
    else:
        zone = ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])
        open_days, holidays = {0, 1, 2, 3, 4}, frozenset()
    local = start.astimezone(zone)
    day = local.date()
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if day.weekday() in open_days and day not in holidays:
            counted += 1
    wall = dt.datetime.combine(day, local.time().replace(tzinfo=None))
    return wall.replace(tzinfo=zone).astimezone(dt.UTC)
