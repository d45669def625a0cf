"""Searching tickets: one query per page, ranked, keyset-paged, inside the access rule.

Staff search the full document (internal notes too) of the tickets they work on (their queues;
admins: all) — AND the visibility rule, so it never widens what a user may see. Requesters
search the public document of their own tickets. A ticket is found by any of:
- its words, French-stemmed and accent-folded (PostgreSQL full text, `french_unaccent`);
- its reference, whole (unique index) or a piece of it with a digit (trigram index);
- a piece of its requester's name or e-mail address (trigram index on users).
On SQLite every word must appear in the folded document (LIKE), newest first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import (
    ColumnElement,
    Float,
    and_,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import joinedload

from desk.auth.models import Role, User
from desk.core import keyset
from desk.core.i18n import lazy_gettext as _l
from desk.core.input import contains_pattern
from desk.extensions import db
from desk.search.indexing import CONFIG, fold
from desk.search.models import TicketSearch
from desk.tickets.access import followed_clause, worked_clause
from desk.tickets.models import Ticket
from desk.tickets.references import REFERENCE

MAX_QUERY = 200  # characters searched; the rest is dropped with a message
PER_PAGE = 25
MAX_NAME_MATCHES = 50  # requesters matched by a piece of name, best first
MAX_WORD_MATCHES = 1000  # newest tickets ranked for a word (or piece of reference)
REFERENCE_RE = re.compile(rf"^{REFERENCE}$", re.IGNORECASE)  # every reference desk writes
# Weights of the other ways to match, against ts_rank's 0..1 for words.
EXACT_REFERENCE, PARTIAL_REFERENCE, PARTIAL_NAME = 100.0, 2.0, 0.5


@dataclass
class SearchQuery:
    """The cleaned text searched, and what the user should be told about it."""

    text: str = ""
    notices: list[str] = field(default_factory=list)


def clean_query(raw: str | None) -> SearchQuery:
    """Any string is a search: control characters dropped, spaces collapsed, length capped."""
    raw = raw or ""
    if len(raw) > MAX_QUERY * 4:
        raw = raw[: MAX_QUERY * 4]  # never walk a megabyte character by character below
    printable = "".join(c if c.isprintable() else " " for c in raw)
    cleaned = " ".join(printable.split())
    query = SearchQuery(cleaned[:MAX_QUERY])
    if len(cleaned) > MAX_QUERY or len(raw) >= MAX_QUERY * 4:
        query.notices.append(
            str(
                _l(
                    "Only the first %(n)d characters of the search were used.",
                    n=MAX_QUERY,
                )
            )
        )
        query.text = query.text.rstrip()
    return query


@dataclass
class Hit:
    """One ticket found, with its relevance."""

    ticket: Ticket
    rank: float


@dataclass
class ResultPage:
    """A page of results and the cursor of the next one (None on the last page)."""

    hits: list[Hit]
    next_cursor: str | None
    # More tickets contain these words than are ranked (see _word_ids).
    truncated: bool = False


def encode_cursor(rank: float, ticket_id: int) -> str:
    return keyset.encode_cursor(rank, ticket_id)


def decode_cursor(token: str | None) -> tuple[float, int] | None:
    """(rank, id) from a token of `encode_cursor`, else None (then the first page is shown)."""
    return keyset.decode_cursor(token, (float, int))  # type: ignore[return-value]


def _scope(user: User, *, staff: bool) -> ColumnElement[bool]:
    """Staff: tickets of their queues; requester view: the tickets they follow as a requester
    does, their own and those they are in copy of ("Mes demandes").

    Both are parts of the one rule (`visibility_clause` is their OR). The staff scope is not
    ANDed with the whole rule, which adds nothing to it: PostgreSQL, planning for the OR's
    sub-selects, read every ticket of the queue to find a reference (bench/search.py).
    """
    return worked_clause(user) if staff else followed_clause(user)


def _word_condition(q: str, column, *, postgres: bool):
    if postgres:
        return column.op("@@")(_tsquery(q))
    words = [w for w in fold(q).split() if w]
    conditions = [column.like(contains_pattern(w), escape="\\") for w in words[:20]]
    return and_(*conditions) if conditions else literal(False)


def _tsquery(q: str):
    return func.websearch_to_tsquery(literal_column(f"'{CONFIG}'::regconfig"), q)


def _word_ids(q: str, user: User, *, staff: bool, postgres: bool) -> tuple[list[int], bool]:
    """The newest MAX_WORD_MATCHES tickets whose words match, and whether there were more.

    Ranking reads every matching document: for a word found in 100,000 tickets that is
    seconds, so only the newest matches are ranked and the user is asked to add a word.
    A requester's own tickets are few: their scope is applied here, before the cap.
    """
    column = TicketSearch.document if staff else TicketSearch.public_document
    query = select(TicketSearch.ticket_id).where(_word_condition(q, column, postgres=postgres))
    if not staff:
        query = query.join(Ticket, Ticket.id == TicketSearch.ticket_id).where(
            _scope(user, staff=False)
        )
    ids = list(
        db.session.scalars(
            query.order_by(TicketSearch.ticket_id.desc()).limit(MAX_WORD_MATCHES + 1)
        )
    )
    return ids[:MAX_WORD_MATCHES], len(ids) > MAX_WORD_MATCHES


def _matches(q: str, word_ids: list[int], *, staff: bool, postgres: bool):
    """(ticket_id, rank) of every way the text matches; a ticket may come more than once."""
    column = TicketSearch.document if staff else TicketSearch.public_document
    score = func.ts_rank(column, _tsquery(q)) if postgres else literal(1.0)
    rank = cast(score, Float)
    branches = [
        select(TicketSearch.ticket_id.label("ticket_id"), rank.label("rank")).where(
            TicketSearch.ticket_id.in_(word_ids) if word_ids else literal(False)
        )
    ]
    if REFERENCE_RE.match(q):
        branches.append(
            select(Ticket.id, cast(literal(EXACT_REFERENCE), Float)).where(
                Ticket.reference == q.upper()
            )
        )
    elif len(q) >= 3 and any(c.isdigit() for c in q):
        pieces = (
            select(Ticket.id)
            .where(Ticket.reference.ilike(contains_pattern(q), escape="\\"))
            .order_by(Ticket.id.desc())
            .limit(MAX_WORD_MATCHES)
        )
        branches.append(
            select(Ticket.id, cast(literal(PARTIAL_REFERENCE), Float)).where(
                Ticket.id.in_(pieces.scalar_subquery())
            )
        )
    if len(q) >= 3:
        pattern = contains_pattern(q)
        people = (
            select(User.id)
            .where(
                or_(
                    User.display_name.ilike(pattern, escape="\\"),
                    User.email.ilike(pattern, escape="\\"),
                )
            )
            .order_by(func.length(User.display_name), User.id)
            .limit(MAX_NAME_MATCHES)
        )
        branches.append(
            select(Ticket.id, cast(literal(PARTIAL_NAME), Float)).where(
                Ticket.requester_id.in_(people.scalar_subquery())
            )
        )
    return union_all(*branches).subquery("matches")


def search_tickets(
    user: User, raw_query: str, *, staff: bool, after: str | None = None, per_page: int = PER_PAGE
) -> ResultPage:
    """A page of the tickets matching `raw_query` that `user` may search, best first."""
    q = raw_query
    if not q or (staff and user.role is Role.REQUESTER):
        return ResultPage([], None)
    postgres = db.session.get_bind().dialect.name == "postgresql"
    word_ids, truncated = _word_ids(q, user, staff=staff, postgres=postgres)
    matches = _matches(q, word_ids, staff=staff, postgres=postgres)
    ranked = (
        select(matches.c.ticket_id, func.max(matches.c.rank).label("rank"))
        .group_by(matches.c.ticket_id)
        .subquery("ranked")
    )
    # Ids and ranks first (a narrow query the planner settles quickly), then the page's
    # tickets with their names in a second one.
    query = (
        select(Ticket.id, ranked.c.rank)
        .join(ranked, ranked.c.ticket_id == Ticket.id)
        .where(_scope(user, staff=staff))
    )
    position = decode_cursor(after)
    if position is not None:
        rank, ticket_id = position
        query = query.where(
            or_(ranked.c.rank < rank, and_(ranked.c.rank == rank, Ticket.id < ticket_id))
        )
    rows = db.session.execute(
        query.order_by(ranked.c.rank.desc(), Ticket.id.desc()).limit(per_page + 1)
    ).all()
    page_ids = [row.id for row in rows[:per_page]]
    tickets = {
        t.id: t
        for t in db.session.scalars(
            select(Ticket)
            .where(Ticket.id.in_(page_ids))
            .options(
                joinedload(Ticket.requester),
                joinedload(Ticket.queue),
                joinedload(Ticket.request_type),
            )
        )
    }
    hits = [Hit(tickets[row.id], float(row.rank)) for row in rows[:per_page]]
    next_cursor = None
    if len(rows) > per_page:
        last = hits[-1]
        next_cursor = encode_cursor(last.rank, last.ticket.id)
    return ResultPage(hits, next_cursor, truncated)
