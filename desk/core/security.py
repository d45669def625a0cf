"""The outer layer of every response: proxy, security headers and rate limits.

Wired once in `create_app`, from maintained libraries rather than hand-written headers:
Flask-Talisman sets the headers (and keeps them current with browsers' needs, as Redash does),
Flask-Limiter counts requests per client address in Redis, shared by every web worker.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix

from desk.extensions import limiter

F = TypeVar("F", bound=Callable)

# Only desk's own files: no inline script or style anywhere (templates put them in
# desk/static), so an injected <script> or style="" does nothing even if escaping failed.
CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


# What a download of someone's file answers with: were a browser ever to open it (an old one
# that ignores `attachment`, a text file opened in a tab), nothing in it runs, loads or is
# treated as a page of desk's origin.
DOWNLOAD_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"


def serves_user_files(view: F) -> F:
    """Mark a view that sends back a file someone uploaded: its answer gets DOWNLOAD_CSP
    instead of the pages' policy (Talisman writes the header after the view, so one the
    view set itself was replaced). Put it right under the route decorator."""
    view.talisman_view_options = {"content_security_policy": DOWNLOAD_CSP}  # type: ignore[attr-defined]
    return view


def private_page(view: F) -> F:
    """Mark a page that names a person or a ticket to someone not signed in (a rating link's
    page, the CAS sign-in question): kept out of shared caches like a signed-in page."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.private_page = True
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def init_proxy(app: Flask) -> None:
    """Trust DESK_TRUSTED_PROXIES hops of X-Forwarded-* (client address, https scheme, host).

    With 0 (the default) the headers are ignored: a client could otherwise forge its address
    and escape the per-address rate limits.
    """
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )


def init_security(app: Flask) -> None:
    """Security headers on every response, and the rate limiter on the app's Redis."""
    secure = app.config["SESSION_COOKIE_SECURE"]
    # Registered before Talisman, so it runs after Talisman has written the header.
    app.after_request(_allow_cas_form_action)
    # One Talisman per app: it keeps its options on the instance, not in the app's config.
    app.extensions["talisman"] = Talisman(
        app,
        force_https=False,  # the reverse proxy redirects; /healthz probes stay on plain http
        strict_transport_security=secure,  # HSTS only once https is the rule (DESK_SECURE_COOKIES)
        content_security_policy=CSP,
        frame_options="DENY",
        referrer_policy="same-origin",
        session_cookie_secure=secure,
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
    )
    app.after_request(_no_store_when_logged_in)
    app.config.setdefault("RATELIMIT_STORAGE_URI", limiter_storage_uri(app.config["REDIS_URL"]))
    app.config.setdefault(
        "RATELIMIT_STORAGE_OPTIONS", {"socket_timeout": 1, "socket_connect_timeout": 1}
    )
    # A Redis outage must not take the pages down with it: limits are then not enforced.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    # X-RateLimit-* on every limited answer would cost a second Redis call each (the window's
    # state); browsers ignore them. A 429 still says Retry-After (desk.core.errors).
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "desk-limits")
    limiter.init_app(app)


def limiter_storage_uri(redis_url: str) -> str:
    """The `limits` library spells a unix-socket Redis redis+unix://."""
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url.removeprefix("unix://")
    return redis_url


def _no_store_when_logged_in(response: Response) -> Response:
    """A logged-in page (tickets, names) must not stay in a shared computer's cache, nor a
    page marked `private_page`."""
    user = g.get("_login_user")
    signed_in = user is not None and user.is_authenticated
    if (signed_in or g.get("private_page")) and request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    return response


def _allow_cas_form_action(response: Response) -> Response:
    """With CAS sign-in, the logout form's redirect goes to the CAS: browsers apply
    `form-action` to a form's redirects too, so the CAS origin must be allowed there."""
    config = current_app.config
    csp = response.headers.get("Content-Security-Policy")
    if csp and config.get("AUTH") == "cas" and config.get("CAS_URL"):
        parts = urlsplit(config["CAS_URL"])
        origin = f"{parts.scheme}://{parts.netloc}"
        response.headers["Content-Security-Policy"] = csp.replace(
            "form-action 'self'", f"form-action 'self' {origin}"
        )
    return response
