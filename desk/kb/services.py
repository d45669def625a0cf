"""Knowledge-base services: who may read what, saving with history, search, counting."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from desk.auth.models import Role, User
from desk.catalog.models import RequestType
from desk.core.db import utcnow
from desk.core.i18n import page_language
from desk.extensions import db
from desk.kb import loading  # noqa: F401 - registers the reference-file section
from desk.kb.models import Article, ArticleStatus, ArticleVersion, Audience, EventKind, KbEvent
from desk.kb.rendering import MAX_BODY_CHARS, clean_text, fold, has_visible_text, plain_text
from desk.kb.search import Hit, hits, index_article, search_ids
from desk.tickets.models import EventKind as TicketEventKind
from desk.tickets.models import Status, Ticket

# --------------------------------------------------------------------------------------
# Who may read
# --------------------------------------------------------------------------------------


def audiences_for(user: User | None) -> list[str]:
    """The audiences a user (None or anonymous: a visitor) may read."""
    if user is None or not getattr(user, "is_authenticated", False):
        return [Audience.EVERYONE.value]
    if user.role in (Role.TECHNICIAN, Role.ADMIN):
        return [a.value for a in Audience]
    return [Audience.EVERYONE.value, Audience.SIGNED_IN.value]


def may_edit(user: User | None) -> bool:
    """Technicians and administrators write articles."""
    return bool(user and user.is_authenticated and user.role in (Role.TECHNICIAN, Role.ADMIN))


def readable_clause(user: User | None) -> ColumnElement[bool]:
    """Published and meant for this user: one rule for lists, pages and search."""
    return (Article.status == ArticleStatus.PUBLISHED) & Article.audience.in_(
        [Audience(a) for a in audiences_for(user)]
    )


def get_readable(slug: str, user: User | None) -> Article | None:
    """A published article the user may read; editors also see drafts and archives."""
    article = db.session.scalar(select(Article).where(Article.slug == slug[:120]))
    if article is None:
        return None
    if may_edit(user):
        return article
    if article.is_published and article.audience.value in audiences_for(user):
        return article
    return None


def published_articles(user: User | None, *, category_id: int | None = None) -> list[Article]:
    """Readable articles, by category then title."""
    query = select(Article).where(readable_clause(user)).options(selectinload(Article.category))
    if category_id is not None:
        query = query.where(Article.category_id == category_id)
    return list(db.session.scalars(query.order_by(Article.category_id, Article.title_fr)))


def articles_for_request_type(user: User | None, request_type: RequestType, limit: int = 5):
    """Articles shown on a catalogue form: those linked to it first, then its category's."""
    linked = select(Article.id).where(Article.request_types.any(RequestType.id == request_type.id))
    rows = db.session.scalars(
        select(Article)
        .where(
            readable_clause(user),
            (Article.category_id == request_type.category_id) | Article.id.in_(linked),
        )
        .order_by(Article.id.in_(linked).desc(), Article.title_fr)
        .limit(limit)
    )
    return list(rows)


def search_articles(
    query: str,
    user: User | None,
    *,
    limit: int = 10,
    category_id: int | None = None,
    for_requester: bool = False,
) -> list[Hit]:
    """Readable articles matching `query`, best first, with highlighted extracts.

    `for_requester`: only what a requester may open, for a link that staff put in a reply
    (a staff-only article would be a 404 for them)."""
    audiences = audiences_for(user)
    if for_requester:
        audiences = [a for a in audiences if a != Audience.STAFF.value]
    rows = search_ids(
        query,
        audiences=audiences,
        lang=page_language(),
        limit=limit,
        category_id=category_id,
    )
    return hits(rows)


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------

UNREADABLE = "\ufffd"

FIELDS = ("title_fr", "title_en", "body_fr", "body_en", "keywords", "category_id", "status",
          "audience")  # fmt: skip


class ArticleInvalid(ValueError):
    """The submitted article cannot be saved; `field` names where (or None)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class EditConflict(Exception):
    """Someone saved the article since the editor opened it."""

    def __init__(self, article: Article) -> None:
        super().__init__(f"article {article.id} is at version {article.version}")
        self.article = article


@dataclass
class ArticleDraft:
    """What an editor (or the reference file) submits."""

    title_fr: str = ""
    title_en: str = ""
    body_fr: str = ""
    body_en: str = ""
    keywords: str = ""
    category_id: int | None = None
    status: ArticleStatus = ArticleStatus.DRAFT
    audience: Audience = Audience.EVERYONE
    request_type_ids: list[int] = field(default_factory=list)

    def cleaned(self) -> ArticleDraft:
        """Text fields cleaned, then checked: one complete language, sizes within limits."""
        values: dict[str, Any] = {}
        for name in ("title_fr", "title_en", "keywords"):
            values[name] = re.sub(r"\s+", " ", clean_text(getattr(self, name))).strip()
        for name in ("body_fr", "body_en"):
            values[name] = clean_text(getattr(self, name)).strip()
        for name in ("title_fr", "title_en", "body_fr", "body_en"):
            # A title or text of zero-width spaces is empty: published, it was a link without a
            # name in every list and a blank page. (The text is judged as typed: Markdown whose
            # words are not drawn, an image alone, stays the author's choice.)
            if not has_visible_text(values[name]):
                values[name] = ""
        draft = ArticleDraft(
            **values,
            category_id=self.category_id,
            status=ArticleStatus(self.status),
            audience=Audience(self.audience),
            request_type_ids=sorted(set(self.request_type_ids)),
        )
        for name in ("title_fr", "body_fr", "title_en", "body_en", "keywords"):
            # U+FFFD is what bytes that are not UTF-8 became when the form was decoded: the
            # author must see it rather than publish "Caf�".
            if UNREADABLE in getattr(draft, name):
                raise ArticleInvalid("unreadable", name)
        for lang in ("fr", "en"):
            title, body = getattr(draft, f"title_{lang}"), getattr(draft, f"body_{lang}")
            if len(getattr(draft, f"body_{lang}")) > MAX_BODY_CHARS:
                raise ArticleInvalid("too_long", f"body_{lang}")
            if len(title) > 200:
                raise ArticleInvalid("title_too_long", f"title_{lang}")
            if bool(title) != bool(body):
                raise ArticleInvalid("half_language", f"body_{lang}" if title else f"title_{lang}")
        if not (draft.title_fr or draft.title_en):
            raise ArticleInvalid("no_language", "title_fr")
        if len(draft.keywords) > 300:
            raise ArticleInvalid("keywords_too_long", "keywords")
        return draft


def slugify(title: str) -> str:
    """A readable URL name from a title."""
    return re.sub(r"[^a-z0-9]+", "-", fold(title)).strip("-")[:100] or "article"


# Paths of the blueprint that an article's slug must not shadow.
RESERVED_SLUGS = {"gestion", "rapport", "suggestions"}


def _unique_slug(title: str) -> str:
    base = slugify(title)
    if base in RESERVED_SLUGS:
        base = f"{base}-article"
    taken = set(db.session.scalars(select(Article.slug).where(Article.slug.like(f"{base}%"))))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _apply(article: Article, draft: ArticleDraft, actor: User | None) -> list[str]:
    changed = [name for name in FIELDS if getattr(article, name, None) != getattr(draft, name)]
    for name in FIELDS:
        setattr(article, name, getattr(draft, name))
    current = sorted(rt.id for rt in article.request_types)
    if current != draft.request_type_ids:
        changed.append("request_types")
        article.request_types = list(
            db.session.scalars(
                select(RequestType).where(RequestType.id.in_(draft.request_type_ids))
            )
        )
    article.plain_fr = plain_text(article.body_fr)
    article.plain_en = plain_text(article.body_en)
    if article.status == ArticleStatus.PUBLISHED and article.published_at is None:
        article.published_at = utcnow()
    article.updated_at = utcnow()
    article.updated_by_id = actor.id if actor else None
    return changed


def _record_version(article: Article, changed: list[str], actor: User | None) -> None:
    number = (
        db.session.scalar(
            select(func.max(ArticleVersion.number)).where(ArticleVersion.article_id == article.id)
        )
        or 0
    ) + 1
    snapshot = {name: getattr(article, name) for name in FIELDS}
    snapshot["request_type_ids"] = sorted(rt.id for rt in article.request_types)
    db.session.add(
        ArticleVersion(
            article_id=article.id,
            number=number,
            editor_id=actor.id if actor else None,
            changed=changed,
            snapshot=snapshot,
        )
    )


def create_article(draft: ArticleDraft, *, actor: User | None, slug: str | None = None) -> Article:
    """A new article with its first version (the caller commits)."""
    draft = draft.cleaned()
    article = Article(
        slug=slug or _unique_slug(draft.title_fr or draft.title_en),
        created_by_id=actor.id if actor else None,
    )
    db.session.add(article)
    changed = _apply(article, draft, actor)
    db.session.flush()
    _record_version(article, changed, actor)
    index_article(article)
    return article


def update_article(
    article: Article, draft: ArticleDraft, *, expected_version: int | None, actor: User | None
) -> list[str]:
    """Save an edit made from `expected_version`; refuses (EditConflict) if it moved since.

    The version column also makes a concurrent flush fail (StaleDataError), so two saves of
    the same version cannot both pass this check. Returns the changed fields (none: no new
    version is recorded).
    """
    draft = draft.cleaned()
    if expected_version is not None and expected_version != article.version:
        raise EditConflict(article)
    changed = _apply(article, draft, actor)
    if not changed:
        return []
    db.session.flush()
    _record_version(article, changed, actor)
    index_article(article)
    return changed


def draft_from_ticket(ticket: Ticket, *, actor: User) -> Article:
    """A draft article from a resolved ticket: its subject, what was asked, the public answer.

    Internal notes are never copied: the draft may end up public.
    """
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        raise ArticleInvalid("not_resolved")
    asked = (ticket.data or {}).get("description") or ""
    replies = [e.body for e in ticket.events if e.kind == TicketEventKind.REPLY and e.body]
    body = "\n\n".join(
        part
        for part in (
            "## Question",
            str(asked).strip() or ticket.subject,
            "## Réponse",
            replies[-1].strip() if replies else "…",
        )
        if part
    )
    draft = ArticleDraft(
        title_fr=ticket.subject[:200],
        body_fr=body[:MAX_BODY_CHARS],
        category_id=ticket.category_id,
        status=ArticleStatus.DRAFT,
        audience=Audience.SIGNED_IN,
        request_type_ids=[ticket.request_type_id],
    )
    return create_article(draft, actor=actor)


# --------------------------------------------------------------------------------------
# Counting
# --------------------------------------------------------------------------------------


def _actor_id(user: User | None) -> int | None:
    return user.id if user is not None and getattr(user, "is_authenticated", False) else None


def record_view(article: Article, user: User | None) -> None:
    """An article page was read."""
    db.session.add(KbEvent(kind=EventKind.VIEW, article_id=article.id, user_id=_actor_id(user)))


def searched_text(query: str) -> str:
    """A search as the report keeps it: cleaned, spaces collapsed, at most 200 characters."""
    return re.sub(r"\s+", " ", clean_text(query)).strip()[:200]


def record_search(query: str, results: int, user: User | None) -> None:
    """A search was made; with no result it is a gap to write."""
    query = searched_text(query)
    if query:
        db.session.add(
            KbEvent(kind=EventKind.SEARCH, query=query, results=results, user_id=_actor_id(user))
        )


def record_deflection(
    article: Article,
    voter: str,
    today: dt.date,
    user: User | None,
    request_type: RequestType | None = None,
) -> bool:
    """ "This solved my problem": counted for the article and the catalogue entry, no ticket.

    Once per `voter` (see deflection_voter), article and day: a second click, Back then the
    button again, or two clicks at once are the one problem. False if it was already counted.
    """
    counted = select(KbEvent.id).where(
        KbEvent.article_id == article.id, KbEvent.voter == voter, KbEvent.voted_on == today
    )
    if db.session.scalar(counted) is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(
                KbEvent(
                    kind=EventKind.DEFLECTION,
                    article_id=article.id,
                    request_type_id=request_type.id if request_type else None,
                    user_id=_actor_id(user),
                    voter=voter,
                    voted_on=today,
                )
            )
    except IntegrityError:  # the same reader's other click, at the same moment
        return False
    return True


def deflection_voter(user: User | None, visit_secret: str) -> str:
    """Who says "solved": a signed-in person, else the visit (a secret of their session,
    digested: the event must not carry what signs their forms)."""
    if _actor_id(user) is not None:
        return f"user:{_actor_id(user)}"
    digest = hashlib.sha256(f"kb-solved:{visit_secret}".encode()).hexdigest()
    return f"visit:{digest[:40]}"
