"""A canned reply belongs to one queue and has a French and an English text."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.core.db import UTCDateTime, utcnow
from desk.extensions import db
from desk.reference.models import Queue


class CannedReply(db.Model):
    """A reply template of a queue; `body_en` may be empty (the French text is used)."""

    __tablename__ = "canned_reply"
    __table_args__ = (Index("ix_canned_reply_queue_title", "queue_id", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queue.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(120))
    body_fr: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    queue: Mapped[Queue] = relationship()

    def language_for(self, locale: str) -> str:
        """The language of `body_for(locale)`: French when there is no English text."""
        return "en" if locale == "en" and self.body_en.strip() else "fr"

    def body_for(self, locale: str) -> str:
        """The text in `locale`, the French one when there is no English text."""
        return self.body_en if self.language_for(locale) == "en" else self.body_fr
