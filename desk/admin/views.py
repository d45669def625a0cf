"""Administration pages: queues and their members, domains and their categories (admins only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select

from desk.admin.forms import CategoryForm, DomainForm, MemberForm, QueueForm, options
from desk.admin.services import (
    AdminError,
    add_member,
    delete_category,
    delete_domain,
    delete_queue,
    remove_member,
    save_category,
    save_domain,
    save_queue,
    set_lead,
)
from desk.auth.models import Role, User
from desk.catalog.forms.fields import local_today
from desk.core.access import access
from desk.core.i18n import LazyText
from desk.core.i18n import lazy_gettext as _l
from desk.core.input import MAX_ID
from desk.core.templating import ADMIN_MENU, register_nav
from desk.extensions import db
from desk.queues.overview import queue_staffing
from desk.reference.models import Category, Domain, Queue, QueueMembership
from desk.sla.settings import calendars

bp = Blueprint("admin", __name__, url_prefix="/admin")

register_nav(_l("Administration"), "admin.index", (Role.ADMIN,), 90)
register_nav(_l("Queues and their technicians"), "admin.queues", (Role.ADMIN,), 10, menu=ADMIN_MENU)
register_nav(_l("Domains and categories"), "admin.domains", (Role.ADMIN,), 20, menu=ADMIN_MENU)

ADMIN = Role.ADMIN


def _get_or_404(model, ident):
    parts = ident if isinstance(ident, tuple) else (ident,)
    if not all(0 < part <= MAX_ID for part in parts):
        abort(404)
    row = db.session.get(model, ident)
    if row is None:
        abort(404)
    return row


def _field_error(form, error: AdminError) -> None:
    target = getattr(form, error.field, None) if error.field else None
    if target is not None:
        target.errors = [*target.errors, error.message]
    else:
        flash(error.message, "error")


def _save_or_render(
    form, save: Callable[[], Any], saved_message: LazyText, back: str, template: str, **context
):
    """The edit pages' common flow: validate, save, then redirect; else the form with errors.

    A refused save (AdminError) is rolled back and its message lands next to its field.
    """
    if form.validate_on_submit():
        try:
            saved = save()
        except AdminError as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            flash(str(saved_message) % {"name": saved.name}, "success")
            return redirect(url_for(back))
    status = 400 if form.errors else 200
    return render_template(template, form=form, **context), status


@bp.get("")
@access(ADMIN)
def index():
    """The administration menu, under a warning for each queue whose open tickets nobody
    works (its members deactivated or gone) and for each SLA calendar whose public holidays
    run out."""
    unattended = [row for row in queue_staffing() if row.unattended]
    today = local_today()
    short = [calendar for calendar in calendars() if calendar.holidays_run_out(today)]
    return render_template("admin/index.html", unattended=unattended, short_calendars=short)


# --- queues -----------------------------------------------------------------------------------


@bp.get("/queues")
@access(ADMIN)
def queues():
    """Every queue with its domain, state and number of members."""
    members = dict(
        db.session.execute(
            select(QueueMembership.queue_id, func.count()).group_by(QueueMembership.queue_id)
        ).all()
    )
    rows = db.session.scalars(select(Queue).order_by(Queue.code)).all()
    return render_template("admin/queues.html", queues=rows, members=members)


def _queue_form(queue: Queue | None) -> QueueForm:
    form = QueueForm(obj=queue)
    domains = db.session.scalars(select(Domain).order_by(Domain.position, Domain.code)).all()
    form.domain.choices = options((d.id, d.name) for d in domains)
    if queue is not None and not form.is_submitted():
        form.domain.data = str(queue.domain_id)
    return form


def _edit_queue(queue: Queue | None):
    form = _queue_form(queue)
    return _save_or_render(
        form,
        lambda: save_queue(
            queue,
            code=form.code.data,
            name_fr=form.name_fr.data,
            name_en=form.name_en.data or "",
            is_active=form.is_active.data,
            domain=db.session.get(Domain, int(form.domain.data)),
            actor=current_user,
            inbound_address=form.inbound_address.data,
        ),
        _l("The queue “%(name)s” was saved."),
        ".queues",
        "admin/queue_form.html",
        queue=queue,
    )


@bp.route("/queues/new", methods=["GET", "POST"])
@access(ADMIN)
def queue_new():
    """Create a queue."""
    return _edit_queue(None)


@bp.route("/queues/<int:queue_id>", methods=["GET", "POST"])
@access(ADMIN)
def queue_edit(queue_id: int):
    """Rename a queue, move it to another domain, open or close it."""
    return _edit_queue(_get_or_404(Queue, queue_id))


@bp.post("/queues/<int:queue_id>/delete")
@access(ADMIN)
def queue_delete(queue_id: int):
    """Delete an unused queue; one still in use is closed instead."""
    queue = _get_or_404(Queue, queue_id)
    name = queue.name
    try:
        deleted = delete_queue(queue, actor=current_user)
    except AdminError as exc:
        db.session.rollback()
        flash(_("“%(name)s”: %(reason)s", name=name, reason=exc.message), "error")
        return redirect(url_for(".queues"))
    if deleted:
        flash(_("The queue “%(name)s” was deleted.", name=name), "success")
    else:
        flash(
            _(
                "The queue “%(name)s” is still used by tickets or the catalogue: it was closed "
                "instead of deleted.",
                name=name,
            ),
            "warning",
        )
    return redirect(url_for(".queues"))


def _member_choices(queue: Queue, form: MemberForm) -> list[QueueMembership]:
    """The queue's members; the form offers the active staff who are not members yet."""
    memberships = db.session.scalars(
        select(QueueMembership)
        .join(User)
        .where(QueueMembership.queue_id == queue.id)
        .order_by(User.display_name)
    ).all()
    current = {m.user_id for m in memberships}
    candidates = db.session.scalars(
        select(User)
        .where(User.role != Role.REQUESTER, User.is_active_account.is_(True))
        .order_by(User.display_name)
    ).all()
    form.user.choices = options(
        (u.id, f"{u.display_name} <{u.email}>") for u in candidates if u.id not in current
    )
    return list(memberships)


def _members_page(queue: Queue, form: MemberForm, status: int = 200):
    memberships = _member_choices(queue, form)
    # Its last technician just removed (or deactivated), or all away today: say at once that
    # its open tickets wait for nobody, where the admin can add someone, by the admin menu's rule.
    (staffing,) = queue_staffing(queue.id)
    return render_template(
        "admin/members.html",
        queue=queue,
        form=form,
        memberships=memberships,
        staffing=staffing if staffing.unattended else None,
    ), status


@bp.get("/queues/<int:queue_id>/members")
@access(ADMIN)
def members(queue_id: int):
    """The technicians of a queue; add, remove, make lead."""
    return _members_page(_get_or_404(Queue, queue_id), MemberForm(formdata=None))


@bp.post("/queues/<int:queue_id>/members")
@access(ADMIN)
def member_add(queue_id: int):
    """Add a technician to the queue."""
    queue = _get_or_404(Queue, queue_id)
    form = MemberForm()
    _member_choices(queue, form)
    if not form.validate_on_submit():
        return _members_page(queue, form, 400)
    user = db.session.get(User, int(form.user.data))
    try:
        add_member(queue, user, is_lead=form.is_lead.data, actor=current_user)
    except AdminError as exc:
        db.session.rollback()
        _field_error(form, exc)
        return _members_page(queue, form, 400)
    flash(_("%(name)s joined the queue.", name=user.display_name), "success")
    return redirect(url_for(".members", queue_id=queue.id))


def _membership_or_404(queue_id: int, user_id: int) -> QueueMembership:
    return _get_or_404(QueueMembership, (queue_id, user_id))


@bp.post("/queues/<int:queue_id>/members/<int:user_id>/lead")
@access(ADMIN)
def member_lead(queue_id: int, user_id: int):
    """Make a member lead of the queue, or a plain member again."""
    membership = _membership_or_404(queue_id, user_id)
    set_lead(membership, request.form.get("is_lead") == "1", actor=current_user)
    flash(_("The queue's leads were updated."), "success")
    return redirect(url_for(".members", queue_id=queue_id))


@bp.post("/queues/<int:queue_id>/members/<int:user_id>/remove")
@access(ADMIN)
def member_remove(queue_id: int, user_id: int):
    """Take a technician out of the queue; the open tickets they held there go back to it."""
    membership = _membership_or_404(queue_id, user_id)
    name = membership.user.display_name
    released = remove_member(membership, actor=current_user)
    flash(_("%(name)s left the queue.", name=name), "success")
    if released:
        flash(
            ngettext(
                "Their open ticket in this queue is back in it, unassigned.",
                "Their %(num)d open tickets in this queue are back in it, unassigned.",
                released,
            ),
            "success",
        )
    return redirect(url_for(".members", queue_id=queue_id))


# --- domains and categories -------------------------------------------------------------------


@bp.get("/domains")
@access(ADMIN)
def domains():
    """Domains with their categories."""
    rows = db.session.scalars(select(Domain).order_by(Domain.position, Domain.code)).all()
    return render_template("admin/domains.html", domains=rows)


def _edit_domain(domain: Domain | None):
    form = DomainForm(obj=domain)
    return _save_or_render(
        form,
        lambda: save_domain(
            domain,
            code=form.code.data,
            name_fr=form.name_fr.data,
            name_en=form.name_en.data or "",
            position=form.position.data or 0,
            actor=current_user,
        ),
        _l("The domain “%(name)s” was saved."),
        ".domains",
        "admin/domain_form.html",
        domain=domain,
    )


@bp.route("/domains/new", methods=["GET", "POST"])
@access(ADMIN)
def domain_new():
    """Create a domain."""
    return _edit_domain(None)


@bp.route("/domains/<int:domain_id>", methods=["GET", "POST"])
@access(ADMIN)
def domain_edit(domain_id: int):
    """Edit a domain."""
    return _edit_domain(_get_or_404(Domain, domain_id))


@bp.post("/domains/<int:domain_id>/delete")
@access(ADMIN)
def domain_delete(domain_id: int):
    """Delete a domain nothing uses."""
    domain = _get_or_404(Domain, domain_id)
    name = domain.name
    try:
        delete_domain(domain, actor=current_user)
    except AdminError as exc:
        flash(_("“%(name)s”: %(reason)s", name=name, reason=exc.message), "error")
    else:
        flash(_("The domain “%(name)s” was deleted.", name=name), "success")
    return redirect(url_for(".domains"))


def _edit_category(domain: Domain, category: Category | None):
    form = CategoryForm(obj=category)
    return _save_or_render(
        form,
        lambda: save_category(
            category,
            domain=domain,
            code=form.code.data,
            name_fr=form.name_fr.data,
            name_en=form.name_en.data or "",
            position=form.position.data or 0,
            actor=current_user,
        ),
        _l("The category “%(name)s” was saved."),
        ".domains",
        "admin/category_form.html",
        domain=domain,
        category=category,
    )


@bp.route("/domains/<int:domain_id>/categories/new", methods=["GET", "POST"])
@access(ADMIN)
def category_new(domain_id: int):
    """Add a category to a domain."""
    return _edit_category(_get_or_404(Domain, domain_id), None)


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
@access(ADMIN)
def category_edit(category_id: int):
    """Edit a category."""
    category = _get_or_404(Category, category_id)
    return _edit_category(category.domain, category)


@bp.post("/categories/<int:category_id>/delete")
@access(ADMIN)
def category_delete(category_id: int):
    """Delete a category nothing uses."""
    category = _get_or_404(Category, category_id)
    name = category.name
    try:
        delete_category(category, actor=current_user)
    except AdminError as exc:
        flash(_("“%(name)s”: %(reason)s", name=name, reason=exc.message), "error")
    else:
        flash(_("The category “%(name)s” was deleted.", name=name), "success")
    return redirect(url_for(".domains"))


from desk.admin import account_views  # noqa: E402,F401 - the account pages share this blueprint
