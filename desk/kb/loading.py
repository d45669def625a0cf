"""Reference-file section `kb_articles`: articles upserted by slug.

kb_articles:
  - slug: zoom-reunions-40-minutes
    domain: it                      # with category: the catalogue's category codes
    category: videoconf
    status: published               # draft | published | archived (default published)
    audience: everyone              # everyone | signed_in | staff (default everyone)
    keywords: "licence association"
    request_types: [licence-zoom]   # "still stuck? ask here"
    fr: {title: "…", body: "Markdown…"}
    en: {title: "…", body: "Markdown…"}   # either language may be missing

Loading the same file again changes nothing and records no new version.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from desk.catalog.models import RequestType
from desk.extensions import db
from desk.kb.models import Article, ArticleStatus, Audience
from desk.reference.loader import LoadError, LoadReport, require, section
from desk.reference.models import Category, Domain


def _choice(enum_cls: Any, value: Any, default: Any, where: str, key: str) -> Any:
    try:
        return enum_cls(value) if value else default
    except ValueError:
        known = ", ".join(m.value for m in enum_cls)
        raise LoadError(f"{where}: {key} must be one of {known}") from None


def _category_id(item: dict[str, Any], where: str) -> int | None:
    if not item.get("category"):
        return None
    domain = db.session.scalar(select(Domain).filter_by(code=require(item, "domain", where)))
    if domain is None:
        raise LoadError(f"{where}: unknown domain '{item['domain']}'")
    category = db.session.scalar(
        select(Category).filter_by(domain_id=domain.id, code=item["category"])
    )
    if category is None:
        raise LoadError(f"{where}: unknown category '{item['category']}'")
    return category.id


def _request_type_ids(item: dict[str, Any], where: str) -> list[int]:
    ids = []
    for slug in item.get("request_types") or []:
        row = db.session.scalar(select(RequestType).filter_by(slug=str(slug)))
        if row is None:
            raise LoadError(f"{where}: unknown request type '{slug}'")
        ids.append(row.id)
    return ids


def _language(item: dict[str, Any], lang: str, where: str) -> tuple[str, str]:
    part = item.get(lang) or {}
    if not isinstance(part, dict):
        raise LoadError(f"{where}.{lang}: expected a mapping with title and body")
    return str(part.get("title") or ""), str(part.get("body") or "")


@section("kb_articles", order=90)
def load_articles(items: list[dict], report: LoadReport) -> None:
    """Knowledge-base articles, upserted by slug."""
    from desk.kb.services import ArticleDraft, ArticleInvalid, create_article, update_article

    for i, item in enumerate(items):
        where = f"kb_articles[{i}]"
        slug = str(require(item, "slug", where))
        title_fr, body_fr = _language(item, "fr", where)
        title_en, body_en = _language(item, "en", where)
        draft = ArticleDraft(
            title_fr=title_fr,
            body_fr=body_fr,
            title_en=title_en,
            body_en=body_en,
            keywords=str(item.get("keywords") or ""),
            category_id=_category_id(item, where),
            status=_choice(
                ArticleStatus, item.get("status"), ArticleStatus.PUBLISHED, where, "status"
            ),
            audience=_choice(Audience, item.get("audience"), Audience.EVERYONE, where, "audience"),
            request_type_ids=_request_type_ids(item, where),
        )
        article = db.session.scalar(select(Article).filter_by(slug=slug))
        try:
            if article is None:
                create_article(draft, actor=None, slug=slug)
                report.add("kb_articles", created=True)
            else:
                update_article(article, draft, expected_version=None, actor=None)
                report.add("kb_articles", created=False)
        except ArticleInvalid as exc:
            raise LoadError(f"{where}: {exc} ({exc.field})") from None
