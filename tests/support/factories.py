"""Small factories for test data; each commits so that clients in other requests see it."""

from __future__ import annotations

import itertools

from werkzeug.security import generate_password_hash

from desk.auth.models import Role, User
from desk.extensions import db
from desk.reference.models import Building, Category, Domain, Floor, Queue, QueueMembership, Site

_seq = itertools.count(1)
# A cheap hash keeps tests fast; production uses scrypt (see User.set_password).
_FAST_HASHES: dict[str, str] = {}


def _fast_hash(password: str) -> str:
    if password not in _FAST_HASHES:
        _FAST_HASHES[password] = generate_password_hash(password, method="pbkdf2:sha256:1000")
    return _FAST_HASHES[password]


def make_domain(code: str | None = None, name_fr: str = "Informatique et Numérique") -> Domain:
    domain = Domain(code=code or f"dom{next(_seq)}", name_fr=name_fr, name_en="IT")
    db.session.add(domain)
    db.session.commit()
    return domain


def make_category(domain: Domain, code: str | None = None) -> Category:
    category = Category(
        domain=domain, code=code or f"cat{next(_seq)}", name_fr="Réseau", name_en="Network"
    )
    db.session.add(category)
    db.session.commit()
    return category


def make_queue(domain: Domain | None = None, code: str | None = None) -> Queue:
    queue = Queue(
        domain=domain or make_domain(),
        code=code or f"queue{next(_seq)}",
        name_fr="File",
        name_en="Queue",
    )
    db.session.add(queue)
    db.session.commit()
    return queue


def make_user(
    email: str | None = None,
    *,
    role: Role | str = Role.REQUESTER,
    queues: tuple[Queue, ...] = (),
    leads: tuple[Queue, ...] = (),
    password: str = "password",
    is_staff: bool = True,
    locale: str | None = None,
    is_active: bool = True,
    name: str | None = None,
) -> User:
    n = next(_seq)
    user = User(
        email=email or f"user{n}@umontpellier.fr",
        display_name=name or f"User {n}",
        role=Role(role),
        is_staff=is_staff,
        locale=locale,
        is_active_account=is_active,
        password_hash=_fast_hash(password),
    )
    for queue in queues:
        user.memberships.append(QueueMembership(queue=queue, is_lead=queue in leads))
    db.session.add(user)
    db.session.commit()
    return user


def make_site_tree(code: str | None = None) -> tuple[Site, Building, Floor]:
    n = next(_seq)
    site = Site(code=code or f"site{n}", name=f"Campus {n}")
    building = Building(site=site, code=f"b{n}", name=f"Bâtiment {n}")
    floor = Floor(building=building, code="0", name="Rez-de-chaussée")
    db.session.add_all([site, building, floor])
    db.session.commit()
    return site, building, floor


def make_request_type(
    *,
    slug: str | None = None,
    form_key: str = "generic",
    kind: str = "request",
    queue: Queue | None = None,
    category: Category | None = None,
    is_staff_only: bool = False,
    is_active: bool = True,
):
    from desk.catalog.models import RequestType, TicketKind

    queue = queue or make_queue()
    category = category or make_category(queue.domain)
    n = next(_seq)
    rt = RequestType(
        slug=slug or f"type-{n}",
        title_fr=f"Demande {n}",
        title_en=f"Request {n}",
        description_fr="Description",
        description_en="Description",
        kind=TicketKind(kind),
        domain=category.domain,
        category=category,
        default_queue=queue,
        form_key=form_key,
        is_staff_only=is_staff_only,
        is_active=is_active,
    )
    db.session.add(rt)
    db.session.commit()
    return rt


def make_ticket(
    *,
    requester: User | None = None,
    request_type=None,
    queue: Queue | None = None,
    status: str = "new",
    assignee: User | None = None,
    subject: str = "Sujet",
    priority: int = 2,
    data: dict | None = None,
    created_at=None,
    **extra,
):
    """A ticket inserted directly (no routing, no signals): for tests of what comes after."""
    import datetime as dt

    from desk.tickets.models import EventKind, Status, Ticket, TicketEvent

    request_type = request_type or make_request_type(queue=queue)
    queue = queue or request_type.default_queue
    requester = requester or make_user()
    n = next(_seq)
    prefix = "INC" if request_type.kind.value == "incident" else "DEM"
    created_at = created_at or dt.datetime.now(dt.UTC)
    ticket = Ticket(
        reference=f"{prefix}-{created_at.year}-{n:06d}",
        kind=request_type.kind,
        request_type=request_type,
        domain_id=request_type.domain_id,
        category_id=request_type.category_id,
        queue=queue,
        requester=requester,
        assignee=assignee,
        subject=subject,
        status=Status(status),
        priority=priority,
        data=data or {},
        created_at=created_at,
        updated_at=created_at,
        **extra,
    )
    ticket.events.append(
        TicketEvent(kind=EventKind.CREATED, actor=requester, created_at=created_at)
    )
    db.session.add(ticket)
    db.session.commit()
    return ticket
