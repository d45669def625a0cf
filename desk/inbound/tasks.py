"""The mail poll task (beat: every DESK_INBOUND_POLL_SECONDS when a source is configured)."""

from __future__ import annotations

from celery import shared_task

from desk.extensions import get_redis
from desk.inbound.services import fetch_mail

LOCK = "desk:inbound:poll"


@shared_task(name="desk.inbound.fetch_mail")
def fetch_mail_task() -> dict[str, int] | str:
    """Read the configured mailboxes once; one poll at a time (the ledger also makes a second
    poller harmless, the lock just saves it the work)."""
    lock = get_redis().lock(LOCK, timeout=600, blocking=False)
    if not lock.acquire():
        return "skipped"
    try:
        return fetch_mail().counts
    finally:
        lock.release()
