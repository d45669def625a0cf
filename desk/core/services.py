"""Platform services: health checks and worker heartbeats."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, text

from desk.core.db import utcnow
from desk.core.models import WorkerHeartbeat
from desk.extensions import db, get_redis

# The heartbeat row the SLA sweep writes after each complete run (see desk.core.metrics).
SWEEP_HEARTBEAT = "sla-sweep"


def record_heartbeat(worker: str, *, at: dt.datetime | None = None) -> WorkerHeartbeat:
    """Upsert the heartbeat row of one worker."""
    beat = db.session.get(WorkerHeartbeat, worker) or WorkerHeartbeat(worker=worker)
    beat.seen_at = at or utcnow()
    db.session.add(beat)
    db.session.commit()
    return beat


def check_health() -> tuple[bool, dict]:
    """Probe the database and Redis; report the newest worker heartbeat for information."""
    report: dict = {}
    healthy = True
    try:
        db.session.execute(text("SELECT 1"))
        report["database"] = "ok"
        last = db.session.scalar(
            select(WorkerHeartbeat.seen_at).order_by(WorkerHeartbeat.seen_at.desc()).limit(1)
        )
        report["worker_last_seen"] = last.isoformat() if last else None
    except Exception as exc:  # any driver error means "down"; the reason is reported
        db.session.rollback()
        report["database"] = f"error: {type(exc).__name__}"
        healthy = False
    try:
        get_redis().ping()
        report["redis"] = "ok"
    except Exception as exc:
        report["redis"] = f"error: {type(exc).__name__}"
        healthy = False
    report["status"] = "ok" if healthy else "degraded"
    return healthy, report
