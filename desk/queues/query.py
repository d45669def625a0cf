"""The SQL of a queue's ticket list: filters → WHERE, keyset (seek) pagination, one SELECT
per page with the related names, built once per shape of filters.

`desk.queues.listing` reads and checks the URL (`QueueFilters`); this module turns them into
the page's statement (`_page_statement(_shape(f))`) and its bound values (`_values`).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Select,
    bindparam,
    false,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
)
from sqlalchemy.engine import Row

from desk.absences.services import away_clause
from desk.auth.models import User
from desk.catalog.forms.fields import local_today
from desk.core.db import UTCDateTime
from desk.core.input import contains_pattern
from desk.extensions import db
from desk.queues.cursor import encode_cursor
from desk.reference.models import Queue
from desk.sla.state import SlaState, sla_state_clause
from desk.tickets.models import OPEN_STATUSES, Priority, Status, Ticket, open_clause, status_in

if TYPE_CHECKING:
    from desk.queues.listing import QueueFilters

PRIORITY_NAMES = {
    "low": Priority.LOW,
    "normal": Priority.NORMAL,
    "high": Priority.HIGH,
    "critical": Priority.CRITICAL,
}
REFERENCE_RE = re.compile(r"^(DEM|INC)-\d{4}-\d{1,10}$", re.IGNORECASE)


def _search_kind(q: str) -> str:
    """ "" (no search), "reference" (a ticket reference) or "text" (a LIKE pattern)."""
    if not q:
        return ""
    return "reference" if REFERENCE_RE.match(q) else "text"


def _search_value(q: str) -> str:
    if _search_kind(q) == "reference":
        return q.upper()
    return contains_pattern(q)


def _search_clause(kind: str) -> ColumnElement[bool]:
    if kind == "reference":
        return Ticket.reference == bindparam("search")
    pattern = bindparam("search")
    people = select(User.id).where(
        or_(User.display_name.ilike(pattern, escape="\\"), User.email.ilike(pattern, escape="\\"))
    )
    return or_(
        Ticket.reference.ilike(pattern, escape="\\"),
        Ticket.subject.ilike(pattern, escape="\\"),
        Ticket.requester_id.in_(people.scalar_subquery()),
    )


def _shape(f: QueueFilters) -> tuple:
    """What decides a list page's statement, as opposed to the values it runs with: pages of
    the same shape (any queue, user, search text or cursor) share one statement."""
    return (
        tuple(sorted(f.status)),
        tuple(sorted(f.priority)),
        f.assignee if f.assignee in ("", "unassigned", "away") else "one",
        f.request_type_id is not None,
        f.site_id is not None,
        f.sla,
        _search_kind(f.q),
        f.sort,
        None if f.cursor is None else ("undated" if f.cursor[0] is None else "after"),
        f.size,
    )


def _values(queue: Queue, f: QueueFilters, now: dt.datetime) -> dict[str, Any]:
    """The bound values of the page's statement (`_page_statement(_shape(f))`)."""
    values: dict[str, Any] = {"queue_id": queue.id, "now": now}
    if f.assignee == "away":
        values["today"] = local_today()
    elif f.assignee not in ("", "unassigned"):
        values["assignee_id"] = f.assignee_id
    if f.request_type_id is not None:
        values["type_id"] = f.request_type_id
    if f.site_id is not None:
        values["site_id"] = f.site_id
    if f.q:
        values["search"] = _search_value(f.q)
    if f.cursor is not None:
        values["after_key"], values["after_id"] = f.cursor
    return values


def _only_finished(status: tuple[str, ...]) -> bool:
    """Whether the status filter keeps finished tickets only (resolved, closed, cancelled)."""
    return "all" not in status and "open" not in status and not OPEN_STATUSES & set(status)


def filter_clauses(shape: tuple) -> list[ColumnElement[bool]]:
    """The WHERE conditions of the list (queue access is checked before, by the view), with
    named bound values (`_values`)."""
    status, priority, assignee, by_type, by_site, sla, search = shape[:7]
    clauses: list[ColumnElement[bool]] = [Ticket.queue_id == bindparam("queue_id")]
    if "all" not in status:
        wanted = [Status(s) for s in status if s != "open"]
        if "open" in status:
            # Open plus finished statuses asked for explicitly.
            extra = [s for s in wanted if s not in OPEN_STATUSES]
            clauses.append(or_(open_clause(), status_in(extra)) if extra else open_clause())
        else:
            clauses.append(status_in(wanted))
    if priority:
        # Written inline too (numbers from PRIORITY_NAMES): the generic plan knows them.
        levels = sorted(int(PRIORITY_NAMES[p]) for p in priority)
        clauses.append(Ticket.priority.in_([literal_column(str(level)) for level in levels]))
    if assignee == "unassigned":
        clauses.append(Ticket.assignee_id.is_(None))
    elif assignee == "away":
        # Held by someone away today (desk.absences): nobody works them until they return.
        clauses.append(away_clause(Ticket.assignee_id, bindparam("today", type_=Date)))
    elif assignee:
        clauses.append(Ticket.assignee_id == bindparam("assignee_id"))
    if by_type:
        clauses.append(Ticket.request_type_id == bindparam("type_id"))
    if by_site:
        clauses.append(Ticket.site_id == bindparam("site_id"))
    if sla:
        if sla != SlaState.NONE and _only_finished(status):
            # An SLA state other than "none" is an open ticket's: finished statuses only
            # match nothing, and PostgreSQL would read the queue's history to find that out.
            return [false()]
        clauses.append(sla_state_clause(SlaState(sla), bindparam("now", type_=UTCDateTime())))
    if search:
        clauses.append(_search_clause(search))
    return clauses


@dataclass
class Page:
    """One page of a queue list: rows of `TICKET_COLUMNS` and the two names, and the cursor of
    the next page."""

    tickets: list[Row]
    next_cursor: str | None


# Table aliases (not ORM ones, which would configure every mapper at import).
_requester = User.__table__.alias("requester")
_assignee = User.__table__.alias("assignee")
# What a list row shows, as plain rows (no ORM entities: building and tracking 200 objects
# per page cost more than the query). Request types and sites are named from the filter lists
# (`filter_options`, which hold them all); people's names are joined to the page's rows.
TICKET_COLUMNS = (
    Ticket.id,
    Ticket.reference,
    Ticket.subject,
    Ticket.language,
    Ticket.status,
    Ticket.priority,
    Ticket.version,
    Ticket.requester_id,
    Ticket.assignee_id,
    Ticket.request_type_id,
    Ticket.site_id,
    Ticket.created_at,
    Ticket.resolution_due_at,
    Ticket.resolution_warn_at,
    Ticket.sla_paused_since,
    # The first answer's deadline, while none was given, counts in the row's SLA state.
    Ticket.first_response_due_at,
    Ticket.first_response_warn_at,
    Ticket.first_responded_at,
)


def _order(sort: str) -> tuple:
    if sort == "due":
        return (Ticket.resolution_due_at.asc().nulls_last(), Ticket.id.asc())
    if sort == "-created":
        return (Ticket.created_at.desc(), Ticket.id.desc())
    return (Ticket.created_at.asc(), Ticket.id.asc())


@functools.cache  # a Select is immutable (`.where()` returns a copy): built once
def _rows() -> Select:
    """The list's columns with the requester's and assignee's names."""
    return (
        select(
            *TICKET_COLUMNS,
            _requester.c.display_name.label("requester_name"),
            _assignee.c.display_name.label("assignee_name"),
        )
        .outerjoin(_requester, _requester.c.id == Ticket.requester_id)
        .outerjoin(_assignee, _assignee.c.id == Ticket.assignee_id)
    )


def _seek(sort: str, cursor: str) -> list[ColumnElement[bool]]:
    """Where the page after the cursor (`after_key`, `after_id`) starts, as index seeks.

    Sorted by due date, tickets without one come last. A row comparison cannot seek past
    NULLs, so after a dated cursor the page holds the next dated rows only, and `fetch_page`
    completes the page where they run out with the first undated ones (`_undated_statement`);
    after an undated cursor, the next undated rows by id.
    """
    after_key = bindparam("after_key", type_=UTCDateTime())
    after_id = bindparam("after_id")
    due = Ticket.resolution_due_at
    if sort == "due" and cursor == "undated":
        return [due.is_(None), Ticket.id > after_id]
    if sort == "due":
        return [due.is_not(None), tuple_(due, Ticket.id) > tuple_(after_key, after_id)]
    row, key = tuple_(Ticket.created_at, Ticket.id), tuple_(after_key, after_id)
    return [row < key if sort == "-created" else row > key]


@functools.lru_cache(maxsize=256)
def _page_statement(shape: tuple) -> Select:
    """The page's SELECT for one shape of filters, built once per process: building it cost
    more Python than running it. Each is one index-ordered read from the cursor on, cut at
    one row more than the page (to know whether another page follows).

    The limit is written into the SQL, not sent as a parameter: with `LIMIT $n` PostgreSQL
    never settles on a generic plan for the prepared statement (it assumes an unknown limit
    reads a tenth of the table) and plans every execution again."""
    sort, cursor, size = shape[7:]
    page = _rows().where(*filter_clauses(shape))
    if cursor:
        page = page.where(*_seek(sort, cursor))
    return page.order_by(*_order(sort)).limit(literal(size + 1, literal_execute=True))


@functools.lru_cache(maxsize=256)
def _undated_statement(filters: tuple) -> Select:
    """The first `rest` tickets without a due date (they follow every dated one)."""
    page = _rows().where(*filter_clauses(filters), Ticket.resolution_due_at.is_(None))
    rest = bindparam("rest", type_=Integer(), literal_execute=True)  # inline: see _page_statement
    return page.order_by(*_order("due")).limit(rest)


def fetch_page(queue: Queue, f: QueueFilters, now: dt.datetime) -> Page:
    """The page of tickets after `f.cursor`, with the related names: one SELECT, and a second
    on the one page where the dated tickets run out after a dated cursor.

    (One UNION ALL of both read the undated branch on every deep page, and PostgreSQL's merge
    of the two cost half a millisecond more per page than the first page's plain read.)
    """
    shape = _shape(f)
    values = _values(queue, f, now)
    limit = f.size + 1
    tickets = list(db.session.execute(_page_statement(shape), values))
    if len(tickets) < limit and f.sort == "due" and shape[8] == "after":
        values["rest"] = limit - len(tickets)
        tickets += db.session.execute(_undated_statement(shape[:7]), values)
    next_cursor = None
    if len(tickets) > f.size:
        tickets = tickets[: f.size]
        last = tickets[-1]
        key = last.resolution_due_at if f.sort == "due" else last.created_at
        next_cursor = encode_cursor(f.sort, key, last.id)
    return Page(tickets, next_cursor)
