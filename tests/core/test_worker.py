"""A real Celery worker process, on the test Redis, runs a task that writes to the database."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from desk.core.models import WorkerHeartbeat
from desk.core.tasks import heartbeat
from desk.extensions import db
from tests.support.worker import WorkerProcess

pytestmark = pytest.mark.worker


def _heartbeat_written(name: str) -> bool:
    """Run the heartbeat task as `name` on the worker; wait until its row is written."""
    heartbeat.delay(name)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        db.session.rollback()
        if db.session.scalar(select(WorkerHeartbeat).filter_by(worker=name)) is not None:
            return True
        time.sleep(0.2)
    return False


def test_real_worker_runs_a_task_that_writes_to_the_database(celery_worker_process, app_ctx):
    assert _heartbeat_written("pytest-worker"), celery_worker_process.output()


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


def _niceness(pid: int) -> int:
    # /proc/<pid>/stat: the nice value is field 19; split after the command name's ")",
    # which may itself hold spaces, so the fields counted from there start at field 3.
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_worker_and_its_pool_run_below_the_web_tier_and_still_work(test_env, app_ctx):
    """DESK_WORKER_NICE: set before the pool forks, so every child inherits it; a worker
    started at a higher niceness keeps it (the runner's own niceness is the floor)."""
    expected = max(7, os.nice(0))
    worker = WorkerProcess(
        {**test_env, "DESK_WORKER_NICE": "7"}, pool="prefork", concurrency=2
    ).start()
    try:
        children = _children(worker.process.pid)
        assert len(children) == 2, worker.output()
        assert [_niceness(pid) for pid in (worker.process.pid, *children)] == [expected] * 3
        assert _heartbeat_written("niced-worker"), worker.output()
    finally:
        worker.stop()
