"""Verbs of absences, and who is away on a day (read by notifications, queues and admin)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.exc import IntegrityError

from desk.absences.models import Absence
from desk.auth.models import User
from desk.catalog.forms.fields import local_today
from desk.core.db import utcnow
from desk.extensions import db
from desk.tickets.actions import give_back_held


def absence_of(user: User) -> Absence | None:
    """The person's next or current absence, if they planned one that is not over."""
    absence = db.session.get(Absence, user.id)
    if absence is None or absence.ends_on < local_today():
        return None
    return absence


def plan_absence(
    user: User, starts_on: dt.date, ends_on: dt.date, *, actor: User, give_back: bool = False
) -> int:
    """Record `user`'s absence (replacing the one planned), and with `give_back` put the open
    tickets they hold back in their queues at once; returns how many went back. Commits."""
    for attempt in range(2):
        absence = db.session.get(Absence, user.id) or Absence(user_id=user.id)
        absence.starts_on, absence.ends_on, absence.updated_at = starts_on, ends_on, utcnow()
        db.session.add(absence)
        count = give_back_held(user, actor=actor, reason="away") if give_back else 0
        try:
            db.session.commit()
            return count
        except IntegrityError:
            # Another request (a double click) made the row between our read and our insert:
            # start again, and update the row it made.
            db.session.rollback()
            if attempt:
                raise
    return 0


def end_absence(user: User) -> Absence | None:
    """The person is back (or will not leave): forget their absence, and return it (None if
    there was none). Commits."""
    absence = db.session.get(Absence, user.id)
    if absence is None:
        return None
    db.session.delete(absence)
    db.session.commit()
    return absence


def away_clause(user_id: ColumnElement[int], day: dt.date) -> ColumnElement[bool]:
    """True for a user away on `day`, to join into a query of users."""
    return exists().where(
        and_(Absence.user_id == user_id, Absence.starts_on <= day, Absence.ends_on >= day)
    )


def away_until(user_ids: Iterable[int], day: dt.date | None = None) -> dict[int, dt.date]:
    """Of these users, who is away on `day` (today by default), with their last day away."""
    ids = set(user_ids)
    if not ids:
        return {}
    day = day or local_today()
    query = select(Absence.user_id, Absence.ends_on).where(
        Absence.user_id.in_(ids), Absence.starts_on <= day, Absence.ends_on >= day
    )
    return dict(db.session.execute(query).all())
