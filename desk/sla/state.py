"""SLA state of a ticket from its stored due dates: one definition for queries and display.

A ticket has two deadlines: its first answer (while none was given) and its resolution. Its
state is the worse of the two: a first answer overdue is a breach, as a resolution overdue
is, and which deadline set the state is said with it (`sla_standing`), for the badge.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from desk.core.i18n import lazy_gettext as _l
from desk.tickets.models import OPEN_STATUSES, Ticket, open_clause


class SlaState(StrEnum):
    """Where a ticket stands against its deadlines."""

    NONE = "none"  # no target (none left: the first answer given, no resolution target)
    ON_TRACK = "on_track"
    WARNING = "warning"
    BREACHED = "breached"
    PAUSED = "paused"  # waiting on the requester: the clock is stopped


class Deadline(StrEnum):
    """Which deadline puts a ticket in its state (due soon, or breached)."""

    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"
    BOTH = "both"


SLA_LABELS = {
    SlaState.NONE: _l("No target"),
    SlaState.ON_TRACK: _l("On track"),
    SlaState.WARNING: _l("Due soon"),
    SlaState.BREACHED: _l("Breached"),
    SlaState.PAUSED: _l("Paused"),
}

# A ticket's badge names the deadline: "due soon" alone did not say whether the requester
# still waits for a first answer.
BADGE_LABELS = {
    (SlaState.WARNING, Deadline.FIRST_RESPONSE): _l("First response due soon"),
    (SlaState.WARNING, Deadline.RESOLUTION): _l("Resolution due soon"),
    (SlaState.WARNING, Deadline.BOTH): _l("First response and resolution due soon"),
    (SlaState.BREACHED, Deadline.FIRST_RESPONSE): _l("First response overdue"),
    (SlaState.BREACHED, Deadline.RESOLUTION): _l("Resolution overdue"),
    (SlaState.BREACHED, Deadline.BOTH): _l("First response and resolution overdue"),
}


def badge_label(state: SlaState, deadline: Deadline | None) -> Any:
    """The badge of a ticket in `state` because of `deadline` (a lazy string)."""
    return BADGE_LABELS.get((state, deadline)) or SLA_LABELS[state]


def _which(first: bool, resolution: bool) -> Deadline | None:
    if first and resolution:
        return Deadline.BOTH
    if first:
        return Deadline.FIRST_RESPONSE
    return Deadline.RESOLUTION if resolution else None


def sla_standing(ticket: Any, now: dt.datetime) -> tuple[SlaState, Deadline | None]:
    """The state of one loaded ticket (or list row) at `now`, and the deadline behind it
    when it is due soon or breached."""
    if ticket.status not in OPEN_STATUSES:
        return SlaState.NONE, None
    # The first answer's deadline counts while none was given (on time or late).
    awaited = ticket.first_responded_at is None
    first_due = ticket.first_response_due_at if awaited else None
    due = ticket.resolution_due_at
    if due is None and first_due is None:
        return SlaState.NONE, None
    if ticket.sla_paused_since is not None:
        return SlaState.PAUSED, None
    late = _which(first_due is not None and first_due <= now, due is not None and due <= now)
    if late is not None:
        return SlaState.BREACHED, late
    # A warning time counts with its due date only.
    first_warn = ticket.first_response_warn_at if first_due is not None else None
    warn = ticket.resolution_warn_at if due is not None else None
    soon = _which(first_warn is not None and first_warn <= now, warn is not None and warn <= now)
    if soon is not None:
        return SlaState.WARNING, soon
    return SlaState.ON_TRACK, None


def sla_state(ticket: Any, now: dt.datetime) -> SlaState:
    """The state of one loaded ticket at `now`."""
    return sla_standing(ticket, now)[0]


def breached_clause(now: Any) -> ColumnElement[bool]:
    """A deadline has passed: the resolution's, or the first answer's while none was given.
    Without the "open, clock running" test, which callers add (`sla_state_clause`)."""
    return or_(
        Ticket.resolution_due_at <= now,
        and_(Ticket.first_responded_at.is_(None), Ticket.first_response_due_at <= now),
    )


def due_soon_clause(now: Any) -> ColumnElement[bool]:
    """No deadline has passed, and one's warning time has (the same caveat)."""
    return and_(
        or_(Ticket.resolution_due_at.is_(None), Ticket.resolution_due_at > now),
        or_(
            Ticket.first_responded_at.is_not(None),
            Ticket.first_response_due_at.is_(None),
            Ticket.first_response_due_at > now,
        ),
        or_(
            and_(Ticket.resolution_due_at > now, Ticket.resolution_warn_at <= now),
            and_(
                Ticket.first_responded_at.is_(None),
                Ticket.first_response_due_at > now,
                Ticket.first_response_warn_at <= now,
            ),
        ),
    )


def _has_target() -> ColumnElement[bool]:
    return or_(
        Ticket.resolution_due_at.is_not(None),
        and_(Ticket.first_responded_at.is_(None), Ticket.first_response_due_at.is_not(None)),
    )


def sla_state_clause(state: SlaState, now: Any) -> ColumnElement[bool]:
    """The same rule as a WHERE condition (uses the indexed due-date columns)."""
    is_open = open_clause()  # inline: the open tickets' partial indexes then apply
    running = and_(is_open, Ticket.sla_paused_since.is_(None))
    if state is SlaState.PAUSED:
        return and_(is_open, Ticket.sla_paused_since.is_not(None), _has_target())
    if state is SlaState.BREACHED:
        return and_(running, breached_clause(now))
    if state is SlaState.WARNING:
        return and_(running, due_soon_clause(now))
    if state is SlaState.ON_TRACK:
        return and_(
            running,
            _has_target(),
            or_(
                Ticket.resolution_due_at.is_(None),
                and_(
                    Ticket.resolution_due_at > now,
                    or_(Ticket.resolution_warn_at.is_(None), Ticket.resolution_warn_at > now),
                ),
            ),
            or_(
                Ticket.first_responded_at.is_not(None),
                Ticket.first_response_due_at.is_(None),
                and_(
                    Ticket.first_response_due_at > now,
                    or_(
                        Ticket.first_response_warn_at.is_(None),
                        Ticket.first_response_warn_at > now,
                    ),
                ),
            ),
        )
    return or_(~is_open, ~_has_target())
