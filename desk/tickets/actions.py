"""What staff do to a ticket: claim, assign, give back, transfer, prioritise, move it along,
reply, note.

Every service takes the acting user and the version of the ticket the user was looking at. All
checks run before anything is changed, so a refused action changes nothing; each successful
action is recorded through `desk.tickets.history` and committed. Two technicians acting on the
same ticket: the second one's version no longer matches (or, in a true race, the versioned
UPDATE finds no row) and gets a `Conflict` naming who changed the ticket and when.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask_babel import format_time
from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm.exc import StaleDataError

from desk.auth.models import Role, User
from desk.core.db import utcnow
from desk.core.i18n import number, typed_language
from desk.extensions import db
from desk.reference.models import Queue, QueueMembership
from desk.tickets.access import can_work, worked_clause
from desk.tickets.attachments import CheckedUpload, add_attachment
from desk.tickets.history import (
    PRIORITY_LABELS,
    REQUEUED,
    apply_status,
    record_changes,
    repeated_message,
    system_line,
)
from desk.tickets.models import (
    FINISHED_STATUSES,
    EventKind,
    Priority,
    Status,
    Ticket,
    TicketEvent,
)
from desk.tickets.signals import ticket_replied
from desk.tickets.workflow import STATUS_LABELS, Actor, TransitionError, check_transition

# Assigning, transferring or re-prioritising these needs a reopen first.
FINISHED = FINISHED_STATUSES
MAX_BODY = 10_000
MAX_REASON = 500
MAX_BULK = 100


class ActionError(Exception):
    """A refused action; `message` is for the user, `field` names the form field it concerns."""

    def __init__(self, message: object, field: str | None = None):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field


class Conflict(ActionError):
    """The ticket changed since the user loaded it."""

    def __init__(self, by: User | None, at: dt.datetime | None):
        name = by.display_name if by is not None else _("the system")
        time = format_time(at, "HH:mm") if at is not None else "?"
        self.by_name, self.at_time = name, time
        super().__init__(
            _(
                "This ticket was changed by %(name)s at %(time)s; reload the page.",
                name=name,
                time=time,
            )
        )
        self.by = by
        self.at = at


def clean_text(text: str | None) -> str:
    """Trimmed text without NUL characters (PostgreSQL cannot store them in text columns)."""
    return (text or "").replace("\x00", "").strip()


def is_eligible_assignee(user: User | None, queue_id: int) -> bool:
    """Active members of the queue may hold its tickets; so may admins (they work every queue)."""
    if user is None or not user.is_active or user.role is Role.REQUESTER:
        return False
    return user.role is Role.ADMIN or queue_id in user.queue_ids


def queue_members(queue_id: int) -> list[User]:
    """Active technicians and admins who are members of the queue, by name."""
    query = (
        select(User)
        .join(QueueMembership, QueueMembership.user_id == User.id)
        .where(
            QueueMembership.queue_id == queue_id,
            User.is_active_account.is_(True),
            User.role != Role.REQUESTER,
        )
        .order_by(User.display_name)
    )
    return list(db.session.scalars(query))


def _conflict_for(ticket_id: int) -> Conflict:
    fresh = db.session.get(Ticket, ticket_id)
    return Conflict(fresh.updated_by if fresh else None, fresh.updated_at if fresh else None)


@contextmanager
def _changing(ticket: Ticket, actor: User, expected_version: int | None) -> Iterator[None]:
    """Check permission and version, run the change, then commit it (or report a conflict)."""
    if not can_work(actor, ticket):
        raise ActionError(_("You may not act on this ticket."))
    if ticket.erased_at is not None:
        # Past its retention (desk.privacy): nothing new is written in it, by any channel
        # (the ticket page, the bulk bar, an e-mail answer).
        raise ActionError(_("This ticket was erased."))
    if expected_version is not None and expected_version != ticket.version:
        raise Conflict(ticket.updated_by, ticket.updated_at)
    ticket_id = ticket.id
    try:
        yield
        db.session.commit()
    except StaleDataError:
        # Someone committed between our read and our versioned UPDATE.
        db.session.rollback()
        raise _conflict_for(ticket_id) from None
    except BaseException:
        db.session.rollback()
        raise


def _require_not_finished(ticket: Ticket) -> None:
    if ticket.status in FINISHED:
        raise ActionError(
            _(
                "A ticket that is “%(status)s” can no longer be changed; reopen it first.",
                status=STATUS_LABELS[ticket.status],
            )
        )


def _status_check(ticket: Ticket, target: Status) -> None:
    try:
        check_transition(ticket.status, target, Actor.STAFF)
    except TransitionError as exc:
        raise ActionError(str(exc), field="status") from None


def claim_ticket(ticket: Ticket, *, actor: User, expected_version: int | None = None) -> Ticket:
    """Assign the ticket to the acting technician."""
    return assign_ticket(ticket, actor, actor=actor, expected_version=expected_version)


def assign_ticket(
    ticket: Ticket, assignee: User | None, *, actor: User, expected_version: int | None = None
) -> Ticket:
    """Give the ticket to a member of its queue; a new or reopened ticket becomes “assigned”."""
    with _changing(ticket, actor, expected_version):
        _require_not_finished(ticket)
        if not is_eligible_assignee(assignee, ticket.queue_id):
            raise ActionError(
                _("This person is not a member of the ticket's queue."), field="assignee"
            )
        if assignee.id == ticket.assignee_id:
            raise ActionError(
                _("The ticket is already assigned to %(name)s.", name=assignee.display_name),
                field="assignee",
            )
        changes: dict = {"assignee_id": (ticket.assignee_id, assignee.id)}
        if ticket.status in (Status.NEW, Status.REOPENED):
            _status_check(ticket, Status.ASSIGNED)
            changes["status"] = (ticket.status, Status.ASSIGNED)
            ticket.status = Status.ASSIGNED
        ticket.assignee_id = assignee.id
        ticket.assignee = assignee
        record_changes(ticket, actor, changes)
    return ticket


def transfer_ticket(
    ticket: Ticket,
    queue: Queue | None,
    *,
    reason: str,
    actor: User,
    expected_version: int | None = None,
) -> Ticket:
    """Move the ticket to another queue of its domain, with a reason the requester sees; an
    assignee who is not a member of the new queue is unassigned."""
    reason = clean_text(reason)
    with _changing(ticket, actor, expected_version):
        _require_not_finished(ticket)
        if queue is None:
            raise ActionError(_("This queue does not exist."), field="queue")
        if not queue.is_active:
            raise ActionError(_("This queue is closed; choose another one."), field="queue")
        if queue.id == ticket.queue_id:
            raise ActionError(_("The ticket is already in this queue."), field="queue")
        if queue.domain_id != ticket.domain_id:
            # "HR requests never reach IT": a ticket moves between the queues of its domain.
            raise ActionError(
                _(
                    "A ticket stays in its domain: choose a queue of “%(domain)s”.",
                    domain=ticket.domain.name,
                ),
                field="queue",
            )
        if not reason:
            raise ActionError(_("Say why the ticket is transferred."), field="reason")
        if len(reason) > MAX_REASON:
            raise ActionError(
                _("Keep the reason under %(n)d characters.", n=MAX_REASON), field="reason"
            )
        changes: dict = {"queue_id": (ticket.queue_id, queue.id)}
        if ticket.assignee is not None and not is_eligible_assignee(ticket.assignee, queue.id):
            changes["assignee_id"] = (ticket.assignee_id, None)
            ticket.assignee = None
            _new_again(ticket, changes)
        ticket.queue = queue
        record_changes(ticket, actor, changes, note=reason)
    return ticket


def release_tickets(user: User, *, actor: User | None) -> int:
    """Give back to their queues, unassigned, the open tickets `user` holds but may no longer
    hold: all of them once the account is deactivated (by an administrator or the directory)
    or made a requester's, those of the queues they left otherwise. Held by someone who
    cannot work them, they would wait unseen, and the requester's messages would reach
    nobody. Each keeps a line in its staff history; returns how many. The caller commits."""
    query = _held(user)
    gone = not user.is_active or user.role is Role.REQUESTER
    if not gone:
        if user.role is Role.ADMIN:
            return 0  # admins work every queue
        if user.queue_ids:
            query = query.where(Ticket.queue_id.not_in(user.queue_ids))
    reason = "deactivated" if not user.is_active else "left"
    return _back_to_queues(query, actor, reason)


def give_back_held(user: User, *, actor: User, reason: str = "away") -> int:
    """Put every open ticket `user` holds back in its queue (they are leaving, for `reason`);
    returns how many. The caller commits."""
    return _back_to_queues(_held(user), actor, reason)


def count_held(user: User) -> int:
    """How many open tickets `user` holds."""
    return db.session.scalar(select(func.count()).select_from(_held(user).subquery())) or 0


def _held(user: User) -> Select:
    return select(Ticket).where(Ticket.assignee_id == user.id, Ticket.status.not_in(FINISHED))


def _back_to_queues(query: Select, actor: User | None, reason: str) -> int:
    tickets = db.session.scalars(query.order_by(Ticket.id).with_for_update()).all()
    for ticket in tickets:
        _back_to_queue(ticket, actor, reason)
    return len(tickets)


def give_back_ticket(
    ticket: Ticket, *, actor: User, note: str = "", expected_version: int | None = None
) -> Ticket:
    """Put the ticket back in its queue without a technician (its holder is going on leave,
    took it by mistake, or cannot do it), with an optional word for the colleagues; the
    queue's members are told, so that someone takes it."""
    note = clean_text(note)
    with _changing(ticket, actor, expected_version):
        _require_not_finished(ticket)
        if ticket.assignee_id is None:
            raise ActionError(_("Nobody holds this ticket: it is already in its queue."))
        if len(note) > MAX_REASON:
            raise ActionError(
                _("Keep the text under %(n)s characters.", n=number(MAX_REASON)), field="note"
            )
        _back_to_queue(ticket, actor, "given_back", note=note)
    return ticket


def return_if_holder_gone(ticket: Ticket) -> None:
    """Before a finished ticket comes back to life (reopened): if its technician may no longer
    hold it (deactivated, or no longer in its queue), it goes back to its queue unassigned,
    as their open tickets did when they went, and the queue's members hear why. A finished
    ticket keeps its technician until then: the reports count what they resolved."""
    holder = ticket.assignee if ticket.assignee_id is not None else None
    if holder is None or is_eligible_assignee(holder, ticket.queue_id):
        return
    _back_to_queue(ticket, None, "deactivated" if not holder.is_active else "left")


def _back_to_queue(ticket: Ticket, actor: User | None, reason: str, *, note: str = "") -> None:
    """Unassign `ticket` for `reason` ("given_back", "away", "left", "deactivated"); one not yet
    started is "new" again, so that the queue's "new" count shows it. Staff-only history (who
    let go of it, why, the word to the team), and for the requester's page one neutral line,
    "back in the queue" (`requeued`): the assignment to the technician they saw has an end
    there, so the next one's "— → Sophie" follows it rather than dangling after "— → Karim".
    Who let go and why (a leave, a move, an account closed) stays the staff's."""
    changes: dict = {"released": (ticket.assignee_id, reason)}
    _new_again(ticket, changes)
    ticket.assignee_id = None
    ticket.assignee = None
    record_changes(ticket, actor, changes, note=note, internal=True)
    system_line(ticket, REQUEUED, kind=EventKind.CHANGE, internal=False, at=ticket.updated_at)


def _new_again(ticket: Ticket, changes: dict) -> None:
    """A ticket losing its technician before anyone started it is "new" again."""
    if ticket.status is Status.ASSIGNED:
        check_transition(ticket.status, Status.NEW, Actor.SYSTEM)
        changes["status"] = (ticket.status, Status.NEW)
        ticket.status = Status.NEW


def set_priority(
    ticket: Ticket, priority: int | str, *, actor: User, expected_version: int | None = None
) -> Ticket:
    """Change the ticket's priority."""
    with _changing(ticket, actor, expected_version):
        _require_not_finished(ticket)
        try:
            value = Priority(int(priority))
        except (TypeError, ValueError):
            raise ActionError(_("Unknown priority."), field="priority") from None
        if value == ticket.priority:
            raise ActionError(
                _("The priority is already “%(priority)s”.", priority=PRIORITY_LABELS[int(value)]),
                field="priority",
            )
        old = ticket.priority
        ticket.priority = int(value)
        record_changes(ticket, actor, {"priority": (old, int(value))})
    return ticket


def close_as_duplicate(
    ticket: Ticket, original_reference: str, *, actor: User, expected_version: int | None = None
) -> Ticket:
    """Cancel `ticket` because it repeats another open ticket of the same requester: both
    histories name each other, and the requester is told where the request goes on."""
    with _changing(ticket, actor, expected_version):
        _require_not_finished(ticket)
        _status_check(ticket, Status.CANCELLED)
        original = _duplicated(ticket, original_reference, actor)
        now = utcnow()
        old = ticket.status
        ticket.status = Status.CANCELLED
        changes = {"status": (old, Status.CANCELLED), "duplicate_of": (None, original.reference)}
        record_changes(ticket, actor, changes, at=now)
        record_changes(original, actor, {"duplicates": (None, ticket.reference)}, at=now)
    return ticket


def _duplicated(ticket: Ticket, reference: str, actor: User) -> Ticket:
    """The ticket that `ticket` repeats, if the actor may link them."""
    wanted = (reference or "").strip().upper()[:40]
    found = db.session.scalar(select(Ticket).where(Ticket.reference == wanted)) if wanted else None
    if found is None or not can_work(actor, found):
        raise ActionError(_("No ticket of your queues has this reference."), field="original")
    if found.id == ticket.id:
        raise ActionError(_("Give the reference of the other ticket."), field="original")
    if found.requester_id != ticket.requester_id:
        message = _(
            "%(reference)s is another person’s request: this requester could not follow it. "
            "Answer this ticket instead.",
            reference=found.reference,
        )
        raise ActionError(message, field="original")
    if found.status in FINISHED:
        message = _(
            "%(reference)s is finished: reopen it first, or answer this ticket.",
            reference=found.reference,
        )
        raise ActionError(message, field="original")
    return found


def change_status(
    ticket: Ticket,
    target: Status | str,
    *,
    actor: User,
    note: str = "",
    expected_version: int | None = None,
) -> Ticket:
    """Move the ticket along the workflow; taking it in hand without an assignee assigns it
    to the actor, and the first move to “in progress” counts as the first response."""
    note = clean_text(note)
    with _changing(ticket, actor, expected_version):
        try:
            target = Status(target)
        except ValueError:
            raise ActionError(_("Unknown status."), field="status") from None
        _status_check(ticket, target)
        if len(note) > MAX_BODY:
            raise ActionError(
                _("Keep the text under %(n)s characters.", n=number(MAX_BODY)), field="note"
            )
        now = utcnow()
        if target is Status.REOPENED:
            return_if_holder_gone(ticket)
        _take_in_hand(ticket, target, actor, now)
        apply_status(ticket, target, actor, Actor.STAFF, note=note, at=now)
    return ticket


def _take_in_hand(ticket: Ticket, target: Status, actor: User, now: dt.datetime) -> None:
    """Before a move to `target`: taking an unassigned ticket in hand assigns it to the actor,
    and the first move to "in progress" counts as the first response."""
    if target in (Status.ASSIGNED, Status.IN_PROGRESS) and ticket.assignee_id is None:
        if not is_eligible_assignee(actor, ticket.queue_id):
            raise ActionError(
                _("Assign the ticket to a member of its queue first."), field="status"
            )
        record_changes(ticket, actor, {"assignee_id": (None, actor.id)}, at=now)
        ticket.assignee = actor
    if target is Status.IN_PROGRESS and ticket.first_responded_at is None:
        ticket.first_responded_at = now


def resolve_with_disruption(
    ticket: Ticket, disruption_id: int, *, actor: User, expected_version: int | None = None
) -> Ticket:
    """Resolve `ticket` because the disruption staff linked it to is over: its history and
    the requester's e-mail say so. A new ticket is first taken in hand by the actor, as
    they would do by hand (the state machine has no shortcut from "new" to "resolved")."""
    with _changing(ticket, actor, expected_version):
        _require_not_finished(ticket)
        now = utcnow()
        if ticket.status is Status.NEW:
            _take_in_hand(ticket, Status.IN_PROGRESS, actor, now)
            apply_status(ticket, Status.IN_PROGRESS, actor, Actor.STAFF, at=now)
        _status_check(ticket, Status.RESOLVED)
        old = ticket.status
        ticket.status = Status.RESOLVED
        ticket.resolved_at = now
        changes = {"status": (old, Status.RESOLVED), "disruption_ended": (None, disruption_id)}
        record_changes(ticket, actor, changes, at=now)
    return ticket


def _add_message(
    ticket: Ticket,
    body: str,
    kind: EventKind,
    actor: User,
    expected_version: int | None,
    uploads: Sequence[CheckedUpload],
    told: Sequence[int] = (),
) -> TicketEvent:
    body = clean_text(body)
    ticket_id = ticket.id
    try:
        # A refusal rolls back the event and its files' rows and bytes together (`_changing`).
        with _changing(ticket, actor, expected_version):
            return _write_message(ticket, body, kind, actor, uploads, told)
    except Conflict:
        # The change that moved the version may be this very message sent a second time (a
        # double click without JavaScript, a resend): that one is the answer, not a conflict.
        same = repeated_message(ticket_id, actor, kind, body) if body and not uploads else None
        if same is None:
            raise
        db.session.commit()  # only read: ends the transaction
        return same


def _write_message(
    ticket: Ticket,
    body: str,
    kind: EventKind,
    actor: User,
    uploads: Sequence[CheckedUpload],
    told: Sequence[int] = (),
) -> TicketEvent:
    """Checks, then the event, its files and the ticket's touch (inside `_changing`); a
    note's `told` colleagues are kept on it (its `new_value`: "12,15") for the signal."""
    if not body and not uploads:
        raise ActionError(_("Write a message."), field="body")
    if len(body) > MAX_BODY:
        raise ActionError(
            _("Keep the text under %(n)s characters.", n=number(MAX_BODY)), field="body"
        )
    if kind is EventKind.REPLY and ticket.status in (Status.CLOSED, Status.CANCELLED):
        raise ActionError(
            _("This ticket is finished: the requester can no longer be answered here."),
            field="body",
        )
    now = utcnow()
    event = TicketEvent(
        ticket=ticket,
        actor=actor,
        kind=kind,
        body=body,
        language=typed_language(body) if body else None,
        is_internal=kind is EventKind.NOTE,
        new_value=",".join(map(str, told)) or None,
        created_at=now,
    )
    db.session.add(event)
    # A note's file is internal like the note: never listed or served to the requester.
    for upload in uploads:
        add_attachment(ticket, event, actor, upload, internal=kind is EventKind.NOTE)
    if kind is EventKind.REPLY and ticket.first_responded_at is None:
        ticket.first_responded_at = now
    # Touch the ticket so its version moves: whoever acts next has seen this message.
    ticket.updated_at = now
    ticket.updated_by = actor
    ticket_replied.send(ticket, actor=actor, event=event)
    return event


def add_reply(
    ticket: Ticket,
    body: str,
    *,
    actor: User,
    expected_version: int | None = None,
    uploads: Sequence[CheckedUpload] = (),
) -> TicketEvent:
    """A public answer, with optional files, visible to the requester."""
    return _add_message(ticket, body, EventKind.REPLY, actor, expected_version, uploads)


MAX_TOLD = 15  # their ids fit the event's 200 characters


def add_note(
    ticket: Ticket,
    body: str,
    *,
    actor: User,
    expected_version: int | None = None,
    uploads: Sequence[CheckedUpload] = (),
    tell: Sequence[User | None] = (),
) -> TicketEvent:
    """An internal note, with optional internal files, never shown to the requester; the
    colleagues in `tell` (who work the ticket's queue) are asked to read it."""
    told = _colleagues_to_tell(ticket, actor, tell)
    return _add_message(ticket, body, EventKind.NOTE, actor, expected_version, uploads, told)


def _colleagues_to_tell(ticket: Ticket, actor: User, tell: Sequence[User | None]) -> list[int]:
    ids: list[int] = []
    for user in tell:
        if user is None or user.id == actor.id or not is_eligible_assignee(user, ticket.queue_id):
            raise ActionError(_("Choose colleagues who work this ticket's queue."), field="tell")
        if user.id not in ids:
            ids.append(user.id)
    if len(ids) > MAX_TOLD:
        raise ActionError(_("Tell at most %(n)d colleagues.", n=MAX_TOLD), field="tell")
    return ids


@dataclass
class BulkResult:
    """Which tickets a bulk action changed, and which it refused with the reason."""

    changed: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


BulkAction = Callable[[Ticket, int | None], object]


def bulk_apply(
    selection: list[tuple[int, int | None]],
    action: BulkAction,
    *,
    actor: User,
    queue_id: int | None = None,
    require_version: bool = False,
) -> BulkResult:
    """Apply `action(ticket, expected_version)` to each selected (id, version), one
    transaction per ticket. A ticket the actor may not work on (or outside `queue_id`) is
    refused like a missing one, so its existence is not revealed. With `require_version`
    (a person's selection in a queue list), one selected without the version the list
    showed is refused too: nobody can tell what its sender saw, and acting on it could
    overwrite a colleague's change unseen (the ticket page's forms refuse a missing version
    the same way)."""
    result = BulkResult()
    if not selection:
        raise ActionError(_("Select at least one ticket."))
    if len(selection) > MAX_BULK:
        raise ActionError(_("Select at most %(n)d tickets at once.", n=MAX_BULK))
    query = select(Ticket).where(Ticket.id.in_([i for i, _v in selection]), worked_clause(actor))
    if queue_id is not None:
        query = query.where(Ticket.queue_id == queue_id)
    tickets = {t.id: t for t in db.session.scalars(query)}
    for ticket_id, version in selection:
        ticket = tickets.get(ticket_id)
        if ticket is None:
            result.refused.append((f"#{ticket_id}", _("Ticket not found, or not yours to change.")))
            continue
        reference = ticket.reference
        if version is None and require_version:
            result.refused.append(
                (reference, _("This list is out of date: reload it and select the ticket again."))
            )
            continue
        try:
            action(ticket, version)
        except ActionError as exc:
            result.refused.append((reference, exc.message))
        else:
            result.changed.append(reference)
    return result
