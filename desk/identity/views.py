"""CAS single sign-on: login, ticket validation, single logout, and the break-glass login.

The service URL desk gives the CAS is built from DESK_BASE_URL (never from the Host header)
and carries only a same-site `next` path, so the CAS cannot be made to send people, or
tickets, anywhere else.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from desk.auth.forms import LoginForm
from desk.auth.services import LoginThrottled, authenticate
from desk.auth.sessions import start_session
from desk.core.access import PUBLIC, access
from desk.core.i18n import browser_language
from desk.core.input import local_path
from desk.extensions import csrf, db
from desk.identity.cas import CasClient, CasUnavailable, TicketRejected, logout_session_index
from desk.identity.directory import get_directory
from desk.identity.problems import problem_page
from desk.identity.services import (
    IdentityError,
    account_for_cas_login,
    cas_session_is_live,
    end_cas_session,
    open_cas_session,
)

bp = Blueprint("identity", __name__)
SESSION_KEY = "cas_ticket"


def cas_enabled() -> bool:
    return current_app.config.get("AUTH") == "cas"


def service_url(next_path: str | None) -> str:
    """The URL the CAS sends people back to (and validates tickets against)."""
    url = current_app.config["BASE_URL"] + url_for("identity.cas_callback")
    return f"{url}?{urlencode({'next': next_path})}" if next_path else url


def _client(next_path: str | None = None) -> CasClient:
    return CasClient(
        current_app.config["CAS_URL"],
        service_url(next_path),
        timeout=current_app.config["CAS_TIMEOUT"],
    )


class CasSingleSignOn:
    """What desk.auth asks of a single sign-on (see auth.views._single_sign_on)."""

    def enabled(self) -> bool:
        return cas_enabled()

    def login_page(self, next_path: str | None):
        if request.method == "POST":  # a password posted to /login while CAS is on
            flash(_("Sign in through the university's central authentication service."), "error")
        return render_template("identity/login.html", next_path=next_path)

    def logout_url(self) -> str | None:
        ticket = session.pop(SESSION_KEY, None)
        if ticket is None:
            return None  # a break-glass session: nothing to end at the CAS
        end_cas_session(ticket, "logout")
        db.session.commit()
        return _client().logout_url(current_app.config["BASE_URL"] + url_for("auth.login"))


@bp.record_once
def _register(state) -> None:
    state.app.extensions["desk.sso"] = CasSingleSignOn()


@bp.before_app_request
def _end_revoked_cas_session():
    """A session whose CAS ticket was logged out (single logout, deactivation) ends here."""
    ticket = session.get(SESSION_KEY)
    if ticket is None or request.endpoint == "static":
        return None
    if current_user.is_authenticated and cas_session_is_live(ticket):
        return None
    session.pop(SESSION_KEY, None)
    if current_user.is_authenticated:
        logout_user()
        flash(_("Your session has ended: you signed out of the university's services."), "info")
    return None


@bp.get("/cas/login")
@access(PUBLIC)
def cas_login():
    """Send the browser to the CAS login page."""
    if not cas_enabled():
        abort(404)
    return redirect(_client(local_path(request.args.get("next"))).login_url())


@bp.get("/cas/callback")
@access(PUBLIC)
def cas_callback():
    """The CAS sends the browser back here with a service ticket: validate it, open a session."""
    if not cas_enabled():
        abort(404)
    next_path = local_path(request.args.get("next"))
    ticket = request.args.get("ticket", "")
    if not ticket.startswith("ST-") or len(ticket) > 256:
        return problem_page("no_ticket", 400)
    try:
        answer = _client(next_path).validate(ticket)
    except TicketRejected:
        return problem_page("ticket_rejected", 403)
    except CasUnavailable as exc:
        current_app.logger.error("CAS validation failed: %s", exc)
        return problem_page("cas_down", 503)
    try:
        user = account_for_cas_login(answer, get_directory(current_app.config))
        if not open_cas_session(user, ticket, language=browser_language()):
            db.session.rollback()
            return problem_page("ticket_rejected", 403)
        db.session.commit()
    except IdentityError as exc:
        db.session.rollback()
        status = 503 if exc.kind == "directory_down" else 403
        return problem_page(exc.kind, status, login=exc.detail)
    session.clear()  # a fresh session for a fresh identity (no fixation)
    start_session(user, remember=False)  # no remember-me: it would outlive the CAS session
    session[SESSION_KEY] = ticket
    flash(_("Welcome, %(name)s.", name=user.display_name), "success")
    return redirect(next_path or url_for("core.home"))


@bp.post("/cas/callback")
@csrf.exempt  # the CAS posts single-logout requests server to server, without our token
@access(PUBLIC)
def cas_single_logout():
    """CAS single logout: end the desk session opened by the ticket in the SessionIndex."""
    if not cas_enabled():
        abort(404)
    ticket = logout_session_index(request.form.get("logoutRequest", ""))
    if ticket is None or not end_cas_session(ticket, "cas"):
        return "unknown session\n", 400, {"Content-Type": "text/plain; charset=utf-8"}
    db.session.commit()
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.route("/login/local", methods=["GET", "POST"])
@access(PUBLIC)
def break_glass_login():
    """Password login for break-glass administrator accounts while CAS is on."""
    if not cas_enabled():
        return redirect(url_for("auth.login"))
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(
                form.email.data,
                form.password.data,
                ip=request.remote_addr or "",
                language=browser_language(),
            )
        except LoginThrottled:
            user = None
        # One message whatever failed: this page must not tell which accounts exist.
        if user is None or not (user.is_break_glass and user.is_admin):
            form.password.errors.append(
                _("Wrong e-mail address or password, or not an emergency account.")
            )
            return render_template("identity/local_login.html", form=form), 401
        session.clear()
        start_session(user, remember=False)
        flash(_("Welcome, %(name)s.", name=user.display_name), "success")
        return redirect(url_for("core.home"))
    status = 400 if form.errors else 200
    return render_template("identity/local_login.html", form=form), status


from desk.identity import admin  # noqa: E402,F401 - the admin pages share this blueprint
