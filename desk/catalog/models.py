"""Catalogue entries and routing rules: data, editable without code changes."""

from __future__ import annotations

import enum

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.core.i18n import english_page
from desk.extensions import db
from desk.reference.models import Category, Domain, Queue, Site


class TicketKind(enum.StrEnum):
    """A service request (DEM-) or an incident (INC-)."""

    REQUEST = "request"
    INCIDENT = "incident"


def kind_type() -> Enum:
    """Stored as a short string (not a native enum) so adding a value needs no DDL."""
    return Enum(
        TicketKind, native_enum=False, length=10, values_callable=lambda e: [m.value for m in e]
    )


class RequestType(db.Model):
    """One entry of the service catalogue; `form_key` names its form class in code."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    title_fr: Mapped[str] = mapped_column(String(160))
    title_en: Mapped[str] = mapped_column(String(160), default="")
    description_fr: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[TicketKind] = mapped_column(kind_type())
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    default_queue_id: Mapped[int] = mapped_column(ForeignKey("queue.id"))
    form_key: Mapped[str] = mapped_column(String(40))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Entries only staff (not students) may use, e.g. bulk Wi-Fi guest accounts.
    is_staff_only: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)

    domain: Mapped[Domain] = relationship()
    category: Mapped[Category] = relationship()
    default_queue: Mapped[Queue] = relationship()

    def _pick(self, fr: str, en: str) -> str:
        return en if en and english_page() else fr

    @property
    def title(self) -> str:
        return self._pick(self.title_fr, self.title_en)

    @property
    def description(self) -> str:
        return self._pick(self.description_fr, self.description_en)


class RoutingRule(db.Model):
    """Overrides the queue of matching tickets; evaluated by position, first match wins.

    An empty condition matches anything, so a rule with only `site_id` sends every ticket of
    that site to `queue_id`. The request type's default queue is the fallback.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0, index=True)
    request_type_id: Mapped[int | None] = mapped_column(ForeignKey("request_type.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"))
    kind: Mapped[TicketKind | None] = mapped_column(kind_type(), nullable=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    queue_id: Mapped[int] = mapped_column(ForeignKey("queue.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    request_type: Mapped[RequestType | None] = relationship()
    site: Mapped[Site | None] = relationship()
    queue: Mapped[Queue] = relationship()


class MailingList(db.Model):
    """An existing mailing list: a new request for the same name is refused."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(String(200), default="")
