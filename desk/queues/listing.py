"""A queue's ticket list: URL filters → WHERE, keyset (seek) pagination, one query per page.

Pages are addressed by an opaque cursor (the sort key and id of the last row shown), never by
OFFSET, so page 200 costs what page 1 costs. Related names (requester, assignee, request type,
site) come in the same SELECT through joins. Unknown filter values are reported and ignored.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from typing import Any

from flask import abort
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    bindparam,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from desk.auth.models import Role, User
from desk.catalog.models import RequestType
from desk.core import refcache
from desk.core.db import UTCDateTime
from desk.extensions import db
from desk.queues.cursor import decode_cursor, encode_cursor
from desk.reference.models import Queue, QueueMembership, Site
from desk.sla.state import SlaState, sla_state_clause
from desk.tickets.models import Priority, Status, Ticket

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
SORTS = ("due", "created", "-created")
PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_SIZE = 50
MAX_SEARCH = 100
REFERENCE_RE = re.compile(r"^(DEM|INC)-\d{4}-\d{1,10}$", re.IGNORECASE)


@functools.cache  # SQL expressions are immutable: built once, shared by every query
def open_clause() -> ColumnElement[bool]:
    """status IN (the open statuses), with inline literals (the partial indexes' predicate)."""
    return Ticket.status.in_([literal_column(f"'{s.value}'") for s in OPEN_ORDER])


# The list reads queues from the per-process copy: writes to them must reach every process.
refcache.watch(Queue)


def _all_queues(session: Session) -> tuple[Queue, ...]:
    return tuple(session.scalars(select(Queue).order_by(Queue.code)))


@dataclass
class Listed:
    """A queue a user may list, with what its page needs besides the tickets."""

    queue: Queue
    targets: list[Queue]  # the active queues of its domain, where tickets may be transferred
    members: list[Option]
    request_types: list[Option]
    sites: list[Option]


def get_listed_queue_or_404(user: User, code: str) -> Listed:
    """The queue with that code if `user` works it (member, or admin), else 404; with its
    transfer targets and filter lists.

    The queues come from this process's copy (desk.core.refcache: reloaded when one changes),
    and membership is read from the members in the filter lists' query: a signed-in user is
    active and, here, staff, as every member listed there is. No query of its own, then.
    """
    if len(code) > 40 or not code.isprintable() or user.role is Role.REQUESTER:
        abort(404)
    queues = refcache.cached("queues.all", _all_queues)
    queue = next((q for q in queues if q.code == code), None)
    if queue is None:
        abort(404)
    members, types, sites = filter_options(queue)
    if not (user.role is Role.ADMIN or any(m.id == user.id for m in members)):
        abort(404)
    targets = [
        q for q in queues if q.is_active and q.id != queue.id and q.domain_id == queue.domain_id
    ]
    return Listed(queue, targets, members, types, sites)


def get_worked_queue_or_404(user: User, code: str) -> Queue:
    """The queue with that code if `user` works it (member, or admin), else 404; membership
    is read in the same query (the bulk actions, which change the queue's tickets)."""
    if len(code) > 40 or not code.isprintable() or user.role is Role.REQUESTER:
        abort(404)
    is_member = (
        select(QueueMembership.queue_id)
        .where(QueueMembership.queue_id == Queue.id, QueueMembership.user_id == user.id)
        .exists()
    )
    found = db.session.execute(
        select(Queue, is_member.label("is_member")).where(Queue.code == code)
    ).first()
    if found is None or not (user.role is Role.ADMIN or found.is_member):
        abort(404)
    return found.Queue


@dataclass
class QueueFilters:
    """The validated filters of a list URL, and what was wrong with the rest."""

    status: list[str] = field(default_factory=lambda: ["open"])
    priority: list[str] = field(default_factory=list)
    assignee: str = ""
    type: str = ""
    site: str = ""
    sla: str = ""
    q: str = ""
    sort: str = "due"
    size: int = DEFAULT_SIZE
    cursor: tuple[Any, int] | None = None
    errors: list[str] = field(default_factory=list)
    # Resolved from the values above.
    assignee_id: int | None = None
    request_type_id: int | None = None
    site_id: int | None = None

    def args(self, **overrides: Any) -> dict[str, Any]:
        """URL arguments reproducing these filters (defaults left out), without the cursor."""
        values: dict[str, Any] = {
            "status": self.status if self.status != ["open"] else None,
            "priority": self.priority or None,
            "assignee": self.assignee or None,
            "type": self.type or None,
            "site": self.site or None,
            "sla": self.sla or None,
            "q": self.q or None,
            "sort": self.sort if self.sort != "due" else None,
            "size": self.size if self.size != DEFAULT_SIZE else None,
        }
        values.update(overrides)
        return {k: v for k, v in values.items() if v not in (None, "", [])}

    @property
    def is_filtered(self) -> bool:
        return bool(self.args(sort=None, size=None))


def parse_filters(
    args: MultiDict,
    *,
    user: User,
    members: list[Option],
    request_types: list[Option],
    sites: list[Option],
) -> QueueFilters:
    """Read the list filters from the URL; unknown values are ignored with a message."""
    f = QueueFilters()
    statuses = [s for s in args.getlist("status") if s]
    if statuses:
        known = {"open", "all", *(s.value for s in Status)}
        f.status = [s for s in dict.fromkeys(statuses) if s in known] or ["open"]
        f.errors += [
            _("Unknown status “%(value)s”: this filter was ignored.", value=s)
            for s in statuses
            if s not in known
        ]
    for value in dict.fromkeys(p for p in args.getlist("priority") if p):
        if value in PRIORITY_NAMES:
            f.priority.append(value)
        else:
            f.errors.append(
                _("Unknown priority “%(value)s”: this filter was ignored.", value=value)
            )
    assignee = args.get("assignee", "").strip()
    member_ids = {str(m.id): m.id for m in members}
    if assignee in ("mine", "unassigned"):
        f.assignee = assignee
        f.assignee_id = user.id if assignee == "mine" else None
    elif assignee in member_ids:
        f.assignee, f.assignee_id = assignee, member_ids[assignee]
    elif assignee:
        f.errors.append(_("This assignee is not a member of the queue: the filter was ignored."))
    f.type, f.request_type_id = _lookup(
        args.get("type", ""),
        {t.slug: t.id for t in request_types},
        f.errors,
        _("Unknown request type"),
    )
    f.site, f.site_id = _lookup(
        args.get("site", ""), {s.code: s.id for s in sites}, f.errors, _("Unknown site")
    )
    sla = args.get("sla", "").strip()
    if sla in {s.value for s in SlaState}:
        f.sla = sla
    elif sla:
        f.errors.append(_("Unknown SLA state “%(value)s”: this filter was ignored.", value=sla))
    # Control characters (NUL...) cannot be searched for, and PostgreSQL refuses NUL.
    q = "".join(ch for ch in args.get("q", "") if ch.isprintable() or ch.isspace())
    f.q = " ".join(q.split())[:MAX_SEARCH]
    sort = args.get("sort", "due")
    if sort in SORTS:
        f.sort = sort
    else:
        f.errors.append(_("Unknown sort order: the tickets are sorted by due date."))
    size = args.get("size", "")
    if size.isdigit() and int(size) in PAGE_SIZES:
        f.size = int(size)
    elif size:
        f.errors.append(_("Unknown page size: %(n)d tickets per page are shown.", n=DEFAULT_SIZE))
    raw_cursor = args.get("after", "")
    if raw_cursor:
        f.cursor = decode_cursor(raw_cursor, f.sort)
        if f.cursor is None:
            f.errors.append(_("This page link is no longer valid: here is the first page."))
    return f


def _lookup(raw: str, known: dict[str, int], errors: list[str], label: str):
    raw = raw.strip()
    if not raw:
        return "", None
    if raw in known:
        return raw, known[raw]
    errors.append(_("%(what)s: this filter was ignored.", what=label))
    return "", None


# --- the query --------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class Option:
    """One entry of a filter list: a member, a request type or a site."""

    id: int
    key: str  # what the URL carries: slug, site code (members: their id)
    name_fr: str
    name_en: str = ""
    english_page: bool = False  # the reader's language, read once for all the lists

    @property
    def lang(self) -> str:
        """The language `title` is in (a site or type with no English name: French)."""
        return "en" if self.english_page and self.name_en else "fr"

    @property
    def title(self) -> str:
        return self.name_en if self.lang == "en" else self.name_fr

    # The names the templates and the parser use for each kind.
    slug = code = property(lambda self: self.key)
    name = display_name = title


@functools.cache
def _options_query():
    """Built once: the statement is the same for every queue but for its id."""
    empty = literal("")
    members = (
        select(literal("m").label("kind"), User.id, cast(User.id, String), User.display_name, empty)
        .join(QueueMembership, QueueMembership.user_id == User.id)
        .where(
            QueueMembership.queue_id == bindparam("queue_id"),
            User.is_active_account.is_(True),
            User.role != Role.REQUESTER,
        )
    )
    types = select(
        literal("t"), RequestType.id, RequestType.slug, RequestType.title_fr, RequestType.title_en
    )
    sites = select(literal("s"), Site.id, Site.code, Site.name, func.coalesce(Site.name_en, ""))
    return union_all(members, types, sites)


def filter_options(queue: Queue) -> tuple[list[Option], list[Option], list[Option]]:
    """Members of the queue, request types and sites for the filter lists, in ONE query."""
    found: dict[str, list[Option]] = {"m": [], "t": [], "s": []}
    locale = get_locale()
    english = locale is not None and locale.language == "en"
    for kind, *values in db.session.execute(_options_query(), {"queue_id": queue.id}):
        found[kind].append(Option(*values, english_page=english))
    for options in found.values():
        options.sort(key=lambda o: o.name_fr.casefold())
    return found["m"], found["t"], found["s"]
