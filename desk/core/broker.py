"""Celery's Redis broker: a guard against a kombu crash on reconnect, and publish back-off.

The crash (kombu 5.7.0, the newest release; 5 of 13 Redis restarts killed the worker):
when the broker connection drops while the worker holds unacknowledged messages, Celery's
consumer runs `Connection.collect()` then `Connection.close()`. `collect()` closes the default
channel, but that close can fail early (its in-flight BRPOP read raises the connection error,
which kombu swallows) and leave the channel open; `collect()` then detaches the transport from
its connection (`transport.client = None`). The `close()` that follows closes the same channel
again; this time it gets as far as restoring the unacknowledged messages, which needs a new
connection pool, whose parameters are read from `transport.client.hostname` — None. The
AttributeError is not a connection error, so Celery treats it as fatal: "Unrecoverable
error ... 'NoneType' object has no attribute 'hostname'", and the worker exits.

The guard makes that last step raise redis' ConnectionError instead, which kombu and Celery
treat as what it is (the connection is gone): the channel is dropped, the consumer reconnects.
The messages it could not restore stay in Redis' `unacked` set, where kombu's own
`restore_visible` puts them back after the visibility timeout; desk does not wait for that:
the outbox rows are still pending and beat's requeue publishes them again within a minute
(and a claim makes a late duplicate task a no-op).
"""

from __future__ import annotations

import time
from typing import Any

import redis
from kombu.transport import redis as kombu_redis


def install_kombu_guard() -> None:
    """Patch the Redis channel's connection parameters once per process (idempotent)."""
    channel = kombu_redis.Channel
    original = channel._connparams
    if getattr(original, "desk_guard", False):
        return

    def _connparams(self: Any, asynchronous: bool = False) -> dict:
        transport = self.connection
        if transport is None or transport.client is None:
            raise redis.exceptions.ConnectionError("broker connection already closed")
        return original(self, asynchronous)

    _connparams.desk_guard = True  # type: ignore[attr-defined]
    channel._connparams = _connparams


# After a failed publish, this process stops trying for a while: with the broker hung, each
# try costs DESK_REDIS_TIMEOUT, and the rows it would publish are safe in the outbox anyway
# (beat's requeue publishes them once the broker answers).
PUBLISH_COOLDOWN_SECONDS = 10.0
_paused_until = 0.0


def publishing_paused() -> bool:
    """True while this process is backing off after a broker failure."""
    return time.monotonic() < _paused_until


def publish_failed() -> None:
    """Record a failed publish: skip publishing in this process for the cooldown."""
    global _paused_until
    _paused_until = time.monotonic() + PUBLISH_COOLDOWN_SECONDS


def publish_succeeded() -> None:
    global _paused_until
    _paused_until = 0.0


def dropped_connection(exc: BaseException) -> bool:
    """A connection the broker closed or refused (worth one immediate retry), not a hang."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, redis.exceptions.TimeoutError | TimeoutError):
            return False
        if isinstance(seen, redis.exceptions.ConnectionError | ConnectionError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
