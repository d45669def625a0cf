"""Account services: authentication with lockout, account creation."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from desk.auth.models import Role, User
from desk.core.db import utcnow
from desk.extensions import db
from desk.reference.models import Queue, QueueMembership


class LoginLocked(Exception):
    """Too many failures: the account is locked until `until`."""

    def __init__(self, until: dt.datetime):
        super().__init__(until)
        self.until = until


def normalize_email(email: str) -> str:
    """E-mail logins compare case-insensitively."""
    return email.strip().lower()


def find_user(email: str) -> User | None:
    """The user with that login, if any."""
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def authenticate(email: str, password: str, *, now: dt.datetime | None = None) -> User | None:
    """Return the user when the password matches; count failures and lock after too many.

    The counter lives in the database (not process memory) so every web worker shares it,
    and it is incremented with one UPDATE so concurrent attempts cannot lose counts.
    """
    now = now or utcnow()
    user = find_user(email)
    if user is None:
        # Same cost as a real check, so response time does not reveal which logins exist.
        check_password_hash(_dummy_hash(), password)
        return None
    if user.locked_until and user.locked_until > now:
        raise LoginLocked(user.locked_until)
    if user.check_password(password) and user.is_active:
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        db.session.commit()
        return user
    max_failures = current_app.config["LOGIN_MAX_FAILURES"]
    db.session.execute(
        update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1)
    )
    db.session.refresh(user)
    if user.failed_logins >= max_failures:
        user.failed_logins = 0
        user.locked_until = now + dt.timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
        db.session.commit()
        raise LoginLocked(user.locked_until)
    db.session.commit()
    return None


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
    user.role = spec.role
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
