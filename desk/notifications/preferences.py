"""Stored e-mail choices that a change of role makes stale.

Kept apart from desk.notifications.services, which the account services (admin, directory)
cannot import without a cycle through the catalogue.
"""

from __future__ import annotations

from sqlalchemy import delete

from desk.auth.models import User
from desk.extensions import db
from desk.notifications.models import STAFF_EVENTS, NotificationPreference


def forget_staff_choices(user: User) -> None:
    """A requester made technician or admin starts from the staff's defaults (every e-mail):
    what is stored for the staff's events was never their choice, as no page offers those
    switches to a requester. Before 0f92c43 saving the page as a requester stored them all
    as off, and a promoted requester heard of nothing they were given. The caller commits."""
    db.session.execute(
        delete(NotificationPreference).where(
            NotificationPreference.user_id == user.id,
            NotificationPreference.event.in_(STAFF_EVENTS),
        )
    )
