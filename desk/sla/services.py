"""SLA services: a ticket's due dates, its paused clock, its outcome, and the policy lookups.

Subscribed at import to the ticket lifecycle signals (sent inside the ticket's transaction):
- created: due dates from the request type's policy, on its calendar;
- waiting on the requester / resolved: the clock stops (`sla_paused_since`);
- back to an open status: the due dates not yet passed when the clock stopped move later by
  the business time the pause lasted (a crossed threshold is final: it was warned about);
- first public reply, or move to in progress or to waiting on the requester by staff: first
  response recorded, met or not;
- resolved: resolution met or not (a reopen clears it until the next resolution);
- closed or cancelled unresolved: a deadline already passed is missed (one ahead: no outcome).
A finished ticket is never recomputed: its outcome is what was true when it finished.
Each target counts from its own start (`*_started_at`): the creation, or when the target came
to the ticket (a policy given later, a target added to one: never from the creation, which
breached every older ticket at once). A target whose value changes is computed again from
that start; a removed target or policy leaves the open tickets no date of it at all, recorded
thresholds included (`recompute_ticket`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from desk.auth.models import Role, User
from desk.catalog.models import RequestType
from desk.core.db import utcnow
from desk.extensions import db
from desk.reference.models import Queue, QueueMembership
from desk.sla.cache import Terms, sla_copy, terms_of
from desk.sla.calendar import BusinessCalendar
from desk.sla.models import SlaCalendar, SlaEvent, SlaPolicy
from desk.sla.parsing import day_minutes, describe_duration
from desk.sla.sweep import sweep_sla  # noqa: F401 - the task's entry point lives with the sweep
from desk.tickets.models import OPEN_STATUSES, EventKind, Status, Ticket, TicketEvent, locked_ticket
from desk.tickets.signals import ticket_changed, ticket_created, ticket_replied

log = logging.getLogger(__name__)
UTC = dt.UTC
# target -> (due column, warning column)
TARGETS = {
    "first_response": ("first_response_due_at", "first_response_warn_at"),
    "resolution": ("resolution_due_at", "resolution_warn_at"),
}
# target -> when it started counting for the ticket
STARTS = {
    "first_response": "first_response_started_at",
    "resolution": "resolution_started_at",
}
# A recorded warning fixes its threshold; a recorded breach fixes the due date too (last: the
# column the recorded instant was read from).
FROZEN_BY = {
    "first_response_warning": ("first_response_warn_at",),
    "first_response_breach": ("first_response_warn_at", "first_response_due_at"),
    "resolution_warning": ("resolution_warn_at",),
    "resolution_breach": ("resolution_warn_at", "resolution_due_at"),
}
PAUSING = frozenset({Status.WAITING_ON_REQUESTER, Status.RESOLVED})
# Finished without a resolution (from an open status: one resolved first kept its outcome).
UNRESOLVED_ENDS = frozenset({Status.CLOSED, Status.CANCELLED})


@lru_cache(maxsize=128)
def _engine(timezone: str, weekly: str, holidays: tuple[str, ...]) -> BusinessCalendar:
    days = {int(d): [tuple(i) for i in spans] for d, spans in json.loads(weekly).items() if spans}
    return BusinessCalendar(timezone=timezone, weekly_hours=days, holidays=holidays)


def to_calendar(calendar: SlaCalendar) -> BusinessCalendar:
    """The engine of a stored calendar; cached by definition, so edits are never stale."""
    weekly = json.dumps(calendar.weekly_hours or {}, sort_keys=True)
    return _engine(calendar.timezone, weekly, tuple(calendar.holidays or ()))


def calendar_for_queue(queue: Queue) -> BusinessCalendar | None:
    """The business hours of a queue's team, if it has a calendar (the process's copy)."""
    if queue.calendar_id is None:
        return None
    kept = sla_copy().calendars.get(queue.calendar_id)
    if kept is not None:
        return kept
    return to_calendar(queue.calendar) if queue.calendar is not None else None


def policy_terms(policy: SlaPolicy | None) -> Terms | None:
    """A stored policy's targets with its calendar's engine."""
    return terms_of(policy, to_calendar(policy.calendar)) if policy is not None else None


def policy_for(request_type_id: int) -> SlaPolicy | None:
    """The SLA policy of a request type, if any."""
    return db.session.scalar(select(SlaPolicy).filter_by(request_type_id=request_type_id))


def queue_leads(ticket: Ticket, queue_id: int | None = None) -> list[User]:
    """Active leads of the ticket's queue (or of `queue_id`, the one it is moving to, not yet
    flushed): they receive escalations."""
    return list(
        db.session.scalars(
            select(User)
            .join(QueueMembership, QueueMembership.user_id == User.id)
            .where(
                QueueMembership.queue_id == (queue_id or ticket.queue_id),
                QueueMembership.is_lead.is_(True),
                User.is_active_account.is_(True),
            )
            .order_by(User.display_name)
        )
    )


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(UTC)


def _deadline(
    cal: BusinessCalendar,
    start: dt.datetime,
    target: dt.timedelta,
    pauses: list[tuple[dt.datetime, dt.datetime]],
) -> dt.datetime:
    """`target` of business time after `start`, moved later by each finished pause that began
    before it was reached (the same rule `resume_clock` applies as it happens)."""
    due = cal.add_business_time(start, target)
    for paused, resumed in pauses:
        if due <= paused:
            break
        due = cal.add_business_time(resumed, cal.business_time_between(paused, due))
    return _utc(due)


def _set_target(
    ticket: Ticket,
    name: str,
    terms: Terms,
    start: dt.datetime,
    pauses: list[tuple[dt.datetime, dt.datetime]],
    frozen: set[str],
) -> None:
    """One target's due date and warning time, `start` plus its business time (and pauses)."""
    minutes = getattr(terms, f"{name}_minutes")
    due_col, warn_col = TARGETS[name]
    for column, share in ((due_col, 100), (warn_col, terms.warning_percent)):
        if column not in frozen:
            target = dt.timedelta(seconds=minutes * 60 * share // 100)
            setattr(ticket, column, _deadline(terms.calendar, start, target, pauses))


def _clear_target(ticket: Ticket, name: str) -> None:
    """A target the ticket no longer has: no date, no start, recorded thresholds included (no
    target stands behind them: the sweep would still warn or breach on them, the page and the
    lists would show them), and no outcome measured against it."""
    for column in (*TARGETS[name], STARTS[name]):
        setattr(ticket, column, None)
    if name == "first_response":
        ticket.first_response_met = None


def _has_target(ticket: Ticket, name: str) -> bool:
    return any(getattr(ticket, column) is not None for column in (*TARGETS[name], STARTS[name]))


def start_clock(ticket: Ticket, *, at: dt.datetime) -> None:
    """Compute the due dates of a new ticket from its request type's policy.

    The policy and calendar come from the process's copy (no query on the submit path)."""
    request_type_id = ticket.request_type_id
    if request_type_id is None and ticket.request_type is not None:
        request_type_id = ticket.request_type.id
    terms = sla_copy().terms.get(request_type_id) if request_type_id is not None else None
    for name in TARGETS:
        if terms is None or not getattr(terms, f"{name}_minutes"):
            _clear_target(ticket, name)
        else:
            setattr(ticket, STARTS[name], at)
            _set_target(ticket, name, terms, at, [], set())


def _met(ticket: Ticket, due: dt.datetime | None, at: dt.datetime) -> bool | None:
    """Was `due` kept by something done at `at`? A paused clock does not run."""
    if due is None:
        return None
    paused = ticket.sla_paused_since
    if paused is not None and at >= paused:
        return due > paused
    return at <= due


def record_first_response(ticket: Ticket, *, at: dt.datetime) -> None:
    """The first public reply or staff action: record it and whether it met its target."""
    if ticket.first_responded_at is None:
        ticket.first_responded_at = at
    if ticket.first_response_met is None:
        ticket.first_response_met = _met(
            ticket, ticket.first_response_due_at, ticket.first_responded_at
        )


def pause_clock(ticket: Ticket, *, at: dt.datetime) -> None:
    """Stop the clock (waiting on the requester, or resolved)."""
    if ticket.sla_paused_since is None:
        ticket.sla_paused_since = at


def resume_clock(ticket: Ticket, *, at: dt.datetime) -> None:
    """Restart the clock: push the thresholds still ahead when it stopped by the pause."""
    paused = ticket.sla_paused_since
    if paused is None:
        return
    ticket.sla_paused_since = None
    policy = policy_for(ticket.request_type_id)
    if policy is None:
        # Its policy went while it was finished (it kept what it met): reopened, it is an
        # open ticket with no target, and the sweep breached it on the removed one's dates.
        recompute_ticket(ticket)
        return
    terms = policy_terms(policy)
    cal = terms.calendar
    for name, columns in TARGETS.items():
        if not getattr(policy, f"{name}_minutes"):
            if _has_target(ticket, name):
                # Removed while it was finished (finished tickets are not recomputed).
                _clear_target(ticket, name)
            continue
        if name == "first_response" and ticket.first_responded_at is not None:
            continue
        if getattr(ticket, STARTS[name]) is None and getattr(ticket, columns[0]) is None:
            # The target came while it was finished: reopened, it counts a full target from
            # now, as a ticket waiting then does (never from its creation: at once overdue).
            setattr(ticket, STARTS[name], at)
            _set_target(ticket, name, terms, at, [], set())
            continue
        if at <= paused:
            continue
        for column in columns:
            value = getattr(ticket, column)
            if value is not None and value > paused:
                remaining = cal.business_time_between(paused, value)
                setattr(ticket, column, _utc(cal.add_business_time(at, remaining)))


def record_resolution(ticket: Ticket, actor: User | None, *, at: dt.datetime) -> None:
    """Resolved: a staff resolution answers too; the outcome is recorded; the clock stops."""
    if actor is not None and actor.role is not Role.REQUESTER:
        record_first_response(ticket, at=at)
    ticket.resolution_met = _met(ticket, ticket.resolution_due_at, at)
    pause_clock(ticket, at=at)


def record_unresolved_end(ticket: Ticket, *, at: dt.datetime) -> None:
    """Closed or cancelled without a resolution: a deadline already passed then was missed,
    and stays missed (the sweep breached it, its people were told; the report counted it
    while it was open, and dropped it once finished: a late ticket closed unresolved left
    the statistics). One still ahead has no outcome: nothing was left to measure."""
    if ticket.resolution_met is None and _met(ticket, ticket.resolution_due_at, at) is False:
        ticket.resolution_met = False
    if (
        ticket.first_responded_at is None
        and ticket.first_response_met is None
        and _met(ticket, ticket.first_response_due_at, at) is False
    ):
        ticket.first_response_met = False


def _on_created(ticket: Ticket, **_kwargs) -> None:
    start_clock(ticket, at=ticket.created_at or utcnow())


def _on_changed(
    ticket: Ticket, actor: User | None = None, changes: dict | None = None, **_kwargs
) -> None:
    if not changes or "status" not in changes:
        return
    old, new = (Status(v) if v is not None else None for v in changes["status"])
    at = ticket.updated_at or utcnow()
    staff = actor is not None and actor.role is not Role.REQUESTER
    if new is Status.RESOLVED:
        record_resolution(ticket, actor, at=at)
        return
    if new in UNRESOLVED_ENDS and old in OPEN_STATUSES:
        record_unresolved_end(ticket, at=at)
        return
    if new in PAUSING:
        pause_clock(ticket, at=at)
    elif new in OPEN_STATUSES:
        if old is Status.RESOLVED or new is Status.REOPENED:
            ticket.resolution_met = None  # decided again at the next resolution
        resume_clock(ticket, at=at)
    if new in (Status.IN_PROGRESS, Status.WAITING_ON_REQUESTER) and staff:
        # Staff asking the requester something (the ticket waits on their answer) have
        # answered: without this, the first answer's deadline came back when the requester
        # wrote back, and their own delay made it "overdue".
        record_first_response(ticket, at=at)


def _on_replied(
    ticket: Ticket, actor: User | None = None, event: TicketEvent | None = None, **_kwargs
) -> None:
    if event is not None and event.kind is EventKind.REPLY:
        record_first_response(ticket, at=event.created_at or utcnow())


ticket_created.connect(_on_created)
ticket_changed.connect(_on_changed)
ticket_replied.connect(_on_replied)


def _pauses(ticket: Ticket) -> list[tuple[dt.datetime, dt.datetime]]:
    """Finished pauses of the clock, rebuilt from the status history."""
    changes = db.session.scalars(
        select(TicketEvent)
        .where(
            TicketEvent.ticket_id == ticket.id,
            TicketEvent.kind == EventKind.CHANGE,
            TicketEvent.field == "status",
        )
        .order_by(TicketEvent.id)
    )
    pauses, since = [], None
    for change in changes:
        status = Status(change.new_value)
        if status in PAUSING and since is None:
            since = change.created_at
        elif status in OPEN_STATUSES and status not in PAUSING and since is not None:
            pauses.append((since, change.created_at))
            since = None
    return pauses


def _target_start(ticket: Ticket, name: str, policy: SlaPolicy) -> dt.datetime | None:
    """When a target of `policy` started counting for the ticket; None: it does not apply.

    Kept on the ticket (`*_started_at`), so that a later change of the target's value still
    counts from there. A target the ticket did not have (no policy then, or a policy without
    this target) counts from the time it was added to the request type (kept on the policy
    by the change itself, whenever this runs), not from the creation: else every older
    ticket was past it at once, and the next sweep breached and escalated them all. A
    first-response target that comes once the ticket was answered has nothing left to
    measure."""
    column = STARTS[name]
    started = getattr(ticket, column)
    if started is not None:
        return started
    if getattr(ticket, TARGETS[name][0]) is not None:
        started = ticket.created_at  # dates from before the starts were kept: its creation
    elif name == "first_response" and ticket.first_responded_at is not None:
        return None
    else:
        started = max(ticket.created_at, policy.target_added_at(name))
    setattr(ticket, column, started)
    return started


def _frozen(ticket: Ticket) -> set[str]:
    """The columns a recompute keeps: the thresholds the sweep recorded at their current
    value (they were warned about), and the first answer's once it was given.

    At their current value only: one recorded under a policy since removed was cleared with
    it, and the policy given again sets it anew (else it stayed empty for good)."""
    crossed = db.session.execute(
        select(SlaEvent.kind, SlaEvent.due_at).where(SlaEvent.ticket_id == ticket.id)
    )
    frozen = {
        column
        for kind, due_at in crossed
        if getattr(ticket, FROZEN_BY[kind][-1]) == due_at
        for column in FROZEN_BY[kind]
    }
    if ticket.first_responded_at is not None:
        frozen |= set(TARGETS["first_response"])
    return frozen


def recompute_ticket(ticket: Ticket) -> None:
    """Each target's dates again from its own start, with the current policy and the pauses
    since: a target whose value changed (shortened, lengthened) counts its new value from the
    same start, one added counts from when it came, one removed leaves no date.

    Thresholds already recorded by the sweep keep their value: they were warned about. A
    target (or policy) removed keeps nothing: no target stands behind them, the sweep would
    still warn or breach on them, the page showed them (`_clear_target`)."""
    policy = policy_for(ticket.request_type_id)
    terms = policy_terms(policy)
    frozen: set[str] | None = None
    history: list[tuple[dt.datetime, dt.datetime]] | None = None
    for name in TARGETS:
        if terms is None or not getattr(terms, f"{name}_minutes"):
            _clear_target(ticket, name)
            continue
        start = _target_start(ticket, name, policy)
        if start is None:
            continue
        if frozen is None:
            frozen, history = _frozen(ticket), _pauses(ticket)
        # Only the time paused after the start is given back (a pause cut by it, from it).
        pauses = [(max(p, start), resumed) for p, resumed in history if resumed > start]
        paused = ticket.sla_paused_since
        if paused is not None and paused < start:
            # Paused when the target came: resume_clock gives back the business time from the
            # pause's start, so the dates count from there and land a full target after it.
            start = paused
        _set_target(ticket, name, terms, start, pauses, frozen)


def recompute_open_tickets(
    *,
    policy_id: int | None = None,
    calendar_id: int | None = None,
    request_type_id: int | None = None,
) -> int:
    """Recompute the open tickets under a policy, a calendar or a request type, one
    transaction each; return how many were recomputed."""
    query = select(Ticket.id).where(Ticket.status.in_(OPEN_STATUSES))
    if policy_id is not None:
        policy = db.session.get(SlaPolicy, policy_id)
        if policy is None:
            return 0
        query = query.where(Ticket.request_type_id == policy.request_type_id)
    if calendar_id is not None:
        types = select(SlaPolicy.request_type_id).where(SlaPolicy.calendar_id == calendar_id)
        query = query.where(Ticket.request_type_id.in_(types))
    if request_type_id is not None:
        query = query.where(Ticket.request_type_id == request_type_id)
    ids = list(db.session.scalars(query.order_by(Ticket.id)))
    db.session.rollback()  # end the read transaction before the per-ticket ones
    return sum(_recompute_locked(ticket_id) for ticket_id in ids)


def _recompute_locked(ticket_id: int) -> int:
    """One ticket, its row locked and read afresh, committed alone (1 if recomputed).

    Alone: one commit for every ticket failed as a whole when any of them had changed
    meanwhile (its version moved), and no ticket got the new dates. Locked as the sweep
    locks it: a threshold the sweep records meanwhile is seen here and kept, instead of
    being moved later and announced a second time."""
    try:
        ticket = locked_ticket(ticket_id)
        if ticket is None or ticket.status not in OPEN_STATUSES:
            db.session.rollback()
            return 0
        recompute_ticket(ticket)
        db.session.commit()
        return 1
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("SLA recompute: ticket %s keeps its due dates", ticket_id)
        return 0


def remaining_business_time(
    ticket: Ticket, now: dt.datetime, target: str = "resolution"
) -> dt.timedelta | None:
    """Business time left before the due date (negative once past; frozen while paused)."""
    due = getattr(ticket, TARGETS[target][0])
    policy = policy_for(ticket.request_type_id)
    if due is None or policy is None:
        return None
    cal = to_calendar(policy.calendar)
    return cal.business_time_between(ticket.sla_paused_since or now, due)


def describe_target(minutes: int, calendar: SlaCalendar) -> str:
    """ "1 jour ouvré", "4 heures ouvrées"... in the UI language."""
    cal = to_calendar(calendar)
    return describe_duration(minutes, day_minutes(cal), business=not calendar.is_24_7)


def sla_hint(request_type: RequestType) -> str:
    """What the catalogue promises for a request type, e.g. "Traitement sous 1 jour ouvré"."""
    policy = policy_for(request_type.id)
    if policy is None:
        return ""
    if policy.resolution_minutes:
        return _(
            "Handled within %(duration)s",
            duration=describe_target(policy.resolution_minutes, policy.calendar),
        )
    if policy.first_response_minutes:
        return _(
            "First response within %(duration)s",
            duration=describe_target(policy.first_response_minutes, policy.calendar),
        )
    return ""
