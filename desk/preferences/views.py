"""The "User preferences" page: location, language, and the read-only HR phone number."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user
from sqlalchemy import select

from desk.auth.models import Role, User
from desk.catalog.models import RequestType
from desk.catalog.parsing import format_phone_display
from desk.catalog.services import may_use
from desk.core.access import AUTHENTICATED, access
from desk.core.i18n import lazy_gettext as _l
from desk.core.templating import USER_MENU, register_nav
from desk.extensions import db
from desk.preferences.forms import LEVELS, PreferencesForm
from desk.preferences.services import BROWSER, LocationError, set_language, update_location
from desk.reference.places import offered_buildings, offered_floors, offered_sites

bp = Blueprint("preferences", __name__)

# The catalogue entry through which HR changes a professional number (owned by the catalogue).
# Endpoint of the per-event e-mail choices, once the notifications feature provides it.
NOTIFICATIONS_ENDPOINT = "notifications.preferences"

register_nav(_l("User preferences"), "preferences.index", tuple(Role), 10, menu=USER_MENU)


def _fill_choices(form: PreferencesForm, user: User, site_id, building_id) -> None:
    """Each list shows what belongs to the level above; the user's current place stays shown."""
    form.set_place_choices("site", offered_sites(user.site_id))
    form.set_place_choices("building", offered_buildings(site_id, user.building_id))
    form.set_place_choices("floor", offered_floors(building_id, user.floor_id))


def _prune(form: PreferencesForm, user: User) -> tuple[int | None, int | None]:
    """Without JavaScript: drop a building (and floor) that no longer fit the chosen site."""
    site_id, building_id, floor_id = (form.place_id(level) for level in LEVELS)
    if building_id not in {c.id for c in offered_buildings(site_id, user.building_id)}:
        building_id = floor_id = None
        form.building.data = form.floor.data = ""
    if floor_id not in {c.id for c in offered_floors(building_id, user.floor_id)}:
        form.floor.data = ""
    return site_id, building_id


def _hr_phone_change_url(user: User) -> str | None:
    """The catalogue entry whose form is the HR phone change (data, not a hard-coded slug),
    when `user` may file it: a student was offered a staff-only form that answered 403."""
    entry = db.session.scalar(
        select(RequestType)
        .where(RequestType.form_key == "hr_phone", RequestType.is_active.is_(True))
        .limit(1)
    )
    if entry is None or not may_use(user, entry):
        return None
    return url_for("catalog.request_form", slug=entry.slug)


def _page(form: PreferencesForm, user: User, status: int = 200):
    phone = format_phone_display(user.phone) if user.phone else None
    notifications = (
        url_for(NOTIFICATIONS_ENDPOINT)
        if NOTIFICATIONS_ENDPOINT in current_app.view_functions
        else None
    )
    # mine=1: the user's own current building and floor stay offered even deactivated, as in
    # the lists drawn by the server (_fill_choices).
    form.link_lists(
        url_for("reference.api_buildings", mine=1) + "&site=",
        url_for("reference.api_floors", mine=1) + "&building=",
    )
    return render_template(
        "preferences/index.html",
        form=form,
        user=user,
        phone=phone,
        hr_phone_url=_hr_phone_change_url(user),
        notifications_url=notifications,
    ), status


@bp.get("/preferences")
@access(AUTHENTICATED)
def index():
    """Show the user's location, language and phone number."""
    user = current_user
    form = PreferencesForm(
        data={
            "site": str(user.site_id or ""),
            "building": str(user.building_id or ""),
            "floor": str(user.floor_id or ""),
            "language": user.locale or BROWSER,
        }
    )
    _fill_choices(form, user, user.site_id, user.building_id)
    return _page(form, user)


@bp.post("/preferences")
@access(AUTHENTICATED)
def save():
    """Save location and language in one go, or only re-draw the place lists ("refresh")."""
    user = current_user._get_current_object()
    form = PreferencesForm()
    valid = form.validate()
    try:
        if form.refresh.data:
            site_id, building_id = _prune(form, user)
            _fill_choices(form, user, site_id, building_id)
            return _page(form, user)
        ids = [form.place_id(level) for level in LEVELS]
        if valid:
            update_location(user, *ids, actor=user, commit=False)
            set_language(user, form.language.data, actor=user, commit=False)
            db.session.commit()
            refresh()  # the flash below speaks the language just chosen
            flash(_("Your preferences are saved."), "success")
            return redirect(url_for("preferences.index"))
    except LocationError as error:
        db.session.rollback()
        getattr(form, error.level).errors = [*getattr(form, error.level).errors, error.message]
    site_id, building_id = (_safe_id(form, "site"), _safe_id(form, "building"))
    if building_id not in {c.id for c in offered_buildings(site_id, user.building_id)}:
        building_id = None  # no floors of a building the list above does not hold
    _fill_choices(form, user, site_id, building_id)
    return _page(form, user, 400)


def _safe_id(form: PreferencesForm, level: str) -> int | None:
    try:
        return form.place_id(level)
    except LocationError:
        return None
