"""Celery tasks of the notifications: thin wrappers over `delivery` and `reminders`."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from flask import current_app

from desk.core.db import utcnow
from desk.notifications import delivery, digest, reminders
from desk.notifications.outbox import enqueue_delivery, hold_kick, kick, take_kick

# Longer delays are left to beat's sweep: an ETA task held for hours by a worker would be
# redelivered by the broker (visibility timeout) anyway.
MAX_ETA = dt.timedelta(minutes=10)


@shared_task(name="desk.notifications.drain")
def drain() -> int:
    """Send every due e-mail row of the outbox (what commits kicked for); returns how many
    rows it tried. Asks for another drain if its time budget ran out with rows left."""
    try:
        done, more = delivery.drain(
            take_kick, hold_kick, budget_seconds=current_app.config["OUTBOX_DRAIN_SECONDS"]
        )
    except Exception:
        take_kick()  # the next commit asks again (beat's sweep has the rows meanwhile)
        raise
    if more:
        take_kick()
        kick()
    return len(_after(done))


@shared_task(name="desk.notifications.deliver")
def deliver(*notification_ids: int) -> list[str]:
    """Send these e-mail rows (each a no-op if it is not pending and due): a retry's ETA
    task and beat's requeue name their rows (commits, the admin's retry included, kick a
    drain instead)."""
    outcomes = delivery.deliver_many(notification_ids)
    return [o.status for o in _after(list(zip(notification_ids, outcomes, strict=True)))]


def _after(done: list[tuple[int, delivery.Outcome]]) -> list[delivery.Outcome]:
    """Schedule the near retries. A row whose delivery raised (the database gone) is left
    for beat's sweep; the rest were still tried, then the first error is raised (Celery logs
    the task as failed)."""
    for notification_id, outcome in done:
        retry_at = outcome.retry_at
        if retry_at is not None and retry_at - dt.datetime.now(dt.UTC) <= MAX_ETA:
            enqueue_delivery([notification_id], eta=retry_at)
    errors = [o.error for _id, o in done if o.error is not None]
    if errors:
        raise errors[0]
    return [o for _id, o in done]


@shared_task(name="desk.notifications.requeue_pending")
def requeue_pending() -> int:
    """Beat: publish again the outbox rows still pending after a delay or orphaned mid-send,
    and kick a drain when rows are due (rows committed while a killed drain still held the
    kick). Not when none is: an idle desk would run, and log, an empty drain every time."""
    requeued = enqueue_delivery(delivery.sweep())
    if delivery.any_due(utcnow()):
        kick()
    return requeued


@shared_task(name="desk.notifications.send_waiting_reminders")
def send_waiting_reminders() -> int:
    """Beat: remind requesters the desk has been waiting on for N business days."""
    return reminders.send_waiting_reminders()


@shared_task(name="desk.notifications.auto_close_waiting")
def auto_close_waiting() -> int:
    """Beat: close tickets left waiting on their requester for M business days."""
    return reminders.auto_close_waiting()


@shared_task(name="desk.notifications.send_digests")
def send_digests() -> int:
    """Beat: e-mail the digest of new tickets to the staff who chose it, when due."""
    return digest.send_digests()


@shared_task(name="desk.notifications.ping")
def ping() -> None:
    """Does nothing: bench/notifications.py measures the worker's ceiling with it."""
