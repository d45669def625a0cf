"""Celery beat schedule: the periodic tasks, in one place."""

from __future__ import annotations

BEAT_SCHEDULE: dict[str, dict] = {
    "heartbeat": {"task": "desk.core.heartbeat", "schedule": 60.0, "args": ("beat",)},
}
