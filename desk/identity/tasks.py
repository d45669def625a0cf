"""The directory sync task (beat: nightly; admins: "sync now")."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from flask import current_app

from desk.core.db import utcnow
from desk.extensions import db, get_redis
from desk.identity.directory import get_directory
from desk.identity.models import DirectorySync
from desk.identity.sync import sync_directory

log = logging.getLogger(__name__)

LOCK = "desk:identity:sync"


@shared_task(name="desk.identity.sync_directory")
def sync_directory_task(run_id: int | None = None) -> str:
    """Sync every account with the directory; one run at a time (a Redis lock)."""
    directory = get_directory(current_app.config)
    if directory is None:
        return "no directory"
    lock = get_redis().lock(LOCK, timeout=3600, blocking=False)
    if not lock.acquire():
        run = db.session.get(DirectorySync, run_id) if run_id else None
        if run is not None:
            run.status = "skipped"  # another sync is running; it covers this request
            db.session.commit()
        return "skipped"
    started = utcnow()
    try:
        run = sync_directory(directory, run_id=run_id)
        db.session.commit()
        return run.status
    except Exception as exc:
        db.session.rollback()
        # The traceback is for the logs (with this task's request id); the run shows the
        # admin page only the exception's class: its message may hold a person's data.
        log.exception("directory sync failed: an unexpected error; nothing changed")
        _record_error(run_id, started, type(exc).__name__)
        return "failed"
    finally:
        lock.release()


def _record_error(run_id: int | None, started: dt.datetime, error: str) -> None:
    """Record the run the rollback took away (a nightly run's row, a queued run's end) as
    failed, in a transaction of its own: without it "Sync now" stayed queued for ever and a
    nightly run left no trace. If even that fails, the log line above is what is left."""
    try:
        run = db.session.get(DirectorySync, run_id) if run_id else None
        if run is None:
            run = DirectorySync(counts={})
            db.session.add(run)
        run.status, run.counts, run.started_at, run.finished_at = "failed", {}, started, utcnow()
        run.reason, run.reason_data = "error", {"error": error}
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("directory sync: the failed run could not be recorded")
        raise
