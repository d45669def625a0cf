"""Flask-Limiter whose storage outage is told once, not once per request.

With its storage (Redis) out of reach, Flask-Limiter lets each request through
(RATELIMIT_SWALLOW_ERRORS, set in desk.core.security: pages must not fail because their
counters cannot be read) and logs a full traceback for each one: a Redis outage at rush hour
buried the logs under thousands of identical tracebacks. Here the rate-limiting strategy's
storage errors are caught one level down and answered as Flask-Limiter answered them (the
request goes through, or, without RATELIMIT_SWALLOW_ERRORS, the error goes on to the
outage page); the outage is logged when it starts, once a minute while it lasts (with the
number of requests let through meanwhile), and when Redis answers again.

A Redis that hangs (frozen, or its host unreachable without a refusal) answers nothing until
the socket's timeout, a second: every limited request waited that long, a submission three
times, and under load the help suggestions typed by everyone held every web worker, so that no
page answered. While the storage is down, it is tried again only `rest` seconds after its last
failure (one request of the process then pays the timeout); the others go through unchecked
at once.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import redis
from flask import current_app, has_app_context
from flask_limiter import Limiter
from limits.errors import StorageError
from limits.strategies import RateLimiter

log = logging.getLogger(__name__)

# What a storage that does not answer raises: redis-py's errors (refused, timed out, lost),
# the `limits` library's wrapper of them, and a socket error that escaped both.
STORAGE_ERRORS = (redis.RedisError, StorageError, OSError)


class StorageOutage:
    """One process's view of the rate-limit storage: answering, or down since when."""

    def __init__(self, every: float = 60.0, rest: float = 5.0) -> None:
        self.every = every  # seconds between two "still down" lines
        self.rest = rest  # seconds after a failure during which the storage is not tried
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._tried_at = 0.0  # the last failure, or the start of the try that follows it
        self._told_at = 0.0
        self._unchecked = 0  # requests let through since the last line

    def failed(self, error: BaseException) -> None:
        """A limit could not be read: say so if the outage starts, or once per `every`."""
        now = time.monotonic()
        with self._lock:
            self._unchecked += 1
            self._tried_at = now
            if self._down_since is None:
                self._down_since = self._told_at = now
                self._unchecked = 0
                starts = True
            elif now - self._told_at >= self.every:
                starts = False
                since, unchecked = now - self._down_since, self._unchecked
                self._told_at, self._unchecked = now, 0
            else:
                return
        reason = " ".join(f"{type(error).__name__}: {error}".split())[:300]
        if starts:
            log.warning("rate limits not enforced: their Redis does not answer (%s)", reason)
        else:
            log.warning(
                "rate limits still not enforced: Redis has not answered for %d s "
                "(%d requests let through unchecked since the last line; %s)",
                since,
                unchecked,
                reason,
            )

    def resting(self) -> bool:
        """Down, and the last try is less than `rest` seconds old: let the request through
        untried (counted as unchecked). Else the caller tries, the others keep resting."""
        if self._down_since is None:  # the common case, without the lock
            return False
        now = time.monotonic()
        with self._lock:
            if self._down_since is None:
                return False
            if now - self._tried_at >= self.rest:
                self._tried_at = now
                return False
            self._unchecked += 1
            return True

    def answered(self) -> None:
        """A limit was read: the end of an outage, if there was one."""
        if self._down_since is None:  # the common case, without the lock
            return
        now = time.monotonic()
        with self._lock:
            if self._down_since is None:
                return
            since, unchecked = now - self._down_since, self._unchecked
            self._down_since, self._unchecked = None, 0
        log.info(
            "rate limits enforced again: Redis answers after %d s "
            "(%d requests let through unchecked since the last line)",
            since,
            unchecked,
        )


class _Watched:
    """The rate-limiting strategy, its storage errors turned into one outage report."""

    def __init__(self, strategy: RateLimiter, swallow: bool) -> None:
        self._strategy = strategy
        self._swallow = swallow

    def hit(self, item: Any, *identifiers: str, cost: int = 1) -> bool:
        return self._call(self._strategy.hit, item, *identifiers, cost=cost)

    def test(self, item: Any, *identifiers: str, cost: int = 1) -> bool:
        return self._call(self._strategy.test, item, *identifiers, cost=cost)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._strategy, name)

    def _call(self, method, *args: Any, **kwargs: Any) -> bool:
        outage = _outage()
        if self._swallow and outage is not None and outage.resting():
            return True  # Redis failed a moment ago: not limited, without waiting for it
        try:
            allowed = method(*args, **kwargs)
        except STORAGE_ERRORS as error:
            if not self._swallow or outage is None:
                raise
            outage.failed(error)
            return True  # as Flask-Limiter did with the error swallowed: not limited
        if outage is not None:
            outage.answered()
        return allowed


def _outage() -> StorageOutage | None:
    if not has_app_context():
        return None
    return current_app.extensions.get("ratelimit_outage")


class DeskLimiter(Limiter):
    """Flask-Limiter, telling an outage of its storage once (see the module's docstring)."""

    def init_app(self, app) -> None:
        super().init_app(app)
        app.extensions["ratelimit_outage"] = StorageOutage()

    @property
    def limiter(self) -> RateLimiter:
        strategy = super().limiter
        if not has_app_context():
            return strategy
        swallow = bool(current_app.config.get("RATELIMIT_SWALLOW_ERRORS"))
        return _Watched(strategy, swallow)  # type: ignore[return-value]
