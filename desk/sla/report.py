"""The SLA report: per queue and per request type, the share of tickets that met their targets.

A ticket counts once its outcome is known: met or missed as recorded at first response /
resolution (or when it was closed or cancelled unresolved, past a deadline), or missed
already when it is still open and past its due date (or was when its clock stopped).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select

from desk.auth.models import User
from desk.catalog.models import RequestType
from desk.extensions import db
from desk.reference.models import Queue
from desk.tickets.access import worked_clause
from desk.tickets.models import OPEN_STATUSES, Ticket


@dataclass
class ReportRow:
    """Counts of one queue or request type."""

    label: str
    first_met: int = 0
    first_missed: int = 0
    resolution_met: int = 0
    resolution_missed: int = 0

    @staticmethod
    def _share(met: int, missed: int) -> float | None:
        return round(100 * met / (met + missed), 1) if met + missed else None

    @property
    def first_share(self) -> float | None:
        return self._share(self.first_met, self.first_missed)

    @property
    def resolution_share(self) -> float | None:
        return self._share(self.resolution_met, self.resolution_missed)


def _count(condition: ColumnElement[bool]):
    return func.sum(case((condition, 1), else_=0))


def _missed(met_column, due_column, now: dt.datetime) -> ColumnElement[bool]:
    # Past due while open, its clock running, or already past due when the clock stopped
    # (waiting on the requester): a deadline passed is missed whatever came after, as the
    # sweep recorded it. Counting only running tickets dropped a late ticket from 'missed'
    # while it waited, and put it back once the requester answered.
    late = or_(
        and_(Ticket.sla_paused_since.is_(None), due_column <= now),
        due_column <= Ticket.sla_paused_since,
    )
    running_late = and_(met_column.is_(None), Ticket.status.in_(OPEN_STATUSES), late)
    return or_(met_column.is_(False), running_late)


def report_query(
    group_column, user: User, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> Select:
    """Counts per `group_column` of the tickets created in [start, end) that `user` works."""
    return (
        select(
            group_column,
            _count(Ticket.first_response_met.is_(True)),
            _count(_missed(Ticket.first_response_met, Ticket.first_response_due_at, now)),
            _count(Ticket.resolution_met.is_(True)),
            _count(_missed(Ticket.resolution_met, Ticket.resolution_due_at, now)),
        )
        .where(
            worked_clause(user),
            Ticket.created_at >= start,
            Ticket.created_at < end,
            or_(Ticket.first_response_due_at.is_not(None), Ticket.resolution_due_at.is_not(None)),
        )
        .group_by(group_column)
    )


def _rows(
    group_column, user: User, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> dict[int, list[int]]:
    query = report_query(group_column, user, start, end, now)
    return {row[0]: [int(v or 0) for v in row[1:]] for row in db.session.execute(query)}


def period_bounds(first: dt.date, last: dt.date, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """Whole local days first..last as a half-open UTC range."""
    zone = ZoneInfo(timezone)
    start = dt.datetime.combine(first, dt.time(), zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def sla_report(
    user: User, first: dt.date, last: dt.date, *, timezone: str, now: dt.datetime
) -> dict[str, list[ReportRow]]:
    """Rows per queue and per request type for tickets created in the period, as `user` sees."""
    start, end = period_bounds(first, last, timezone)
    by_queue = _rows(Ticket.queue_id, user, start, end, now)
    by_type = _rows(Ticket.request_type_id, user, start, end, now)
    queues = {q.id: q.name for q in db.session.scalars(select(Queue).where(Queue.id.in_(by_queue)))}
    types = {
        t.id: t.title
        for t in db.session.scalars(select(RequestType).where(RequestType.id.in_(by_type)))
    }
    total = ReportRow(label="")
    for counts in by_queue.values():
        for i, name in enumerate(
            ("first_met", "first_missed", "resolution_met", "resolution_missed")
        ):
            setattr(total, name, getattr(total, name) + counts[i])
    return {
        "queues": sorted(
            (ReportRow(queues[k], *v) for k, v in by_queue.items()), key=lambda r: r.label
        ),
        "request_types": sorted(
            (ReportRow(types[k], *v) for k, v in by_type.items()), key=lambda r: r.label
        ),
        "total": [total],
    }
