"""Who hears about what, and the verbs of the notification pages.

The subscribers below run INSIDE the ticket's transaction (see desk.tickets.signals) and only
call `outbox.notify`; rows are written at commit, one per recipient. Rules:
- nobody is notified of their own action (`_tell` skips the actor) — except the
  acknowledgement, which is the receipt of the requester's own submission (an e-mail only);
- staff hear of a new ticket in their queues as they chose (`NewTicketMode`: each ticket,
  a digest, nothing), of a requester's message or reopening (the assignee, else the queue),
  of an assignment to them, of a transfer to their queue, of a transfer that took a ticket
  from them, of the requester cancelling a ticket they hold (the assignee, and the queue's
  present members while they are away), of a colleague taking a ticket they held (claimed,
  given to someone else, put back in its queue; or their leaving its queue put it back) or
  finishing it (resolved, closed, cancelled, closed as a duplicate; not the system's
  closes), and of a ticket of their
  queue back without a technician (given back, or its technician left);
- the people in copy of a ticket (desk.watchers) hear what its requester hears of replies,
  of waiting on an answer and of its end, and of each other's and the requester's messages;
  the requester hears of theirs;
- internal notes notify nobody (they are for the staff reading the ticket), but the
  colleagues their writer chose to tell;
- SLA warnings and breaches reach the assignee, else the queue's members, and the queue's
  leads; they and reminders wait for the queue's business hours (a 24/7 queue is always
  open, so its breaches go at once);
- news meant for a queue's staff (a new ticket, an SLA warning or breach, a requester's
  message or a reopening, a ticket given back or transferred to the queue) that would reach
  nobody present (every member of the queue away, or none active; the one who acted, not
  told of their own action, is not counted, unless they hold the ticket and are here) also
  goes to the active
  admins who are not away, as it would to a member (`_tell_admins`), saying why they hear
  of it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from flask import has_request_context, request
from sqlalchemy import bindparam, func, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from desk.absences.models import Absence
from desk.absences.services import away_clause, away_until
from desk.auth.language import written_language
from desk.auth.models import Role, User
from desk.auth.sessions import preloaded, read_with_user
from desk.catalog.forms.email_request import FORM_KEY as EMAIL_FORM
from desk.catalog.forms.fields import local_today
from desk.core.db import utcnow
from desk.core.i18n import typed_language
from desk.core.persist import attach_row, columns_of
from desk.extensions import db
from desk.notifications.alerted import mailed_roles
from desk.notifications.models import (
    MANDATORY_EVENTS,
    Channel,
    DeliveryStatus,
    NewTicketMode,
    NewTicketPreference,
    Notification,
    NotificationEvent,
    NotificationPreference,
    inline,
)
from desk.notifications.outbox import notify, schedule_delivery
from desk.reference.models import QueueMembership
from desk.tickets.access import is_watching
from desk.tickets.actions import is_eligible_assignee
from desk.tickets.models import FINISHED_STATUSES, EventKind, Status, Ticket, TicketEvent
from desk.tickets.signals import ticket_changed, ticket_created, ticket_replied

E = NotificationEvent
BODY_LIMIT = 4000
RELEASED = "released"  # the bundle (and e-mail) of tickets lost by leaving their queue
# The bundle (and e-mail) telling a queue of the tickets its technician let go of at once:
# they left it, their account was deactivated, or they went away giving theirs back.
BACK_IN_QUEUE = "back_in_queue"
_RELEASED_AT_ONCE = {"left", "deactivated", "away"}
STATUS_EVENTS = {
    Status.WAITING_ON_REQUESTER: E.WAITING,
    Status.RESOLVED: E.RESOLVED,
    Status.CLOSED: E.CLOSED,
}


def _tell(
    ticket: Ticket,
    recipients: Iterable[User | None],
    event: NotificationEvent,
    actor: User | None,
    **options: Any,
) -> None:
    seen: set[int] = set()
    for user in recipients:
        if user is None or user.id in seen or (actor is not None and user.id == actor.id):
            continue
        seen.add(user.id)
        notify(ticket, user, event, **options)


def tell_staff(
    ticket: Ticket,
    recipients: Iterable[User | None],
    event: NotificationEvent,
    actor: User | None,
    **options: Any,
) -> bool:
    """News for staff. Someone away (desk.absences) finds it in the bell on their return,
    without the e-mail they would read on leave or not at all. Returns whether nobody
    present heard it (all away but the actor, or nobody to tell)."""
    users = {u.id: u for u in recipients if u is not None}
    away = away_until(users)
    for user_id, user in users.items():
        mail = {"email": False} if user_id in away else {}
        # One set of options: a capacity the caller names (a reminder's "staff") or the
        # e-mail it turns off is not a second value of the same keyword (a TypeError).
        _tell(ticket, [user], event, actor, **{**_as_staff(ticket, user), **options, **mail})
    return not any(i not in away and not _is(actor, i) for i in users)


def _as_staff(ticket: Ticket, user: User) -> dict[str, str]:
    """Staff news reaches a technician of the queue who also filed the ticket (their own PC,
    in their own queue) as staff: its link opens the page where they work it, not their
    requester's page, which has no action on it. Anyone else's capacity is the outbox's
    rule (the requester's, for a requester; staff otherwise)."""
    if user.id == ticket.requester_id and is_eligible_assignee(user, ticket.queue_id):
        return {"role": "staff"}
    return {}


def _is(actor: User | None, user_id: int) -> bool:
    """Whether `user_id` is the actor: never told of their own action, so never the one
    present who hears it (else the last technician here giving a ticket back told nobody)."""
    return actor is not None and actor.id == user_id


def _tell_queue_staff(
    ticket: Ticket,
    recipients: Iterable[User | None],
    event: NotificationEvent,
    actor: User | None,
    **options: Any,
) -> list[User]:
    """News for those who answer for a ticket in its queue (`tell_staff`), and for the
    present admins when none of them is here (see `_tell_admins`); returns those admins."""
    recipients = [user for user in recipients if user is not None]
    if tell_staff(ticket, recipients, event, actor, **options) and not _held_by(ticket, actor):
        return _tell_admins(ticket, [user.id for user in recipients], event, actor, **options)
    return []


def _held_by(ticket: Ticket, actor: User | None) -> bool:
    """Whether the one who acted holds the ticket and is here: not told of their own action,
    but it is in hands (its technician reopening it, or moving it into their own queue)."""
    return (
        actor is not None
        and ticket.assignee_id == actor.id
        and is_eligible_assignee(actor, ticket.queue_id)
        and not away_until([actor.id])
    )


def _tell_admins(
    ticket: Ticket,
    told: Iterable[int],
    event: NotificationEvent,
    actor: User | None,
    *,
    data: dict[str, Any] | None = None,
    **options: Any,
) -> list[User]:
    """News that reached nobody present in the ticket's queue (all away, or no active member)
    goes to the active admins who are not away, as it would to a member, with a sentence
    saying why they hear of it; returns them. Read only then: the ordinary case costs no
    statement."""
    told = set(told)
    admins = []
    for admin, mode in _present_admins():
        if admin.id in told:
            continue  # a member or lead is away (else someone was present): told already
        if event is E.NEW_TICKET:
            # Their choice for new tickets, as a member's: a digest lists their own queues
            # only, so the e-mail goes to those who take one per ticket.
            options["email"] = mode is NewTicketMode.EACH
        _tell(ticket, [admin], event, actor, data={**(data or {}), "unattended": True}, **options)
        admins.append(admin)
    return admins


def _present_admins() -> list[tuple[User, NewTicketMode]]:
    """Active admins not away today, with their choice for new tickets, in one statement."""
    rows = db.session.execute(
        select(User, NewTicketPreference.mode)
        .outerjoin(NewTicketPreference, NewTicketPreference.user_id == User.id)
        .where(
            User.role == Role.ADMIN,
            User.is_active_account.is_(True),
            ~away_clause(User.id, local_today()),
        )
        .order_by(User.id)
    ).all()
    return [(user, mode or NewTicketMode.EACH) for user, mode in rows]


def queue_members(queue_id: int) -> list[User]:
    """Active staff of a queue."""
    return list(
        db.session.scalars(
            select(User)
            .join(QueueMembership, QueueMembership.user_id == User.id)
            .where(
                QueueMembership.queue_id == queue_id,
                User.is_active_account.is_(True),
                User.role != Role.REQUESTER,
            )
        )
    )


def _leads(ticket: Ticket, queue_id: int | None = None) -> list[User]:
    from desk.sla.services import queue_leads

    return queue_leads(ticket, queue_id)


def _no_autoflush(subscriber: Callable[..., Any]) -> Callable[..., Any]:
    """Subscribers only read: never flush the sender's half-built changes from inside it."""

    @functools.wraps(subscriber)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with db.session.no_autoflush:
            return subscriber(*args, **kwargs)

    return wrapper


def _actor_name(actor: User | None) -> str:
    return actor.display_name if actor is not None else ""


def _by(actor: User | None) -> dict[str, Any]:
    """Who acted: their name for the e-mail (sent within seconds), and their id, by which the
    bell names them as they are called when it is read (desk.notifications.bell)."""
    return {"by": _actor_name(actor), **({"by_id": actor.id} if actor is not None else {})}


def new_ticket_modes(user_ids: Iterable[int]) -> dict[int, NewTicketMode]:
    """Each user's choice for new tickets (no row: each ticket)."""
    ids = set(user_ids)
    if not ids:
        return {}
    stored = dict(
        db.session.execute(
            select(NewTicketPreference.user_id, NewTicketPreference.mode).where(
                NewTicketPreference.user_id.in_(ids)
            )
        ).all()
    )
    return {i: stored.get(i, NewTicketMode.EACH) for i in ids}


# Built once: a new ticket runs it on every submission (no per-call construction).
_MEMBERS_AND_CHOICES = (
    columns_of(User)
    .add_columns(
        NewTicketPreference.mode,
        NotificationPreference.email_enabled,
        Absence.user_id.label("away"),
    )
    .join(QueueMembership, QueueMembership.user_id == User.id)
    .outerjoin(NewTicketPreference, NewTicketPreference.user_id == User.id)
    .outerjoin(
        NotificationPreference,
        (NotificationPreference.user_id == User.id)
        & (NotificationPreference.event == inline(E.NEW_TICKET)),
    )
    .outerjoin(
        Absence,
        (Absence.user_id == User.id)
        & (Absence.starts_on <= bindparam("today"))
        & (Absence.ends_on >= bindparam("today")),
    )
    .where(
        QueueMembership.queue_id == bindparam("queue_id"),
        User.is_active_account.is_(True),
        User.role != Role.REQUESTER,
    )
)


def _members_and_choices(queue_id: int) -> list[tuple[User, NewTicketMode, bool, bool]]:
    """Active staff of a queue with their choice for new tickets, whether they take
    new-ticket e-mails now (not switched off, not away) and whether they are away, in one
    query (the outbox then need not read it)."""
    session = db.session()
    params = {"queue_id": queue_id, "today": local_today()}
    rows = session.connection().execute(_MEMBERS_AND_CHOICES, params)
    return [
        (
            attach_row(session, User, row),
            row.mode or NewTicketMode.EACH,
            row.email_enabled is not False and row.away is None,
            row.away is not None,
        )
        for row in rows
    ]


def _tell_watchers(
    ticket: Ticket, event: NotificationEvent, actor: User | None, **options: Any
) -> None:
    """The people in copy hear it in their own words (for someone else's request)."""
    from desk.watchers.services import active_watchers

    for user in active_watchers(ticket):
        if actor is None or user.id != actor.id:
            notify(ticket, user, event, role="watcher", **options)


def _staff_handling(ticket: Ticket) -> list[User]:
    """Who answers for a ticket now: its assignee, else (nobody, or someone who may no longer
    hold it: an account deactivated, a technician who left the queue) its queue's members;
    an assignee who is away (desk.absences) and the queue's members together."""
    assignee = ticket.assignee if ticket.assignee_id else None
    if not is_eligible_assignee(assignee, ticket.queue_id):
        return queue_members(ticket.queue_id)
    return [assignee, *_covering(ticket)]


def _covering(ticket: Ticket) -> list[User]:
    """The queue's members when the ticket's assignee is away, so that someone present hears
    what they would have; nobody otherwise."""
    if ticket.assignee_id is None or not away_until([ticket.assignee_id]):
        return []
    return queue_members(ticket.queue_id)


@ticket_created.connect
@_no_autoflush
def _on_created(
    ticket: Ticket,
    actor: User | None = None,
    acknowledge: bool = True,
    answers: dict[str, Any] | None = None,
    **_: Any,
) -> None:
    # Filed by staff at the phone or the counter: the requester learns who wrote it down.
    by = actor is not None and actor.id != ticket.requester.id
    data: dict[str, Any] = {"by": actor.display_name} if by else {}
    if ticket.request_type is not None and ticket.request_type.form_key == EMAIL_FORM:
        data["by_email"] = True  # its acknowledgement answers that e-mail (RFC 3834)
    if answers:
        data["answers"] = answers  # in its thread (desk.notifications.mailer.thread_headers)
    if acknowledge:
        notify(ticket, ticket.requester, E.SUBMITTED, data=data, key="submitted")
    queue_id = ticket.queue.id if ticket.queue is not None else ticket.queue_id
    news = {"requester": ticket.requester.display_name if ticket.requester else ""}
    members = _members_and_choices(queue_id)
    for member, mode, mails, _away in members:
        if (actor is not None and member.id == actor.id) or mode is NewTicketMode.NONE:
            continue
        # Digest subscribers get the bell now and the e-mail in the next digest. A ticket
        # filed at night waits for the queue's business hours before it e-mails anyone.
        notify(
            ticket,
            member,
            E.NEW_TICKET,
            data=news,
            key="new_ticket",
            quiet_hours=True,
            email=mode is NewTicketMode.EACH and mails,
            choice_read=True,
        )
    if all(away or _is(actor, member.id) for member, *_, away in members):
        # Nobody of the queue is here to see it (all away but the one who filed it, or no
        # active member).
        told = [member.id for member, *_ in members]
        _tell_admins(
            ticket, told, E.NEW_TICKET, actor, data=news, key="new_ticket", quiet_hours=True
        )


@ticket_changed.connect
@_no_autoflush
def _on_changed(
    ticket: Ticket,
    actor: User | None = None,
    changes: dict[str, tuple[Any, Any]] | None = None,
    note: str = "",
    **_: Any,
) -> None:
    changes = changes or {}
    if "released" in changes:
        _on_released(ticket, actor, *changes["released"], note=note)
    if "queue_id" in changes and changes["queue_id"][1] is not None:
        data = _by(actor)
        former = None
        if "assignee_id" in changes and changes["assignee_id"][1] is None:
            # It left its technician's hands with the transfer: the new queue must know that
            # nobody holds it now, and who did.
            former = db.session.get(User, changes["assignee_id"][0])
            data["former"] = former.display_name if former is not None else ""
            data["former_id"] = changes["assignee_id"][0]
        members = queue_members(changes["queue_id"][1])
        _tell_queue_staff(ticket, members, E.TRANSFERRED, actor, data=data)
        # And the technician it was taken from (the new queue is not theirs) hears where it
        # went, from whom and why: it no longer shows in their queues, and without a word
        # they would look for it, or believe someone still waits for them on it.
        taken = {**_by(actor), "reason": (note or "")[:BODY_LIMIT]}
        if note:  # typed in a language the reader may not read pages in (RGAA 8.7)
            taken["lang"] = typed_language(note)
        tell_staff(ticket, [former], E.TRANSFERRED_AWAY, actor, data=taken)
        _hand_held_deadlines_on_move(ticket, changes, members)
    if "assignee_id" in changes and changes["assignee_id"][1] is not None:
        former_id, assignee_id = changes["assignee_id"]
        assignee = db.session.get(User, assignee_id)
        tell_staff(ticket, [assignee], E.ASSIGNED, actor, data=_by(actor))
        _hand_held_deadlines(ticket, assignee)
        if former_id is not None:
            # Its former holder may be writing to the requester right now: they hear who has
            # it (not when they gave it away themselves: `tell_staff` skips the actor).
            taken = {
                **_by(actor),
                "assignee": assignee.display_name if assignee is not None else "",
                "assignee_id": assignee_id,
                "claimed": actor is not None and actor.id == assignee_id,
            }
            tell_staff(ticket, [db.session.get(User, former_id)], E.TAKEN_OVER, actor, data=taken)
    if "status" in changes:
        old, new = (Status(v) if v is not None else None for v in changes["status"])
        event = STATUS_EVENTS.get(new) if new else None
        data = {
            **_by(actor),
            "automatic": actor is None,
            "was_waiting": old is Status.WAITING_ON_REQUESTER,
        }
        if note and actor is not None:
            # The comment staff wrote for the requester with the change: it is the e-mail's
            # substance ("resolved by changing the wall socket"), not only the page's.
            data["note"] = note[:BODY_LIMIT]
            _mark_language(data)
        if new is Status.CANCELLED and "duplicate_of" in changes:
            # Closed as a repeat of another request: the requester learns where it goes on.
            event, data["duplicate_of"] = E.CLOSED, changes["duplicate_of"][1]
        elif new is Status.RESOLVED and "disruption_ended" in changes:
            # Resolved with the disruption it came from: the e-mail names it.
            data["disruption"] = _disruption_titles(changes["disruption_ended"][1])
        elif new is Status.CANCELLED and actor is not None and actor.id != ticket.requester_id:
            # Cancelled by the desk: the requester must not find out by chance.
            event, data["cancelled"] = E.CLOSED, True
        if event is not None:
            _tell(ticket, [ticket.requester], event, actor, data=data)
            _tell_watchers(ticket, event, actor, data=data)
        # Withdrawn by its requester: whoever holds it may be on their way to it. Nobody
        # holds a new one: it only leaves the queue's lists (a held e-mail of it is withdrawn,
        # desk.notifications.delivery).
        withdrawn_by_requester = actor is not None and actor.id == ticket.requester_id
        if new is Status.CANCELLED and withdrawn_by_requester and ticket.assignee_id is not None:
            withdrawn = {**_by(actor), "note": (note or "")[:BODY_LIMIT]}
            tell_staff(ticket, _staff_handling(ticket), E.CANCELLED, actor, data=withdrawn)
        elif new in FINISHED_STATUSES and not withdrawn_by_requester:
            _tell_holder_finished(ticket, actor, new, data)
        if new is Status.REOPENED:
            # What is still wrong, in the requester's words: the reason to open the e-mail.
            reopened = {**_by(actor), "note": (note or "")[:BODY_LIMIT]}
            _mark_language(reopened)
            if actor is not None and actor.id != ticket.requester_id:
                reopened["by_staff"] = True  # not "Reopened by the requester": a colleague did
            _tell_queue_staff(ticket, _staff_handling(ticket), E.REOPENED, actor, data=reopened)


# The e-mails about a ticket's deadlines still waiting to be sent (held for the business hours).
_HELD_DEADLINES = select(Notification.payload).where(
    Notification.ticket_id == bindparam("ticket_id"),
    Notification.channel == inline(Channel.EMAIL),
    Notification.status == inline(DeliveryStatus.PENDING),
    Notification.event.in_([inline(E.SLA_WARNING), inline(E.SLA_BREACHED)]),
)
_DEADLINE_EVENTS = {E.SLA_WARNING.value, E.SLA_BREACHED.value}


def _hand_held_deadlines(ticket: Ticket, holder: User | None) -> None:
    """A ticket taken while a deadline warning or breach about it waits for the queue's
    business hours (written at night to those who answered for it then): its new holder gets
    it when the hours start, as if they had held it then, and in the bell now, as they did.
    The former holder's is withdrawn at that time (delivery.stale_reason); one its new holder
    has already (a member told while nobody held it, a lead) is not written again: it has
    the same dedupe key, the (ticket, reader, deadline) of `_on_sla`."""
    if holder is None or ticket.id is None:
        return
    held = _held_deadlines(ticket)
    if held:
        _write_held_deadlines(ticket, held, [holder], holder.id)


def _hand_held_deadlines_on_move(
    ticket: Ticket, changes: dict[str, tuple[Any, Any]], members: list[User]
) -> None:
    """A ticket moved to another queue while a deadline warning or breach about it waits for
    the first queue's business hours: those e-mails are withdrawn then (its readers no longer
    answer for it, `delivery.stale_reason`), so the sweep's news, recorded once, reached
    nobody. Those who answer for it in its new queue (`members`) get it instead, as `_on_sla`
    would have told them (its holder, else or while the holder is away the queue's members,
    and the queue's leads), held for the new queue's own business hours: at once on a queue
    open round the clock. One who had it already (in both queues) is not written to again:
    the same dedupe key, and their first e-mail is still theirs to get.

    The held e-mails are looked for first: almost no move has any, and a bulk transfer of
    hundreds of tickets read each one's members, leads (and holder's absences) for nothing."""
    if ticket.id is None:
        return
    held = _held_deadlines(ticket)
    if not held:
        return
    queue_id = changes["queue_id"][1]
    # The relationship was set, its column not flushed yet: the changes say where it goes.
    holder_id = changes["assignee_id"][1] if "assignee_id" in changes else ticket.assignee_id
    holder = db.session.get(User, holder_id) if holder_id else None
    if holder is None or not is_eligible_assignee(holder, queue_id):
        holder, handling = None, members
    elif away_until([holder.id]):
        handling = [holder, *members]
    else:
        handling = [holder]
    readers = {u.id: u for u in [*handling, *_leads(ticket, queue_id)]}
    _write_held_deadlines(
        ticket, held, list(readers.values()), holder.id if holder else None, admins_if_nobody=True
    )


def _held_deadlines(ticket: Ticket) -> dict[str, list[dict[str, Any]]]:
    """The pending held deadline e-mails of `ticket`, as their items by cause (one statement)."""
    held: dict[str, list[dict[str, Any]]] = {}
    for payload in db.session.scalars(_HELD_DEADLINES, {"ticket_id": ticket.id}):
        items = [i for i in payload.get("events") or [] if i.get("event") in _DEADLINE_EVENTS]
        if payload.get("deferred") and items:
            held.setdefault("+".join(sorted(_deadline_key(i) for i in items)), items)
    return held


def _write_held_deadlines(
    ticket: Ticket,
    held: dict[str, list[dict[str, Any]]],
    readers: list[User],
    holder_id: int | None,
    *,
    admins_if_nobody: bool = False,
    at_once: bool = False,
) -> None:
    """The `held` deadline e-mails of `ticket` (`_held_deadlines`), written again for `readers`
    (bell now, e-mail at the business hours of the ticket's queue, or now with `at_once`: the
    hours have come), each under its stable key.
    With `admins_if_nobody`, when none of them is present (all away, or nobody), the present
    admins too, as `_on_sla` tells them (`_tell_admins`): the first queue's e-mails are
    withdrawn, and the news would otherwise reach nobody by e-mail."""
    away = away_until([reader.id for reader in readers])
    told: list[tuple[User, dict[str, Any]]] = [(reader, {}) for reader in readers]
    if admins_if_nobody and all(reader.id in away for reader in readers):
        known = {reader.id for reader in readers}
        told += [(a, {"unattended": True}) for a, _mode in _present_admins() if a.id not in known]
    for reader, extra in told:
        for cause, items in held.items():
            for item in items:
                data = {k: v for k, v in item.items() if k not in ("event", "unattended")}
                data["holder_id"] = holder_id  # withdrawn in turn if it changes hands again
                data.update(extra)
                notify(
                    ticket,
                    reader,
                    E(item["event"]),
                    data=data,
                    key=_deadline_key(item),
                    quiet_hours=not at_once,
                    email=reader.id not in away,
                    apart=cause,
                )


def _deadline_key(item: dict[str, Any]) -> str:
    """The stable cause `_on_sla` gave a deadline's news."""
    return f"{item['event']}:{item.get('kind')}:{item.get('due_at')}"


def hand_deadline_of_absent_holder(
    ticket_id: int, reader_id: int, items: list[dict[str, Any]]
) -> None:
    """A deadline warning or breach held for the business hours, written to the ticket's
    holder, withdrawn for them when the hours came (`delivery.stale_reason`: away from that
    morning, account deactivated, or out of the queue overnight): the sweep's news, recorded
    once, would reach only the leads. It goes to those the sweep tells while nobody present
    holds a ticket (`_on_sla`): the queue's members (away ones in the bell only) and leads,
    or the present admins, marked unattended, when none of them is here. Under the same
    dedupe keys: a lead, or a member told at night, gets no second one. Not when the ticket
    is someone else's now (`_hand_held_deadlines` gave it to them). Commits."""
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or ticket.status in FINISHED_STATUSES:
        return
    holder = ticket.assignee if ticket.assignee_id not in (None, reader_id) else None
    if holder is not None and is_eligible_assignee(holder, ticket.queue_id):
        return
    readers = {u.id: u for u in [*queue_members(ticket.queue_id), *_leads(ticket)]}
    readers.pop(reader_id, None)
    cause = "+".join(sorted(_deadline_key(i) for i in items))
    # Sent now, as the holder's would have been: its hours came (not held again, should the
    # drain run after they closed).
    _write_held_deadlines(
        ticket,
        {cause: items},
        list(readers.values()),
        ticket.assignee_id,
        admins_if_nobody=True,
        at_once=True,
    )
    db.session.commit()


def _tell_holder_finished(
    ticket: Ticket, actor: User | None, new: Status, data: dict[str, Any]
) -> None:
    """A colleague resolved, closed or cancelled (also as a duplicate) a ticket someone else
    holds: its holder may be on their way to it or writing to its requester, and hears who
    finished it, how, and the word they wrote for the requester. Not the system's closes (a
    resolved ticket closed at the end of its window, or one left waiting without an answer:
    its holder resolved it or heard it resolved, or set it waiting knowing the rule), and
    not the requester's own cancellation (E.CANCELLED tells it)."""
    holder = ticket.assignee if ticket.assignee_id is not None else None
    if actor is None or holder is None or _is(actor, holder.id):
        return
    finished = {"by": data["by"], "by_id": actor.id, "status": new.value}
    # "disruption": resolved as the disruption it came from ended (desk.status), named.
    for key in ("note", "lang", "duplicate_of", "disruption"):
        if key in data:
            finished[key] = data[key]
    tell_staff(ticket, [holder], E.FINISHED, actor, data=finished)


def _on_released(
    ticket: Ticket, actor: User | None, former_id: int | None, reason: str, *, note: str
) -> None:
    """A ticket back in its queue without a technician: its queue's members hear it, and
    the technician it was with, when a colleague put it back, hears that it is no longer
    theirs, under a switch of their own (they may turn off news of tickets given back)."""
    former = db.session.get(User, former_id) if former_id else None
    note = (note or "")[:BODY_LIMIT]
    data = {
        **_by(actor),
        "reason": reason,
        "former": former.display_name if former is not None else "",
        "former_id": former_id,
        "note": note,
    }
    members = queue_members(ticket.queue_id)
    told = [m.id for m in members]
    former_heard = False
    if former is not None and reason == "left" and _lost_by_leaving(ticket, former):
        # Taken from them by their leaving the queue (an admin, or the directory's groups):
        # they may be writing to its requester, and find it gone from their lists. Told as
        # taken over, under that switch; the queue hears it as before (they are not in it).
        # One e-mail when they lose several at once (`bundle`): the admin or the directory
        # took them out of the queue with twenty tickets in hand; each keeps its bell entry.
        left: dict[str, Any] = {"left": True}
        if ticket.requester_id == former.id or is_watching(former, ticket):
            left["followed"] = True  # its requester's page is still theirs to open
        tell_staff(ticket, [former], E.TAKEN_OVER, actor, data=left, bundle=RELEASED)
    if former is not None and reason == "given_back" and not _is(actor, former.id):
        taken = {**_by(actor), "returned": True, "note": note}
        unheard = tell_staff(ticket, [former], E.TAKEN_OVER, actor, data=taken)
        # A member here who heard it counts, as for any news of the queue (`_tell_queue_staff`).
        former_heard = not unheard and former.id in told
        members = [m for m in members if m.id != former.id]
        told.append(former.id)
    # A technician who leaves the queue (or goes away, or whose account goes) with twenty
    # tickets in hand: the queue hears of them in one e-mail, each ticket keeping its bell
    # entry (as the technician's own `RELEASED`).
    bundle = {"bundle": BACK_IN_QUEUE} if reason in _RELEASED_AT_ONCE else {}
    nobody = tell_staff(ticket, members, E.RETURNED, actor, data=data, **bundle)
    if nobody and not former_heard and not _held_by(ticket, actor):
        _tell_admins(ticket, told, E.RETURNED, actor, data=data, **bundle)


def _lost_by_leaving(ticket: Ticket, former: User) -> bool:
    """Whether a technician released from `ticket` by leaving its queue lost work in hand:
    not a finished ticket going back to the queue as it is reopened (they finished it long
    ago, `return_if_holder_gone`), nor one whose holder is no longer staff (made a
    requester: the staff's pages and words are no longer theirs; a deactivated account is
    told nothing anyway)."""
    return ticket.status not in FINISHED_STATUSES and former.role is not Role.REQUESTER


def _disruption_titles(disruption_id: int | None) -> dict[str, str]:
    from desk.status.models import Disruption

    disruption = db.session.get(Disruption, disruption_id) if disruption_id else None
    if disruption is None:
        return {"fr": "", "en": ""}
    return {"fr": disruption.title_fr, "en": disruption.title_en}


def _message_data(event: TicketEvent, actor: User | None) -> dict[str, Any]:
    """Who wrote and what, with the language it is in when known (marked in the mail)."""
    data = {**_by(actor), "body": (event.body or "")[:BODY_LIMIT]}
    if event.language:
        data["lang"] = event.language
    return data


def _mark_language(data: dict[str, Any]) -> None:
    """A note typed with a change is in the language it is being written in."""
    language = typed_language(data.get("note"))
    if language:
        data["lang"] = language


@ticket_replied.connect
@_no_autoflush
def _on_replied(
    ticket: Ticket, actor: User | None = None, event: TicketEvent | None = None, **_: Any
) -> None:
    if event is None:
        return
    if event.is_internal:
        # Internal notes reach nobody but the colleagues their writer asked to read them.
        if event.kind is EventKind.NOTE and event.new_value:
            ids = [int(i) for i in event.new_value.split(",") if i.isdigit()]
            told = db.session.scalars(select(User).where(User.id.in_(ids))).all()
            data = _message_data(event, actor)
            tell_staff(ticket, told, E.NOTED, actor, data=data)
        return
    data = _message_data(event, actor)
    if event.kind is EventKind.COMMENT and actor is not None and actor.id != ticket.requester_id:
        data["in_copy"] = True  # written by someone in copy (desk.watchers), not the requester
    if event.kind is EventKind.REPLY:
        _tell(ticket, [ticket.requester], E.REPLIED, actor, data=data)
        _tell_watchers(ticket, E.REPLIED, actor, data=data)
    elif event.kind is EventKind.COMMENT:
        _tell_queue_staff(ticket, _staff_handling(ticket), E.COMMENTED, actor, data=data)
        # The requester and those in copy hear of each other's messages.
        _tell(ticket, [ticket.requester], E.COMMENTED, actor, data=data)
        _tell_watchers(ticket, E.COMMENTED, actor, data=data)


def _sla_deadline(ticket: Ticket, kind: str) -> str | None:
    deadline = (
        ticket.first_response_due_at
        if kind.startswith("first_response")
        else ticket.resolution_due_at
    )
    return deadline.isoformat() if deadline else None


def _on_sla(
    ticket: Ticket,
    event: NotificationEvent,
    kind: Any,
    due_at: Any,
    raised: bool = False,
    also: Iterable[tuple[Any, Any]] = (),
) -> list[str]:
    """Tell of a crossed SLA threshold; returns whom it reaches by e-mail, by role
    (desk.notifications.alerted), for the breach's line in the timeline."""
    kind = str(getattr(kind, "value", kind))
    # Those who answer for it (the queue's members while nobody holds it: an unassigned
    # ticket about to miss its first answer is theirs to take) and the queue's leads.
    handling, leads = _staff_handling(ticket), _leads(ticket)
    recipients = [*handling, *leads]
    data = {
        "kind": kind,
        "due_at": due_at.isoformat(),
        "deadline": _sla_deadline(ticket, kind),
        # Who held it when this was written: an e-mail held for the business hours is
        # withdrawn if it changed hands by then (desk.notifications.delivery.stale_reason).
        "holder_id": ticket.assignee_id,
    }
    for other, other_due in also:
        # The other deadline crossed at the same time (the sweep sends both in one signal):
        # one message names both, where two came, the second saying the priority rose again.
        other = str(getattr(other, "value", other))
        data.update(
            also_kind=other,
            also_due_at=other_due.isoformat(),
            also_deadline=_sla_deadline(ticket, other),
        )
    if event is E.SLA_BREACHED:
        data["raised"] = raised  # the mail says the priority rose only when it did
    key = f"{event.value}:{kind}:{due_at.isoformat()}"
    admins = _tell_queue_staff(
        ticket, recipients, event, None, data=data, key=key, quiet_hours=True
    )
    if event is not E.SLA_BREACHED:
        return []  # only a breach's line says whom it reached
    return mailed_roles(ticket, event, handling, leads, admins)


def _connect_sla_signals() -> None:
    try:
        from desk.sla.signals import sla_breached, sla_warning
    except ImportError:  # SLA feature absent: nothing to listen to
        return
    sla_warning.connect(_on_sla_warning)
    sla_breached.connect(_on_sla_breached)


@_no_autoflush
def _on_sla_warning(
    ticket: Ticket, kind: Any = None, due_at: Any = None, also: Any = (), **_: Any
) -> None:
    _on_sla(ticket, E.SLA_WARNING, kind, due_at, also=also)


@_no_autoflush
def _on_sla_breached(
    ticket: Ticket,
    kind: Any = None,
    due_at: Any = None,
    raised: bool = True,
    also: Any = (),
    **_: Any,
) -> list[str]:
    return _on_sla(ticket, E.SLA_BREACHED, kind, due_at, raised, also=also)


_connect_sla_signals()


# -- in-app notifications ------------------------------------------------------------------


def _inbox(user: User):
    return (Notification.recipient_id == user.id) & (Notification.channel == inline(Channel.INAPP))


# Built once: the bell runs it on every page (a statement built per call was a tenth of a
# queue page's CPU); a Core statement, the count being a plain number.
_UNREAD_COUNT = (
    select(func.count())
    .select_from(Notification)
    .where(
        Notification.recipient_id == bindparam("user_id"),
        Notification.channel == inline(Channel.INAPP),
        Notification.read_at.is_(None),
    )
)


# The bell is on every page: its count is read with the signed-in user, in the same round
# trip (desk.auth.sessions.read_with_user), and used unless this request has written since.
_UNREAD = "unread_notifications"
_WRITTEN = "desk.session_written"  # in the request's environ, as the count is
read_with_user(
    _UNREAD,
    select(func.count())
    .select_from(Notification)
    .where(
        Notification.recipient_id == User.__table__.c.id,
        Notification.channel == inline(Channel.INAPP),
        Notification.read_at.is_(None),
    )
    .scalar_subquery(),
)


@sa_event.listens_for(Session, "after_flush")
@sa_event.listens_for(Session, "after_commit")
def _note_writes(*_args) -> None:
    # A flush or a commit in this request (the outbox writes at the commit; a mark-read
    # commits) may have changed the inbox: the count read with the user is stale from then on.
    # A Session event, not an Engine one: those would be dispatched at every statement.
    if has_request_context():
        request.environ[_WRITTEN] = True


def unread_count(user: User) -> int:
    """Unread in-app notifications of `user`: as read with the signed-in user if this
    request has written nothing since, else one indexed COUNT."""
    session = db.session()
    known = preloaded(_UNREAD, user)
    untouched = not (session.new or session.dirty or session.deleted)
    if known is not None and untouched and not request.environ.get(_WRITTEN):
        return int(known)
    session.flush()  # as the ORM's autoflush would: this request's own reads count
    return session.connection().execute(_UNREAD_COUNT, {"user_id": user.id}).scalar() or 0


def inbox_query(user: User):
    """`user`'s in-app notifications (the list view pages them newest first)."""
    return select(Notification).where(_inbox(user))


def mark_ticket_seen(user: User, ticket_id: int) -> int:
    """`user` is reading the ticket's page: their unread in-app notifications about it are
    read, so that the bell counts what they have not seen (a ticket taken from the queue's
    list, or opened from an e-mail, left its bell entries unread for good). Returns how
    many; with none unread (the count read with the user), nothing is sent to the database.
    The caller commits."""
    known = preloaded(_UNREAD, user)
    if known is not None and not known and not request.environ.get(_WRITTEN):
        return 0
    query = update(Notification).where(
        _inbox(user), Notification.read_at.is_(None), Notification.ticket_id == ticket_id
    )
    return db.session.execute(query.values(read_at=utcnow())).rowcount


def mark_read(user: User, notification_id: int | None = None) -> int:
    """Mark one (or, without an id, every) unread in-app notification of `user` as read."""
    query = update(Notification).where(_inbox(user), Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    count = db.session.execute(query.values(read_at=utcnow())).rowcount
    db.session.commit()
    return count


# -- preferences ---------------------------------------------------------------------------


def email_preferences(user: User) -> dict[NotificationEvent, bool]:
    """Every event → whether `user` receives it by e-mail (mandatory ones always True)."""
    stored = dict(
        db.session.execute(
            select(NotificationPreference.event, NotificationPreference.email_enabled).where(
                NotificationPreference.user_id == user.id
            )
        ).all()
    )
    return {e: e in MANDATORY_EVENTS or stored.get(e, True) for e in NotificationEvent}


def set_email_preferences(
    user: User,
    enabled: set[NotificationEvent],
    *,
    actor: User,
    offered: Iterable[NotificationEvent] | None = None,
) -> None:
    """Store `user`'s e-mail choices; mandatory events are always on, whatever was sent.

    `offered`: the switches the page showed (None: every event). The others keep their
    stored choice: the page has none for new tickets (their mode says it) nor, for a
    requester, for the staff's events, and saving it must not turn those off."""
    current = {
        p.event: p
        for p in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    events = NotificationEvent if offered is None else set(offered)
    for event in events:
        if event in MANDATORY_EVENTS:
            if event in current:
                db.session.delete(current[event])
            continue
        pref = current.get(event) or NotificationPreference(user_id=user.id, event=event)
        pref.email_enabled = event in enabled
        db.session.add(pref)
    db.session.commit()


# -- administration ------------------------------------------------------------------------


def failed_query():
    """E-mails given up on (the admins' list pages them newest first)."""
    return select(Notification).where(
        Notification.status == inline(DeliveryStatus.FAILED),
        Notification.channel == Channel.EMAIL,
    )


def retry_failed(notification_id: int, *, actor: User) -> bool:
    """Give a failed e-mail a fresh set of attempts and send it again after commit.

    The address and language are read again from the account: the usual fix for a bad
    address is to correct the account, then retry.
    """
    row = db.session.get(Notification, notification_id, with_for_update=True)
    if row is None or row.status is not DeliveryStatus.FAILED or row.channel is not Channel.EMAIL:
        return False
    recipient = row.recipient
    # The request's language still counts for its requester (the snapshot keeps it).
    filed_in = row.payload.get("ticket", {}).get("language")
    row.payload = {
        **{k: v for k, v in row.payload.items() if k != "bounce"},
        "to": recipient.email,
        "locale": written_language(
            recipient, filed_in=filed_in if row.payload.get("role") == "requester" else None
        ),
    }
    row.status, row.attempts, row.next_attempt_at, row.claimed_at = (
        DeliveryStatus.PENDING,
        0,
        utcnow(),
        None,
    )
    schedule_delivery([row.id])
    db.session.commit()
    return True


def set_new_ticket_mode(user: User, mode: NewTicketMode, *, actor: User) -> None:
    """Store how `user` hears of new tickets; choosing the digest starts it from now."""
    pref = db.session.get(NewTicketPreference, user.id)
    if pref is None:
        pref = NewTicketPreference(user_id=user.id, mode=NewTicketMode.EACH)
        db.session.add(pref)
    if mode is NewTicketMode.DIGEST and pref.mode is not NewTicketMode.DIGEST:
        pref.digest_since = utcnow()
    pref.mode = mode
    db.session.commit()
