"""CAS single sign-on: login, ticket validation, single logout, and the break-glass login.

The service URL desk gives the CAS is built from DESK_BASE_URL (never from the Host header)
and carries only a same-site `next` path, so the CAS cannot be made to send people, or
tickets, anywhere else; and the `state` nonce of the login desk started (desk.identity.handoff):
a return without it is confirmed by its person before anyone is signed in (unless it is the
account this browser is signed in to already).
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
from desk.auth.sessions import CAS_TICKET_KEY, start_session
from desk.core.access import PUBLIC, access
from desk.core.i18n import browser_language
from desk.core.input import local_path
from desk.core.limits import login_limit
from desk.core.security import private_page
from desk.extensions import csrf, db
from desk.identity.cas import CasClient, CasUnavailable, TicketRejected, logout_session_index
from desk.identity.directory import get_directory
from desk.identity.handoff import (
    drop_pending,
    drop_ticket,
    hold_identity,
    issue_nonce,
    pending_identity,
    purge_stale,
    take_nonce,
    well_formed,
)
from desk.identity.problems import problem_page
from desk.identity.services import (
    CasIdentity,
    IdentityError,
    account_for_identity,
    cas_session_is_live,
    cas_ticket_used,
    end_cas_session,
    identify_cas_login,
    open_cas_session,
)

bp = Blueprint("identity", __name__)
SESSION_KEY = CAS_TICKET_KEY  # desk.auth.sessions reads it too


def cas_enabled() -> bool:
    return current_app.config.get("AUTH") == "cas"


def service_url(next_path: str | None, state: str | None = None) -> str:
    """The URL the CAS sends people back to (and validates tickets against): the same at
    login and at validation, as the protocol requires, so both are built here."""
    url = current_app.config["BASE_URL"] + url_for("identity.cas_callback")
    query = {k: v for k, v in (("next", next_path), ("state", state)) if v}
    return f"{url}?{urlencode(query)}" if query else url


def _client(next_path: str | None = None, state: str | None = None) -> CasClient:
    return CasClient(
        current_app.config["CAS_URL"],
        service_url(next_path, state),
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
        return _cas_logout_url()


def _cas_logout_url() -> str:
    """The CAS logout, which ends this browser's CAS session and comes back to desk's login."""
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
    return redirect(_client(local_path(request.args.get("next")), issue_nonce()).login_url())


@bp.get("/cas/callback")
@access(PUBLIC)
def cas_callback():
    """The CAS sends the browser back here with a service ticket: validate it, then open a
    session if this browser started the login, else ask its person first (login CSRF)."""
    if not cas_enabled():
        abort(404)
    next_path = local_path(request.args.get("next"))
    state = well_formed(request.args.get("state"))
    ticket = request.args.get("ticket", "")
    if not ticket.startswith("ST-") or len(ticket) > 256:
        return problem_page("no_ticket", 400)
    try:
        # Validated whatever the state: a ticket is single-use, and the person must learn
        # now, not after confirming, that it was refused.
        answer = _client(next_path, state).validate(ticket)
    except TicketRejected:
        return problem_page("ticket_rejected", 403)
    except CasUnavailable as exc:
        current_app.logger.error("CAS validation failed: %s", exc)
        return problem_page("cas_down", 503)
    if cas_ticket_used(ticket):
        return problem_page("ticket_rejected", 403)  # replayed: the CAS should have refused it
    try:
        # Who it is, and whether they may sign in, is told now; nothing is written yet.
        found = identify_cas_login(answer, get_directory(current_app.config))
    except IdentityError as exc:
        return _identity_problem(exc)
    started_here = take_nonce(state)
    # Even a login this browser started never silently replaces another account's session.
    someone_else = current_user.is_authenticated and (
        found.user is None or current_user.id != found.user.id
    )
    # The account this browser is signed in to already: nobody is made to use another's (the
    # login CSRF the nonce is for), and asking would only puzzle. So is a login started in a
    # second tab that comes back after the first one's sign-in began a fresh session,
    # without that tab's nonce.
    same_person = current_user.is_authenticated and not someone_else
    if (started_here or same_person) and not someone_else:
        return _sign_in(found, ticket, next_path)
    # Held, not applied: no account is made or refreshed for a ticket nobody has confirmed.
    hold_identity(answer, found.display_name, ticket, next_path)
    db.session.commit()
    return redirect(url_for("identity.cas_confirm"))


@bp.route("/cas/confirmation", methods=["GET", "POST"])
@access(PUBLIC)
@private_page
def cas_confirm():
    """Ask whether to sign in as a CAS login that came back without this browser's nonce."""
    if not cas_enabled():
        abort(404)
    pending = pending_identity()
    if request.method == "POST":
        # One answer, whichever (the form carries the CSRF token): the held login is dropped
        # first; a confirmation takes it this way, once, unless single logout dropped it.
        still_held = drop_pending()
        if request.form.get("answer") != "confirm":
            db.session.commit()
            return _not_me()
        if not still_held:
            pending = None
    if pending is None:
        db.session.commit()
        flash(_("This sign-in has expired: nobody was signed in. Please sign in again."), "info")
        return redirect(url_for("auth.login"))
    if request.method == "GET":
        signed_in = current_user if current_user.is_authenticated else None
        return render_template(
            "identity/confirm.html",
            name=pending.display_name,
            login=pending.login,
            signed_in=signed_in,
        )
    # The directory is asked again: five minutes may have changed the entry, or the account.
    try:
        found = identify_cas_login(pending.answer, get_directory(current_app.config))
    except IdentityError as exc:
        return _identity_problem(exc, held=pending.ticket)
    return _sign_in(found, pending.ticket, pending.next_path, held=True)


def _not_me():
    """The answer "This is not me": nobody is signed in, and the CAS session of this browser
    (someone else's, on a shared computer) ends too, or the next "Sign in" is theirs again."""
    if current_user.is_authenticated:
        # Their own desk session stays; its CAS session ends with desk's logout.
        flash(_("You are still signed in as %(name)s.", name=current_user.display_name), "info")
        return redirect(url_for("core.home"))
    flash(
        _(
            "Nobody was signed in, and this browser was signed out of the university's central "
            "authentication service: the next sign-in will ask for a login and password."
        ),
        "info",
    )
    return redirect(_cas_logout_url())


def _rollback(held: str | None = None) -> None:
    """Nothing of a refused sign-in is written; the held login it took stays dropped."""
    db.session.rollback()
    if held is not None:
        drop_ticket(held)
        db.session.commit()


def _identity_problem(exc: IdentityError, *, held: str | None = None):
    """The page of a CAS login that cannot sign in; nothing of it is written."""
    _rollback(held)
    status = 503 if exc.kind == "directory_down" else 403
    return problem_page(exc.kind, status, login=exc.detail)


def _sign_in(found: CasIdentity, ticket: str, next_path: str | None, *, held: bool = False):
    """Make or refresh the account of a CAS login and open its desk session, recording the
    ticket for single logout; one commit for both (and for dropping the held login, if it
    was one: a single logout of the ticket waits for it, then finds the session)."""
    try:
        user = account_for_identity(found)
    except IdentityError as exc:
        return _identity_problem(exc, held=ticket if held else None)
    if not open_cas_session(user, ticket, language=browser_language()):
        _rollback(ticket if held else None)
        return problem_page("ticket_rejected", 403)
    purge_stale()
    db.session.commit()
    session.clear()  # a fresh session for a fresh identity (no fixation)
    start_session(user, remember=False)  # no remember-me: it would outlive the CAS session
    session[SESSION_KEY] = ticket
    flash(_("Welcome, %(name)s.", name=user.display_name), "success")
    return redirect(next_path or url_for("core.home"))


@bp.post("/cas/callback")
@csrf.exempt  # the CAS posts single-logout requests server to server, without our token
@access(PUBLIC)
def cas_single_logout():
    """CAS single logout: end the desk session opened by the ticket in the SessionIndex, or
    drop the sign-in with it that waits for confirmation. Anyone can post here: a
    well-formed request gets one answer whether its ticket opened a session, is over or was
    never desk's, which would otherwise tell who holds a live ticket."""
    if not cas_enabled():
        abort(404)
    ticket = logout_session_index(request.form.get("logoutRequest", ""))
    if ticket is None:  # not a logoutRequest: says nothing about any ticket
        return "not a logout request\n", 400, {"Content-Type": "text/plain; charset=utf-8"}
    # A login still waiting for its person's confirmation is dropped: the CAS ended its
    # ticket. First: a confirmation taking it at this moment holds the row until its session
    # is committed, which the second step then finds and ends.
    held = drop_ticket(ticket)
    if end_cas_session(ticket, "cas") or held:
        db.session.commit()
    else:
        db.session.rollback()
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.route("/login/local", methods=["GET", "POST"])
@access(PUBLIC)
@login_limit  # /login's budget per address: with the CAS on, this is the one password form
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
                eligible=lambda found: found.is_break_glass and found.is_admin,
            )
        except LoginThrottled:
            user = None
        # One message whatever failed: this page must not tell which accounts exist.
        if user is None:
            form.password.errors.append(
                _("Wrong e-mail address or password, or not an emergency account.")
            )
            return render_template("identity/local_login.html", form=form), 401
        session.clear()
        start_session(user, remember=False, break_glass=True)
        flash(_("Welcome, %(name)s.", name=user.display_name), "success")
        return redirect(url_for("core.home"))
    status = 400 if form.errors else 200
    return render_template("identity/local_login.html", form=form), status


from desk.identity import admin  # noqa: E402,F401 - the admin pages share this blueprint
