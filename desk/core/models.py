"""Operational records kept by the platform itself."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from desk.core.db import UTCDateTime, utcnow
from desk.extensions import db


class WorkerHeartbeat(db.Model):
    """Last time a Celery worker ran the heartbeat (or a tick); /healthz reports it."""

    worker: Mapped[str] = mapped_column(String(200), primary_key=True)
    seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PeriodicRun(db.Model):
    """When a periodic job last started (desk.core.periodic): the tick runs it once its
    interval has passed, however many beats were lost meanwhile."""

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_run_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
