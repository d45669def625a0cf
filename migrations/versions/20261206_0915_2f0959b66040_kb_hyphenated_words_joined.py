"""knowledge base: the articles' hyphenated words under their letters run together

Revision ID: 2f0959b66040
Revises: e731a5726fbf
Create Date: 2026-12-06 09:15:00.000000

PostgreSQL's parser indexes "Wi-Fi" as wi-fi, wi and fi, SQLite's unicode61 as wi and fi: the
word "wifi" (or "email", "cohote") never found an article that writes only "Wi-Fi" ("e-mail",
"co-hôte"). kb_hyphenated_word holds each hyphenated word of the articles, folded, under its
joined form ("wifi" → "wi-fi"), so that the search also looks for the hyphenated form of a word
it is asked. On both engines; on PostgreSQL the joined words also go into the typo lexicon
kb_word (a typo of "wifi" is corrected to it).
"""

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "2f0959b66040"
down_revision = "e731a5726fbf"
branch_labels = None
depends_on = None

# Copies of desk.kb.search's fill as it was when this migration was written (a migration must
# not change when the code does).
_PG_FILL = """
WITH folded AS (
  SELECT lower(unaccent(concat_ws(' ', a.title_fr, a.title_en, a.keywords, a.plain_fr,
                                  a.plain_en))) AS t
  FROM kb_article a),
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
SELECT joined FROM kept
ON CONFLICT DO NOTHING
"""
_HYPHENATED = re.compile(r"[^\W_]+(?:-[^\W_]+)+")


def _fold(text):
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def upgrade():
    op.create_table(
        "kb_hyphenated_word",
        sa.Column("joined", sa.Text(), nullable=False),
        sa.Column("word", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("joined", "word", name=op.f("pk_kb_hyphenated_word")),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(_PG_FILL)
        return
    found = set()
    articles = bind.execute(
        sa.text("SELECT title_fr, title_en, keywords, plain_fr, plain_en FROM kb_article")
    )
    for texts in articles:
        for value in texts:
            for word in _HYPHENATED.findall(_fold(value)):
                joined = word.replace("-", "")
                if 3 <= len(joined) <= 40 and not joined.isdigit():
                    found.add((joined, word))
    if found:
        bind.execute(
            sa.text("INSERT INTO kb_hyphenated_word (joined, word) VALUES (:joined, :word)"),
            [{"joined": joined, "word": word} for joined, word in sorted(found)],
        )


def downgrade():
    # The joined words stay in kb_word: a word of the lexicon the articles do not use only
    # makes a correction find nothing.
    op.drop_table("kb_hyphenated_word")
