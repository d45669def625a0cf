"""Ticket creation (reference, routing, idempotency) and the requester's actions."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from desk.auth.models import User
from desk.catalog.models import RequestType, TicketKind
from desk.catalog.services import route
from desk.core.db import utcnow
from desk.core.i18n import lazy_gettext as _l
from desk.core.i18n import typed_language
from desk.core.persist import insert_row
from desk.core.transactions import commit_keeping_state
from desk.extensions import db
from desk.reference.models import Queue
from desk.search.indexing import note_created
from desk.tickets.access import is_watching
from desk.tickets.actions import return_if_holder_gone
from desk.tickets.attachments import CheckedUpload, add_attachment
from desk.tickets.history import apply_status, is_reopening, repeated_message
from desk.tickets.models import (
    OPEN_STATUSES,
    EventKind,
    Intake,
    Status,
    Ticket,
    TicketCounter,
    TicketEvent,
)
from desk.tickets.signals import ticket_created, ticket_replied
from desk.tickets.workflow import Actor, TransitionError

PREFIXES = {TicketKind.REQUEST: "DEM", TicketKind.INCIDENT: "INC"}


@dataclass
class NewTicket:
    """What a validated catalogue form produces."""

    request_type: RequestType
    requester: User
    subject: str
    data: dict[str, Any]
    site_id: int | None = None
    building_id: int | None = None
    floor_id: int | None = None
    uploads: list[CheckedUpload] = field(default_factory=list)
    token: str | None = None
    # The language of the page the form was sent from (else the requester's own).
    language: str | None = None
    # A queue chosen by the channel (a queue's own e-mail address), instead of routing.
    queue: Queue | None = None
    # How the request reached the staff member who files it for the requester.
    received: Intake | None = None
    # False: no acknowledgement e-mail (a sender whose robot answers each one, a mail loop).
    acknowledge: bool = True
    # The e-mail it was sent as (its Message-ID and References, desk.inbound), which the
    # acknowledgement and every later e-mail of the ticket answer in its sender's thread.
    answers: dict[str, Any] | None = None


def idempotency_key(user: User, token: str | None) -> str | None:
    """The stored key of a form token; scoped to the user so tokens never collide."""
    if not token:
        return None
    return hashlib.sha256(f"{user.id}:{token}".encode()).hexdigest()


def find_by_token(user: User, token: str | None) -> Ticket | None:
    """The ticket already created from this form token by this user, if any."""
    key = idempotency_key(user, token)
    if key is None:
        return None
    return db.session.scalar(
        select(Ticket).where(Ticket.idempotency_key == key, Ticket.requester_id == user.id)
    )


def reference_year(at: dt.datetime) -> int:
    """The year of a reference: the users' calendar year, not UTC's."""
    from zoneinfo import ZoneInfo

    return at.astimezone(ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])).year


def _counter_upsert(insert: Any) -> Any:
    # On the table, not the entity: a Core statement skips the ORM's bulk-insert machinery
    # (a tenth of a submission's CPU, measured with bench/submit.py --profile).
    counter = TicketCounter.__table__
    return (
        insert(counter)
        .values(kind=bindparam("kind"), year=bindparam("year"), value=1)
        .on_conflict_do_update(
            index_elements=[counter.c.kind, counter.c.year],
            set_={"value": counter.c.value + 1},
        )
        .returning(counter.c.value)
    )


# Built once per dialect: run on every new ticket, with the counter row locked.
_NEXT_NUMBER = {"postgresql": _counter_upsert(pg_insert), "sqlite": _counter_upsert(sqlite_insert)}


def next_number(kind: TicketKind, year: int) -> int:
    """Bump and return the counter of (kind, year) in the current transaction.

    The upsert locks the counter row until commit, so concurrent creations queue up on it;
    a rolled-back creation rolls its number back too: no gaps and no duplicates.
    """
    connection = db.session.connection()
    statement = _NEXT_NUMBER[connection.dialect.name]
    return connection.execute(statement, {"kind": kind, "year": year}).scalar_one()


def format_reference(kind: TicketKind, year: int, number: int) -> str:
    return f"{PREFIXES[kind]}-{year}-{number:06d}"


def create_ticket(new: NewTicket, *, actor: User) -> tuple[Ticket, bool]:
    """Route, number and save a ticket with its CREATED event and attachments; commit.

    Returns (ticket, created). A second submission of the same form token returns the first
    ticket with created=False, also when both arrive at the same time: the unique key
    refuses the second INSERT, and its rollback takes its number back (no gap).

    The round trips are few and the numbering comes late: routing, the SLA policy and the
    calendar come from the process's copy; `ticket_created` is sent before the number is
    taken and the row inserted, so the due dates its subscribers set are inserted with the
    row (no UPDATE) and their queries run before the counter row is locked; the commit keeps
    what was written instead of reading it back.
    """
    key = idempotency_key(new.requester, new.token)
    request_type = new.request_type
    db.session.flush()  # the caller's pending changes (none on the web: no SQL), before ours
    queue = new.queue or route(request_type, site_id=new.site_id)
    now = utcnow()
    try:
        ticket = Ticket(
            kind=request_type.kind,
            request_type=request_type,
            domain_id=request_type.domain_id,
            category_id=request_type.category_id,
            queue=queue,
            requester=new.requester,
            subject=new.subject[:200],
            language=(new.language or new.requester.locale or None),
            status=Status.NEW,
            data=new.data,
            site_id=new.site_id,
            building_id=new.building_id,
            floor_id=new.floor_id,
            idempotency_key=key,
            created_at=now,
            updated_at=now,
            updated_by=actor,
        )
        if new.answers:  # only then: a page's INSERT keeps its shape (its cached statement)
            ticket.filed_by_mail = new.answers
        with db.session.no_autoflush:
            ticket_created.send(
                ticket, actor=actor, acknowledge=new.acknowledge, answers=new.answers
            )
        # The number last: its counter row stays locked until the commit, so everything
        # that can happen before it (routing, due dates, who to tell) has happened.
        year = reference_year(now)
        number = next_number(request_type.kind, year)
        ticket.reference = format_reference(request_type.kind, year, number)
        # Two rows whose every value is known: one INSERT each, not a unit-of-work flush.
        insert_row(db.session, ticket)
        event = TicketEvent(
            ticket_id=ticket.id, actor=actor, kind=EventKind.CREATED, created_at=now
        )
        if new.received:
            event.field, event.new_value = "intake", new.received.value
        insert_row(db.session, event)
        set_committed_value(event, "ticket", ticket)
        set_committed_value(ticket, "events", [event])
        note_created(db.session, ticket, event)
        for upload in new.uploads:
            add_attachment(ticket, event, actor, upload)  # bytes in the database: rolled back too
        commit_keeping_state()
    except IntegrityError:
        db.session.rollback()
        existing = find_by_token(new.requester, new.token)
        if existing is None:
            raise
        return existing, False
    except Exception:
        db.session.rollback()
        raise
    return ticket, True


# --------------------------------------------------------------------------------------
# The requester's actions
# --------------------------------------------------------------------------------------


class ActionRefused(Exception):
    """A requester action that is not possible now; `message` is shown to the user."""

    def __init__(self, message: object):
        super().__init__(str(message))
        self.message = message


def _check_requester(ticket: Ticket, user: User) -> None:
    if ticket.requester_id != user.id:
        raise ActionRefused(_l("Only the requester can do this."))


def _check_follower(ticket: Ticket, user: User) -> None:
    """Its requester, or someone in copy of it (desk.watchers): they write to it alike."""
    if ticket.requester_id != user.id and not is_watching(user, ticket):
        raise ActionRefused(_l("Only the requester and the people in copy can do this."))


def can_comment(ticket: Ticket) -> bool:
    return ticket.status in OPEN_STATUSES


def can_cancel(ticket: Ticket) -> bool:
    return ticket.status in OPEN_STATUSES


def can_reopen(ticket: Ticket, now: dt.datetime | None = None) -> bool:
    """Resolved, and within REOPEN_WINDOW_DAYS of the resolution."""
    if ticket.status is not Status.RESOLVED or ticket.resolved_at is None:
        return False
    if ticket.erased_at is not None:
        return False  # its content is gone (desk.privacy): a new request, not this one
    window = dt.timedelta(days=current_app.config["REOPEN_WINDOW_DAYS"])
    return (now or utcnow()) <= ticket.resolved_at + window


def add_requester_comment(
    ticket: Ticket,
    user: User,
    body: str,
    uploads: Sequence[CheckedUpload] = (),
    *,
    collapse_repeat: bool = False,
) -> TicketEvent:
    """A requester's comment and files (or one of someone in copy); it puts a ticket waiting
    on an answer back in progress.

    With `collapse_repeat`, the same text without files, right after the same requester's
    comment and within history.REPEAT_WINDOW, is that comment sent twice (a double click without
    JavaScript, a browser sending the form again): the first is returned, nothing is added,
    nobody is told twice. The caller holds the ticket's row lock, so two at once queue up.
    """
    _check_follower(ticket, user)
    if not can_comment(ticket):
        raise ActionRefused(_l("This ticket is closed: comments are no longer possible."))
    if collapse_repeat and not uploads:
        repeated = repeated_message(
            ticket.id, user, EventKind.COMMENT, body.strip(), or_reopening=True
        )
        if repeated is not None:
            db.session.commit()  # nothing written: ends the transaction and its row lock
            return repeated
    try:
        now = utcnow()
        event = _comment_event(ticket, user, body, now)
        for upload in uploads:
            add_attachment(ticket, event, user, upload)
        if ticket.status is Status.WAITING_ON_REQUESTER:
            apply_status(ticket, Status.IN_PROGRESS, user, Actor.REQUESTER, at=now)
        else:
            ticket.updated_at = now
            ticket.updated_by = user
        ticket_replied.send(ticket, actor=user, event=event)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return event


def answer_on_page(
    ticket: Ticket, user: User, body: str, uploads: Sequence[CheckedUpload] = ()
) -> bool:
    """A message from the request's page (`add_requester_comment`); True when it reopened
    the request instead. The comment box was shown while the request was open: if a
    technician resolved it while its requester wrote, the words are the requester's answer
    to that resolution, and within the reopening window they reopen it with those words
    and files, as the same answer by e-mail does (desk.inbound.appending), instead of being
    refused as if the request were closed. Commits."""
    words = body.strip()
    if not (
        ticket.status is Status.RESOLVED
        and ticket.requester_id == user.id
        and words
        and can_reopen(ticket)
    ):
        event = add_requester_comment(ticket, user, body, uploads, collapse_repeat=True)
        # The same words sent again (no JavaScript to stop a second click, a browser sending
        # the form again) after they reopened it: that reopening, said as the first time.
        return is_reopening(event)
    try:
        return_if_holder_gone(ticket)
        events = apply_status(ticket, Status.REOPENED, user, Actor.REQUESTER, note=words)
        for upload in uploads:
            add_attachment(ticket, events[-1], user, upload)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return True


def _comment_event(ticket: Ticket, user: User, body: str, now: dt.datetime) -> TicketEvent:
    """The COMMENT event of a requester's (or someone in copy's) words, flushed for its id."""
    event = TicketEvent(
        ticket=ticket,
        actor=user,
        kind=EventKind.COMMENT,
        body=body.strip(),
        language=typed_language(body),
        created_at=now,
    )
    db.session.add(event)
    db.session.flush()
    return event


def add_thanks(ticket: Ticket, user: User, body: str) -> TicketEvent:
    """A thank-you of its requester (or of someone in copy) for a resolved ticket, by e-mail
    (desk.inbound.thanks): kept in its history and passed on to whoever handled it; the
    ticket stays resolved, its clocks and dates untouched."""
    _check_follower(ticket, user)
    if ticket.status is not Status.RESOLVED or ticket.erased_at is not None:
        raise ActionRefused(_l("This ticket is closed: comments are no longer possible."))
    try:
        event = _comment_event(ticket, user, body, utcnow())
        ticket_replied.send(ticket, actor=user, event=event)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return event


def _requester_status(ticket: Ticket, user: User, target: Status, note: str) -> None:
    _check_requester(ticket, user)
    try:
        if target is Status.REOPENED:
            return_if_holder_gone(ticket)
        apply_status(ticket, target, user, Actor.REQUESTER, note=note.strip())
    except TransitionError as exc:
        db.session.rollback()
        raise ActionRefused(exc.message) from None
    db.session.commit()


def cancel_ticket(ticket: Ticket, user: User, *, reason: str = "") -> None:
    """The requester withdraws a ticket that is not resolved yet. Commits."""
    if not can_cancel(ticket):
        raise ActionRefused(_l("Only a ticket that is still open can be cancelled."))
    _requester_status(ticket, user, Status.CANCELLED, reason)


def reopen_ticket(ticket: Ticket, user: User, *, reason: str) -> None:
    """The requester reopens a resolved ticket within the reopening window. Commits. The
    same reopening sent again (a second click, a resend) is the first: nothing added."""
    if ticket.status is Status.REOPENED:
        same = repeated_message(
            ticket.id, user, EventKind.COMMENT, reason.strip(), or_reopening=True
        )
        if same is not None and is_reopening(same):
            db.session.commit()  # nothing written: ends the transaction and its row lock
            return
    if not can_reopen(ticket):
        raise ActionRefused(
            _l(
                "This ticket can only be reopened within %(days)d days of its resolution.",
                days=current_app.config["REOPEN_WINDOW_DAYS"],
            )
        )
    if not reason.strip():
        raise ActionRefused(_l("Say why the problem is not solved."))
    _requester_status(ticket, user, Status.REOPENED, reason)
