"""Publishing, editing and ending disruptions; following them.

Ending one e-mails its followers through the notification outbox, in the same transaction: a
disruption marked over has told everyone who asked, or (rolled back) nobody.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from desk.auth.models import User
from desk.core.db import utcnow
from desk.extensions import db
from desk.notifications.models import NotificationEvent
from desk.notifications.outbox import Alert, write_alerts
from desk.reference.models import Category, Domain
from desk.status.models import Disruption, DisruptionFollower, DisruptionTicket
from desk.tickets.access import can_work, worked_clause
from desk.tickets.actions import MAX_BULK, BulkResult, bulk_apply, resolve_with_disruption
from desk.tickets.history import record_changes
from desk.tickets.models import OPEN_STATUSES, Ticket

log = logging.getLogger(__name__)

# How long an ended disruption stays on the status page.
RECENT = dt.timedelta(days=7)
# How long ahead planned work shows in the banners (the status page lists all of it).
ANNOUNCE = dt.timedelta(days=7)
# How far from now a start or an expected end may be set.
HORIZON = dt.timedelta(days=366)
BACKDATE = dt.timedelta(days=30)
MAX_RECENT = 20
ENDED_ALERT = "disruption_ended"


class DisruptionError(Exception):
    """A change refused: `kind` is "ended" (already over), "conflict" (edited meanwhile),
    "finished" (a ticket no longer open), "not_allowed" (a ticket the actor does not work)
    or "not_started" (planned work takes no ticket before it starts)."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


@dataclass
class DisruptionText:
    title_fr: str
    details_fr: str
    title_en: str = ""
    details_en: str = ""
    category: Category | None = None
    # None: from now (a new one) or unchanged (an edit).
    starts_at: dt.datetime | None = None
    expected_end_at: dt.datetime | None = None


def _not_over(category_id: int | None, until: dt.datetime | None):
    query = select(Disruption).where(Disruption.ended_at.is_(None))
    if until is not None:
        query = query.where(Disruption.started_at <= until)
    if category_id is not None:
        query = query.where(
            or_(Disruption.category_id.is_(None), Disruption.category_id == category_id)
        )
    return query.order_by(Disruption.started_at.desc())


def current_disruptions(
    category_id: int | None = None, now: dt.datetime | None = None
) -> list[Disruption]:
    """The disruptions going on, newest first; with `category_id`, those of that category
    and those of every service."""
    return list(db.session.scalars(_not_over(category_id, now or utcnow())))


def planned_disruptions(now: dt.datetime | None = None) -> list[Disruption]:
    """Planned work not started yet, the soonest first."""
    query = select(Disruption).where(
        Disruption.ended_at.is_(None), Disruption.started_at > (now or utcnow())
    )
    return list(db.session.scalars(query.order_by(Disruption.started_at)))


def announced_disruptions(
    category_id: int | None = None, now: dt.datetime | None = None
) -> tuple[list[Disruption], list[Disruption]]:
    """For a banner, in one query: the disruptions going on (newest first) and the planned
    work starting within `ANNOUNCE` (soonest first)."""
    now = now or utcnow()
    rows = db.session.scalars(_not_over(category_id, now + ANNOUNCE)).all()
    going_on = [d for d in rows if d.started_at <= now]
    planned = sorted((d for d in rows if d.started_at > now), key=lambda d: d.started_at)
    return going_on, planned


def recently_ended(now: dt.datetime | None = None) -> list[Disruption]:
    """Disruptions over within the last week, the latest first."""
    since = (now or utcnow()) - RECENT
    query = (
        select(Disruption)
        .where(Disruption.ended_at >= since)
        .order_by(Disruption.ended_at.desc())
        .limit(MAX_RECENT)
    )
    return list(db.session.scalars(query))


def follower_counts(disruptions: list[Disruption]) -> dict[int, int]:
    """How many people follow each of these disruptions (for staff: how many are affected)."""
    ids = [d.id for d in disruptions]
    if not ids:
        return {}
    rows = db.session.execute(
        select(DisruptionFollower.disruption_id, func.count())
        .where(DisruptionFollower.disruption_id.in_(ids))
        .group_by(DisruptionFollower.disruption_id)
    )
    return {row[0]: row[1] for row in rows}


def follows_in(
    start: dt.datetime, end: dt.datetime, limit: int = 20
) -> list[tuple[Disruption, int]]:
    """The disruptions people followed in [start, end), with how many did then: each is
    someone told by e-mail rather than a ticket filed (the knowledge-base report)."""
    counted = (
        select(DisruptionFollower.disruption_id, func.count().label("n"))
        .where(DisruptionFollower.created_at >= start, DisruptionFollower.created_at < end)
        .group_by(DisruptionFollower.disruption_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Disruption, counted.c.n)
        .join(counted, counted.c.disruption_id == Disruption.id)
        .order_by(counted.c.n.desc(), Disruption.started_at.desc())
        .limit(limit)
    ).all()
    return [(disruption, int(n)) for disruption, n in rows]


def followed_by(user: User, disruptions: list[Disruption]) -> set[int]:
    """The ids among these disruptions that `user` follows."""
    ids = [d.id for d in disruptions]
    if not ids or not user.is_authenticated:
        return set()
    query = select(DisruptionFollower.disruption_id).where(
        DisruptionFollower.user_id == user.id, DisruptionFollower.disruption_id.in_(ids)
    )
    return set(db.session.scalars(query))


def catalogue_categories() -> list[Category]:
    """The services a disruption may affect, with their domain (the editor names both), in
    one query."""
    query = (
        select(Category)
        .join(Domain, Domain.id == Category.domain_id)
        .options(contains_eager(Category.domain))
        .order_by(Domain.code, Category.position, Category.name_fr)
    )
    return list(db.session.scalars(query))


def publish_disruption(content: DisruptionText, *, actor: User) -> Disruption:
    """A new disruption: going on from now or from `content.starts_at`, or planned work if
    that is later."""
    disruption = Disruption(created_by_id=actor.id, started_at=content.starts_at or utcnow())
    _apply(disruption, content)
    db.session.add(disruption)
    db.session.commit()
    log.info(
        "disruption published",
        extra={"actor_id": actor.id, "disruption_id": disruption.id},
    )
    return disruption


def edit_disruption(
    disruption: Disruption, content: DisruptionText, *, version: int, actor: User
) -> None:
    """Change its text or service; refused once it is over, or if it changed since
    `version` (the page the editor started from)."""
    if not disruption.is_current:
        raise DisruptionError("ended")
    if version != disruption.version:
        raise DisruptionError("conflict")
    _apply(disruption, content)
    disruption.version += 1
    db.session.commit()
    log.info("disruption edited", extra={"actor_id": actor.id, "disruption_id": disruption.id})


def _apply(disruption: Disruption, content: DisruptionText) -> None:
    disruption.title_fr = content.title_fr
    disruption.details_fr = content.details_fr
    disruption.title_en = content.title_en
    disruption.details_en = content.details_en
    disruption.category = content.category
    if content.starts_at is not None:
        disruption.started_at = content.starts_at
    disruption.expected_end_at = content.expected_end_at


def end_disruption(disruption: Disruption, *, actor: User) -> int:
    """Mark it over and e-mail its followers; returns how many are told. Planned work ended
    before its start is called off, and its followers are told that instead. Refused if it
    is already over (two technicians ending it at once: the second one is told so)."""
    now = utcnow()
    ended = db.session.execute(
        update(Disruption)
        .where(Disruption.id == disruption.id, Disruption.ended_at.is_(None))
        .values(
            ended_at=now,
            ended_by_id=actor.id,
            version=Disruption.version + 1,
            cancelled=Disruption.started_at > now,
        )
        .returning(Disruption.cancelled)
        .execution_options(synchronize_session=False)
    )
    cancelled = ended.scalar_one_or_none()
    if cancelled is None:
        db.session.rollback()
        raise DisruptionError("ended")
    told = _tell_followers(disruption, cancelled=cancelled)
    db.session.commit()
    db.session.refresh(disruption)
    log.info(
        "disruption ended",
        extra={"actor_id": actor.id, "disruption_id": disruption.id, "told": told},
    )
    return told


def _tell_followers(disruption: Disruption, *, cancelled: bool) -> int:
    base = current_app.config["BASE_URL"]
    followers = db.session.scalars(
        select(User)
        .join(DisruptionFollower, DisruptionFollower.user_id == User.id)
        .where(
            DisruptionFollower.disruption_id == disruption.id,
            User.is_active_account.is_(True),
            # Their own ticket about it is resolved next: that e-mail tells them.
            User.id.not_in(_requesters_of_linked(disruption.id)),
        )
    ).all()
    payload = {
        "alert": ENDED_ALERT,
        "title_fr": disruption.title_fr,
        "title_en": disruption.title_en,
        "cancelled": cancelled,
        "status_url": f"{base}/etat-des-services",
        "catalogue_url": f"{base}/catalogue",
    }
    alerts = [Alert(u, payload, f"disruption-ended:{disruption.id}:u{u.id}") for u in followers]
    return write_alerts(NotificationEvent.DISRUPTION_ENDED, alerts)


def _lock_current(disruption: Disruption) -> None:
    """Refuse a change to a disruption that is over; else hold it FOR SHARE until commit.
    The end's UPDATE waits for this lock, and this waits for an end being committed: no
    follower or ticket is added after the end has told the followers and taken the tickets."""
    ended_at = db.session.execute(
        select(Disruption.ended_at).where(Disruption.id == disruption.id).with_for_update(read=True)
    ).scalar_one()
    if ended_at is not None:
        raise DisruptionError("ended")


def follow_disruption(disruption: Disruption, user: User) -> bool:
    """`user` is affected and wants to hear when it is over; False if they already follow
    it. Refused once it is over."""
    _lock_current(disruption)
    exists = db.session.get(DisruptionFollower, (disruption.id, user.id))
    if exists is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(DisruptionFollower(disruption_id=disruption.id, user_id=user.id))
    except IntegrityError:  # the same person's second click, at the same moment
        return False
    db.session.commit()
    return True


def unfollow_disruption(disruption: Disruption, user: User) -> None:
    """`user` no longer wants to hear of it."""
    row = db.session.get(DisruptionFollower, (disruption.id, user.id))
    if row is not None:
        db.session.delete(row)
        db.session.commit()


# --------------------------------------------------------------------------------------
# Tickets that are effects of a disruption
# --------------------------------------------------------------------------------------


def _open_linked(disruption_id: int):
    return (
        select(Ticket.id)
        .join(DisruptionTicket, DisruptionTicket.ticket_id == Ticket.id)
        .where(DisruptionTicket.disruption_id == disruption_id, Ticket.status.in_(OPEN_STATUSES))
    )


def _requesters_of_linked(disruption_id: int):
    return (
        select(Ticket.requester_id)
        .join(DisruptionTicket, DisruptionTicket.ticket_id == Ticket.id)
        .where(DisruptionTicket.disruption_id == disruption_id, Ticket.status.in_(OPEN_STATUSES))
    )


def linked_disruption(ticket: Ticket) -> int | None:
    """The id of the disruption `ticket` is linked to, if any."""
    link = db.session.get(DisruptionTicket, ticket.id)
    return link.disruption_id if link else None


def linked_counts(disruptions: list[Disruption]) -> dict[int, int]:
    """How many open tickets are linked to each of these disruptions."""
    ids = [d.id for d in disruptions]
    if not ids:
        return {}
    rows = db.session.execute(
        select(DisruptionTicket.disruption_id, func.count())
        .join(Ticket, Ticket.id == DisruptionTicket.ticket_id)
        .where(DisruptionTicket.disruption_id.in_(ids), Ticket.status.in_(OPEN_STATUSES))
        .group_by(DisruptionTicket.disruption_id)
    )
    return {row[0]: row[1] for row in rows}


def link_ticket(ticket: Ticket, disruption: Disruption, *, actor: User) -> bool:
    """`ticket` is an effect of `disruption`: it will be resolved when the disruption is over
    (its history says so, the requester sees it). False if it already was."""
    if not can_work(actor, ticket):
        raise DisruptionError("not_allowed")
    if ticket.status not in OPEN_STATUSES:
        raise DisruptionError("finished")
    _lock_current(disruption)
    if disruption.started_at > utcnow():
        raise DisruptionError("not_started")
    link = db.session.get(DisruptionTicket, ticket.id)
    if link is not None and link.disruption_id == disruption.id:
        return False
    old = link.disruption_id if link is not None else None
    if link is None:
        link = DisruptionTicket(ticket_id=ticket.id)
        db.session.add(link)
    link.disruption_id, link.linked_by_id, link.linked_at = disruption.id, actor.id, utcnow()
    record_changes(ticket, actor, {"disruption": (old, disruption.id)})
    try:
        db.session.commit()
    except IntegrityError:  # linked at the same moment by someone else
        db.session.rollback()
        return False
    return True


def unlink_ticket(ticket: Ticket, *, actor: User) -> None:
    """`ticket` is not an effect of its disruption after all."""
    if not can_work(actor, ticket):
        raise DisruptionError("not_allowed")
    link = db.session.get(DisruptionTicket, ticket.id)
    if link is None:
        return
    record_changes(ticket, actor, {"disruption": (link.disruption_id, None)})
    db.session.delete(link)
    db.session.commit()


def resolve_linked(disruption: Disruption, *, actor: User) -> tuple[BulkResult, int]:
    """Resolve the open tickets linked to `disruption` (over), one transaction each. Returns
    what was resolved or refused, and how many linked tickets are in queues the actor does not
    work (left to their own technicians: the ender changes only what they may change)."""
    ids = list(db.session.scalars(_open_linked(disruption.id).order_by(Ticket.id)))
    worked = set(
        db.session.scalars(select(Ticket.id).where(Ticket.id.in_(ids), worked_clause(actor)))
    )
    mine = [ticket_id for ticket_id in ids if ticket_id in worked]
    result = BulkResult()
    for start in range(0, len(mine), MAX_BULK):
        selection = [(ticket_id, None) for ticket_id in mine[start : start + MAX_BULK]]
        part = bulk_apply(
            selection,
            lambda ticket, _version: resolve_with_disruption(ticket, disruption.id, actor=actor),
            actor=actor,
        )
        result.changed += part.changed
        result.refused += part.refused
    return result, len(ids) - len(mine)
