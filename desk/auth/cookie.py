"""The session cookie, written again when it changed or once a minute, not on every answer.

A signed-in session is permanent: it lasts PERMANENT_SESSION_LIFETIME after the last request
(desk.auth.sessions.start_session). Flask keeps that promise by signing and sending the whole
cookie again with every answer — its JSON, zlib, HMAC and a Set-Cookie header on each page
(a queue page: about 3 % of its instructions). Here an unchanged session's cookie is sent
again only once it was signed a minute ago or more: the idle limit then counts from the last
request give or take that minute, which an eight-hour session does not notice. The server
still refuses a cookie signed longer ago than the lifetime, whatever the browser keeps.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature

# How old a cookie's signature may get before an unchanged session is signed again.
REFRESH = dt.timedelta(minutes=1)


class RollingCookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, re-signed when changed or REFRESH old."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:  # forged, or older than the lifetime: a fresh session
            return self.session_class()
        session = self.session_class(data)
        session.signed_at = signed_at  # type: ignore[attr-defined]
        return session

    def should_set_cookie(self, app: Flask, session: Any) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        signed_at = getattr(session, "signed_at", None)
        return signed_at is None or dt.datetime.now(dt.UTC) - signed_at >= REFRESH
