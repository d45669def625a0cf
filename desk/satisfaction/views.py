"""Rating pages: from the requester's ticket page, and from the e-mail's signed link."""

from __future__ import annotations

from babel.numbers import format_decimal
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from desk.auth.models import User
from desk.core.access import AUTHENTICATED, PUBLIC, access
from desk.core.security import private_page
from desk.extensions import db
from desk.satisfaction.forms import RatingForm
from desk.satisfaction.services import (
    RatingRefused,
    can_rate,
    rate_ticket,
    rating_of,
    read_token,
    refusal,
)
from desk.tickets.access import get_visible_ticket_or_404
from desk.tickets.models import Ticket

bp = Blueprint("satisfaction", __name__)


@bp.app_template_filter("decimal1")
def decimal1(value: float) -> str:
    """A number with one decimal, as the reader writes it ("4,5" / "4.5")."""
    return format_decimal(value, "0.0", locale=str(get_locale()))


@bp.app_context_processor
def _helpers() -> dict:
    def satisfaction_for(ticket: Ticket):
        """(rating, form): the rating given, or a form if the current user may rate."""
        rating = rating_of(ticket)
        form = None
        if rating is None and current_user.is_authenticated and can_rate(ticket, current_user):
            form = RatingForm(formdata=None)
        return rating, form

    return {"satisfaction_for": satisfaction_for}


def _save(ticket: Ticket, user: User, form: RatingForm, page: str, **context):
    """Validate and save; a refusal or an invalid form shows the page again with why (400)."""
    if not form.validate_on_submit():
        return render_template(page, ticket=ticket, form=form, **context), 400
    try:
        rate_ticket(ticket, form.score_value, form.comment.data or "", actor=user)
    except RatingRefused as refused:
        return render_template(
            page, ticket=ticket, form=form, refused=str(refused.message), **context
        ), 400
    flash(_("Thank you for your rating."), "success")
    return None


@bp.post("/mes-demandes/<reference>/evaluation")
@access(AUTHENTICATED)
def rate(reference: str):
    """Rate one's own resolved ticket from its page."""
    ticket = get_visible_ticket_or_404(current_user, reference)
    answer = _save(ticket, current_user, RatingForm(), "satisfaction/rate.html", token=None)
    return answer or redirect(url_for("portal.detail", reference=reference))


def _from_token(token: str) -> tuple[Ticket, User] | None:
    found = read_token(token)
    if found is None:
        return None
    reference, user_id = found
    ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
    user = db.session.get(User, user_id)
    if ticket is None or user is None or not user.is_active:
        return None
    return ticket, user


@bp.route("/evaluation/<token>", methods=["GET", "POST"])
@access(PUBLIC)
@private_page
def rate_from_link(token: str):
    """The signed link of the resolution e-mail: rate without logging in."""
    found = _from_token(token)
    if found is None:
        return render_template("satisfaction/invalid_link.html"), 404
    ticket, user = found
    form = RatingForm()
    if not form.is_submitted():
        refused = refusal(ticket, user)
        return render_template(
            "satisfaction/rate.html", ticket=ticket, form=form, refused=refused, token=token
        )
    answer = _save(ticket, user, form, "satisfaction/rate.html", token=token)
    return answer or render_template("satisfaction/thanks.html", ticket=ticket)


__all__ = ["bp"]
