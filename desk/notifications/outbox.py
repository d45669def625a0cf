"""The transactional outbox: notification rows are written in the transaction of their cause.

Signal subscribers call `notify(...)` while a ticket changes. Nothing is written then: the
wishes pile up in `session.info`, keyed by (ticket, recipient), so that an assignment plus a
status change plus a reply in one request become ONE message per recipient. Just before the
transaction commits, `before_commit` turns them into rows (one per recipient and channel) in
that same transaction; after it has committed, `after_commit` kicks a drain of the outbox
(`kick`). A broker that is down only delays delivery: the rows are safe in the database and
beat's `requeue_pending` publishes them again. A rolled-back change leaves no row behind.

Why a kick rather than one task per transaction: under load (the first morning of term) the
per-task cost — a broker publish in the web request, then the worker's receive, ack and logs —
was a quarter of the worker's CPU per e-mail. A kick is one Redis SET NX in the request; while
a drain is already queued, later commits add nothing, and the drain claims whatever is due.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, SessionTransaction, object_session

from desk.auth.language import written_language
from desk.auth.models import User
from desk.core import broker
from desk.core.db import utcnow
from desk.core.logs import request_id_var
from desk.extensions import db, get_redis
from desk.notifications.calendars import quiet_hours_start
from desk.notifications.models import (
    EMAIL_ONLY_EVENTS,
    EVENT_PRIORITY,
    MANDATORY_EVENTS,
    Channel,
    DeliveryStatus,
    Notification,
    NotificationEvent,
    NotificationPreference,
    switch_for,
)
from desk.tickets.models import Ticket

log = logging.getLogger(__name__)

DELIVER_TASK = "desk.notifications.deliver"
DRAIN_TASK = "desk.notifications.drain"
DELIVER_BATCH = 10
# Set while a drain task is queued or running (the drain deletes it once it finds nothing
# left, then looks once more, and sets it again before each message it sends). If that task
# is lost (its worker killed), the key expires soon, a restarting worker clears it, and
# beat's requeue kicks again: the rows are delayed, never lost.
KICK_KEY = "desk:outbox:kick"
KICK_TTL_MS = 5_000
_WISHES = "desk.notifications.wishes"
_TO_ENQUEUE = "desk.notifications.enqueue"


@dataclass
class _Item:
    event: NotificationEvent
    data: dict[str, Any]
    key: str | None  # a stable cause (SLA due date, waiting period), else per transaction
    quiet_hours: bool  # may wait for the queue's business hours
    email: bool = True  # False: the bell only (e.g. new tickets for a digest subscriber)
    choice_read: bool = False  # the caller applied the recipient's e-mail choice already
    # News of one cause across many tickets (a technician taken out of a queue): one e-mail
    # lists them when a transaction tells the same recipient of two or more (`_bundled`).
    bundle: str | None = None


@dataclass
class _Wish:
    ticket: Ticket
    recipient: User
    items: list[_Item] = field(default_factory=list)
    # None: the requester, or staff. "watcher": in copy (desk.watchers), who reads the
    # ticket from the requester's pages and in words for someone else's request.
    role: str | None = None


def notify(
    ticket: Ticket,
    recipient: User | None,
    event_: NotificationEvent,
    *,
    data: dict[str, Any] | None = None,
    key: str | None = None,
    quiet_hours: bool = False,
    email: bool = True,
    choice_read: bool = False,
    role: str | None = None,
    bundle: str | None = None,
    apart: str | None = None,
) -> None:
    """Tell `recipient` about `ticket` when the current transaction commits.

    `email=False` keeps the news to the bell (the e-mail choice was made elsewhere);
    `choice_read=True` says `email` already follows the recipient's choice for this event
    (read with the recipients), so the outbox does not read it again. `bundle`: news of one
    cause that may reach the same person for many tickets in one transaction; two or more
    become one e-mail listing them (each ticket keeps its bell entry). `apart`: a message of
    its own (its own stable `key`), not merged with the request's other news for them.
    """
    if recipient is None or not recipient.is_active:
        return
    # No e-mail row for an address no server takes: the bell only (a failed row a day, else).
    email = email and recipient.has_mailbox
    session = object_session(ticket) or db.session
    wishes: dict[tuple, _Wish] = session.info.setdefault(_WISHES, {})
    # The first news decides in what capacity they read the message: a member of the queue
    # who is also in copy of its ticket, told of the requester's message as its staff, then
    # as someone in copy, reads it as staff (the staff's page and words, their e-mail switch).
    slot = (id(ticket), recipient.id) if apart is None else (id(ticket), recipient.id, apart)
    wish = wishes.setdefault(slot, _Wish(ticket, recipient, role=role))
    if any(item.event is event_ for item in wish.items):
        return  # the same news twice in one request (e.g. two signals) is said once
    item = _Item(event_, dict(data or {}), key, quiet_hours, email, choice_read, bundle)
    wish.items.append(item)


def schedule_delivery(notification_ids: Iterable[int]) -> None:
    """Have these rows delivered once the current transaction has committed (by a drain,
    which takes every due row: the ids only say that there is something to send)."""
    db.session.info.setdefault(_TO_ENQUEUE, []).extend(notification_ids)


def enqueue_delivery(notification_ids: Iterable[int], *, eta: dt.datetime | None = None) -> int:
    """Publish delivery tasks for these ids, now; returns how many ids went out.

    For the rows named by someone: beat's requeue, a retry's ETA. (A commit kicks a drain
    instead, `kick`.) One task carries up to DELIVER_BATCH ids; bigger lists are split so
    that several worker processes share them.

    Bounded for a web request: every broker call has DESK_REDIS_TIMEOUT; a connection the
    broker dropped (a restart) is retried once at once, a hang is not; the first failure stops
    the loop and pauses publishing in this process for a few seconds (`broker`). The rows stay
    pending and beat's sweep publishes them later.
    """
    ids = list(notification_ids)
    if not ids:
        return 0
    if broker.publishing_paused():
        log.info("broker unavailable a moment ago: %s notification(s) left to beat", len(ids))
        return 0
    sent = 0

    def publish(celery: Any, producer: Any) -> None:
        nonlocal sent  # a retry after a dropped connection goes on where the first stopped
        while sent < len(ids):
            batch = tuple(ids[sent : sent + DELIVER_BATCH])
            celery.send_task(DELIVER_TASK, batch, eta=eta, producer=producer, retry=False)
            sent += len(batch)

    _with_producer(publish, "notification tasks")
    return sent


def kick() -> bool:
    """Make sure a drain task will look at the outbox after this point; False if it could
    not be asked for (the rows stay pending for beat's sweep).

    Correct without a lock: a drain deletes KICK_KEY only after a look that found nothing,
    then looks once more. A commit that finds the key set (SET NX fails) happened before that
    delete, so the drain's last look sees its rows; a commit after the delete sets the key
    again and publishes a new drain.
    """
    if broker.publishing_paused():
        return False
    try:
        if not get_redis().set(KICK_KEY, b"1", nx=True, px=KICK_TTL_MS):
            return True  # a drain is queued or running: its last look will see our rows
    except Exception as exc:  # Redis down or hung: the outbox keeps the rows
        broker.publish_failed()
        log.warning("outbox drain not requested (%s); beat will retry", exc)
        return False
    if _publish_drain():
        return True
    with contextlib.suppress(Exception):  # so that the next commit tries to publish again
        get_redis().delete(KICK_KEY)
    return False


def hold_kick() -> None:
    """The drain is alive and busy: commits need not ask for another one for a while."""
    try:
        get_redis().set(KICK_KEY, b"1", px=KICK_TTL_MS)
    except Exception as exc:  # at worst a commit publishes a drain that finds little to do
        log.warning("outbox kick not held (%s)", exc)


def take_kick() -> None:
    """The drain is about to end: commits from now on must ask for another one."""
    try:
        get_redis().delete(KICK_KEY)
    except Exception as exc:  # the key expires by itself; beat's sweep covers the gap
        log.warning("outbox kick not cleared (%s)", exc)


def _publish_drain() -> bool:
    return _with_producer(
        lambda celery, producer: celery.send_task(DRAIN_TASK, producer=producer, retry=False),
        "outbox drain",
    )


def _with_producer(publish: Callable[[Any, Any], None], what: str) -> bool:
    """Run `publish(celery, producer)`; True if it went through. A connection the broker
    dropped (a restart) is retried once at once, a hang is not; a failure pauses publishing
    in this process for a few seconds (`broker`)."""
    celery = current_app.extensions["celery"]
    for attempt in (1, 2):
        try:
            with celery.producer_or_acquire() as producer:
                publish(celery, producer)
            broker.publish_succeeded()
            return True
        except Exception as exc:  # any broker/transport error: the outbox keeps the rows
            if attempt == 1 and broker.dropped_connection(exc):
                continue
            broker.publish_failed()
            log.warning("%s not published (%s); beat will retry", what, exc)
    return False


@event.listens_for(Session, "before_commit")
def _write_outbox(session: Session) -> None:
    wishes = session.info.pop(_WISHES, None)
    if not wishes:
        return
    session.flush()  # new tickets need their id and reference before we point at them
    rows = _rows(session, list(wishes.values()), utcnow())
    if not rows:
        return
    now = utcnow()
    # On the table, not the entity: the ORM's bulk INSERT splits the rows by which values are
    # None (one statement per change of channel); the table's takes them all in one.
    table = Notification.__table__
    due_emails = [
        r.id
        for r in session.connection().execute(
            _insert_ignoring_duplicates(session).returning(
                table.c.id, table.c.channel, table.c.next_attempt_at
            ),
            rows,
        )
        if r.channel is Channel.EMAIL and r.next_attempt_at <= now
    ]
    session.info.setdefault(_TO_ENQUEUE, []).extend(due_emails)


@event.listens_for(Session, "after_commit")
def _publish(session: Session) -> None:
    if session.info.pop(_TO_ENQUEUE, None):
        kick()


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    # A rollback (or a close without commit) drops what the failed transaction wanted to say.
    if transaction.parent is None:
        session.info.pop(_WISHES, None)
        session.info.pop(_TO_ENQUEUE, None)


@dataclass
class Alert:
    """An e-mail about no ticket, to one user: `payload` says what to render
    (`desk.notifications.content.render_alert`), `dedupe_key` makes a second write a no-op."""

    recipient: User
    payload: dict[str, Any]
    dedupe_key: str


def write_alerts(event: NotificationEvent, alerts: Iterable[Alert]) -> int:
    """Write these e-mails to the outbox in the caller's transaction (sent once it commits,
    retried like every e-mail); returns how many were new."""
    now = utcnow()
    rows = [
        email_row(
            event,
            alert.recipient,
            {
                "to": alert.recipient.email,
                "name": alert.recipient.display_name,
                "locale": written_language(alert.recipient),
                "events": [{"event": event.value}],
                "request_id": request_id_var.get(),
                **alert.payload,
            },
            alert.dedupe_key,
            now=now,
        )
        for alert in alerts
        if alert.recipient.has_mailbox
    ]
    return write_emails(rows)


def email_row(
    event: NotificationEvent,
    recipient: User,
    payload: dict[str, Any],
    dedupe_key: str,
    *,
    now: dt.datetime,
) -> dict[str, Any]:
    """The outbox row of an e-mail about no one ticket (an alert, a bundle, a digest), due at
    `now`."""
    return {
        "event": event,
        "ticket_id": None,
        "recipient_id": recipient.id,
        "channel": Channel.EMAIL,
        "payload": payload,
        "dedupe_key": dedupe_key,
        "status": DeliveryStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": "",
        "created_at": now,
        "sent_at": None,
    }


def write_emails(rows: list[dict[str, Any]]) -> int:
    """Insert these e-mail rows in the caller's transaction, a row whose dedupe key is taken
    being a no-op, and send the new ones once it commits; returns how many were new."""
    if not rows:
        return 0
    session = db.session
    ids = list(
        session.execute(
            _insert_ignoring_duplicates(session).returning(Notification.id), rows
        ).scalars()
    )
    schedule_delivery(ids)
    return len(ids)


def _insert_ignoring_duplicates(session: Session):
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(Notification.__table__).on_conflict_do_nothing(index_elements=["dedupe_key"])


def _rows(session: Session, wishes: list[_Wish], now: dt.datetime) -> list[dict[str, Any]]:
    # Only a recipient with an e-mail one may turn off needs their choices read.
    muted = _muted_events(
        session,
        {w.recipient.id for w in wishes if any(i.email and not _decided(i) for i in w.items)},
    )
    tx = uuid.uuid4().hex
    rows: list[dict[str, Any]] = []
    bundled = _bundled(wishes)
    for wish in wishes:
        ticket, recipient = wish.ticket, wish.recipient
        payload = _payload(ticket, recipient, wish.role)
        cause = _cause(wish.items, tx)
        # The acknowledgement, and the answer to an e-mail that could not be added, are
        # receipts of the recipient's own act: an e-mail, not news for their bell.
        shown = [i for i in wish.items if i.event not in EMAIL_ONLY_EVENTS]
        if shown:
            rows.append(
                _row(
                    ticket,
                    recipient,
                    Channel.INAPP,
                    shown,
                    payload,
                    [_item_json(i) for i in shown],
                    cause,
                    status=DeliveryStatus.SENT,
                    due=now,
                    sent_at=now,
                )
            )
        mailed = [
            i
            for i in wish.items
            if i.email
            and (recipient.id, i.bundle) not in bundled
            and (_decided(i) or (recipient.id, switch_for(i.event, payload["role"])) not in muted)
        ]
        if mailed:
            due = now
            if all(i.quiet_hours for i in mailed):
                due = quiet_hours_start(ticket.queue, now)
            mail = payload
            if due > now:
                # Held for the queue's business hours: the delivery looks again then whether
                # it is still news, and still about this queue's ticket
                # (desk.notifications.delivery.stale_reason).
                mail = {**payload, "deferred": True, "queue_id": ticket.queue_id}
            rows.append(
                _row(
                    ticket,
                    recipient,
                    Channel.EMAIL,
                    mailed,
                    mail,
                    [_item_json(i) for i in mailed],
                    cause,
                    status=DeliveryStatus.PENDING,
                    due=due,
                    sent_at=None,
                )
            )
    for group in bundled.values():
        rows.extend(_bundle_rows(group, muted, tx, now))
    return rows


def _bundled(wishes: list[_Wish]) -> dict[tuple[int, str], list[tuple[_Wish, _Item]]]:
    """The bundled e-mails to one recipient that name two tickets or more, by (recipient,
    bundle): one e-mail lists them (20 tickets taken from someone at once were 20 e-mails)."""
    groups: dict[tuple[int, str], list[tuple[_Wish, _Item]]] = {}
    for wish in wishes:
        for item in wish.items:
            if item.bundle and item.email:
                groups.setdefault((wish.recipient.id, item.bundle), []).append((wish, item))
    return {k: group for k, group in groups.items() if len(group) > 1}


def _bundle_rows(
    group: list[tuple[_Wish, _Item]],
    muted: set[tuple[int, NotificationEvent]],
    tx: str,
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """The one e-mail of a bundle (about no one ticket: `content.render_alert` lists them),
    unless its reader turned that news off; each ticket's bell entry is written as usual."""
    wish, item = group[0]
    recipient = wish.recipient
    role = wish.role or "staff"
    if not _decided(item) and (recipient.id, switch_for(item.event, role)) in muted:
        return []
    base = current_app.config["BASE_URL"]
    tickets = sorted(
        (_bundled_ticket(w, i, base) for w, i in group),
        key=lambda t: (t["queue_fr"], t.get("former", ""), t["reference"]),
    )
    payload = {
        "to": recipient.email,
        "user_id": recipient.id,
        "name": recipient.display_name,
        "locale": written_language(recipient),
        "role": role,
        "alert": item.bundle,
        "tickets": tickets,
        "events": [_item_json(item)],
        "request_id": request_id_var.get(),
    }
    return [
        email_row(item.event, recipient, payload, f"{item.bundle}:u{recipient.id}:{tx}", now=now)
    ]


# What one ticket's line of a bundled e-mail says besides the ticket itself (its item's data).
_BUNDLED_DATA = ("reason", "former", "unattended")


def _bundled_ticket(wish: _Wish, item: _Item, base: str) -> dict[str, Any]:
    """One ticket of a bundled e-mail, with the link its reader may follow: the page of
    their capacity (the staff's, for the queue's members told of tickets back in it); for
    news that took it from them as they left its queue, only a page still theirs (`followed`:
    they asked for it or are in copy), the staff's page being no longer theirs."""
    ticket = wish.ticket
    if item.data.get("left"):
        url = f"{base}/mes-demandes/{ticket.reference}" if item.data.get("followed") else ""
    else:
        url = f"{base}{_path(ticket, wish.recipient, wish.role)}"
    extra = {k: item.data[k] for k in _BUNDLED_DATA if k in item.data}
    return {**ticket_snapshot(ticket), **extra, "url": url}


def _decided(item: _Item) -> bool:
    """No stored choice to read: a mandatory event, or one whose caller read it."""
    return item.choice_read or item.event in MANDATORY_EVENTS


def _row(
    ticket: Ticket,
    recipient: User,
    channel: Channel,
    items: list[_Item],
    payload: dict[str, Any],
    events: list[dict[str, Any]],
    cause: str,
    *,
    status: DeliveryStatus,
    due: dt.datetime,
    sent_at: dt.datetime | None,
) -> dict:
    key = f"t{ticket.id}:u{recipient.id}:{channel.value}:{cause}"
    if len(key) > 200:
        key = hashlib.sha256(key.encode()).hexdigest()
    return {
        "event": min((i.event for i in items), key=EVENT_PRIORITY.index),
        "ticket_id": ticket.id,
        "recipient_id": recipient.id,
        "channel": channel,
        "payload": {**payload, "events": events},
        "dedupe_key": key,
        "status": status,
        "attempts": 0,
        "next_attempt_at": due,
        "last_error": "",
        "created_at": utcnow(),
        "sent_at": sent_at,
    }


def _cause(items: list[_Item], tx: str) -> str:
    """Stable causes make replays no-ops (an SLA sweep run twice); anything else is per commit."""
    if all(i.key for i in items):
        return "+".join(sorted(str(i.key) for i in items))
    return tx


def _item_json(item: _Item) -> dict[str, Any]:
    return {"event": item.event.value, **item.data}


def _payload(ticket: Ticket, recipient: User, role: str | None = None) -> dict[str, Any]:
    """A snapshot of what the message needs, so rendering later reads no ticket state."""
    config = current_app.config
    if role is None:
        role = "requester" if recipient.id == ticket.requester_id else "staff"
    path = _path(ticket, recipient, role)
    return {
        "to": recipient.email,
        "user_id": recipient.id,
        "name": recipient.display_name,
        # The requester's own request speaks the language they filed it in, unless they
        # chose one; anyone else reads theirs (desk.auth.language).
        "locale": written_language(
            recipient, filed_in=ticket.language if recipient.id == ticket.requester_id else None
        ),
        "role": role,
        "path": path,
        "url": f"{config['BASE_URL']}{path}",
        "ticket": ticket_snapshot(ticket),
        # The delivery logs under it: the drain that sends it runs under another's id.
        "request_id": request_id_var.get(),
        # The e-mail that filed it, which each of its e-mails answers (mailer.thread_headers).
        **({"filed_by_mail": ticket.filed_by_mail} if ticket.filed_by_mail else {}),
    }


def _path(ticket: Ticket, recipient: User, role: str | None) -> str:
    """The page of `ticket` its reader opens: the staff's, or the requester's pages."""
    if role is None:
        role = "requester" if recipient.id == ticket.requester_id else "staff"
    return ("/tickets/" if role == "staff" else "/mes-demandes/") + ticket.reference


def ticket_snapshot(ticket: Ticket) -> dict[str, Any]:
    """What a message shows of a ticket, frozen when the message is written."""
    queue = ticket.queue
    due = ticket.resolution_due_at
    return {
        "reference": ticket.reference,
        "subject": ticket.subject,
        # The subject starts with the request type's French title: told in each reader's
        # language at send/display time (see content.snapshot_subject).
        "title_fr": ticket.request_type.title_fr if ticket.request_type else "",
        "title_en": (ticket.request_type.title_en or "") if ticket.request_type else "",
        # What the requester typed is in this language (None: not known).
        "language": ticket.language,
        "status": ticket.status.value,
        # The queue it was in, by id: the bell names it as it is called when it is read.
        "queue_id": queue.id if queue else ticket.queue_id,
        "queue_fr": queue.name_fr if queue else "",
        "queue_en": (queue.name_en or queue.name_fr) if queue else "",
        "requester": ticket.requester.display_name if ticket.requester else "",
        "resolution_due_at": due.isoformat() if due else None,
    }


def _muted_events(session: Session, user_ids: set[int]) -> set[tuple[int, NotificationEvent]]:
    if not user_ids:
        return set()
    rows = session.execute(
        select(NotificationPreference.user_id, NotificationPreference.event).where(
            NotificationPreference.user_id.in_(user_ids),
            NotificationPreference.email_enabled.is_(False),
        )
    )
    return {(r.user_id, r.event) for r in rows}
