"""Absence pages: a technician's own, under their preferences, and an administrator's page
for someone else's (off sick, a colleague cannot say it themselves)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from desk.absences import services
from desk.absences.forms import AbsenceForm
from desk.auth.models import Role, User
from desk.catalog.forms.fields import local_today
from desk.core.access import STAFF, access
from desk.core.i18n import lazy_gettext as _l
from desk.core.i18n import long_date
from desk.core.templating import USER_MENU, register_nav
from desk.extensions import db
from desk.tickets.actions import count_held

bp = Blueprint("absences", __name__)

register_nav(_l("My absence"), "absences.edit", STAFF, 42, menu=USER_MENU)


def _person(user_id: int | None) -> User:
    """Whose absence: the signed-in user's own, or (admins) a staff account's."""
    if user_id is None:
        return current_user._get_current_object()
    person = db.session.get(User, user_id)
    if person is None or person.role is Role.REQUESTER or not person.is_active:
        abort(404)
    return person


def _back(person: User, for_someone: bool):
    if for_someone:
        return redirect(url_for("absences.edit_for", user_id=person.id))
    return redirect(url_for("absences.edit"))


def _page(form: AbsenceForm, person: User, for_someone: bool, status: int = 200):
    absence = services.absence_of(person)
    days = None
    if absence is not None:
        days = (long_date(absence.starts_on), long_date(absence.ends_on))
    if for_someone:
        form.give_back.label.text = _(
            "Put the open tickets %(name)s holds back in their queues now",
            name=person.display_name,
        )
    page = render_template(
        "absences/edit.html",
        form=form,
        person=person if for_someone else None,
        title=(
            _("Absence of %(name)s", name=person.display_name) if for_someone else _("My absence")
        ),
        absence=absence,
        days=days,
        away=absence is not None and absence.covers(services.local_today()),
        held=count_held(person),
    )
    return page, status


def _show(person: User, for_someone: bool = False):
    form = AbsenceForm(formdata=None)
    absence = services.absence_of(person)
    if absence is not None:
        form.starts_on.data, form.ends_on.data = absence.starts_on, absence.ends_on
    return _page(form, person, for_someone)


def _save(person: User, for_someone: bool = False):
    form = AbsenceForm()
    if not form.validate_on_submit():
        return _page(form, person, for_someone, 400)
    actor = current_user._get_current_object()
    count = services.plan_absence(
        person, form.starts_on.data, form.ends_on.data, actor=actor, give_back=form.give_back.data
    )
    if not for_someone:
        flash(_("Your absence is recorded."), "success")
    else:
        flash(_("The absence of %(name)s is recorded.", name=person.display_name), "success")
    if count and not for_someone:
        flash(
            ngettext(
                "Your open ticket is back in its queue; its members were told.",
                "Your %(num)d open tickets are back in their queues; their members were told.",
                count,
            ),
            "success",
        )
    elif count:
        flash(
            ngettext(
                "An open ticket is back in its queue; its members were told.",
                "%(num)d open tickets are back in their queues; their members were told.",
                count,
            ),
            "success",
        )
    return _back(person, for_someone)


def _end(person: User, for_someone: bool = False):
    ended = services.end_absence(person)
    if ended is None:
        return _back(person, for_someone)
    if ended.starts_on > local_today():  # planned, not begun: called off, nobody is back
        if not for_someone:
            flash(_("Your absence is cancelled."), "success")
        else:
            flash(_("The absence of %(name)s is cancelled.", name=person.display_name), "success")
    elif not for_someone:
        flash(_("Welcome back: desk counts on you again."), "success")
    else:
        flash(_("desk counts on %(name)s again.", name=person.display_name), "success")
    return _back(person, for_someone)


@bp.get("/preferences/absence")
@access(*STAFF)
def edit():
    """One's absence planned, if any, and the form to plan one."""
    return _show(_person(None))


@bp.post("/preferences/absence")
@access(*STAFF)
def save():
    """Plan (or change) one's absence; optionally give one's tickets back to their queues."""
    return _save(_person(None))


@bp.post("/preferences/absence/fin")
@access(*STAFF)
def end():
    """Back (or not leaving after all): the absence is forgotten (CSRF: desk.extensions)."""
    return _end(_person(None))


@bp.get("/admin/accounts/<int:user_id>/absence")
@access(Role.ADMIN)
def edit_for(user_id: int):
    """A staff member's absence, as an administrator records it for them."""
    return _show(_person(user_id), for_someone=True)


@bp.post("/admin/accounts/<int:user_id>/absence")
@access(Role.ADMIN)
def save_for(user_id: int):
    return _save(_person(user_id), for_someone=True)


@bp.post("/admin/accounts/<int:user_id>/absence/fin")
@access(Role.ADMIN)
def end_for(user_id: int):
    return _end(_person(user_id), for_someone=True)
