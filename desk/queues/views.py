"""Technicians' pages: "my queues", a queue's list with bulk actions, the staff ticket page."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_number
from flask_babel import gettext as _
from flask_login import current_user

from desk.canned.services import canned_language
from desk.catalog.forms.fields import in_utc
from desk.core.access import AUTHENTICATED, STAFF, access
from desk.core.db import utcnow
from desk.core.i18n import lazy_gettext as _l
from desk.core.i18n import page_language, typed_language, written_in
from desk.core.input import parse_int
from desk.core.limits import export_limit, search_limit
from desk.core.templating import HOME_PARTIALS, register_nav
from desk.core.transactions import commit_keeping_state
from desk.followups.services import plan_followup
from desk.notifications.services import mark_ticket_seen
from desk.queues import display, export, ticket_page
from desk.queues.forms import BulkForm
from desk.queues.listing import (
    Listed,
    QueueFilters,
    get_listed_queue_or_404,
    get_worked_queue_or_404,
    parse_filters,
)
from desk.queues.overview import COUNTERS, queue_overview
from desk.queues.query import fetch_page
from desk.tickets.access import follows
from desk.tickets.actions import (
    ActionError,
    add_note,
    add_reply,
    assign_ticket,
    bulk_apply,
    change_status,
    claim_ticket,
    close_as_duplicate,
    give_back_ticket,
    set_priority,
    transfer_ticket,
)

bp = Blueprint("queues", __name__)

register_nav(_l("My queues"), "queues.overview", STAFF, 20)
if "queues/_home.html" not in HOME_PARTIALS:
    HOME_PARTIALS.append("queues/_home.html")
bp.add_app_template_global(COUNTERS, "queue_counters")


@bp.app_template_global("my_queue_overview")
def my_queue_overview():
    """The overview's rows for the signed-in user (a technician's home page shows them)."""
    return queue_overview(current_user, utcnow())


@bp.get("/queues")
@access(*STAFF)
def overview():
    """Per queue the user works: open, new, unassigned, mine, in progress, waiting, SLA."""
    rows = queue_overview(current_user, utcnow())
    return render_template("queues/overview.html", rows=rows, counters=COUNTERS)


def _filters(listed: Listed) -> QueueFilters:
    """The URL's filters of a queue list, checked against its filter lists."""
    return parse_filters(
        request.args,
        user=current_user,
        members=listed.members,
        request_types=listed.request_types,
        sites=listed.sites,
    )


def _list_context(listed: Listed) -> dict:
    filters = _filters(listed)
    now = utcnow()
    language = page_language()
    page = fetch_page(listed.queue, filters, now)
    labels = display.labels()
    ticket_href = url_for("queues.ticket", reference="REF")
    return {
        "queue": listed.queue,
        "filters": filters,
        "page": page,
        "rows_html": display.rows_html(
            page.tickets,
            now=now,
            ticket_href=ticket_href,
            labels=labels,
            request_types=listed.request_types,
            sites=listed.sites,
            members=listed.members,
        ),
        "members": listed.members,
        # Open tickets held by members away today: nobody works them until they return.
        "away_held": sum(m.held for m in listed.members if m.away),
        "request_types": listed.request_types,
        "sites": listed.sites,
        # (id, name) in the reader's language, the language read once for the whole list
        "targets": [(q.id, q.name_in(language)) for q in listed.targets],
        "export_max": format_number(export.MAX_ROWS),
        **labels,
    }


@bp.get("/queues/<code>")
@access(*STAFF)
@search_limit
def queue_list(code: str):
    """A queue's tickets, filtered and sorted from the URL, one keyset page at a time."""
    context = _list_context(get_listed_queue_or_404(current_user, code))
    for message in context["filters"].errors:
        flash(message, "warning")
    return render_template("queues/list.html", **context)


@bp.get("/queues/<code>/export.csv")
@access(*STAFF)
@export_limit
def export_list(code: str):
    """The queue's list with the URL's filters and sort, every page of it, as a CSV file."""
    listed = get_listed_queue_or_404(current_user, code)
    now = utcnow()
    text = export.export_csv(listed, _filters(listed), now, display.labels())
    return Response(
        text,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f"attachment; filename={export.file_name(listed.queue, now)}"
        },
    )


def _selection() -> list[tuple[int, int | None]]:
    """The `ticket` checkboxes ("id:version"); malformed ids are dropped, and a ticket
    without its version is kept with None (`bulk_apply` refuses it: a lost update else)."""
    picked = []
    for raw in request.form.getlist("ticket")[:1000]:
        # Positive 32-bit integers, or None (PostgreSQL would refuse a larger id).
        ticket_id, _sep, version = (parse_int(part, low=1) for part in raw.partition(":"))
        if ticket_id is not None:
            picked.append((ticket_id, version))
    return list(dict.fromkeys(picked))


@bp.post("/queues/<code>/bulk")
@access(*STAFF)
def bulk(code: str):
    """Apply one action to the selected tickets; say which were changed and which refused."""
    queue = get_worked_queue_or_404(current_user, code)
    form = BulkForm()
    back = url_for(".queue_list", code=code) + _safe_query(request.form.get("back", ""))
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(back)
    action = _bulk_action(form)
    try:
        result = bulk_apply(
            _selection(), action, actor=current_user, queue_id=queue.id, require_version=True
        )
    except ActionError as exc:
        flash(exc.message, "error")
        return redirect(back)
    status = 200 if result.changed or not result.refused else 409
    return render_template("queues/bulk_result.html", queue=queue, result=result, back=back), status


def _bulk_action(form: BulkForm):
    """The per-ticket function for the chosen bulk action."""
    action = form.action.data
    if action == "assign":
        assignee = ticket_page.user_or_none(form.assignee.data)
        return lambda t, v: assign_ticket(t, assignee, actor=current_user, expected_version=v)
    if action == "status":
        target = form.status.data
        return lambda t, v: change_status(t, target, actor=current_user, expected_version=v)
    queue = ticket_page.queue_or_none(form.queue.data)
    reason = form.reason.data or ""
    return lambda t, v: transfer_ticket(
        t, queue, reason=reason, actor=current_user, expected_version=v
    )


def _safe_query(raw: str) -> str:
    """Only a query string goes back into the redirect (never another URL)."""
    raw = raw.strip()
    if not raw.startswith("?") or "\n" in raw or "\r" in raw or len(raw) > 2000:
        return ""
    return raw


# --- the staff ticket page and its actions ----------------------------------------------------


@bp.get("/tickets/<reference>")
@access(AUTHENTICATED)
def ticket(reference: str):
    """The ticket with its action forms and the full timeline, internal notes included;
    `?canned=<id>` fills the reply box with that canned reply (the no-JavaScript path)."""
    if current_user.role not in STAFF:
        # A requester who follows a staff link to their own ticket (pasted in a reply, a
        # colleague's bookmark) gets their own page of it; any other stays refused.
        if follows(current_user, reference):
            return redirect(url_for("portal.detail", reference=reference))
        abort(403)
    found = ticket_page.load(reference)
    if mark_ticket_seen(current_user, found.id):
        commit_keeping_state()  # the page shows the ticket as just read
    forms = ticket_page.build_forms(found)
    ticket_page.prefill_canned(found, forms, request.args.get("canned"))
    return ticket_page.render(found, forms)


@bp.post("/tickets/<reference>/claim")
@access(*STAFF)
def claim(reference: str):
    """Take the ticket for oneself."""
    return ticket_page.act(
        reference,
        "claim",
        lambda t, f: claim_ticket(t, actor=current_user, expected_version=f.expected_version),
        _("You took the ticket."),
    )


@bp.post("/tickets/<reference>/assign")
@access(*STAFF)
def assign(reference: str):
    """Give the ticket to a member of its queue."""
    return ticket_page.act(
        reference,
        "assign",
        lambda t, f: assign_ticket(
            t,
            ticket_page.user_or_none(f.assignee.data),
            actor=current_user,
            expected_version=f.expected_version,
        ),
        _("The ticket was assigned."),
    )


@bp.post("/tickets/<reference>/give-back")
@access(*STAFF)
def give_back(reference: str):
    """Put the ticket back in its queue without a technician; its members are told."""
    return ticket_page.act(
        reference,
        "give_back",
        lambda t, f: give_back_ticket(
            t, actor=current_user, note=f.note.data, expected_version=f.expected_version
        ),
        _("The ticket is back in its queue, unassigned; its members were told."),
    )


@bp.post("/tickets/<reference>/reminder")
@access(*STAFF)
def followup(reference: str):
    """Have desk remind oneself of the ticket at a time (desk.followups)."""
    return ticket_page.act(
        reference,
        "followup",
        lambda t, f: plan_followup(t, in_utc(f.due_at.data), f.note.data, actor=current_user),
        _("desk will remind you of this ticket then."),
    )


@bp.post("/tickets/<reference>/transfer")
@access(*STAFF)
def transfer(reference: str):
    """Send the ticket to another queue, with the reason."""
    return ticket_page.act(
        reference,
        "transfer",
        lambda t, f: transfer_ticket(
            t,
            ticket_page.queue_or_none(f.queue.data),
            reason=f.reason.data,
            actor=current_user,
            expected_version=f.expected_version,
        ),
        _("The ticket was transferred."),
    )


@bp.post("/tickets/<reference>/priority")
@access(*STAFF)
def priority(reference: str):
    """Change the ticket's priority."""
    return ticket_page.act(
        reference,
        "priority",
        lambda t, f: set_priority(
            t, f.priority.data, actor=current_user, expected_version=f.expected_version
        ),
        _("The priority was changed."),
    )


@bp.post("/tickets/<reference>/duplicate")
@access(*STAFF)
def duplicate(reference: str):
    """Close the ticket as a repeat of another request of the same requester."""
    return ticket_page.act(
        reference,
        "duplicate",
        lambda t, f: close_as_duplicate(
            t, f.original.data, actor=current_user, expected_version=f.expected_version
        ),
        _("The ticket was closed as a duplicate."),
    )


@bp.post("/tickets/<reference>/status")
@access(*STAFF)
def status(reference: str):
    """Move the ticket along the workflow."""
    return ticket_page.act(
        reference,
        "status",
        lambda t, f: change_status(
            t,
            f.status.data,
            note=f.note.data,
            actor=current_user,
            expected_version=f.expected_version,
        ),
        _("The status was changed."),
    )


@bp.post("/tickets/<reference>/reply")
@access(*STAFF)
def reply(reference: str):
    """Answer the requester (public)."""
    return ticket_page.act(reference, "reply", _send_reply, _("Your reply was sent."))


def _send_reply(ticket, form):
    # A canned reply inserted in the requester's language is sent in that language, not in
    # the page's: the reply is stored, shown and mailed with the language of its words.
    language = canned_language(ticket, current_user, form.body.data or "")
    with written_in(language or typed_language(form.body.data)):
        return add_reply(
            ticket,
            form.body.data,
            actor=current_user,
            expected_version=form.expected_version,
            uploads=form.checked,
        )


@bp.post("/tickets/<reference>/note")
@access(*STAFF)
def note(reference: str):
    """Add an internal note (never shown to the requester), telling the colleagues chosen."""
    return ticket_page.act(
        reference,
        "note",
        lambda t, f: add_note(
            t,
            f.body.data,
            actor=current_user,
            expected_version=f.expected_version,
            uploads=f.checked,
            tell=[ticket_page.user_or_none(v) for v in f.tell.data or []],
        ),
        _("The internal note was added."),
    )
