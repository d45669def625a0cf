"""Platform tasks."""

from __future__ import annotations

from celery import shared_task

from desk.core.services import record_heartbeat


@shared_task(name="desk.core.heartbeat")
def heartbeat(worker: str = "worker") -> str:
    """Write this worker's heartbeat to the database (scheduled by beat every minute)."""
    return record_heartbeat(worker).seen_at.isoformat()
