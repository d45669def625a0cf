"""Managing canned replies (admins: every queue; leads: the queues they lead)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from desk.auth.models import Role
from desk.canned.forms import CannedReplyForm
from desk.canned.models import CannedReply
from desk.canned.placeholders import PLACEHOLDERS
from desk.canned.services import (
    delete_canned_reply,
    get_managed_or_none,
    managed_queues,
    managed_replies,
    save_canned_reply,
)
from desk.core.access import STAFF, access
from desk.core.forms import DeskForm
from desk.core.i18n import lazy_gettext as _l
from desk.core.templating import ADMIN_MENU, register_nav

bp = Blueprint("canned", __name__, url_prefix="/reponses-types")

register_nav(_l("Canned replies"), "canned.index", (Role.ADMIN,), 40, menu=ADMIN_MENU)


def _queues_or_403():
    queues = managed_queues(current_user)
    if not queues and current_user.role is not Role.ADMIN:
        abort(403)  # plain technicians use canned replies, leads and admins manage them
    return queues


def _managed_or_404(reply_id: int) -> CannedReply:
    reply = get_managed_or_none(current_user, reply_id)
    if reply is None:
        abort(404)
    return reply


@bp.get("")
@access(*STAFF)
def index():
    """The canned replies of the queues the user manages."""
    queues = _queues_or_403()
    return render_template(
        "canned/index.html",
        replies=managed_replies(current_user),
        queues={q.id: q for q in queues},
        delete_form=DeskForm(),
    )


def _edit(reply: CannedReply | None):
    queues = _queues_or_403()
    if not queues:
        # An admin of a desk with no queue yet: a reply belongs to a queue, so say
        # where to start rather than offer a form no one can fill in.
        flash(_("Create a queue first: each canned reply belongs to one."), "info")
        return redirect(url_for(".index"))
    form = CannedReplyForm(obj=reply) if reply is not None else CannedReplyForm()
    form.set_queues(queues)
    if reply is not None and not form.is_submitted():
        form.queue.data = str(reply.queue_id)
    if form.validate_on_submit():
        queue = next(q for q in queues if str(q.id) == form.queue.data)
        save_canned_reply(
            reply,
            queue=queue,
            title=form.title.data,
            body_fr=form.body_fr.data,
            body_en=form.body_en.data or "",
            actor=current_user,
        )
        flash(_("The canned reply was saved."), "success")
        return redirect(url_for(".index"))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "canned/edit.html", form=form, reply=reply, placeholders=PLACEHOLDERS
    ), status


@bp.route("/nouvelle", methods=["GET", "POST"])
@access(*STAFF)
def new():
    """Create a canned reply for one of the user's queues."""
    return _edit(None)


@bp.route("/<int:reply_id>", methods=["GET", "POST"])
@access(*STAFF)
def edit(reply_id: int):
    """Edit a canned reply of a queue the user manages."""
    _queues_or_403()
    return _edit(_managed_or_404(reply_id))


@bp.post("/<int:reply_id>/suppression")
@access(*STAFF)
def delete(reply_id: int):
    """Delete a canned reply of a queue the user manages."""
    _queues_or_403()
    reply = _managed_or_404(reply_id)
    if not DeskForm().validate_on_submit():
        abort(400)
    delete_canned_reply(reply, actor=current_user)
    flash(_("The canned reply was deleted."), "success")
    return redirect(url_for(".index"))
