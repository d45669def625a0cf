"""The admins' side of incoming mail: what was held or failed, and trying a message again.

A retry reprocesses the kept original as a fresh poll would, except that the sender's
throttle no longer applies (an admin decided): after creating the missing account, fixing
the queue's catalogue entry or reading a held reply, one click puts it where it belongs. An
error during the retry is recorded on the row like a poll's, never a 500.
"""

from __future__ import annotations

import logging

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from desk.auth.models import User
from desk.core.db import utcnow
from desk.extensions import db
from desk.inbound.ledger import failure_of, kept
from desk.inbound.models import HoldReason, InboundMessage, InboundStatus
from desk.inbound.parsing import MalformedMessage, parse
from desk.inbound.services import act

log = logging.getLogger(__name__)

LISTED = {
    "held": (InboundStatus.HELD,),
    "failed": (InboundStatus.FAILED,),
    "ignored": (InboundStatus.IGNORED,),
}


def listing(kind: str) -> Select:
    """Rows of one tab (held, failed or ignored); the view pages them newest first."""
    return (
        select(InboundMessage)
        .options(selectinload(InboundMessage.ticket))
        .where(InboundMessage.status.in_(LISTED[kind]))
    )


def can_retry(row: InboundMessage) -> bool:
    """Held and failed messages whose whole original was kept."""
    return row.status in (InboundStatus.HELD, InboundStatus.FAILED) and not (row.data or {}).get(
        "partial"
    )


def _locked(row_id: int) -> InboundMessage | None:
    return db.session.get(InboundMessage, row_id, with_for_update=True, populate_existing=True)


def retry_message(row_id: int, *, actor: User) -> str | None:
    """Process a held or failed message again; its new status, or None when it cannot be
    retried (unknown, already appended, or only its header kept). Commits."""
    # Read anew under the lock (populate_existing): the view has already loaded the row, and
    # a locked read does not refresh an object the session holds, so a second admin's retry
    # sent at the same moment saw it still held once the first had appended it, and
    # appended it again.
    row = _locked(row_id)
    if row is None or not can_retry(row) or row.raw is None:
        db.session.rollback()
        return None
    log.info("inbound message %s retried by user %s", row.id, actor.id)
    raw = row.raw
    try:
        mail = parse(raw)
        row.reason, row.data, row.detail = None, kept(row.data), ""
        act(row, mail, by_admin=True)
    except Exception as exc:  # a retry that fails is recorded, like a poll's failure
        db.session.rollback()
        reason, data, detail = failure_of(exc)
        if not isinstance(exc, MalformedMessage):
            log.exception("inbound message %s: retry failed", row_id)
        row = _locked(row_id)
        if row is None or row.status is InboundStatus.APPENDED:
            db.session.rollback()
            return row.status.value if row is not None else None
        row.status, row.reason = InboundStatus.FAILED, HoldReason(reason)
        row.data, row.detail = {**data, **kept(row.data)}, detail
    # Stamped after the work, in its own short commit: a refusal rolls back what the
    # ticket services did, and a stamp set before would go with it.
    row = db.session.get(InboundMessage, row_id)
    if row is None:
        return None
    row.retried_at = utcnow()
    db.session.commit()
    return row.status.value
