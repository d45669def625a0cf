"""A pooled PostgreSQL connection the server has closed is replaced before it is used.

SQLAlchemy's `pool_pre_ping` would send a round trip (SELECT 1) at every checkout — once per
web request, about as much as a small query. Instead, a checkout looks whether the server
has written anything on the idle connection: a server that shuts down or restarts, or a
backend terminated by an administrator, sends its error message and closes the socket, which
makes the socket readable. Nothing is ever due on an idle pooled connection (desk does not
LISTEN on them), so anything readable means the connection is finished; the pool then opens
a fresh one (tests/security/test_outage.py restarts a server under a running app).

What this does not see — a host that vanished without closing the connection — fails the
first query, and SQLAlchemy then replaces every connection of the pool (a 503 page, once).
"""

from __future__ import annotations

import select
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import Pool


def server_has_hung_up(dbapi_connection: Any) -> bool:
    """True if an idle psycopg connection is closed, broken or has unread input."""
    if getattr(dbapi_connection, "closed", False) or getattr(dbapi_connection, "broken", False):
        return True
    fileno = getattr(dbapi_connection, "fileno", None)
    if fileno is None:  # not psycopg (SQLite): nothing to look at
        return False
    # poll(), not select(): select() refuses descriptors above 1023, which a busy process
    # reaches, and every checkout would then open a new connection.
    poller = select.poll()
    try:
        poller.register(fileno(), select.POLLIN | select.POLLPRI)
        return bool(poller.poll(0))  # POLLHUP and POLLERR are always reported
    except (OSError, ValueError):
        return True


@event.listens_for(Pool, "checkout")
def _replace_hung_up(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    if server_has_hung_up(dbapi_connection):
        # The pool discards this connection and checks out (or opens) another.
        raise DisconnectionError("the server closed this pooled connection")
