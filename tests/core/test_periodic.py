"""Periodic jobs driven by the database: a run missed while beat could not publish happens at
the first tick after the outage, once; two ticks at once run a job once; a failure retries."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

from desk.core import periodic
from desk.core.db import utcnow

# worker/schedule.py read on its own: importing the `worker` package would build its app.
_spec = importlib.util.spec_from_file_location(
    "desk_beat_schedule", Path(__file__).resolve().parents[2] / "worker" / "schedule.py"
)
schedule = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(schedule)
PERIODIC_JOBS, TICK_SECONDS = schedule.PERIODIC_JOBS, schedule.TICK_SECONDS

JOBS = [("reminders", "task.reminders", 900.0), ("requeue", "task.requeue", 30.0)]


def _tick(now: dt.datetime, calls: list[str], fail: str | None = None) -> list[str]:
    def run(task: str) -> None:
        calls.append(task)
        if task == fail:
            raise RuntimeError("boom")

    return periodic.run_due(JOBS, run, now=now)


def test_a_run_missed_during_an_outage_happens_at_the_first_tick_after_it(db):
    start = utcnow()
    calls: list[str] = []
    assert _tick(start, calls) == ["reminders", "requeue"]  # never ran: due at once
    assert _tick(start + dt.timedelta(seconds=10), calls) == []
    # Redis down from start+1 min to start+20 min: beat's ticks (and the 15-minute reminder
    # dispatch due at start+15 min) are lost. The first tick after the outage runs both, once.
    back = start + dt.timedelta(minutes=20)
    assert _tick(back, calls) == ["reminders", "requeue"]
    assert _tick(back + dt.timedelta(seconds=TICK_SECONDS), calls) == []
    assert calls == ["task.reminders", "task.requeue"] * 2
    assert periodic.last_runs() == {"reminders": back, "requeue": back}


def test_two_ticks_at_the_same_time_run_a_job_once(db):
    now = utcnow()
    calls: list[str] = []
    first, second = _tick(now, calls), _tick(now, calls)
    assert (first, second) == (["reminders", "requeue"], [])
    assert calls == ["task.reminders", "task.requeue"]


def test_a_failing_job_runs_again_at_the_next_tick_and_does_not_stop_the_others(db):
    now = utcnow()
    calls: list[str] = []
    assert _tick(now, calls, fail="task.reminders") == ["requeue"]
    assert periodic.last_runs()["reminders"] is None
    later = now + dt.timedelta(seconds=TICK_SECONDS)
    assert _tick(later, calls) == ["reminders"]
    assert calls == ["task.reminders", "task.requeue", "task.reminders"]


def test_the_schedule_runs_every_job_through_the_tick():
    # Intervals all go through the tick; only times of day (crontab) stay beat entries.
    others = [e for name, e in schedule.BEAT_SCHEDULE.items() if name != "tick"]
    assert not [e for e in others if isinstance(e["schedule"], int | float)]
    assert schedule.BEAT_SCHEDULE["tick"]["args"] == (PERIODIC_JOBS,)
    names = {task for _, task, _ in PERIODIC_JOBS}
    assert {"desk.sla.sweep", "desk.notifications.requeue_pending"} <= names
    assert all(every >= TICK_SECONDS for _, _, every in PERIODIC_JOBS)
