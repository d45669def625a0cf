"""The privacy page, and a person's data as a download (theirs, or an admin's for them)."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import ngettext
from flask_login import current_user

from desk.auth.models import Role, User
from desk.core.access import AUTHENTICATED, PUBLIC, access
from desk.core.db import utcnow
from desk.core.limits import export_limit
from desk.extensions import db
from desk.privacy.export import personal_data
from desk.privacy.forms import EraseForm
from desk.privacy.services import ErasureRefused, count_requests, erase_person

bp = Blueprint("privacy", __name__)


@bp.get("/donnees-personnelles")
@access(PUBLIC)
def notice():
    """What desk keeps about people, why, for how long, and how to reach the DPO."""
    config = current_app.config
    return render_template(
        "privacy/notice.html",
        ticket_days=config["TICKET_RETENTION_DAYS"],
        account_days=config["ACCOUNT_RETENTION_DAYS"],
        contact=config["PRIVACY_CONTACT"],
        controller=config["PRIVACY_CONTROLLER"],
    )


def _download(user: User) -> Response:
    body = json.dumps(personal_data(user), ensure_ascii=False, indent=1)
    day = utcnow().date().isoformat()
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="desk-donnees-{user.id}-{day}.json"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/donnees-personnelles/mes-donnees.json")
@access(AUTHENTICATED)
@export_limit
def mine():
    """The signed-in person's own data."""
    return _download(current_user._get_current_object())


@bp.get("/admin/accounts/<int:user_id>/donnees.json")
@access(Role.ADMIN)
@export_limit
def of_account(user_id: int):
    """An admin downloads someone's data for them (a request made to the DPO by letter)."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return _download(user)


@bp.route("/admin/accounts/<int:user_id>/effacement", methods=["GET", "POST"])
@access(Role.ADMIN)
def erase(user_id: int):
    """Erase someone who asked for it (a letter to the DPO), once their account is ended."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    form = EraseForm()
    refused = None
    if form.validate_on_submit():
        try:
            count = erase_person(user, actor=current_user)
        except ErasureRefused as exc:
            db.session.rollback()
            refused = str(exc.message)
        else:
            flash(
                ngettext(
                    "The account was anonymised and %(num)d finished request erased.",
                    "The account was anonymised and %(num)d finished requests erased.",
                    count,
                ),
                "success",
            )
            return redirect(url_for("admin.account_edit", user_id=user.id))
    finished, still_open = count_requests(user)
    status = 400 if form.errors or refused else 200
    return render_template(
        "privacy/erase.html",
        user=user,
        form=form,
        refused=refused,
        finished=finished,
        still_open=still_open,
    ), status
