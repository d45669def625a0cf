"""Sessions that end: what a session (and remember-me) cookie names, and how it is checked.

Flask-Login stores `user.get_id()` in the session and, signed, in the remember-me cookie; it
hands that value back to `load_user` on every request. desk's value is

    "<user id>:<session version>:<issued at (epoch s)>:<random nonce>"

- the *session version* lives on the user row: logout, a password change and an admin's
  deactivation bump it (`revoke_sessions`), so every cookie issued before, on any device, stops
  working at its next request (server-side revocation without a session table);
- *issued at* bounds a remember-me cookie to DESK_REMEMBER_DAYS on the server side too (the
  cookie's own expiry is only a request to the browser);
- the *nonce* makes every login's cookies different, so a cookie seen once is not a login for
  ever.
The cookies are signed with the secret key, so none of the parts can be forged.
"""

from __future__ import annotations

import secrets
import time

from flask import current_app, g, session
from flask_login import login_user
from sqlalchemy import bindparam

from desk.auth.models import User
from desk.core.persist import attach_row, columns_of
from desk.extensions import db

_ATTRIBUTE = "_desk_session_id"
# Read on every request: a Core row made into the instance costs half the ORM's `get`.
_USER = columns_of(User).where(User.__table__.c.id == bindparam("id"))


def session_id(user: User) -> str:
    """The identifier of this user's current login (a new one if none was started)."""
    value = getattr(user, _ATTRIBUTE, None)
    if value is None:
        value = _new_session_id(user)
        setattr(user, _ATTRIBUTE, value)
    return value


def _new_session_id(user: User) -> str:
    return f"{user.id}:{user.session_version or 0}:{int(time.time())}:{secrets.token_urlsafe(9)}"


def start_session(user: User, *, remember: bool) -> None:
    """Log `user` in with fresh cookies and a fresh CSRF token."""
    setattr(user, _ATTRIBUTE, _new_session_id(user))
    # A token seen before login (on the login page, possibly planted) is not valid after it.
    session.pop("csrf_token", None)
    g.pop("csrf_token", None)
    # Permanent: the cookie lives PERMANENT_SESSION_LIFETIME past the last request (inactivity).
    session.permanent = True
    login_user(user, remember=remember)


def load_session_user(raw: str) -> User | None:
    """The user a session or remember-me cookie names, if that login is still valid."""
    try:
        user_id, version, issued, _nonce = raw.split(":")
        user_id_int, version_int, issued_int = int(user_id), int(version), int(issued)
    except (AttributeError, TypeError, ValueError):
        return None  # a cookie from before this scheme, or garbage: log in again
    max_age = current_app.config["REMEMBER_COOKIE_DURATION"].total_seconds()
    age = time.time() - issued_int
    if age > max_age or age < -300:  # five minutes of clock skew between web hosts
        return None
    row = db.session.connection().execute(_USER, {"id": user_id_int}).first()
    user = attach_row(db.session, User, row) if row is not None else None
    if user is None or not user.is_active or user.session_version != version_int:
        return None
    setattr(user, _ATTRIBUTE, raw)
    return user
