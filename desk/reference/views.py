"""Place lists for forms (JSON) and the administration of sites, buildings and floors."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from desk.auth.models import Role
from desk.core.access import AUTHENTICATED, access
from desk.core.i18n import lazy_gettext as _l
from desk.core.input import query_int
from desk.core.templating import ADMIN_MENU, register_nav
from desk.extensions import db
from desk.reference.forms import ImportForm, PlaceForm, RenameForm
from desk.reference.models import Building, Site
from desk.reference.places import (
    MODELS,
    PlaceError,
    by_local_name,
    create_place,
    offered_buildings,
    offered_floors,
    place_tree,
    rename_place,
    set_place_active,
    users_per_place,
)
from desk.reference.places_import import UnreadableCsv, import_places

bp = Blueprint("reference", __name__)
# The admin's place pages list buildings and floors in the reader's order (places.by_local_name).
bp.add_app_template_global(by_local_name, "by_local_name")

register_nav(_l("Places"), "reference.places", (Role.ADMIN,), 25, menu=ADMIN_MENU)

CHILD = {"site": "building", "building": "floor"}
MAX_IMPORT_BYTES = 2 * 1024 * 1024


def _id_arg(name: str) -> int:
    value = query_int(name, low=1)
    if value is None:
        abort(400)
    return value


def _json(choice) -> dict:
    # `lang`: the name's language (a French name when the place has no English one), so that
    # static/places.js can mark the option for screen readers (RGAA 8.7). A deactivated one
    # reads as on the preferences page: its name and the page's words, left unmarked.
    if not choice.is_active:
        return {"id": choice.id, "name": _("%(name)s (deactivated)", name=choice.name)}
    return {"id": choice.id, "name": choice.name, "lang": choice.lang}


def _mine(place_id: int | None) -> int | None:
    """With `?mine=1` (the preferences page), the user's own current place of that level, which
    stays offered even deactivated: someone who picked another site and then theirs again
    found their building and floor gone. It adds nothing else, so it lists no other
    deactivated place; the catalogue's lists never ask for it."""
    return place_id if request.args.get("mine") == "1" else None


@bp.get("/api/places/buildings")
@access(AUTHENTICATED)
def api_buildings():
    """Active buildings of a site, as [{id, name, lang}], for lists that refill in place."""
    site_id = _id_arg("site")
    if db.session.get(Site, site_id) is None:
        abort(404)
    mine = _mine(current_user.building_id)
    return jsonify([_json(c) for c in offered_buildings(site_id, mine)])


@bp.get("/api/places/floors")
@access(AUTHENTICATED)
def api_floors():
    """Active floors of a building, as [{id, name, lang}]."""
    building_id = _id_arg("building")
    if db.session.get(Building, building_id) is None:
        abort(404)
    mine = _mine(current_user.floor_id)
    return jsonify([_json(c) for c in offered_floors(building_id, mine)])


def _place_or_404(level: str, place_id: int):
    model = MODELS.get(level)
    place = db.session.get(model, place_id) if model else None
    if place is None:
        abort(404)
    return place


def _list_page(form: PlaceForm, status: int = 200):
    return render_template(
        "reference/places.html", sites=place_tree(), form=form, users=users_per_place()
    ), status


@bp.get("/admin/places")
@access(Role.ADMIN)
def places():
    """Every site with its buildings and floors; a form to add a site."""
    return _list_page(PlaceForm())


@bp.post("/admin/places")
@access(Role.ADMIN)
def create_site():
    """Add a site."""
    form = PlaceForm()
    if form.validate():
        try:
            site = create_place(
                "site", form.name.data, code=form.code.data or None, name_en=form.name_en.data
            )
        except PlaceError as error:
            db.session.rollback()
            getattr(form, error.field).errors = [str(error)]
        else:
            db.session.commit()
            flash(_("Site “%(name)s” added.", name=site.local_name), "success")
            return redirect(url_for("reference.place", level="site", place_id=site.id))
    return _list_page(form, 400)


def _place_page(place, level: str, rename: RenameForm, child: PlaceForm, status: int = 200):
    return render_template(
        "reference/place.html",
        place=place,
        level=level,
        child_level=CHILD.get(level),
        rename=rename,
        child=child,
        users=users_per_place(),
    ), status


@bp.get("/admin/places/<any(site, building, floor):level>/<int:place_id>")
@access(Role.ADMIN)
def place(level: str, place_id: int):
    """One place: rename it, (de)activate it, add what it contains."""
    item = _place_or_404(level, place_id)
    rename_form = RenameForm(name=item.name, name_en=item.name_en or "")
    return _place_page(item, level, rename_form, PlaceForm(prefix="child"))


@bp.post("/admin/places/<any(site, building, floor):level>/<int:place_id>/rename")
@access(Role.ADMIN)
def rename(level: str, place_id: int):
    """Rename a place."""
    item = _place_or_404(level, place_id)
    form = RenameForm()
    if form.validate():
        try:
            rename_place(item, form.name.data, form.name_en.data)
        except PlaceError as error:
            db.session.rollback()
            getattr(form, error.field).errors = [str(error)]
        else:
            db.session.commit()
            flash(_("Name saved."), "success")
            return redirect(url_for("reference.place", level=level, place_id=place_id))
    return _place_page(item, level, form, PlaceForm(prefix="child"), 400)


@bp.post("/admin/places/<any(site, building, floor):level>/<int:place_id>/active")
@access(Role.ADMIN)
def toggle(level: str, place_id: int):
    """Deactivate (no longer offered; existing users and tickets keep it) or reactivate."""
    item = _place_or_404(level, place_id)
    active = request.form.get("active") == "1"  # the CSRF token is checked app-wide
    set_place_active(item, active)
    db.session.commit()
    if active:
        flash(_("“%(name)s” reactivated.", name=item.local_name), "success")
    else:
        flash(_("“%(name)s” deactivated.", name=item.local_name), "success")
    return redirect(url_for("reference.place", level=level, place_id=place_id))


@bp.post("/admin/places/<any(site, building):level>/<int:place_id>/children")
@access(Role.ADMIN)
def add_child(level: str, place_id: int):
    """Add a building to a site, or a floor to a building."""
    parent = _place_or_404(level, place_id)
    form = PlaceForm(prefix="child")
    if form.validate():
        try:
            created = create_place(
                CHILD[level],
                form.name.data,
                parent=parent,
                code=form.code.data or None,
                name_en=form.name_en.data,
            )
        except PlaceError as error:
            db.session.rollback()
            getattr(form, error.field).errors = [str(error)]
        else:
            db.session.commit()
            flash(_("“%(name)s” added.", name=created.local_name), "success")
            return redirect(url_for("reference.place", level=level, place_id=place_id))
    rename_form = RenameForm(name=parent.name, name_en=parent.name_en or "")
    return _place_page(parent, level, rename_form, form, 400)


@bp.route("/admin/places/import", methods=["GET", "POST"])
@access(Role.ADMIN)
def import_csv():
    """Create sites, buildings and floors from a CSV file (site; building; floor)."""
    form = ImportForm()
    report = None
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(MAX_IMPORT_BYTES + 1) if upload else b""
        if not data:
            form.file.errors = [_("Choose a CSV file.")]
        elif len(data) > MAX_IMPORT_BYTES:
            form.file.errors = [_("The file is too large (2 MB at most).")]
        else:
            try:
                report = import_places(data)
            except UnreadableCsv as exc:
                form.file.errors = [str(exc.message)]
            else:
                if report.ok:
                    flash(_("Import done."), "success")
    if form.file.errors or (report is not None and not report.ok):
        status = 400
    return render_template("reference/places_import.html", form=form, report=report), status
