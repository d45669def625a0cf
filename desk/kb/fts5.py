"""The help search on SQLite (the embedded setup): two FTS5 tables, one per language's rules.

`kb_article_fts_fr` is PostgreSQL's `french_unaccent` vector: the titles, the keywords and both
texts, every word folded (accents, case) and stemmed by the Snowball French rules in Python
(desk.kb.french: FTS5 has no French stemmer), so that "imprimantes" meets "imprimante",
"connecter" "connecté"; the query's words are stemmed alike, and each matches as the beginning
of a stem. Its snippet is cut in Python from the article's text (french.snippet), since FTS5's
would be cut from the stems. `kb_article_fts_en` runs FTS5's Porter stemmer over the English
title, the keywords and the English text, so that "activate" meets "Activating", "passwords"
"password" and "lists" "list"; it holds the French text too, only to cut snippets from (the
search never matches in it).

The reader's language's table is asked first (the Porter one for an English page, the French
one for a French page), then the other table for the articles it did not find, ranked after
them; in each, the articles whose title or keywords match rank first, as on PostgreSQL.
Both are kept in step by `write_rows` (desk.kb.search.index_article).
"""

from __future__ import annotations

from sqlalchemy import text

from desk.extensions import db
from desk.kb import french
from desk.kb.models import Article
from desk.kb.rendering import HIGHLIGHT_START, HIGHLIGHT_STOP
from desk.kb.spellings import Forms, fts_match, fts_terms

# Is the article shown in English? Article.lang's rule: the reader's language when the article
# has its title, else the other one. The snippet is cut from that language's text only.
SHOWN_IN_ENGLISH = "(CASE WHEN :lang = 'en' THEN a.title_en <> '' ELSE a.title_fr = '' END)"

# Per table: its bm25 weights (titles, keywords, then the texts), the columns of the English
# and the French texts for snippets, and the columns a query matches in.
_TABLES = {
    "fr": ("kb_article_fts_fr", "10.0, 5.0, 1.0, 1.0", 3, 2, ""),
    "en": ("kb_article_fts_en", "10.0, 5.0, 1.0, 0.0", 2, 3, "{title keywords body_en} : "),
}
# The columns of a title match, which ranks above a match in the text only, as on PostgreSQL
# (desk.kb.search's tiers): bm25 alone put "teams ne marche pas" on the network article, whose
# text has the rare "marche", above the article titled "Teams" (a word of five articles).
_TITLED = "{title keywords} : "
# Words in a snippet, at most (FTS5's snippet() and french.snippet alike).
SNIPPET_WORDS = 24
ELLIPSIS = " … "


def search(
    words: list[str],
    joiner: str,
    forms: Forms,
    audiences,
    languages: tuple[str, str],
    limit: int,
    category_id,
):
    """(id, rank, marked snippet) of the articles matching the query's `words`, all of them
    (`joiner` " AND ") or any (" OR "): those the first language's table finds (the query's,
    else the reader's), best first, then those only the other one finds. One statement
    (SQLite's max() takes the other columns from the row of the best tier). `languages`: the
    page's (snippets), then the first one."""
    lang, first = languages
    mine, other = ("en", "fr") if first == "en" else ("fr", "en")
    marks = {f"a{i}": value for i, value in enumerate(audiences)}
    in_list = ", ".join(f":{name}" for name in marks) or "NULL"
    sql = text(f"""
        SELECT id, max(tier) AS tier, rank, snippet, shown_text, shown_stems
        FROM ({_matches(mine, 2, in_list)} UNION ALL {_matches(other, 0, in_list)})
        GROUP BY id
        ORDER BY tier DESC, rank DESC, id
        LIMIT :limit
    """)  # noqa: S608 - only generated parameter names and constant fragments are interpolated
    match_fr = fts_match(words, joiner, forms, french.stem)
    match_en = fts_match(words, joiner, forms)
    params = {
        "match_fr": f"{_TABLES['fr'][4]}({match_fr})",
        "match_en": f"{_TABLES['en'][4]}({match_en})",
        "titled_fr": f"{_TITLED}({match_fr})",
        "titled_en": f"{_TITLED}({match_en})",
        "lang": lang,
        "start": HIGHLIGHT_START,
        "stop": HIGHLIGHT_STOP,
        "limit": limit,
        "category_id": category_id,
        **marks,
    }
    prefixes, phrases = fts_terms(words, forms)
    stems = tuple(sorted({french.stem(word) for word in prefixes}))
    phrase_stems = tuple(sorted({tuple(map(french.stem, phrase)) for phrase in phrases}))
    found = []
    for article_id, _tier, rank, snippet, shown_text, shown_stems in db.session.execute(
        sql, params
    ):
        if snippet is None:  # found by the French table: cut from the text as written
            snippet = french.snippet(
                shown_text or "",
                shown_stems or "",
                stems,
                phrase_stems,
                marks=(HIGHLIGHT_START, HIGHLIGHT_STOP),
                ellipsis=ELLIPSIS,
                size=SNIPPET_WORDS,
            )
        found.append((article_id, float(rank), snippet))
    return found


def _matches(table_lang: str, tier: int, in_list: str) -> str:
    table, weights, english, french_column, _columns = _TABLES[table_lang]
    if table_lang == "fr":
        # The text shown and its stems, for french.snippet (FTS5's would show the stems).
        shown = f"""NULL AS snippet,
               CASE WHEN {SHOWN_IN_ENGLISH} THEN a.plain_en ELSE a.plain_fr END AS shown_text,
               CASE WHEN {SHOWN_IN_ENGLISH} THEN {table}.body_en ELSE {table}.body_fr END
                 AS shown_stems"""
    else:
        shown = f"""CASE WHEN {SHOWN_IN_ENGLISH}
                    THEN snippet({table}, {english}, :start, :stop, '{ELLIPSIS}', {SNIPPET_WORDS})
                    ELSE snippet({table}, {french_column}, :start, :stop, '{ELLIPSIS}',
                                 {SNIPPET_WORDS}) END AS snippet,
               NULL AS shown_text, NULL AS shown_stems"""
    # `tier`: the language's (2 for the first one's table, 0 for the other's), plus one for
    # a match in the title or the keywords.
    return f"""SELECT * FROM (
        SELECT a.id,
               {tier} + ({table}.rowid IN (SELECT rowid FROM {table}
                                            WHERE {table} MATCH :titled_{table_lang})) AS tier,
               -bm25({table}, {weights}) AS rank, {shown}
        FROM {table} JOIN kb_article a ON a.id = {table}.rowid
        WHERE {table} MATCH :match_{table_lang}
          AND a.status = 'published' AND a.audience IN ({in_list})
          AND (:category_id IS NULL OR a.category_id = :category_id)
        ORDER BY tier DESC, rank DESC, a.id
        LIMIT :limit)"""  # noqa: S608 - only constant fragments are interpolated


def write_rows(article: Article) -> None:
    """Rewrite the article's rows of both tables (after a save); the French one stemmed."""
    values = {
        "id": article.id,
        "titles": french.stems(f"{article.title_fr} {article.title_en}"),
        "k_stems": french.stems(article.keywords),
        "fr_stems": french.stems(article.plain_fr),
        "en_stems": french.stems(article.plain_en),
        "title_en": article.title_en,
        "k": article.keywords,
        "fr": article.plain_fr,
        "en": article.plain_en,
    }
    for table in ("kb_article_fts_fr", "kb_article_fts_en"):
        db.session.execute(text(f"DELETE FROM {table} WHERE rowid = :id"), values)  # noqa: S608
    db.session.execute(
        text(
            "INSERT INTO kb_article_fts_fr (rowid, title, keywords, body_fr, body_en)"
            " VALUES (:id, :titles, :k_stems, :fr_stems, :en_stems)"
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
