"""knowledge-base search in English: English-stemmed tsvectors, a Porter FTS5 table on SQLite

Revision ID: f310e1dd46c7
Revises: ea78276ad03f
Create Date: 2026-12-06 14:00:00.000000

Every article was indexed with French stemming only, its English text too: "activate" never met
"Activating", and a valid English word the articles do not use as typed ("activate") was
"corrected" to a French one ("activite"). The search now stems a query with the reader's
language's rules first, then with the other language's (desk.kb.search).

PostgreSQL: an `english_unaccent` configuration (English stemming after folding accents, as
`french_unaccent` does for French) and two generated tsvectors over the English title, the
keywords and the English text, weighted like the French ones, each with its GIN index. The
French vectors are unchanged.

SQLite: a second FTS5 table, `kb_article_fts_en`, with FTS5's built-in Porter stemmer over the
English title, the keywords and the English text; the French text is there only to cut
snippets from (the search does not match in it). Filled from the articles here; afterwards
desk.kb.search.index_article keeps it in step.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "f310e1dd46c7"
down_revision = "ea78276ad03f"
branch_labels = None
depends_on = None

_ENGLISH_UNACCENT = """
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'english_unaccent') THEN
    CREATE TEXT SEARCH CONFIGURATION english_unaccent (COPY = english);
    ALTER TEXT SEARCH CONFIGURATION english_unaccent
      ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;
  END IF;
END
$$
"""
# The same shape and weights as the French vectors (titles A, keywords B, text C): the keywords
# are mostly French, but stemmed alike on both sides they still match.
_TITLE_VECTOR_EN = """
ALTER TABLE kb_article ADD COLUMN title_vector_en tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('english_unaccent'::regconfig, coalesce(title_en, '')), 'A')
  || setweight(to_tsvector('english_unaccent'::regconfig, coalesce(keywords, '')), 'B')
) STORED
"""
_SEARCH_VECTOR_EN = """
ALTER TABLE kb_article ADD COLUMN search_vector_en tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('english_unaccent'::regconfig, coalesce(title_en, '')), 'A')
  || setweight(to_tsvector('english_unaccent'::regconfig, coalesce(keywords, '')), 'B')
  || setweight(to_tsvector('english_unaccent'::regconfig, coalesce(plain_en, '')), 'C')
) STORED
"""
_FTS_EN = (
    "CREATE VIRTUAL TABLE kb_article_fts_en USING fts5("
    "title, keywords, body_en, body_fr, tokenize = 'porter unicode61 remove_diacritics 2')"
)


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    if _postgresql():
        op.execute(_ENGLISH_UNACCENT)
        op.execute(_TITLE_VECTOR_EN)
        op.execute(_SEARCH_VECTOR_EN)
        op.execute(
            "CREATE INDEX ix_kb_article_title_vector_en ON kb_article USING gin (title_vector_en)"
        )
        op.execute(
            "CREATE INDEX ix_kb_article_search_vector_en ON kb_article USING gin (search_vector_en)"
        )
        return
    op.execute(_FTS_EN)
    op.execute(
        "INSERT INTO kb_article_fts_en (rowid, title, keywords, body_en, body_fr) "
        "SELECT id, title_en, keywords, plain_en, plain_fr FROM kb_article"
    )


def downgrade():
    if _postgresql():
        op.execute("DROP INDEX ix_kb_article_search_vector_en")
        op.execute("DROP INDEX ix_kb_article_title_vector_en")
        op.execute("ALTER TABLE kb_article DROP COLUMN search_vector_en")
        op.execute("ALTER TABLE kb_article DROP COLUMN title_vector_en")
        op.execute("DROP TEXT SEARCH CONFIGURATION english_unaccent")
        return
    op.execute("DROP TABLE kb_article_fts_en")
