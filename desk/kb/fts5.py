"""The help search on SQLite (the embedded setup): two FTS5 tables, one per language's rules.

`kb_article_fts` (unicode61, accents removed, no stemming) holds the titles, the keywords and
both texts: every word matches as a prefix, whatever its language. `kb_article_fts_en` runs
FTS5's Porter stemmer over the English title, the keywords and the English text, so that
"activate" meets "Activating", "passwords" "password" and "lists" "list"; it holds the
French text too, only to cut snippets from (the search never matches in it). Porter's rules
are English ones: the French text is not stemmed, as PostgreSQL's `french_unaccent` would.

The reader's language's table is asked first (the Porter one for an English page, the other
for a French one), then the other table for the articles it did not find, ranked after them.
Both are kept in step by `write_rows` (desk.kb.search.index_article).
"""

from __future__ import annotations

from sqlalchemy import text

from desk.extensions import db
from desk.kb.models import Article
from desk.kb.rendering import HIGHLIGHT_START, HIGHLIGHT_STOP

# Is the article shown in English? Article.lang's rule: the reader's language when the article
# has its title, else the other one. The snippet is cut from that language's text only.
SHOWN_IN_ENGLISH = "(CASE WHEN :lang = 'en' THEN a.title_en <> '' ELSE a.title_fr = '' END)"

# Per table: its bm25 weights (titles, keywords, then the texts), the columns of the English
# and the French texts for snippets, and the columns a query matches in.
_TABLES = {
    "fr": ("kb_article_fts", "10.0, 5.0, 1.0, 1.0", 3, 2, ""),
    "en": ("kb_article_fts_en", "10.0, 5.0, 1.0, 0.0", 2, 3, "{title keywords body_en} : "),
}


def search(match: str, audiences, lang: str, limit: int, category_id):
    """(id, rank, marked snippet) of the articles matching the FTS5 query `match`: those the
    reader's language's table finds, best first, then those only the other one finds. One
    statement (SQLite's max() takes the other columns from the row of the best tier)."""
    mine, other = ("en", "fr") if lang == "en" else ("fr", "en")
    marks = {f"a{i}": value for i, value in enumerate(audiences)}
    in_list = ", ".join(f":{name}" for name in marks) or "NULL"
    sql = text(f"""
        SELECT id, max(tier) AS tier, rank, snippet
        FROM ({_matches(mine, 1, in_list)} UNION ALL {_matches(other, 0, in_list)})
        GROUP BY id
        ORDER BY tier DESC, rank DESC, id
        LIMIT :limit
    """)  # noqa: S608 - only generated parameter names and constant fragments are interpolated
    params = {
        "match_fr": f"{_TABLES['fr'][4]}({match})",
        "match_en": f"{_TABLES['en'][4]}({match})",
        "lang": lang,
        "start": HIGHLIGHT_START,
        "stop": HIGHLIGHT_STOP,
        "limit": limit,
        "category_id": category_id,
        **marks,
    }
    return [(r[0], float(r[2]), r[3]) for r in db.session.execute(sql, params)]


def _matches(table_lang: str, tier: int, in_list: str) -> str:
    table, weights, english, french, _columns = _TABLES[table_lang]
    return f"""SELECT * FROM (
        SELECT a.id, {tier} AS tier, -bm25({table}, {weights}) AS rank,
               CASE WHEN {SHOWN_IN_ENGLISH}
                    THEN snippet({table}, {english}, :start, :stop, ' … ', 24)
                    ELSE snippet({table}, {french}, :start, :stop, ' … ', 24) END AS snippet
        FROM {table} JOIN kb_article a ON a.id = {table}.rowid
        WHERE {table} MATCH :match_{table_lang}
          AND a.status = 'published' AND a.audience IN ({in_list})
          AND (:category_id IS NULL OR a.category_id = :category_id)
        ORDER BY rank DESC, a.id
        LIMIT :limit)"""  # noqa: S608 - only constant fragments are interpolated


def write_rows(article: Article) -> None:
    """Rewrite the article's rows of both tables (after a save)."""
    values = {
        "id": article.id,
        "titles": f"{article.title_fr} {article.title_en}",
        "title_en": article.title_en,
        "k": article.keywords,
        "fr": article.plain_fr,
        "en": article.plain_en,
    }
    for table in ("kb_article_fts", "kb_article_fts_en"):
        db.session.execute(text(f"DELETE FROM {table} WHERE rowid = :id"), values)  # noqa: S608
    db.session.execute(
        text(
            "INSERT INTO kb_article_fts (rowid, title, keywords, body_fr, body_en)"
            " VALUES (:id, :titles, :k, :fr, :en)"
        ),
        values,
    )
    db.session.execute(
        text(
            "INSERT INTO kb_article_fts_en (rowid, title, keywords, body_en, body_fr)"
            " VALUES (:id, :title_en, :k, :en, :fr)"
        ),
        values,
    )
