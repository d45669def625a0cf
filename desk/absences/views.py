"""A technician's absence page, under their preferences."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from desk.absences import services
from desk.absences.forms import AbsenceForm
from desk.core.access import STAFF, access
from desk.core.i18n import lazy_gettext as _l
from desk.core.templating import USER_MENU, register_nav
from desk.extensions import db
from desk.tickets.actions import FINISHED
from desk.tickets.models import Ticket

bp = Blueprint("absences", __name__)

register_nav(_l("My absence"), "absences.edit", STAFF, 42, menu=USER_MENU)


def _held(user) -> int:
    query = select(func.count()).where(
        Ticket.assignee_id == user.id, Ticket.status.not_in(FINISHED)
    )
    return db.session.scalar(query) or 0


def _page(form: AbsenceForm, status: int = 200):
    user = current_user._get_current_object()
    absence = services.absence_of(user)
    days = None
    if absence is not None:
        days = (format_date(absence.starts_on, "long"), format_date(absence.ends_on, "long"))
    page = render_template(
        "absences/edit.html",
        form=form,
        absence=absence,
        days=days,
        away=absence is not None and absence.covers(services.local_today()),
        held=_held(user),
    )
    return page, status


@bp.get("/preferences/absence")
@access(*STAFF)
def edit():
    """The absence planned, if any, and the form to plan one."""
    form = AbsenceForm(formdata=None)
    absence = services.absence_of(current_user)
    if absence is not None:
        form.starts_on.data, form.ends_on.data = absence.starts_on, absence.ends_on
    return _page(form)


@bp.post("/preferences/absence")
@access(*STAFF)
def save():
    """Plan (or change) the absence; optionally give one's tickets back to their queues."""
    form = AbsenceForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    user = current_user._get_current_object()
    count = services.plan_absence(
        user, form.starts_on.data, form.ends_on.data, actor=user, give_back=form.give_back.data
    )
    flash(_("Your absence is recorded."), "success")
    if count:
        flash(
            ngettext(
                "Your open ticket is back in its queue; its members were told.",
                "Your %(num)d open tickets are back in their queues; their members were told.",
                count,
            ),
            "success",
        )
    return redirect(url_for("absences.edit"))


@bp.post("/preferences/absence/fin")
@access(*STAFF)
def end():
    """Back (or not leaving after all): the absence is forgotten (CSRF: desk.extensions)."""
    if services.end_absence(current_user._get_current_object()):
        flash(_("Welcome back: desk counts on you again."), "success")
    return redirect(url_for("absences.edit"))
