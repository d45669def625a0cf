"""One rating per ticket, by its requester."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.auth.models import User
from desk.core.db import UTCDateTime, utcnow
from desk.extensions import db
from desk.tickets.models import Ticket

MIN_SCORE, MAX_SCORE = 1, 5


class Rating(db.Model):
    """The requester's rating of a resolved ticket; the unique ticket id makes it once only."""

    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship()
    user: Mapped[User] = relationship()
