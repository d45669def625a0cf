"""A request that only read ends its transaction with COMMIT, so PostgreSQL keeps its plans.

psycopg prepares a statement on the server once a connection has run it five times
(`prepare_threshold`); PostgreSQL then neither parses nor plans it again. On a queue list at
1M tickets, planning is 1.3 ms of the database's 2 ms a page, and the execution 0.3 ms. But
psycopg forgets its prepared statements at every ROLLBACK (a rolled-back transaction may have
changed what they refer to), and a request that only reads ended with one: Flask-SQLAlchemy
closes the session at the end of the request, which rolls back. No page ever reached the
threshold, and every query of every page was planned anew.

To the database, COMMIT and ROLLBACK of a transaction that wrote nothing are the same. So at
the end of a request, a transaction whose statements all read (SELECT, or a WITH whose
parts are all SELECTs: the help search's), with no unflushed change in the session, is
committed; anything else is rolled back as before (a view that wrote must commit itself;
what it left uncommitted is still thrown away). Which statements ran is seen on the
connection, whatever sent them: the ORM's flushes, Core, or text().
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from desk.extensions import db

log = logging.getLogger(__name__)

_WROTE = "desk.wrote"


@event.listens_for(Engine, "begin")
def _transaction_begins(conn: Connection) -> None:
    conn.info[_WROTE] = False


@event.listens_for(Engine, "before_cursor_execute")
def _note_writes(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
    if not conn.info.get(_WROTE) and writes(statement):
        conn.info[_WROTE] = True


# A data-modifying word anywhere in a WITH statement: its CTEs may INSERT, UPDATE, DELETE or
# MERGE. A row lock (FOR UPDATE, FOR NO KEY UPDATE) is no write.
_MODIFIES = re.compile(r"\b(?:INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)
_ROW_LOCK = re.compile(r"\bFOR\s+(?:NO\s+KEY\s+)?UPDATE\b", re.IGNORECASE)


@functools.lru_cache(maxsize=1024)
def writes(statement: str) -> bool:
    """Whether a statement may write: anything but a SELECT (INSERT, UPDATE, DELETE, SAVEPOINT,
    SET, LOCK...), and a WITH whose text names a data-modifying statement. A WITH that only
    reads (the help search's) is a read. Erring towards "writes" (a column or a string
    literal named "delete") only costs the old ROLLBACK. Cached: an app sends the same few
    hundred statements (SQLAlchemy's compiled cache hands the same strings)."""
    head = statement.lstrip()[:6].upper()
    if head == "SELECT":
        return False
    if head[:4] == "WITH" and not head[4:5].isalnum() and head[4:5] != "_":
        return _MODIFIES.search(_ROW_LOCK.sub("", statement)) is not None
    return True


def end_read_only_transaction(exc: BaseException | None = None) -> None:
    """Commit the request's transaction if it only read; leave anything else to the
    session's close, which rolls back."""
    if exc is not None or not db.session.registry.has():
        return
    session = db.session()
    transaction = session.get_transaction()
    # Not active: a failed flush the view did not roll back; the close does it.
    if transaction is None or not transaction.is_active:
        return
    if session.new or session.dirty or session.deleted:
        return
    try:
        connection = session.connection()
        if connection.info.get(_WROTE, True):
            return
        session.commit()
    except Exception as error:  # a broken connection: the close rolls back and discards it
        log.warning("read-only transaction not committed (%s)", error)


def init_read_only_commit(app: Flask) -> None:
    """Register the hook; after Flask-SQLAlchemy's, so that it runs before the session is
    closed (Flask runs teardown functions in reverse order)."""
    app.teardown_appcontext(end_read_only_transaction)
