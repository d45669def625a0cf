"""Periodic work driven by the database, so that runs missed during an outage happen after it.

Beat publishes one small task, `desk.core.tick`, every few seconds (worker/schedule.py). The
tick, in a worker, records that worker's heartbeat, then runs each periodic job whose last run
(a `periodic_run` row) is older than the job's interval. Nothing is due "at" a given tick:
while Redis is down beat's ticks are lost, and the first tick after the outage runs everything
whose interval has passed, once — a 15-minute reminder run missed at 10:00 runs at 10:07 when
Redis comes back, not at 10:15.

A run is claimed by one UPDATE whose WHERE clause says "not run for an interval", committed
before the job starts: two ticks at once (two workers, a redelivered tick) cannot both run a
job. A job that raises gets its claim cleared and runs again at the next tick; the jobs are
idempotent anyway (SLA events and reminders have stable keys, the outbox sweep is a sweep).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from desk.core.db import utcnow
from desk.core.models import PeriodicRun
from desk.extensions import db

log = logging.getLogger(__name__)

# (name, Celery task name, interval in seconds): what beat passes to the tick.
JobSpec = Sequence[object]


def claim(name: str, every: float, now: dt.datetime) -> bool:
    """Take the run of `name` due at `now` (committed); False if it ran less than `every` ago."""
    _ensure_row(name)
    taken = db.session.execute(
        update(PeriodicRun)
        .where(
            PeriodicRun.name == name,
            or_(
                PeriodicRun.last_run_at.is_(None),
                PeriodicRun.last_run_at <= now - dt.timedelta(seconds=every),
            ),
        )
        .values(last_run_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return taken == 1


def release(name: str) -> None:
    """Forget a failed run so that the next tick tries the job again."""
    db.session.rollback()
    db.session.execute(
        update(PeriodicRun)
        .where(PeriodicRun.name == name)
        .values(last_run_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def run_due(
    jobs: Iterable[JobSpec], run: Callable[[str], object], *, now: dt.datetime | None = None
) -> list[str]:
    """Run (through `run(task_name)`) every job due at `now`; returns the names that ran."""
    now = now or utcnow()
    ran = []
    for name, task, every in jobs:
        if not claim(str(name), float(every), now):  # type: ignore[arg-type]
            continue
        # The jobs run inside the tick, not as tasks of their own: Celery's and desk.tasks'
        # lines name only the tick (and are DEBUG), so each job says itself when it starts
        # and how it ended — a job that hangs is the one "started" without its end.
        fields = {"job": str(name), "task": str(task)}
        log.info("periodic job %s started", name, extra=fields)
        started = time.perf_counter()
        try:
            result = run(str(task))
        except Exception:  # one failing job must not stop the others
            log.exception(
                "periodic job %s failed; it runs again at the next tick",
                name,
                extra={**fields, "duration_ms": _ms_since(started)},
            )
            release(str(name))
            continue
        log.info(
            "periodic job %s finished",
            name,
            extra={**fields, "duration_ms": _ms_since(started), "result": _loggable(result)},
        )
        ran.append(str(name))
    return ran


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _loggable(result: object) -> object:
    # What a job returns (a count, a dict of counts) is worth a field; anything else is not.
    return result if isinstance(result, int | float | str | dict | list | None) else None


def last_runs() -> dict[str, dt.datetime | None]:
    """Each job's last claimed run (for tests and operators)."""
    return dict(db.session.execute(select(PeriodicRun.name, PeriodicRun.last_run_at)).all())


def _ensure_row(name: str) -> None:
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(PeriodicRun)
        .values(name=name, last_run_at=None)
        .on_conflict_do_nothing(index_elements=["name"])
    )
