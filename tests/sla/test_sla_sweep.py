"""The sweep: each warning and breach recorded once, escalated, announced by a signal."""

from __future__ import annotations

import re
import threading

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from desk.extensions import db as _db
from desk.sla.models import SlaEvent
from desk.sla.signals import sla_breached, sla_warning
from desk.sla.sweep import sweep_sla
from desk.sla.timeline import describe_sla_event
from desk.tickets.models import EventKind, Priority, Ticket, TicketEvent
from tests.sla.conftest import new_ticket, paris
from tests.support.sql import copy_ticket


def _events(ticket_id: int) -> list[tuple[str, object]]:
    return [
        (e.kind, e.due_at)
        for e in _db.session.scalars(
            select(SlaEvent).where(SlaEvent.ticket_id == ticket_id).order_by(SlaEvent.id)
        )
    ]


def _history(ticket_id: int) -> list[TicketEvent]:
    return list(
        _db.session.scalars(
            select(TicketEvent).where(
                TicketEvent.ticket_id == ticket_id, TicketEvent.kind == EventKind.SYSTEM
            )
        )
    )


class Recorder:
    """Collects the SLA signals sent during a test."""

    def __init__(self):
        self.calls: list[tuple[str, int, str]] = []
        self.also: list[list[tuple[str, object]]] = []

    def __call__(self, sender, **kwargs):
        self.calls.append((kwargs["kind"].value, sender.id, kwargs["due_at"].isoformat()))
        self.also.append([(kind.value, due) for kind, due in kwargs.get("also", ())])


@pytest.fixture
def signals():
    recorder = Recorder()
    with sla_warning.connected_to(recorder), sla_breached.connected_to(recorder):
        yield recorder


def test_friday_zoom_ticket_warned_once_then_breached_once(zoom, signals):
    ticket = new_ticket(zoom, paris(2026, 11, 20, 16, 30))
    assert sweep_sla(paris(2026, 11, 23, 14, 0)) == 0
    assert sweep_sla(paris(2026, 11, 23, 14, 16)) == 1
    assert sweep_sla(paris(2026, 11, 23, 14, 17)) == 0
    assert _events(ticket.id) == [("resolution_warning", paris(2026, 11, 23, 14, 15))]
    history = _history(ticket.id)
    assert len(history) == 1 and history[0].is_internal
    # Stored as data (no sentence), told in the reader's language.
    assert history[0].body == ""
    assert "Échéance de résolution proche" in describe_sla_event(history[0])
    assert "23/11/2026 16:30" in describe_sla_event(history[0])
    with force_locale("en"):
        assert describe_sla_event(history[0]) == (
            "Resolution deadline approaching: due 23 Nov 2026, 16:30."
        )
    assert sweep_sla(paris(2026, 11, 23, 16, 31)) == 1
    assert sweep_sla(paris(2026, 11, 23, 16, 40)) == 0
    assert [k for k, _ in _events(ticket.id)] == ["resolution_warning", "resolution_breach"]
    assert [c[0] for c in signals.calls] == ["resolution_warning", "resolution_breach"]
    _db.session.refresh(ticket)
    assert ticket.priority == Priority.HIGH
    change = _db.session.scalar(
        select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.field == "priority"
        )
    )
    assert change.actor_id is None and change.is_internal
    assert (change.old_value, change.new_value) == ("2", "3")


def test_sweep_after_the_due_date_skips_the_stale_warning(network, signals):
    ticket = new_ticket(network, paris(2026, 11, 18, 15, 0))
    assert sweep_sla(paris(2026, 11, 30, 9, 0)) == 2
    assert sorted(k for k, _ in _events(ticket.id)) == [
        "first_response_breach",
        "resolution_breach",
    ]
    _db.session.refresh(ticket)
    # Both missed by one sweep: one escalation (one level), one signal naming both.
    assert ticket.priority == Priority.HIGH
    assert [c[0] for c in signals.calls] == ["first_response_breach"]
    assert signals.also == [[("resolution_breach", paris(2026, 11, 20, 15, 0))]]
    assert sweep_sla(paris(2026, 11, 30, 9, 1)) == 0


def test_no_event_while_paused_answered_or_finished(network):
    paused = new_ticket(
        network,
        paris(2026, 11, 18, 15, 0),
        status="waiting_on_requester",
        sla_paused_since=paris(2026, 11, 18, 15, 30),
    )
    answered = new_ticket(
        network, paris(2026, 11, 18, 15, 0), first_responded_at=paris(2026, 11, 18, 15, 5)
    )
    done = new_ticket(network, paris(2026, 11, 18, 15, 0), status="resolved")
    assert sweep_sla(paris(2026, 11, 19, 10, 30)) == 0
    assert sweep_sla(paris(2026, 11, 20, 16, 0)) == 1
    assert _events(paused.id) == [] and _events(done.id) == []
    assert [k for k, _ in _events(answered.id)] == ["resolution_breach"]


@pytest.mark.parametrize(("budget", "recorded", "complete"), [(40.0, 5, True), (-1.0, 2, False)])
def test_a_backlog_is_swept_in_one_run_within_its_budget(
    zoom, monkeypatch, budget, recorded, complete
):
    """Past a full batch the run takes the next one, until none is left or its time is spent;
    only a run that left nothing behind counts for desk_sla_sweep_lag_seconds."""
    from desk.core.models import WorkerHeartbeat
    from desk.core.services import SWEEP_HEARTBEAT
    from desk.sla import sweep as sweep_module
    from desk.sla.tasks import sweep

    monkeypatch.setattr(sweep_module, "BATCH", 2)
    monkeypatch.setattr(sweep_module, "BUDGET_SECONDS", budget)
    tickets = [new_ticket(zoom, paris(2026, 11, 20, 16, 30)) for _ in range(5)]
    assert sweep(paris(2026, 11, 24, 9, 0).isoformat()) == recorded  # five breaches due
    assert sum(len(_events(t.id)) for t in tickets) == recorded
    assert (_db.session.get(WorkerHeartbeat, SWEEP_HEARTBEAT) is not None) is complete


def test_critical_priority_stays_critical(zoom):
    ticket = new_ticket(zoom, paris(2026, 11, 20, 16, 30), priority=Priority.CRITICAL)
    assert sweep_sla(paris(2026, 11, 24, 9, 0)) == 1
    _db.session.refresh(ticket)
    assert ticket.priority == Priority.CRITICAL
    assert "Priorité : Critique" in describe_sla_event(_history(ticket.id)[0])


def test_the_sweep_query_reads_the_running_tickets_only(app, zoom):
    """The breach sweep is a range of the running tickets' partial index: the history (closed
    tickets whose due date passed long ago, most of a desk's table) is not in it, so a run
    does not walk it."""
    if _db.engine.dialect.name != "postgresql":
        pytest.skip("query plans checked on PostgreSQL")
    from desk.sla.models import SlaEventKind
    from desk.sla.sweep import _pending

    ticket = new_ticket(zoom, paris(2026, 11, 20, 16, 30))
    with _db.engine.begin() as conn:
        for status, due, n in (
            ("new", "resolution_due_at + g * interval '1 hour'", 2_000),  # open, due 1 h apart
            ("closed", "resolution_due_at - g * interval '1 minute'", 40_000),  # all past due
        ):
            copy_ticket(
                conn, ticket.id, n, f"T-{status}", status=f"'{status}'", resolution_due_at=due
            )
        conn.exec_driver_sql("ANALYZE ticket")
    query = select(Ticket.id).where(
        _pending(SlaEventKind.RESOLUTION_BREACH, paris(2026, 11, 23, 20, 0))
    )
    compiled = query.compile(_db.engine, compile_kwargs={"literal_binds": True})
    with _db.engine.connect() as conn:
        plan = "\n".join(
            r[0] for r in conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}")
        )
    assert "ix_ticket_running_resolution_due_at" in plan, plan
    assert "Seq Scan on ticket" not in plan, plan
    # The scan on ticket read the breached open tickets, none of the 40,000 closed ones.
    with _db.engine.connect() as conn:
        breached = len(conn.execute(query).all())
    read = re.search(r"Scan using \S+ on ticket .*actual time=\S+ rows=(\d+)", plan)
    assert 0 < breached == int(read.group(1)), plan
    assert "Rows Removed by Filter" not in plan, plan


def test_two_concurrent_sweeps_record_each_event_once(app, zoom):
    if _db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    tickets = [new_ticket(zoom, paris(2026, 11, 20, 16, 30)) for _ in range(30)]
    now = paris(2026, 11, 24, 9, 0)
    barrier = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def run():
        try:
            with app.app_context():
                barrier.wait()
                counts.append(sweep_sla(now))
                _db.session.remove()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(counts) == len(tickets)
    _db.session.expire_all()
    per_ticket = dict(
        _db.session.execute(
            select(SlaEvent.ticket_id, func.count()).group_by(SlaEvent.ticket_id)
        ).all()
    )
    assert per_ticket == {t.id: 1 for t in tickets}
    system = _db.session.scalar(
        select(func.count()).select_from(TicketEvent).where(TicketEvent.kind == EventKind.SYSTEM)
    )
    assert system == len(tickets)
    priorities = set(_db.session.scalars(select(Ticket.priority)))
    assert priorities == {Priority.HIGH}
