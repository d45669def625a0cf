"""SLA state of a ticket from its stored due dates: one definition for queries and display."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, or_

from desk.core.i18n import lazy_gettext as _l
from desk.tickets.models import OPEN_STATUSES, Ticket, open_clause


class SlaState(StrEnum):
    """Where a ticket stands against its resolution target."""

    NONE = "none"  # no policy, or the ticket is finished
    ON_TRACK = "on_track"
    WARNING = "warning"
    BREACHED = "breached"
    PAUSED = "paused"  # waiting on the requester: the clock is stopped


SLA_LABELS = {
    SlaState.NONE: _l("No target"),
    SlaState.ON_TRACK: _l("On track"),
    SlaState.WARNING: _l("Due soon"),
    SlaState.BREACHED: _l("Breached"),
    SlaState.PAUSED: _l("Paused"),
}


def sla_state(ticket: Ticket, now: dt.datetime) -> SlaState:
    """The state of one loaded ticket at `now`."""
    if ticket.status not in OPEN_STATUSES or ticket.resolution_due_at is None:
        return SlaState.NONE
    if ticket.sla_paused_since is not None:
        return SlaState.PAUSED
    if ticket.resolution_due_at <= now:
        return SlaState.BREACHED
    if ticket.resolution_warn_at is not None and ticket.resolution_warn_at <= now:
        return SlaState.WARNING
    return SlaState.ON_TRACK


def sla_state_clause(state: SlaState, now: dt.datetime) -> ColumnElement[bool]:
    """The same rule as a WHERE condition (uses the indexed due-date columns)."""
    is_open = open_clause()  # inline: the open tickets' partial indexes then apply
    running = and_(
        is_open, Ticket.resolution_due_at.is_not(None), Ticket.sla_paused_since.is_(None)
    )
    if state is SlaState.PAUSED:
        return and_(
            is_open, Ticket.resolution_due_at.is_not(None), Ticket.sla_paused_since.is_not(None)
        )
    if state is SlaState.BREACHED:
        return and_(running, Ticket.resolution_due_at <= now)
    if state is SlaState.WARNING:
        return and_(running, Ticket.resolution_due_at > now, Ticket.resolution_warn_at <= now)
    if state is SlaState.ON_TRACK:
        return and_(
            running,
            Ticket.resolution_due_at > now,
            or_(Ticket.resolution_warn_at.is_(None), Ticket.resolution_warn_at > now),
        )
    return or_(~is_open, Ticket.resolution_due_at.is_(None))
