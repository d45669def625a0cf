"""Counting the SQL a piece of code sends (query-count tests: no N+1, constant cost), and
filling the ticket table in bulk for the query-plan tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event, insert
from sqlalchemy.engine import Engine


@contextmanager
def statements_sent(engine: Engine, *, parameters: bool = False) -> Iterator[list]:
    """The statements `engine` sends inside the block, in order (filled as they go); with
    `parameters`, (statement, parameters) pairs as the driver gets them (to EXPLAIN them)."""
    seen: list = []

    def record(conn, cursor, statement, sent_parameters, *args):
        seen.append((statement, sent_parameters) if parameters else statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@contextmanager
def committed_first(table: str, values: dict, *, before: str = "INSERT INTO") -> Iterator[list]:
    """Commit `values` into `table` from another connection right before the app's first
    `before` statement on it ("INSERT INTO", "UPDATE"): a second person saving at the same
    moment, after the app's checks. Yields the list of statements that were beaten."""
    from desk.extensions import db

    engine = db.engine
    beaten: list[str] = []

    def rival(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith(f"{before} {table} ") and not beaten:
            beaten.append(statement)
            with engine.connect() as other:  # a second pooled connection: its own transaction
                other.execute(insert(db.metadata.tables[table]).values(**values))
                other.commit()

    event.listen(engine, "before_cursor_execute", rival)
    try:
        yield beaten
    finally:
        event.remove(engine, "before_cursor_execute", rival)


def prepared_statements(engine: Engine, visit: Callable[[], object]) -> list[tuple[str, int]]:
    """(statement, generic plans) of every statement PostgreSQL holds prepared, after `visit()`,
    on the connections `visit` used (read from pg_prepared_statements on each)."""
    connections = {}

    def remember(conn, *_args):
        driver = conn.connection.driver_connection
        connections[id(driver)] = driver

    event.listen(engine, "after_cursor_execute", remember)
    try:
        visit()
    finally:
        event.remove(engine, "after_cursor_execute", remember)
    prepared: list[tuple[str, int]] = []
    for driver in connections.values():
        with driver.cursor() as cursor:
            cursor.execute(
                "SELECT statement, generic_plans FROM pg_prepared_statements", prepare=False
            )
            prepared += cursor.fetchall()
        driver.rollback()  # our own look, outside the pool's bookkeeping
    return prepared


def copy_ticket(conn, ticket_id: int, n: int, prefix: str, **columns: str) -> None:
    """n copies of ticket `ticket_id`, written in one INSERT ... SELECT on the server, so that
    PostgreSQL plans as it would over a real history. `g` (1..n) numbers the copies: each
    gets the reference `<prefix>-<g>` and no one-time token; `columns` gives SQL expressions
    for other columns (e.g. created_at="created_at + g * interval '1 hour'")."""
    from desk.tickets.models import Ticket

    columns = {"reference": f"'{prefix}-' || g", "idempotency_key": "NULL", **columns}
    names = [c.name for c in Ticket.__table__.columns if c.name != "id"]
    values = ", ".join(columns.get(name, name) for name in names)
    conn.exec_driver_sql(
        f"INSERT INTO ticket ({', '.join(names)}) SELECT {values} "  # noqa: S608
        f"FROM ticket, generate_series(1, {n}) AS g WHERE id = {ticket_id}"
    )
