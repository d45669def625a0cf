"""The knowledge-base report: what is read, what is asked without answer, what is deflected."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import case, func, select

from desk.catalog.models import RequestType
from desk.extensions import db
from desk.kb.models import Article, EventKind, KbEvent


@dataclass
class ArticleRow:
    """Views and deflections of one article."""

    article: Article
    views: int = 0
    deflections: int = 0


@dataclass
class KbReport:
    """Counts for a period."""

    views: int = 0
    searches: int = 0
    empty_searches: int = 0
    deflections: int = 0
    articles: list[ArticleRow] = field(default_factory=list)
    entries: list[tuple[RequestType, int]] = field(default_factory=list)
    gaps: list[tuple[str, int]] = field(default_factory=list)


def _count(condition):
    return func.sum(case((condition, 1), else_=0))


def kb_report(start: dt.datetime, end: dt.datetime, *, gaps: int = 20) -> KbReport:
    """Counts of events in [start, end): totals, per article, per catalogue entry, gaps."""
    in_period = (KbEvent.created_at >= start) & (KbEvent.created_at < end)
    report = KbReport()
    totals = db.session.execute(
        select(
            _count(KbEvent.kind == EventKind.VIEW),
            _count(KbEvent.kind == EventKind.SEARCH),
            _count((KbEvent.kind == EventKind.SEARCH) & (KbEvent.results == 0)),
            _count(KbEvent.kind == EventKind.DEFLECTION),
        ).where(in_period)
    ).one()
    report.views, report.searches, report.empty_searches, report.deflections = (
        int(v or 0) for v in totals
    )
    per_article = db.session.execute(
        select(
            KbEvent.article_id,
            _count(KbEvent.kind == EventKind.VIEW),
            _count(KbEvent.kind == EventKind.DEFLECTION),
        )
        .where(in_period, KbEvent.article_id.is_not(None))
        .group_by(KbEvent.article_id)
    ).all()
    articles = {
        a.id: a
        for a in db.session.scalars(
            select(Article).where(Article.id.in_([row[0] for row in per_article]))
        )
    }
    report.articles = sorted(
        (ArticleRow(articles[i], int(v or 0), int(d or 0)) for i, v, d in per_article),
        key=lambda r: (-r.deflections, -r.views, r.article.title_fr),
    )
    per_entry = db.session.execute(
        select(KbEvent.request_type_id, func.count())
        .where(
            in_period,
            KbEvent.kind == EventKind.DEFLECTION,
            KbEvent.request_type_id.is_not(None),
        )
        .group_by(KbEvent.request_type_id)
    ).all()
    entries = {
        rt.id: rt
        for rt in db.session.scalars(
            select(RequestType).where(RequestType.id.in_([row[0] for row in per_entry]))
        )
    }
    report.entries = sorted(
        ((entries[i], int(n)) for i, n in per_entry), key=lambda pair: (-pair[1], pair[0].slug)
    )
    query = func.lower(KbEvent.query)
    report.gaps = [
        (text, int(n))
        for text, n in db.session.execute(
            select(query, func.count())
            .where(in_period, KbEvent.kind == EventKind.SEARCH, KbEvent.results == 0)
            .group_by(query)
            .order_by(func.count().desc(), query)
            .limit(gaps)
        )
    ]
    return report
