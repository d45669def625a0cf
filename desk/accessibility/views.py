"""The public accessibility statement and its admin edit page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from desk.accessibility import loading  # noqa: F401 - registers the reference-file section
from desk.accessibility.forms import PARTS, StatementForm
from desk.accessibility.models import BILINGUAL
from desk.accessibility.services import (
    conformance,
    get_statement,
    report_entry,
    update_statement,
)
from desk.auth.models import Role
from desk.core.access import PUBLIC, access
from desk.core.i18n import lazy_gettext as _l
from desk.core.templating import ADMIN_MENU, register_nav
from desk.extensions import db

bp = Blueprint("accessibility", __name__)

register_nav(
    _l("Accessibility statement"), "accessibility.edit", (Role.ADMIN,), 90, menu=ADMIN_MENU
)


@bp.app_context_processor
def _footer() -> dict:
    # The footer of every page says the conformance status (an RGAA obligation).
    return {"statement_status": lambda: conformance().value}


@bp.get("/accessibilite")
@access(PUBLIC)
def statement():
    """The déclaration d'accessibilité, in the reader's language."""
    return render_template(
        "accessibility/statement.html", statement=get_statement(), report_entry=report_entry()
    )


@bp.route("/admin/accessibilite", methods=["GET", "POST"])
@access(Role.ADMIN)
def edit():
    """Admins write the statement; every text in French and English."""
    current = get_statement()
    form = StatementForm(obj=current) if current else StatementForm()
    if current is not None and not form.is_submitted():
        form.status.data = current.status.value
    if form.validate_on_submit():
        update_statement(form.values(), actor=current_user)
        db.session.commit()
        flash(_l("The accessibility statement was saved."), "success")
        return redirect(url_for("accessibility.edit"))
    status = 400 if form.errors else 200
    return render_template(
        "accessibility/edit.html", form=form, bilingual=BILINGUAL, parts=PARTS
    ), status
