"""Celery beat schedule: the periodic tasks, in one place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    "heartbeat": {"task": "desk.core.heartbeat", "schedule": 60.0, "args": ("beat",)},
}

# SLA: record crossed warning thresholds and due dates (exactly once per ticket and event).
BEAT_SCHEDULE["sla-sweep"] = {
    "task": "desk.sla.sweep",
    "schedule": 60.0,
    "options": {"expires": 120},  # a backlog of sweeps after an outage is useless
}

# Notifications: publish outbox rows again (broker down at commit, retries, orphaned sends);
# remind requesters the desk waits on, and close what they abandoned.
BEAT_SCHEDULE["notifications-requeue"] = {
    "task": "desk.notifications.requeue_pending",
    "schedule": 30.0,
    "options": {"expires": 60},
}
BEAT_SCHEDULE["notifications-waiting-reminders"] = {
    "task": "desk.notifications.send_waiting_reminders",
    "schedule": 900.0,
    "options": {"expires": 900},
}
BEAT_SCHEDULE["notifications-auto-close"] = {
    "task": "desk.notifications.auto_close_waiting",
    "schedule": 900.0,
    "options": {"expires": 900},
}
BEAT_SCHEDULE["notifications-digests"] = {
    "task": "desk.notifications.send_digests",
    "schedule": 300.0,
    "options": {"expires": 300},
}

# Identity: sync every account with the directory, nightly (UTC), once a day is what the HR
# feed changes at; admins can run it at once from the admin page.
BEAT_SCHEDULE["identity-directory-sync"] = {
    "task": "desk.identity.sync_directory",
    "schedule": crontab(hour=2, minute=30),
    "options": {"expires": 6 * 3600},
}


def inbound_entry(config: Mapping[str, Any]) -> dict[str, dict]:
    """The mail poll, only when a mailbox is configured (no empty polls every minute)."""
    if not (config.get("INBOUND_MAILDIR") or config.get("INBOUND_IMAP_URL")):
        return {}
    seconds = float(config["INBOUND_POLL_SECONDS"])
    return {
        "inbound-fetch-mail": {
            "task": "desk.inbound.fetch_mail",
            "schedule": seconds,
            "options": {"expires": seconds},
        }
    }
