"""Catalogue queries, routing, and the admin changes to catalogue entries."""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from desk.auth.models import User
from desk.auth.services import name_or_email_contains
from desk.catalog import (
    cache,
    loading,  # noqa: F401 - registers the reference-file sections
)
from desk.catalog.cache import Rule
from desk.catalog.models import RequestType, RoutingRule
from desk.core.collation import sort_key
from desk.extensions import db
from desk.identity.directory import Directory
from desk.identity.people import Person
from desk.identity.services import search_directory
from desk.reference.models import Category, Domain, Queue, QueueMembership
from desk.tickets.models import EventKind, Ticket, TicketEvent

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------
# Routing
# --------------------------------------------------------------------------------------


def rule_matches(rule: RoutingRule | Rule, request_type: RequestType, site_id: int | None) -> bool:
    """Does `rule` apply to a ticket of `request_type` at `site_id`? Empty = any."""
    return (
        (rule.request_type_id is None or rule.request_type_id == request_type.id)
        and (rule.category_id is None or rule.category_id == request_type.category_id)
        and (rule.kind is None or rule.kind == request_type.kind)
        and (rule.site_id is None or rule.site_id == site_id)
    )


def route(request_type: RequestType, *, site_id: int | None = None) -> Queue:
    """The queue of a new ticket: the first matching active rule, else the default queue (an
    open one of the domain if that is closed).

    A rule may only move a ticket to another active queue of the entry's own domain, so a
    broad rule (e.g. "everything at Triolet") can never send an HR request to an IT queue.
    Rules and queues come from the process's copy (desk.catalog.cache): no query.
    """
    kept = cache.catalogue()
    for rule in kept.rules:
        if not rule_matches(rule, request_type, site_id):
            continue
        target = kept.queues.get(rule.queue_id)
        if target is not None and target.is_active and target.domain_id == request_type.domain_id:
            return cache.attach(target)
    default = cache.queue(request_type.default_queue_id) or request_type.default_queue
    if default.is_active:
        return default
    return _instead_of_closed(request_type, default, kept)


def _instead_of_closed(request_type: RequestType, closed: Queue, kept: cache.Catalogue) -> Queue:
    """An entry whose default queue was closed (the admin refuses it, but the reference file
    or a change racing it may not): a new request sent there would wait where nobody looks.
    It goes to an open queue of the entry's domain instead, one with members first, and the
    log says so, for the admin to give the entry its queue."""
    open_queues = sorted(
        (q for q in kept.queues.values() if q.is_active and q.domain_id == request_type.domain_id),
        key=lambda q: q.code,
    )
    staffed = set(
        db.session.scalars(
            select(QueueMembership.queue_id)
            .join(User, User.id == QueueMembership.user_id)
            .where(
                QueueMembership.queue_id.in_([q.id for q in open_queues]),
                User.is_active_account.is_(True),
            )
            .distinct()
        )
    )
    chosen = next((q for q in open_queues if q.id in staffed), None) or next(
        iter(open_queues), None
    )
    if chosen is None:
        log.error(
            "catalogue entry %s routes to closed queue %s and its domain has no open queue",
            request_type.slug,
            closed.code,
        )
        return closed
    log.warning(
        "catalogue entry %s routes to closed queue %s: new request sent to %s instead",
        request_type.slug,
        closed.code,
        chosen.code,
    )
    return cache.attach(chosen)


# --------------------------------------------------------------------------------------
# Catalogue
# --------------------------------------------------------------------------------------


@dataclass
class CatalogueCategory:
    category: Category
    entries: list[RequestType] = field(default_factory=list)


@dataclass
class CatalogueDomain:
    domain: Domain
    categories: list[CatalogueCategory] = field(default_factory=list)


def fold(text: str) -> str:
    """Lower case without accents, for a search that forgives "reseau" for "réseau"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# Apostrophes separate words ("l'imprimante": "l", "imprimante"); other punctuation joins
# them ("Wi-Fi": "wifi"). static/catalog.js applies the same rule to the live filter.
_APOSTROPHES = str.maketrans("'\u2019\u02bc", "   ")


def search_key(text: str) -> str:
    """`text` as the catalogue search compares it: folded, letters, digits and spaces only,
    so that "wifi" finds "Wi-Fi" and "d’accès" finds "d'accès"."""
    folded = fold(text).translate(_APOSTROPHES)
    return "".join(c for c in folded if c.isspace() or unicodedata.category(c)[0] in "LN")


def search_text(request_type: RequestType) -> str:
    """What the search box looks into, in both languages."""
    parts = (
        request_type.title_fr,
        request_type.title_en,
        request_type.description_fr,
        request_type.description_en,
        request_type.category.name_fr,
        request_type.category.name_en,
        request_type.domain.name_fr,
        request_type.domain.name_en,
    )
    return fold(" ".join(p for p in parts if p))


# Catalogue order: domains, their categories, their entries (the tie-breaks keep it stable).
CATALOGUE_ORDER = (
    Domain.position,
    Domain.id,
    Category.position,
    Category.id,
    RequestType.position,
    RequestType.id,
)


def active_request_types() -> list[RequestType]:
    """Active entries, in catalogue order."""
    return list(
        db.session.scalars(
            select(RequestType)
            .join(Domain, Domain.id == RequestType.domain_id)
            .join(Category, Category.id == RequestType.category_id)
            .where(RequestType.is_active)
            .options(selectinload(RequestType.domain), selectinload(RequestType.category))
            .order_by(*CATALOGUE_ORDER)
        )
    )


def catalogue(query: str = "") -> list[CatalogueDomain]:
    """Active entries grouped by domain then category, keeping those matching every word
    (punctuation, accents and case aside: see search_key)."""
    words = search_key(query).split()
    groups: list[CatalogueDomain] = []
    from desk.catalog.forms import in_catalogue

    for entry in active_request_types():
        if not in_catalogue(entry.form_key):
            continue
        if words:
            haystack = search_key(search_text(entry))
            if not all(w in haystack for w in words):
                continue
        if not groups or groups[-1].domain.id != entry.domain_id:
            groups.append(CatalogueDomain(entry.domain))
        categories = groups[-1].categories
        if not categories or categories[-1].category.id != entry.category_id:
            categories.append(CatalogueCategory(entry.category))
        categories[-1].entries.append(entry)
    return groups


def catch_all(user: User) -> RequestType | None:
    """The entry offered when a search finds nothing: the first active one whose form is the
    catch-all (desk.catalog.forms.general) that `user` may use, an IT one first, then in
    catalogue order. Found by its form, so that an admin may rename or re-slug it."""
    from desk.catalog.forms.general import FORM_KEY

    entries = db.session.scalars(
        select(RequestType)
        .join(Domain, Domain.id == RequestType.domain_id)
        .join(Category, Category.id == RequestType.category_id)
        .where(RequestType.is_active, RequestType.form_key == FORM_KEY)
        .order_by(Domain.code != "it", *CATALOGUE_ORDER)
    )
    return next((entry for entry in entries if may_use(user, entry)), None)


def get_active_request_type(slug: str) -> RequestType | None:
    """An active entry by its slug (from the process's copy: no query)."""
    return cache.active_entry(slug)


def may_use(user: User, request_type: RequestType) -> bool:
    """Staff-only entries are refused to students."""
    return user.is_staff or not request_type.is_staff_only


# --------------------------------------------------------------------------------------
# Admin changes
# --------------------------------------------------------------------------------------


def update_request_type(
    request_type: RequestType, *, is_active: bool, default_queue: Queue, position: int, actor: User
) -> None:
    """Change an entry's active flag, default queue and order (the caller commits)."""
    if default_queue.domain_id != request_type.domain_id:
        raise ValueError("the default queue must belong to the entry's domain")
    request_type.is_active = is_active
    request_type.default_queue = default_queue
    request_type.position = position


def queues_for(request_type: RequestType) -> list[Queue]:
    """Active queues an entry may default to: those of its domain."""
    return list(
        db.session.scalars(
            select(Queue)
            .where(Queue.domain_id == request_type.domain_id, Queue.is_active)
            .order_by(Queue.code)
        )
    )


def all_request_types() -> list[RequestType]:
    """Every entry, active or not, for the admin page."""
    return list(
        db.session.scalars(
            select(RequestType).order_by(
                RequestType.domain_id, RequestType.category_id, RequestType.position, RequestType.id
            )
        )
    )


def routing_rules() -> list[RoutingRule]:
    """Every rule in evaluation order."""
    return list(
        db.session.scalars(select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id))
    )


# --------------------------------------------------------------------------------------
# Requests filed for someone (the views are in desk.catalog.behalf)
# --------------------------------------------------------------------------------------


def find_people(text: str, limit: int) -> list[User]:
    """At most `limit` active accounts whose name or e-mail contains `text`, by name as a
    reader sorts names (the database's order puts "Élodie" after "Zoé")."""
    query = (
        select(User)
        .where(User.is_active_account.is_(True), name_or_email_contains(text))
        .order_by(User.display_name, User.email)
        .limit(limit)
    )
    return sorted(db.session.scalars(query), key=lambda u: (sort_key(u.display_name), u.email))


def directory_newcomers(text: str, directory: Directory | None, limit: int) -> list[Person]:
    """At most `limit` people of `directory` matching `text` who have no account here yet
    (none without a directory). Raises DirectoryUnavailable."""
    if directory is None:
        return []
    found = search_directory(text, directory, limit)
    emails = [p.email for p in found]
    known = set(db.session.scalars(select(User.email).where(User.email.in_(emails))))
    return [p for p in found if p.email not in known]


def filed_by(ticket: Ticket, user: User) -> bool:
    """Did `user` file `ticket` (for its requester)?"""
    created = select(TicketEvent.actor_id).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.kind == EventKind.CREATED
    )
    return db.session.scalar(created) == user.id
