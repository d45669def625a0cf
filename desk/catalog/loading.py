"""Reference-file sections of the catalogue: request_types, mailing_lists, routing_rules.

request_types:
  - {slug: zoom-licence, title_fr: ..., title_en: ..., kind: request, domain: it,
     category: videoconf, queue: visio, form: zoom_licence, active: true, position: 1}
routing_rules:
  - {name: ..., position: 10, kind: incident, domain: it, category: network,
     site: triolet, queue: reseau-triolet}
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from desk.catalog.models import MailingList, RequestType, RoutingRule, TicketKind
from desk.extensions import db
from desk.reference.loader import LoadError, LoadReport, require, section
from desk.reference.models import Category, Domain, Queue, Site


def _one(model: Any, where: str, label: str, **lookup: Any) -> Any:
    row = db.session.scalar(select(model).filter_by(**lookup))
    if row is None:
        value = next(iter(lookup.values()))
        raise LoadError(f"{where}: unknown {label} '{value}'")
    return row


def _kind(value: Any, where: str) -> TicketKind:
    try:
        return TicketKind(value)
    except ValueError:
        raise LoadError(
            f"{where}: kind must be one of {', '.join(k.value for k in TicketKind)}"
        ) from None


def _category(domain: Domain, code: str, where: str) -> Category:
    return _one(Category, where, "category", domain_id=domain.id, code=code)


@section("request_types", order=50)
def load_request_types(items: list[dict], report: LoadReport) -> None:
    """Catalogue entries, upserted by slug; `form` must name a registered form class."""
    from desk.catalog.forms import FORMS

    for i, item in enumerate(items):
        where = f"request_types[{i}]"
        slug = str(require(item, "slug", where))
        form_key = str(require(item, "form", where))
        if form_key not in FORMS:
            raise LoadError(f"{where}: unknown form '{form_key}'; known: {', '.join(FORMS)}")
        domain = _one(Domain, where, "domain", code=require(item, "domain", where))
        category = _category(domain, require(item, "category", where), where)
        queue = _one(Queue, where, "queue", code=require(item, "queue", where))
        if queue.domain_id != domain.id:
            raise LoadError(f"{where}: queue '{queue.code}' is not in domain '{domain.code}'")
        _refuse_closed_queue(queue, bool(item.get("active", True)), where)
        row = db.session.scalar(select(RequestType).filter_by(slug=slug))
        created = row is None
        if created:
            row = RequestType(slug=slug)
            db.session.add(row)
        row.title_fr = require(item, "title_fr", where)
        row.title_en = item.get("title_en", "")
        row.description_fr = item.get("description_fr", "")
        row.description_en = item.get("description_en", "")
        row.kind = _kind(item.get("kind", "request"), where)
        row.domain_id, row.category_id, row.default_queue_id = domain.id, category.id, queue.id
        row.form_key = form_key
        row.is_active = bool(item.get("active", True))
        row.is_staff_only = bool(item.get("staff_only", False))
        row.position = int(item.get("position", i))
        report.add("request_types", created)


def _refuse_closed_queue(queue: Queue, active: bool, where: str) -> None:
    """An active entry or rule sends new requests to an open queue only, as the admin pages
    require: a closed one is watched by nobody (routing skips such a rule, and sends such an
    entry's requests to another queue of its domain)."""
    if active and not queue.is_active:
        raise LoadError(
            f"{where}: queue '{queue.code}' is closed: give an open queue, or 'active: false'"
        )


@section("mailing_lists", order=55)
def load_mailing_lists(items: list[dict], report: LoadReport) -> None:
    """Existing mailing lists (a request for one of these names is refused)."""
    for i, item in enumerate(items):
        where = f"mailing_lists[{i}]"
        name = str(require(item, "name", where)).strip().lower()
        row = db.session.scalar(select(MailingList).filter_by(name=name))
        created = row is None
        if created:
            row = MailingList(name=name)
            db.session.add(row)
        row.description = str(item.get("description", ""))[:200]
        report.add("mailing_lists", created)


@section("routing_rules", order=60)
def load_routing_rules(items: list[dict], report: LoadReport) -> None:
    """Routing rules, upserted by name; empty conditions match anything."""
    for i, item in enumerate(items):
        where = f"routing_rules[{i}]"
        name = str(require(item, "name", where))
        queue = _one(Queue, where, "queue", code=require(item, "queue", where))
        request_type = None
        if item.get("request_type"):
            request_type = _one(RequestType, where, "request type", slug=item["request_type"])
        category = None
        if item.get("category"):
            domain = _one(Domain, where, "domain", code=require(item, "domain", where))
            category = _category(domain, item["category"], where)
        site = _one(Site, where, "site", code=str(item["site"])) if item.get("site") else None
        _refuse_closed_queue(queue, bool(item.get("active", True)), where)
        row = db.session.scalar(select(RoutingRule).filter_by(name=name))
        created = row is None
        if created:
            row = RoutingRule(name=name)
            db.session.add(row)
        row.position = int(item.get("position", (i + 1) * 10))
        row.request_type_id = request_type.id if request_type else None
        row.category_id = category.id if category else None
        row.kind = _kind(item["kind"], where) if item.get("kind") else None
        row.site_id = site.id if site else None
        row.queue_id = queue.id
        row.is_active = bool(item.get("active", True))
        report.add("routing_rules", created)
