"""knowledge-base search on SQLite: French words stemmed, as PostgreSQL's french_unaccent does

Revision ID: b8e2d4f6a1c3
Revises: 5c9cb7848517
Create Date: 2026-12-06 17:00:00.000000

SQLite's `kb_article_fts` matched every word as typed (accents folded, no stemming), so that
"imprimantes" missed an article about an "imprimante" and "connecter" one that says
"connecté", which PostgreSQL's `french_unaccent` finds. FTS5 has no French stemmer: the new
`kb_article_fts_fr` holds the same columns (both titles, the keywords, both texts) with every
word folded and stemmed in Python by the Snowball French rules, PostgreSQL's `french_stem`
(desk.kb.french); the query's words are stemmed alike. It replaces `kb_article_fts`, filled
here from the articles; afterwards desk.kb.search.index_article keeps it in step. Nothing
changes on PostgreSQL.
"""

import re
import unicodedata

import snowballstemmer
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b8e2d4f6a1c3"
down_revision = "5c9cb7848517"
branch_labels = None
depends_on = None

_TOKENIZER = "tokenize = 'unicode61 remove_diacritics 2'"
_WORD = re.compile(r"[^\W_]+")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _stems(text, stemmer):
    # desk.kb.french.stems at this revision: each word folded (accents, case), then stemmed.
    stems = []
    for word in _WORD.findall(text or ""):
        decomposed = unicodedata.normalize("NFKD", word)
        folded = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
        folded = "".join(_WORD.findall(folded)) or word.casefold()
        stems.append("".join(_WORD.findall(stemmer.stemWord(folded))) or folded)
    return " ".join(stems)


def upgrade():
    if not _sqlite():
        return
    op.execute("DROP TABLE kb_article_fts")
    op.execute(
        "CREATE VIRTUAL TABLE kb_article_fts_fr USING fts5("
        f"title, keywords, body_fr, body_en, {_TOKENIZER})"
    )
    bind = op.get_bind()
    stemmer = snowballstemmer.stemmer("french")
    articles = bind.execute(
        sa.text("SELECT id, title_fr, title_en, keywords, plain_fr, plain_en FROM kb_article")
    ).all()
    if articles:
        bind.execute(
            sa.text(
                "INSERT INTO kb_article_fts_fr (rowid, title, keywords, body_fr, body_en)"
                " VALUES (:id, :title, :keywords, :body_fr, :body_en)"
            ),
            [
                {
                    "id": article_id,
                    "title": _stems(f"{title_fr} {title_en}", stemmer),
                    "keywords": _stems(keywords, stemmer),
                    "body_fr": _stems(plain_fr, stemmer),
                    "body_en": _stems(plain_en, stemmer),
                }
                for article_id, title_fr, title_en, keywords, plain_fr, plain_en in articles
            ],
        )


def downgrade():
    if not _sqlite():
        return
    op.execute("DROP TABLE kb_article_fts_fr")
    op.execute(
        "CREATE VIRTUAL TABLE kb_article_fts USING fts5("
        f"title, keywords, body_fr, body_en, {_TOKENIZER})"
    )
    op.execute(
        "INSERT INTO kb_article_fts (rowid, title, keywords, body_fr, body_en) "
        "SELECT id, title_fr || ' ' || title_en, keywords, plain_fr, plain_en FROM kb_article"
    )
