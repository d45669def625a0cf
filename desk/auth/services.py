"""Account services: authentication with throttling, sessions, passwords, account creation."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from redis.exceptions import RedisError
from sqlalchemy import ColumnElement, func, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from desk.auth.language import note_browser_language
from desk.auth.models import Role, User
from desk.auth.roles import change_role
from desk.core.db import utcnow
from desk.core.input import contains_pattern
from desk.core.logs import audit
from desk.extensions import db, get_redis
from desk.reference.models import Queue, QueueMembership

log = logging.getLogger(__name__)


class LoginThrottled(Exception):
    """Too many failures for this login from this address: wait `minutes` before trying."""

    def __init__(self, minutes: int):
        super().__init__(minutes)
        self.minutes = minutes


def normalize_email(email: str) -> str:
    """E-mail logins compare case-insensitively."""
    return email.strip().lower()


def find_user(email: str) -> User | None:
    """The user with that login, if any."""
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def name_or_email_contains(text: str) -> ColumnElement[bool]:
    """Accounts whose display name or e-mail contains `text` (case-insensitive, LIKE
    wildcards in `text` taken literally): the people searches of admins and of staff filing
    for someone."""
    pattern = contains_pattern(text)
    return or_(
        User.display_name.ilike(pattern, escape="\\"),
        User.email.ilike(pattern, escape="\\"),
    )


# A Redis that hangs (frozen, its host gone without a refusal) answers each call after
# DESK_REDIS_TIMEOUT only, and a sign-in makes two (read the count, then count or clear it):
# every sign-in took two to three seconds and held a web worker, at the morning's rush. After
# a failure this process leaves the counts alone for a while, as it does when Redis answers
# an error: nobody is locked out meanwhile, and nobody waits for Redis either.
THROTTLE_REST_SECONDS = 10.0
_REST_UNTIL = "desk_login_throttle_rest_until"


def _throttle_resting() -> bool:
    return time.monotonic() < current_app.extensions.get(_REST_UNTIL, 0.0)


def _throttle_failed(what: str) -> None:
    log.warning("%s: Redis unavailable (not tried again for %d s)", what, THROTTLE_REST_SECONDS)
    current_app.extensions[_REST_UNTIL] = time.monotonic() + THROTTLE_REST_SECONDS


def _failures_key(email: str, ip: str) -> str:
    digest = hashlib.sha256(normalize_email(email).encode()).hexdigest()[:32]
    return f"desk:login-failures:{digest}:{ip}"


def authenticate(
    email: str,
    password: str,
    *,
    ip: str,
    language: str | None = None,
    now: dt.datetime | None = None,
    eligible: Callable[[User], bool] | None = None,
) -> User | None:
    """Return the user when the password matches; throttle repeated failures.

    Failures are counted per (login, client address) in Redis, shared by every web worker.
    Past DESK_LOGIN_MAX_FAILURES the pair waits DESK_LOGIN_LOCK_MINUTES: a guesser is slowed
    down, but a colleague typing wrong passwords from elsewhere cannot lock anyone out. The
    count does not depend on the account existing, so unknown, inactive and throttled logins
    get exactly the answers a real account would (no enumeration). `language`: the one the
    browser asks for, remembered with the login (desk.auth.language). `eligible`: who may sign
    in this way (the break-glass login); anyone else's right password is a failure like a
    wrong one, never a login written then refused.
    """
    config = current_app.config
    key = _failures_key(email, ip)
    lock_seconds = config["LOGIN_LOCK_MINUTES"] * 60
    redis = get_redis()
    counted = not _throttle_resting()
    failures = 0
    if counted:
        try:
            failures = int(redis.get(key) or 0)
        except RedisError:  # never lock everybody out because Redis is away
            _throttle_failed("login throttling skipped")
            counted = False
    if failures >= config["LOGIN_MAX_FAILURES"]:
        raise LoginThrottled(config["LOGIN_LOCK_MINUTES"])
    user = find_user(email)
    if user is None or not user.password_hash:
        # Same cost as a real check, so response time does not reveal which logins exist:
        # an account without a password (made by a CAS sign-in or from the directory) too.
        check_password_hash(_dummy_hash(), password)
    elif user.check_password(password) and user.is_active and (eligible is None or eligible(user)):
        user.last_login_at = now or utcnow()
        note_browser_language(user, language)
        db.session.commit()
        if counted:
            try:
                redis.delete(key)
            except RedisError:
                _throttle_failed("login failures not cleared")
        return user
    if counted:
        try:
            with redis.pipeline() as pipe:
                pipe.incr(key).expire(key, lock_seconds).execute()
        except RedisError:
            _throttle_failed("login failure not counted")
    return None


def revoke_sessions(user: User, *, actor: User | None) -> None:
    """End every session and remember-me cookie of `user`, on every device.

    Bumps the user's session version (see desk.auth.sessions); the caller commits. Called at
    logout, on a password change and when an administrator deactivates the account.
    """
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(session_version=User.session_version + 1)
        .execution_options(synchronize_session="fetch")
    )
    audit("user.sessions_revoked", user, actor=actor)


def deactivate_user(user: User, *, actor: User) -> None:
    """Refuse `user` any further login and end their sessions now; the caller commits."""
    user.is_active_account = False
    user.deactivated_at = utcnow()
    revoke_sessions(user, actor=actor)
    audit("user.deactivated", user, actor=actor)


def change_password(user: User, current: str, new: str, *, actor: User) -> None:
    """Set a new password after checking the current one; every other session ends.

    Raises PasswordError(field, message) when the current password is wrong or the new one
    is refused; nothing is changed then. The caller commits and starts a new session.
    """
    if not user.check_password(current):
        raise PasswordError("current_password", _("Your current password is not correct."))
    if new == current:
        raise PasswordError("new_password", _("Choose a password different from the current one."))
    user.set_password(new)
    revoke_sessions(user, actor=actor)
    audit("user.password_changed", user, actor=actor)


class PasswordError(Exception):
    """A refused password change; `field` is the form field the message belongs next to."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@functools.cache
def _dummy_hash() -> str:
    """A hash computed once, to equalise timing for unknown logins."""
    return generate_password_hash("not-a-real-password", method="scrypt")


@dataclass
class UserSpec:
    """What `create_user` needs."""

    email: str
    display_name: str
    password: str | None
    role: Role = Role.REQUESTER
    is_staff: bool = True
    queue_codes: tuple[str, ...] = ()
    lead_queue_codes: tuple[str, ...] = ()
    locale: str | None = None


def create_or_update_user(spec: UserSpec, *, commit: bool = True) -> tuple[User, bool]:
    """Create the account, or update it if the e-mail exists; returns (user, created).

    Queue memberships are set to exactly `queue_codes`; unknown codes raise ValueError before
    anything is written. `commit=False` lets a caller (the YAML loader) keep one transaction.
    """
    email = normalize_email(spec.email)
    wanted = set(spec.queue_codes) | set(spec.lead_queue_codes)
    if wanted and spec.role is Role.REQUESTER:
        raise ValueError("a requester cannot be a member of a queue")
    queues = {q.code: q for q in db.session.scalars(select(Queue).where(Queue.code.in_(wanted)))}
    missing = sorted(wanted - queues.keys())
    if missing:
        raise ValueError(f"unknown queue(s): {', '.join(missing)}")
    user = find_user(email)
    created = user is None
    if user is None:
        user = User(email=email, display_name=spec.display_name or email)
        db.session.add(user)
    else:
        user.display_name = spec.display_name or user.display_name
    change_role(user, spec.role)
    user.is_staff = spec.is_staff
    if spec.locale:
        user.locale = spec.locale
    if spec.password:
        user.set_password(spec.password)
    # Diff rather than replace: re-adding a membership with the same key would clash.
    current = {m.queue.code: m for m in user.memberships}
    for code, membership in current.items():
        if code not in wanted:
            user.memberships.remove(membership)
    for code in sorted(wanted):
        membership = current.get(code) or QueueMembership(queue=queues[code])
        membership.is_lead = code in spec.lead_queue_codes
        if code not in current:
            user.memberships.append(membership)
    if commit:
        db.session.commit()
    return user, created


def count_users() -> int:
    """Number of accounts (used by the CLI summary)."""
    return db.session.scalar(select(func.count(User.id))) or 0
