"""The SLA report's period reads the period's pages, not the history (PostgreSQL plans)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from desk.auth.models import Role
from desk.extensions import db as _db
from desk.sla.report import period_bounds, report_query
from desk.tickets.models import Ticket
from tests.sla.conftest import new_ticket, paris
from tests.support.factories import make_user
from tests.support.sql import copy_ticket

YEAR = 35_040  # one ticket every 15 minutes for a year, in creation order


@pytest.fixture
def a_year_of_tickets(app, zoom):
    """A year of tickets written in creation order, as a desk writes them, and a few old
    ones updated since (their new row versions sit among the recent pages)."""
    if _db.engine.dialect.name != "postgresql":
        pytest.skip("query plans checked on PostgreSQL")
    ticket = new_ticket(zoom, paris(2025, 1, 1, 0, 0))
    with _db.engine.begin() as conn:
        copy_ticket(conn, ticket.id, YEAR, "T", created_at="created_at + g * interval '15 minutes'")
        # Old tickets changed later: each new version goes where there is room, at the end.
        conn.exec_driver_sql(
            "UPDATE ticket SET status = 'closed' WHERE reference IN "
            "(SELECT 'T-' || g FROM generate_series(1, 3000, 10) AS g)"
        )
    with _db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # What autosummarize and autovacuum do in the background, done now.
        conn.exec_driver_sql("SELECT brin_summarize_new_values('brin_ticket_created_at')")
        conn.exec_driver_sql("VACUUM ANALYZE ticket")


def _plan(query) -> str:
    compiled = query.compile(_db.engine, compile_kwargs={"literal_binds": True})
    with _db.engine.connect() as conn:
        return "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN ANALYZE {compiled}"))


def test_an_admins_report_of_one_month_reads_that_months_pages(a_year_of_tickets):
    """An admin's report has no queue to narrow it: the BRIN index on the creation date
    finds the month's block ranges; the rest of the year is not read."""
    admin = make_user(role=Role.ADMIN)
    start, end = period_bounds(dt.date(2025, 6, 1), dt.date(2025, 6, 30), "Europe/Paris")
    plan = _plan(report_query(Ticket.queue_id, admin, start, end, paris(2026, 1, 1)))
    assert "Bitmap Index Scan on brin_ticket_created_at" in plan, plan
    assert "Seq Scan on ticket" not in plan, plan
    # The pages visited hold June's 2,880 tickets and their neighbours in the same block
    # ranges (about 5,600 rows), not the year's 35,000; with plain min/max ranges the pages
    # holding the updated January tickets would be read too (about 7,400).
    heap = re.search(r"Bitmap Heap Scan on ticket .*actual time=\S+ rows=(\d+)", plan)
    removed = re.search(r"Rows Removed by Index Recheck: (\d+)", plan)
    read = int(heap.group(1)) + int(removed.group(1) if removed else 0)
    assert int(heap.group(1)) == 2_880 and read < 6_000, plan
