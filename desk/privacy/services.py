"""Erasing personal data (RGPD/GDPR art. 5(1)(e) and 17): a ticket's content, an account.

What people wrote in a finished ticket is kept `TICKET_RETENTION_DAYS` after its last change,
then erased: the typed part of its subject, the form, every message, note and file, the
e-mails and received messages about it, the people in copy, the rating's comment. What counts
and measures the desk stays (reference, request type, queue, dates, statuses, SLA, score), so
reports over past years still add up; the ticket then says when its content was erased.

An account deactivated `ACCOUNT_RETENTION_DAYS` ago (someone who left: the directory sync or
an administrator ended it) is anonymised: name, address, phone, place, directory link, sign-in
records and the messages it was sent go; its tickets and counts stay, tied to nobody.

`desk.privacy.sweep` finds what is due and erases it in batches; an administrator erases a
person at their request at once (`erase_person`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select, update

from desk.auth.models import User
from desk.catalog.models import RequestType
from desk.core.db import utcnow
from desk.core.i18n import lazy_gettext as _l
from desk.core.logs import audit
from desk.extensions import db
from desk.followups.models import FollowUp
from desk.identity.models import CasSession, DirectoryConflict, DirectoryLink
from desk.inbound.models import InboundMessage
from desk.notifications.models import DeliveryStatus, Notification
from desk.satisfaction.models import Rating
from desk.search.indexing import mark_for_reindex
from desk.tickets.models import (
    FINISHED_STATUSES,
    OPEN_STATUSES,
    Attachment,
    AttachmentContent,
    EventKind,
    Ticket,
    TicketEvent,
    status_in,
)
from desk.watchers.models import TicketWatcher

ERASED_NAME = "—"  # no words: it reads the same in every language (pages say what happened)
# History lines whose values are codes and ids (statuses, queues, staff), not what a person
# typed: they stay, so that the ticket still tells how it was handled.
_CODED_FIELDS = (
    "status",
    "priority",
    "queue_id",
    "assignee_id",
    "released",
    "duplicate_of",
    "duplicates",
    "disruption",
    "disruption_ended",
    "intake",
)
# Messages still to be sent are left to the outbox: a finished ticket has none after years,
# and deleting a row a worker holds would break its "never twice" record.
DONE = (DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.WITHDRAWN)


def erase_tickets(
    ticket_ids: list[int], *, now: dt.datetime | None = None, wait: bool = False
) -> list[int]:
    """Erase what people wrote in these finished tickets, all in one go; returns the ids
    erased (the others were not, or no longer, erasable). A ticket someone is changing right
    now is skipped (the next run takes it) unless `wait`. The caller commits."""
    now = now or utcnow()
    ids = list(
        db.session.scalars(
            select(Ticket.id)
            .where(
                Ticket.id.in_(ticket_ids),
                Ticket.erased_at.is_(None),
                status_in(FINISHED_STATUSES),
            )
            .order_by(Ticket.id)
            .with_for_update(skip_locked=not wait)
        )
    )
    if not ids:
        return []
    session = db.session
    # Files first: they hang on the messages deleted below. Their bytes by name: SQLite
    # (`make run`) does not enforce the ON DELETE CASCADE that PostgreSQL applies.
    files = select(Attachment.id).where(Attachment.ticket_id.in_(ids))
    session.execute(delete(AttachmentContent).where(AttachmentContent.attachment_id.in_(files)))
    session.execute(delete(Attachment).where(Attachment.ticket_id.in_(ids)))
    session.execute(
        delete(TicketEvent).where(
            TicketEvent.ticket_id.in_(ids),
            TicketEvent.kind.in_([EventKind.REPLY, EventKind.COMMENT, EventKind.NOTE])
            | ((TicketEvent.kind == EventKind.CHANGE) & TicketEvent.field.not_in(_CODED_FIELDS)),
        )
    )
    requester = (
        select(Ticket.requester_id).where(Ticket.id == TicketEvent.ticket_id).scalar_subquery()
    )
    session.execute(update(TicketEvent).where(TicketEvent.ticket_id.in_(ids)).values(body=""))
    session.execute(
        update(TicketEvent)
        .where(TicketEvent.ticket_id.in_(ids), TicketEvent.actor_id == requester)
        .values(actor_id=None)
    )
    for model in (TicketWatcher, FollowUp, InboundMessage):
        session.execute(delete(model).where(model.ticket_id.in_(ids)))
    session.execute(
        delete(Notification).where(Notification.ticket_id.in_(ids), Notification.status.in_(DONE))
    )
    session.execute(update(Rating).where(Rating.ticket_id.in_(ids)).values(comment=""))
    # The subject keeps the request type's title, which pages show in the reader's language.
    title = (
        select(RequestType.title_fr)
        .where(RequestType.id == Ticket.request_type_id)
        .scalar_subquery()
    )
    session.execute(
        update(Ticket)
        .where(Ticket.id.in_(ids))
        .values(
            subject=title,
            data={},
            filed_by_mail=None,  # a Message-ID may name its writer's address or machine
            erased_at=now,
            updated_at=Ticket.updated_at,  # erasing is not a change of the ticket's life
            version=Ticket.version + 1,  # a form open on it is stale
        )
    )
    mark_for_reindex(session, ids)
    return ids


def erase_ticket(ticket_id: int, *, now: dt.datetime | None = None) -> bool:
    """Erase one finished ticket, waiting for whoever changes it now; the caller commits."""
    return bool(erase_tickets([ticket_id], now=now, wait=True))


def erase_account(user_id: int, *, now: dt.datetime | None = None) -> bool:
    """Anonymise one deactivated account; False if it is active or already erased. The
    caller commits."""
    now = now or utcnow()
    user = db.session.scalars(
        select(User)
        .where(User.id == user_id, User.is_active_account.is_(False), User.erased_at.is_(None))
        .with_for_update()
    ).first()
    if user is None:
        return False
    session = db.session
    session.execute(delete(DirectoryLink).where(DirectoryLink.user_id == user_id))
    session.execute(delete(DirectoryConflict).where(DirectoryConflict.user_id == user_id))
    session.execute(delete(CasSession).where(CasSession.user_id == user_id))
    session.execute(delete(FollowUp).where(FollowUp.user_id == user_id))
    session.execute(
        delete(Notification).where(
            Notification.recipient_id == user_id, Notification.status.in_(DONE)
        )
    )
    user.display_name = ERASED_NAME
    user.email = f"erased-{user_id}@desk.invalid"  # unique, and no mail server takes it
    user.password_hash = ""
    user.phone = None
    user.locale = user.browser_locale = None
    user.site_id = user.building_id = user.floor_id = None
    user.is_break_glass = False
    user.session_version += 1
    user.erased_at = now
    return True  # the search documents of their tickets follow the new name at the commit


class ErasureRefused(Exception):
    def __init__(self, message: object):
        super().__init__(message)
        self.message = message


def finished_requests(user: User):
    """The finished tickets `user` asked for that still hold what was written in them."""
    return select(Ticket.id).where(
        Ticket.requester_id == user.id, Ticket.erased_at.is_(None), status_in(FINISHED_STATUSES)
    )


def count_requests(user: User) -> tuple[int, int]:
    """(finished requests of `user` that erasing them would empty, requests still open)."""
    finished = db.session.scalar(
        select(func.count()).select_from(finished_requests(user).subquery())
    )
    still_open = db.session.scalar(
        select(func.count())
        .select_from(Ticket)
        .where(Ticket.requester_id == user.id, status_in(OPEN_STATUSES))
    )
    return finished, still_open


def erase_person(user: User, *, actor: User) -> int:
    """Erase, at their request (RGPD art. 17), a deactivated person's account and what was
    written in their finished requests, without waiting for the retention periods; returns
    how many requests. Their open requests stay until finished (they are still being
    handled). One transaction; commits."""
    if user.is_active_account:
        raise ErasureRefused(_l("Deactivate the account first: an account in use is not erased."))
    if user.erased_at is not None:
        raise ErasureRefused(_l("This account was anonymised: it cannot be used again."))
    now = utcnow()
    tickets = erase_tickets(list(db.session.scalars(finished_requests(user))), now=now, wait=True)
    erase_account(user.id, now=now)
    audit("user.erased", user, actor=actor, tickets=len(tickets))
    db.session.commit()
    return len(tickets)
