"""Platform tasks."""

from __future__ import annotations

from collections.abc import Sequence

from celery import current_app as current_celery
from celery import shared_task

from desk.core.periodic import run_due
from desk.core.services import record_heartbeat


@shared_task(name="desk.core.heartbeat")
def heartbeat(worker: str = "worker") -> str:
    """Write this worker's heartbeat to the database (scheduled by beat every minute)."""
    return record_heartbeat(worker).seen_at.isoformat()


@shared_task(name="desk.core.tick", bind=True)
def tick(self, jobs: Sequence[Sequence[object]]) -> list[str]:
    """Beat, every few seconds: this worker's heartbeat, then the periodic jobs now due."""
    record_heartbeat(self.request.hostname or "worker")
    return run_due(jobs, lambda name: current_celery.tasks[name]())
