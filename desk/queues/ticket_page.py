"""The staff ticket page: its forms (with the ticket's version), rendering, and one action flow.

Every action POST goes through `act`: validate the form, call the service, then redirect with
a message (success), or show the page again with the message next to the field (refused, 400)
or with the conflict message on the current state of the ticket, the draft kept (409).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from desk.absences.services import away_until
from desk.auth.models import Role, User
from desk.canned.services import may_manage, offers_for
from desk.core.db import utcnow
from desk.core.errors import render_error
from desk.core.forms import DeskForm
from desk.core.i18n import day_month, page_language
from desk.core.input import parse_int
from desk.extensions import db
from desk.followups.services import pending_on
from desk.queues.forms import (
    AssignForm,
    ClaimForm,
    DuplicateForm,
    FollowUpForm,
    GiveBackForm,
    NoteForm,
    PriorityForm,
    ReplyForm,
    StatusForm,
    TransferForm,
    options,
)
from desk.reference.models import Queue
from desk.sla.state import badge_label, sla_standing
from desk.tickets.access import (
    MovedAway,
    can_work,
    get_worked_ticket_or_404,
    load_timeline_files,
    moved_away_from,
    timeline_events,
)
from desk.tickets.actions import (
    FINISHED,
    MAX_BODY,
    ActionError,
    Conflict,
    clean_text,
    queue_members,
)
from desk.tickets.attachments import say_file_not_sent
from desk.tickets.history import (
    PRIORITY_LABELS,
    REQUEUED,
    describe_change,
    repeated_message,
)
from desk.tickets.models import EventKind, Ticket, TicketEvent
from desk.tickets.workflow import STATUS_LABELS, Actor, allowed_targets

FORMS: dict[str, type[DeskForm]] = {
    "claim": ClaimForm,
    "assign": AssignForm,
    "give_back": GiveBackForm,
    "transfer": TransferForm,
    "priority": PriorityForm,
    "status": StatusForm,
    "duplicate": DuplicateForm,
    "followup": FollowUpForm,
    "reply": ReplyForm,
    "note": NoteForm,
}


def load(reference: str) -> Ticket:
    """The ticket if the current user works on it (their queues; admins all), else 404.

    The 404 of a ticket transferred away from one of the technician's queues says so
    (`moved_page`); every other one is the plain page, the same whether the ticket exists."""
    if len(reference) > 20 or not reference.isprintable():
        abort(404)  # not a reference; PostgreSQL refuses e.g. NUL bytes in a query
    try:
        return get_worked_ticket_or_404(current_user, reference)
    except NotFound:
        moved = moved_away_from(current_user, reference)
        if moved is not None:
            abort(moved_page(reference, moved))
        draft = _draft() if request.method == "POST" else ""
        if not draft:
            raise
        # Taken off the queue (or the ticket gone) while writing: the plain page, the same
        # whether the ticket exists, with their own text given back rather than lost.
        abort(current_app.make_response(render_error(404, draft=draft)))


def moved_page(reference: str, moved: MovedAway):
    """The kinder 404 of a ticket that left the technician's queues: when, by whom, where to.

    Still 404 (the one access rule says the ticket is not theirs; the status is the plain
    page's, so it tells nobody more), and nothing of the ticket but the reference they
    followed: no subject, requester or content."""
    page = render_template(
        "queues/moved.html",
        reference=reference,
        moved=moved,
        by_me=moved.actor_id == current_user.id,
        queue_name=moved.queue_name(page_language()),
        not_saved=request.method == "POST",
        draft=_draft() if request.method == "POST" else "",
    )
    return current_app.make_response((page, 404))


# The free text of each action form (reply and note: body; status, give-back, reminder: note;
# transfer: reason).
DRAFT_FIELDS = ("body", "note", "reason")


def _draft() -> str:
    """What the refused action's form said, to give it back: a reply written for ten minutes
    must not be lost because a colleague moved the ticket meanwhile. It is the sender's own
    text (the CSRF check has passed), escaped by the template like any other. Not a text
    past twice what any of these forms takes (MAX_BODY), as a form page gives none back
    (desk.core.forms): nobody typed it, and the page would carry it whole."""
    for name in DRAFT_FIELDS:
        text = request.form.get(name, "").strip()
        if text:
            return text if len(text) <= 2 * MAX_BODY else ""
    return ""


def other_queues(ticket: Ticket) -> list[Queue]:
    """Active queues the ticket can be transferred to: the others of its domain."""
    query = select(Queue).where(
        Queue.is_active.is_(True), Queue.id != ticket.queue_id, Queue.domain_id == ticket.domain_id
    )
    return list(db.session.scalars(query.order_by(Queue.code)))


def _by_id(model, raw: str | None):
    key = parse_int(raw, low=1)
    return db.session.get(model, key) if key is not None else None


def user_or_none(raw: str | None) -> User | None:
    """The user with that id, if the value is one."""
    return _by_id(User, raw)


def queue_or_none(raw: str | None) -> Queue | None:
    """The queue with that id, if the value is one."""
    return _by_id(Queue, raw)


def build_forms(ticket: Ticket, bound: str | None = None) -> dict[str, DeskForm]:
    """Every action form of the page; only `bound` reads the submitted data."""
    forms = {}
    for name, cls in FORMS.items():
        form = cls() if name == bound else cls(formdata=None)
        if name != bound:
            form.version.data = str(ticket.version)
        forms[name] = form
    members = queue_members(ticket.queue_id)
    if current_user.role is Role.ADMIN and current_user not in members:
        members.append(current_user)
    # Who is away (desk.absences), the assignee among them: named so in the list and the page.
    away = away_until({m.id for m in members} | ({ticket.assignee_id} - {None}))
    forms["assign"].away = away
    forms["assign"].assignee.choices = options(
        (m.id, _away_label(m.display_name, away.get(m.id))) for m in members
    )
    forms["note"].tell.choices = options(
        (m.id, m.display_name) for m in members if m.id != current_user.id
    )
    forms["transfer"].queue.choices = options((q.id, q.name) for q in other_queues(ticket))
    forms["status"].status.choices = options(
        (s.value, STATUS_LABELS[s]) for s in allowed_targets(ticket.status, Actor.STAFF)
    )
    if bound != "assign" and ticket.assignee_id:
        forms["assign"].assignee.data = str(ticket.assignee_id)
    if bound != "priority":
        forms["priority"].priority.data = str(ticket.priority)
    return forms


def _told_ids(event: TicketEvent) -> list[int]:
    """The colleagues a note's writer asked to read it (desk.tickets.actions.add_note)."""
    if event.kind is not EventKind.NOTE or not event.new_value:
        return []
    return [int(i) for i in event.new_value.split(",") if i.isdigit()]


def _told(events: list[TicketEvent]) -> dict[int, str]:
    """Each note's told colleagues by name (their rows are in the session: `_timeline`)."""
    names = {}
    for event in events:
        people = [db.session.get(User, i) for i in _told_ids(event)]
        if people:
            names[event.id] = ", ".join(p.display_name for p in people if p is not None)
    return names


def _away_label(name: str, until) -> str:
    if until is None:
        return name
    return _("%(name)s (away until %(day)s)", name=name, day=day_month(until))


def _timeline(ticket: Ticket) -> list[TicketEvent]:
    """The full staff timeline, with actors and attachments loaded in two queries in all;
    without the requester's "back in the queue" lines, whose staff line says more."""
    events = [e for e in timeline_events(current_user, ticket) if e.field != REQUEUED]
    actor_ids = {e.actor_id for e in events if e.actor_id}
    actor_ids |= {i for e in events for i in _told_ids(e)}
    if actor_ids:
        db.session.scalars(select(User).where(User.id.in_(actor_ids))).all()
    load_timeline_files(current_user, events)
    return events


def prefill_canned(ticket: Ticket, forms: dict[str, DeskForm], raw_id: str | None) -> None:
    """The no-JavaScript path of canned replies: the chosen text goes in the reply box."""
    if raw_id is None:
        return
    offer = next((o for o in offers_for(ticket, current_user) if str(o.id) == raw_id), None)
    if offer is None:
        flash(_("This canned reply is not available for this ticket."), "warning")
        return
    forms["reply"].body.data = offer.text


def render(
    ticket: Ticket,
    forms: dict[str, DeskForm] | None = None,
    *,
    alert: str | None = None,
    status: int = 200,
):
    """The staff ticket page."""
    forms = forms or build_forms(ticket)
    change_label = current_app.jinja_env.globals.get("change_label", describe_change)
    events = _timeline(ticket)
    state, deadline = sla_standing(ticket, utcnow())
    page = render_template(
        "queues/ticket.html",
        ticket=ticket,
        forms=forms,
        events=events,
        told=_told(events),
        followups=pending_on(ticket, current_user),
        alert=alert,
        sla=state,
        sla_label=badge_label(state, deadline),
        STATUS_LABELS=STATUS_LABELS,
        PRIORITY_LABELS=PRIORITY_LABELS,
        finished=ticket.status in FINISHED,
        assignee_away=getattr(forms["assign"], "away", {}).get(ticket.assignee_id),
        change_label=change_label,
        canned=offers_for(ticket, current_user),
        manages_canned=may_manage(current_user),
    )
    return page, status


def _conflict(exc: Conflict) -> str:
    """The ticket page's conflict message. Not the service's "reload the page": this page is
    the answer to a POST, reloading it sends the stale form again (the same conflict, for
    ever) and opening its address is a 405. It already shows the ticket as it is now, with
    the user's draft in its form built on the current version: sending again is the way."""
    return _(
        "This ticket was changed by %(name)s at %(time)s. It is shown below as it is now: "
        "check it, then do it again if it is still needed.",
        name=exc.by_name,
        time=exc.at_time,
    )


_MESSAGE_KINDS = {"reply": EventKind.REPLY, "note": EventKind.NOTE}


def _file_not_sent(form: DeskForm, ticket: Ticket | None = None, name: str = "") -> None:
    """A refused reply or note comes back with its words, never with its file (a browser does
    not fill a file field again): say so next to the field, else the message sent again goes
    without the file its words announce. Not when the file itself was refused (its field
    already says why), nor for a conflict with this very message sent a moment before (a
    double click: its file went with the first sending)."""
    if ticket is not None and name in _MESSAGE_KINDS and getattr(form, "checked", None):
        first = repeated_message(
            ticket.id, current_user, _MESSAGE_KINDS[name], clean_text(form.body.data)
        )
        sent = {a.filename for a in first.attachments} if first is not None else set()
        if {upload.filename for upload in getattr(form, "checked", [])} & sent:
            return
    say_file_not_sent(form)


def act(reference: str, name: str, service: Callable[[Ticket, DeskForm], object], success: str):
    """Run one action form of the ticket page through its service."""
    ticket = load(reference)
    if ticket.erased_at is not None:
        # Past its retention (desk.privacy): it only stays to be counted, nobody works it.
        return render(ticket, build_forms(ticket), alert=_("This ticket was erased."), status=409)
    origin = ticket.queue.code
    forms = build_forms(ticket, bound=name)
    form = forms[name]
    if not form.validate_on_submit():
        # The hidden version field has no place to show its error: say it at the top.
        alert = form.version.errors[0] if form.version.errors else None
        _file_not_sent(form)
        return render(ticket, forms, alert=alert, status=400)
    try:
        service(ticket, form)
    except Conflict as exc:
        # The page now shows the ticket as it is; the user's draft stays in the form.
        form.version.data = str(ticket.version)
        _file_not_sent(form, ticket, name)
        return render(ticket, build_forms(ticket) | {name: form}, alert=_conflict(exc), status=409)
    except ActionError as exc:
        target = getattr(form, exc.field, None) if exc.field else None
        if target is not None:
            target.errors = [*target.errors, exc.message]
        _file_not_sent(form)
        return render(ticket, forms, alert=None if target is not None else exc.message, status=400)
    flash(success, "success")
    if can_work(current_user, ticket):
        return redirect(url_for("queues.ticket", reference=ticket.reference))
    return redirect(url_for("queues.queue_list", code=origin))
