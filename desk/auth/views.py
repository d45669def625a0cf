"""Login and logout."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_time
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from desk.auth.forms import LoginForm
from desk.auth.models import User
from desk.auth.services import LoginLocked, authenticate
from desk.core.access import AUTHENTICATED, PUBLIC, access
from desk.extensions import db, login_manager

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Reload the user of a session; a deactivated account is logged out."""
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    return user if user is not None and user.is_active else None


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after login (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    # Browsers read a backslash as a slash ("/\\evil" is "//evil") and drop control characters.
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return None
    return target


def _single_sign_on():
    """The single sign-on that owns login and logout when it is on (desk.identity's CAS).

    It registers itself in `app.extensions["desk.sso"]` with `enabled()`, `login_page()` and
    `logout_url()`; auth does not import it (identity depends on auth, not the reverse).
    """
    sso = current_app.extensions.get("desk.sso")
    return sso if sso is not None and sso.enabled() else None


@bp.route("/login", methods=["GET", "POST"])
@access(PUBLIC)
def login():
    """Show the login form and log the user in."""
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    sso = _single_sign_on()
    if sso is not None:  # local passwords are refused here; break-glass has its own page
        return sso.login_page(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data, form.password.data)
        except LoginLocked as locked:
            form.email.errors.append(
                _(
                    "Too many failed attempts: this account is locked until %(time)s. "
                    "Try again later.",
                    time=format_time(locked.until, "short"),
                )
            )
            return render_template("auth/login.html", form=form), 429
        if user is None:
            form.password.errors.append(_("Wrong e-mail address or password."))
            return render_template("auth/login.html", form=form), 401
        login_user(user, remember=form.remember.data)
        flash(_("Welcome, %(name)s.", name=user.display_name), "success")
        return redirect(_safe_next(request.args.get("next")) or url_for("core.home"))
    status = 400 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@access(AUTHENTICATED)
def logout():
    """Log out (POST with a CSRF token, so a link on another site cannot log you out)."""
    sso = _single_sign_on()
    # Asked before logout_user(): the single sign-on ends its own session record too.
    elsewhere = sso.logout_url() if sso is not None else None
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(elsewhere or url_for("auth.login"))
