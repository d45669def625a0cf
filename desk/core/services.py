"""Platform services: health checks and worker heartbeats."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from desk.core.db import utcnow
from desk.core.models import WorkerHeartbeat
from desk.extensions import db, get_redis

log = logging.getLogger(__name__)

# The heartbeat row the SLA sweep writes after each complete run (see desk.core.metrics).
SWEEP_HEARTBEAT = "sla-sweep"
# The mail poll's rows, one of each per mailbox ("inbound-poll:imap"): its last good and last
# failed poll, and the last good one that left a message the server would not move
# (desk.inbound.polls writes them). Not a worker's heartbeat: `flask desk fetch-mail` on a web
# host writes them too.
POLL_OK, POLL_FAILED = "inbound-poll:", "inbound-poll-failed:"
POLL_UNMOVED = "inbound-poll-unmoved:"


def last_worker_seen() -> dt.datetime | None:
    """When a worker last ran the heartbeat, a tick or the SLA sweep (None: never)."""
    return db.session.scalar(
        select(func.max(WorkerHeartbeat.seen_at)).where(
            WorkerHeartbeat.worker.not_like("inbound-poll%")
        )
    )


@dataclass(frozen=True)
class MailboxPoll:
    """One configured mailbox as the poll left it."""

    source: str  # "maildir", "imap"
    last_read: dt.datetime | None  # its last poll without error (None: never)
    failing: bool  # its last poll failed (cannot connect, log in, or read)
    # Its last good poll left a message there that the server would not move (a folder full
    # or closed to desk): read again at each poll, never handled twice.
    unmoved: bool = False


def mailbox_polls() -> list[MailboxPoll]:
    """Each configured mailbox's last good poll, whether its last poll failed and whether it
    left messages unmoved; none when incoming mail is off. One read of the few heartbeat rows."""
    from desk.inbound.sources import configured_names

    return mailbox_polls_of(configured_names(current_app.config))


def mailbox_polls_of(names: list[str]) -> list[MailboxPoll]:
    """The poll state of the named mailboxes (as `mailbox_polls`)."""
    if not names:
        return []
    seen = dict(
        db.session.execute(
            select(WorkerHeartbeat.worker, WorkerHeartbeat.seen_at).where(
                WorkerHeartbeat.worker.like("inbound-poll%")
            )
        ).all()
    )
    polls = []
    for name in names:
        ok, failed = seen.get(f"{POLL_OK}{name}"), seen.get(f"{POLL_FAILED}{name}")
        # Recorded with the same time as the good poll it belongs to.
        left = seen.get(f"{POLL_UNMOVED}{name}")
        polls.append(
            MailboxPoll(
                name,
                ok,
                failing=bool(failed and (ok is None or failed > ok)),
                unmoved=bool(left and ok and left >= ok),
            )
        )
    return polls


@dataclass(frozen=True)
class DirectorySyncState:
    """The directory sync as its runs left it."""

    last_completed: dt.datetime | None  # the last run that ended "ok" (None: never)
    latest: str | None  # how the latest finished run ended: "ok", "failed", "stopped" (None)

    @property
    def failing(self) -> bool:
        """The latest run failed (directory unreachable) or stopped (the mass-deactivation
        guard)."""
        return self.latest in ("failed", "stopped")


def directory_sync_state() -> DirectorySyncState | None:
    """How the directory sync is doing; None without a directory (DESK_LDAP_URL). Two reads
    of a table of one row a night."""
    from desk.identity.models import DirectorySync

    if not current_app.config.get("LDAP_URL"):
        return None
    last_ok = db.session.scalar(
        select(func.max(DirectorySync.finished_at)).where(DirectorySync.status == "ok")
    )
    latest = db.session.scalar(
        select(DirectorySync.status)
        .where(DirectorySync.status.in_(("ok", "failed", "stopped")))
        .order_by(DirectorySync.started_at.desc())
        .limit(1)
    )
    return DirectorySyncState(last_ok, latest)


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

    The mailboxes and the directory sync, when configured, are told too, for information
    only: neither changes the status (a mailbox that fails takes no page down).
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
    report.update(_polls_and_syncs(known=report["database"] == "ok"))
    if report["database"] != "ok":
        report["status"] = "down"
        return 503, report
    healthy = report["redis"] == "ok" and worker["state"] == "ok"
    report["status"] = "ok" if healthy else "degraded"
    return 200, report


def _polls_and_syncs(*, known: bool) -> dict:
    """The "mailboxes" and "directory" parts of the health report (each left out when not
    configured), "unknown" when the database does not answer or their read fails."""
    from desk.inbound.sources import configured_names

    config = current_app.config
    names = configured_names(config)
    unknown_mail = {name: {"state": "unknown", "last_read": None} for name in names}
    unknown_sync = {"state": "unknown", "last_completed": None}
    part: dict = {}
    if names:
        part["mailboxes"] = unknown_mail
    if config.get("LDAP_URL"):
        part["directory"] = unknown_sync
    if not part or not known:
        return part
    try:
        polls, sync = mailbox_polls(), directory_sync_state()
    except Exception:  # information only: never what makes /healthz fail
        log.warning("health: mailboxes and directory sync unknown", exc_info=True)
        db.session.rollback()
        return part
    if polls:
        part["mailboxes"] = {
            poll.source: {
                "state": "failing" if poll.failing else "ok" if poll.last_read else "never read",
                "last_read": _iso(poll.last_read),
            }
            for poll in polls
        }
    if sync is not None:
        part["directory"] = {
            "state": sync.latest or "never synced",
            "last_completed": _iso(sync.last_completed),
        }
    return part


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None
