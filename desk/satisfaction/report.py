"""Satisfaction in the SLA report: average score and number of ratings per queue and type."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from desk.auth.models import User
from desk.catalog.models import RequestType
from desk.extensions import db
from desk.reference.models import Queue
from desk.satisfaction.models import Rating
from desk.tickets.access import worked_clause
from desk.tickets.models import Ticket


@dataclass
class SatisfactionRow:
    """Ratings of one queue or request type."""

    label: str
    count: int
    average: float


def _rows(group_column, user: User, start: dt.datetime, end: dt.datetime) -> dict[int, tuple]:
    query = (
        select(group_column, func.count(Rating.id), func.avg(Rating.score))
        .join(Ticket, Ticket.id == Rating.ticket_id)
        .where(worked_clause(user), Ticket.created_at >= start, Ticket.created_at < end)
        .group_by(group_column)
    )
    return {row[0]: (int(row[1]), float(row[2])) for row in db.session.execute(query)}


def satisfaction_report(
    user: User, start: dt.datetime, end: dt.datetime
) -> dict[str, list[SatisfactionRow]]:
    """Rows per queue and per request type for rated tickets created in [start, end)."""
    by_queue = _rows(Ticket.queue_id, user, start, end)
    by_type = _rows(Ticket.request_type_id, user, start, end)
    queues = {q.id: q.name for q in db.session.scalars(select(Queue).where(Queue.id.in_(by_queue)))}
    types = {
        t.id: t.title
        for t in db.session.scalars(select(RequestType).where(RequestType.id.in_(by_type)))
    }

    def rows(found: dict[int, tuple], names: dict[int, str]) -> list[SatisfactionRow]:
        return sorted(
            (SatisfactionRow(names[k], *v) for k, v in found.items()), key=lambda r: r.label
        )

    return {"queues": rows(by_queue, queues), "request_types": rows(by_type, types)}
