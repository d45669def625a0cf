"""A PostgreSQL server that stops answering costs a request a few seconds, not a hung worker.

libpq's `connect_timeout` bounds a new connection only (desk.core.db). A pooled connection
whose server stops answering while keeping the connection open (its processes stopped, a
network path that drops packets, a proxy or a host that hangs) blocks psycopg's wait for the
answer for ever: psycopg 3 has no read timeout, PostgreSQL's `statement_timeout` is enforced
by the server that no longer runs, `tcp_user_timeout` only bounds bytes sent and never
acknowledged, and TCP keepalives are answered by any kernel that is still up (a SIGSTOPped
server's, a proxy's). The request then hung until gunicorn killed its worker, and nobody got
desk's 503 page.

So the client keeps the time itself: every round trip of a web request (`DATABASE_TIMEOUT`)
or of a Celery task (`WORKER_DATABASE_TIMEOUT`) — a statement, a COMMIT, a ROLLBACK — is
watched by one thread per process, which shuts the connection's socket down once the server
has been silent that long. libpq then reads the end of the connection, psycopg raises an
OperationalError, SQLAlchemy drops the pool's connections, and the request gets the outage
page. Command-line work (migrations, imports) is not bounded: an operator watches it, and a
long index build is not a hung server.

A COMMIT cut this way is uncertain, as with any connection lost during a COMMIT: if the server
was only frozen, it may still apply it once it runs again (the outage page says a form that
got no confirmation was not saved: the transaction is all or nothing, never half).
"""

from __future__ import annotations

import contextvars
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, has_request_context

log = logging.getLogger(__name__)

# Set by the Celery task class (desk.celery_init_app) while a task runs.
in_task: contextvars.ContextVar[bool] = contextvars.ContextVar("desk_in_task", default=False)


class Watchdog:
    """One thread per process that shuts down the sockets of round trips past their deadline."""

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)  # gunicorn and Celery fork after import

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._armed: dict[int, tuple[float, int]] = {}  # thread id -> (deadline, socket fd)
        self._cut: set[int] = set()
        self._thread: threading.Thread | None = None
        self._tick = 1.0

    def arm(self, seconds: float, fileno: int) -> None:
        # One dict store (atomic): a page's statements pay a few microseconds each.
        self._armed[threading.get_ident()] = (time.monotonic() + seconds, fileno)
        if self._thread is None:
            self._start(seconds)

    def _start(self, seconds: float) -> None:
        with self._lock:
            self._tick = min(self._tick, max(0.05, seconds / 4))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="desk-db-watchdog")
                self._thread.daemon = True
                self._thread.start()

    def disarm(self) -> bool:
        """Stop watching this thread's round trip; True if it was cut."""
        ident = threading.get_ident()
        with self._lock:  # the watchdog cuts under it: never a socket whose trip has ended
            self._armed.pop(ident, None)
            if not self._cut:
                return False
            if ident in self._cut:
                self._cut.discard(ident)
                return True
        return False

    def _run(self) -> None:
        while True:
            time.sleep(self._tick)
            now = time.monotonic()
            with self._lock:
                for ident, (deadline, fileno) in list(self._armed.items()):
                    if now >= deadline:
                        del self._armed[ident]
                        self._cut.add(ident)
                        _shut_down(fileno)


def _shut_down(fileno: int) -> None:
    """End the TCP connection under libpq's descriptor (a duplicate, closed at once: the
    descriptor itself stays libpq's to close)."""
    try:
        with socket.socket(fileno=os.dup(fileno)) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


watchdog = Watchdog()


class BoundedWaits:
    """Wraps a PostgreSQL dialect's round trips with the watchdog."""

    def __init__(self, web_seconds: float, task_seconds: float):
        self.web_seconds = web_seconds
        self.task_seconds = task_seconds

    def limit(self) -> float:
        if has_request_context():
            return self.web_seconds
        return self.task_seconds if in_task.get() else 0.0

    def wrap(self, method: Callable, connection_of: Callable[[Any], Any]) -> Callable:
        def bounded(first: Any, *args: Any, **kwargs: Any) -> Any:
            seconds = self.limit()
            if not seconds:
                return method(first, *args, **kwargs)
            try:
                fileno = connection_of(first).fileno()
            except Exception:  # a closed connection: psycopg will say so itself
                return method(first, *args, **kwargs)
            watchdog.arm(seconds, fileno)
            try:
                return method(first, *args, **kwargs)
            finally:
                if watchdog.disarm():
                    log.warning("PostgreSQL did not answer within %s s: connection closed", seconds)

        return bounded


def init_bounded_waits(app: Flask, engines: Any) -> None:
    """Bound the round trips of every PostgreSQL engine of `app` (a limit of 0: unbounded)."""
    waits = BoundedWaits(app.config["DATABASE_TIMEOUT"], app.config["WORKER_DATABASE_TIMEOUT"])
    for engine in engines:
        dialect = engine.dialect
        if dialect.name != "postgresql":
            continue  # SQLite is a file: nothing to wait for
        # The dialect's own methods are the one place every statement, COMMIT and ROLLBACK
        # (the pool's reset too) goes through; SQLAlchemy has no event after a COMMIT.
        for name in ("do_execute", "do_execute_no_params", "do_executemany"):
            setattr(dialect, name, waits.wrap(getattr(dialect, name), lambda c: c.connection))
        for name in ("do_commit", "do_rollback"):
            setattr(dialect, name, waits.wrap(getattr(dialect, name), lambda c: c))
