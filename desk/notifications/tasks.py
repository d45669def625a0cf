"""Celery tasks of the notifications: thin wrappers over `delivery` and `reminders`."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from desk.notifications import delivery, digest, reminders
from desk.notifications.outbox import enqueue_delivery

# Longer delays are left to beat's sweep: an ETA task held for hours by a worker would be
# redelivered by the broker (visibility timeout) anyway.
MAX_ETA = dt.timedelta(minutes=10)


@shared_task(name="desk.notifications.deliver")
def deliver(*notification_ids: int) -> list[str]:
    """Send these e-mail rows (each a no-op if it is not pending and due); schedule their
    retries. A row whose delivery raised (the database gone) is left for beat's sweep; the
    rest are still tried, then the first error is raised (Celery logs the task as failed).
    """
    outcomes = delivery.deliver_many(notification_ids)
    for notification_id, outcome in zip(notification_ids, outcomes, strict=True):
        retry_at = outcome.retry_at
        if retry_at is not None and retry_at - dt.datetime.now(dt.UTC) <= MAX_ETA:
            enqueue_delivery([notification_id], eta=retry_at)
    errors = [o.error for o in outcomes if o.error is not None]
    if errors:
        raise errors[0]
    return [o.status for o in outcomes]


@shared_task(name="desk.notifications.requeue_pending")
def requeue_pending() -> int:
    """Beat: publish again the outbox rows still pending after a delay or orphaned mid-send."""
    return enqueue_delivery(delivery.sweep())


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
