"""A person's data as desk holds them (RGPD/GDPR art. 15 and 20): one JSON document.

What they may read of their requests (never a queue's internal notes unless they work the
queue), what they wrote anywhere, who they are to desk and what they chose. A fixed number of
statements whatever the number of tickets: each part is read for all of them at once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from desk.absences.models import Absence
from desk.auth.models import User
from desk.extensions import db
from desk.identity.models import DirectoryLink
from desk.notifications.models import NewTicketPreference, NotificationPreference
from desk.satisfaction.models import Rating
from desk.tickets.access import sees_internal
from desk.tickets.models import Attachment, Ticket, TicketEvent
from desk.watchers.models import TicketWatcher

FORMAT_VERSION = 1


def _when(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _place(owner: Any) -> dict[str, str | None]:
    return {
        "site": owner.site.name if owner.site else None,
        "building": owner.building.name if owner.building else None,
        "floor": owner.floor.name if owner.floor else None,
    }


def _account(user: User) -> dict[str, Any]:
    link = db.session.get(DirectoryLink, user.id)
    return {
        "id": user.id,
        "email": user.email,
        "name": user.display_name,
        "role": user.role.value,
        "staff": user.is_staff,
        "active": user.is_active_account,
        "language": user.locale,
        "browser_language": user.browser_locale,
        "phone": user.phone,
        "place": _place(user),
        "directory_login": link.login if link else None,
        "directory_former_login": link.former_login if link else None,
        "created_at": _when(user.created_at),
        "last_login_at": _when(user.last_login_at),
        "deactivated_at": _when(user.deactivated_at),
    }


def _choices(user: User) -> dict[str, Any]:
    emails = db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user.id)
    )
    new_tickets = db.session.get(NewTicketPreference, user.id)
    absence = db.session.get(Absence, user.id)
    return {
        "emails": {p.event.value: p.email_enabled for p in emails},
        "new_tickets": new_tickets.mode.value if new_tickets else None,
        "absence": (
            {"from": _when(absence.starts_on), "to": _when(absence.ends_on)} if absence else None
        ),
    }


def _tickets(user: User, tickets: list[Ticket]) -> list[dict[str, Any]]:
    ids = [t.id for t in tickets]
    events: dict[int, list[TicketEvent]] = defaultdict(list)
    files: dict[int, list[Attachment]] = defaultdict(list)
    if ids:
        for event in db.session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id.in_(ids)).order_by(TicketEvent.id)
        ):
            events[event.ticket_id].append(event)
        for file in db.session.scalars(
            select(Attachment).where(Attachment.ticket_id.in_(ids)).order_by(Attachment.id)
        ):
            files[file.ticket_id].append(file)
    rows = []
    for ticket in tickets:
        internal = sees_internal(user, ticket)
        rows.append(
            {
                "reference": ticket.reference,
                "request_type": ticket.request_type.title,
                "subject": ticket.display_subject,
                "status": ticket.status.value,
                "created_at": _when(ticket.created_at),
                "resolved_at": _when(ticket.resolved_at),
                "closed_at": _when(ticket.closed_at),
                "erased_at": _when(ticket.erased_at),
                "form": ticket.data,
                "place": _place(ticket),
                "messages": [
                    {
                        "kind": e.kind.value,
                        "at": _when(e.created_at),
                        "by_you": e.actor_id == user.id,
                        "text": e.body,
                    }
                    for e in events[ticket.id]
                    if e.body and (internal or not e.is_internal)
                ],
                "files": [
                    {"name": f.filename, "size": f.size, "at": _when(f.created_at)}
                    for f in files[ticket.id]
                    if internal or not f.is_internal
                ],
            }
        )
    return rows


def _loaded(query):
    return list(
        db.session.scalars(
            query.options(
                selectinload(Ticket.request_type),
                selectinload(Ticket.site),
                selectinload(Ticket.building),
                selectinload(Ticket.floor),
            ).order_by(Ticket.id)
        )
    )


def personal_data(user: User) -> dict[str, Any]:
    """Everything desk holds about `user`, as they (or an admin for them) download it."""
    own = _loaded(select(Ticket).where(Ticket.requester_id == user.id))
    followed = _loaded(
        select(Ticket).where(
            Ticket.id.in_(select(TicketWatcher.ticket_id).where(TicketWatcher.user_id == user.id))
        )
    )
    ratings = db.session.execute(
        select(Ticket.reference, Rating.score, Rating.comment, Rating.created_at)
        .join(Ticket, Ticket.id == Rating.ticket_id)
        .where(Rating.user_id == user.id)
        .order_by(Rating.id)
    )
    written = db.session.execute(
        select(Ticket.reference, TicketEvent.kind, TicketEvent.is_internal)
        .add_columns(TicketEvent.body, TicketEvent.created_at)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(TicketEvent.actor_id == user.id, TicketEvent.body != "")
        .order_by(TicketEvent.id)
    )
    return {
        "format": FORMAT_VERSION,
        "account": _account(user),
        "choices": _choices(user),
        "requests": _tickets(user, own),
        "in_copy": _tickets(user, followed),
        "ratings": [
            {
                "ticket": r.reference,
                "score": r.score,
                "comment": r.comment,
                "at": _when(r.created_at),
            }
            for r in ratings
        ],
        "written": [
            {
                "ticket": w.reference,
                "kind": w.kind.value,
                "internal": w.is_internal,
                "at": _when(w.created_at),
                "text": w.body,
            }
            for w in written
        ],
    }
