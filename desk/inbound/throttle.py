"""Per-sender throttling of incoming mail: a fixed one-minute window counted in Redis.

A sender (a script, a loop with another robot, a flood) writing more than
DESK_INBOUND_MAX_PER_MINUTE messages in a minute has the extra ones held; the admins are
told once per sender and hour, not once per message.

A slower loop passes under that limit: a robot with no robot headers that answers each
acknowledgement of a new request with a new message to the queue's address makes a ticket
per poll, all day. Like other service desks (OTRS's PostmasterMaxEmails), desk stops
acknowledging: past DESK_INBOUND_MAX_ACKS_PER_HOUR new requests from one sender in an hour,
the next are filed without one, and the loop has nothing left to answer.
"""

from __future__ import annotations

import hashlib
import time

from flask import current_app

from desk.extensions import get_redis

_WINDOW = 60
_HOUR = 3600
_TOLD_FOR = _HOUR


def _key(prefix: str, sender: str) -> str:
    return f"desk:inbound:{prefix}:{hashlib.sha256(sender.encode()).hexdigest()[:32]}"


def _count(prefix: str, sender: str, period: int, now: float | None) -> int:
    """Count one more for `sender` in this fixed window of `period` seconds; the total so far.
    The key outlives its window by one period (never read again once the window is over)."""
    window = int((now if now is not None else time.time()) // period)
    key = f"{_key(prefix, sender)}:{window}"
    pipe = get_redis().pipeline()
    pipe.incr(key)
    pipe.expire(key, period * 2)
    count, _ = pipe.execute()
    return int(count)


def over_limit(sender: str, *, now: float | None = None) -> bool:
    """Count one message from `sender`; True when it is over this minute's limit."""
    limit = current_app.config["INBOUND_MAX_PER_MINUTE"]
    if not limit or not sender:
        return False
    return _count("rate", sender, _WINDOW, now) > limit


def may_acknowledge(sender: str, *, now: float | None = None) -> bool:
    """Count one acknowledgement to `sender`; False when this hour's are used up."""
    limit = current_app.config["INBOUND_MAX_ACKS_PER_HOUR"]
    if not limit or not sender:
        return True
    return _count("acks", sender, _HOUR, now) <= limit


def first_warning(sender: str) -> bool:
    """True once per sender and hour: whether to tell the admins about this flood."""
    return bool(get_redis().set(_key("told", sender), "1", nx=True, ex=_TOLD_FOR))
