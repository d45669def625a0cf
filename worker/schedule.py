"""Celery beat schedule: the periodic tasks, in one place."""

from __future__ import annotations

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
