"""The queue list's SQL (desk.queues.query): pages sorted by due date walk from the dated
tickets into the undated ones wherever the page boundary falls, each ticket once."""

from __future__ import annotations

import datetime as dt

import pytest

from desk.auth.models import Role
from desk.extensions import db
from desk.queues.listing import QueueFilters
from desk.queues.query import fetch_page
from tests.queues.test_listing import _next, _refs
from tests.support.factories import make_queue, make_ticket, make_user
from tests.support.sql import copy_ticket, statements_sent

NOW = dt.datetime.now(dt.UTC)


def _walk(client, size: int) -> list[str]:
    seen, url = [], f"/queues/reseau?size={size}"
    while url:
        response = client.get(url)
        assert response.status_code == 200
        seen += _refs(response.text)
        url = _next(response.text)
    return seen


# With pages of 10: the dated tickets end one before, on, one after and far from a page's
# end, on the first page or deeper (10 and 20: the page is all dated, the next all undated).
@pytest.mark.parametrize("dated", [0, 3, 9, 10, 11, 19, 20, 21])
@pytest.mark.parametrize("undated", [0, 1, 10, 12])
def test_due_date_pages_cross_into_the_undated_tickets(app_ctx, login, dated, undated):
    queue = make_queue(code="reseau")
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,))
    expected = []
    for i in range(dated):  # pairs sharing a due date: the id breaks the tie
        expected.append(
            make_ticket(queue=queue, resolution_due_at=NOW + dt.timedelta(hours=i // 2))
        )
    expected += [make_ticket(queue=queue) for _ in range(undated)]
    references = [t.reference for t in expected]
    db.session.commit()
    seen = _walk(login(tech), 10)
    assert seen == references


def test_the_undated_rest_is_cut_to_what_the_page_lacks(app_ctx):
    """On the page where the dated tickets run out, the undated ones fill it to one row past
    the page (no more: that row only tells that another page follows)."""
    queue = make_queue(code="reseau")
    dated = [
        make_ticket(queue=queue, resolution_due_at=NOW + dt.timedelta(hours=i)) for i in range(13)
    ]
    undated = [make_ticket(queue=queue) for _ in range(30)]
    db.session.commit()
    first = fetch_page(queue, QueueFilters(size=10), NOW)
    assert [r.id for r in first.tickets] == [t.id for t in dated[:10]]
    last = dated[9]
    after = QueueFilters(size=10, cursor=(last.resolution_due_at, last.id))
    second = fetch_page(queue, after, NOW)
    assert [r.id for r in second.tickets] == [t.id for t in dated[10:] + undated[:7]]
    assert second.next_cursor is not None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?status=closed&sla=breached", []),  # an SLA state is an open ticket's
        ("?status=resolved&status=closed&sla=warning", []),
        ("?status=closed&sla=none", ["closed"]),  # "no target": finished ones included
        ("?status=all&sla=breached", ["late"]),
        ("?status=closed&status=new&sla=breached", ["late"]),
    ],
)
def test_sla_states_and_finished_statuses(app_ctx, login, query, expected):
    queue = make_queue(code="reseau")
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,))
    tickets = {
        "late": make_ticket(queue=queue, resolution_due_at=NOW - dt.timedelta(hours=1)),
        "closed": make_ticket(
            queue=queue, status="closed", resolution_due_at=NOW - dt.timedelta(hours=2)
        ),
    }
    db.session.commit()
    response = login(tech).get(f"/queues/reseau{query}")
    assert response.status_code == 200
    assert _refs(response.text) == [tickets[k].reference for k in expected]


def test_open_tickets_by_creation_date_skip_the_history(app_ctx):
    """Sorted by creation date, the open tickets come from their own index: the queue's
    closed history (most of its rows) is not read to find them."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("query plans checked on PostgreSQL")
    queue = make_queue(code="reseau")
    old = make_ticket(queue=queue, status="closed", created_at=NOW - dt.timedelta(days=400))
    for i in range(3):
        make_ticket(queue=queue, created_at=NOW - dt.timedelta(hours=i))
    db.session.commit()
    with db.engine.begin() as conn:  # 20,000 closed tickets, older than every open one
        copy_ticket(conn, old.id, 20_000, "H", created_at="created_at + g * interval '1 minute'")
        conn.exec_driver_sql("ANALYZE ticket")
    for sort in ("created", "-created"):
        f = QueueFilters(sort=sort)
        with statements_sent(db.engine, parameters=True) as sent:
            assert len(fetch_page(queue, f, NOW).tickets) == 3
        ((statement, parameters),) = [(s, p) for s, p in sent if "FROM ticket" in s]
        with db.engine.connect() as conn:
            explained = conn.exec_driver_sql(f"EXPLAIN (ANALYZE) {statement}", parameters)
            plan = "\n".join(row[0] for row in explained)
        assert "ix_ticket_open_queue_created" in plan, plan
        assert "Rows Removed by Filter" not in plan, plan
