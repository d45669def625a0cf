"""Rating a resolved ticket, and the signed link of the resolution e-mail.

Refusals carry a message for the user and leave nothing behind: a score outside 1–5, a
second rating, someone else's ticket, a ticket that is not resolved, a forged link.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from desk.auth.models import User
from desk.core.i18n import LazyText
from desk.core.i18n import lazy_gettext as _l
from desk.extensions import db
from desk.satisfaction.models import MAX_SCORE, MIN_SCORE, Rating
from desk.tickets.models import Status, Ticket

RATEABLE = frozenset({Status.RESOLVED, Status.CLOSED})
LINK_DAYS = 60
_SALT = "desk.satisfaction.rating-link"


class RatingRefused(Exception):
    """A rating that cannot be saved; `message` is shown to the user."""

    def __init__(self, message: object):
        super().__init__(str(message))
        self.message = message


def rating_of(ticket: Ticket) -> Rating | None:
    """The ticket's rating, if it has one."""
    return db.session.scalar(select(Rating).where(Rating.ticket_id == ticket.id))


def refusal(ticket: Ticket, user: User) -> LazyText | None:
    """Why `user` may not rate `ticket` now, or None: only its requester, once it is resolved
    (or closed after resolution), and only once. The e-mail's link, opened a second time or
    after a reopening, says which rather than one "cannot be rated (again)" for all."""
    if ticket.requester_id != user.id:
        return _l("Only the requester can rate this ticket.")
    if ticket.status not in RATEABLE or ticket.resolved_at is None:
        return _l("A ticket can be rated once it is resolved.")
    if ticket.erased_at is not None:
        return _l("This ticket cannot be rated (again).")
    if rating_of(ticket) is not None:
        return _l("You have already rated this ticket.")
    return None


def can_rate(ticket: Ticket, user: User) -> bool:
    """Its requester, once it is resolved (or closed after resolution), and only once."""
    return refusal(ticket, user) is None


def rate_ticket(ticket: Ticket, score: int | None, comment: str, *, actor: User) -> Rating:
    """Save `actor`'s rating of `ticket` and commit; RatingRefused otherwise."""
    reason = refusal(ticket, actor)
    if reason is not None:
        raise RatingRefused(reason)
    if score is None or not MIN_SCORE <= score <= MAX_SCORE:
        raise RatingRefused(_l("Choose a score from 1 to 5."))
    rating = Rating(ticket_id=ticket.id, user_id=actor.id, score=score, comment=comment.strip())
    db.session.add(rating)
    try:
        db.session.commit()
    except IntegrityError:  # a second tab or a double click won the race
        db.session.rollback()
        raise RatingRefused(_l("You have already rated this ticket.")) from None
    return rating


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def link_token(reference: str, user_id: int) -> str:
    """The signed part of the rating link for this ticket and its requester."""
    return _serializer().dumps({"r": reference, "u": user_id})


def read_token(token: str) -> tuple[str, int] | None:
    """(reference, user id) of a genuine, unexpired link; None for anything else."""
    if len(token) > 500:
        return None
    try:
        data = _serializer().loads(token, max_age=LINK_DAYS * 86400)
    except BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("r"), str):
        return None
    if not isinstance(data.get("u"), int):
        return None
    return data["r"], data["u"]
