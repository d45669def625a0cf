"""Per-process copies of the reference data a submission reads, dropped when it changes.

A catalogue submission needs the entry, the routing rules, the queues, the SLA policy and
its calendar with its holidays. They change a few times a year and cost a round trip each
on every submission, so each web process keeps a copy (`cached(name, loader)`).

Invalidation: any ORM write to a watched model (`watch(...)`; admin pages, the YAML loader,
tests' factories) clears this process's copies at commit and stores a new random token in
Redis; every request compares the token once (one GET, ~0.1 ms, instead of five queries) and
reloads when it differs. A random token rather than a counter: a Redis that lost its data
(restart, FLUSHDB between tests) cannot bring an old value back and make a stale copy look
current. Not a TTL alone: an admin who deactivates an entry or changes a rule expects the
next submission, on every web process, to follow it. Not LISTEN/NOTIFY: sync workers have no
thread to listen with. A change made outside the ORM (psql, a migration) is picked up after
MAX_AGE seconds at worst. While Redis does not answer, every read goes to the database:
slower, never stale.

Copies are loaded through their own session, so they never hold a request's uncommitted
changes; a session that has written a watched model in its open transaction bypasses them.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from flask import g, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from desk.extensions import db, get_redis

log = logging.getLogger(__name__)

T = TypeVar("T")

KEY = "desk:refcache:token"
MAX_AGE = 300.0  # seconds; the backstop for writes the ORM did not see
_PAUSE = 10.0  # seconds without asking Redis after it failed to answer
_DIRTY = "desk.refcache.dirty"
_UNAVAILABLE = object()

_watched: set[type] = set()
_lock = threading.Lock()


class _Copies:
    token: Any = _UNAVAILABLE
    loaded_at = 0.0
    values: dict[str, Any] = {}  # replaced by clear(), never emptied in place
    paused_until = 0.0


_copies = _Copies()


def watch(*models: type) -> None:
    """Writes to these models invalidate every process's copies."""
    _watched.update(models)


def clear() -> None:
    """Forget this process's copies and any pause after a Redis failure (tests that rebuild
    the database call it)."""
    with _lock:
        _copies.values = {}
        _copies.token = _UNAVAILABLE
        _copies.paused_until = 0.0


def cached(name: str, loader: Callable[[Session], T]) -> T:
    """`loader(session)`'s result, loaded once per change of the reference data."""
    session = db.session()
    if session.info.get(_DIRTY) or _has_pending_writes(session):
        return loader(session)  # this transaction changed it: the copies do not show that yet
    token = _token()
    if token is _UNAVAILABLE:
        return loader(session)
    now = time.monotonic()
    with _lock:
        if token != _copies.token or now - _copies.loaded_at > MAX_AGE:
            _copies.values, _copies.token, _copies.loaded_at = {}, token, now
        values = _copies.values
        if name in values:
            return values[name]
    with Session(db.engine) as own:
        value = loader(own)
        own.expunge_all()
        own.commit()  # it only read: a ROLLBACK would drop the connection's prepared statements
    with _lock:
        if _copies.values is values:
            values[name] = value
    return value


def _token() -> Any:
    """The current token, asked from Redis once per request."""
    if has_app_context() and "refcache_token" in g:
        return g.refcache_token
    token: Any
    if time.monotonic() < _copies.paused_until:
        token = _UNAVAILABLE
    else:
        try:
            token = get_redis().get(KEY)
        except redis.RedisError as exc:
            log.warning("reference-data token unreadable (%s): reading the database", exc)
            _copies.paused_until = time.monotonic() + _PAUSE
            token = _UNAVAILABLE
    if has_app_context():
        g.refcache_token = token
    return token


def _has_pending_writes(session: Session) -> bool:
    return any(
        isinstance(obj, tuple(_watched)) for obj in (*session.new, *session.dirty, *session.deleted)
    )


@event.listens_for(Session, "after_flush")
def _note_writes(session: Session, _context: Any) -> None:
    if _has_pending_writes(session):
        session.info[_DIRTY] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_writes(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    mapper = state.bind_mapper
    if mapper is not None and issubclass(mapper.class_, tuple(_watched)):
        state.session.info[_DIRTY] = True


@event.listens_for(Session, "after_commit")
def _publish(session: Session) -> None:
    if not session.info.pop(_DIRTY, False):
        return
    clear()
    if not has_app_context():
        return
    try:
        get_redis().set(KEY, secrets.token_hex(8))
    except redis.RedisError as exc:  # other processes catch up within MAX_AGE
        log.warning("reference-data change not announced (%s)", exc)
    g.pop("refcache_token", None)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_DIRTY, None)
