"""The delivery bookkeeping's own connection: one autocommit statement per state change.

Claiming a row, recording that its SMTP transaction reached DATA and marking it sent are
single UPDATEs, atomic on their own; autocommit saves the BEGIN/COMMIT round trips. Each is
durable when it returns (PostgreSQL's default synchronous commit): a database crash right
after a send cannot lose its "sent" mark. Asynchronous commit was used here once, to skip the
fsync; it duplicated mails after a PostgreSQL crash, and desk's volume (a few thousand mails a
day, bench/notifications.py) never needed it.
"""

from __future__ import annotations

import os
from typing import Any

from flask import current_app
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import DBAPIError

_engines: dict[tuple[int, str], Engine] = {}


def engine() -> Engine:
    """This process's bookkeeping engine (created after a fork, never shared with a parent)."""
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    key = (os.getpid(), url)
    if key not in _engines:
        _engines[key] = create_engine(
            url, isolation_level="AUTOCOMMIT", pool_size=2, max_overflow=2
        )
    return _engines[key]


def execute(statement: Any, params: dict[str, Any] | None = None) -> CursorResult:
    """Run one statement in its own implicit transaction; retry once on a dropped connection.

    No pre-ping (a round trip per statement); a connection the server closed fails the first
    try, which never reached the server as a change, so trying once more is safe.
    """
    for attempt in (1, 2):
        try:
            with engine().connect() as conn:
                result = conn.execute(statement, params or {})
                if result.returns_rows:
                    rows = result.all()
                    return _Buffered(rows, result.rowcount)  # type: ignore[return-value]
                return result
        except DBAPIError as exc:
            if attempt == 2 or not exc.connection_invalidated:
                raise
    raise AssertionError("unreachable")


class _Buffered:
    """The rows of a RETURNING statement, read before the connection went back to the pool."""

    def __init__(self, rows: list, rowcount: int):
        self._rows = rows
        self.rowcount = rowcount

    def one_or_none(self):
        return self._rows[0] if self._rows else None

    def all(self) -> list:
        return list(self._rows)
