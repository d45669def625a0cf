"""knowledge base: kb_word_nearest(), the typo look-up with its trigram threshold built in

Revision ID: e67b93f34d9f
Revises: b5c1d2e3f4a6
Create Date: 2026-12-02 05:55:00.000000

The correction needs pg_trgm's word_similarity threshold at 0.3 ("zomm" shares 2 of its 5
trigrams with "zoom": 0.4; the default 0.6 misses most one-letter typos of short words).
Setting it with set_config() before each look-up cost a round trip to the server, which on a
loaded machine was as slow as the look-up itself. A function's SET clause applies the
threshold for the duration of the call only, so one statement does both. PostgreSQL only,
like the lexicon.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "e67b93f34d9f"
down_revision = "b5c1d2e3f4a6"
branch_labels = None
depends_on = None

# Candidates through the trigram index (typed <% word), then the fewest edits; among equals
# the most similar, then the alphabetical order so that the answer is stable. A word of the
# lexicon comes back as itself, 0 edits.
_NEAREST = """
CREATE FUNCTION kb_word_nearest(typed text) RETURNS TABLE (word text, edits integer)
LANGUAGE sql STABLE PARALLEL SAFE
SET pg_trgm.word_similarity_threshold = 0.3
AS $$
  SELECT k.word, levenshtein(typed, k.word)
  FROM kb_word k
  WHERE typed <% k.word
  ORDER BY 2, k.word <-> typed, k.word
  LIMIT 1
$$
"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_NEAREST)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION kb_word_nearest(text)")
