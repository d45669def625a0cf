"""Celery beat schedule: one tick; the periodic jobs and their intervals, in one place.

Beat only publishes `desk.core.tick` every TICK_SECONDS. The tick decides from the database
(`periodic_run`) which jobs are due, so a run that beat could not publish (Redis down) is
not lost until the next interval: the first tick after the outage runs it (desk.core.periodic).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from celery.schedules import crontab

TICK_SECONDS = 10.0

# (name, Celery task, interval in seconds). Each runs at most once per interval, whichever
# worker runs the tick; the tasks are idempotent.
PERIODIC_JOBS: list[tuple[str, str, float]] = [
    # SLA: record crossed warning thresholds and due dates (exactly once per ticket and event).
    ("sla-sweep", "desk.sla.sweep", 60.0),
    # Notifications: publish outbox rows again (broker down at commit, retries, orphaned sends).
    ("notifications-requeue", "desk.notifications.requeue_pending", 30.0),
    # Remind requesters the desk waits on, and close what they abandoned.
    ("notifications-waiting-reminders", "desk.notifications.send_waiting_reminders", 900.0),
    ("notifications-auto-close", "desk.notifications.auto_close_waiting", 900.0),
    # The digest of new tickets, for the staff who chose it (it decides who is due).
    ("notifications-digests", "desk.notifications.send_digests", 300.0),
    # The reminders technicians set on tickets ("remind me on Monday at 9").
    ("follow-ups", "desk.followups.send_due", 60.0),
    # Personal data past their retention (RGPD): erased hourly, 5 minutes of work at most.
    ("privacy-retention", "desk.privacy.erase_expired", 3600.0),
]

BEAT_SCHEDULE: dict[str, dict] = {
    "tick": {
        "task": "desk.core.tick",
        "schedule": TICK_SECONDS,
        "args": (PERIODIC_JOBS,),
        # A tick that waited in the queue longer than its period is superseded by the next.
        "options": {"expires": TICK_SECONDS},
    },
}

# Identity (a time of day, not an interval: it stays a beat entry): sync every account
# with the directory, nightly (UTC), once a day is what the HR
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
