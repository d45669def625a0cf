"""Platform services: health checks and worker heartbeats."""

from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import func, select

from desk.core.db import utcnow
from desk.core.models import WorkerHeartbeat
from desk.extensions import db, get_redis

# The heartbeat row the SLA sweep writes after each complete run (see desk.core.metrics).
SWEEP_HEARTBEAT = "sla-sweep"
# The mail poll's rows, one of each per mailbox ("inbound-poll:imap"): its last good and last
# failed poll. Not a worker's heartbeat: `flask desk fetch-mail` on a web host writes them too.
POLL_OK, POLL_FAILED = "inbound-poll:", "inbound-poll-failed:"


def last_worker_seen() -> dt.datetime | None:
    """When a worker last ran the heartbeat, a tick or the SLA sweep (None: never)."""
    return db.session.scalar(
        select(func.max(WorkerHeartbeat.seen_at)).where(
            WorkerHeartbeat.worker.not_like("inbound-poll%")
        )
    )


def record_heartbeat(worker: str, *, at: dt.datetime | None = None) -> WorkerHeartbeat:
    """Upsert the heartbeat row of one worker."""
    beat = db.session.get(WorkerHeartbeat, worker) or WorkerHeartbeat(worker=worker)
    beat.seen_at = at or utcnow()
    db.session.add(beat)
    db.session.commit()
    return beat


def check_health(*, now: dt.datetime | None = None) -> tuple[int, dict]:
    """Probe the database, Redis and the workers' heartbeat: (HTTP status, report).

    "down" (503) when the database does not answer: no page can work, a load balancer should
    send traffic elsewhere. "degraded" (200) when Redis does not answer or no worker has run
    the heartbeat for WORKER_STALE_SECONDS: pages still work, mail and periodic work wait;
    monitoring alerts on it, a load balancer must not drop the web tier for it.
    """
    config = current_app.config
    now = now or utcnow()
    stale_after = config["WORKER_STALE_SECONDS"]
    report: dict = {"database": "ok", "redis": "ok"}
    worker: dict = {"last_seen": None, "stale_after_seconds": stale_after}
    try:
        last = last_worker_seen()
        worker["last_seen"] = last.isoformat() if last else None
        if last is None:
            worker["state"] = "never seen"
        elif (now - last).total_seconds() > stale_after:
            worker["state"] = "stale"
        else:
            worker["state"] = "ok"
    except Exception as exc:  # any driver error means "down"; the reason is reported
        db.session.rollback()
        report["database"] = f"error: {type(exc).__name__}"
        worker["state"] = "unknown"
    try:
        get_redis().ping()
    except Exception as exc:
        report["redis"] = f"error: {type(exc).__name__}"
    report["worker"] = worker
    if report["database"] != "ok":
        report["status"] = "down"
        return 503, report
    healthy = report["redis"] == "ok" and worker["state"] == "ok"
    report["status"] = "ok" if healthy else "degraded"
    return 200, report
