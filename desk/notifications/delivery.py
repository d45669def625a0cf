"""Deliver one e-mail row: claim it, send it, record the outcome; and the outbox sweep.

Exactly once, and where it stops being exactly once:

1. Claim. `UPDATE ... SET status='sending' WHERE id=? AND status='pending' AND due`, committed
   (autocommit, see `ledger`) before any network I/O. On PostgreSQL the UPDATE locks the
   row; a concurrent claim waits, re-reads the row under READ COMMITTED, sees 'sending' and
   matches nothing. SQLite serialises writers. So of two tasks for one row (a redelivered
   task, a beat requeue, a double publish) exactly one goes on to send.
2. Send over SMTP.
3. Mark sent right after the server's reply to DATA: one autocommit UPDATE, well under a
   millisecond.

A worker killed before the server's 250 reply leaves a half-finished SMTP transaction that the
server discards, and a row stuck in 'sending'; after NOTIFY_SENDING_TIMEOUT the sweep sets it
back to pending and it is sent once. The residual at-least-once window is between the
server's 250 and the commit of step 3 (a kill, or the database unreachable, in that
millisecond), plus a database server crash within ~0.6 s of it (asynchronous commit, see
`ledger`): the row is then sent again after the timeout. SMTP has the same window itself
(RFC 1047); closing it would need the server to deduplicate on Message-ID. The timeout (300 s
by default) is far above a send's worst case (a few MAIL_TIMEOUTs), so a slow but alive
worker is not mistaken for a dead one.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, select, update

from desk.core.db import utcnow
from desk.extensions import db
from desk.notifications import ledger
from desk.notifications.content import render_email
from desk.notifications.mailer import DeliveryError, build_message, send
from desk.notifications.models import Channel, DeliveryStatus, Notification, inline

log = logging.getLogger(__name__)
S = DeliveryStatus
MAX_BACKOFF = dt.timedelta(hours=6)


@dataclass(frozen=True)
class Outcome:
    """What happened to one delivery attempt; `retry_at` is set for a scheduled retry."""

    status: str  # sent | retry | failed | skipped
    retry_at: dt.datetime | None = None


def _set(notification_id: int, expected: tuple[DeliveryStatus, ...], **values: Any) -> int:
    return ledger.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.status.in_(expected))
        .values(**values)
    ).rowcount


# Built once: the hot statements skip SQLAlchemy's per-call construction and cache lookup.
_CLAIM = (
    update(Notification)
    .where(
        Notification.id == bindparam("nid"),
        Notification.status == S.PENDING,
        Notification.channel == Channel.EMAIL,
        Notification.next_attempt_at <= bindparam("now"),
    )
    .values(status=S.SENDING, attempts=Notification.attempts + 1, claimed_at=bindparam("now"))
    .returning(Notification.payload, Notification.attempts)
)
_MARK_SENT = (
    update(Notification)
    .where(Notification.id == bindparam("nid"), Notification.status.in_([S.SENDING, S.PENDING]))
    .values(status=S.SENT, sent_at=bindparam("sent_at"), last_error="")
)


def claim(notification_id: int, now: dt.datetime) -> Any | None:
    """Take a due pending e-mail row for this worker; None if it is not ours to send."""
    return ledger.execute(_CLAIM, {"nid": notification_id, "now": now}).one_or_none()


def deliver(notification_id: int, *, now: dt.datetime | None = None) -> Outcome:
    """Send one e-mail row if it is due and nobody else has it."""
    now = now or utcnow()
    claimed = claim(notification_id, now)
    if claimed is None:
        return Outcome("skipped")
    payload, attempts = claimed
    try:
        subject, text, html = render_email(payload, notification_id)
    except Exception as exc:  # a broken template must not block the rest of the outbox
        log.exception("notification %s: template failed", notification_id)
        return _fail(notification_id, f"template error: {exc!r}")
    try:
        message = build_message(
            notification_id=notification_id,
            # A digest is about no one ticket: it gets a thread of its own.
            reference=payload.get("ticket", {}).get("reference") or "digest",
            to=payload["to"],
            subject=subject,
            text=text,
            html=html,
        )
        send(message)
    except DeliveryError as exc:
        if exc.permanent or attempts >= current_app.config["NOTIFY_MAX_ATTEMPTS"]:
            return _fail(notification_id, exc.reason)
        return _retry(notification_id, attempts, exc.reason, now)
    # Step 3: as close to the server's 250 as possible; pending too, in case a sweep took the
    # row back meanwhile (so the other worker finds it sent instead of sending it again).
    ledger.execute(_MARK_SENT, {"nid": notification_id, "sent_at": utcnow()})
    return Outcome("sent")


def _fail(notification_id: int, reason: str) -> Outcome:
    log.warning("notification %s failed: %s", notification_id, reason)
    _set(notification_id, (S.SENDING,), status=S.FAILED, last_error=reason[:1000])
    return Outcome("failed")


def _retry(notification_id: int, attempts: int, reason: str, now: dt.datetime) -> Outcome:
    base = dt.timedelta(seconds=current_app.config["NOTIFY_RETRY_BASE_SECONDS"])
    due = max(now, utcnow()) + min(base * 2 ** (attempts - 1), MAX_BACKOFF)
    _set(
        notification_id,
        (S.SENDING,),
        status=S.PENDING,
        next_attempt_at=due,
        last_error=reason[:1000],
    )
    return Outcome("retry", due)


def sweep(
    *,
    now: dt.datetime | None = None,
    requeue_after: dt.timedelta | None = None,
    stale_after: dt.timedelta | None = None,
    limit: int = 2000,
) -> list[int]:
    """Rows to publish again: pending ones overdue by `requeue_after`, and 'sending' ones
    whose worker died (claimed longer than `stale_after` ago). Commits; returns their ids."""
    config = current_app.config
    now = now or utcnow()
    if requeue_after is None:
        requeue_after = dt.timedelta(seconds=config["OUTBOX_REQUEUE_SECONDS"])
    if stale_after is None:
        stale_after = dt.timedelta(seconds=config["NOTIFY_SENDING_TIMEOUT_SECONDS"])
    stale = (Notification.status == inline(S.SENDING)) & (
        Notification.claimed_at < now - stale_after
    )
    given_up = db.session.execute(
        update(Notification)
        .where(stale, Notification.attempts >= config["NOTIFY_MAX_ATTEMPTS"])
        .values(status=S.FAILED, last_error="worker lost while sending, too many times")
        .execution_options(synchronize_session=False)
    ).rowcount
    revived = db.session.scalars(
        update(Notification)
        .where(stale)
        .values(status=S.PENDING, last_error="worker lost while sending")
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    ).all()
    overdue = (
        select(Notification.id)
        .where(
            Notification.status == inline(S.PENDING),
            Notification.channel == Channel.EMAIL,
            Notification.next_attempt_at <= now - requeue_after,
        )
        .order_by(Notification.next_attempt_at)
        .limit(limit)
    )
    # Pushing next_attempt_at to now spaces re-publications of a row by `requeue_after`.
    requeued = db.session.scalars(
        update(Notification)
        .where(Notification.id.in_(overdue.scalar_subquery()))
        .values(next_attempt_at=now)
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    if given_up:
        log.warning("%s notifications failed after losing their worker", given_up)
    return sorted({*revived, *requeued})
