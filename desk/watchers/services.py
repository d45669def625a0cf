"""Putting people in copy of a ticket, and taking them out.

Who may: the ticket's requester and the staff who work it; someone in copy may only leave.
A person is named by their e-mail address: the university's directory is public, but a
requester browsing it from a ticket page is not what this is for. Someone who has never
signed in is found in the directory and their account made as their first sign-in would.
Each change is in the ticket's history (its requester sees who follows their request), and
the person put in copy is told.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from desk.auth.models import User
from desk.extensions import db
from desk.identity.directory import DirectoryUnavailable, get_directory
from desk.identity.services import IdentityError, account_for_login, search_directory
from desk.notifications.models import NotificationEvent
from desk.notifications.outbox import notify
from desk.tickets.access import can_work
from desk.tickets.history import record_aside
from desk.tickets.models import OPEN_STATUSES, Ticket
from desk.watchers.models import TicketWatcher

log = logging.getLogger(__name__)

# Enough for a team and its manager; more would be a mailing list.
MAX_WATCHERS = 10


class WatcherError(Exception):
    """A change refused: `kind` is "unknown" (no such person), "directory" (the directory
    cannot be reached), "requester" (they asked for it), "already", "full", "finished" (the
    ticket is over) or "not_allowed"."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


def may_manage(user: User, ticket: Ticket) -> bool:
    """May `user` put people in copy of `ticket` or take them out? Its requester and its
    staff."""
    return user.is_active and (ticket.requester_id == user.id or can_work(user, ticket))


def watchers_of(ticket: Ticket) -> list[User]:
    """The people in copy of `ticket`, by name."""
    query = (
        select(User)
        .join(TicketWatcher, TicketWatcher.user_id == User.id)
        .where(TicketWatcher.ticket_id == ticket.id)
        .order_by(User.display_name, User.id)
    )
    return list(db.session.scalars(query))


def active_watchers(ticket: Ticket) -> list[User]:
    """Those of them who can still sign in (the ones told of the ticket's news)."""
    return [user for user in watchers_of(ticket) if user.is_active]


def find_person(email: str) -> User:
    """The account with this address, made from the directory if its owner has never signed
    in. Raises WatcherError ("unknown", "directory")."""
    address = email.strip().lower()
    user = db.session.scalar(select(User).where(func.lower(User.email) == address))
    if user is not None:
        if not user.is_active:
            raise WatcherError("unknown")
        return user
    directory = get_directory(current_app.config)
    if directory is None:
        raise WatcherError("unknown")
    try:
        people = search_directory(address, directory, 5)
        person = next((p for p in people if p.email.lower() == address), None)
        if person is None:
            raise WatcherError("unknown")
        return account_for_login(person.login, directory)
    except DirectoryUnavailable as exc:
        log.error("directory unavailable while putting %r in copy: %s", address, exc)
        raise WatcherError("directory") from exc
    except IdentityError as exc:
        raise WatcherError("unknown") from exc


def add_watcher(ticket: Ticket, email: str, *, actor: User) -> User:
    """Put the person with address `email` in copy of `ticket`; they are told. The caller
    holds the ticket's row lock (two additions at once queue up on it)."""
    if not may_manage(actor, ticket):
        raise WatcherError("not_allowed")
    if ticket.status not in OPEN_STATUSES:
        raise WatcherError("finished")
    # Full before the person is looked up: a refusal costs no directory search (nor an
    # account made for someone who is then not put in copy).
    count = db.session.scalar(
        select(func.count()).select_from(TicketWatcher).where(TicketWatcher.ticket_id == ticket.id)
    )
    if count >= MAX_WATCHERS:
        raise WatcherError("full")
    person = find_person(email)
    if person.id == ticket.requester_id:
        raise WatcherError("requester")
    if db.session.get(TicketWatcher, (ticket.id, person.id)) is not None:
        raise WatcherError("already")
    db.session.add(TicketWatcher(ticket_id=ticket.id, user_id=person.id, added_by_id=actor.id))
    record_aside(ticket, actor, "watcher", None, person.id)
    # "own": the requester put them in copy ("… of their request", not "of Anna's").
    by = {"by": actor.display_name, "own": actor.id == ticket.requester_id}
    notify(ticket, person, NotificationEvent.WATCHER_ADDED, data=by, role="watcher")
    try:
        db.session.commit()
    except IntegrityError as exc:  # added at the same moment by someone else
        db.session.rollback()
        raise WatcherError("already") from exc
    log.info(
        "put in copy", extra={"actor_id": actor.id, "ticket_id": ticket.id, "user_id": person.id}
    )
    return person


def remove_watcher(ticket: Ticket, user_id: int, *, actor: User) -> bool:
    """Take someone out of copy: the requester or staff take anyone out, a person in copy
    only themselves. False if they were not in copy."""
    if actor.id != user_id and not may_manage(actor, ticket):
        raise WatcherError("not_allowed")
    row = db.session.get(TicketWatcher, (ticket.id, user_id))
    if row is None:
        return False
    db.session.delete(row)
    record_aside(ticket, actor, "watcher", user_id, None)
    db.session.commit()
    extra = {"actor_id": actor.id, "ticket_id": ticket.id, "user_id": user_id}
    log.info("taken out of copy", extra=extra)
    return True
