"""Login, logout and the password change."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from flask_wtf.csrf import generate_csrf

from desk.auth.forms import LoginForm, PasswordChangeForm
from desk.auth.language import note_browser_language
from desk.auth.models import Role, User
from desk.auth.services import (
    LoginThrottled,
    PasswordError,
    authenticate,
    change_password,
    revoke_sessions,
)
from desk.auth.sessions import (
    is_break_glass_session,
    load_session_user,
    session_seconds,
    start_session,
)
from desk.core.access import AUTHENTICATED, PUBLIC, access
from desk.core.i18n import browser_language
from desk.core.i18n import lazy_gettext as _l
from desk.core.input import local_path
from desk.core.limits import login_limit
from desk.core.templating import USER_MENU, register_nav
from desk.extensions import db, login_manager

bp = Blueprint("auth", __name__)

register_nav(_l("Change my password"), "auth.password", tuple(Role), 15, menu=USER_MENU)
# base.html's session warning counts down from it.
bp.add_app_template_global(session_seconds, "session_seconds")


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Reload the user of a session or remember-me cookie; revoked or inactive ones are not."""
    return load_session_user(session_id)


@bp.before_app_request
def _follow_browser_language() -> None:
    """A signed-in browser that now asks for another language (a remember-me session from
    before, a new browser): noted for the e-mails (desk.auth.language). Its own small
    commit, before the view has changed anything, and only on the request that changes it."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return
    if note_browser_language(current_user._get_current_object(), browser_language()):
        db.session.commit()


def _single_sign_on():
    """The single sign-on that owns login and logout when it is on (desk.identity's CAS).

    It registers itself in `app.extensions["desk.sso"]` with `enabled()`, `login_page()` and
    `logout_url()`; auth does not import it (identity depends on auth, not the reverse).
    """
    sso = current_app.extensions.get("desk.sso")
    return sso if sso is not None and sso.enabled() else None


@bp.route("/login", methods=["GET", "POST"])
@access(PUBLIC)
@login_limit
def login():
    """Show the login form and log the user in."""
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    sso = _single_sign_on()
    if sso is not None:  # local passwords are refused here; break-glass has its own page
        return sso.login_page(local_path(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(
                form.email.data,
                form.password.data,
                ip=request.remote_addr or "",
                language=browser_language(),
            )
        except LoginThrottled as throttled:
            form.email.errors.append(
                _(
                    "Too many failed attempts with this address from your connection. "
                    "Wait %(minutes)s minutes and try again.",
                    minutes=throttled.minutes,
                )
            )
            retry_after = {"Retry-After": str(throttled.minutes * 60)}
            return render_template("auth/login.html", form=form), 429, retry_after
        if user is None:
            form.password.errors.append(_("Wrong e-mail address or password."))
            return render_template("auth/login.html", form=form), 401
        start_session(user, remember=form.remember.data)
        flash(_("Welcome, %(name)s.", name=user.display_name), "success")
        return redirect(local_path(request.args.get("next")) or url_for("core.home"))
    status = 400 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@access(AUTHENTICATED)
def logout():
    """Log out everywhere (POST with a CSRF token, so another site cannot log you out)."""
    user = current_user._get_current_object()
    sso = _single_sign_on()
    # Asked before logout_user(): the single sign-on ends its own session record too, and
    # sends the browser on to its own logout.
    elsewhere = sso.logout_url() if sso is not None else None
    revoke_sessions(user, actor=user)
    db.session.commit()
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(elsewhere or url_for("auth.login"))


@bp.post("/session/prolonger")
@access(AUTHENTICATED)
def keep_session():
    """Stay signed in (the session warning's button): the idle time starts again, and the
    page's forms get a fresh CSRF token, so that what is typed in them can still be sent."""
    session.modified = True  # the cookie is signed again, with the time of this request
    return jsonify(csrf_token=generate_csrf(), seconds=session_seconds())


@bp.route("/account/password", methods=["GET", "POST"])
@access(AUTHENTICATED)
def password():
    """Change one's password (local accounts); every other session and device is logged out."""
    user: User = current_user._get_current_object()
    if not user.password_hash:
        flash(_("Your password is managed by the university's directory, not here."), "info")
        return redirect(url_for("core.home"))
    form = PasswordChangeForm()
    # Asked before the change, which starts this browser's session again: a break-glass one
    # must stay one (it ends with the flag or the administrator role, desk.auth.sessions).
    break_glass = is_break_glass_session(user)
    if form.validate_on_submit():
        try:
            change_password(user, form.current_password.data, form.new_password.data, actor=user)
        except PasswordError as refused:
            db.session.rollback()
            getattr(form, refused.field).errors.append(refused.message)
        else:
            db.session.commit()
            # This browser stays logged in, on the new session version; the others do not.
            remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
            start_session(user, remember=remember in request.cookies, break_glass=break_glass)
            flash(_("Your password has been changed. Your other sessions were closed."), "success")
            return redirect(url_for("core.home"))
    status = 400 if form.errors else 200
    return render_template("auth/password.html", form=form), status
