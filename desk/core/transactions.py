"""Run code once the current database transaction has committed (Django's `on_commit`).

A change that must start work elsewhere (a Celery task reading the new rows) has to wait for
the commit: sent earlier, the worker may read the old rows, or act on a change that is then
rolled back. `on_commit(callback)` parks the callback in `session.info`; it runs after the
outermost transaction commits, and is dropped if that transaction (or the savepoint it was
registered in) rolls back. Like the notifications outbox, the hooks listen on every Session.

Callbacks run when the session has no transaction: they must not use it to emit SQL (sending a
task, writing to Redis or logging is fine). An exception in one is logged, never raised, and the
others still run: the commit has already happened, so the caller cannot undo anything anyway.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable

from sqlalchemy import event, text
from sqlalchemy.orm import Session, SessionTransaction

from desk.extensions import db

log = logging.getLogger(__name__)

_PENDING = "desk.core.on_commit"

# (the savepoint it was registered in, or None for the outermost transaction, callback)
_Pending = list[tuple[SessionTransaction | None, Callable[[], None]]]


def on_commit(callback: Callable[[], None], session: Session | None = None) -> None:
    """Run `callback()` after the current transaction commits; forget it on rollback."""
    session = session if session is not None else db.session()
    pending: _Pending = session.info.setdefault(_PENDING, [])
    pending.append((session.get_nested_transaction(), callback))


def commit_keeping_state(session: Session | None = None) -> None:
    """Commit without expiring the session's objects.

    By default a commit expires every object, so the next attribute read (a new ticket's
    reference for the redirect, the current user) reads the row back: a round trip each, for
    values this transaction has just written itself. Only for a unit of work that ends the
    request's writing (the caller reads what it wrote, nothing another transaction changed).
    """
    session = session if session is not None else db.session()
    previous = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = previous


@event.listens_for(Session, "after_commit")
def _run_pending(session: Session) -> None:
    pending: _Pending | None = session.info.get(_PENDING)
    if not pending:
        return
    savepoint = session.get_nested_transaction()
    if savepoint is not None:
        # A savepoint released: its callbacks now wait for the enclosing transaction.
        parent = savepoint.parent
        outer = parent if parent is not None and parent.nested else None
        session.info[_PENDING] = [
            (outer if owner is savepoint else owner, cb) for owner, cb in pending
        ]
        return
    del session.info[_PENDING]  # before running: a callback that commits must not rerun them
    for _owner, callback in pending:
        try:
            callback()
        except Exception:
            log.exception("on_commit callback %r failed", callback)


@event.listens_for(Session, "after_transaction_end")
def _drop_rolled_back(session: Session, transaction: SessionTransaction) -> None:
    pending: _Pending | None = session.info.get(_PENDING)
    if not pending:
        return
    if transaction.parent is None:
        # The outermost transaction ended without a commit (a commit emptied the list first).
        del session.info[_PENDING]
    elif transaction.nested:
        # A released savepoint handed its callbacks on in after_commit; what is left rolled back.
        session.info[_PENDING] = [(o, cb) for o, cb in pending if o is not transaction]


def hold_name(kind: str, name: str, session: Session | None = None) -> None:
    """Until the current transaction ends, be the only one to hold `name` of `kind` (a list
    name being requested): a second transaction asking for it waits for the first to commit
    or roll back, then sees what it wrote.

    For a check that no row holds a value kept in no unique column (the list name is in an
    open ticket's JSON data): two submissions at the same moment both found it free, then
    both saved. PostgreSQL's transaction-level advisory lock (production); SQLite, for
    development and tests, has no such lock: there it does nothing."""
    session = session if session is not None else db.session()
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"{kind}\0{name}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
