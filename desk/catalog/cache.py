"""The catalogue entries, queues and routing rules, kept per process (see desk.core.refcache).

Entries and queues are kept as detached rows with their columns only, and attached to the
request's session without a query (`attach`); rules as plain tuples, in evaluation order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from desk.catalog.models import RequestType, RoutingRule, TicketKind
from desk.core import refcache
from desk.extensions import db
from desk.reference.models import Category, Domain, Queue

refcache.watch(RequestType, RoutingRule, Queue, Domain, Category)

M = TypeVar("M")


@dataclass(frozen=True)
class Rule:
    """A routing rule's conditions and target (empty condition = any)."""

    request_type_id: int | None
    category_id: int | None
    kind: TicketKind | None
    site_id: int | None
    queue_id: int


@dataclass(frozen=True)
class Catalogue:
    entries: dict[str, RequestType]  # active entries by slug
    queues: dict[int, Queue]
    rules: tuple[Rule, ...]  # active rules, by position then id


def _load(session: Session) -> Catalogue:
    entries = session.scalars(select(RequestType).where(RequestType.is_active))
    queues = session.scalars(select(Queue))
    rules = session.scalars(
        select(RoutingRule)
        .where(RoutingRule.is_active)
        .order_by(RoutingRule.position, RoutingRule.id)
    )
    return Catalogue(
        entries={e.slug: e for e in entries},
        queues={q.id: q for q in queues},
        rules=tuple(
            Rule(r.request_type_id, r.category_id, r.kind, r.site_id, r.queue_id) for r in rules
        ),
    )


def catalogue() -> Catalogue:
    """This process's copy of the catalogue, reloaded after any change."""
    return refcache.cached("catalogue", _load)


def attach(obj: M) -> M:
    """The request session's instance of a kept row, without a query.

    An instance the session already holds wins (it may carry this request's changes)."""
    session = db.session()
    existing = session.identity_map.get(inspect(obj).key)
    if existing is not None:
        return existing
    return session.merge(obj, load=False)


def active_entry(slug: str) -> RequestType | None:
    """An active catalogue entry by slug, attached to the request's session."""
    entry = catalogue().entries.get(slug)
    return attach(entry) if entry is not None else None


def queue(queue_id: int | None) -> Queue | None:
    """A queue by id, attached to the request's session."""
    if queue_id is None:
        return None
    found = catalogue().queues.get(queue_id)
    return attach(found) if found is not None else db.session.get(Queue, queue_id)
