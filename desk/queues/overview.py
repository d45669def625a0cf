"""The "my queues" overview: per queue, how many open tickets need what — one grouped query."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, true

from desk.absences.services import away_clause
from desk.auth.models import Role, User
from desk.catalog.forms.fields import local_today
from desk.extensions import db
from desk.reference.models import Queue, QueueMembership
from desk.sla.state import breached_clause, due_soon_clause
from desk.tickets.models import Status, Ticket, open_clause

# Counter name -> the list filter (URL arguments) showing those tickets.
COUNTERS: dict[str, dict[str, str]] = {
    "open": {},
    "new": {"status": "new"},
    "unassigned": {"assignee": "unassigned"},
    "mine": {"assignee": "mine"},
    "in_progress": {"status": "in_progress"},
    "waiting": {"status": "waiting_on_requester"},
    "due_soon": {"sla": "warning"},
    "breached": {"sla": "breached"},
}


@dataclass
class QueueCounts:
    """One row of the overview."""

    queue: Queue
    counts: dict[str, int]


def worked_queues(user: User) -> list[Queue]:
    """The queues `user` works: their memberships, or every queue for an admin (the overview
    leaves out the closed ones with nothing open)."""
    query = select(Queue).order_by(Queue.code)
    if user.role is Role.TECHNICIAN:
        query = query.join(QueueMembership).where(QueueMembership.user_id == user.id)
    elif user.role is not Role.ADMIN:
        return []
    return list(db.session.scalars(query))


def queue_overview(user: User, now: dt.datetime) -> list[QueueCounts]:
    """Counters of open tickets for each queue `user` works (two queries in all)."""
    queues = worked_queues(user)
    if not queues:
        return []
    count = func.count(Ticket.id)
    running = Ticket.sla_paused_since.is_(None)
    columns = {
        "open": count,
        "new": count.filter(Ticket.status == Status.NEW),
        "unassigned": count.filter(Ticket.assignee_id.is_(None)),
        "mine": count.filter(Ticket.assignee_id == user.id),
        "in_progress": count.filter(Ticket.status == Status.IN_PROGRESS),
        "waiting": count.filter(Ticket.status == Status.WAITING_ON_REQUESTER),
        # desk.sla.state's rule (the first answer's deadline and the resolution's), minus its
        # "is open" test: the WHERE below already keeps only open tickets, and dropping it per
        # row makes the 1M-ticket overview a third faster.
        "due_soon": count.filter(running, due_soon_clause(now)),
        "breached": count.filter(running, breached_clause(now)),
    }
    query = (
        select(Ticket.queue_id, *(c.label(name) for name, c in columns.items()))
        .where(Ticket.queue_id.in_([q.id for q in queues]), open_clause())
        .group_by(Ticket.queue_id)
    )
    rows = {row.queue_id: row for row in db.session.execute(query)}
    if user.role is Role.ADMIN:
        # A closed queue still holding open tickets (closed while in use; its catalogue
        # entries may still route to it) stays in view: its members see it, and so must the
        # admins, who had no other way to its list.
        queues = [q for q in queues if q.is_active or q.id in rows]
    empty = dict.fromkeys(columns, 0)
    return [
        QueueCounts(q, {n: getattr(rows[q.id], n) for n in columns} if q.id in rows else empty)
        for q in queues
    ]


@dataclass
class Staffing:
    """A queue's open tickets and the active staff who work it."""

    queue: Queue
    open: int
    members: int
    present: int  # members not away today (desk.absences)

    @property
    def unattended(self) -> bool:
        """Open tickets that nobody is told of, nor sees in "My queues" (but admins), or
        only people away, who read nothing before their return."""
        return self.open > 0 and self.present == 0


def queue_staffing(queue_id: int | None = None) -> list[Staffing]:
    """Every queue (or the one of `queue_id`) with its open tickets, its active members and
    those of them not away today (three queries): the admin menu and a queue's members page
    warn of the unattended ones, /metrics exports the counts."""

    def only(column):
        return true() if queue_id is None else column == queue_id

    opened = dict(
        db.session.execute(
            select(Ticket.queue_id, func.count())
            .where(open_clause(), only(Ticket.queue_id))
            .group_by(Ticket.queue_id)
        ).all()
    )
    staffed = {
        row[0]: row
        for row in db.session.execute(
            select(
                QueueMembership.queue_id,
                func.count(),
                func.count().filter(~away_clause(User.id, local_today())),
            )
            .join(User, User.id == QueueMembership.user_id)
            .where(
                User.is_active_account.is_(True),
                User.role != Role.REQUESTER,
                only(QueueMembership.queue_id),
            )
            .group_by(QueueMembership.queue_id)
        )
    }
    queues = db.session.scalars(select(Queue).where(only(Queue.id)).order_by(Queue.code))
    none = (None, 0, 0)
    return [Staffing(q, opened.get(q.id, 0), *staffed.get(q.id, none)[1:]) for q in queues]
