"""A first answer overdue or due soon counts in the queue lists and the overview as a
resolution deadline does: "breached" and "due soon" counters, the SLA filter, the row's badge
(which names the deadline), on both engines; its deadline no longer counts once answered."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest

from desk.auth.models import Role
from desk.core.db import utcnow
from desk.extensions import db
from desk.queues.overview import queue_overview
from desk.sla.state import Deadline, SlaState, sla_standing, sla_state, sla_state_clause
from desk.tickets.models import Ticket
from tests.queues.test_listing import _refs
from tests.queues.test_overview import _counters
from tests.support.factories import make_queue, make_ticket, make_user
from tests.support.sql import copy_ticket, statements_sent

HOUR = dt.timedelta(hours=1)


def _row(html: str, reference: str) -> str:
    return re.search(rf'<tr data-ref="{reference}">(.*?)</tr>', html, re.S).group(1)


@pytest.fixture
def board(app_ctx):
    """A queue with a first answer overdue, one due soon, one answered late, one answered in
    time, and a ticket with no first-answer target; the resolution is far off for all."""
    now = utcnow()
    queue = make_queue(code="reseau")
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,))
    later = {"resolution_due_at": now + 48 * HOUR, "resolution_warn_at": now + 40 * HOUR}
    tickets = {
        "overdue": make_ticket(
            queue=queue,
            first_response_due_at=now - HOUR,
            first_response_warn_at=now - 2 * HOUR,
            **later,
        ),
        "soon": make_ticket(
            queue=queue,
            first_response_due_at=now + HOUR,
            first_response_warn_at=now - HOUR,
            **later,
        ),
        "answered_late": make_ticket(
            queue=queue,
            status="in_progress",
            first_response_due_at=now - 3 * HOUR,
            first_response_warn_at=now - 4 * HOUR,
            first_responded_at=now - HOUR,
            first_response_met=False,
            **later,
        ),
        "answered": make_ticket(
            queue=queue,
            status="in_progress",
            first_response_due_at=now + HOUR,
            first_response_warn_at=now - HOUR,
            first_responded_at=now - 2 * HOUR,
            first_response_met=True,
            **later,
        ),
        "no_target": make_ticket(queue=queue, **later),
    }
    db.session.commit()
    return tech, tickets


def test_the_overview_counts_a_first_answer_overdue_or_due_soon(board, login):
    tech, _tickets = board
    counters = _counters(login(tech).get("/queues").text, "reseau")
    assert counters["breached"] == "1" and counters["due_soon"] == "1"


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("breached", ["overdue"]),
        ("warning", ["soon"]),
        ("on_track", ["answered_late", "answered", "no_target"]),
    ],
)
def test_the_sla_filter_finds_them(board, login, state, expected):
    tech, tickets = board
    response = login(tech).get(f"/queues/reseau?sla={state}")
    assert response.status_code == 200
    assert sorted(_refs(response.text)) == sorted(tickets[k].reference for k in expected)


def test_the_row_badge_names_the_first_answer(board, login):
    tech, tickets = board
    tech.locale = "en"
    db.session.commit()
    html = login(tech).get("/queues/reseau").text
    assert "<small>First response overdue</small>" in _row(html, tickets["overdue"].reference)
    assert "<small>First response due soon</small>" in _row(html, tickets["soon"].reference)
    for key in ("answered_late", "answered", "no_target"):
        assert "<small>" not in _row(html, tickets[key].reference).split("sla-")[1]


def test_the_ticket_page_badge_names_the_first_answer(board, login):
    tech, tickets = board
    tech.locale = "en"
    db.session.commit()
    page = login(tech).get(f"/tickets/{tickets['overdue'].reference}").text
    assert 'class="sla-breached"' in page and "First response overdue" in page
    assert 'class="badge sla-state sla-breached">First response overdue<' in page


def test_which_deadline_the_badge_names():
    now = utcnow()

    def ticket(**dates):
        values = dict.fromkeys(
            (
                "first_response_due_at",
                "first_response_warn_at",
                "first_responded_at",
                "resolution_due_at",
                "resolution_warn_at",
                "sla_paused_since",
            )
        )
        return Ticket(status="in_progress", **{**values, **dates})

    late, soon = now - HOUR, now + HOUR
    both_late = ticket(first_response_due_at=late, resolution_due_at=late)
    assert sla_standing(both_late, now) == (SlaState.BREACHED, Deadline.BOTH)
    # A first answer overdue outweighs a resolution only due soon, and the other way round.
    first = ticket(first_response_due_at=late, resolution_due_at=soon, resolution_warn_at=late)
    assert sla_standing(first, now) == (SlaState.BREACHED, Deadline.FIRST_RESPONSE)
    resolution = ticket(
        first_response_due_at=soon, first_response_warn_at=late, resolution_due_at=late
    )
    assert sla_standing(resolution, now) == (SlaState.BREACHED, Deadline.RESOLUTION)
    # A first-answer target alone is a target; paused, the clock stops for it too.
    only_first = ticket(first_response_due_at=soon, first_response_warn_at=soon + HOUR)
    assert sla_standing(only_first, now) == (SlaState.ON_TRACK, None)
    only_first.sla_paused_since = late
    assert sla_standing(only_first, now) == (SlaState.PAUSED, None)
    answered = ticket(first_response_due_at=late, first_responded_at=late)
    assert sla_standing(answered, now) == (SlaState.NONE, None)


def test_the_filters_and_counters_agree_with_the_rule(app_ctx):
    """Every combination of the two deadlines, answered or not, paused or not, open or not:
    each SLA filter keeps the tickets the rule puts in its state, the counters count them."""
    now = utcnow()
    queue = make_queue(code="mix")
    admin = make_user(role=Role.ADMIN)
    dates = (None, now - HOUR, now + HOUR)
    combos = itertools.product(
        dates,  # first answer due
        (None, now - 2 * HOUR),  # its warning
        (None, now - 3 * HOUR),  # answered
        (None, now - HOUR, now + 2 * HOUR),  # resolution due
        (None, now - 2 * HOUR),  # its warning
        (None, now - HOUR),  # paused
        ("new", "resolved"),
    )
    for first_due, first_warn, answered, due, warn, paused, status in combos:
        make_ticket(
            queue=queue,
            status=status,
            first_response_due_at=first_due,
            first_response_warn_at=first_warn,
            first_responded_at=answered,
            resolution_due_at=due,
            resolution_warn_at=warn,
            sla_paused_since=paused,
        )
    db.session.commit()
    tickets = db.session.scalars(db.select(Ticket)).all()
    by_state = {s: {t.id for t in tickets if sla_state(t, now) is s} for s in SlaState}
    assert all(by_state[s] for s in SlaState)  # every state has tickets: the test means something
    for state in SlaState:
        found = db.session.scalars(db.select(Ticket.id).where(sla_state_clause(state, now)))
        assert set(found) == by_state[state], state
    counts = queue_overview(admin, now)[0].counts
    assert counts["breached"] == len(by_state[SlaState.BREACHED])
    assert counts["due_soon"] == len(by_state[SlaState.WARNING])


def _plan(statement: str, parameters, *settings: str) -> str:
    with db.engine.connect() as conn:
        for setting in settings:
            conn.exec_driver_sql(f"SET {setting}")
        explained = conn.exec_driver_sql(f"EXPLAIN (ANALYZE) {statement}", parameters)
        return "\n".join(row[0] for row in explained)


def test_the_overview_still_reads_the_open_tickets_index_alone(app_ctx):
    """Counting first answers due soon and overdue, the overview can still read the open
    tickets' partial index alone (index-only: those columns are in it), not the table. (At
    1,000,000 tickets PostgreSQL takes that plan; on a test's few pages a bitmap read of the
    table costs it as little, so the other plans are turned off to see whether it can.)"""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("query plans checked on PostgreSQL")
    now = utcnow()
    queue = make_queue(code="reseau")
    admin = make_user(role=Role.ADMIN)
    open_one = make_ticket(
        queue=queue, first_response_due_at=now - HOUR, resolution_due_at=now + HOUR
    )
    closed = make_ticket(queue=queue, status="closed", resolution_due_at=now - 400 * 24 * HOUR)
    db.session.commit()
    with db.engine.begin() as conn:
        copy_ticket(conn, closed.id, 20_000, "H")
        copy_ticket(conn, open_one.id, 2_000, "O")
    db.session.commit()  # no snapshot of ours keeps VACUUM from marking the copies visible
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE ticket")  # the visibility map of an index-only scan
    with statements_sent(db.engine, parameters=True) as sent:
        assert queue_overview(admin, now)[0].counts["breached"] == 2_001
    ((statement, parameters),) = [(s, p) for s, p in sent if "FROM ticket" in s]
    plan = _plan(statement, parameters, "enable_seqscan = off", "enable_bitmapscan = off")
    assert "Index Only Scan using ix_ticket_open_queue_due" in plan, plan
    assert "Heap Fetches: 0" in plan, plan
