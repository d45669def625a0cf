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
  ever;
- a login through the break-glass page (a password while the CAS owns sign-in) ends with a
  fifth part, `local`: such a session holds only while the account is still a break-glass
  administrator. Removing the flag, or the administrator role (on the admin page, from the
  directory, from the reference file), ended nothing until 2026-12-07: its sessions stayed
  signed in with a password that no longer signs anyone in. The account's other sessions (its
  CAS ones) are not concerned.
- while the CAS owns sign-in (AUTH = "cas"), a session that is neither a break-glass one nor
  opened by the CAS (its ticket in the Flask session, under CAS_TICKET_KEY) is no session: a
  password login, and its remember-me cookie, from before the CAS was switched on ends at its
  next request, and its holder is sent to the CAS sign-in. Until 2026-12-07 they stayed valid
  up to DESK_REMEMBER_DAYS, and someone the directory does not know (whom the sync never
  deactivates) kept signing in with a password nobody else could use any more.
The cookies are signed with the secret key, so none of the parts can be forged.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from flask import current_app, g, has_request_context, request, session
from flask_babel import refresh
from flask_login import login_user
from sqlalchemy import ColumnElement, Select, bindparam

from desk.auth.models import User
from desk.core.persist import attach_row, columns_of
from desk.extensions import db

_ATTRIBUTE = "_desk_session_id"
# Read on every request: a Core row made into the instance costs half the ORM's `get`.
_USER = columns_of(User).where(User.__table__.c.id == bindparam("id"))

# Values other packages read with the signed-in user when a page is drawn (the bell's unread
# count): one round trip instead of one each, on every page. Name → a scalar subquery
# correlated to the user table; registered at import, before the first request.
_PAGE_EXTRAS: dict[str, ColumnElement[Any]] = {}
_page_statement: Select | None = None


def read_with_user(name: str, column: ColumnElement[Any]) -> None:
    """Read `column` (correlated to the `user` table) along with the signed-in user on GET
    requests; `preloaded(name, user)` gives the value back for the rest of the request."""
    global _page_statement
    _PAGE_EXTRAS[name] = column.label(name)
    _page_statement = None


def _user_statement() -> Select:
    """The user's row, with the page extras on GET requests (what draws a page)."""
    global _page_statement
    if not _PAGE_EXTRAS or not has_request_context() or request.method != "GET":
        return _USER
    if _page_statement is None:
        _page_statement = _USER.add_columns(*_PAGE_EXTRAS.values())
    return _page_statement


# Kept in the WSGI environ, which is this request's own (`g` is the app context's, which a
# test's outer app context shares between requests).
_EXTRAS_KEY = "desk.user_extras"


def preloaded(name: str, user: User) -> Any | None:
    """The `read_with_user` value `name` read with `user` in this request, or None if it was
    not (not a GET, another user, outside a request)."""
    if not has_request_context():
        return None
    extras = request.environ.get(_EXTRAS_KEY)
    if extras is None or extras[0] != user.id:
        return None
    return extras[1].get(name)


def session_id(user: User) -> str:
    """The identifier of this user's current login (a new one if none was started)."""
    value = getattr(user, _ATTRIBUTE, None)
    if value is None:
        value = _new_session_id(user)
        setattr(user, _ATTRIBUTE, value)
    return value


_BREAK_GLASS = "local"
# Where desk.identity keeps the CAS ticket that opened this browser's session (single logout
# ends the session by it); never set with a remember-me cookie.
CAS_TICKET_KEY = "cas_ticket"


def _new_session_id(user: User, *, break_glass: bool = False) -> str:
    value = f"{user.id}:{user.session_version or 0}:{int(time.time())}:{secrets.token_urlsafe(9)}"
    return f"{value}:{_BREAK_GLASS}" if break_glass else value


def is_break_glass_session(user: User) -> bool:
    """Whether `user`'s current session was opened on the break-glass page: a session started
    again for the same browser (a password change) stays one, and ends with the flag."""
    value = getattr(user, _ATTRIBUTE, None)
    return isinstance(value, str) and value.endswith(f":{_BREAK_GLASS}")


def start_session(user: User, *, remember: bool, break_glass: bool = False) -> None:
    """Log `user` in with fresh cookies and a fresh CSRF token; `break_glass`: through the
    break-glass page, a session that ends with the account's flag or administrator role."""
    setattr(user, _ATTRIBUTE, _new_session_id(user, break_glass=break_glass))
    # A token seen before login (on the login page, possibly planted) is not valid after it.
    session.pop("csrf_token", None)
    g.pop("csrf_token", None)
    # Permanent: the cookie lives PERMANENT_SESSION_LIFETIME past the last request (inactivity),
    # to the minute (desk.auth.cookie).
    session.permanent = True
    login_user(user, remember=remember)
    # The request began anonymous, in the browser's language: what it says from here on (the
    # welcome) is in the person's own choice, as their next pages are.
    refresh()


def session_seconds() -> int:
    """How long a page just served may stay idle and still send its forms: the session's
    idle limit, less the minute an unchanged cookie may already be old (desk.auth.cookie),
    and no longer than its CSRF token lives. The session warning (static/desk.js) counts it."""
    config = current_app.config
    seconds = int(config["PERMANENT_SESSION_LIFETIME"].total_seconds()) - 60
    token_limit = config.get("WTF_CSRF_TIME_LIMIT")
    return min(seconds, int(token_limit)) if token_limit else seconds


def _opened_by_cas() -> bool:
    """Whether this request's session was opened by a CAS sign-in."""
    return has_request_context() and session.get(CAS_TICKET_KEY) is not None


def load_session_user(raw: str) -> User | None:
    """The user a session or remember-me cookie names, if that login is still valid."""
    try:
        user_id, version, issued, _nonce, *how = raw.split(":")
        user_id_int, version_int, issued_int = int(user_id), int(version), int(issued)
    except (AttributeError, TypeError, ValueError):
        return None  # a cookie from before this scheme, or garbage: log in again
    if how not in ([], [_BREAK_GLASS]):
        return None
    max_age = current_app.config["REMEMBER_COOKIE_DURATION"].total_seconds()
    age = time.time() - issued_int
    if age > max_age or age < -300:  # five minutes of clock skew between web hosts
        return None
    statement = _user_statement()
    row = db.session.connection().execute(statement, {"id": user_id_int}).first()
    user = attach_row(db.session, User, row) if row is not None else None
    if user is None or not user.is_active or user.session_version != version_int:
        return None
    if how and not (user.is_break_glass and user.is_admin):
        return None
    if not how and current_app.config.get("AUTH") == "cas" and not _opened_by_cas():
        return None  # a password session from before the CAS owned sign-in
    setattr(user, _ATTRIBUTE, raw)
    if statement is not _USER:
        mapping = row._mapping
        request.environ[_EXTRAS_KEY] = (user.id, {name: mapping[name] for name in _PAGE_EXTRAS})
    return user
