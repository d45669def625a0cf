"""Retention of personal data (RGPD/GDPR art. 5(1)(e)): the sweep that erases them on time.

What people wrote in a finished ticket is kept `TICKET_RETENTION_DAYS` after its last change,
then erased: the typed part of its subject, the form, every message, note and file, the
e-mails and received messages about it, the people in copy, the rating's comment. What counts
and measures the desk stays (reference, request type, queue, dates, statuses, SLA, score), so
reports over past years still add up; the ticket then says when its content was erased.

An account deactivated `ACCOUNT_RETENTION_DAYS` ago (someone who left: the directory sync or
an administrator ended it) is anonymised: name, address, phone, place, directory link, sign-in
records and the messages it was sent go; its tickets and counts stay, tied to nobody.

Past the same periods go the records tied to neither: e-mails about no ticket (digests,
disruptions, alerts), received messages no ticket took (held, failed) and sign-in records.

Tickets are erased fifty to a transaction, accounts one each: a sweep stopped half-way (a
deploy, a crash) leaves whole tickets and accounts erased or untouched, and the next run goes
on. Nothing is read back from a
ticket once erased, so running the sweep twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, false, func, select, update

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
    Attachment,
    EventKind,
    Ticket,
    TicketEvent,
    status_in,
)
from desk.watchers.models import TicketWatcher

log = logging.getLogger(__name__)
BATCH = 500  # tickets read per round of the sweep
CHUNK = 50  # tickets erased per transaction
BUDGET_SECONDS = 300.0
RECORDS_BATCH = 5000
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
_DONE = (DeliveryStatus.SENT, DeliveryStatus.FAILED)


@dataclass
class Erased:
    """What one sweep erased."""

    tickets: int = 0
    accounts: int = 0
    records: int = 0  # messages and sign-ins tied to no ticket (see `erase_records`)


def _cutoff(days: int, now: dt.datetime) -> dt.datetime | None:
    return now - dt.timedelta(days=days) if days else None


def erasable_tickets(now: dt.datetime, limit: int | None = None):
    """Finished tickets past their retention, not yet erased (ids, oldest first)."""
    cutoff = _cutoff(current_app.config["TICKET_RETENTION_DAYS"], now)
    if cutoff is None:
        return select(Ticket.id).where(false())
    query = (
        select(Ticket.id)
        .where(Ticket.erased_at.is_(None), status_in(FINISHED_STATUSES), Ticket.updated_at < cutoff)
        .order_by(Ticket.updated_at, Ticket.id)
    )
    return query.limit(limit) if limit else query


def erasable_accounts(now: dt.datetime, limit: int | None = None):
    """Accounts deactivated longer ago than their retention, not yet anonymised."""
    cutoff = _cutoff(current_app.config["ACCOUNT_RETENTION_DAYS"], now)
    if cutoff is None:
        return select(User.id).where(false())
    query = (
        select(User.id)
        .where(
            User.is_active_account == false(),  # as the partial index ix_user_ended says it
            User.erased_at.is_(None),
            User.deactivated_at < cutoff,
        )
        .order_by(User.deactivated_at, User.id)
    )
    return query.limit(limit) if limit else query


def overdue(now: dt.datetime | None = None) -> dict[str, int]:
    """How many tickets and accounts are past their retention and still hold personal data
    (the metric: above zero for long means the sweep does not run)."""
    now = now or utcnow()
    return {
        "ticket": db.session.scalar(
            select(func.count()).select_from(erasable_tickets(now).subquery())
        ),
        "account": db.session.scalar(
            select(func.count()).select_from(erasable_accounts(now).subquery())
        ),
    }


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
    # Files first: they hang on the messages deleted below.
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
        delete(Notification).where(Notification.ticket_id.in_(ids), Notification.status.in_(_DONE))
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
            Notification.recipient_id == user_id, Notification.status.in_(_DONE)
        )
    )
    user.display_name = ERASED_NAME
    user.email = f"erased-{user_id}@desk.invalid"  # unique, and no mail server takes it
    user.password_hash = ""
    user.phone = None
    user.locale = None
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


def _each(ids: list[int], erase) -> int:
    done = 0
    for row_id in ids:
        try:
            if erase(row_id):
                db.session.commit()
                done += 1
            else:
                db.session.rollback()
        except Exception:
            # One row that cannot be erased now (a lock, a constraint) must not stop the
            # rest: it stays counted by the metric and is tried again on the next run.
            db.session.rollback()
            log.exception("retention: could not erase %s", row_id)
    return done


def _delete_old(model, *where) -> int:
    """Delete the matching rows, a batch per transaction (no long lock on a busy table)."""
    done = 0
    while True:
        batch = select(model.id).where(*where).limit(RECORDS_BATCH).scalar_subquery()
        deleted = db.session.execute(delete(model).where(model.id.in_(batch))).rowcount
        db.session.commit()
        done += deleted
        if deleted < RECORDS_BATCH:
            return done


def erase_records(now: dt.datetime) -> int:
    """What holds personal data outside any ticket or account, past the same periods: the
    e-mails sent about nothing a ticket holds (digests, disruptions, admin alerts), received
    messages tied to no ticket (held, failed), and sign-in records."""
    config = current_app.config
    count = 0
    tickets = _cutoff(config["TICKET_RETENTION_DAYS"], now)
    if tickets is not None:
        count += _delete_old(
            Notification,
            Notification.ticket_id.is_(None),
            Notification.status.in_(_DONE),
            Notification.created_at < tickets,
        )
        count += _delete_old(
            InboundMessage, InboundMessage.ticket_id.is_(None), InboundMessage.received_at < tickets
        )
    accounts = _cutoff(config["ACCOUNT_RETENTION_DAYS"], now)
    if accounts is not None:
        # Its primary key is the CAS ticket: delete by the column itself.
        count += db.session.execute(
            delete(CasSession).where(CasSession.created_at < accounts)
        ).rowcount
        db.session.commit()
    return count


def _erase_chunk(ids: list[int], now: dt.datetime) -> int:
    """One transaction for the chunk; if it fails, each ticket alone (so that one ticket that
    cannot be erased now does not hold back the others)."""
    try:
        done = len(erase_tickets(ids, now=now))
        db.session.commit()
        return done
    except Exception:
        db.session.rollback()
        log.warning("retention: a batch failed, erasing its tickets one by one", exc_info=True)
        return _each(ids, lambda i: erase_ticket(i, now=now))


def erase_expired(
    *, now: dt.datetime | None = None, limit: int = BATCH, budget: float = BUDGET_SECONDS
) -> Erased:
    """Erase the expired tickets (`CHUNK` a transaction, oldest first) and accounts, and the
    records tied to neither. A run stops taking new tickets after `budget` seconds, so that a
    first run over years of history does not hold a worker for an hour: the hourly job goes
    on where it stopped."""
    now = now or utcnow()
    deadline = time.monotonic() + budget
    erased = Erased()
    while time.monotonic() < deadline:
        ids = list(db.session.scalars(erasable_tickets(now, limit)))
        db.session.rollback()
        count = sum(_erase_chunk(ids[i : i + CHUNK], now) for i in range(0, len(ids), CHUNK))
        erased.tickets += count
        if len(ids) < limit or not count:
            break
    while True:
        ids = list(db.session.scalars(erasable_accounts(now, limit)))
        db.session.rollback()
        count = _each(ids, lambda i: erase_account(i, now=now))
        erased.accounts += count
        if len(ids) < limit or not count:
            break
    erased.records = erase_records(now)
    if erased.tickets or erased.accounts or erased.records:
        log.info(
            "retention: erased %d tickets, %d accounts and %d other records",
            erased.tickets,
            erased.accounts,
            erased.records,
        )
    return erased
