"""Article search in the reader's language first: PostgreSQL full text, SQLite FTS5 for the
embedded setup (desk.kb.fts5).

PostgreSQL: stored tsvectors (titles weighted A, keywords B, text C) in each language, under
its configuration with accents folded: `french_unaccent` over both languages' texts (a French
reader typing "forgot password" finds the English words), `english_unaccent` over the English
title and text. A query is stemmed with the reader's language's rules and with the other's:
"activate my account" on an English page meets "Activating your IT account", and a French
speaker on that page typing "compte" still finds the French words; the articles matched in the
reader's language rank first. The last word is a prefix (it may be half typed: "40 min" finds
"40 minutes"); all words must match, else any does (ranked lower by ts_rank). Typos ("zomm"):
when all the words do not match, each word the articles never use is corrected against
`kb_word`, the lexicon of their distinct words (trigram index, then the smallest edit
distance), and the full-text query runs again with the original word or its correction. That
is pg_trgm's documented "Text Search Integration": a trigram look at a few thousand words
instead of at every article, so its cost does not grow with the base. ts_headline marks the
matched words with private-use characters that rendering.highlight turns into <mark> after
escaping.

Hyphenated words: see desk.kb.spellings ("wifi" also finds "Wi-Fi", and back).

SQLite: see desk.kb.fts5 (an FTS5 table stemmed by the French rules, as `french_unaccent`
stems, a Porter-stemmed one for English).

On both, the snippet is cut from the text in the language the article is shown in (its
title's: Article.lang), never from the other one, even when only the other one matched.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import text
from sqlalchemy.orm import load_only

from desk.extensions import db
from desk.kb import fts5
from desk.kb.models import Article, HyphenatedWord
from desk.kb.rendering import (
    HIGHLIGHT_START,
    HIGHLIGHT_STOP,
    STOP_WORDS,
    ends_with,
    highlight,
    query_language,
    search_words,
)
from desk.kb.spellings import Forms, joins, sqlite_hyphenated, twins

# Text matches ranked per query at most (see _pg_fulltext).
RANKED_TEXTS = 200
# Words shorter than this are not corrected (too few trigrams to mean anything).
TYPO_MIN_LENGTH = 3


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
    forms = Forms(twins=twins(words), joins=joins(query, words))
    # The language whose matches rank first: the query's own when its little words tell it
    # ("teams not working" on a French page: the English stems' "work" finds the Teams article,
    # while the French rules, which keep "working" whole, matched the Zoom licence article's
    # "the team ... working day" first), else the reader's. Snippets stay in the page's.
    first = query_language(query) or lang
    if _postgresql():
        typing = ends_with(query, words)
        return _pg_search(words, typing, forms, audiences, (lang, first), limit, category_id)
    for joiner in (" AND ", " OR "):
        rows = fts5.search(words, joiner, forms, audiences, (lang, first), limit, category_id)
        if rows:
            return rows
    return []


_FILTER = """
  a.status = 'published' AND a.audience = ANY(:audiences)
  AND (CAST(:category_id AS integer) IS NULL OR a.category_id = :category_id)
"""
# The snippet is cut from the text of the language the article is shown in (fts5's rule), and
# its words are marked as that language's rules stem them.
_SNIPPET = f"""CASE WHEN {fts5.SHOWN_IN_ENGLISH}
  THEN ts_headline('english_unaccent', a.plain_en, q.en, :options)
  ELSE ts_headline('french_unaccent', a.plain_fr, q.fr, :options) END"""
# Per language (its query is q.fr or q.en): the title-and-keywords vector, the whole article's.
_VECTORS = {"fr": ("title_vector", "search_vector"), "en": ("title_vector_en", "search_vector_en")}
_HEADLINE_OPTIONS = (
    f'StartSel="{HIGHLIGHT_START}", StopSel="{HIGHLIGHT_STOP}", MaxWords=28, MinWords=10, '
    'MaxFragments=2, FragmentDelimiter=" … "'
)


# Any of the words (the last fallback): how many of the query's words an article holds counts
# before where they are. Titles first had "plus de wifi dans le bureau, reseau coupe" put the
# two guest Wi-Fi articles (one word, in their titles) above the network checks (four words,
# one in the title), and "no network in my office" the Office 365 article first. COVERAGE
# outweighs a tier and its ts_rank (at most 3 + 1): the tiers then order equal coverages.
COVERAGE = 10
# Counted for each tier's best RECOUNTED by ts_rank only: each count reads the article's whole
# vector once per word, which for every title match of a common word doubled the search time.
RECOUNTED = 30


def _tiers(lang: str, top: int, gate: str = "", *, any_word: bool = False) -> str:
    # Two tiers per language, so that a word found in thousands of texts costs no more than a
    # rare one: articles whose title or keywords match (small vectors, all ranked, from `top`),
    # then the best of the first RANKED_TEXTS articles whose text matches (from `top` - 1).
    # `gate`: a condition without columns, which PostgreSQL checks once before any scan.
    # `any_word`: the query is an OR of its words (q.{lang}_words: one tsquery each), and the
    # tiers' best are ranked again by how many of them each article holds.
    title, whole = _VECTORS[lang]
    ranked = "_ranked" if any_word else ""
    pick = RECOUNTED if any_word else ":limit"
    tiers = f"""
        {lang}_titled{ranked} AS (
          SELECT a.id, {top} + ts_rank(a.{title}, q.{lang}) AS rank
          FROM kb_article a, q
          WHERE a.{title} @@ q.{lang} AND {_FILTER} {gate}
          ORDER BY rank DESC, a.id
          LIMIT {pick}),
        {lang}_candidates AS (
          SELECT a.id, a.{whole} AS vector
          FROM kb_article a, q
          WHERE a.{whole} @@ q.{lang} AND {_FILTER} {gate}
          LIMIT :cap),
        {lang}_texted{ranked} AS (
          SELECT c.id, {top - 1} + ts_rank('{{0.1, 0.3, 0.6, 1.0}}', c.vector, q.{lang}) AS rank
          FROM {lang}_candidates c, q
          ORDER BY rank DESC, c.id
          LIMIT {pick})"""  # noqa: S608 - only constant fragments are interpolated
    if not any_word:
        return tiers
    for tier in ("titled", "texted"):
        tiers += f""",
        {lang}_{tier} AS (
          SELECT r.id, r.rank + {COVERAGE} * (
                   SELECT count(*) FROM unnest(q.{lang}_words) w WHERE a.{whole} @@ w) AS rank
          FROM {lang}_{tier}_ranked r JOIN kb_article a ON a.id = r.id, q
          ORDER BY rank DESC, r.id
          LIMIT :limit)"""  # noqa: S608 - only constant fragments are interpolated
    return tiers


def _pg_fulltext(tsquery, audiences, languages, limit, category_id, words=None):
    # The query stemmed by each language's rules; the first language's matches (the query's,
    # else the reader's) rank above (3 and 2) those found only by the other's (1 and 0), which
    # are not looked for when the first's fill the page (a common word: no second scan). The
    # headline is computed only for the rows kept, in the page's language (`lang`).
    # `words`: the OR query's terms, one tsquery each, to rank by how many match (COVERAGE).
    lang, first = languages
    mine, other = ("en", "fr") if first == "en" else ("fr", "en")
    any_word = words is not None
    each = (
        """, ARRAY(SELECT to_tsquery('french_unaccent', w) FROM unnest(CAST(:words AS text[])) w)
               AS fr_words,
             ARRAY(SELECT to_tsquery('english_unaccent', w) FROM unnest(CAST(:words AS text[])) w)
               AS en_words"""
        if any_word
        else ""
    )
    sql = text(f"""
        WITH q AS (SELECT to_tsquery('french_unaccent', :tsquery) AS fr,
                          to_tsquery('english_unaccent', :tsquery) AS en{each}),
        {_tiers(mine, 3, any_word=any_word)},
        mine AS (SELECT id FROM {mine}_titled UNION SELECT id FROM {mine}_texted),
        {_tiers(other, 1, "AND (SELECT count(*) FROM mine) < :limit", any_word=any_word)},
        found AS (
          SELECT id, max(rank) AS rank
          FROM (SELECT * FROM {mine}_titled UNION ALL SELECT * FROM {mine}_texted
                UNION ALL SELECT * FROM {other}_titled UNION ALL SELECT * FROM {other}_texted)
               tiers
          GROUP BY id
          ORDER BY rank DESC, id
          LIMIT :limit)
        SELECT found.id, found.rank, {_SNIPPET}
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
        "words": words,
    }
    return [(r[0], float(r[1]), r[2]) for r in db.session.execute(sql, params)]


def _pg_search(words, typing, forms, audiences, languages, limit, category_id):
    """All the words, else all with typos corrected, else any word (ranked lower).
    `languages`: the page's (snippets) and the one whose matches rank first."""
    where = (audiences, languages, limit, category_id)
    rows = _pg_fulltext(_tsquery(words, " & ", forms=forms, typing=typing), *where)
    if rows:
        return rows
    corrections = _pg_corrections(words, forms.twins)
    if corrections:
        tsquery = _tsquery(words, " & ", corrections, forms=forms, typing=typing)
        rows = _pg_fulltext(tsquery, *where)
        if rows:
            return rows
    if len(words) > 1:
        terms = _terms(words, corrections, forms=forms, typing=typing)
        return _pg_fulltext(" | ".join(terms), *where, words=terms)
    return []


def _tsquery(
    words: list[str],
    joiner: str,
    corrections: dict[str, str] | None = None,
    *,
    forms: Forms | None = None,
    typing: bool = True,
) -> str:
    return joiner.join(_terms(words, corrections, forms=forms, typing=typing))


def _terms(
    words: list[str],
    corrections: dict[str, str] | None = None,
    *,
    forms: Forms | None = None,
    typing: bool = True,
) -> list[str]:
    """The query's terms (tsquery texts): a word with its other forms, or a hyphenated run."""
    # Only the last word may be unfinished (it is being typed: `typing`, see
    # rendering.ends_with): the others match whole (stemmed) words, which keeps the index
    # look-ups small. A corrected word still matches as typed too: its stem may be in the
    # texts even though the word itself is not. A hyphenated twin ("wi-fi") is whole: the
    # parser reads it as its parts in a row; a hyphenated word typed also matches joined.
    corrections = corrections or {}
    twins = forms.twins if forms else {}
    joins = forms.joins if forms else {}

    def term(n: int) -> str:
        word = words[n]
        suffix = ":*" if typing and n == len(words) - 1 else ""
        forms_of = [word, *([corrections[word]] if word in corrections else [])]
        spellings = [f"{w}{suffix}" for w in forms_of]
        spellings += [t for w in forms_of for t in twins.get(w, [])]
        return f"({' | '.join(spellings)})" if len(spellings) > 1 else spellings[0]

    terms = []
    n = 0
    while n < len(words):
        if n in joins:
            end, joined = joins[n]
            suffix = ":*" if typing and end == len(words) else ""
            parts = " & ".join(term(i) for i in range(n, end))
            terms.append(f"({parts} | {joined}{suffix})")
            n = end
        else:
            terms.append(term(n))
            n += 1
    return terms


def max_edits(word: str) -> int:
    """Edits a correction may make: one in a short word, two in a longer one."""
    return 1 if len(word) <= 5 else 2


def _pg_corrections(words: list[str], twins: dict[str, list[str]]) -> dict[str, str]:
    """{typed word: nearest lexicon word} for the words the articles never use; the
    corrections' hyphenated twins are added to `twins` (same statement)."""
    asked = sorted({w for w in words if len(w) >= TYPO_MIN_LENGTH and not w.isdigit()})
    if not asked:
        return {}
    # kb_word_nearest (a migration): trigrams find the candidates through the index (pg_trgm
    # word_similarity >= 0.3, its own setting for the call), the edit distance picks among
    # them ("zomm": "zoom" and "zone" share as many trigrams, "zoom" is one letter away).
    # A word of the lexicon comes back as itself (0 edits): nothing to correct. The lexicon
    # holds the hyphenated words joined ("wifi"), whose twins come along. Nor is a word the
    # articles use in another English form: "activate" (their "activating", "activation")
    # is an English word, which its nearest spelling ("activite") would turn into French. The
    # French stems are not asked: short, typos share them ("pase" and "pas"), and a French
    # word the articles use in another form is corrected to that form, which means the same.
    sql = text("""
        SELECT q.word, best.word, best.edits, h.word
        FROM unnest(CAST(:words AS text[])) AS q(word)
             CROSS JOIN LATERAL kb_word_nearest(q.word) best
             LEFT JOIN kb_hyphenated_word h ON h.joined = best.word
        WHERE best.edits > 0 AND NOT EXISTS (
          SELECT 1 FROM kb_article a
          WHERE a.search_vector_en @@ to_tsquery('english_unaccent', q.word))
        ORDER BY q.word, h.word
    """)
    corrections = {}
    for typed, found, edits, twin in db.session.execute(sql, {"words": asked}):
        # Never to a little word the query itself would drop ("teams bug": "bug" was made
        # "but", which only the Office 365 article writes, and the Teams article was left
        # out). The lexicon holds none since it is filled without them; this is for one
        # filled before.
        if 0 < edits <= max_edits(typed) and found not in STOP_WORDS:
            corrections[typed] = found
            if twin and twin not in twins.setdefault(found, []):
                twins[found].append(twin)
    return corrections


# The folded words (3-40 characters, not only digits, not a stop word: a typo is never
# corrected to a word the query would drop) of one article (:id) or of all (NULL), split
# as rendering.search_words splits a query, and its hyphenated words joined ("wifi"):
# into kb_word; the hyphenated words under their joined form into kb_hyphenated_word (see
# spellings.hyphenated_words). One statement: the WITH's INSERT runs whether or not it is read.
_LEXICON_FILL = """
WITH folded AS (
  SELECT lower(unaccent(concat_ws(' ', a.title_fr, a.title_en, a.keywords, a.plain_fr,
                                  a.plain_en))) AS t
  FROM kb_article a
  WHERE (CAST(:id AS integer) IS NULL OR a.id = :id)),
hyphenated AS (
  SELECT DISTINCT replace(m.found[1], '-', '') AS joined, m.found[1] AS word
  FROM folded, regexp_matches(folded.t, '[[:alnum:]]+(?:-[[:alnum:]]+)+', 'g') AS m(found)),
kept AS (
  SELECT joined, word FROM hyphenated
  WHERE length(joined) BETWEEN 3 AND 40 AND joined !~ '^[0-9]+$'),
twins AS (
  INSERT INTO kb_hyphenated_word (joined, word)
  SELECT joined, word FROM kept
  ON CONFLICT DO NOTHING)
INSERT INTO kb_word (word)
SELECT w.word
FROM folded, regexp_split_to_table(folded.t, '[^[:alnum:]]+') AS w(word)
WHERE length(w.word) BETWEEN 3 AND 40 AND w.word !~ '^[0-9]+$'
  AND NOT w.word = ANY(CAST(:stop AS text[]))
UNION
SELECT joined FROM kept
ON CONFLICT DO NOTHING
"""
_STOP = sorted(w for w in STOP_WORDS if len(w) >= 3)


def rebuild_lexicon() -> None:
    """Refill the typo lexicon and the hyphenated words from every article (for bulk loads).

    Saving an article adds its words (index_article) but never removes any: a word left by
    an edit only makes a correction find nothing, as it would have without the lexicon.
    """
    db.session.execute(db.delete(HyphenatedWord))
    if _postgresql():
        db.session.execute(text("DELETE FROM kb_word"))
        db.session.execute(text(_LEXICON_FILL), {"id": None, "stop": _STOP})
        return
    for article in db.session.scalars(db.select(Article)):
        sqlite_hyphenated(article)


def index_article(article: Article) -> None:
    """After a save: PostgreSQL's lexicon gets the article's words (its tsvectors are
    generated columns); SQLite's FTS5 rows are rewritten. Both keep its hyphenated words."""
    if _postgresql():
        db.session.execute(text(_LEXICON_FILL), {"id": article.id, "stop": _STOP})
        return
    sqlite_hyphenated(article)
    fts5.write_rows(article)


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
