"""Recording changes: one CHANGE event per field (who, when, old → new) and the signal.

Every service that changes a ticket goes through `record_changes` or `apply_status`, so the
history is complete and subscribers (SLA, notifications) see each change exactly once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from desk.auth.models import User
from desk.core.db import utcnow
from desk.core.i18n import lazy_gettext as _l
from desk.core.i18n import typed_language
from desk.extensions import db
from desk.tickets.models import EventKind, Intake, Status, Ticket, TicketEvent
from desk.tickets.signals import ticket_changed
from desk.tickets.workflow import STATUS_LABELS, Actor, check_transition

# The same message again within this time is the same one sent twice: a double click without
# JavaScript, a browser sending the form again (desk.js stops the second click where it runs).
REPEAT_WINDOW = dt.timedelta(minutes=1)

# The requester's line of a ticket put back in its queue without a technician; its staff
# line is the internal "released" one (desk.tickets.actions._back_to_queue).
REQUEUED = "requeued"

FIELD_LABELS = {
    "status": _l("Status"),
    "assignee_id": _l("Assignee"),
    "queue_id": _l("Queue"),
    "priority": _l("Priority"),
}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Status):
        return value.value
    return str(value)[:200]


def record_changes(
    ticket: Ticket,
    actor: User | None,
    changes: dict[str, tuple[Any, Any]],
    *,
    note: str = "",
    internal: bool = False,
    at: dt.datetime | None = None,
) -> list[TicketEvent]:
    """Add a CHANGE event per changed field and send `ticket_changed` once for all of them.

    The caller has already set the new values on the ticket; nothing is committed here.
    """
    changes = {k: v for k, v in changes.items() if v[0] != v[1]}
    if not changes:
        return []
    at = at or utcnow()
    events = [
        TicketEvent(
            ticket=ticket,
            actor=actor,
            kind=EventKind.CHANGE,
            field=field,
            old_value=_text(old),
            new_value=_text(new),
            body=note if i == 0 else "",
            language=typed_language(note) if note and i == 0 else None,
            is_internal=internal,
            created_at=at,
        )
        for i, (field, (old, new)) in enumerate(changes.items())
    ]
    db.session.add_all(events)
    ticket.updated_by = actor
    ticket.updated_at = at
    ticket_changed.send(ticket, actor=actor, changes=changes, note=note)
    return events


def record_aside(ticket: Ticket, actor: User | None, field: str, old: Any, new: Any) -> TicketEvent:
    """A CHANGE event about what surrounds the ticket (who is in copy of it) rather than the
    ticket itself: its row and its version stay as they are, so that a technician's reply
    form open on it does not turn stale, and nobody is told through `ticket_changed`."""
    event = TicketEvent(
        ticket_id=ticket.id,
        actor=actor,
        kind=EventKind.CHANGE,
        field=field,
        old_value=_text(old),
        new_value=_text(new),
        body="",
        is_internal=False,
        created_at=utcnow(),
    )
    db.session.add(event)
    return event


def system_line(
    ticket: Ticket,
    field: str,
    *,
    internal: bool,
    kind: EventKind = EventKind.SYSTEM,
    old: str | None = None,
    new: str | None = None,
    at: dt.datetime | None = None,
) -> TicketEvent:
    """A line of the ticket's history that nobody wrote and nobody is told about: an SLA
    step, a part of a mail that could not be read, a ticket back in its queue. It has no
    actor and no words (its page writes it from `field` and the values, in the reader's
    language), and `internal` is said at every call: whether the requester sees it is the
    one choice such a line makes, so it is never left to a default."""
    event = TicketEvent(
        ticket=ticket,
        actor=None,
        kind=kind,
        field=field,
        old_value=old,
        new_value=new,
        body="",
        is_internal=internal,
        created_at=at or utcnow(),
    )
    db.session.add(event)
    return event


def apply_status(
    ticket: Ticket,
    target: Status,
    actor: User | None,
    side: Actor,
    *,
    note: str = "",
    at: dt.datetime | None = None,
) -> list[TicketEvent]:
    """Move `ticket` to `target` if the state machine allows it for `side`; record it.

    Raises `desk.tickets.workflow.TransitionError` with a user-facing message otherwise.
    """
    check_transition(ticket.status, target, side)
    at = at or utcnow()
    old = ticket.status
    ticket.status = target
    if target is Status.RESOLVED:
        ticket.resolved_at = at
    elif target is Status.CLOSED:
        ticket.closed_at = at
    elif target is Status.REOPENED:
        ticket.resolved_at = None
    return record_changes(ticket, actor, {"status": (old, target)}, note=note, at=at)


# A CREATED event's line when staff filed the ticket for its requester, by channel.
_CREATED_FOR = {
    Intake.PHONE: _l("Ticket created for %(name)s (request received by phone)."),
    Intake.IN_PERSON: _l("Ticket created for %(name)s (request received in person)."),
    Intake.EMAIL: _l("Ticket created for %(name)s (request received by e-mail)."),
    Intake.OTHER: _l("Ticket created for %(name)s."),
}


def describe_creation(event: TicketEvent) -> str:
    """The timeline's line for a CREATED event: who it was filed for, and how it came in."""
    pattern = _CREATED_FOR.get(event.new_value or "") if event.field == "intake" else None
    if pattern is None:
        return _("Ticket created.")
    requester = event.ticket.requester
    return str(pattern) % {"name": requester.display_name if requester else "—"}


def describe_change(event: TicketEvent) -> str:
    """A one-line, translated description of a CHANGE event for the timeline."""
    if event.field == "duplicate_of":
        return _("Closed as a duplicate of %(reference)s.", reference=event.new_value or "—")
    if event.field == "duplicates":
        return _(
            "%(reference)s was closed as a duplicate of this ticket.",
            reference=event.new_value or "—",
        )
    if event.field == "disruption":
        if event.new_value:
            return _(
                "Linked to the disruption “%(title)s”: resolved when it is over.",
                title=_disruption_title(event.new_value),
            )
        return _(
            "No longer linked to the disruption “%(title)s”.",
            title=_disruption_title(event.old_value),
        )
    if event.field == "watcher":
        if event.new_value:
            return _("%(name)s is now in copy of this request.", name=_user_name(event.new_value))
        return _("%(name)s is no longer in copy.", name=_user_name(event.old_value))
    if event.field == "released":
        name = _user_name(event.old_value) or "—"
        if event.new_value == "given_back":
            return _("Put back in the queue, unassigned (it was with %(name)s).", name=name)
        if event.new_value == "away":
            return _("Back in the queue, unassigned: %(name)s is away.", name=name)
        if event.new_value == "left":
            return _(
                "Back in the queue, unassigned: %(name)s no longer works this queue.", name=name
            )
        return _(
            "Back in the queue, unassigned: the account of %(name)s was deactivated.", name=name
        )
    if event.field == REQUEUED:
        return _("Back in the queue, waiting for a technician to take it over.")
    if event.field == "disruption_ended":
        return _(
            "Resolved: the disruption “%(title)s” is over.",
            title=_disruption_title(event.new_value),
        )
    label = FIELD_LABELS.get(event.field or "", event.field)
    old, new = event.old_value, event.new_value
    if event.field == "status":
        old = str(STATUS_LABELS.get(Status(old), old)) if old else old
        new = str(STATUS_LABELS.get(Status(new), new)) if new else new
    elif event.field == "assignee_id":
        old, new = (_user_name(v) for v in (old, new))
    elif event.field == "queue_id":
        old, new = (_queue_name(v) for v in (old, new))
    elif event.field == "priority":
        old, new = (_priority_name(v) for v in (old, new))
    return _("%(field)s: %(old)s → %(new)s", field=label, old=old or "—", new=new or "—")


def _disruption_title(value: str | None) -> str:
    """The disruption's title in the reader's language (desk.status), as it reads now."""
    from desk.core.i18n import page_language
    from desk.status.models import Disruption

    disruption = db.session.get(Disruption, int(value)) if value and value.isdigit() else None
    return disruption.title_for(page_language()) if disruption else "—"


def _user_name(value: str | None) -> str | None:
    if not value:
        return None
    user = db.session.get(User, int(value))
    return user.display_name if user else value


def _queue_name(value: str | None) -> str | None:
    from desk.reference.models import Queue

    if not value:
        return None
    queue = db.session.get(Queue, int(value))
    return queue.name if queue else value


PRIORITY_LABELS = {1: _l("Low"), 2: _l("Normal"), 3: _l("High"), 4: _l("Critical")}


def _priority_name(value: str | None) -> str | None:
    if not value:
        return None
    return str(PRIORITY_LABELS.get(int(value), value))


def repeated_message(
    ticket_id: int,
    actor: User,
    kind: EventKind,
    body: str,
    *,
    now: dt.datetime | None = None,
    or_reopening: bool = False,
) -> TicketEvent | None:
    """The ticket's last event if it is `actor`'s `kind` message with this very text, written
    within REPEAT_WINDOW: a second sending of that message, to answer as the first. With
    `or_reopening`, also their reopening with this text as its reason: a requester's message
    that reopened the request (desk.tickets.services.answer_on_page) or their reopening
    form, sent again, finds the request reopened and is that reopening again, not a new
    message repeating its reason."""
    last = db.session.scalar(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket_id)
        .order_by(TicketEvent.id.desc())
        .limit(1)
    )
    if (
        last is None
        or last.actor_id != actor.id
        or (last.body or "") != body
        or last.created_at < (now or utcnow()) - REPEAT_WINDOW
    ):
        return None
    if last.kind is kind or (or_reopening and is_reopening(last)):
        return last
    return None


def is_reopening(event: TicketEvent) -> bool:
    """Whether `event` is a reopening (its reason, if any, in its body)."""
    return (
        event.kind is EventKind.CHANGE
        and event.field == "status"
        and event.new_value == Status.REOPENED.value
    )
