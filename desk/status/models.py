"""A disruption is a known problem of a service (an outage, a slowdown) that staff publish so
that people see it before they file a ticket about it; people affected follow it and are
e-mailed when it is over. One that starts later is planned work (a maintenance), announced
ahead: it is "current" from its start, by the clock, with no job to switch it on."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.core.db import UTCDateTime, utcnow
from desk.extensions import db
from desk.reference.models import Category

_CURRENT = "ended_at IS NULL"


class Disruption(db.Model):
    """Written in French, optionally in English; `category_id` None means every service."""

    __tablename__ = "disruption"
    __table_args__ = (
        # Every catalogue page and form asks for the current ones: a handful of rows, kept
        # apart from the history that grows for years.
        Index(
            "ix_disruption_current",
            "started_at",
            postgresql_where=text(_CURRENT),
            sqlite_where=text(_CURRENT),
        ),
        Index("ix_disruption_ended", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title_fr: Mapped[str] = mapped_column(String(120))
    title_en: Mapped[str] = mapped_column(String(120), default="")
    details_fr: Mapped[str] = mapped_column(Text, default="")
    details_en: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("category.id", ondelete="CASCADE"), index=True
    )
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # When staff expect it to work again (planned work: the announced end); only shown.
    # Ending stays a person's act: only someone who checked may tell followers it works.
    expected_end_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Ended before it started: planned work called off (its followers are told so).
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # Bumped by each edit: an edit made from an older page is refused, not lost.
    version: Mapped[int] = mapped_column(Integer, default=1)

    category: Mapped[Category | None] = relationship()

    @property
    def is_current(self) -> bool:
        """Not over: going on, or planned (see `is_planned`)."""
        return self.ended_at is None

    def is_planned(self, now: dt.datetime) -> bool:
        """Announced, not started yet at `now`."""
        return self.ended_at is None and self.started_at > now

    def is_late(self, now: dt.datetime) -> bool:
        """Going on past the end staff announced."""
        return (
            self.ended_at is None
            and self.expected_end_at is not None
            and self.expected_end_at <= now
        )

    def language_for(self, locale: str) -> str:
        """The language its text is shown in to a reader of `locale`."""
        return "en" if locale == "en" and self.title_en else "fr"

    def title_for(self, locale: str) -> str:
        return self.title_en if self.language_for(locale) == "en" else self.title_fr

    def details_for(self, locale: str) -> str:
        return self.details_en if self.language_for(locale) == "en" else self.details_fr


class DisruptionFollower(db.Model):
    """Someone affected by a disruption who asked to be told when it is over."""

    __tablename__ = "disruption_follower"

    disruption_id: Mapped[int] = mapped_column(
        ForeignKey("disruption.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class DisruptionTicket(db.Model):
    """A ticket that staff recognised as an effect of a disruption: it is resolved when the
    disruption is over. A ticket belongs to one disruption at most."""

    __tablename__ = "disruption_ticket"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("ticket.id", ondelete="CASCADE"), primary_key=True
    )
    disruption_id: Mapped[int] = mapped_column(
        ForeignKey("disruption.id", ondelete="CASCADE"), index=True
    )
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    linked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
