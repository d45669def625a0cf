"""The retention sweep: what is past its period, erased in batches (see desk.privacy.services
for what erasing a ticket or an account removes and keeps).

Past the same periods go the records tied to neither: e-mails about no ticket (digests,
disruptions, alerts), received messages no ticket took (held, failed) and sign-in records.

Tickets are erased fifty to a transaction, accounts one each: a sweep stopped half-way (a
deploy, a crash) leaves whole tickets and accounts erased or untouched, and the next run goes
on. Nothing is read back from a ticket once erased, so running the sweep twice changes
nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, false, func, select

from desk.auth.models import User
from desk.core.db import utcnow
from desk.extensions import db
from desk.identity.models import CasSession
from desk.inbound.models import InboundMessage
from desk.notifications.models import Notification
from desk.privacy.services import DONE, erase_account, erase_tickets
from desk.tickets.models import FINISHED_STATUSES, Ticket, status_in

log = logging.getLogger(__name__)
BATCH = 500  # tickets read per round of the sweep
CHUNK = 50  # tickets erased per transaction
BUDGET_SECONDS = 300.0
RECORDS_BATCH = 5000


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
            Notification.status.in_(DONE),
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
        # Alone, still without waiting for a ticket someone holds (the next run takes it).
        return _each(ids, lambda i: bool(erase_tickets([i], now=now)))


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
