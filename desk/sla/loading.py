"""Reference-file sections of the SLA: calendars and sla_policies.

calendars:
  - name: "Jours ouvrés 8h–17h"
    timezone: Europe/Paris
    hours: ["lun-ven 08:00-17:00"]          # the admin form's syntax
    holidays: ["2026-12-26"]                # optional, ISO dates
    holiday_country: FR                     # optional, with holiday_years
    holiday_years: [2026, 2027]
    queues: [reseau, visio]                 # optional: the queues working these hours
sla_policies:
  - {request_type: zoom-licence, calendar: "Jours ouvrés 8h–17h", resolution: 1d,
     first_response: 4h, warning_percent: 75}

As on the admin pages, a calendar or policy that really changes gets its open tickets
recomputed by a task, sent once the whole file has committed; loading the same file again
sends nothing.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy import exists, select

from desk.catalog.models import RequestType
from desk.core.input import parse_int
from desk.core.transactions import on_commit
from desk.extensions import db
from desk.reference.loader import LoadError, LoadReport, require, section
from desk.reference.models import Queue
from desk.reference.services import english_name
from desk.sla.calendar import BusinessCalendar
from desk.sla.models import SlaCalendar, SlaPolicy
from desk.sla.parsing import (
    SettingError,
    check_timezone,
    generate_holidays,
    parse_duration,
    parse_holidays,
    parse_weekly,
    parse_years,
)
from desk.sla.services import to_calendar
from desk.sla.settings import check_calendar, check_policies_fit, enqueue
from desk.tickets.models import OPEN_STATUSES, Ticket


def _recompute_after_commit(task_name: str, row_id: int) -> None:
    # After the commit: the worker must read the new settings, and a file that fails later
    # (one transaction for all sections) must not have started anything.
    on_commit(partial(enqueue, task_name, row_id))


def _holidays(item: dict[str, Any]) -> list[str]:
    # One date given alone (`holidays: 2026-12-25`, which YAML reads as a date) stopped the
    # load with a traceback, and a string was read character by character.
    given = item.get("holidays") or []
    if not isinstance(given, list):
        given = [given]
    dates = parse_holidays("\n".join(str(d) for d in given))
    if item.get("holiday_country") or item.get("holiday_years"):
        # Read as the admin form reads them: a typo (20026) or a range written as a string
        # ("2026-2028", read digit by digit) generated no holiday at all, silently.
        raw = item.get("holiday_years")
        text = ", ".join(str(y) for y in raw) if isinstance(raw, list) else str(raw or "")
        years = parse_years(text) if text else []
        dates += generate_holidays(str(item.get("holiday_country") or "FR"), years)
    return sorted(set(dates))


@section("calendars", order=70)
def load_calendars(items: list[dict], report: LoadReport) -> None:
    """Business calendars, upserted by name, and the queues that use them."""
    for i, item in enumerate(items):
        where = f"calendars[{i}]"
        name = str(require(item, "name", where))
        hours = require(item, "hours", where)
        try:
            timezone = check_timezone(str(item.get("timezone", "Europe/Paris")))
            weekly = parse_weekly("\n".join(hours) if isinstance(hours, list) else str(hours))
            holidays = _holidays(item)
            check_calendar(timezone, weekly, holidays)
        except (SettingError, ValueError) as exc:
            raise LoadError(f"{where}: {exc}") from None
        row = db.session.scalar(select(SlaCalendar).filter_by(name=name))
        report.add("calendars", row is None)
        settings = (
            timezone,
            {str(d): [list(s) for s in spans] for d, spans in weekly.items()},
            holidays,
        )
        if row is None:
            row = SlaCalendar(name=name)
            db.session.add(row)
        elif (row.timezone, row.weekly_hours, row.holidays) != settings:
            _recompute_after_commit("desk.sla.recompute_calendar", row.id)
        # Only when the file gives one: older files must not erase an admin's English name.
        english = english_name(item)
        if english and row.name_en != english["name_en"]:
            row.name_en = english["name_en"]
        # Assigned only when different: an unchanged file leaves updated_at alone.
        if (row.timezone, row.weekly_hours, row.holidays) != settings:
            row.timezone, row.weekly_hours, row.holidays = settings
        db.session.flush()
        for code in item.get("queues") or []:
            queue = db.session.scalar(select(Queue).filter_by(code=code))
            if queue is None:
                raise LoadError(f"{where}: unknown queue '{code}'")
            queue.calendar_id = row.id


def _minutes(item: dict[str, Any], key: str, calendar: BusinessCalendar, where: str) -> int | None:
    value = item.get(key)
    if value in (None, ""):
        return None
    try:
        return parse_duration(str(value), calendar)
    except SettingError as exc:
        raise LoadError(f"{where}.{key}: {exc}") from None


@section("sla_policies", order=80)
def load_policies(items: list[dict], report: LoadReport) -> None:
    """One policy per request type (by slug), targets as durations ("4h", "2d")."""
    for i, item in enumerate(items):
        where = f"sla_policies[{i}]"
        slug = require(item, "request_type", where)
        request_type = db.session.scalar(select(RequestType).filter_by(slug=slug))
        if request_type is None:
            raise LoadError(f"{where}: unknown request type '{slug}'")
        cal_name = require(item, "calendar", where)
        calendar = db.session.scalar(select(SlaCalendar).filter_by(name=cal_name))
        if calendar is None:
            raise LoadError(f"{where}: unknown calendar '{cal_name}'")
        engine = to_calendar(calendar)
        first = _minutes(item, "first_response", engine, where)
        resolution = _minutes(item, "resolution", engine, where)
        if not first and not resolution:
            raise LoadError(f"{where}: give first_response, resolution or both")
        # As the admin form: both are business minutes of this calendar ("1d" and "9h" alike).
        if first and resolution and first > resolution:
            raise LoadError(
                f"{where}: first_response ({first} business minutes) is longer than"
                f" resolution ({resolution} business minutes)"
            )
        # A word ("soixante") stopped the load with a traceback; 75.9 and `yes` (YAML's
        # true) were taken as 75 and 1.
        raw_percent = item.get("warning_percent", 75)
        percent = parse_int(raw_percent if isinstance(raw_percent, int) else str(raw_percent))
        if percent is None or not 1 <= percent <= 99:
            raise LoadError(f"{where}: warning_percent must be a whole number between 1 and 99")
        row = db.session.scalar(select(SlaPolicy).filter_by(request_type_id=request_type.id))
        report.add("sla_policies", row is None)
        settings = (calendar.id, first, resolution, percent)
        current = None
        if row is None:
            row = SlaPolicy(request_type_id=request_type.id)
            db.session.add(row)
        else:
            current = (
                row.calendar_id,
                row.first_response_minutes,
                row.resolution_minutes,
                row.warning_percent,
            )
        if current == settings:
            continue
        (
            row.calendar_id,
            row.first_response_minutes,
            row.resolution_minutes,
            row.warning_percent,
        ) = settings
        db.session.flush()  # a new policy needs its id for the task
        if current is not None or _has_open_tickets(request_type.id):
            _recompute_after_commit("desk.sla.recompute_policy", row.id)
    # Last, as the admin form does: hours this file cut must still hold, within a year of
    # them, the targets of the policies on them (those the file gives, and the others).
    for calendar in db.session.scalars(select(SlaCalendar)):
        try:
            check_policies_fit(calendar, to_calendar(calendar))
        except SettingError as exc:
            raise LoadError(f"calendars: '{calendar.name}': {exc}") from None


def _has_open_tickets(request_type_id: int) -> bool:
    """A new policy matters only to the open tickets already filed under its request type."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Ticket.request_type_id == request_type_id,
                    Ticket.status.in_(OPEN_STATUSES),
                )
            )
        )
    )
