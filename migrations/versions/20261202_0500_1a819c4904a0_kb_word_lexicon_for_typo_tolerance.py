"""knowledge base: a lexicon of the articles' words (trigram index) for typo tolerance

Revision ID: 1a819c4904a0
Revises: e13a45addfca
Create Date: 2026-12-02 05:00:00.000000

The typo fallback ran trigram over every article's titles and keywords (kb_article.search_text):
its cost grew with the number of articles (p99 34 ms at 10,000). PostgreSQL's documented way
(pg_trgm, "Text Search Integration") is a table of the distinct words with a trigram index:
a misspelled word is corrected against it, then the ordinary full-text query runs. The lexicon
grows with the vocabulary, not with the articles. `fuzzystrmatch` gives the edit distance that
picks "zoom" rather than "zone" for "zomm" (both share the same trigrams).

On PostgreSQL only, like the generated tsvectors (SQLite keeps FTS5 without typo tolerance);
search_text and its trigram index go on both.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "1a819c4904a0"
down_revision = "e13a45addfca"
branch_labels = None
depends_on = None

# A copy of desk.kb.search._LEXICON_FILL as it was when this migration was written (a
# migration must not change when the code does): the folded words of 3-40 characters of
# every article, digits-only ones left out.
_FILL = """
INSERT INTO kb_word (word)
SELECT DISTINCT w.word
FROM kb_article a,
     regexp_split_to_table(
       lower(unaccent(concat_ws(' ', a.title_fr, a.title_en, a.keywords, a.plain_fr,
                                a.plain_en))),
       '[^[:alnum:]]+') AS w(word)
WHERE length(w.word) BETWEEN 3 AND 40 AND w.word !~ '^[0-9]+$'
ON CONFLICT DO NOTHING
"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS fuzzystrmatch")
        op.execute(
            "CREATE TABLE kb_word (word text NOT NULL, CONSTRAINT pk_kb_word PRIMARY KEY (word))"
        )
        op.execute("CREATE INDEX ix_kb_word_trgm ON kb_word USING gin (word gin_trgm_ops)")
        op.execute(_FILL)
        op.execute("DROP INDEX IF EXISTS ix_kb_article_search_trgm")
    op.drop_column("kb_article", "search_text")


def downgrade():
    op.add_column(
        "kb_article", sa.Column("search_text", sa.Text(), nullable=False, server_default="")
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE kb_article SET search_text = "
            "lower(unaccent(concat_ws(' ', title_fr, title_en, keywords)))"
        )
        op.alter_column("kb_article", "search_text", server_default=None)
        op.execute(
            "CREATE INDEX ix_kb_article_search_trgm ON kb_article "
            "USING gin (search_text gin_trgm_ops)"
        )
        op.execute("DROP TABLE kb_word")
        op.execute("DROP EXTENSION IF EXISTS fuzzystrmatch")
