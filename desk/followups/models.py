"""A follow-up: "remind me of this ticket on Monday at 9" (call the supplier back, check that
the fix held). Its owner hears of it then, in the bell and by e-mail; it is theirs alone."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.auth.models import User
from desk.core.db import UTCDateTime, utcnow
from desk.extensions import db
from desk.tickets.models import Ticket


class FollowUp(db.Model):
    __tablename__ = "follow_up"
    __table_args__ = (
        # The sweep reads the ones not yet sent, by due time; sent ones stay for the record.
        Index(
            "ix_follow_up_due",
            "due_at",
            postgresql_where=text("sent_at IS NULL"),
            sqlite_where=text("sent_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    ticket: Mapped[Ticket] = relationship()
    user: Mapped[User] = relationship()
