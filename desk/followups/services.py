"""Verbs of follow-ups, and the sweep that sends those that are due."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from desk.auth.models import User
from desk.core.db import utcnow
from desk.core.i18n import number
from desk.extensions import db
from desk.followups.models import FollowUp
from desk.notifications.models import NotificationEvent
from desk.notifications.services import tell_staff
from desk.tickets.access import can_work, worked_clause
from desk.tickets.actions import ActionError, clean_text
from desk.tickets.models import Ticket

MAX_AHEAD = dt.timedelta(days=366)
MAX_NOTE = 200
MAX_PENDING = 5  # per person and ticket: a reminder, not a calendar
BATCH = 200


def _pending(user: User):
    return select(FollowUp).where(FollowUp.user_id == user.id, FollowUp.sent_at.is_(None))


def plan_followup(ticket: Ticket, due_at: dt.datetime, note: str, *, actor: User) -> FollowUp:
    """Have desk remind `actor` of `ticket` at `due_at` (aware), with a note for themselves.
    Commits."""
    if not can_work(actor, ticket):
        raise ActionError(_("You may not act on this ticket."))
    note = clean_text(note)
    now = utcnow()
    if due_at <= now:
        raise ActionError(_("Choose a time to come."), field="due_at")
    if due_at > now + MAX_AHEAD:
        raise ActionError(_("Choose a time within a year."), field="due_at")
    if len(note) > MAX_NOTE:
        raise ActionError(
            _("Keep the text under %(n)s characters.", n=number(MAX_NOTE)), field="note"
        )
    pending = pending_on(ticket, actor)
    same = next((f for f in pending if f.due_at == due_at and f.note == note), None)
    if same is not None:
        return same  # the same form sent twice (a double click): one reminder
    if len(pending) >= MAX_PENDING:
        raise ActionError(
            _("You already have %(n)d reminders on this ticket.", n=MAX_PENDING), field="due_at"
        )
    followup = FollowUp(ticket_id=ticket.id, user_id=actor.id, due_at=due_at, note=note)
    db.session.add(followup)
    db.session.commit()
    return followup


def cancel_followup(followup_id: int, *, actor: User) -> Ticket | None:
    """Drop one of `actor`'s reminders still to come; returns its ticket (None: no such
    reminder of theirs). Commits."""
    followup = db.session.scalar(_pending(actor).where(FollowUp.id == followup_id))
    if followup is None:
        return None
    ticket = followup.ticket
    db.session.delete(followup)
    db.session.commit()
    return ticket


def pending_on(ticket: Ticket, user: User) -> list[FollowUp]:
    """`user`'s reminders still to come on `ticket`, soonest first."""
    query = _pending(user).where(FollowUp.ticket_id == ticket.id).order_by(FollowUp.due_at)
    return list(db.session.scalars(query))


def upcoming(user: User, limit: int = 100) -> list[FollowUp]:
    """`user`'s reminders still to come on the tickets they work, soonest first, with their
    tickets. One whose ticket left their queues (a transfer, a queue they left) is not
    listed, as its link would answer 404 (desk.tickets.access, the one rule); it is kept,
    so that it comes back with the ticket, and the sweep drops it when due otherwise."""
    # The subject is shown with its request type's title: loaded with the ticket, in the
    # same statement that reads the ticket's queue for the rule.
    query = (
        _pending(user)
        .join(FollowUp.ticket)
        .where(worked_clause(user))
        .options(contains_eager(FollowUp.ticket).joinedload(Ticket.request_type))
        .order_by(FollowUp.due_at)
    )
    return list(db.session.scalars(query.limit(limit)))


def send_due(now: dt.datetime | None = None) -> int:
    """Tell each owner of a reminder now due (bell and e-mail; the bell only while they are
    away), once: the row is marked in the transaction that writes the message. A reminder
    whose owner can no longer work the ticket is dropped. Returns how many were sent."""
    now = now or utcnow()
    sent = 0
    while True:
        due = db.session.scalars(
            select(FollowUp)
            .where(FollowUp.sent_at.is_(None), FollowUp.due_at <= now)
            .order_by(FollowUp.due_at, FollowUp.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        ).all()
        if not due:
            db.session.commit()
            return sent
        for followup in due:
            followup.sent_at = now
            user, ticket = followup.user, followup.ticket
            if not can_work(user, ticket):
                continue
            tell_staff(
                ticket,
                [user],
                NotificationEvent.FOLLOW_UP,
                None,
                data={"note": followup.note, "due_at": followup.due_at.isoformat()},
                key=f"follow_up:{followup.id}",
                role="staff",
            )
            sent += 1
        db.session.commit()
