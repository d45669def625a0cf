"""Ticket services: references without gaps (also under concurrency), idempotency, signals,
and the requester's comment, cancel and reopen."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select, text

from desk.auth.models import User
from desk.catalog.models import RequestType, TicketKind
from desk.extensions import db
from desk.tickets.history import apply_status
from desk.tickets.models import EventKind, Status, Ticket, TicketEvent
from desk.tickets.services import (
    ActionRefused,
    NewTicket,
    add_requester_comment,
    cancel_ticket,
    create_ticket,
    reference_year,
    reopen_ticket,
)
from desk.tickets.signals import ticket_created, ticket_replied
from desk.tickets.workflow import Actor
from tests.catalog.world import build_world
from tests.support.factories import make_user


@pytest.fixture
def world(app_ctx):
    return build_world()


@pytest.fixture
def requester(world):
    return make_user()


def _new(world, requester, key="zoom", token=None, **extra):
    return NewTicket(
        request_type=world.types[key],
        requester=requester,
        subject="Sujet",
        data={"a": 1},
        token=token,
        **extra,
    )


def test_references_are_sequential_per_kind_and_year(world, requester):
    year = reference_year(dt.datetime.now(dt.UTC))
    refs = [
        create_ticket(_new(world, requester, key), actor=requester)[0].reference
        for key in ("zoom", "list", "network", "phone", "network")
    ]
    assert refs == [
        f"DEM-{year}-000001",
        f"DEM-{year}-000002",
        f"INC-{year}-000001",
        f"DEM-{year}-000003",
        f"INC-{year}-000002",
    ]


def test_the_year_is_the_users_calendar_year(app_ctx):
    new_years_eve_utc = dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)  # 00:30 in Paris
    assert reference_year(new_years_eve_utc) == 2027


def test_a_ticket_gets_domain_category_queue_and_a_created_event(world, requester):
    site = world.triolet[0]
    ticket, created = create_ticket(
        _new(world, requester, "network", site_id=site.id), actor=requester
    )
    assert created
    assert (ticket.domain.code, ticket.category.code, ticket.queue.code) == (
        "it",
        "network",
        "reseau-triolet",
    )
    assert [e.kind for e in ticket.events] == [EventKind.CREATED]
    assert ticket.status is Status.NEW and ticket.kind is TicketKind.INCIDENT


def test_the_same_token_returns_the_first_ticket(world, requester):
    first, created = create_ticket(_new(world, requester, token="abc"), actor=requester)
    again, created_again = create_ticket(_new(world, requester, token="abc"), actor=requester)
    assert created and not created_again and again.id == first.id
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_ticket_created_is_sent_before_commit(world, requester):
    seen = []

    def receiver(ticket, actor, **_):
        with db.engine.connect() as other:
            committed = other.execute(text("SELECT count(*) FROM ticket")).scalar()
        seen.append((ticket, actor.id, committed))

    ticket_created.connect(receiver)
    try:
        ticket, _ = create_ticket(_new(world, requester), actor=requester)
    finally:
        ticket_created.disconnect(receiver)
    # Sent before the number is taken (the counter row is locked from then to the commit).
    assert seen == [(ticket, requester.id, 0)]
    assert ticket.reference.startswith("DEM-")


def _create_in_thread(app, ids, token, barrier, results, errors):
    with app.app_context():
        try:
            user = db.session.get(User, ids["user"])
            rt = db.session.get(RequestType, ids["rt"])
            barrier.wait(timeout=30)
            ticket, created = create_ticket(
                NewTicket(request_type=rt, requester=user, subject="s", data={}, token=token),
                actor=user,
            )
            results.append((ticket.reference, created))
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            errors.append(repr(exc))
        finally:
            db.session.remove()


def _run_parallel(app, world, requester, tokens):
    ids = {"user": requester.id, "rt": world.types["zoom"].id}
    barrier = threading.Barrier(len(tokens))
    results: list = []
    errors: list = []
    threads = [
        threading.Thread(target=_create_in_thread, args=(app, ids, token, barrier, results, errors))
        for token in tokens
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    return results


def _postgresql_only():
    if db.engine.dialect.name != "postgresql":
        pytest.skip(
            "SQLite serialises writers with a database-wide lock and gives up with "
            "'database is locked' under many parallel writers; the row-lock "
            "behaviour tested here is PostgreSQL's (CI runs it there)"
        )


def test_parallel_submissions_get_distinct_references_without_gaps(app, world, requester):
    _postgresql_only()
    n = 12  # below the engine's pool size (5 + 10 overflow): each thread holds a connection
    results = _run_parallel(app, world, requester, [f"t{i}" for i in range(n)])
    year = reference_year(dt.datetime.now(dt.UTC))
    assert sorted(ref for ref, _ in results) == [f"DEM-{year}-{i:06d}" for i in range(1, n + 1)]
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == n


def test_parallel_double_submission_creates_one_ticket(app, world, requester):
    _postgresql_only()
    results = _run_parallel(app, world, requester, ["same"] * 4)
    assert len({ref for ref, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1
    # The losers rolled their counter increment back: the next number follows directly.
    ticket, _ = create_ticket(_new(world, requester), actor=requester)
    assert ticket.reference.endswith("-000002")


def test_comment_on_a_waiting_ticket_puts_it_back_in_progress(world, requester):
    ticket, _ = create_ticket(_new(world, requester), actor=requester)
    staff = make_user(role="technician")
    apply_status(ticket, Status.IN_PROGRESS, staff, Actor.STAFF)
    apply_status(ticket, Status.WAITING_ON_REQUESTER, staff, Actor.STAFF)
    db.session.commit()
    replies = []

    def receiver(sender, actor, event):
        replies.append(event.kind)

    ticket_replied.connect(receiver)
    try:
        event = add_requester_comment(ticket, requester, "  Voici la réponse  ")
    finally:
        ticket_replied.disconnect(receiver)
    assert event.kind is EventKind.COMMENT and event.body == "Voici la réponse"
    assert ticket.status is Status.IN_PROGRESS
    assert replies == [EventKind.COMMENT]


def test_only_the_requester_comments_and_only_while_open(world, requester):
    ticket, _ = create_ticket(_new(world, requester), actor=requester)
    with pytest.raises(ActionRefused):
        add_requester_comment(ticket, make_user(), "intrus")
    cancel_ticket(ticket, requester, reason="plus besoin")
    assert ticket.status is Status.CANCELLED
    with pytest.raises(ActionRefused):
        add_requester_comment(ticket, requester, "encore")
    with pytest.raises(ActionRefused):
        cancel_ticket(ticket, requester)
    note = db.session.scalars(select(TicketEvent).where(TicketEvent.field == "status")).one()
    assert note.body == "plus besoin"


def test_reopen_within_the_window_only(world, requester, app):
    ticket, _ = create_ticket(_new(world, requester), actor=requester)
    staff = make_user(role="technician")
    apply_status(ticket, Status.IN_PROGRESS, staff, Actor.STAFF)
    apply_status(ticket, Status.RESOLVED, staff, Actor.STAFF)
    db.session.commit()
    with pytest.raises(ActionRefused):
        reopen_ticket(ticket, requester, reason="  ")
    window = app.config["REOPEN_WINDOW_DAYS"]
    ticket.resolved_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=window + 1)
    db.session.commit()
    with pytest.raises(ActionRefused):
        reopen_ticket(ticket, requester, reason="toujours en panne")
    ticket.resolved_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=window - 1)
    db.session.commit()
    reopen_ticket(ticket, requester, reason="toujours en panne")
    assert ticket.status is Status.REOPENED
