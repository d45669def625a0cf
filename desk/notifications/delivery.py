"""Deliver one e-mail row: claim it, send it, record the outcome; and the outbox sweep.

Never twice, and where that stops being "exactly once" (SMTP cannot do better, RFC 1047):

1. Claim. `UPDATE ... SET status='sending', data_at=NULL WHERE id IN (the task's ids) AND
   status='pending' AND due`, committed (autocommit, see `ledger`) before any network I/O.
   On PostgreSQL the UPDATE locks the rows; a concurrent claim waits, re-reads them under
   READ COMMITTED, sees 'sending' and matches nothing. So of two tasks for one row (a
   redelivered task, a beat requeue, a double publish) exactly one goes on to send.
2. Send over SMTP, up to the whole message but the final "." (`mailer.send`).
3. Record `data_at` (committed), THEN send the final dot. Before the dot, whatever happens
   (a kill, a network or database failure) leaves an unfinished transaction the server
   discards: resending is safe. After the dot the server may accept the message whatever
   happens to us: the row is "handed over".
4. Mark sent on the server's 250 (retried while the database is unreachable, so that a
   PostgreSQL restart does not leave a delivered row unrecorded). Any other outcome (retry,
   failed, withdrawn) is recorded only while the row is still this claim's (`attempts`): a
   worker that stalled while the sweep gave its row to another must not undo that claim.

A worker that dies leaves its row in 'sending'; after NOTIFY_SENDING_TIMEOUT the sweep looks
at `data_at`: never handed over → pending again, sent once; handed over → 'failed' with an
"uncertain" reason, NOT sent again (an MTA that received the final dot normally delivers the
message even if the client vanished before its reply). The same holds for a live worker that
loses the connection between the dot and the reply. Those rows are listed on the admin's
failed page with a retry button; a retry reuses the same Message-ID, so a receiver that
deduplicates on it shows one message. What remains: a message lost (not duplicated) if the
worker dies in the microseconds between the `data_at` commit and the dot's send(), or if the
server itself discards a finished message after losing its client — both surface as
"uncertain" rows, never silently. The timeout (300 s by default) is far above a send's worst
case (a few MAIL_TIMEOUTs), so a slow but alive worker is not mistaken for a dead one.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import Select, bindparam, func, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import aliased

from desk.absences.models import Absence
from desk.auth.language import written_language
from desk.auth.models import User
from desk.catalog.forms.fields import local_today
from desk.catalog.models import RequestType
from desk.core.db import utcnow
from desk.core.logs import request_id_var, valid_request_id
from desk.extensions import db
from desk.notifications import ledger
from desk.notifications.content import render_email
from desk.notifications.mailer import DeliveryError, build_message, send
from desk.notifications.models import (
    Channel,
    DeliveryStatus,
    NewTicketMode,
    NewTicketPreference,
    Notification,
    NotificationEvent,
    answered_message,
    auto_submitted,
    inline,
)
from desk.reference.models import Queue, QueueMembership
from desk.tickets.models import OPEN_STATUSES, EventKind, Status, Ticket, TicketEvent

log = logging.getLogger(__name__)
S = DeliveryStatus
MAX_BACKOFF = dt.timedelta(hours=6)
UNCERTAIN = "uncertain, not sent again"
# How long a worker keeps trying to record a 250 while the database is unreachable.
MARK_SENT_PATIENCE = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class Outcome:
    """What happened to one delivery attempt; `retry_at` is set for a scheduled retry."""

    status: str  # sent | retry | failed | skipped | withdrawn | error
    retry_at: dt.datetime | None = None
    error: Exception | None = None  # status "error": what the attempt raised


def _set_claimed(notification_id: int, claim: int, **values: Any) -> bool:
    """Record the outcome of this worker's claim `claim` (its `attempts`), if the row is still
    that claim's: a worker that stalled past NOTIFY_SENDING_TIMEOUT lost its row to the sweep,
    and another worker may be sending it; what the first one's server answers late must not
    undo the other's claim (put back to pending while the other has handed the message over,
    it would be sent again)."""
    return bool(
        ledger.execute(
            update(Notification)
            .where(
                Notification.id == notification_id,
                Notification.status == S.SENDING,
                Notification.attempts == claim,
            )
            .values(**values)
        ).rowcount
    )


# Built once: the hot statements skip SQLAlchemy's per-call construction and cache lookup.
_TAKE = {
    "status": S.SENDING,
    "attempts": Notification.attempts + 1,
    "claimed_at": bindparam("now"),
    "data_at": None,
}
_CLAIM = (
    update(Notification)
    .where(
        Notification.id.in_(bindparam("ids", expanding=True)),
        Notification.status == S.PENDING,
        Notification.channel == Channel.EMAIL,
        Notification.next_attempt_at <= bindparam("now"),
    )
    .values(**_TAKE)
    .returning(Notification.id, Notification.payload, Notification.attempts)
)
# The drain's claim: the oldest due rows, whoever wrote them. SKIP LOCKED: two claims running
# at once take different rows instead of queueing on each other's (SQLite, one writer at a
# time anyway, ignores it). The choice is a MATERIALIZED CTE, run once: as a plain IN
# subquery PostgreSQL may run it again for each row, and each run skips the rows this very
# statement has just updated and picks the next ones, past the LIMIT. The outer WHERE repeats
# the conditions: PostgreSQL re-checks it on the newest version of a row that another claim
# changed meanwhile (READ COMMITTED), so a row is never taken twice.
_DUE = (
    # Inline values: a generic plan (psycopg prepares a statement run 5 times) can then still
    # use the partial index ix_notification_email_due.
    Notification.status == inline(S.PENDING),
    Notification.channel == inline(Channel.EMAIL),
    Notification.next_attempt_at <= bindparam("now"),
)
_CHOICE = (
    select(Notification.id)
    .where(*_DUE)
    .order_by(Notification.next_attempt_at, Notification.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
    .cte("due")
    .prefix_with("MATERIALIZED", dialect="postgresql")
)
_CLAIM_DUE = (
    update(Notification)
    .where(Notification.id.in_(select(_CHOICE.c.id)), *_DUE)
    .values(**_TAKE)
    .returning(Notification.id, Notification.payload, Notification.attempts)
)
# `attempts` names the claim (each claim adds one): a worker whose claim was taken back by the
# sweep (it looked dead) and given to another finds no row here, and drops its message.
_MARK_HANDED_OVER = (
    update(Notification)
    .where(
        Notification.id == bindparam("nid"),
        Notification.status == S.SENDING,
        Notification.attempts == bindparam("claim"),
    )
    .values(data_at=bindparam("at"))
)
# Two comparisons rather than IN (a list): SQLAlchemy renders a list's IN again at every
# execution (its "post-compile" step), 4 % of the worker's CPU on the hot path.
_MARK_SENT = (
    update(Notification)
    .where(
        Notification.id == bindparam("nid"),
        or_(Notification.status == S.SENDING, Notification.status == S.PENDING),
    )
    .values(status=S.SENT, sent_at=bindparam("sent_at"), last_error="")
)


def claim(notification_ids: Sequence[int], now: dt.datetime) -> dict[int, Any]:
    """Take the due pending e-mail rows among these for this worker, in one statement:
    {id: (payload, attempts)}; the rows missing are not ours to send."""
    rows = ledger.execute(_CLAIM, {"ids": list(notification_ids), "now": now}).all()
    return {row.id: (row.payload, row.attempts) for row in rows}


_ANY_DUE = select(Notification.id).where(*_DUE).limit(1)


def any_due(now: dt.datetime) -> bool:
    """Is an e-mail row pending and due at `now`? One look at the due index."""
    found = db.session.execute(_ANY_DUE, {"now": now}).first() is not None
    db.session.commit()
    return found


def claim_due(now: dt.datetime, limit: int) -> dict[int, Any]:
    """Take up to `limit` of the oldest due pending e-mail rows, in one statement:
    {id: (payload, attempts)} in id order."""
    rows = ledger.execute(_CLAIM_DUE, {"now": now, "limit": limit}).all()
    return {row.id: (row.payload, row.attempts) for row in sorted(rows, key=lambda r: r.id)}


HOLD_EVERY_SECONDS = 1.0


def drain(
    release: Callable[[], None],
    hold: Callable[[], None] = lambda: None,
    *,
    batch: int = 10,
    budget_seconds: float = 5.0,
) -> tuple[list[tuple[int, Outcome]], bool]:
    """Send the due e-mail rows, `batch` at a time, until none is due or the budget is spent:
    ([(id, outcome)], whether rows may be left). Small batches let the other worker
    processes' drains share a backlog (each claim skips the rows another holds).

    While this runs, the outbox kick stays set, so commits add no task: under a steady flow
    one drain keeps claiming what they wrote. Once a claim finds nothing, `release()` clears
    the kick and ONE more claim takes what was committed between the two (a commit that saw
    the kick still set); commits after the release ask for a new drain themselves. `hold()`
    runs before each message until the release: the kick is kept only as long as this drain
    shows it is alive, at most once every HOLD_EVERY_SECONDS (a Redis round trip per message
    was a tenth of the worker's CPU; the kick lives 5 s, so it never lapses while messages
    leave).
    """
    deadline = time.monotonic() + budget_seconds
    done: list[tuple[int, Outcome]] = []
    released = False
    held_at = -HOLD_EVERY_SECONDS
    while True:
        now = utcnow()
        claimed = claim_due(now, batch)  # raises if the database is gone: nothing claimed
        for notification_id, (payload, attempts) in claimed.items():
            # After the release, the kick belongs to the next drain.
            if not released and time.monotonic() - held_at >= HOLD_EVERY_SECONDS:
                hold()
                held_at = time.monotonic()
            done.append((notification_id, _send_one(notification_id, payload, attempts, now)))
        if claimed:
            if time.monotonic() >= deadline:
                return done, True
            continue
        if released:
            return done, False
        release()
        released = True


def deliver(notification_id: int, *, now: dt.datetime | None = None) -> Outcome:
    """Send one e-mail row if it is due and nobody else has it."""
    outcome = deliver_many([notification_id], now=now)[0]
    if outcome.error is not None:
        raise outcome.error
    return outcome


def deliver_many(
    notification_ids: Sequence[int], *, now: dt.datetime | None = None
) -> list[Outcome]:
    """Send these e-mail rows one after the other, each only if it is due and nobody else
    has it; one outcome per id, in order.

    The rows are claimed together (one UPDATE for a new ticket's e-mails, not one each). A
    row whose sending raises (the database gone while recording it) gets an "error" outcome
    carrying the exception and stays 'sending' for the sweep; the others are still sent. If
    the worker dies half-way, the rows it claimed and had not handed over go back to pending
    after NOTIFY_SENDING_TIMEOUT (the sweep) and are sent then, once.
    """
    now = now or utcnow()
    claimed = claim(notification_ids, now)  # raises if the database is gone: nothing claimed
    outcomes = []
    for notification_id in notification_ids:
        if notification_id not in claimed:
            outcomes.append(Outcome("skipped"))
            continue
        payload, attempts = claimed.pop(notification_id)  # an id given twice is sent once
        outcomes.append(_send_one(notification_id, payload, attempts, now))
    return outcomes


def _send_one(notification_id: int, payload: Any, attempts: int, now: dt.datetime) -> Outcome:
    # Its lines carry the id of the request that wrote it, not the drain's (whoever kicked it).
    written_by = valid_request_id(payload.get("request_id")) if isinstance(payload, dict) else None
    token = request_id_var.set(written_by or request_id_var.get())
    try:
        return _send_claimed(notification_id, payload, attempts, now)
    except Exception as exc:  # the database gone while recording it: the sweep takes it back
        log.exception("notification %s: delivery raised", notification_id)
        return Outcome("error", error=exc)
    finally:
        request_id_var.reset(token)


def _send_claimed(notification_id: int, payload: Any, attempts: int, now: dt.datetime) -> Outcome:
    # Only an e-mail held for the business hours is looked at again (a key of its payload,
    # read with the claim): the immediate ones and the acknowledgements cost nothing here.
    if payload.get("deferred"):
        reason = stale_reason(notification_id, payload)
        if reason is not None:
            # Handed over first: a worker lost in between leaves the row to the sweep, and
            # the second hand-over is a no-op (the same dedupe keys).
            hand_over_deadline(notification_id, payload, reason)
            return _finish(notification_id, attempts, S.WITHDRAWN, reason, logging.INFO)
        payload = _as_of_now(notification_id, payload)
    try:
        subject, text, html = render_email(payload, notification_id)
    except Exception as exc:  # a broken template must not block the rest of the outbox
        log.exception("notification %s: template failed", notification_id)
        return _fail(notification_id, attempts, f"template error: {exc!r}")
    try:
        message = build_message(
            notification_id=notification_id,
            # A digest is about no one ticket: it gets a thread of its own.
            reference=payload.get("ticket", {}).get("reference") or "digest",
            to=payload["to"],
            subject=subject,
            text=text,
            html=html,
            staff=payload.get("role") == "staff",
            locale=payload.get("locale"),
            auto_submitted=auto_submitted(payload.get("events") or []),
            reply_to=payload.get("reply_to") or "",
            answers=answered_message(payload),
        )
        send(message, before_final_dot=lambda: _handed_over(notification_id, attempts))
    except ClaimLost:
        log.warning(
            "notification %s: claim taken back before the end of the message", notification_id
        )
        return Outcome("skipped")
    except DeliveryError as exc:
        if exc.uncertain:
            return _fail(notification_id, attempts, f"{UNCERTAIN}: {exc.reason}")
        if exc.permanent or attempts >= current_app.config["NOTIFY_MAX_ATTEMPTS"]:
            return _fail(notification_id, attempts, exc.reason)
        return _retry(notification_id, attempts, exc.reason, now)
    # Step 4: pending too, in case a sweep took the row back meanwhile (so the other worker
    # finds it sent instead of sending it again).
    _record_sent(notification_id)
    # Under the id of the request that wrote it (_send_one): an operator asked "did the
    # acknowledgement of that submission leave?" greps that id.
    log.info(
        "notification %s sent",
        notification_id,
        extra={"notification_id": notification_id, "attempt": attempts},
    )
    return Outcome("sent")


class ClaimLost(Exception):
    """The row is no longer this worker's to send (the sweep revived it meanwhile)."""


def _handed_over(notification_id: int, attempts: int) -> None:
    # Raising here aborts the message before its final dot: the server discards it.
    marked = ledger.execute(
        _MARK_HANDED_OVER, {"nid": notification_id, "claim": attempts, "at": utcnow()}
    ).rowcount
    if marked != 1:
        raise ClaimLost(notification_id)


def _record_sent(notification_id: int) -> None:
    deadline = time.monotonic() + MARK_SENT_PATIENCE.total_seconds()
    pause = 0.5
    while True:
        try:
            ledger.execute(_MARK_SENT, {"nid": notification_id, "sent_at": utcnow()})
            return
        except DBAPIError as exc:
            if time.monotonic() + pause > deadline:
                raise  # the row stays 'sending' and handed over: uncertain, never resent
            log.warning("notification %s sent but not recorded yet (%s)", notification_id, exc)
            time.sleep(pause)
            pause = min(pause * 2, 5.0)


def _fail(notification_id: int, claim: int, reason: str) -> Outcome:
    return _finish(notification_id, claim, S.FAILED, reason, logging.WARNING)


def _finish(
    notification_id: int, claim: int, status: DeliveryStatus, reason: str, level: int
) -> Outcome:
    """File a claimed row for good, unsent (failed: given up; withdrawn: no longer news), with
    its reason for the admins' e-mail page, and say so in the log at `level`."""
    if not _set_claimed(notification_id, claim, status=status, last_error=reason[:1000]):
        return _claim_lost(notification_id, f"{status.value}: {reason}")
    log.log(
        level,
        "notification %s %s: %s",
        notification_id,
        status.value,
        reason,
        extra={"notification_id": notification_id},
    )
    return Outcome(status.value)


def _claim_lost(notification_id: int, outcome: str) -> Outcome:
    log.warning(
        "notification %s: claim taken back meanwhile, its outcome not recorded (%s)",
        notification_id,
        outcome,
        extra={"notification_id": notification_id},
    )
    return Outcome("skipped")


# The ticket of a row, as it is now (one primary-key look-up each).
_TICKET_NOW = (
    select(Ticket.status, Ticket.assignee_id, Ticket.queue_id, Ticket.first_responded_at)
    .join(Notification, Notification.ticket_id == Ticket.id)
    .where(Notification.id == bindparam("nid"))
)


_SLA_EVENTS = frozenset({NotificationEvent.SLA_WARNING.value, NotificationEvent.SLA_BREACHED.value})
# When the ticket of a row last began to wait on its requester (its latest such change).
_WAIT_BEGAN = (
    select(func.max(TicketEvent.created_at))
    .join(Notification, Notification.ticket_id == TicketEvent.ticket_id)
    .where(
        Notification.id == bindparam("nid"),
        TicketEvent.kind == EventKind.CHANGE,
        TicketEvent.field == "status",
        TicketEvent.new_value == Status.WAITING_ON_REQUESTER.value,
    )
)


DEACTIVATED = "not sent: its reader's account was deactivated before the business hours"
LEFT_QUEUE = "not sent: its reader was no longer in the ticket's queue before the business hours"
AWAY = "not sent: its reader was away when the business hours came"
# Why a held deadline e-mail to the ticket's holder no longer reaches them, though the
# ticket is still nobody else's: its news goes to the queue instead (`hand_over_deadline`).
_HOLDER_GONE = {DEACTIVATED, LEFT_QUEUE, AWAY}


def stale_reason(notification_id: int, payload: dict[str, Any]) -> str | None:
    """Why an e-mail to staff held for the queue's business hours is no longer news when its
    time comes; None if it still is. A new-ticket e-mail: a colleague took the ticket, it was
    finished, or moved to another queue meanwhile (its new queue's staff heard of the
    transfer). An SLA warning or breach: the ticket was finished, or a first-response one
    answered, overnight, or it is no longer its reader's to answer for (`_no_longer_theirs`),
    or its reader is away that day (the holder's goes to the queue then, `hand_over_deadline`).
    A requester's reminder that their answer is still needed: they answered (or the ticket
    was finished, or taken up) overnight, or a new wait began, with its own reminder and
    closing date. Any of them: its reader's account was deactivated overnight (they left).
    Other e-mails are never stale here."""
    reader = ledger.execute(_READER_ACTIVE, {"nid": notification_id}).one_or_none()
    if reader is not None and not reader.is_active:
        return DEACTIVATED
    events = payload.get("events") or []
    names = {item.get("event") for item in events}
    if names == {NotificationEvent.REMINDER.value}:
        return _stale_reminder(notification_id, events[0])
    if payload.get("role") != "staff" or not events:
        return None
    sla = names <= _SLA_EVENTS
    if not sla and names != {NotificationEvent.NEW_TICKET.value}:
        return None
    row = ledger.execute(_TICKET_NOW, {"nid": notification_id}).one_or_none()
    if row is None:
        return None
    status = Status(row.status)
    if status not in OPEN_STATUSES:
        return f"not sent: the ticket was {status.value} before the business hours"
    if sla:
        # The first answer's deadline is moot once answered; the resolution's runs on.
        # (A message naming both deadlines, missed at once, is about the resolution too.)
        first = all(
            str(item.get("kind", "")).startswith("first_response") and not item.get("also_kind")
            for item in events
        )
        if first and row.first_responded_at is not None:
            return "not sent: the ticket was answered before the business hours"
        reason = _no_longer_theirs(notification_id, payload, events, row)
        if reason is None and _reader_away(notification_id):
            # As the sweep writes to nobody away (the bell keeps it): an absence that
            # began by the morning, the holder's one included (`hand_over_deadline`).
            return AWAY
        return reason
    # The queue it was written for (rows held before this key was kept: not known).
    held_for = payload.get("queue_id")
    if held_for is not None and row.queue_id != held_for:
        return "not sent: the ticket was moved to another queue before the business hours"
    if row.assignee_id is not None:
        return "not sent: the ticket was assigned before the business hours"
    # "A new ticket in your queue": not to one taken out of that queue overnight (the admins
    # told because nobody of the queue was there answer for every queue).
    if not any(e.get("unattended") for e in events) and (
        ledger.execute(_READER_IN_QUEUE, {"nid": notification_id}).one_or_none() is None
    ):
        return LEFT_QUEUE
    # Away that day (desk.absences: no e-mail about their queues while it lasts, the bell
    # keeps the ticket): one whose absence began by the morning is not written to then.
    if _reader_away(notification_id):
        return AWAY
    # One who chose overnight to hear of no new tickets (they watch the queue pages) is not
    # written to about the ones of the night either.
    choice = ledger.execute(_READER_NEW_TICKET_MODE, {"nid": notification_id}).one_or_none()
    if choice is not None and choice.mode == NewTicketMode.NONE:
        return "not sent: its reader chose to hear of no new tickets before the business hours"
    return None


def hand_over_deadline(notification_id: int, payload: dict[str, Any], reason: str) -> None:
    """A held deadline warning or breach withdrawn for the one who held the ticket when it
    was written, because they are away that morning, were deactivated or left the queue
    overnight: the queue's people get it instead, as the sweep would have told them had it
    run then (desk.notifications.services.hand_deadline_of_absent_holder)."""
    if reason not in _HOLDER_GONE or payload.get("role") != "staff":
        return
    events = payload.get("events") or []
    reader = payload.get("user_id")
    items = [e for e in events if e.get("event") in _SLA_EVENTS]
    if not items or len(items) != len(events) or reader is None:
        return
    if any(e.get("unattended") for e in events) or events[0].get("holder_id") != reader:
        return  # not the holder's (a member's, a lead's, an admin's): nobody else to tell
    row = ledger.execute(_TICKET_OF, {"nid": notification_id}).one_or_none()
    if row is None or row.ticket_id is None:
        return
    from desk.notifications.services import hand_deadline_of_absent_holder

    hand_deadline_of_absent_holder(row.ticket_id, reader, items)


_TICKET_OF = select(Notification.ticket_id).where(Notification.id == bindparam("nid"))


def _reader_away(notification_id: int) -> bool:
    """Whether the recipient of a row is away today (where the users are)."""
    return bool(ledger.execute(_READER_AWAY, {"nid": notification_id, "day": local_today()}).all())


# Whether the recipient of a row still has an active account.
_READER_ACTIVE = (
    select(User.is_active_account.label("is_active"))
    .join(Notification, Notification.recipient_id == User.id)
    .where(Notification.id == bindparam("nid"))
)
# Whether the recipient of a row is away on a day.
_READER_AWAY = (
    select(Absence.user_id)
    .join(Notification, Notification.recipient_id == Absence.user_id)
    .where(
        Notification.id == bindparam("nid"),
        Absence.starts_on <= bindparam("day"),
        Absence.ends_on >= bindparam("day"),
    )
)
# How the recipient of a row hears of new tickets now (no row: each ticket).
_READER_NEW_TICKET_MODE = (
    select(NewTicketPreference.mode)
    .join(Notification, Notification.recipient_id == NewTicketPreference.user_id)
    .where(Notification.id == bindparam("nid"))
)
# Whether the recipient of a row is in its ticket's queue now, and leads it.
_READER_IN_QUEUE = (
    select(QueueMembership.is_lead)
    .join(Notification, Notification.recipient_id == QueueMembership.user_id)
    .join(Ticket, Ticket.id == Notification.ticket_id)
    .where(Notification.id == bindparam("nid"), QueueMembership.queue_id == Ticket.queue_id)
)


def _no_longer_theirs(
    notification_id: int, payload: dict[str, Any], events: list[dict[str, Any]], row: Any
) -> str | None:
    """Why a held SLA e-mail is no longer for its reader: it went to those who answered for
    the ticket when it was written (its holder, else or while the holder is away the queue's
    members, and the queue's leads). By morning a holder may have lost it to a colleague, a
    member may have seen a colleague take it, either may have left the queue, or the ticket
    moved to another queue: the warning is someone else's now. The one holding it now, and
    the queue's leads, still get it; so do the admins told because nobody of the queue was
    there (they answer for every queue)."""
    reader = payload.get("user_id")
    if reader is None or reader == row.assignee_id or any(e.get("unattended") for e in events):
        return None
    held_for = payload.get("queue_id")
    member = ledger.execute(_READER_IN_QUEUE, {"nid": notification_id}).one_or_none()
    if member is None:
        if held_for is not None and row.queue_id != held_for:
            return "not sent: the ticket was moved to another queue before the business hours"
        return LEFT_QUEUE
    # In the queue it is in now (moved to a queue they are in too): they answer for it there
    # as well, and the new queue's news was not written again for them (the same key).
    if member.is_lead:
        return None
    # Rows written before the holder was kept: not known, left as they were.
    if "holder_id" in events[0] and events[0]["holder_id"] != row.assignee_id:
        return "not sent: the ticket changed hands before the business hours"
    return None


# The recipient's language choices and name as they are now.
_READER_NOW = (
    select(User.locale, User.browser_locale, User.display_name)
    .join(Notification, Notification.recipient_id == User.id)
    .where(Notification.id == bindparam("nid"))
)


@functools.cache
def _ticket_names_now() -> Select:
    """What a message shows of its ticket that may be renamed (outbox.ticket_snapshot's keys),
    as it is now. Built on first use: an alias configures the mappers, not yet all imported
    when this module is."""
    requester = aliased(User)
    return (
        select(
            Ticket.subject,
            func.coalesce(RequestType.title_fr, "").label("title_fr"),
            func.coalesce(RequestType.title_en, "").label("title_en"),
            func.coalesce(Queue.name_fr, "").label("queue_fr"),
            func.coalesce(func.nullif(Queue.name_en, ""), Queue.name_fr, "").label("queue_en"),
            func.coalesce(requester.display_name, "").label("requester"),
            Ticket.status,
            Ticket.resolution_due_at,
        )
        .join(Notification, Notification.ticket_id == Ticket.id)
        .outerjoin(RequestType, RequestType.id == Ticket.request_type_id)
        .outerjoin(Queue, Queue.id == Ticket.queue_id)
        .outerjoin(requester, requester.id == Ticket.requester_id)
        .where(Notification.id == bindparam("nid"))
    )


def _as_of_now(notification_id: int, payload: dict[str, Any]) -> dict[str, Any]:
    """A held e-mail is rendered when its time comes, from what happened (its events and
    their data) and what is true then: its reader's language (one who changed it overnight
    on the preferences page gets the morning's e-mail in the new one) and the names it shows
    (the reader's, the requester's, the ticket's subject and queue: renamed overnight by an
    admin or the directory, the morning's e-mail says the new ones)."""
    payload = _names_now(notification_id, payload)
    reader = ledger.execute(_READER_NOW, {"nid": notification_id}).one_or_none()
    if reader is None:
        return payload
    payload["name"] = reader.display_name
    # A requester's own request still speaks the language they filed it in (the snapshot
    # keeps it), as when it was written (desk.notifications.outbox._payload).
    filed_in = payload.get("ticket", {}).get("language")
    language = written_language(
        reader,  # type: ignore[arg-type]  # the two columns written_language reads
        filed_in=filed_in if payload.get("role") == "requester" else None,
    )
    return {**payload, "locale": language}


def _names_now(notification_id: int, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with its ticket's names as they are now (a copy)."""
    payload = {**payload}
    row = ledger.execute(_ticket_names_now(), {"nid": notification_id}).one_or_none()
    if row is None or not isinstance(payload.get("ticket"), dict):
        return payload
    names = dict(row._mapping)
    names["status"] = Status(names["status"]).value
    due = names["resolution_due_at"]
    names["resolution_due_at"] = due.isoformat() if due else None
    payload["ticket"] = {**payload["ticket"], **names}
    # A new ticket's news names its requester (the bell's words; the e-mail reads the ticket).
    payload["events"] = [
        {**item, "requester": names["requester"]} if "requester" in item else item
        for item in payload.get("events") or []
    ]
    return payload


def _stale_reminder(notification_id: int, item: dict[str, Any]) -> str | None:
    row = ledger.execute(_TICKET_NOW, {"nid": notification_id}).one_or_none()
    if row is None:
        return None
    status = Status(row.status)
    if status is not Status.WAITING_ON_REQUESTER:
        return f"not sent: the ticket no longer waited on its requester ({status.value})"
    began = ledger.execute(_WAIT_BEGAN, {"nid": notification_id}).one_or_none()
    since = item.get("since")
    if began is None or began[0] is None or not since:
        return None
    # max() over a UTCDateTime column comes back naive on SQLite (as in reminders).
    at = began[0] if began[0].tzinfo else began[0].replace(tzinfo=dt.UTC)
    if at > dt.datetime.fromisoformat(since):
        return "not sent: a new wait on the requester began before the business hours"
    return None


def _retry(notification_id: int, attempts: int, reason: str, now: dt.datetime) -> Outcome:
    base = dt.timedelta(seconds=current_app.config["NOTIFY_RETRY_BASE_SECONDS"])
    due = max(now, utcnow()) + min(base * 2 ** (attempts - 1), MAX_BACKOFF)
    # A relay that refuses everything for now leaves only these lines (and the "mail delayed"
    # gauge) until the rows give up.
    values = {"status": S.PENDING, "next_attempt_at": due, "last_error": reason[:1000]}
    if not _set_claimed(notification_id, attempts, **values):
        return _claim_lost(notification_id, f"retry: {reason}")
    log.warning(
        "notification %s not sent (attempt %s): %s; next try at %s",
        notification_id,
        attempts,
        reason,
        due.isoformat(timespec="seconds"),
        extra={"notification_id": notification_id, "attempt": attempts},
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
    # Handed over (the final dot may have reached the server): never sent again by itself.
    uncertain = db.session.execute(
        update(Notification)
        .where(stale, Notification.data_at.is_not(None))
        .values(
            status=S.FAILED,
            last_error=f"{UNCERTAIN}: worker lost after the end of the message was sent, "
            "before the server's reply (probably delivered)",
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    given_up = db.session.execute(
        update(Notification)
        .where(stale, Notification.attempts >= config["NOTIFY_MAX_ATTEMPTS"])
        .values(status=S.FAILED, last_error="worker lost while sending, too many times")
        .execution_options(synchronize_session=False)
    ).rowcount
    revived = db.session.scalars(
        update(Notification)
        .where(stale)
        .values(status=S.PENDING, last_error="worker lost before the message was handed over")
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    ).all()
    overdue = (
        select(Notification.id)
        .where(
            Notification.status == inline(S.PENDING),
            Notification.channel == inline(Channel.EMAIL),
            Notification.next_attempt_at <= now - requeue_after,
        )
        .order_by(Notification.next_attempt_at, Notification.id)
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
    if uncertain:
        log.warning("%s notifications uncertain (worker lost during DATA), not resent", uncertain)
    return sorted({*revived, *requeued})
