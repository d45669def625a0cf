"""A real Celery worker process, on the test Redis, runs a task that writes to the database."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from desk.core.models import WorkerHeartbeat
from desk.core.tasks import heartbeat
from desk.extensions import db

pytestmark = pytest.mark.worker


def test_real_worker_runs_a_task_that_writes_to_the_database(celery_worker_process, app_ctx):
    heartbeat.delay("pytest-worker")
    deadline = time.monotonic() + 30
    row = None
    while time.monotonic() < deadline and row is None:
        db.session.rollback()
        row = db.session.scalar(select(WorkerHeartbeat).filter_by(worker="pytest-worker"))
        time.sleep(0.2)
    assert row is not None, celery_worker_process.output()


def test_tick_records_the_worker_heartbeat_and_runs_due_jobs(celery_worker_process, app_ctx):
    from desk.core import periodic
    from desk.core.tasks import tick

    tick.delay([["heartbeat-job", "desk.core.heartbeat", 60.0]])
    deadline = time.monotonic() + 30
    seen: list[str] = []
    while time.monotonic() < deadline:
        db.session.rollback()
        seen = list(db.session.scalars(select(WorkerHeartbeat.worker)))
        if len(seen) == 2:
            break
        time.sleep(0.2)
    # The tick's own heartbeat (named after the worker) and the job it ran ("worker").
    assert sorted(seen) == sorted(["worker", next(w for w in seen if w.startswith("celery@"))])
    assert periodic.last_runs()["heartbeat-job"] is not None
