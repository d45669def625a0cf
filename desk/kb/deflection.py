"""The answer before the ticket: articles offered where people ask.

The catalogue's search shows matching articles above its entries; a form shows the
articles of its entry and category, suggestions as the requester types (static/kb.js) and,
without JavaScript, a "check these first" step before the ticket is created.
"""

from __future__ import annotations

from wtforms import TextAreaField

from desk.auth.models import User
from desk.catalog.models import RequestType
from desk.kb.models import Article
from desk.kb.search import Hit
from desk.kb.services import (
    articles_for_request_type,
    record_search,
    search_articles,
    searched_text,
)

CHECK_FIRST_LIMIT = 4


def _reader(user: User | None) -> User | None:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


# The session key where the suggestions remember the search a pause in the catalogue's box
# counted (static/kb.js): pressing Enter then sends that same search to the catalogue.
PAUSE_COUNTED = "kb_pause_counted"


def catalogue_articles(
    query: str, user: User | None, *, limit: int = 3, counted: str | None = None
) -> list[Hit]:
    """Articles above the catalogue's entries for a submitted search; the search is counted,
    unless it is `counted`: the one a pause in the search box already counted (one search,
    not two, in the report)."""
    if not query.strip():
        return []
    found = search_articles(query, _reader(user), limit=limit)
    if counted is None or searched_text(counted).casefold() != searched_text(query).casefold():
        record_search(query, len(found), _reader(user))
    return found


def typed_text(form) -> str:
    """What the requester wrote in the form's free-text fields (and its one-line subject,
    for the catch-all form: "l'imprimante n'imprime plus" says it all)."""
    parts = [
        str(f.data)
        for f in form
        if (isinstance(f, TextAreaField) or f.name == "summary") and isinstance(f.data, str)
    ]
    return " ".join(p for p in parts if p.strip())[:2000]


def check_first(user: User | None, request_type: RequestType, text: str) -> list[Article]:
    """Articles to read before sending: those matching the typed text, else the entry's.

    Not counted as a search: the report's gaps, which every technician reads, showed what
    requesters wrote in any form, whatever its queue (a health matter in an HR form)."""
    found = [h.article for h in search_articles(text, _reader(user), limit=CHECK_FIRST_LIMIT)]
    return found or articles_for_request_type(_reader(user), request_type, CHECK_FIRST_LIMIT)
