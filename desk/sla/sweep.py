"""The minute sweep: record each crossed warning threshold or due date exactly once.

Exactly once, even with two beat instances, a retried task or a worker killed mid-run, because
each (ticket, kind, crossed instant) is recorded in its own transaction whose first write is an
INSERT ... ON CONFLICT DO NOTHING into `sla_event` (unique on those three columns):

- the history entry, the escalation and the signal's rows are committed with that row or not
  at all (a killed worker leaves nothing behind, and the next run does the work);
- a concurrent sweep blocks on the same ticket's row lock / unique key and, once the first
  commits, finds the conflict and does nothing.

What a ticket crossed at the same instant is recorded together, in one transaction, and told
once: a ticket past both its first-response and resolution due dates (a backlog, a target
shortened) is escalated once (its priority raised one level, not two), and its people get one
message naming both deadlines, not two. Each threshold keeps its own ledger row and timeline
entry.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.exc import SQLAlchemyError

from desk.extensions import db
from desk.sla.models import SlaEvent
from desk.sla.models import SlaEventKind as K
from desk.sla.signals import sla_breached, sla_warning
from desk.sla.timeline import ROLE_ORDER, encode_sla_data
from desk.tickets.history import record_changes, system_line
from desk.tickets.models import Priority, Ticket, locked_ticket, open_clause

log = logging.getLogger(__name__)

# kind -> (column crossed, the due date a warning announces, or None for a breach)
THRESHOLDS = {
    K.FIRST_RESPONSE_WARNING: ("first_response_warn_at", "first_response_due_at"),
    K.FIRST_RESPONSE_BREACH: ("first_response_due_at", None),
    K.RESOLUTION_WARNING: ("resolution_warn_at", "resolution_due_at"),
    K.RESOLUTION_BREACH: ("resolution_due_at", None),
}
BATCH = 500
# A run stops starting batches after this long: beat starts the next one a minute later.
BUDGET_SECONDS = 40.0


def _pending(kind: K, now: dt.datetime) -> ColumnElement[bool]:
    """Tickets that crossed `kind` at `now` and have not recorded it: a range of the running
    tickets' partial index on the threshold column (its predicate repeated, inline)."""
    column_name, due_name = THRESHOLDS[kind]
    column = getattr(Ticket, column_name)
    clauses = [column <= now, open_clause(), Ticket.sla_paused_since.is_(None)]
    if kind in (K.FIRST_RESPONSE_WARNING, K.FIRST_RESPONSE_BREACH):
        clauses.append(Ticket.first_responded_at.is_(None))
    if due_name:
        # Past the due date, the breach supersedes the warning.
        clauses.append(getattr(Ticket, due_name) > now)
    recorded = exists().where(
        SlaEvent.ticket_id == Ticket.id, SlaEvent.kind == kind.value, SlaEvent.due_at == column
    )
    clauses.append(~recorded)
    return and_(*clauses)


def _still_pending(ticket: Ticket, kind: K, now: dt.datetime) -> bool:
    """The same rule on the locked, freshly read row (it may have changed since the query)."""
    column_name, due_name = THRESHOLDS[kind]
    crossed = getattr(ticket, column_name)
    if crossed is None or crossed > now or not ticket.is_open or ticket.sla_paused_since:
        return False
    if kind in (K.FIRST_RESPONSE_WARNING, K.FIRST_RESPONSE_BREACH) and ticket.first_responded_at:
        return False
    return not (due_name and getattr(ticket, due_name) <= now)


def sweep_sla(now: dt.datetime) -> int:
    """Record every threshold crossed at `now`; return how many events this run recorded."""
    return run_sweep(now).recorded


@dataclass
class SweepRun:
    recorded: int
    complete: bool  # nothing crossed at `now` was left unrecorded


def run_sweep(now: dt.datetime) -> SweepRun:
    """Record what crossed a threshold at `now`, a batch at a time, until none is left or the
    budget is spent: a backlog (beat or the workers down for an hour, a policy shortened for
    thousands of open tickets) clears in one run rather than 500 a minute, and the run says
    whether it got through, for the lag metric."""
    deadline = time.monotonic() + BUDGET_SECONDS
    recorded = 0
    for kind, (column_name, _due) in THRESHOLDS.items():
        column = getattr(Ticket, column_name)
        while True:
            ids = list(
                db.session.scalars(
                    select(Ticket.id).where(_pending(kind, now)).order_by(column).limit(BATCH)
                )
            )
            db.session.rollback()  # end the read transaction before the per-ticket ones
            done = sum(_record(ticket_id, kind, now) for ticket_id in ids)
            recorded += done
            if len(ids) < BATCH:
                break
            if not done or time.monotonic() > deadline:
                # A full batch none of which could be recorded would come back as it is.
                return SweepRun(recorded, complete=False)
    return SweepRun(recorded, complete=True)


def _insert_event(ticket_id: int, kind: K, due_at: dt.datetime, now: dt.datetime) -> bool:
    """INSERT the event unless it exists; True when this transaction inserted it."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = SlaEvent.__table__
    statement = (
        insert(table)
        .values(ticket_id=ticket_id, kind=kind.value, due_at=due_at, created_at=now)
        .on_conflict_do_nothing(index_elements=["ticket_id", "kind", "due_at"])
        .returning(table.c.id)
    )
    return db.session.execute(statement).scalar() is not None


def _record(ticket_id: int, kind: K, now: dt.datetime) -> int:
    """The ticket's crossed thresholds in one transaction: lock the ticket, insert `kind`'s
    event and those of the other thresholds it crossed by `now`, act once, commit. Returns
    how many events were recorded."""
    try:
        ticket = locked_ticket(ticket_id)
        if ticket is None or not _still_pending(ticket, kind, now):
            db.session.rollback()
            return 0
        crossed = [
            (other, getattr(ticket, THRESHOLDS[other][0]))
            for other in THRESHOLDS
            if other is kind or _still_pending(ticket, other, now)
        ]
        recorded = [(k, due) for k, due in crossed if _insert_event(ticket.id, k, due, now)]
        if not recorded:
            db.session.rollback()
            return 0
        _act(ticket, recorded, now)
        db.session.commit()
        return len(recorded)
    except SQLAlchemyError:
        # E.g. a concurrent edit of the ticket: nothing was recorded, the next sweep retries.
        db.session.rollback()
        log.exception("SLA sweep: could not record %s for ticket %s", kind.value, ticket_id)
        return 0


def _deadline(ticket: Ticket, kind: K, due_at: dt.datetime) -> dt.datetime:
    """The due date an event is about: a warning's `due_at` is its threshold."""
    due_name = THRESHOLDS[kind][1]
    deadline = getattr(ticket, due_name) if due_name else None
    return deadline or due_at


def _act(ticket: Ticket, recorded: list[tuple[K, dt.datetime]], now: dt.datetime) -> None:
    """History entries, one escalation if anything was breached, then one signal per kind of
    news (warnings, breaches) naming every threshold crossed.

    An entry stores what happened (kind, due date, priority reached, and for a breach whom
    it reached by e-mail), not a sentence: each reader sees it in their language
    (`desk.sla.timeline.describe_sla_event`).
    """
    level = ticket.priority
    raised = False
    if any(kind.is_breach for kind, _due in recorded):
        # Once, whatever the number of deadlines missed at once: two breaches found by one
        # sweep raised it two levels (normal to critical) and told the leads twice.
        old = ticket.priority
        level = min(old + 1, Priority.CRITICAL)
        raised = level != old
        if raised:
            ticket.priority = level
            record_changes(ticket, None, {"priority": (old, level)}, internal=True, at=now)
    # The news first: a breach's line says whom it reached by e-mail (what the subscribers
    # return), not whom the rule meant to reach.
    alerted: list[str] | None = None
    for signal, breach in ((sla_warning, False), (sla_breached, True)):
        crossed = [(kind, due_at) for kind, due_at in recorded if kind.is_breach is breach]
        if crossed:
            # Whether the breach raised the priority: a critical ticket stays so, and its
            # mail must not say it rose.
            (kind, due_at), *also = crossed
            answers = signal.send(ticket, kind=kind, due_at=due_at, raised=raised, also=also)
            if breach:
                alerted = _alerted(answers)
    for kind, due_at in recorded:
        data = encode_sla_data(
            _deadline(ticket, kind, due_at), int(level), alerted if kind.is_breach else None
        )
        system_line(ticket, "sla", old=data, new=kind.value, internal=True, at=now)


def _alerted(answers: list[tuple[object, object]]) -> list[str] | None:
    """The roles the breach's subscribers say they e-mailed (desk.sla.signals); None when
    none says (nobody listens to who is alerted: the line then claims nothing)."""
    lists = [value for _receiver, value in answers if isinstance(value, list)]
    if not lists:
        return None
    roles = {role for roles in lists for role in roles if role in ROLE_ORDER}
    return sorted(roles, key=ROLE_ORDER.index)
