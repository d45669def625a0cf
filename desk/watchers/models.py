"""Someone in copy of a ticket (a colleague, a manager, the person a request is really for):
they read it as its requester does, without the internal notes, write to it, and hear of its
replies and of its end. They did not ask for it: only its requester cancels, reopens or rates."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from desk.core.db import UTCDateTime, utcnow
from desk.extensions import db


class TicketWatcher(db.Model):
    __tablename__ = "ticket_watcher"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("ticket.id", ondelete="CASCADE"), primary_key=True
    )
    # Indexed: every visibility check of a user asks which tickets they are in copy of.
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
