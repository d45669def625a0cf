"""Saving SLA calendars and policies (admin pages, reference file); open tickets follow.

A change commits, then enqueues the recompute of the open tickets it concerns: the admin does
not wait for it, and a ticket is never left with dates from half a change.
"""

from __future__ import annotations

import logging

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from desk.auth.models import User
from desk.catalog.models import RequestType
from desk.extensions import db
from desk.sla.calendar import BusinessCalendar
from desk.sla.models import SlaCalendar, SlaPolicy
from desk.sla.parsing import SettingError, Weekly, day_minutes, year_days

log = logging.getLogger(__name__)


def enqueue(task_name: str, *args: object) -> None:
    """Send a task by name (services must not import tasks); a broker error is only logged."""
    try:
        current_app.extensions["celery"].send_task(task_name, args=list(args))
    except Exception:  # the change is saved; the next change or a manual run recomputes
        log.exception("could not enqueue %s%r", task_name, args)


def check_calendar(timezone: str, weekly: Weekly, holidays: list[str]) -> BusinessCalendar:
    """The engine's own validation, as a user message (the form checks most of it first)."""
    try:
        return BusinessCalendar(timezone=timezone, weekly_hours=weekly, holidays=holidays)
    except ValueError as exc:
        raise SettingError(_("This calendar is not valid: %(reason)s", reason=str(exc))) from None


def check_policies_fit(calendar: SlaCalendar | None, engine: BusinessCalendar) -> None:
    """Refuse new hours under which a policy of the calendar would promise more than a year.

    A target is checked against its calendar when typed (`parse_duration`); hours cut later
    (24/7 to one minute a week) made a year's target tens of centuries, and every new ticket
    of that type failed to compute its due date: the requester's submit was a server error."""
    if calendar is None or calendar.id is None:
        return
    longest = year_days(engine) * day_minutes(engine)
    for policy in db.session.scalars(select(SlaPolicy).filter_by(calendar_id=calendar.id)):
        target = max(policy.first_response_minutes or 0, policy.resolution_minutes or 0)
        if target > longest:
            raise SettingError(
                _(
                    "With these opening hours, the policy of “%(name)s” would have a target "
                    "longer than one year: shorten its targets first.",
                    name=policy.request_type.title,
                )
            )


def calendar_name_taken(name: str, calendar: SlaCalendar | None) -> bool:
    """Is another calendar already called `name`?"""
    other = db.session.scalar(select(SlaCalendar).filter_by(name=name.strip()))
    return other is not None and other is not calendar


def save_calendar(
    calendar: SlaCalendar | None,
    *,
    name: str,
    timezone: str,
    weekly: Weekly,
    holidays: list[str],
    actor: User | None,
    name_en: str | None = None,
) -> SlaCalendar:
    """Create or update a calendar; open tickets on it get new due dates (a task)."""
    check_policies_fit(calendar, check_calendar(timezone, weekly, holidays))
    created = calendar is None
    if calendar is None:
        calendar = SlaCalendar()
        db.session.add(calendar)
    calendar.name = name.strip()
    calendar.name_en = (name_en or "").strip() or None
    calendar.timezone = timezone
    calendar.weekly_hours = {str(day): [list(i) for i in spans] for day, spans in weekly.items()}
    calendar.holidays = sorted(set(holidays))
    db.session.commit()
    if not created:
        enqueue("desk.sla.recompute_calendar", calendar.id)
    log.info("SLA calendar %r saved by %s", calendar.name, actor.email if actor else "system")
    return calendar


def save_policy(
    policy: SlaPolicy | None,
    *,
    request_type: RequestType,
    calendar: SlaCalendar,
    first_response_minutes: int | None,
    resolution_minutes: int | None,
    warning_percent: int,
    actor: User | None,
) -> SlaPolicy:
    """Create or update the policy of a request type; its open tickets get new due dates."""
    if not first_response_minutes and not resolution_minutes:
        raise SettingError(_("Give a first-response target, a resolution target or both."))
    if not 1 <= warning_percent <= 99:
        raise SettingError(_("The warning threshold must be between 1 and 99 percent."))
    if policy is None:
        policy = SlaPolicy()
        db.session.add(policy)
    # An edit may give the policy another request type: the open tickets of the one it
    # leaves have no policy any more and lose its due dates (else the sweep warned on them).
    left = policy.request_type_id if policy.request_type_id != request_type.id else None
    policy.request_type = request_type
    policy.calendar = calendar
    policy.first_response_minutes = first_response_minutes
    policy.resolution_minutes = resolution_minutes
    policy.warning_percent = warning_percent
    db.session.commit()
    enqueue("desk.sla.recompute_policy", policy.id)
    if left is not None:
        enqueue("desk.sla.recompute_request_type", left)
    log.info("SLA policy of %s saved by %s", request_type.slug, actor.email if actor else "system")
    return policy


def delete_policy(policy: SlaPolicy, *, actor: User | None) -> None:
    """Remove a policy; the open tickets of its request type lose their due dates."""
    request_type_id = policy.request_type_id
    db.session.delete(policy)
    db.session.commit()
    enqueue("desk.sla.recompute_request_type", request_type_id)
    log.info(
        "SLA policy of request type %s deleted by %s",
        request_type_id,
        actor.email if actor else "system",
    )


def policies() -> list[SlaPolicy]:
    """Every policy, by request type title."""
    return list(
        db.session.scalars(
            select(SlaPolicy).join(RequestType).order_by(RequestType.position, RequestType.title_fr)
        )
    )


def calendars() -> list[SlaCalendar]:
    """Every calendar, by name."""
    return list(db.session.scalars(select(SlaCalendar).order_by(SlaCalendar.name)))
