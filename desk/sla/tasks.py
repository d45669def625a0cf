"""SLA timers: the minute sweep, and recomputing due dates after a settings change."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from desk.core.db import utcnow
from desk.core.services import SWEEP_HEARTBEAT, record_heartbeat
from desk.sla.services import recompute_open_tickets
from desk.sla.sweep import run_sweep


@shared_task(name="desk.sla.sweep")
def sweep(now_iso: str | None = None) -> int:
    """Record crossed SLA thresholds (beat: every minute); `now_iso` fixes the clock in tests."""
    now = dt.datetime.fromisoformat(now_iso) if now_iso else utcnow()
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    run = run_sweep(now)
    if run.complete:  # /metrics reports the time since the last sweep that left nothing behind
        record_heartbeat(SWEEP_HEARTBEAT)
    return run.recorded


@shared_task(name="desk.sla.recompute_policy")
def recompute_policy(policy_id: int) -> int:
    """Recompute the due dates of the open tickets under one policy."""
    return recompute_open_tickets(policy_id=policy_id)


@shared_task(name="desk.sla.recompute_calendar")
def recompute_calendar(calendar_id: int) -> int:
    """Recompute the due dates of the open tickets whose policy uses one calendar."""
    return recompute_open_tickets(calendar_id=calendar_id)


@shared_task(name="desk.sla.recompute_request_type")
def recompute_request_type(request_type_id: int) -> int:
    """Recompute the due dates of the open tickets of one request type (policy removed)."""
    return recompute_open_tickets(request_type_id=request_type_id)
