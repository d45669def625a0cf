"""The sweep task on a real Celery worker and Redis, the clock chosen by the test."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import func, select, text

from desk.extensions import db
from desk.sla.models import SlaEvent
from desk.sla.tasks import sweep
from desk.tickets.models import EventKind, Priority, Ticket, TicketEvent
from tests.sla.conftest import new_ticket, paris
from tests.support.worker import WorkerProcess

pytestmark = pytest.mark.worker
NOW = paris(2026, 11, 24, 9, 0)  # after every due date below
HOUR = dt.timedelta(hours=1)


def _count(model, *where) -> int:
    db.session.rollback()  # see the worker's commits
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _wait_for(predicate, worker, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out; worker log:\n{worker.output()[-3000:]}")


def _assert_once(tickets) -> None:
    db.session.rollback()
    per_ticket = dict(
        db.session.execute(
            select(SlaEvent.ticket_id, func.count()).group_by(SlaEvent.ticket_id)
        ).all()
    )
    assert per_ticket == {t.id: 1 for t in tickets}
    history = dict(
        db.session.execute(
            select(TicketEvent.ticket_id, func.count())
            .where(TicketEvent.kind == EventKind.SYSTEM)
            .group_by(TicketEvent.ticket_id)
        ).all()
    )
    assert history == {t.id: 1 for t in tickets}
    assert set(db.session.scalars(select(Ticket.priority))) == {Priority.HIGH}


def test_worker_sweep_records_once_even_when_rerun(celery_worker_process, zoom, test_env):
    tickets = [new_ticket(zoom, paris(2026, 11, 20, 16, 30)) for _ in range(3)]
    sweep.delay(NOW.isoformat())
    _wait_for(lambda: _count(SlaEvent) == 3, celery_worker_process)
    # Killed, restarted, and the same sweep delivered again (a retry, a second beat).
    celery_worker_process.kill()
    second = WorkerProcess(test_env).start()
    try:
        sweep.delay(NOW.isoformat())
        sweep.delay(NOW.isoformat())
        _wait_for(lambda: second.output().count("succeeded") >= 2, second)
    finally:
        second.stop()
    _assert_once(tickets)


def _blocked_on_a_lock() -> bool:
    with db.engine.connect() as conn:
        return bool(
            conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                )
            )
        )


def test_worker_killed_mid_sweep_then_rerun_records_once(celery_worker_process, zoom, test_env):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("holding a row lock from the test needs PostgreSQL")
    first, second, third = (
        new_ticket(zoom, paris(2026, 11, 20, 16, minute)) for minute in (10, 20, 30)
    )
    with db.engine.connect() as blocker:
        # Hold the second ticket: the worker commits the first, then waits on this lock.
        blocker.execute(text("SELECT id FROM ticket WHERE id = :id FOR UPDATE"), {"id": second.id})
        sweep.delay(NOW.isoformat())
        _wait_for(lambda: _count(SlaEvent) == 1 and _blocked_on_a_lock(), celery_worker_process)
        celery_worker_process.kill()
        blocker.rollback()
    assert _count(SlaEvent, SlaEvent.ticket_id == first.id) == 1
    assert _count(SlaEvent) == 1  # nothing half-done for the ticket it was working on
    worker = WorkerProcess(test_env).start()
    try:
        sweep.delay(NOW.isoformat())
        _wait_for(lambda: _count(SlaEvent) == 3, worker)
        sweep.delay(NOW.isoformat())
        _wait_for(lambda: worker.output().count("succeeded") >= 2, worker)
    finally:
        worker.stop()
    _assert_once([first, second, third])


def test_policy_change_recomputes_open_tickets_on_the_worker(celery_worker_process, zoom):
    """The resolution target lengthened counts from the creation, as before; the first-response
    target added counts from the save (from Friday's creation it was overdue since Monday
    08:30, and the next sweep breached and escalated every such ticket at once)."""
    from desk.sla.services import policy_for, to_calendar
    from desk.sla.settings import save_policy

    ticket = new_ticket(zoom, paris(2026, 11, 20, 16, 30))
    policy = policy_for(zoom.id)
    save_policy(
        policy,
        request_type=zoom,
        calendar=policy.calendar,
        first_response_minutes=60,
        resolution_minutes=2 * 540,
        warning_percent=50,
        actor=None,
    )

    def recomputed() -> bool:
        db.session.rollback()
        fresh = db.session.get(Ticket, ticket.id)
        return fresh.resolution_due_at == paris(2026, 11, 24, 16, 30)

    _wait_for(recomputed, celery_worker_process)
    fresh, saved = db.session.get(Ticket, ticket.id), policy_for(zoom.id)
    assert fresh.resolution_warn_at == paris(2026, 11, 23, 16, 30)
    added = saved.first_response_added_at
    assert fresh.first_response_started_at == added
    calendar = to_calendar(saved.calendar)
    assert fresh.first_response_due_at == calendar.add_business_time(added, HOUR)
    assert fresh.first_response_warn_at == calendar.add_business_time(added, HOUR / 2)


def test_a_policy_moved_to_another_request_type_clears_the_old_ones_dates(
    celery_worker_process, zoom
):
    """Editing a policy can give it another request type: the open tickets of the type it
    left have no policy any more, and must not keep its due dates (nor be warned on them)."""
    from desk.sla.services import policy_for, to_calendar
    from desk.sla.settings import save_policy
    from tests.support.factories import make_request_type

    ticket = new_ticket(zoom, paris(2026, 11, 20, 16, 30))
    assert ticket.resolution_due_at is not None
    other = make_request_type(slug="other-request")
    moved = new_ticket(other, paris(2026, 11, 20, 16, 30))
    policy = policy_for(zoom.id)
    save_policy(
        policy,
        request_type=other,
        calendar=policy.calendar,
        first_response_minutes=None,
        resolution_minutes=540,
        warning_percent=75,
        actor=None,
    )

    def recomputed() -> bool:
        db.session.rollback()
        left, gained = db.session.get(Ticket, ticket.id), db.session.get(Ticket, moved.id)
        return left.resolution_due_at is None and gained.resolution_due_at is not None

    _wait_for(recomputed, celery_worker_process)
    left = db.session.get(Ticket, ticket.id)
    assert (left.resolution_warn_at, left.first_response_due_at) == (None, None)
    # It had no policy: it counts from the save, not from its creation (past due at once).
    gained, saved = db.session.get(Ticket, moved.id), policy_for(other.id)
    assert gained.resolution_started_at == saved.resolution_added_at
    nine_hours = to_calendar(saved.calendar).add_business_time(saved.resolution_added_at, 9 * HOUR)
    assert gained.resolution_due_at == nine_hours.astimezone(dt.UTC)


def test_both_deadlines_missed_at_once_escalate_once_on_the_worker(celery_worker_process, network):
    """A ticket past its first-response and resolution due dates when the sweep runs (beat or
    the workers down for a while): one escalation, the priority raised one level (it went from
    normal to critical), and one message to each of its people naming both deadlines (each
    had two, the same people, one saying the priority rose again)."""
    from desk.notifications.models import Notification, NotificationEvent
    from tests.support.factories import make_user

    queue = network.default_queue
    member = make_user(role="technician", queues=(queue,))
    lead = make_user(role="technician", queues=(queue,), leads=(queue,))
    ticket = new_ticket(network, paris(2026, 11, 18, 15, 0))  # both due by Friday 15:00
    sweep.delay(paris(2026, 11, 23, 9, 0).isoformat())
    _wait_for(lambda: _count(SlaEvent) == 2, celery_worker_process)
    sweep.delay(paris(2026, 11, 23, 9, 1).isoformat())  # the next minute: nothing new
    _wait_for(lambda: celery_worker_process.output().count("succeeded") >= 2, celery_worker_process)

    db.session.rollback()
    assert db.session.get(Ticket, ticket.id).priority == Priority.HIGH
    kinds = db.session.scalars(select(SlaEvent.kind).where(SlaEvent.ticket_id == ticket.id))
    assert sorted(kinds) == ["first_response_breach", "resolution_breach"]
    rows = db.session.scalars(
        select(Notification).where(
            Notification.ticket_id == ticket.id,
            Notification.event == NotificationEvent.SLA_BREACHED,
        )
    ).all()
    per_person = sorted((row.recipient_id, row.channel.value) for row in rows)
    assert per_person == sorted(
        (user.id, channel) for user in (member, lead) for channel in ("email", "inapp")
    )
    for row in rows:
        (item,) = [e for e in row.payload["events"] if e["event"] == "sla_breached"]
        assert (item["kind"], item["also_kind"]) == ("first_response_breach", "resolution_breach")
        assert item["due_at"] == paris(2026, 11, 19, 10, 0).isoformat()
        assert item["also_due_at"] == paris(2026, 11, 20, 15, 0).isoformat()
