"""SLA policies and calendars (with their holidays), kept per process (desk.core.refcache)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from desk.core import refcache
from desk.sla.calendar import BusinessCalendar
from desk.sla.models import SlaCalendar, SlaPolicy

refcache.watch(SlaPolicy, SlaCalendar)


@dataclass(frozen=True)
class Terms:
    """What a policy promises, on which business hours."""

    first_response_minutes: int | None
    resolution_minutes: int | None
    warning_percent: int
    calendar: BusinessCalendar


@dataclass(frozen=True)
class SlaCopy:
    terms: dict[int, Terms]  # by request type id
    calendars: dict[int, BusinessCalendar]  # by calendar id


def terms_of(policy: SlaPolicy, calendar: BusinessCalendar) -> Terms:
    return Terms(
        policy.first_response_minutes,
        policy.resolution_minutes,
        policy.warning_percent,
        calendar,
    )


def _load(session: Session) -> SlaCopy:
    from desk.sla.services import to_calendar

    calendars = {c.id: to_calendar(c) for c in session.scalars(select(SlaCalendar))}
    terms = {
        p.request_type_id: terms_of(p, calendars[p.calendar_id])
        for p in session.scalars(select(SlaPolicy))
    }
    return SlaCopy(terms, calendars)


def sla_copy() -> SlaCopy:
    """This process's copy of the policies and calendars, reloaded after any change."""
    return refcache.cached("sla", _load)
