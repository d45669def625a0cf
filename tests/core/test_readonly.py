"""A request that only read commits; one that wrote and did not commit is still rolled back.

The point is PostgreSQL's prepared statements: psycopg drops them at every ROLLBACK, so pages
ended with one were parsed and planned again on every visit.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.exc import IntegrityError

from desk.auth.models import Role
from desk.core.db import utcnow
from desk.core.readonly import writes
from desk.extensions import db
from desk.reference.models import Domain
from tests.conftest import _database_url
from tests.support.factories import make_queue, make_ticket, make_user
from tests.support.sql import copy_ticket, prepared_statements


@contextmanager
def transaction_ends(app) -> Iterator[Counter]:
    """How the engine's transactions ended inside the block: "commit" and "rollback" counts
    (a connection given back to the pool with no transaction open sends neither)."""
    with app.app_context():
        engine = db.engine
    ends: Counter = Counter()
    listeners = {
        "commit": lambda _conn: ends.update(["commit"]),
        "rollback": lambda _conn: ends.update(["rollback"]),
    }
    for name, listener in listeners.items():
        event.listen(engine, name, listener)
    try:
        yield ends
    finally:
        for name, listener in listeners.items():
            event.remove(engine, name, listener)


def _domains(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Domain.code).order_by(Domain.code)))


def test_a_context_that_only_read_ends_with_a_commit(app):
    with transaction_ends(app) as ends, app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Domain)) == 0
    assert ends == Counter({"commit": 1})


def test_a_flushed_change_left_uncommitted_is_rolled_back(app):
    with transaction_ends(app) as ends, app.app_context():
        db.session.add(Domain(code="oublie", name_fr="Oublié"))
        db.session.flush()
    assert ends == Counter({"rollback": 1})
    assert _domains(app) == []


def test_a_pending_change_never_flushed_is_not_written(app):
    with transaction_ends(app) as ends, app.app_context():
        db.session.scalar(select(func.count()).select_from(Domain))  # a transaction is open
        db.session.add(Domain(code="en-attente", name_fr="En attente"))
    assert ends == Counter({"rollback": 1})
    assert _domains(app) == []


ON_POSTGRESQL = _database_url().startswith("postgresql")


@pytest.mark.parametrize(
    "how",
    [
        "core",
        pytest.param(
            "text-with-cte",
            marks=pytest.mark.skipif(not ON_POSTGRESQL, reason="SQLite has no INSERT in a CTE"),
        ),
    ],
)
def test_a_write_sent_past_the_orm_is_rolled_back(app, how):
    """An INSERT through Core, or hidden in a CTE that starts with WITH, counts as a write."""
    with app.app_context():
        if how == "core":
            db.session.execute(insert(Domain).values(code="core", name_fr="Core", name_en=""))
        else:
            db.session.execute(
                text(
                    "WITH added AS (INSERT INTO domain (code, name_fr, name_en, position)"
                    " VALUES ('cte', 'CTE', '', 0) RETURNING id) SELECT id FROM added"
                )
            )
    assert _domains(app) == []


@pytest.mark.parametrize(
    ("statement", "wrote"),
    [
        ("SELECT 1", False),
        ("  select id FROM ticket", False),
        ("WITH q AS (SELECT 1 AS n) SELECT n FROM q", False),
        (
            "\n        WITH q AS (SELECT to_tsquery('fr', :q) AS fr)\n SELECT updated_at FROM q",
            False,
        ),
        ("WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT n FROM t", False),
        ("WITH due AS (SELECT id FROM followup FOR UPDATE SKIP LOCKED) SELECT id FROM due", False),
        ("WITH added AS (INSERT INTO domain (code) VALUES ('x') RETURNING id) SELECT id", True),
        ("with gone as (delete from kb_word returning word) select count(*) from gone", True),
        ("WITH q AS (SELECT 1) UPDATE ticket SET priority = 1", True),
        ("WITH s AS (SELECT 1) MERGE INTO t USING s ON true WHEN MATCHED THEN DO NOTHING", True),
        ("INSERT INTO domain (code) VALUES ('x')", True),
        ("UPDATE ticket SET id = id WHERE id IN (WITH c AS (SELECT 1) SELECT 1)", True),
        ("SAVEPOINT sa_1", True),
        ("SET LOCAL statement_timeout = 1000", True),
        ("WITHOUT_A_KEYWORD", True),
    ],
)
def test_which_statements_write(statement, wrote):
    """A WITH that only reads (the help search's) is a read; one that modifies is a write."""
    assert writes(statement) is wrote


def test_a_with_that_only_reads_ends_with_a_commit(app):
    """The help search's statement starts with WITH: it is a read, and the request commits."""
    with transaction_ends(app) as ends, app.app_context():
        found = db.session.scalar(text("WITH q AS (SELECT 41 AS n) SELECT n + 1 FROM q"))
        assert found == 42
    assert ends == Counter({"commit": 1})


def test_a_committed_write_then_reads_end_with_a_commit(app):
    """The mark of a write lasts until its transaction ends, not for the connection's life."""
    with transaction_ends(app) as ends, app.app_context():
        db.session.add(Domain(code="gardee", name_fr="Gardée"))
        db.session.commit()
        assert db.session.scalar(select(Domain.code)) == "gardee"
    assert ends == Counter({"commit": 2})
    assert _domains(app) == ["gardee"]


def test_a_failed_flush_left_as_is_is_rolled_back_quietly(app, caplog):
    """A view that caught a failed flush without rolling back: no commit attempted, no
    warning, the close rolls back."""
    with app.app_context():
        db.session.add(Domain(code="double", name_fr="Un"))
        db.session.commit()
    with transaction_ends(app) as ends, app.app_context():
        db.session.add(Domain(code="double", name_fr="Deux"))
        with pytest.raises(IntegrityError):
            db.session.flush()
    assert ends["commit"] == 0
    assert "not committed" not in caplog.text
    assert _domains(app) == ["double"]


def test_a_failed_request_is_rolled_back(app):
    """An unhandled error reaches the teardown: whatever ran is rolled back."""
    with transaction_ends(app) as ends, pytest.raises(RuntimeError), app.app_context():
        db.session.scalar(select(func.count()).select_from(Domain))
        raise RuntimeError("boom")
    assert ends == Counter({"rollback": 1})


@pytest.mark.skipif(not ON_POSTGRESQL, reason="prepared statements are PostgreSQL's")
def test_a_page_visited_again_runs_prepared_statements(app, app_ctx, login):
    """A technician's queue list, twelve times: psycopg prepares a statement at its fifth run,
    and PostgreSQL settles on a generic plan after five custom ones; from then on the page's
    statements are neither parsed nor planned. A ROLLBACK at the end of each request made
    that impossible (psycopg forgets its prepared statements at a rollback)."""
    queue = make_queue(code="reseau")
    tech = make_user(role=Role.TECHNICIAN, queues=(queue,))
    first = make_ticket(queue=queue, resolution_due_at=utcnow() + dt.timedelta(days=1))
    db.session.commit()
    engine = db.engine
    with engine.begin() as conn:  # enough rows for PostgreSQL to plan as it would in use
        due = "resolution_due_at + g * interval '1 minute'"
        copy_ticket(conn, first.id, 5_000, "P", resolution_due_at=due)
        conn.exec_driver_sql("ANALYZE ticket")
    client = login(tech)

    def visit(url: str, times: int = 12) -> None:
        for _ in range(times):
            assert client.get(url).status_code == 200

    with transaction_ends(app) as ends:
        prepared = prepared_statements(engine, lambda: visit("/queues/reseau"))
    assert ends["rollback"] == 0 and ends["commit"] >= 12  # and the copies of reference data
    # Planned once for all (a generic plan): the page's LIMIT and statuses are written in
    # the SQL, not bound, or PostgreSQL would plan every execution anew.
    page = [generic for statement, generic in prepared if "FROM ticket" in statement]
    assert page and max(page) >= 1, prepared

    # A page further on, after a keyset cursor (its row comparison's values bound): the same.
    html = client.get("/queues/reseau?size=10").text
    further = re.search(r'<a rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    prepared = prepared_statements(engine, lambda: visit(further))
    page = [
        generic
        for statement, generic in prepared
        if "(ticket.resolution_due_at, ticket.id) >" in statement
    ]
    assert page and max(page) >= 1, prepared
