"""How requests reach the service centre, for the report: the catalogue, a queue's mailbox, or
a staff member who filed it for the person (by phone, in person, from an e-mail...).

Nothing is stored for this beyond what the ticket already has: its CREATED event names how a
request filed by staff came in, and the e-mail channel has request types of its own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, case, func, literal_column, select, text
from sqlalchemy.orm import aliased

from desk.auth.models import User
from desk.catalog.forms.email_request import FORM_KEY as EMAIL_FORM
from desk.catalog.models import RequestType
from desk.core.i18n import lazy_gettext as _l
from desk.extensions import db
from desk.tickets.access import worked_clause
from desk.tickets.models import EventKind, Intake, Ticket, TicketEvent

CATALOGUE = "catalogue"
MAILBOX = "mailbox"

# The report's order: what requesters do themselves first, then what staff file for them.
LABELS = {
    CATALOGUE: _l("Service catalogue, by the requester"),
    MAILBOX: _l("E-mail to a service address"),
    Intake.PHONE.value: _l("Phone call, filed by staff"),
    Intake.IN_PERSON.value: _l("In person, filed by staff"),
    Intake.EMAIL.value: _l("E-mail to a staff member, filed by them"),
    Intake.OTHER.value: _l("Another way, filed by staff"),
}


@dataclass(frozen=True)
class IntakeRow:
    label: str
    count: int
    share: float  # per cent of the period's tickets


def intake_report(user: User, start: dt.datetime, end: dt.datetime) -> list[IntakeRow]:
    """Tickets created in [start, end) that `user` works, by the way they came in."""
    created = aliased(TicketEvent)
    way = case(
        (created.field == literal_column("'intake'"), created.new_value),
        (RequestType.form_key == literal_column(f"'{EMAIL_FORM}'"), literal_column(f"'{MAILBOX}'")),
        else_=literal_column(f"'{CATALOGUE}'"),
    )
    query = (
        select(way, func.count())
        .select_from(Ticket)
        .join(created, and_(created.ticket_id == Ticket.id, created.kind == EventKind.CREATED))
        .outerjoin(RequestType, RequestType.id == Ticket.request_type_id)
        .where(worked_clause(user), Ticket.created_at >= start, Ticket.created_at < end)
        .group_by(text("1"))
    )
    counts = {str(row[0]): int(row[1]) for row in db.session.execute(query)}
    total = sum(counts.values())
    return [
        IntakeRow(str(label), counts[key], round(100 * counts[key] / total, 1))
        for key, label in LABELS.items()
        if counts.get(key)
    ]
