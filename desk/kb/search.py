"""Article search: PostgreSQL full text in French, SQLite FTS5 for the embedded setup.

PostgreSQL: a stored tsvector (titles weighted A, keywords B, text C) under the
`french_unaccent` configuration (French stemming, accents folded), the last word as a prefix
(it may be half typed: "40 min" finds "40 minutes"); all words must match, else any does (ranked
lower by ts_rank). Short queries that still find nothing get a trigram look at titles and
keywords, for typos ("zomm"). ts_headline marks the matched words with private-use
characters that rendering.highlight turns into <mark> after escaping.

SQLite: an FTS5 table (accents removed by its tokenizer) kept in step by `index_article`.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import text
from sqlalchemy.orm import load_only

from desk.extensions import db
from desk.kb.models import Article
from desk.kb.rendering import HIGHLIGHT_START, HIGHLIGHT_STOP, highlight, search_words

TRIGRAM_MAX_WORDS = 2
# Text matches ranked per query at most (see _pg_fulltext).
RANKED_TEXTS = 200
TRIGRAM_THRESHOLD = "0.3"


@dataclass
class Hit:
    """One article found, with its highlighted extract."""

    article: Article
    snippet: Markup
    rank: float
    marked: str = ""  # the snippet as the database marked it, for JSON clients


def _postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def search_ids(
    query: str, *, audiences: list[str], lang: str, limit: int = 10, category_id: int | None = None
) -> list[tuple[int, float, str]]:
    """(article id, rank, marked snippet) of published articles matching `query`, best first."""
    words = search_words(query)
    if not words:
        return []
    limit = max(1, min(limit, 50))
    if _postgresql():
        # Only the last word may be unfinished (it is being typed): the others match whole
        # (stemmed) words, which keeps the index look-ups small.
        terms = [*words[:-1], f"{words[-1]}:*"]
        for joiner in (" & ", " | "):
            rows = _pg_fulltext(joiner.join(terms), audiences, lang, limit, category_id)
            if rows:
                return rows
        if len(words) <= TRIGRAM_MAX_WORDS:
            return _pg_trigram(" ".join(words), audiences, lang, limit, category_id)
        return []
    for joiner in (" AND ", " OR "):
        rows = _sqlite_fts(joiner.join(f'"{w}"*' for w in words), audiences, limit, category_id)
        if rows:
            return rows
    return []


_FILTER = """
  a.status = 'published' AND a.audience = ANY(:audiences)
  AND (CAST(:category_id AS integer) IS NULL OR a.category_id = :category_id)
"""
_SNIPPET_SOURCE = """
  CASE WHEN :lang = 'en' AND a.plain_en <> '' THEN a.plain_en
       WHEN a.plain_fr <> '' THEN a.plain_fr ELSE a.plain_en END
"""
_HEADLINE_OPTIONS = (
    f'StartSel="{HIGHLIGHT_START}", StopSel="{HIGHLIGHT_STOP}", MaxWords=28, MinWords=10, '
    'MaxFragments=2, FragmentDelimiter=" … "'
)


def _pg_fulltext(tsquery, audiences, lang, limit, category_id):
    # Two tiers, so that a word found in thousands of texts costs no more than a rare one:
    # articles whose title or keywords match come first (small vectors, all ranked), then
    # the best of the first RANKED_TEXTS articles whose text matches. The headline is
    # computed only for the rows kept.
    sql = text(f"""
        WITH q AS (SELECT to_tsquery('french_unaccent', :tsquery) AS query),
        titled AS (
          SELECT a.id, 1 + ts_rank(a.title_vector, q.query) AS rank
          FROM kb_article a, q
          WHERE a.title_vector @@ q.query AND {_FILTER}
          ORDER BY rank DESC, a.id
          LIMIT :limit),
        candidates AS (
          SELECT a.id, a.search_vector
          FROM kb_article a, q
          WHERE a.search_vector @@ q.query AND {_FILTER}
          LIMIT :cap),
        texted AS (
          SELECT c.id, ts_rank('{{0.1, 0.3, 0.6, 1.0}}', c.search_vector, q.query) AS rank
          FROM candidates c, q
          ORDER BY rank DESC, c.id
          LIMIT :limit),
        found AS (
          SELECT id, max(rank) AS rank
          FROM (SELECT * FROM titled UNION ALL SELECT * FROM texted) tiers
          GROUP BY id
          ORDER BY rank DESC, id
          LIMIT :limit)
        SELECT found.id, found.rank,
               ts_headline('french_unaccent', {_SNIPPET_SOURCE}, q.query, :options)
        FROM found JOIN kb_article a ON a.id = found.id, q
        ORDER BY found.rank DESC, found.id
    """)  # noqa: S608 - only constant fragments are interpolated
    params = {
        "tsquery": tsquery,
        "audiences": audiences,
        "lang": lang,
        "limit": limit,
        "cap": RANKED_TEXTS,
        "category_id": category_id,
        "options": _HEADLINE_OPTIONS,
    }
    return [(r[0], float(r[1]), r[2]) for r in db.session.execute(sql, params)]


def _pg_trigram(words, audiences, lang, limit, category_id):
    db.session.execute(
        text("SELECT set_config('pg_trgm.word_similarity_threshold', :t, true)"),
        {"t": TRIGRAM_THRESHOLD},
    )
    sql = text(f"""
        SELECT a.id, word_similarity(:words, a.search_text) AS rank,
               left({_SNIPPET_SOURCE}, 200)
        FROM kb_article a
        WHERE :words <% a.search_text AND {_FILTER}
        ORDER BY rank DESC, a.id
        LIMIT :limit
    """)  # noqa: S608 - only constant fragments are interpolated
    params = {
        "words": words,
        "audiences": audiences,
        "lang": lang,
        "limit": limit,
        "category_id": category_id,
    }
    return [(r[0], float(r[1]), r[2]) for r in db.session.execute(sql, params)]


def _sqlite_fts(match, audiences, limit, category_id):
    marks = {f"a{i}": value for i, value in enumerate(audiences)}
    in_list = ", ".join(f":{name}" for name in marks) or "NULL"
    sql = text(f"""
        SELECT a.id, -bm25(kb_article_fts, 10.0, 5.0, 1.0) AS rank,
               snippet(kb_article_fts, 2, :start, :stop, ' … ', 24)
        FROM kb_article_fts JOIN kb_article a ON a.id = kb_article_fts.rowid
        WHERE kb_article_fts MATCH :match
          AND a.status = 'published' AND a.audience IN ({in_list})
          AND (:category_id IS NULL OR a.category_id = :category_id)
        ORDER BY rank DESC, a.id
        LIMIT :limit
    """)  # noqa: S608 - only generated parameter names are interpolated
    params = {
        "match": match,
        "start": HIGHLIGHT_START,
        "stop": HIGHLIGHT_STOP,
        "limit": limit,
        "category_id": category_id,
        **marks,
    }
    return [(r[0], float(r[1]), r[2]) for r in db.session.execute(sql, params)]


def index_article(article: Article) -> None:
    """Keep the SQLite FTS5 row of an article in step (PostgreSQL's column is generated)."""
    if _postgresql():
        return
    db.session.execute(text("DELETE FROM kb_article_fts WHERE rowid = :id"), {"id": article.id})
    db.session.execute(
        text("INSERT INTO kb_article_fts (rowid, title, keywords, body) VALUES (:id, :t, :k, :b)"),
        {
            "id": article.id,
            "t": f"{article.title_fr} {article.title_en}",
            "k": article.keywords,
            "b": f"{article.plain_fr}\n{article.plain_en}",
        },
    )


_LISTED = (
    Article.id, Article.slug, Article.title_fr, Article.title_en, Article.category_id,
    Article.status, Article.audience, Article.version,
)  # fmt: skip


def hits(rows: list[tuple[int, float, str]]) -> list[Hit]:
    """Load the articles of `search_ids` rows (one query), keeping the order."""
    if not rows:
        return []
    articles = {
        a.id: a
        for a in db.session.scalars(
            # Lists show titles and snippets: the long texts stay in the database.
            db.select(Article)
            .options(load_only(*_LISTED))
            .where(Article.id.in_([r[0] for r in rows]))
        )
    }
    return [
        Hit(articles[i], highlight(s or ""), rank, s or "") for i, rank, s in rows if i in articles
    ]
