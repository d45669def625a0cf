"""Service status pages: everyone reads the current disruptions (signed in or not) and follows
those that affect them; staff publish, edit and end them. The catalogue, its forms and the
home page show the current ones through the `disruption_banner` template global."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from desk.auth.models import Role
from desk.catalog.forms.fields import display_tz, in_display_zone
from desk.core.access import AUTHENTICATED, PUBLIC, STAFF, access
from desk.core.db import utcnow
from desk.core.forms import DeskForm
from desk.core.i18n import lazy_gettext as _l
from desk.core.i18n import localdt, number, page_language
from desk.core.input import local_path
from desk.core.templating import register_nav
from desk.extensions import db
from desk.reference.models import Category
from desk.status import services
from desk.status.calendar import status_calendar
from desk.status.forms import EVERY_SERVICE, DisruptionForm
from desk.status.models import Disruption
from desk.status.services import DisruptionError, DisruptionText
from desk.tickets.access import worked_clause
from desk.tickets.models import Ticket

bp = Blueprint("status", __name__, url_prefix="/etat-des-services")

# In the menu of requesters and visitors (staff menus are full: staff find it in the footer of
# every page and on "My queues").
register_nav(_l("Service status"), "status.index", (Role.REQUESTER,), 13, public=True)

REFUSED = {
    "ended": _l("This disruption is already over."),
    "finished": _l("This ticket is finished: only an open ticket can be linked."),
    "not_allowed": _l("You do not work on this ticket."),
    "not_started": _l("This planned work has not started: a ticket cannot be its effect yet."),
}


@bp.app_template_global("current_disruptions")
def current_disruptions(category_id: int | None = None) -> list[Disruption]:
    """The disruptions going on, of `category_id` and of every service (the staff ticket
    page: this ticket may be one of their effects; planned work not yet)."""
    return services.current_disruptions(category_id)


@bp.app_template_global("linked_disruption")
def linked_disruption(ticket: Ticket) -> int | None:
    """The staff ticket page: the id of the disruption the ticket is linked to."""
    return services.linked_disruption(ticket)


@bp.app_template_global("disruption_banner")
def disruption_banner(category_id: int | None = None) -> dict:
    """The banner of the home page, the catalogue and its forms: the current disruptions (of
    `category_id` and of every service), the planned work of the coming days, those the
    reader follows, the page's language."""
    going_on, planned = services.announced_disruptions(category_id)
    shown = going_on + planned
    followed = services.followed_by(current_user, shown) if shown else set()
    return {
        "disruptions": going_on,
        "planned": planned,
        "followed": followed,
        "lang": page_language(),
    }


@bp.app_template_global("planned_span")
def planned_span(disruption: Disruption) -> str:
    """When planned work runs, in the reader's words: one day named once."""
    start, end = disruption.started_at, disruption.expected_end_at
    if end is None:
        return _("from %(start)s", start=localdt(start, "EEEE d MMMM, HH:mm"))
    zone = display_tz()
    if start.astimezone(zone).date() == end.astimezone(zone).date():
        return _(
            "on %(day)s, from %(start)s to %(end)s",
            day=localdt(start, "EEEE d MMMM"),
            start=localdt(start, "HH:mm"),
            end=localdt(end, "HH:mm"),
        )
    return _(
        "from %(start)s to %(end)s",
        start=localdt(start, "EEEE d MMMM, HH:mm"),
        end=localdt(end, "EEEE d MMMM, HH:mm"),
    )


@bp.get("/calendrier.ics")
@access(PUBLIC)
def calendar():
    """The planned work, what is going on and what ended this week, as an iCalendar feed in
    the language of its address (`?lang=en`; calendar clients send none)."""
    raw = request.args.get("lang", "")
    locale = (
        raw
        if raw in current_app.config["LANGUAGES"]
        else current_app.config["BABEL_DEFAULT_LOCALE"]
    )
    now = utcnow()
    shown = (
        services.planned_disruptions(now=now)
        + services.current_disruptions(now=now)
        + services.recently_ended(now=now)
    )
    body = status_calendar(
        shown,
        locale=locale,
        now=now,
        page=current_app.config["BASE_URL"] + url_for("status.index"),  # never the Host header
        host=urlsplit(current_app.config["BASE_URL"]).hostname or "desk",
    )
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": "inline; filename=etat-des-services.ics"},
    )


def _disruption_or_404(disruption_id: int) -> Disruption:
    disruption = db.session.get(Disruption, disruption_id)
    if disruption is None:
        abort(404)
    return disruption


@bp.get("")
@access(PUBLIC)
def index():
    """What is not working now, the planned work, and what was fixed this week."""
    now = utcnow()
    current = services.current_disruptions(now=now)
    planned = services.planned_disruptions(now=now)
    ended = services.recently_ended(now=now)
    shown = current + planned + ended
    staff = current_user.is_authenticated and current_user.role is not Role.REQUESTER
    return render_template(
        "status/index.html",
        current=current,
        planned=planned,
        ended=ended,
        now=now,
        followed=services.followed_by(current_user, current + planned),
        counts=services.follower_counts(shown) if staff else {},
        linked=services.linked_counts(current) if staff else {},
        staff=staff,
        locale=page_language(),
        button_form=DeskForm(),
    )


def _content(form: DisruptionForm, categories: list[Category]) -> DisruptionText:
    chosen = form.category.data
    category = None
    if chosen != EVERY_SERVICE:
        category = next(c for c in categories if str(c.id) == chosen)
    starts_at, expected_end_at = form.utc_values()
    return DisruptionText(
        title_fr=form.title_fr.data,
        details_fr=form.details_fr.data or "",
        title_en=form.title_en.data or "",
        details_en=form.details_en.data or "",
        category=category,
        starts_at=starts_at,
        expected_end_at=expected_end_at,
    )


@bp.route("/nouvelle", methods=["GET", "POST"])
@access(*STAFF)
def new():
    """Publish a disruption."""
    categories = services.catalogue_categories()
    form = DisruptionForm()
    form.set_categories(categories)
    if form.validate_on_submit():
        disruption = services.publish_disruption(_content(form, categories), actor=current_user)
        if disruption.is_planned(utcnow()):
            message = _("The planned work is announced: everyone sees it ahead.")
        else:
            message = _("The disruption is published: everyone sees it before filing a request.")
        flash(message, "success")
        return redirect(url_for(".index", _anchor=f"perturbation-{disruption.id}"))
    status = 400 if form.is_submitted() else 200
    return render_template("status/edit.html", form=form, disruption=None), status


@bp.route("/<int:disruption_id>/modifier", methods=["GET", "POST"])
@access(*STAFF)
def edit(disruption_id: int):
    """Correct a current disruption's text or service."""
    disruption = _disruption_or_404(disruption_id)
    if not disruption.is_current:
        flash(str(REFUSED["ended"]), "error")
        return redirect(url_for(".index"))
    categories = services.catalogue_categories()
    form = DisruptionForm(obj=disruption) if request.method == "GET" else DisruptionForm()
    form.set_categories(categories)
    form.stored_start = disruption.started_at
    form.starts_at.description = _l("Empty: unchanged. A later date makes it planned work.")
    if request.method == "GET":
        form.version.data = str(disruption.version)
        form.category.data = str(disruption.category_id or EVERY_SERVICE)
        form.starts_at.data = in_display_zone(disruption.started_at)
        form.expected_end_at.data = in_display_zone(disruption.expected_end_at)
    conflict = False
    if form.validate_on_submit():
        try:
            services.edit_disruption(
                disruption,
                _content(form, categories),
                version=int(form.version.data),
                actor=current_user,
            )
        except DisruptionError as exc:
            db.session.rollback()
            if exc.kind != "conflict":
                flash(str(REFUSED[exc.kind]), "error")
                return redirect(url_for(".index"))
            conflict = True
        else:
            flash(_("The disruption is updated."), "success")
            return redirect(url_for(".index", _anchor=f"perturbation-{disruption.id}"))
    if conflict:
        form.version.data = str(disruption.version)
    status = 409 if conflict else (400 if form.is_submitted() else 200)
    return render_template(
        "status/edit.html", form=form, disruption=disruption, conflict=conflict
    ), status


@bp.post("/<int:disruption_id>/fin")
@access(*STAFF)
def end(disruption_id: int):
    """It works again: the disruption leaves the banners and its followers are e-mailed."""
    disruption = _disruption_or_404(disruption_id)
    if not DeskForm().validate_on_submit():
        abort(400)
    try:
        told = services.end_disruption(disruption, actor=current_user)
    except DisruptionError as exc:
        flash(str(REFUSED[exc.kind]), "error")
        return redirect(url_for(".index"))
    if disruption.cancelled:
        message = _(
            "The planned work is called off; people told by e-mail: %(num)s.", num=number(told)
        )
        flash(message, "success")
        return redirect(url_for(".index"))
    flash(_("The disruption is over; people told by e-mail: %(num)s.", num=number(told)), "success")
    resolved, elsewhere = services.resolve_linked(disruption, actor=current_user)
    if resolved.changed:
        message = _(
            "Linked tickets resolved: %(num)s (%(references)s).",
            num=number(len(resolved.changed)),
            references=", ".join(resolved.changed),
        )
        flash(message, "success")
    if elsewhere:
        message = ngettext(
            "%(num)d linked ticket is in a queue you do not work: it stays open for its"
            " technicians.",
            "%(num)d linked tickets are in queues you do not work: they stay open for their"
            " technicians.",
            elsewhere,
        )
        flash(message, "warning")
    for reference, reason in resolved.refused:
        message = _("%(reference)s is still open: %(reason)s", reference=reference, reason=reason)
        flash(message, "error")
    return redirect(url_for(".index"))


def _worked_ticket_or_404(reference: str) -> Ticket:
    """A ticket of the actor's queues (another one is not found, as on the ticket pages)."""
    query = select(Ticket).where(Ticket.reference == reference[:40], worked_clause(current_user))
    ticket = db.session.scalar(query)
    if ticket is None:
        abort(404)
    return ticket


@bp.post("/<int:disruption_id>/tickets")
@access(*STAFF)
def link(disruption_id: int):
    """From the staff ticket page: this ticket is an effect of the disruption."""
    disruption = _disruption_or_404(disruption_id)
    ticket = _worked_ticket_or_404(request.form.get("reference", ""))
    if not DeskForm().validate_on_submit():
        abort(400)
    try:
        services.link_ticket(ticket, disruption, actor=current_user)
    except DisruptionError as exc:
        db.session.rollback()
        flash(str(REFUSED[exc.kind]), "error")
    else:
        flash(_("Linked: the ticket will be resolved when the disruption is over."), "success")
    return redirect(url_for("queues.ticket", reference=ticket.reference))


@bp.post("/tickets/<reference>/detacher")
@access(*STAFF)
def unlink(reference: str):
    """The ticket is not an effect of its disruption after all."""
    ticket = _worked_ticket_or_404(reference)
    if not DeskForm().validate_on_submit():
        abort(400)
    services.unlink_ticket(ticket, actor=current_user)
    flash(_("The ticket is no longer linked to the disruption."), "success")
    return redirect(url_for("queues.ticket", reference=ticket.reference))


def _back() -> str:
    return local_path(request.form.get("next")) or url_for(".index")


@bp.post("/<int:disruption_id>/suivre")
@access(AUTHENTICATED)
def follow(disruption_id: int):
    """ "I am affected too": told by e-mail when it is over, rather than filing a request."""
    disruption = _disruption_or_404(disruption_id)
    if not DeskForm().validate_on_submit():
        abort(400)
    try:
        services.follow_disruption(disruption, current_user)
    except DisruptionError as exc:
        db.session.rollback()
        flash(str(REFUSED[exc.kind]), "error")
    else:
        flash(_("Noted: you will get an e-mail when it works again."), "success")
    return redirect(_back())


@bp.post("/<int:disruption_id>/ne-plus-suivre")
@access(AUTHENTICATED)
def unfollow(disruption_id: int):
    """No more e-mail about this disruption."""
    disruption = _disruption_or_404(disruption_id)
    if not DeskForm().validate_on_submit():
        abort(400)
    services.unfollow_disruption(disruption, current_user)
    flash(_("You will not be told when this disruption is over."), "success")
    return redirect(_back())
