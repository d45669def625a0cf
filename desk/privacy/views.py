"""The privacy page, and a person's data as a download (theirs, or an admin's for them)."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, render_template
from flask_login import current_user

from desk.auth.models import Role, User
from desk.core.access import AUTHENTICATED, PUBLIC, access
from desk.core.db import utcnow
from desk.core.limits import export_limit
from desk.extensions import db
from desk.privacy.export import personal_data

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
