"""The bell's list as its reader sees it now: names as they are called today, and a link
only to a page the reader may still open.

A bell entry is written once (what happened, with the ids of who and where) and read for
weeks. Its people and queues are named when the list is shown, from their ids: a renamed
colleague or queue is called by today's name, as the ticket's page calls them. Rows written
before the ids were stored keep the names they were written with.

An entry is about a ticket that may have left the reader's hands since (reassigned to
another queue, the reader taken out of its queue, no longer in copy): its page would answer
404. The entry still tells what happened (the news was true, and is often the reason it is
gone), but links only where the one access rule of desk.tickets.access lets the reader in,
and otherwise says that they no longer have access to the ticket.

Cost: a constant number of statements per page, whatever its length: the tickets (with
their request type and the reader's access, as the list queries compute it), the people
and the queues the page names, each read once for all its entries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from desk.auth.models import User
from desk.catalog.models import RequestType
from desk.extensions import db
from desk.notifications.models import Notification
from desk.reference.models import Queue
from desk.tickets.access import followed_clause, worked_clause
from desk.tickets.models import Ticket

# The keys of an entry's events that hold a person's name, and the key of their id.
_PEOPLE = (("by", "by_id"), ("assignee", "assignee_id"), ("former", "former_id"))


@dataclass
class BellEntry:
    """One notification as the list shows it."""

    notification: Notification
    ticket: dict[str, Any]  # the snapshot, with today's subject, titles and queue names
    events: list[dict[str, Any]]  # with today's names of the people they name
    path: str | None  # the page to open; None: the reader may no longer open the ticket


def bell_entries(user: User, notifications: Sequence[Notification]) -> list[BellEntry]:
    """`notifications` of `user` (one page of their list) as they read them now."""
    tickets = _tickets(user, {n.ticket_id for n in notifications if n.ticket_id})
    people = _names(
        {
            item[key]
            for n in notifications
            for item in n.events
            for _name, key in _PEOPLE
            if isinstance(item.get(key), int)
        },
    )
    queues = _queues(
        {
            n.payload["ticket"]["queue_id"]
            for n in notifications
            if isinstance(n.payload.get("ticket", {}).get("queue_id"), int)
        }
    )
    return [_entry(n, tickets.get(n.ticket_id), people, queues) for n in notifications]


def _entry(
    n: Notification,
    now: dict[str, Any] | None,
    people: dict[int, str],
    queues: dict[int, tuple[str, str]],
) -> BellEntry:
    ticket = dict(n.payload.get("ticket", {}))
    if now is not None:
        ticket.update(subject=now["subject"], language=now["language"])
        ticket.update(title_fr=now["title_fr"], title_en=now["title_en"])
    if ticket.get("queue_id") in queues:
        ticket["queue_fr"], ticket["queue_en"] = queues[ticket["queue_id"]]
    events = []
    for item in n.events:
        item = dict(item)
        for name, key in _PEOPLE:
            if item.get(key) in people:
                item[name] = people[item[key]]
        events.append(item)
    return BellEntry(n, ticket, events, _path(n, ticket.get("reference"), now))


def _path(n: Notification, reference: str | None, now: dict[str, Any] | None) -> str | None:
    """The page the entry was written to open if the reader may still open it; else their
    other page of the ticket that they may (a technician taken out of the queue of a ticket
    they asked for follows it from their requests); else none."""
    if now is None or not reference:
        return None  # the ticket is gone
    staff = (f"/tickets/{reference}", now["worked"])
    own = (f"/mes-demandes/{reference}", now["followed"])
    order = (staff, own) if n.payload.get("path", "").startswith("/tickets/") else (own, staff)
    return next((path for path, allowed in order if allowed), None)


def _tickets(user: User, ids: set[int]) -> dict[int, dict[str, Any]]:
    """The entries' tickets as they are now, and whether `user` may open each as staff
    (`worked`) or from their requests (`followed`): the clauses every list query uses."""
    if not ids:
        return {}
    query = (
        select(
            Ticket.id,
            Ticket.subject,
            Ticket.language,
            RequestType.title_fr,
            RequestType.title_en,
            worked_clause(user).label("worked"),
            followed_clause(user).label("followed"),
        )
        .outerjoin(RequestType, RequestType.id == Ticket.request_type_id)
        .where(Ticket.id.in_(ids))
    )
    return {
        row.id: {
            "subject": row.subject,
            "language": row.language,
            "title_fr": row.title_fr or "",
            "title_en": row.title_en or "",
            "worked": bool(row.worked),
            "followed": bool(row.followed),
        }
        for row in db.session.execute(query)
    }


def _names(ids: set[int]) -> dict[int, str]:
    """Each person's name as it is now."""
    if not ids:
        return {}
    query = select(User.id, User.display_name).where(User.id.in_(ids))
    return {row.id: row.display_name for row in db.session.execute(query)}


def _queues(ids: set[int]) -> dict[int, tuple[str, str]]:
    """Each queue's French and English names (the English falls back to the French)."""
    if not ids:
        return {}
    query = select(Queue.id, Queue.name_fr, Queue.name_en).where(Queue.id.in_(ids))
    return {row.id: (row.name_fr, row.name_en or row.name_fr) for row in db.session.execute(query)}
