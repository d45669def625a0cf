"""A target added while the worker is down counts, once the recompute runs, from when it was
added: not from a later save of the policy that came before the worker did."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from desk.extensions import db
from desk.sla.services import policy_for, to_calendar
from desk.sla.settings import save_policy
from desk.tickets.models import Ticket
from tests.sla.conftest import new_ticket, paris
from tests.support.worker import WorkerProcess

pytestmark = pytest.mark.worker


def _save(request_type, *, first: int | None, warn: int) -> None:
    policy = policy_for(request_type.id)
    save_policy(
        policy,
        request_type=request_type,
        calendar=policy.calendar,
        first_response_minutes=first,
        resolution_minutes=policy.resolution_minutes,
        warning_percent=warn,
        actor=None,
    )


def test_a_target_added_while_the_worker_is_down_counts_from_its_addition(zoom, test_env):
    ticket = new_ticket(zoom, paris(2026, 11, 20, 16, 30))
    # No worker: the recompute the save enqueues waits in the broker.
    _save(zoom, first=60, warn=75)
    added = policy_for(zoom.id).first_response_added_at
    assert added is not None
    time.sleep(0.2)
    # The admin saves the policy again (its warning threshold only) before any worker runs.
    _save(zoom, first=60, warn=50)
    saved = policy_for(zoom.id)
    assert saved.updated_at > added
    assert saved.first_response_added_at == added  # the target was not added again
    assert db.session.get(Ticket, ticket.id).first_response_due_at is None

    worker = WorkerProcess(test_env).start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            db.session.rollback()  # see the worker's commits
            fresh = db.session.get(Ticket, ticket.id)
            if fresh.first_response_due_at is not None and fresh.first_response_warn_at == (
                to_calendar(saved.calendar).add_business_time(added, dt.timedelta(minutes=30))
            ):
                break
            time.sleep(0.1)
        log = worker.output()[-3000:]
    finally:
        worker.stop()
    fresh = db.session.get(Ticket, ticket.id)
    assert fresh.first_response_started_at == added, log
    calendar = to_calendar(saved.calendar)
    assert fresh.first_response_due_at == calendar.add_business_time(added, dt.timedelta(hours=1))
    assert fresh.first_response_warn_at == calendar.add_business_time(
        added, dt.timedelta(minutes=30)
    )
