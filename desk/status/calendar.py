"""The service status as an iCalendar feed (RFC 5545), for people who subscribe to it from
their calendar (Outlook, Thunderbird, a phone): planned work where it will happen, what is
going on, and what ended or was called off this week.

A calendar client refreshes a subscription by itself and sends no language: the feed's
language is in its address (`?lang=en`), the default language (French) otherwise. Each
disruption keeps its UID and raises its SEQUENCE with each edit, so a client updates the
event it already has; work called off stays in the feed as CANCELLED for a week, so that
clients take it out of the day it was planned on rather than keep it there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event, vDuration

from desk.status.models import Disruption

REFRESH = dt.timedelta(minutes=15)  # how often clients are asked to fetch it again


def _description(disruption: Disruption, locale: str, page: str) -> str:
    lines = []
    category = disruption.category
    service = category.name_in(locale) if category is not None else _("Every service")
    lines.append(_("Service: %(name)s", name=service))
    details = disruption.details_for(locale).strip()
    if details:
        lines += ["", details]
    if disruption.ended_at is None and disruption.expected_end_at is None:
        lines += ["", _("End not announced yet.")]
    lines += ["", _("Service status: %(url)s", url=page)]
    return "\n".join(lines)


def _summary(disruption: Disruption, locale: str, now: dt.datetime) -> str:
    title = disruption.title_for(locale)
    if disruption.cancelled:
        return _("Called off: %(title)s", title=title)
    if disruption.ended_at is not None:
        return _("Over: %(title)s", title=title)
    if disruption.is_planned(now):
        return _("Planned work: %(title)s", title=title)
    return _("Disruption: %(title)s", title=title)


def status_calendar(
    disruptions: Iterable[Disruption],
    *,
    locale: str,
    now: dt.datetime,
    page: str,
    host: str,
) -> bytes:
    """The feed of `disruptions` in `locale`; `page` is the status page's address, `host`
    the domain their UIDs are made unique with."""
    with force_locale(locale):
        calendar = Calendar()
        calendar.add("prodid", "-//desk//service status//" + locale.upper())
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        calendar.add("x-wr-calname", _("Service status"))
        calendar.add("x-wr-caldesc", _("Planned work and disruptions of the IT services"))
        calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
        # An X- property has no known type: the duration is written as one (PT15M) by hand.
        calendar.add("x-published-ttl", vDuration(REFRESH))
        for disruption in disruptions:
            event = Event()
            event.add("uid", f"disruption-{disruption.id}@{host}")
            event.add("dtstamp", now)
            event.add("sequence", max(disruption.version - 1, 0))
            event.add("dtstart", disruption.started_at)
            end = disruption.ended_at or disruption.expected_end_at
            if disruption.cancelled:
                end = disruption.expected_end_at  # it never ran: the slot it was planned for
            if end is not None and end > disruption.started_at:
                event.add("dtend", end)
            event.add("summary", _summary(disruption, locale, now))
            event.add("description", _description(disruption, locale, page))
            event.add("url", page)
            event.add("status", "CANCELLED" if disruption.cancelled else "CONFIRMED")
            event.add("transp", "TRANSPARENT")  # it does not make anyone busy
            calendar.add_component(event)
        return calendar.to_ical()
