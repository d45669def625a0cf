"""The service catalogue: browse and search entries, fill a form, see the confirmation."""

from __future__ import annotations

import json
import secrets
from dataclasses import replace

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from desk.auth.models import Role, User
from desk.catalog.forms import FORMS, DataRow, RequestForm, form_class
from desk.catalog.forms.wifi_guests import guest_columns
from desk.catalog.models import RequestType
from desk.catalog.parsing import format_phone_display, guest_csv_template, guest_headings
from desk.catalog.services import (
    catalogue,
    catch_all,
    filed_by,
    get_active_request_type,
    may_use,
    search_text,
)
from desk.core.access import AUTHENTICATED, access
from desk.core.errors import render_error
from desk.core.i18n import english_page, page_language
from desk.core.i18n import lazy_gettext as _l
from desk.core.limits import count_submission, submit_limit
from desk.core.templating import register_nav
from desk.extensions import db
from desk.kb.deflection import PAUSE_COUNTED, catalogue_articles, check_first, typed_text
from desk.tickets.access import can_work
from desk.tickets.models import OPEN_STATUSES, Intake, Ticket
from desk.tickets.services import NewTicket, create_ticket, find_by_token
from desk.tickets.subjects import join_marked

bp = Blueprint("catalog", __name__)

register_nav(_l("Service catalogue"), "catalog.index", tuple(Role), 10)

_MAX_TOKEN = 100
# The session's record of the token of the last request filed from each entry's form.
_SENT = "catalog_sent"
_MAX_SENT = 30


@bp.app_template_global()
def ticket_data_rows(ticket: Ticket) -> list[DataRow]:
    """A ticket's form data as labelled rows, with the labels of its entry's form."""
    cls = form_class(ticket.request_type.form_key) if ticket.request_type else None
    rows = (cls or RequestForm).describe(ticket.data or {})
    if ticket.site is not None:
        # The data keep the place as its requester read it; the reader gets it in their own
        # language, from the ticket's place, as the page's details give it.
        places = [p for p in (ticket.site, ticket.building, ticket.floor) if p is not None]
        here = " › ".join(p.local_name for p in places)
        rows = [replace(r, value=here) if r.name == "place" else r for r in rows]
    return _typed_marked(rows, ticket)


def _typed_marked(rows: list[DataRow], ticket: Ticket) -> list[DataRow]:
    """The rows shown as the requester typed them (not a date, a choice or yes/no, which are
    drawn in the reader's language) marked with the ticket's language when it is not the
    page's (RGAA 8.7): the subject's "Journée doctorale" was, the same words in the data not."""
    language = ticket.language
    if not language or language == page_language():
        return rows
    data = ticket.data or {}
    return [
        replace(r, value=join_marked([(r.value, language)]))
        if r.kind in ("text", "multiline") and r.value == data.get(r.name)
        else r
        for r in rows
    ]


@bp.app_template_global()
def phone_display(e164: str) -> str:
    """An E.164 number as people write it (04 67 14 12 34 for French numbers)."""
    return format_phone_display(e164)


@bp.app_template_global()
def guest_table_columns() -> list[tuple[str, str]]:
    """Columns of the Wi-Fi guest table."""
    return guest_columns()


@bp.get("/catalogue")
@access(AUTHENTICATED)
def index():
    """The catalogue grouped by domain and category; `?q=` filters it without JavaScript."""
    query = request.args.get("q", "").strip()[:100]
    for_user = behalf_requester(request.args.get("pour"))
    # Staff filing for someone answer from experience: no article suggestions to count.
    # Used once, by the page the search box was on (its Enter), whatever was searched then.
    counted = session.pop(PAUSE_COUNTED) if PAUSE_COUNTED in session else None
    kb_hits = catalogue_articles(query, current_user, counted=counted) if for_user is None else []
    if query and for_user is None:
        db.session.commit()  # the search is counted for the knowledge-base report
    return render_template(
        "catalog/index.html",
        groups=catalogue(query),
        query=query,
        search_text=search_text,
        kb_hits=kb_hits,
        for_user=for_user,
        # Offered with "No entry matches your search" (the live filter shows it too).
        catch_all=catch_all(for_user or current_user),
    )


@bp.route("/catalogue/<slug>", methods=["GET", "POST"])
@access(AUTHENTICATED)
@submit_limit
def request_form(slug: str):
    """Show a catalogue entry's form; on a valid submission create the ticket."""
    request_type = get_active_request_type(slug)
    cls = form_class(request_type.form_key) if request_type else None
    if request_type is None or cls is None or not cls.in_catalogue:
        abort(404)
    # The user itself, not the proxy: the form, the ticket and its outbox rows read it dozens
    # of times, each through Flask-Login's lookup, and the ORM would hold the proxy.
    actor: User = current_user._get_current_object()
    for_user = behalf_requester(request.args.get("pour"))
    user = for_user or actor  # the requester: staff may file for someone else
    if not may_use(user, request_type):
        if for_user is not None:
            message = _("This request is reserved for university staff; %(name)s cannot use it.")
            return render_error(403, message % {"name": for_user.display_name})
        return render_error(
            403, _("This request is reserved for university staff; students cannot use it.")
        )
    if for_user is not None:
        cls = behalf_form(cls)
    form = cls(request_type=request_type, user=user)
    token = (form.idempotency_token.data or "")[:_MAX_TOKEN]
    form.prepare(fresh=not form.is_submitted())
    if not token:
        # A form page is drawn with the token of the last request sent from it in this
        # session: "Back" from its confirmation fetches the page again (nothing is cached),
        # and "Send" again must give that request, not file it twice, also without JavaScript.
        kept = None if form.is_submitted() else _sent_tokens().get(slug)
        form.idempotency_token.data = kept or secrets.token_urlsafe(24)
    refresh = getattr(form, "refresh", None)
    if form.is_submitted() and refresh is not None and refresh.data:
        # "Refresh lists" only narrows the place lists: no validation, nothing saved.
        return _form_page(form, request_type, for_user)
    if form.validate_on_submit():
        if for_user is not None:
            received = Intake(form.intake.data)
            new = form.new_ticket(token=form.idempotency_token.data, received=received)
            ticket, created = _create(new, actor=actor, slug=slug)
            return _confirm(ticket, created)
        if not request.form.get("kb_checked") and not _has_files():
            # Without JavaScript the articles were not suggested while typing: offer them
            # once, before the ticket exists ("I still need help" posts the form again).
            kb_check = check_first(user, request_type, typed_text(form))
            if kb_check:
                db.session.commit()
                return render_template(
                    "catalog/form.html", form=form, request_type=request_type, kb_check=kb_check
                )
        ticket, created = _create(
            form.new_ticket(token=form.idempotency_token.data, language=page_language()),
            actor=user,
            slug=slug,
        )
        return _confirm(ticket, created)
    if form.is_submitted() and token:
        # A second click on "Send" whose form no longer validates (the first one's ticket
        # exists): its confirmation, not errors. A valid second click never gets here:
        # create_ticket finds the first ticket through the token's unique key, which spares
        # every submission a look-up before its INSERT.
        done = find_by_token(user, token)
        if done is not None:
            return _confirm(done, False)
    return _form_page(form, request_type, for_user), 400 if form.errors else 200


def _create(new: NewTicket, *, actor: User, slug: str) -> tuple[Ticket, bool]:
    """create_ticket; a token that comes back with other entries is a new request.

    A form page reached again by "Back" carries the token its request was sent with (the
    session's, and static/catalog.js puts back the tab's own), so that "Send" again gives the
    first ticket, not a second one; a request changed before it is sent again, or sent again
    once the first is closed, is another one and gets its own token."""
    if new.token and new.token == _sent_tokens().get(slug):
        # Known to be spent: look it up rather than have the INSERT refused.
        done = find_by_token(new.requester, new.token)
        if done is not None and _same_request(done, new):
            return done, False
        if done is not None:
            new = replace(new, token=secrets.token_urlsafe(24))
    ticket, created = create_ticket(new, actor=actor)
    if not created and not _same_request(ticket, new):
        new = replace(new, token=secrets.token_urlsafe(24))
        ticket, created = create_ticket(new, actor=actor)
    _remember_sent(slug, new.token)
    return ticket, created


def _same_request(ticket: Ticket, new: NewTicket) -> bool:
    # Through JSON, as the ticket's data were stored: tuples become lists, keys strings.
    return (
        ticket.request_type_id == new.request_type.id
        and ticket.status in OPEN_STATUSES
        and ticket.data == json.loads(json.dumps(new.data))
    )


def _confirm(ticket: Ticket, created: bool) -> Response:
    """The confirmation of the ticket a submission gave; one sent again says so."""
    if created:
        count_submission()
    else:
        flash(
            _(
                "This request had already been sent (%(reference)s): "
                "it was not sent a second time.",
                reference=ticket.reference,
            ),
            "info",
        )
    return redirect(url_for("catalog.confirmation", reference=ticket.reference))


def _sent_tokens() -> dict[str, str]:
    sent = session.get(_SENT)
    return sent if isinstance(sent, dict) else {}


def _remember_sent(slug: str, token: str | None) -> None:
    """Keep `token` as the one the form of `slug` is drawn with from now on (the latest
    few forms only: the session is a cookie)."""
    if not token:
        return
    sent = {k: v for k, v in _sent_tokens().items() if k != slug}
    sent[slug] = token
    session[_SENT] = dict(list(sent.items())[-_MAX_SENT:])


def _form_page(form: RequestForm, request_type: RequestType, for_user: User | None) -> str:
    return render_template(
        "catalog/form.html", form=form, request_type=request_type, for_user=for_user
    )


def _has_files() -> bool:
    # A re-shown form cannot keep its files: no "check these first" step once files are sent.
    return any(f.filename for f in request.files.values())


@bp.get("/catalogue/confirmation/<reference>")
@access(AUTHENTICATED)
def confirmation(reference: str):
    """The reference of the new ticket and what happens next, for its requester, or for the
    staff member who filed it for them (who may not work the queue it went to)."""
    ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference[:40]))
    if ticket is None:
        abort(404)
    if ticket.requester_id == current_user.id:
        return render_template("catalog/confirmation.html", ticket=ticket)
    if filed_by(ticket, current_user):
        return render_template(
            "catalog/behalf_done.html", ticket=ticket, can_work=can_work(current_user, ticket)
        )
    abort(404)


@bp.get("/catalogue/modele-invites.csv")
@access(AUTHENTICATED)
def guest_template():
    """A sample guest file in the reader's language; UTF-8 with a BOM so that Excel opens it
    correctly."""
    english = english_page()
    name = "guests-sample.csv" if english else "modele-invites.csv"
    return Response(
        guest_csv_template(guest_headings(), "," if english else ";").encode("utf-8-sig"),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )


__all__ = ["FORMS", "bp"]

from desk.catalog import admin  # noqa: E402,F401 - the admin pages share this blueprint
from desk.catalog.behalf import behalf_form, behalf_requester  # noqa: E402
