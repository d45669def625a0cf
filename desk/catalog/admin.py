"""Admin pages of the catalogue: enable or disable entries, default queues, order; rules."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import BooleanField, SelectField, SubmitField
from wtforms.validators import InputRequired, ValidationError

from desk.auth.models import Role
from desk.catalog.forms import FORMS
from desk.catalog.forms.fields import choices
from desk.catalog.models import RequestType, TicketKind
from desk.catalog.services import (
    all_request_types,
    queues_for,
    routing_rules,
    update_request_type,
)
from desk.catalog.views import bp
from desk.core.access import access
from desk.core.forms import DeskForm, NumberRange, WholeNumberField
from desk.core.i18n import lazy_gettext as _l
from desk.core.input import parse_int
from desk.core.templating import ADMIN_MENU, register_nav
from desk.extensions import db
from desk.reference.models import Category, Queue

KIND_LABELS = {TicketKind.REQUEST: _l("Request"), TicketKind.INCIDENT: _l("Incident")}

register_nav(_l("Catalogue settings"), "catalog.admin_index", (Role.ADMIN,), 30, menu=ADMIN_MENU)


class RequestTypeAdminForm(DeskForm):
    """One row of the admin table."""

    is_active = BooleanField(_l("Active"))
    default_queue = SelectField(_l("Default queue"), coerce=parse_int, validate_choice=False)
    position = WholeNumberField(
        _l("Order"),
        validators=[
            InputRequired(_l("Enter a number.")),
            NumberRange(0, 9999, _l("Between %(min)s and %(max)s.")),
        ],
        invalid_value_message=_l("Enter a whole number."),
    )
    save = SubmitField(_l("Save"))

    def __init__(self, request_type: RequestType, *args: Any, **kwargs: Any):
        super().__init__(*args, prefix=f"rt{request_type.id}", **kwargs)
        self.request_type = request_type
        self.queues = queues_for(request_type)
        if request_type.default_queue not in self.queues:
            self.queues.append(request_type.default_queue)
        self.default_queue.choices = choices([(q.id, q.name) for q in self.queues])

    def validate_default_queue(self, field: Any) -> None:
        chosen = next((q for q in self.queues if q.id == field.data), None)
        if chosen is None:
            raise ValidationError(_l("Choose a queue of this entry's domain."))
        # The list keeps a closed queue an inactive entry still names; turned on with it, the
        # entry would send its new requests to a queue nobody watches.
        if self.is_active.data and not chosen.is_active:
            raise ValidationError(
                _l("This queue is closed: choose an open queue before turning the entry on.")
            )


def _forms(failed: RequestTypeAdminForm | None = None) -> list[RequestTypeAdminForm]:
    forms = []
    for request_type in all_request_types():
        if failed is not None and failed.request_type.id == request_type.id:
            forms.append(failed)
            continue
        form = RequestTypeAdminForm(request_type, formdata=None, obj=None)
        form.is_active.data = request_type.is_active
        form.default_queue.data = request_type.default_queue_id
        form.position.data = request_type.position
        forms.append(form)
    return forms


def _page(failed: RequestTypeAdminForm | None = None, status: int = 200):
    categories = {c.id: c for c in db.session.scalars(select(Category))}
    return render_template(
        "catalog/admin.html",
        forms=_forms(failed),
        rules=routing_rules(),
        known_forms=FORMS,
        categories=categories,
        kind_labels=KIND_LABELS,
    ), status


@bp.get("/admin/catalogue")
@access(Role.ADMIN)
def admin_index():
    """Every catalogue entry with its settings, and the routing rules in order."""
    return _page()


@bp.post("/admin/catalogue/<int:request_type_id>")
@access(Role.ADMIN)
def admin_update(request_type_id: int):
    """Save one entry's active flag, default queue and order."""
    request_type = db.session.get(RequestType, request_type_id)
    if request_type is None:
        abort(404)
    form = RequestTypeAdminForm(request_type)
    if not form.validate_on_submit():
        return _page(form, 400)
    update_request_type(
        request_type,
        is_active=form.is_active.data,
        default_queue=db.session.get(Queue, form.default_queue.data),
        position=form.position.data,
        actor=current_user,
    )
    db.session.commit()
    flash(_("“%(title)s” saved.", title=request_type.title), "success")
    return redirect(url_for("catalog.admin_index"))


from desk.catalog import rules_admin  # noqa: E402,F401 - the rule pages share this blueprint
