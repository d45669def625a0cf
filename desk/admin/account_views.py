"""Admin pages for accounts: list and search, create, edit role and queues, (de)activate."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from desk.admin.accounts import (
    create_account,
    list_accounts,
    set_active,
    set_memberships,
    update_account,
)
from desk.admin.forms import (
    ROLE_LABELS,
    AccountForm,
    AccountSearchForm,
    CasLinkForm,
    NewAccountForm,
)
from desk.admin.services import AdminError
from desk.admin.views import ADMIN, _field_error, _get_or_404, bp
from desk.auth.models import Role, User
from desk.core.access import access
from desk.core.i18n import lazy_gettext as _l
from desk.core.input import parse_int
from desk.core.templating import ADMIN_MENU, register_nav
from desk.extensions import db
from desk.identity.directory import get_directory
from desk.identity.linking import LinkError, link_account
from desk.identity.models import DirectoryLink
from desk.identity.relinking import relink_account
from desk.reference.models import Queue
from desk.tickets.actions import release_tickets

register_nav(_l("Accounts"), "admin.accounts", (Role.ADMIN,), 60, menu=ADMIN_MENU)


@bp.get("/accounts")
@access(ADMIN)
def accounts():
    """Accounts in e-mail order, searchable by name or e-mail, one page at a time."""
    form = AccountSearchForm(request.args)
    form.validate()
    after = request.args.get("after") or None
    page = list_accounts(form.q.data or "", after)
    return render_template(
        "admin/accounts.html", form=form, page=page, after=after, roles=ROLE_LABELS
    )


@bp.route("/accounts/new", methods=["GET", "POST"])
@access(ADMIN)
def account_new():
    """Create an account with a first password."""
    form = NewAccountForm()
    if form.validate_on_submit():
        try:
            user = create_account(
                email=form.email.data,
                display_name=form.display_name.data,
                role=Role(form.role.data),
                is_staff=form.is_staff.data,
                password=form.password.data,
                actor=current_user,
            )
        except AdminError as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            db.session.commit()
            flash(_("The account of %(name)s was created.", name=user.display_name), "success")
            return redirect(url_for(".account_edit", user_id=user.id))
    status = 400 if form.errors else 200
    return render_template("admin/account_new.html", form=form), status


def _queues() -> list[Queue]:
    return list(db.session.scalars(select(Queue).order_by(Queue.code)))


def _account_page(
    user: User,
    form: AccountForm,
    *,
    queues_error: str | None = None,
    link_form: CasLinkForm | None = None,
    status=200,
):
    config = current_app.config
    return render_template(
        "admin/account_form.html",
        user=user,
        form=form,
        queues=_queues(),
        memberships={m.queue_id: m.is_lead for m in user.memberships},
        queues_error=queues_error,
        # The university sign-in card: shown when people sign in through the CAS, or a
        # directory links accounts.
        sso=config.get("AUTH") == "cas" or bool(config.get("LDAP_URL")),
        directory_link=db.session.get(DirectoryLink, user.id),
        link_form=link_form or CasLinkForm(formdata=None),
    ), status


@bp.route("/accounts/<int:user_id>", methods=["GET", "POST"])
@access(ADMIN)
def account_edit(user_id: int):
    """An account: name, role, staff or student, and the queues it works (and leads)."""
    user = _get_or_404(User, user_id)
    form = AccountForm(obj=user)
    if request.method == "GET":
        form.role.data = user.role.value
        return _account_page(user, form)
    if not form.validate_on_submit():
        return _account_page(user, form, status=400)
    chosen = _chosen_queues()
    if chosen is None:
        return _account_page(user, form, queues_error=_("Choose queues from the list."), status=400)
    try:
        update_account(
            user,
            display_name=form.display_name.data,
            role=Role(form.role.data),
            is_staff=form.is_staff.data,
            actor=current_user,
        )
        set_memberships(user, chosen if user.role is not Role.REQUESTER else {}, actor=current_user)
        released = release_tickets(user, actor=current_user)
    except AdminError as exc:
        db.session.rollback()
        if exc.field == "queues":
            return _account_page(user, form, queues_error=exc.message, status=400)
        _field_error(form, exc)
        return _account_page(user, form, status=400)
    db.session.commit()
    flash(_("The account of %(name)s was saved.", name=user.display_name), "success")
    _flash_released(released)
    return redirect(url_for(".account_edit", user_id=user.id))


@bp.post("/accounts/<int:user_id>/cas-link")
@access(ADMIN)
def account_cas_link(user_id: int):
    """Link the account to a university login: the person signs in to it from then on
    (an e-mail match alone never links an account with a password or a staff role). An
    account whose link the sync ended goes to its person's new directory entry."""
    user = _get_or_404(User, user_id)
    link_form = CasLinkForm()
    if link_form.validate_on_submit():
        existing = db.session.get(DirectoryLink, user.id)
        verb = relink_account if existing is not None and existing.login is None else link_account
        try:
            directory = get_directory(current_app.config)
            link = verb(user, link_form.cas_login.data, directory, actor=current_user)
        except LinkError as exc:
            db.session.rollback()
            link_form.cas_login.errors = [*link_form.cas_login.errors, exc.message]
        else:
            db.session.commit()
            flash(
                _(
                    "%(name)s now signs in to this account with the university login “%(login)s”.",
                    name=user.display_name,
                    login=link.login,
                ),
                "success",
            )
            return redirect(url_for(".account_edit", user_id=user.id))
    form = AccountForm(obj=user, formdata=None)
    form.role.data = user.role.value
    return _account_page(user, form, link_form=link_form, status=400)


def _flash_released(count: int) -> None:
    if count:
        flash(
            ngettext(
                "Its open ticket is back in its queue, unassigned.",
                "Its %(num)d open tickets are back in their queues, unassigned.",
                count,
            ),
            "success",
        )


def _chosen_queues() -> dict[int, bool] | None:
    """{queue id: is lead} from the checkboxes (a lead is a member); None if a value is not
    a queue id."""
    chosen: dict[int, bool] = {}
    leads = set(request.form.getlist("lead"))
    for raw in [*request.form.getlist("queue"), *leads]:
        queue_id = parse_int(raw)
        if queue_id is None:
            return None
        chosen[queue_id] = raw in leads
    return chosen


def _toggle(user_id: int, active: bool):
    user = _get_or_404(User, user_id)
    try:
        released = set_active(user, active, actor=current_user)
    except AdminError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        message = (
            _("The account of %(name)s is active again.", name=user.display_name)
            if active
            else _(
                "The account of %(name)s is deactivated; its sessions have ended.",
                name=user.display_name,
            )
        )
        flash(message, "success")
        _flash_released(released)
    return redirect(url_for(".account_edit", user_id=user.id))


@bp.post("/accounts/<int:user_id>/deactivate")
@access(ADMIN)
def account_deactivate(user_id: int):
    """Refuse any further login and end the account's sessions."""
    return _toggle(user_id, False)


@bp.post("/accounts/<int:user_id>/reactivate")
@access(ADMIN)
def account_reactivate(user_id: int):
    """Let the account log in again."""
    return _toggle(user_id, True)
