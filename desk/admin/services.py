"""Administration of queues (and their members), domains and categories.

A row still referenced (by tickets, catalogue entries, routing rules...) is never deleted: a
queue is deactivated instead, a domain or category is refused with what still uses it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from desk.auth.models import Role, User
from desk.catalog.models import RequestType, RoutingRule
from desk.core.i18n import number
from desk.core.logs import audit
from desk.extensions import db
from desk.reference.models import Category, Domain, Queue, QueueMembership
from desk.reference.services import desks_own_mailbox
from desk.tickets.actions import release_tickets
from desk.tickets.models import Ticket


class AdminError(Exception):
    """A refused change; the message is for the administrator."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _code_taken(model, code: str, exclude_id: int | None, *scope) -> bool:
    query = select(model.id).where(model.code == code, *scope)
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    return db.session.scalar(query) is not None


@dataclass
class QueueUsage:
    """What still points at a queue."""

    tickets: int
    request_types: int
    rules: int

    @property
    def in_use(self) -> bool:
        return bool(self.tickets or self.request_types or self.rules)


def queue_usage(queue: Queue) -> QueueUsage:
    """Tickets, catalogue entries and routing rules using the queue."""
    return QueueUsage(
        _count(Ticket, Ticket.queue_id == queue.id),
        _count(RequestType, RequestType.default_queue_id == queue.id),
        _count(RoutingRule, RoutingRule.queue_id == queue.id),
    )


def save_queue(
    queue: Queue | None,
    *,
    code: str,
    name_fr: str,
    name_en: str,
    domain: Domain,
    is_active: bool,
    actor: User,
    inbound_address: str | None = None,
) -> Queue:
    """Create (queue=None) or update a queue; its code and e-mail address must be unique."""
    if _code_taken(Queue, code, queue.id if queue else None):
        raise AdminError(_("Another queue already uses this code."), "code")
    address = (inbound_address or "").strip().lower() or None
    if address and _address_taken(address, queue.id if queue else None):
        raise AdminError(_("Another queue already uses this address."), "inbound_address")
    if address and desks_own_mailbox(address):
        # Mail to it is answers to desk's own e-mails: each would also open a new request.
        raise AdminError(
            _(
                "This is desk's own address, where the answers to its e-mails arrive: "
                "give the queue an address of its own."
            ),
            "inbound_address",
        )
    if queue is not None and queue.domain_id != domain.id:
        _refuse_domain_move(queue)
    if queue is not None and queue.is_active and not is_active:
        _refuse_closing(queue)
    action = "queue.updated" if queue else "queue.created"
    queue = queue or Queue()
    queue.code, queue.name_fr, queue.name_en = code, name_fr, name_en
    queue.domain, queue.is_active = domain, is_active
    queue.inbound_address = address
    db.session.add(queue)
    db.session.commit()
    audit(action, queue, actor=actor, is_active=is_active)
    return queue


def _refuse_domain_move(queue: Queue) -> None:
    """A queue in use keeps its domain. Its tickets stay in theirs (transfers and the bulk bar
    would then offer queues of one domain for tickets of the other), and its catalogue
    entries would route their new requests into the other domain: IT requests read by HR."""
    usage = queue_usage(queue)
    used = [
        label
        for n, label in (
            (usage.tickets, _("tickets (%(n)s)", n=number(usage.tickets))),
            (usage.request_types, _("catalogue entries (%(n)d)", n=usage.request_types)),
            (usage.rules, _("routing rules (%(n)d)", n=usage.rules)),
        )
        if n
    ]
    if used:
        raise AdminError(
            _(
                "This queue cannot move to another domain while these still use it: %(uses)s.",
                uses=", ".join(used),
            ),
            "domain",
        )


def _refuse_closing(queue: Queue) -> None:
    """A queue that active catalogue entries or routing rules still send new requests to stays
    open: closed, nobody would watch what keeps arriving there (route() falls back to another
    queue, but the admin should choose which). The message names them, to change them first."""
    entries = db.session.scalars(
        select(RequestType)
        .where(RequestType.default_queue_id == queue.id, RequestType.is_active)
        .order_by(RequestType.position, RequestType.id)
    ).all()
    rules = db.session.scalars(
        select(RoutingRule.name)
        .where(RoutingRule.queue_id == queue.id, RoutingRule.is_active)
        .order_by(RoutingRule.position, RoutingRule.id)
    ).all()
    uses = []
    if entries:
        names = ", ".join(f"“{entry.title}”" for entry in entries)
        uses.append(_("catalogue entries %(names)s", names=names))
    if rules:
        uses.append(_("routing rules %(names)s", names=", ".join(f"“{n}”" for n in rules)))
    if uses:
        raise AdminError(
            _(
                "This queue cannot be closed while these still send it new requests: "
                "%(uses)s. Give them another queue or turn them off first.",
                uses="; ".join(uses),
            ),
            "is_active",
        )


def _address_taken(address: str, own_id: int | None) -> bool:
    found = db.session.scalar(select(Queue.id).where(func.lower(Queue.inbound_address) == address))
    return found is not None and found != own_id


def delete_queue(queue: Queue, *, actor: User) -> bool:
    """Delete an unused queue (True), or deactivate one still in use (False); AdminError if
    active entries or rules still send it new requests."""
    if queue_usage(queue).in_use:
        if queue.is_active:
            _refuse_closing(queue)
        queue.is_active = False
        db.session.commit()
        audit("queue.deactivated", queue, actor=actor)
        return False
    audit("queue.deleted", queue, actor=actor)
    db.session.delete(queue)
    db.session.commit()
    return True


def add_member(queue: Queue, user: User | None, *, is_lead: bool, actor: User) -> QueueMembership:
    """Put an active technician or admin in the queue."""
    if user is None or user.role is Role.REQUESTER or not user.is_active:
        raise AdminError(_("Only active technicians and administrators can join a queue."), "user")
    if db.session.get(QueueMembership, (queue.id, user.id)) is not None:
        raise AdminError(
            _("%(name)s is already a member of this queue.", name=user.display_name), "user"
        )
    membership = QueueMembership(queue=queue, user=user, is_lead=is_lead)
    db.session.add(membership)
    db.session.commit()
    audit("queue.member_added", queue, actor=actor, member=user.email, is_lead=is_lead)
    return membership


def set_lead(membership: QueueMembership, is_lead: bool, *, actor: User) -> None:
    """Make a member the queue's lead (escalations) or a plain member."""
    membership.is_lead = is_lead
    db.session.commit()
    audit(
        "queue.lead_set",
        membership.queue,
        actor=actor,
        member=membership.user.email,
        is_lead=is_lead,
    )


def remove_member(membership: QueueMembership, *, actor: User) -> int:
    """Take someone out of a queue; the open tickets they held there go back to it,
    unassigned (as when an account page or the directory changes their queues). Returns
    how many."""
    user = membership.user
    audit("queue.member_removed", membership.queue, actor=actor, member=user.email)
    user.memberships.remove(membership)
    released = release_tickets(user, actor=actor)
    db.session.commit()
    return released


def save_domain(
    domain: Domain | None, *, code: str, name_fr: str, name_en: str, position: int, actor: User
) -> Domain:
    """Create or update a domain; its code must be unique."""
    if _code_taken(Domain, code, domain.id if domain else None):
        raise AdminError(_("Another domain already uses this code."), "code")
    action = "domain.updated" if domain else "domain.created"
    domain = domain or Domain()
    domain.code, domain.name_fr, domain.name_en, domain.position = code, name_fr, name_en, position
    db.session.add(domain)
    db.session.commit()
    audit(action, domain, actor=actor)
    return domain


def save_category(
    category: Category | None,
    *,
    domain: Domain,
    code: str,
    name_fr: str,
    name_en: str,
    position: int,
    actor: User,
) -> Category:
    """Create or update a category; its code is unique within its domain."""
    exclude = category.id if category else None
    if _code_taken(Category, code, exclude, Category.domain_id == domain.id):
        raise AdminError(_("Another category of this domain already uses this code."), "code")
    action = "category.updated" if category else "category.created"
    category = category or Category()
    category.domain, category.code = domain, code
    category.name_fr, category.name_en, category.position = name_fr, name_en, position
    db.session.add(category)
    db.session.commit()
    audit(action, category, actor=actor, domain=domain.code)
    return category


def _refuse_if_used(uses: list[tuple[int, str]]) -> None:
    used = [label for n, label in uses if n]
    if used:
        raise AdminError(
            _("It cannot be deleted while these still use it: %(uses)s.", uses=", ".join(used))
        )


def delete_domain(domain: Domain, *, actor: User) -> None:
    """Delete a domain nothing uses any more."""
    n_cat = _count(Category, Category.domain_id == domain.id)
    n_queue = _count(Queue, Queue.domain_id == domain.id)
    n_type = _count(RequestType, RequestType.domain_id == domain.id)
    n_ticket = _count(Ticket, Ticket.domain_id == domain.id)
    _refuse_if_used(
        [
            (n_cat, _("categories (%(n)d)", n=n_cat)),
            (n_queue, _("queues (%(n)d)", n=n_queue)),
            (n_type, _("catalogue entries (%(n)d)", n=n_type)),
            (n_ticket, _("tickets (%(n)s)", n=number(n_ticket))),
        ]
    )
    audit("domain.deleted", domain, actor=actor)
    db.session.delete(domain)
    db.session.commit()


def delete_category(category: Category, *, actor: User) -> None:
    """Delete a category nothing uses any more."""
    n_type = _count(RequestType, RequestType.category_id == category.id)
    n_rule = _count(RoutingRule, RoutingRule.category_id == category.id)
    n_ticket = _count(Ticket, Ticket.category_id == category.id)
    _refuse_if_used(
        [
            (n_type, _("catalogue entries (%(n)d)", n=n_type)),
            (n_rule, _("routing rules (%(n)d)", n=n_rule)),
            (n_ticket, _("tickets (%(n)s)", n=number(n_ticket))),
        ]
    )
    audit("category.deleted", category, actor=actor)
    db.session.delete(category)
    db.session.commit()
