"""Admin pages of the routing rules: add, edit, reorder, (de)activate, delete."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import BooleanField, SelectField, StringField, SubmitField
from wtforms.validators import ValidationError

from desk.auth.models import Role
from desk.catalog.admin import KIND_LABELS
from desk.catalog.forms.fields import choices, named_choices, strip
from desk.catalog.models import RequestType, RoutingRule, TicketKind
from desk.catalog.rules import (
    NAME_MAX,
    RuleData,
    RuleInvalid,
    create_rule,
    delete_rule,
    move_rule,
    set_rule_active,
    update_rule,
)
from desk.catalog.views import bp
from desk.core.access import access
from desk.core.forms import DeskForm
from desk.core.i18n import lazy_gettext as _l
from desk.core.input import NOT_AN_ID, optional_id
from desk.extensions import db
from desk.reference.models import Category, Domain, Queue, Site
from desk.reference.places import by_local_name

ANY = _l("— Any —")


def _kind(value: object) -> object:
    if value is None or value == "":
        return None
    try:
        return TicketKind(value)
    except ValueError:
        return NOT_AN_ID


def _not_bad(form: DeskForm, field: Any) -> None:
    if field.data is NOT_AN_ID:
        raise ValidationError(_l("Choose an item from the list."))


class RuleForm(DeskForm):
    """A routing rule: conditions (empty = any) and the queue they send tickets to."""

    name = StringField(_l("Name"), filters=[strip], render_kw={"maxlength": NAME_MAX})
    request_type = SelectField(
        _l("Catalogue entry"), coerce=optional_id, validate_choice=False, validators=[_not_bad]
    )
    category = SelectField(
        _l("Category"), coerce=optional_id, validate_choice=False, validators=[_not_bad]
    )
    kind = SelectField(_l("Kind"), coerce=_kind, validate_choice=False, validators=[_not_bad])
    site = SelectField(_l("Site"), coerce=optional_id, validate_choice=False, validators=[_not_bad])
    queue = SelectField(
        _l("Queue"), coerce=optional_id, validate_choice=False, validators=[_not_bad]
    )
    applies_to_all = BooleanField(_l("Applies to every ticket (no condition)"))
    submit = SubmitField(_l("Save"))

    def __init__(self, *args: Any, current_queue: Queue | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        types = db.session.scalars(select(RequestType).order_by(RequestType.title_fr))
        self.request_type.choices = choices([(t.id, t.title) for t in types], empty=ANY)
        cats = db.session.scalars(
            select(Category).join(Domain).order_by(Domain.position, Category.position)
        )
        self.category.choices = choices(
            [(c.id, f"{c.domain.name} › {c.name}") for c in cats], empty=ANY
        )
        self.kind.choices = choices(
            [(k.value, label) for k, label in KIND_LABELS.items()], empty=ANY
        )
        sites = by_local_name(db.session.scalars(select(Site)))
        self.site.choices = named_choices(sites, empty=ANY)
        # Only active queues are offered; a rule's current inactive queue is shown so the admin
        # sees why saving is refused.
        queues = list(
            db.session.scalars(
                select(Queue)
                .join(Domain)
                .where(Queue.is_active)
                .order_by(Domain.position, Queue.code)
            )
        )
        if current_queue is not None and current_queue not in queues:
            queues.append(current_queue)
        self.queue.choices = choices(
            [(q.id, f"{q.domain.name} › {q.name}") for q in queues], empty=_l("— Choose —")
        )

    def data_for_service(self) -> RuleData:
        return RuleData(
            name=self.name.data or "",
            queue_id=self.queue.data,  # type: ignore[arg-type]
            request_type_id=self.request_type.data,  # type: ignore[arg-type]
            category_id=self.category.data,  # type: ignore[arg-type]
            kind=self.kind.data,  # type: ignore[arg-type]
            site_id=self.site.data,  # type: ignore[arg-type]
            applies_to_all=bool(self.applies_to_all.data),
        )

    def show(self, error: RuleInvalid) -> None:
        for name, message in error.errors.items():
            getattr(self, name).errors.append(message)


def _rule_or_404(rule_id: int) -> RoutingRule:
    rule = db.session.get(RoutingRule, rule_id)
    if rule is None:
        abort(404)
    return rule


def _save(form: RuleForm, rule: RoutingRule | None):
    """Validate and save in one transaction; the form again with messages on error."""
    if form.validate_on_submit():
        try:
            if rule is None:
                rule = create_rule(form.data_for_service(), actor=current_user)
                message = _("Rule “%(name)s” created.", name=rule.name)
            else:
                update_rule(rule, form.data_for_service(), actor=current_user)
                message = _("Rule “%(name)s” saved.", name=rule.name)
        except RuleInvalid as error:
            db.session.rollback()
            form.show(error)
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("catalog.admin_index", _anchor="rules"))
    status = 400 if form.is_submitted() else 200
    return render_template("catalog/rule_form.html", form=form, rule=rule), status


@bp.route("/admin/catalogue/rules/new", methods=["GET", "POST"])
@access(Role.ADMIN)
def rule_new():
    """Add a routing rule, evaluated after the existing ones."""
    return _save(RuleForm(), None)


@bp.route("/admin/catalogue/rules/<int:rule_id>", methods=["GET", "POST"])
@access(Role.ADMIN)
def rule_edit(rule_id: int):
    """Change a routing rule's name, conditions and queue."""
    rule = _rule_or_404(rule_id)
    form = RuleForm(obj=None, current_queue=rule.queue)
    if not form.is_submitted():
        form.name.data = rule.name
        form.request_type.data = rule.request_type_id
        form.category.data = rule.category_id
        form.kind.data = rule.kind
        form.site.data = rule.site_id
        form.queue.data = rule.queue_id
        form.applies_to_all.data = all(
            v is None for v in (rule.request_type_id, rule.category_id, rule.kind, rule.site_id)
        )
    return _save(form, rule)


@bp.post("/admin/catalogue/rules/<int:rule_id>/move/<any(up, down):direction>")
@access(Role.ADMIN)
def rule_move(rule_id: int, direction: str):
    """Move a rule one place up or down in the evaluation order."""
    rule = _rule_or_404(rule_id)
    if move_rule(rule, direction, actor=current_user):  # type: ignore[arg-type]
        db.session.commit()
        flash(_("Rule “%(name)s” moved.", name=rule.name), "success")
    return redirect(url_for("catalog.admin_index", _anchor="rules"))


@bp.post("/admin/catalogue/rules/<int:rule_id>/<any(activate, deactivate):action>")
@access(Role.ADMIN)
def rule_set_active(rule_id: int, action: str):
    """Turn a rule on or off."""
    rule = _rule_or_404(rule_id)
    try:
        set_rule_active(rule, action == "activate", actor=current_user)
    except RuleInvalid as refused:
        db.session.rollback()
        reason = refused.errors["queue"]
        flash(_("“%(name)s”: %(reason)s", name=rule.name, reason=reason), "error")
        return redirect(url_for("catalog.admin_index", _anchor="rules"))
    db.session.commit()
    if rule.is_active:
        flash(_("Rule “%(name)s” activated.", name=rule.name), "success")
    else:
        flash(_("Rule “%(name)s” deactivated.", name=rule.name), "success")
    return redirect(url_for("catalog.admin_index", _anchor="rules"))


@bp.post("/admin/catalogue/rules/<int:rule_id>/delete")
@access(Role.ADMIN)
def rule_delete(rule_id: int):
    """Delete a rule; tickets already routed keep their queue."""
    rule = _rule_or_404(rule_id)
    name = rule.name
    delete_rule(rule, actor=current_user)
    db.session.commit()
    flash(_("Rule “%(name)s” deleted.", name=name), "success")
    return redirect(url_for("catalog.admin_index", _anchor="rules"))
