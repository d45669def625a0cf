"""Error pages in the user's language; JSON for API-style requests; never a stack trace.

Two situations need care, because rendering the usual page needs the database:
- a request whose transaction PostgreSQL has already aborted: the session is rolled back
  before the page is rendered, or the page's own queries would fail too;
- an outage (PostgreSQL or Redis unreachable): desk answers its own 503 page, with
  `Retry-After`, from a template that touches neither (no user menu, no notification bell),
  in the language of the user if already known, else of the browser.

A form checks that a code or a name is free, then saves: two people saving the same one at
the same moment both pass the check, and the database's unique key refuses the second (or a
foreign key, the row the other just deleted). That is a conflict with someone else's change,
answered 409 with the page that says so, not a 500; any other integrity error is a bug (500).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

import redis
from flask import Flask, Response, current_app, g, jsonify, render_template, request, session
from flask.globals import request_ctx
from flask_babel import force_locale
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from sqlalchemy import inspect
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError

from desk.core.i18n import lazy_gettext as _l
from desk.core.logs import logged_path
from desk.extensions import login_manager

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable)

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood.")),
    403: (_l("Access denied"), _l("You do not have permission to open this page.")),
    404: (_l("Page not found"), _l("This page does not exist or you may not see it.")),
    405: (_l("Method not allowed"), _l("This action is not available here.")),
    409: (_l("Conflict"), _l("Someone else changed this item. Reload the page and try again.")),
    # A file, or a form's text (a pasted dump): the page must not say "file" for the latter.
    413: (
        _l("Too large"),
        _l("What you sent is larger than allowed. Shorten the text or send a smaller file."),
    ),
    # 414, 417 and 431: requests gunicorn refuses before desk reads them (desk.core.refused);
    # a browser sends the first and the last after a very long link or with too many cookies.
    414: (
        _l("Address too long"),
        _l("The address of this page is too long. Go back to the home page and try again."),
    ),
    417: (_l("Bad request"), _l("The request could not be understood.")),
    429: (_l("Too many requests"), _l("Please wait a moment before trying again.")),
    431: (
        _l("Request too large"),
        _l(
            "Your browser sent too much information with this request, often too many "
            "cookies. Delete this site's cookies in your browser, then try again."
        ),
    ),
    500: (_l("Something went wrong"), _l("An unexpected error occurred. It has been logged.")),
    503: (_l("Service unavailable"), _l("The service is temporarily unavailable.")),
}
UNSTORABLE_MESSAGE = _l(
    "The text you sent contains a character that cannot be saved (such as a NUL character). "
    "Remove it and try again."
)
OUTAGE_MESSAGE = _l(
    "The service is temporarily unavailable because of a technical problem. "
    "If you sent a form and saw no confirmation, it was not saved: try again in a minute."
)
RETRY_AFTER_SECONDS = 30
# The language a signed-in user chose in desk, kept in their (signed) session cookie: with the
# database down the user cannot be read, and the outage page spoke the browser's language.
SESSION_LANGUAGE = "lang"
# unique_violation, foreign_key_violation: what a concurrent change makes a save run into.
_CONFLICT_SQLSTATES = frozenset({"23505", "23503"})
_SQLITE_CONFLICTS = ("UNIQUE constraint failed", "FOREIGN KEY constraint failed")

# What an unreachable PostgreSQL or Redis raises: connection refused or lost, pool exhausted,
# server shutting down, timeouts.
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,
    sa_exc.TimeoutError,
    redis.ConnectionError,
    redis.TimeoutError,
)


def json_errors(view: F) -> F:
    """Mark a view that answers JSON: its errors (a 429 above all) are JSON too, in the
    user's language, whatever the client's Accept header."""
    view.desk_json_errors = True  # type: ignore[attr-defined]
    return view


def _wants_json() -> bool:
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return True
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return getattr(view, "desk_json_errors", False)


def render_error(
    code: int, detail: str | None = None, *, back_to_form: str | None = None, draft: str = ""
):
    """Render the error page for `code`, or a small JSON body for API calls. `back_to_form`:
    the address of the form the refused request was sent from, offered as a way back; `draft`:
    the text the refused request carried, given back to copy (the sender's own, escaped)."""
    title, message = MESSAGES.get(code, MESSAGES[500])
    if _wants_json():
        return jsonify(error=str(title), detail=str(detail or message)), code
    _bind_urls_despite_the_host()
    return render_template(
        "errors/error.html",
        code=code,
        title=title,
        message=detail or message,
        back_to_form=back_to_form,
        draft=draft,
    ), code


def _bind_urls_despite_the_host() -> None:
    """A Host header no DNS name can be (a label past 63 characters: werkzeug's BadHost)
    leaves the request without a URL adapter, so no link of the page could be built, the
    error page's own included: the server's bare 500 instead of desk's 400. Its links are
    then built for DESK_BASE_URL's host (they are relative: the host is never written)."""
    context = request_ctx._get_current_object()
    if context.url_adapter is not None:
        return
    host = urlsplit(current_app.config["BASE_URL"]).netloc or "localhost"
    context.url_adapter = current_app.url_map.bind(
        host, script_name=request.script_root or "/", url_scheme=request.scheme
    )


# The catalogue's forms: a submission refused by its limit is sent back to its own form,
# with its query (?pour=: a technician filing for a caller keeps the person).
_FORMS_SENT_BACK_ON_LIMIT = frozenset({"catalog.request_form"})
SUBMISSION_REFUSED = _l(
    "The request was not saved. Please wait a minute before sending it again: the form is "
    "still there, through your browser's Back button or the link below."
)


def _rollback() -> None:
    """End the request's transaction, whatever state it is in (aborted, or its server gone)."""
    from desk.extensions import db

    try:
        db.session.rollback()
    except Exception:  # the connection itself is dead: drop it, the pool makes a new one
        log.warning("rollback failed; discarding the session", exc_info=True)
        db.session.remove()


def _language_without_io() -> str:
    """The language of the page when nothing may be read from the database."""
    languages = current_app.config["LANGUAGES"]
    user = g.get("_login_user")
    # Only what is loaded: not even `is_authenticated`, which reads the account's state, and
    # a flush the outage cut has expired it (the anonymous user is no mapped object).
    state = inspect(user, raiseerr=False) if user is not None else None
    if state is not None:
        locale = state.dict.get("locale")
        if locale in languages:
            return locale
    remembered = session.get(SESSION_LANGUAGE)
    if remembered in languages:
        return remembered
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def _remember_language(response: Response) -> Response:
    """Keep the signed-in user's chosen language in their session for the outage page (as
    loaded: an attribute a commit expired is not read again for this)."""
    user = g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return response
    state = inspect(user, raiseerr=False)
    if state is None or "locale" not in state.dict:
        return response
    chosen = state.dict["locale"]
    if chosen is None:
        session.pop(SESSION_LANGUAGE, None)  # their browser's, which the outage page follows
    elif session.get(SESSION_LANGUAGE) != chosen:
        session[SESSION_LANGUAGE] = chosen
    return response


def render_standalone(code: int, message=None, *, lang: str, retry_after: int | None = None):
    """An error page that needs neither the database nor Redis (outages, failed error pages).

    Rendered from the Jinja environment directly: `render_template` would run the context
    processors, and Flask-Login's loads the user from the database.
    """
    title, default = MESSAGES.get(code, MESSAGES[500])
    with force_locale(lang):
        if _wants_json():
            response = jsonify(error=str(title), detail=str(message or default))
        else:
            page = current_app.jinja_env.get_template("errors/standalone.html").render(
                code=code, title=str(title), message=str(message or default), lang=lang
            )
            response = current_app.make_response(page)
    response.status_code = code
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def register_error_handlers(app: Flask) -> None:
    """Attach handlers for CSRF failures, HTTP errors, outages and unexpected exceptions."""
    app.after_request(_remember_language)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(
            400,
            str(
                _l(
                    "Your form has expired or was not sent from this site. "
                    "Go back, reload the page and submit it again."
                )
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        form = None
        if (
            isinstance(error, RateLimitExceeded)
            and request.method == "POST"
            and request.endpoint in _FORMS_SENT_BACK_ON_LIMIT
        ):
            query = request.query_string.decode("latin-1")
            form = request.path + (f"?{query}" if query else "")
        if form is not None:
            response = render_error(error.code, SUBMISSION_REFUSED, back_to_form=form)
        else:
            response = render_error(error.code)
        if isinstance(error, RateLimitExceeded):
            # The limiter's own headers are off (they cost a Redis call on every limited
            # request); a refused client still learns when to come back: at the latest when
            # the limit's window has passed.
            response = current_app.make_response(response)
            response.headers["Retry-After"] = str(error.limit.limit.get_expiry())
        return response

    def outage(error: Exception):
        log.error("dependency unavailable on %s %s: %r", request.method, logged_path(), error)
        lang = _language_without_io()  # before the rollback expires the loaded user
        _rollback()
        # The rollback expired the loaded user: anything after this handler (the no-store
        # header hook, the access log) would reload it from the unreachable database.
        g._login_user = login_manager.anonymous_user()
        return render_standalone(503, OUTAGE_MESSAGE, lang=lang, retry_after=RETRY_AFTER_SECONDS)

    for error_class in OUTAGE_ERRORS:
        app.register_error_handler(error_class, outage)

    def unreadable_body(error: Exception):
        log.info("unreadable request body on %s %s: %r", request.method, logged_path(), error)
        return http_error(BadRequest())

    for error_class in _unreadable_body_errors():
        app.register_error_handler(error_class, unreadable_body)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
            return outage(error)
        log.exception("unhandled error on %s %s", request.method, logged_path())
        # The transaction may be aborted (the error came from PostgreSQL): the page's own
        # queries (the user menu, the bell) need a usable session.
        lang = _language_without_io()
        _rollback()
        try:
            return render_error(InternalServerError.code)
        except Exception:
            log.exception("the error page itself failed on %s %s", request.method, logged_path())
            _rollback()
            return render_standalone(InternalServerError.code, lang=lang)

    @app.errorhandler(sa_exc.IntegrityError)
    def integrity_error(error: sa_exc.IntegrityError):
        if not lost_to_a_concurrent_change(error):
            return unexpected(error)
        log.warning(
            "conflict with a concurrent change on %s %s: %s", request.method, logged_path(), error
        )
        _rollback()
        return render_error(409)


def _unreadable_body_errors() -> tuple[type[Exception], ...]:
    """What gunicorn raises where a view (or desk's first hook) reads a body it cannot: a
    chunked body whose framing is broken, or that the connection ends. A client's mistake,
    as werkzeug's ClientDisconnected (a 400) is for a body shorter than its Content-Length;
    gunicorn hands chunked bodies over unread, so werkzeug cannot say it for them."""
    try:
        from gunicorn.http.errors import NoMoreData, ParseException
    except ImportError:  # another WSGI server: its own errors, if any, stay 500s
        return ()
    return (ParseException, NoMoreData)


def lost_to_a_concurrent_change(error: sa_exc.IntegrityError) -> bool:
    """The database refused a save because of another transaction's change (see above)."""
    state = getattr(error.orig, "sqlstate", None)  # psycopg
    if state is not None:
        return state in _CONFLICT_SQLSTATES
    return str(error.orig).startswith(_SQLITE_CONFLICTS)
