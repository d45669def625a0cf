"""Requests the HTTP server refuses before the app reads them get desk's own error page.

gunicorn parses the request line and the headers itself. A line that is not HTTP, a method or
a header name with characters HTTP forbids, a header past its size limit, too many headers, a
Content-Length that is not a number... raise in its parser, and its worker wrote its own bare
English page ("Bad Request", gunicorn's message), without desk's look, security headers,
language or log line. The worker class of gunicorn.conf.py hands such a request to the app
instead, as a GET of "/" carrying the few headers it could read (Accept-Language above all),
with the status to answer under REFUSED_STATUS: desk's first hook after the request id answers
it with the usual error page in the reader's language, and logs one line saying why. Both that
line and the access line name the method and path the client sent, as far as the worker could
read them (REFUSED_METHOD, REFUSED_PATH; "-" where it could not), not the "GET /" in their place.

The key cannot come from a client: WSGI servers name request headers HTTP_*.
"""

from __future__ import annotations

import logging

from flask import Flask, abort, g, request

from desk.core.logs import LOGGED_REQUEST, hide_secrets, route_args

log = logging.getLogger(__name__)

REFUSED_STATUS = "desk.refused_status"
REFUSED_REASON = "desk.refused_reason"
REFUSED_METHOD = "desk.refused_method"
REFUSED_PATH = "desk.refused_path"
# What desk_gunicorn.py's worker looks for on the WSGI app before handing it a refused request:
# the other apps served with that file (bench's bare insert, django-helpdesk) keep gunicorn's.
APP_MARK = "answers_refused_requests"
# gunicorn's statuses for a client's malformed request (its 501 for a transfer coding it does
# not know is answered 400 by the worker: desk answers no input with a 5xx).
STATUSES = frozenset({400, 403, 414, 417, 431})


def answer_refused_request() -> None:
    """before_request: the error page for a request the server refused (see above)."""
    status = request.environ.get(REFUSED_STATUS)
    if status is None:
        return
    reason = request.environ.get(REFUSED_REASON, "")
    method = request.environ.get(REFUSED_METHOD) or "-"
    path = _without_secrets(request.environ.get(REFUSED_PATH) or "-")
    g.setdefault(LOGGED_REQUEST, (method, path))
    # A client's mistake, as an unreadable body is (desk.core.errors): INFO, not an error.
    log.info(
        "request refused by the HTTP server: %s %s: %s",
        method,
        path,
        reason,
        extra={"status": status, "method": method, "path": path},
    )
    abort(status if status in STATUSES else 400)


def _without_secrets(path: str) -> str:
    """`path` with the credentials a route carries in it hidden, as on every log line
    (desk.core.logs.SECRET_VIEW_ARGS): a refused request to a signed link names its token."""
    if not path.startswith("/"):
        return path
    return hide_secrets(path, route_args(path))


def init_refused_requests(app: Flask) -> None:
    """Answer the requests the server refused; say so to desk_gunicorn.py's worker."""
    app.before_request(answer_refused_request)
    setattr(app, APP_MARK, True)
