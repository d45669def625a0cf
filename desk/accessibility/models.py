"""The accessibility statement: one row, every text in French and English."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Date, Enum, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from desk.core.db import UTCDateTime, utcnow
from desk.core.i18n import english_page
from desk.extensions import db


class Conformance(enum.StrEnum):
    """The three statuses the RGAA allows a statement to declare."""

    FULL = "full"  # totalement conforme: every criterion met
    PARTIAL = "partial"  # partiellement conforme: at least half met
    NONE = "none"  # non conforme, or never audited


# Texts that exist in both languages: `<name>_fr` and `<name>_en` columns.
BILINGUAL = (
    "service_name",
    "entity",
    "audit_method",
    "results",
    "non_compliant",
    "derogations",
    "exempt",
    "technologies",
    "environment",
    "feedback",
    "recourse",
)


class AccessibilityStatement(db.Model):
    """The single statement shown at /accessibilite; `text(name)` picks the language."""

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[Conformance] = mapped_column(
        Enum(
            Conformance,
            native_enum=False,
            length=10,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=Conformance.NONE,
    )
    # Share of the applicable RGAA criteria met, in percent; None before any audit.
    compliance_rate: Mapped[int | None] = mapped_column(Integer, nullable=True)
    audit_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    statement_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    service_name_fr: Mapped[str] = mapped_column(String(200), default="")
    service_name_en: Mapped[str] = mapped_column(String(200), default="")
    entity_fr: Mapped[str] = mapped_column(String(200), default="")
    entity_en: Mapped[str] = mapped_column(String(200), default="")
    audit_method_fr: Mapped[str] = mapped_column(Text, default="")
    audit_method_en: Mapped[str] = mapped_column(Text, default="")
    results_fr: Mapped[str] = mapped_column(Text, default="")
    results_en: Mapped[str] = mapped_column(Text, default="")
    non_compliant_fr: Mapped[str] = mapped_column(Text, default="")
    non_compliant_en: Mapped[str] = mapped_column(Text, default="")
    derogations_fr: Mapped[str] = mapped_column(Text, default="")
    derogations_en: Mapped[str] = mapped_column(Text, default="")
    exempt_fr: Mapped[str] = mapped_column(Text, default="")
    exempt_en: Mapped[str] = mapped_column(Text, default="")
    technologies_fr: Mapped[str] = mapped_column(Text, default="")
    technologies_en: Mapped[str] = mapped_column(Text, default="")
    environment_fr: Mapped[str] = mapped_column(Text, default="")
    environment_en: Mapped[str] = mapped_column(Text, default="")
    feedback_fr: Mapped[str] = mapped_column(Text, default="")
    feedback_en: Mapped[str] = mapped_column(Text, default="")
    recourse_fr: Mapped[str] = mapped_column(Text, default="")
    recourse_en: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def text(self, name: str) -> tuple[str, str | None]:
        """(text, lang) in the UI language; the French text, marked `fr`, when the English
        one is missing (so that a screen reader reads it with the right voice)."""
        english = english_page()
        if english and getattr(self, f"{name}_en"):
            return getattr(self, f"{name}_en"), None
        french = getattr(self, f"{name}_fr")
        return french, ("fr" if english and french else None)

    def lines(self, name: str) -> tuple[list[str], str | None]:
        """A multi-line text as its non-empty lines (one item each), with its lang."""
        value, lang = self.text(name)
        return [line.strip(" -•\t") for line in value.splitlines() if line.strip(" -•\t")], lang
