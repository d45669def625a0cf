"""The directory sync task (beat: nightly; admins: "sync now")."""

from __future__ import annotations

from celery import shared_task
from flask import current_app

from desk.extensions import db, get_redis
from desk.identity.directory import get_directory
from desk.identity.models import DirectorySync
from desk.identity.sync import sync_directory

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
    try:
        run = sync_directory(directory, run_id=run_id)
        db.session.commit()
        return run.status
    except Exception:
        db.session.rollback()
        raise
    finally:
        lock.release()
