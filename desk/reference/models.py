"""Organisation of the desk (domains, categories, queues) and places (sites, buildings, floors)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.core.i18n import LocalName, page_language
from desk.extensions import db

if TYPE_CHECKING:
    from desk.auth.models import User
    from desk.sla.models import SlaCalendar


class _Bilingual:
    """Mixin for rows named in French and English; `name` follows the UI language."""

    name_fr: Mapped[str]
    name_en: Mapped[str]

    @property
    def name(self) -> str:
        return self.name_in(page_language())

    def name_in(self, language: str) -> str:
        """The name for a page in `language` (a list reads its language once for all rows)."""
        return self.name_en if language == "en" and self.name_en else self.name_fr

    @property
    def name_lang(self) -> str:
        """The language `name` is in: French when an English page has no English name to show
        (marked with lang_of, RGAA 8.7)."""
        return "en" if page_language() == "en" and self.name_en else "fr"


class Domain(_Bilingual, db.Model):
    """A top-level area of the service centre (IT, HR)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_fr: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    categories: Mapped[list[Category]] = relationship(
        back_populates="domain", order_by="Category.position"
    )
    queues: Mapped[list[Queue]] = relationship(back_populates="domain", order_by="Queue.code")


class Category(_Bilingual, db.Model):
    """A grouping of catalogue entries inside a domain."""

    __table_args__ = (UniqueConstraint("domain_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name_fr: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    domain: Mapped[Domain] = relationship(back_populates="categories")


class Queue(_Bilingual, db.Model):
    """A group of technicians working one kind of ticket."""

    id: Mapped[int] = mapped_column(primary_key=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_fr: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Business hours of the queue's team (desk.sla); used e.g. for notification quiet hours.
    calendar_id: Mapped[int | None] = mapped_column(
        ForeignKey("sla_calendar.id", ondelete="SET NULL")
    )
    # Where people write to open a ticket in this queue by e-mail (desk.inbound), lower case.
    inbound_address: Mapped[str | None] = mapped_column(String(320), unique=True)

    domain: Mapped[Domain] = relationship(back_populates="queues")
    calendar: Mapped[SlaCalendar | None] = relationship()
    memberships: Mapped[list[QueueMembership]] = relationship(
        back_populates="queue", cascade="all, delete-orphan"
    )


class QueueMembership(db.Model):
    """A technician in a queue; leads receive escalations."""

    queue_id: Mapped[int] = mapped_column(
        ForeignKey("queue.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    is_lead: Mapped[bool] = mapped_column(Boolean, default=False)

    queue: Mapped[Queue] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")


class Site(LocalName, db.Model):
    """A campus or a group of buildings."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    # `name` is French (and what imports match on); `name_en` is optional: see LocalName.
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str | None] = mapped_column(String(120))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    buildings: Mapped[list[Building]] = relationship(
        back_populates="site", order_by="Building.name"
    )


class Building(LocalName, db.Model):
    """A building on a site."""

    __table_args__ = (UniqueConstraint("site_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str | None] = mapped_column(String(120))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    site: Mapped[Site] = relationship(back_populates="buildings")
    floors: Mapped[list[Floor]] = relationship(back_populates="building", order_by="Floor.position")


class Floor(LocalName, db.Model):
    """A floor of a building (ground floor, 1st, basement...)."""

    __table_args__ = (UniqueConstraint("building_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str | None] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    building: Mapped[Building] = relationship(back_populates="floors")
