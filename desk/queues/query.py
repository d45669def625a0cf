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
    Select,
    bindparam,
    literal_column,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.engine import Row

from desk.auth.models import User
from desk.core.db import UTCDateTime
from desk.extensions import db
from desk.queues.cursor import encode_cursor
from desk.reference.models import Queue
from desk.sla.state import SlaState, sla_state_clause
from desk.tickets.models import Priority, Status, Ticket

if TYPE_CHECKING:
    from desk.queues.listing import QueueFilters

# Lifecycle order; written as literals so PostgreSQL matches the partial "open" indexes.
OPEN_ORDER = (
    Status.NEW,
    Status.ASSIGNED,
    Status.IN_PROGRESS,
    Status.WAITING_ON_REQUESTER,
    Status.REOPENED,
)
PRIORITY_NAMES = {
    "low": Priority.LOW,
    "normal": Priority.NORMAL,
    "high": Priority.HIGH,
    "critical": Priority.CRITICAL,
}
REFERENCE_RE = re.compile(r"^(DEM|INC)-\d{4}-\d{1,10}$", re.IGNORECASE)


@functools.cache  # SQL expressions are immutable: built once, shared by every query
def open_clause() -> ColumnElement[bool]:
    """status IN (the open statuses), with inline literals (the partial indexes' predicate)."""
    return Ticket.status.in_([literal_column(f"'{s.value}'") for s in OPEN_ORDER])


def _search_kind(q: str) -> str:
    """ "" (no search), "reference" (a ticket reference) or "text" (a LIKE pattern)."""
    if not q:
        return ""
    return "reference" if REFERENCE_RE.match(q) else "text"


def _search_value(q: str) -> str:
    if _search_kind(q) == "reference":
        return q.upper()
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


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
        f.assignee if f.assignee in ("", "unassigned") else "one",
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
    if f.assignee not in ("", "unassigned"):
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


def filter_clauses(shape: tuple) -> list[ColumnElement[bool]]:
    """The WHERE conditions of the list (queue access is checked before, by the view), with
    named bound values (`_values`)."""
    status, priority, assignee, by_type, by_site, sla, search = shape[:7]
    clauses: list[ColumnElement[bool]] = [Ticket.queue_id == bindparam("queue_id")]
    if "all" not in status:
        wanted = [Status(s) for s in status if s != "open"]
        if "open" in status:
            # Open plus finished statuses asked for explicitly.
            extra = [s for s in wanted if s not in OPEN_ORDER]
            clauses.append(or_(open_clause(), Ticket.status.in_(extra)) if extra else open_clause())
        else:
            clauses.append(Ticket.status.in_(wanted))
    if priority:
        clauses.append(Ticket.priority.in_([int(PRIORITY_NAMES[p]) for p in priority]))
    if assignee == "unassigned":
        clauses.append(Ticket.assignee_id.is_(None))
    elif assignee:
        clauses.append(Ticket.assignee_id == bindparam("assignee_id"))
    if by_type:
        clauses.append(Ticket.request_type_id == bindparam("type_id"))
    if by_site:
        clauses.append(Ticket.site_id == bindparam("site_id"))
    if sla:
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


def _due_ids(clauses: list, cursor: str, limit: int):
    """Ids of the next rows by (due date, id) after the cursor (`after_key`, `after_id`),
    tickets without a due date last.

    A row comparison cannot seek past NULLs, so after a dated cursor the dated rows and the
    undated ones are two index-ordered branches of one UNION ALL, each cut at `limit`.
    """
    due = Ticket.resolution_due_at
    base = select(Ticket.id.label("id"), due.label("due")).where(*clauses)
    # Ordered by (due, id), not id alone: all NULL here, but it is the index's own order, so
    # PostgreSQL reads it in place instead of sorting every undated row.
    undated = base.where(due.is_(None)).order_by(due, Ticket.id).limit(limit)
    if cursor == "undated":
        return undated.where(Ticket.id > bindparam("after_id")).subquery()
    seek = tuple_(due, Ticket.id) > tuple_(
        bindparam("after_key", type_=UTCDateTime()), bindparam("after_id")
    )
    dated = base.where(due.is_not(None), seek).order_by(due, Ticket.id).limit(limit)
    # The branches straight in the UNION (SQLAlchemy puts each in parentheses, as its ORDER BY
    # and LIMIT need): wrapping each in a subquery of its own cost a third of this build.
    both = union_all(dated, undated).subquery()
    # Cut to one page here, so that only those rows are read and joined to their names.
    return (
        select(both.c.id).order_by(both.c.due.asc().nulls_last(), both.c.id).limit(limit).subquery()
    )


@functools.lru_cache(maxsize=256)
def _page_statement(shape: tuple) -> Select:
    """The page's SELECT for one shape of filters, built once per process: building it
    (subqueries, the UNION of a deep page) cost more Python than running it."""
    sort, cursor, size = shape[7:]
    clauses = filter_clauses(shape)
    limit = size + 1
    page = _rows()
    ids = _due_ids(clauses, cursor, limit) if sort == "due" and cursor else None
    page = page.join(ids, ids.c.id == Ticket.id) if ids is not None else page.where(*clauses)
    if sort != "due" and cursor:
        key = tuple_(bindparam("after_key", type_=UTCDateTime()), bindparam("after_id"))
        row = tuple_(Ticket.created_at, Ticket.id)
        page = page.where(row < key if sort == "-created" else row > key)
    return page.order_by(*_order(sort)).limit(limit)


def fetch_page(queue: Queue, f: QueueFilters, now: dt.datetime) -> Page:
    """The page of tickets after `f.cursor`, in one SELECT with the related names."""
    statement = _page_statement(_shape(f))
    tickets = list(db.session.execute(statement, _values(queue, f, now)))
    next_cursor = None
    if len(tickets) > f.size:
        tickets = tickets[: f.size]
        last = tickets[-1]
        key = last.resolution_due_at if f.sort == "due" else last.created_at
        next_cursor = encode_cursor(f.sort, key, last.id)
    return Page(tickets, next_cursor)
