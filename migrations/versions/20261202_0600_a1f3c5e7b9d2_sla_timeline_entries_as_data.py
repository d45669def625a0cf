"""SLA timeline entries written as French sentences become data told in the reader's language

Revision ID: a1f3c5e7b9d2
Revises: e67b93f34d9f
Create Date: 2026-12-02 05:00:00

Before 2026-12-02 the SLA sweep stored each warning and breach as a sentence in the worker's
language (French): "Objectif de résolution dépassé (échéance : 01/12/2026 17:00). Priorité :
Haute ; ...". Since then it stores the kind (`new_value`) and "due date|priority"
(`old_value`), and the page writes the sentence in its reader's language
(desk.sla.timeline). This migration gives the old rows the same data, read back from their
sentence (the date as shown in the display time zone, the priority's label) or, when the
sentence cannot be read, from the matching `sla_event` row and the ticket's priority; their
body is then emptied so that nobody reads the French sentence any more. A row whose date can
be found nowhere keeps its sentence (still readable, as before).

Downgrade leaves the data: the code of the previous revision already tells structured rows.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a1f3c5e7b9d2"
down_revision = "e67b93f34d9f"
branch_labels = None
depends_on = None

# The sweep formatted dates with CLDR's "short" pattern: 01/12/2026 17:00 (fr),
# 12/1/26, 5:00 PM (en).
_FRENCH_DATE = re.compile(r"(\d{2})/(\d{2})/(\d{4}) (\d{2}):(\d{2})")
_ENGLISH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2}), (\d{1,2}):(\d{2})\s*([AP]M)")
# The priority labels of both catalogues, as written after "Priorité :" / "Priority:".
_PRIORITIES = {
    "basse": 1,
    "normale": 2,
    "haute": 3,
    "critique": 4,
    "low": 1,
    "normal": 2,
    "high": 3,
    "critical": 4,
}
_PRIORITY = re.compile(r"Priorit(?:é|y)\s*:\s*(\w+)", re.IGNORECASE)

ticket_event = sa.table(
    "ticket_event",
    sa.column("id", sa.Integer),
    sa.column("ticket_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("field", sa.String),
    sa.column("old_value", sa.String),
    sa.column("new_value", sa.String),
    sa.column("body", sa.Text),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
ticket = sa.table("ticket", sa.column("id", sa.Integer), sa.column("priority", sa.Integer))
sla_event = sa.table(
    "sla_event",
    sa.column("ticket_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("due_at", sa.DateTime(timezone=True)),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def _utc(value) -> dt.datetime | None:
    """A stored instant as an aware UTC datetime (SQLite gives naive UTC, or text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def date_from_sentence(body: str, zone: ZoneInfo) -> dt.datetime | None:
    """The due date a sentence shows (in `zone`), as UTC; None if there is none."""
    match = _FRENCH_DATE.search(body)
    if match:
        day, month, year, hour, minute = (int(g) for g in match.groups())
    else:
        match = _ENGLISH_DATE.search(body)
        if not match:
            return None
        month, day, year, hour, minute = (int(g) for g in match.groups()[:5])
        year += 2000
        hour = hour % 12 + (12 if match.group(6) == "PM" else 0)
    try:
        local = dt.datetime(year, month, day, hour, minute, tzinfo=zone)
    except ValueError:
        return None
    return local.astimezone(dt.UTC)


def priority_from_sentence(body: str) -> int | None:
    """The priority a breach sentence names; None if it names none."""
    match = _PRIORITY.search(body)
    return _PRIORITIES.get(match.group(1).lower()) if match else None


def convert(bind) -> int:
    """Give every old sentence-only SLA entry its data; returns how many rows changed."""
    zone = ZoneInfo(os.environ.get("DESK_DISPLAY_TIMEZONE") or "Europe/Paris")
    rows = bind.execute(
        sa.select(
            ticket_event.c.id,
            ticket_event.c.ticket_id,
            ticket_event.c.new_value,
            ticket_event.c.body,
            ticket_event.c.created_at,
            ticket.c.priority,
        )
        .join(ticket, ticket.c.id == ticket_event.c.ticket_id)
        .where(
            ticket_event.c.kind == "system",
            ticket_event.c.field == "sla",
            ticket_event.c.body != "",
            sa.or_(ticket_event.c.old_value.is_(None), ticket_event.c.old_value == ""),
        )
    ).all()
    changed = 0
    for row in rows:
        due = date_from_sentence(row.body, zone)
        if due is None:
            # The instant the sweep recorded with the entry (for a warning: the threshold).
            recorded = bind.execute(
                sa.select(sla_event.c.due_at, sla_event.c.created_at).where(
                    sla_event.c.ticket_id == row.ticket_id, sla_event.c.kind == row.new_value
                )
            ).all()
            at = _utc(row.created_at)
            if recorded and at is not None:
                due = _utc(min(recorded, key=lambda r: abs(_utc(r.created_at) - at)).due_at)
        if due is None:
            continue
        priority = priority_from_sentence(row.body) or row.priority or 2
        bind.execute(
            sa.update(ticket_event)
            .where(ticket_event.c.id == row.id)
            .values(old_value=f"{due.isoformat()}|{priority}", body="")
        )
        changed += 1
    return changed


def upgrade():
    convert(op.get_bind())


def downgrade():
    pass
