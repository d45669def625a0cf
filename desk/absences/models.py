"""A technician's absence: the days (in the users' time zone, both included) they are away.

One per person, the next or current one: a technician says when they leave and when they are
back, as in a mail client's out-of-office reply. While it lasts desk e-mails them nothing
about their queues (the bell keeps it), sends what concerns the tickets they hold to their
present colleagues, and names them as away wherever a ticket may be given to them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from desk.core.db import UTCDateTime, utcnow
from desk.extensions import db


class Absence(db.Model):
    __tablename__ = "absence"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="ends_after_start"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    def covers(self, day: dt.date) -> bool:
        """Whether the person is away on `day`."""
        return self.starts_on <= day <= self.ends_on
