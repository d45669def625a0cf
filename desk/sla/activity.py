"""The period's activity in the report, for those who run the service centre.

Per queue: the tickets that came in, those resolved, those open today, and how long a first
answer and a resolution took (medians of the clock time, nights and weekends included: the
SLA tables above judge business time against the targets; these say what requesters lived).
Per technician: what they resolved in the period, and the open tickets they hold today.
Figures about a person are work monitoring: an admin sees everyone's, a queue's lead those of
the tickets of the queues they lead, anyone else only their own.

Seven statements whatever the number of queues or people: what came in (with its median), what
went out (with its median), what is open, the technicians' two counts and two name look-ups;
each read by its index (creation BRIN, the resolved tickets' partial index, the open tickets'
indexes).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select, true

from desk.auth.models import Role, User
from desk.extensions import db
from desk.reference.models import Queue, QueueMembership
from desk.tickets.access import worked_clause
from desk.tickets.models import Ticket, open_clause

Elapsed = dt.timedelta | None


@dataclass(frozen=True)
class QueueActivity:
    """One queue's period."""

    label: str
    created: int
    resolved: int
    open_now: int
    first_response: dt.timedelta | None  # median, over the tickets created in the period
    resolution: dt.timedelta | None  # median, over the tickets resolved in the period


@dataclass(frozen=True)
class TechnicianActivity:
    """One technician's period."""

    name: str
    resolved: int
    holding: int


@dataclass(frozen=True)
class Activity:
    queues: list[QueueActivity]
    technicians: list[TechnicianActivity]


def _counts(group_column, *where: ColumnElement[bool]) -> dict[int, int]:
    query = select(group_column, func.count()).where(*where).group_by(group_column)
    return {key: int(n) for key, n in db.session.execute(query)}


def _seconds(later, earlier) -> ColumnElement[float]:
    if db.engine.dialect.name == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _flow(later, earlier, *where: ColumnElement[bool]) -> dict[int, tuple[int, Elapsed]]:
    """Per queue, the tickets `where` selects and the median of `later - earlier` over those
    where `later` is set (the median skips a NULL): one statement, one read of the period."""
    seconds = _seconds(later, earlier)
    if db.engine.dialect.name == "postgresql":
        median = func.percentile_cont(0.5).within_group(seconds)
        query = select(Ticket.queue_id, func.count(), median).where(*where)
        return {
            key: (int(n), None if s is None else dt.timedelta(seconds=round(s)))
            for key, n, s in db.session.execute(query.group_by(Ticket.queue_id))
        }
    counts: Counter[int] = Counter()  # SQLite has no percentile: the median in Python
    found: dict[int, list[float]] = defaultdict(list)
    for key, s in db.session.execute(select(Ticket.queue_id, seconds).where(*where)):
        counts[key] += 1
        if s is not None:
            found[key].append(float(s))
    # julianday's floats are a few microseconds off: whole seconds, as PostgreSQL's are.
    return {
        key: (n, dt.timedelta(seconds=round(statistics.median(found[key]))) if found[key] else None)
        for key, n in counts.items()
    }


def _people_clause(user: User) -> ColumnElement[bool]:
    """Whose figures `user` may read: see the module's docstring."""
    if user.role is Role.ADMIN:
        return true()
    led = select(QueueMembership.queue_id).where(
        QueueMembership.user_id == user.id, QueueMembership.is_lead.is_(True)
    )
    return or_(Ticket.assignee_id == user.id, Ticket.queue_id.in_(led.scalar_subquery()))


def activity_report(user: User, start: dt.datetime, end: dt.datetime) -> Activity:
    """What came in and went out of the queues `user` works, in [start, end)."""
    worked = worked_clause(user)
    came_in = (worked, Ticket.created_at >= start, Ticket.created_at < end)
    went_out = (worked, Ticket.resolved_at >= start, Ticket.resolved_at < end)
    still_open = (worked, open_clause())
    created = _flow(Ticket.first_responded_at, Ticket.created_at, *came_in)
    resolved = _flow(Ticket.resolved_at, Ticket.created_at, *went_out)
    open_now = _counts(Ticket.queue_id, *still_open)

    queue_ids = created.keys() | resolved.keys() | open_now.keys()
    # The name in the reader's language: a property of the row, not a column.
    names = {q.id: q.name for q in db.session.scalars(select(Queue).where(Queue.id.in_(queue_ids)))}
    queues = []
    for key in queue_ids:
        came, first_response = created.get(key, (0, None))
        went, resolution = resolved.get(key, (0, None))
        queues.append(
            QueueActivity(names[key], came, went, open_now.get(key, 0), first_response, resolution)
        )

    whose = (Ticket.assignee_id.is_not(None), _people_clause(user))
    by_resolver = _counts(Ticket.assignee_id, *went_out, *whose)
    by_holder = _counts(Ticket.assignee_id, *still_open, *whose)
    people_ids = by_resolver.keys() | by_holder.keys()
    people = dict(
        db.session.execute(select(User.id, User.display_name).where(User.id.in_(people_ids))).all()
    )
    technicians = [
        TechnicianActivity(
            name=people[key], resolved=by_resolver.get(key, 0), holding=by_holder.get(key, 0)
        )
        for key in people_ids
    ]
    return Activity(
        queues=sorted(queues, key=lambda row: row.label.casefold()),
        technicians=sorted(technicians, key=lambda row: row.name.casefold()),
    )
