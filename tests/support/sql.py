"""Counting the SQL a piece of code sends (query-count tests: no N+1, constant cost), and
filling the ticket table in bulk for the query-plan tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
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
