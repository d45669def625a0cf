"""Knowledge-base articles, their versions, their links to the catalogue, and usage events."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desk.core.db import UTCDateTime, utcnow
from desk.core.i18n import lazy_gettext as _l
from desk.core.i18n import page_language
from desk.extensions import db

if TYPE_CHECKING:
    from desk.auth.models import User
    from desk.catalog.models import RequestType
    from desk.reference.models import Category


class ArticleStatus(enum.StrEnum):
    """Only published articles are shown outside the editors' pages."""

    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Audience(enum.StrEnum):
    """Who may read a published article."""

    EVERYONE = "everyone"  # anonymous visitors too
    SIGNED_IN = "signed_in"
    STAFF = "staff"  # technicians and administrators: internal procedures


STATUS_LABELS = {
    ArticleStatus.DRAFT: _l("Draft"),
    ArticleStatus.PUBLISHED: _l("Published"),
    ArticleStatus.ARCHIVED: _l("Archived"),
}
AUDIENCE_LABELS = {
    Audience.EVERYONE: _l("Everyone, including visitors who are not signed in"),
    Audience.SIGNED_IN: _l("Signed-in users"),
    Audience.STAFF: _l("Service desk staff only"),
}


def _str_enum(cls: type[enum.StrEnum]) -> Enum:
    # Short strings rather than native enums: adding a value needs no DDL.
    return Enum(cls, native_enum=False, length=12, values_callable=lambda e: [m.value for m in e])


article_request_type = Table(
    "kb_article_request_type",
    db.metadata,
    Column("article_id", ForeignKey("kb_article.id", ondelete="CASCADE"), primary_key=True),
    Column("request_type_id", ForeignKey("request_type.id", ondelete="CASCADE"), primary_key=True),
)


class Article(db.Model):
    """An answer in French and/or English, written in Markdown.

    `plain_*` (the rendered text without markup) are derived on every save by the services;
    the search indexes (and PostgreSQL's lexicon of words) are built on them.
    """

    __tablename__ = "kb_article"
    __table_args__ = (Index("ix_kb_article_status_audience", "status", "audience"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title_fr: Mapped[str] = mapped_column(String(200), default="")
    title_en: Mapped[str] = mapped_column(String(200), default="")
    body_fr: Mapped[str] = mapped_column(Text, default="")
    body_en: Mapped[str] = mapped_column(Text, default="")
    plain_fr: Mapped[str] = mapped_column(Text, default="")
    plain_en: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[str] = mapped_column(String(300), default="")
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("category.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[ArticleStatus] = mapped_column(
        _str_enum(ArticleStatus), default=ArticleStatus.DRAFT
    )
    audience: Mapped[Audience] = mapped_column(_str_enum(Audience), default=Audience.EVERYONE)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Optimistic locking: a save based on an older version fails instead of overwriting.
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    category: Mapped[Category | None] = relationship()
    request_types: Mapped[list[RequestType]] = relationship(
        secondary=article_request_type, order_by="RequestType.position"
    )
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    versions: Mapped[list[ArticleVersion]] = relationship(
        back_populates="article",
        order_by="ArticleVersion.number.desc()",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def lang(self) -> str:
        """The language shown: the user's when written in it, else the other one."""
        wanted = page_language()
        # A language is complete or empty (services.ArticleDraft.cleaned): its title says.
        if wanted == "en":
            return "en" if self.title_en else "fr"
        return "fr" if self.title_fr else "en"

    @property
    def title(self) -> str:
        return self.title_en if self.lang() == "en" else self.title_fr

    @property
    def body(self) -> str:
        return self.body_en if self.lang() == "en" else self.body_fr

    @property
    def is_published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED


class ArticleVersion(db.Model):
    """A saved state of an article: who saved it, when, and which fields changed."""

    __tablename__ = "kb_article_version"
    __table_args__ = (
        UniqueConstraint("article_id", "number", name="uq_kb_article_version_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_article.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    changed: Mapped[list[str]] = mapped_column(JSON, default=list)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    article: Mapped[Article] = relationship(back_populates="versions")
    editor: Mapped[User | None] = relationship()


class EventKind(enum.StrEnum):
    """What is counted for the report."""

    VIEW = "view"
    SEARCH = "search"  # `results` holds the count; 0 marks a gap to write
    DEFLECTION = "deflection"  # "this solved my problem": no ticket was created


class KbEvent(db.Model):
    """One counted use of the knowledge base."""

    __tablename__ = "kb_event"
    __table_args__ = (
        Index("ix_kb_event_kind_created", "kind", "created_at"),
        # One "solved" per reader, article and day, whatever the clicks: the database says so,
        # so two requests at the same moment (a double click without JavaScript) cannot both
        # count. Other events leave `voter` NULL, which never collides.
        UniqueConstraint("article_id", "voter", "voted_on", name="uq_kb_event_vote"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[EventKind] = mapped_column(_str_enum(EventKind))
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("kb_article.id", ondelete="SET NULL"), index=True
    )
    request_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("request_type.id", ondelete="SET NULL")
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    query: Mapped[str | None] = mapped_column(String(200))
    results: Mapped[int | None] = mapped_column(Integer)
    # Deflections only: who said it ("user:<id>", or "visit:<digest>" for a visitor not signed
    # in, one per session) and the day (in the desk's time zone).
    voter: Mapped[str | None] = mapped_column(String(64))
    voted_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    request_type: Mapped[RequestType | None] = relationship()


class HyphenatedWord(db.Model):
    """A hyphenated word of the articles ("wi-fi"), folded, under its letters run together
    ("wifi"): a query word that is some article's hyphenated word joined also looks for the
    hyphenated form, which the full-text parsers split into its parts (search.search_ids).
    Filled with the typo lexicon (search.index_article, search.rebuild_lexicon); a word that
    an edit removed stays, and only makes the other form find nothing more."""

    __tablename__ = "kb_hyphenated_word"

    joined: Mapped[str] = mapped_column(Text, primary_key=True)
    word: Mapped[str] = mapped_column(Text, primary_key=True)
