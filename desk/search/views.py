"""Search pages: staff across their queues, requesters within "Mes demandes"."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from desk.core.access import AUTHENTICATED, STAFF, access
from desk.core.i18n import lazy_gettext as _l
from desk.core.i18n import number
from desk.core.templating import register_nav
from desk.search.services import MAX_WORD_MATCHES, clean_query, decode_cursor, search_tickets
from desk.tickets.workflow import STATUS_LABELS

bp = Blueprint("search", __name__)

register_nav(_l("Search"), "search.staff", STAFF, 25)


def _results(*, staff: bool, endpoint: str, ticket_endpoint: str):
    query = clean_query(request.args.get("q"))
    after = request.args.get("after") or None
    notices = list(query.notices)
    if after and decode_cursor(after) is None:
        notices.append(str(_l("This page link is no longer valid: here is the first page.")))
        after = None
    page = search_tickets(current_user, query.text, staff=staff, after=after)
    if page.truncated:
        notices.append(
            str(
                _l(
                    "Many tickets contain these words: only the %(n)s most recent are ranked."
                    " Add a word to narrow the search.",
                    n=number(MAX_WORD_MATCHES),
                )
            )
        )
    return render_template(
        "search/results.html",
        q=query.text,
        page=page,
        notices=notices,
        staff=staff,
        endpoint=endpoint,
        ticket_endpoint=ticket_endpoint,
        first_page=after is not None,
        STATUS_LABELS=STATUS_LABELS,
    )


@bp.get("/recherche")
@access(*STAFF)
def staff():
    """Search every ticket of the queues the user works (admins: all), notes included."""
    return _results(staff=True, endpoint="search.staff", ticket_endpoint="queues.ticket")


@bp.get("/mes-demandes/recherche")
@access(AUTHENTICATED)
def mine():
    """Search one's own requests (what the requester may read; never internal notes)."""
    return _results(staff=False, endpoint="search.mine", ticket_endpoint="portal.detail")
