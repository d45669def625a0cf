"""A queue's ticket list: who may list which queue, its filter lists, and the URL's filters.

Pages are addressed by an opaque cursor (the sort key and id of the last row shown), never by
OFFSET, so page 200 costs what page 1 costs; the page's SELECT is `desk.queues.query`'s.
Unknown filter values are reported and ignored.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import (
    Date,
    String,
    bindparam,
    case,
    cast,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from desk.absences.services import away_clause
from desk.auth.models import Role, User
from desk.catalog.forms.fields import local_today
from desk.catalog.models import RequestType
from desk.core import refcache
from desk.core.collation import sort_key
from desk.core.i18n import english_page
from desk.core.input import parse_int
from desk.extensions import db
from desk.queues.cursor import decode_cursor
from desk.queues.query import PRIORITY_NAMES
from desk.reference.models import Queue, QueueMembership, Site
from desk.sla.state import SlaState
from desk.tickets.models import Status, Ticket, open_clause

SORTS = ("due", "created", "-created")
PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_SIZE = 50
MAX_SEARCH = 100


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
    if assignee in ("mine", "unassigned", "away"):
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
    raw_size = args.get("size", "")
    size = parse_int(raw_size)
    if size in PAGE_SIZES:
        f.size = size
    elif raw_size:
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


@dataclass(frozen=True)
class Option:
    """One entry of a filter list: a member, a request type or a site."""

    id: int
    key: str  # what the URL carries: slug, site code (members: their id)
    name_fr: str
    name_en: str = ""
    away: bool = False  # a member away today (desk.absences)
    held: int = 0  # a member away: how many open tickets of the queue they hold
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
    empty, no, zero = literal(""), literal(False), literal(0)
    away = away_clause(User.id, bindparam("today", type_=Date))
    # Counted for someone away only (a range of the open tickets' queue index), so that the
    # page can say how many tickets wait with someone away, in this same statement.
    held = (
        select(func.count())
        .select_from(Ticket)
        .where(
            Ticket.queue_id == bindparam("queue_id"), Ticket.assignee_id == User.id, open_clause()
        )
        .correlate(User)
        .scalar_subquery()
    )
    members = (
        select(
            literal("m").label("kind"),
            User.id,
            cast(User.id, String),
            User.display_name,
            empty,
            away.label("away"),
            case((away, held), else_=zero).label("held"),
        )
        .join(QueueMembership, QueueMembership.user_id == User.id)
        .where(
            QueueMembership.queue_id == bindparam("queue_id"),
            User.is_active_account.is_(True),
            User.role != Role.REQUESTER,
        )
    )
    types = select(
        literal("t"),
        RequestType.id,
        RequestType.slug,
        RequestType.title_fr,
        RequestType.title_en,
        no,
        zero,
    ).where(RequestType.domain_id == bindparam("domain_id"))  # routing keeps to the domain
    sites = select(
        literal("s"), Site.id, Site.code, Site.name, func.coalesce(Site.name_en, ""), no, zero
    )
    return union_all(members, types, sites)


def filter_options(queue: Queue) -> tuple[list[Option], list[Option], list[Option]]:
    """Members of the queue (with who is away today, and how many open tickets of the queue
    each of them holds), the request types of its domain (a
    ticket never leaves its domain: routing and transfers keep to it) and sites for the
    filter lists, in ONE query."""
    found: dict[str, list[Option]] = {"m": [], "t": [], "s": []}
    english = english_page()
    params = {"queue_id": queue.id, "domain_id": queue.domain_id, "today": local_today()}
    for kind, *values in db.session.execute(_options_query(), params):
        found[kind].append(
            Option(*values[:4], away=bool(values[4]), held=values[5], english_page=english)
        )
    for options in found.values():
        # By the name the reader sees, as they look it up (accents, case and numbers).
        options.sort(key=lambda o: sort_key(o.title))
    return found["m"], found["t"], found["s"]
