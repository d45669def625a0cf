"""knowledge-base search on SQLite: each language's text in its own column of the FTS table

SQLite's FTS5 table held an article's French and English texts in one `body` column, so the
snippet of a search result could come from the English text on a French page, or run from one
language into the other. The texts now have a column each (body_fr, body_en) and the search
cuts the snippet from the one the article is shown in. The table is refilled from the
articles. Nothing changes on PostgreSQL, whose snippet comes from one language's text.

Revision ID: e731a5726fbf
Revises: d7f9b1c3e5a7
Create Date: 2026-12-06 05:15:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "e731a5726fbf"
down_revision = "d7f9b1c3e5a7"
branch_labels = None
depends_on = None

_TOKENIZER = "tokenize = 'unicode61 remove_diacritics 2'"


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    if not _sqlite():
        return
    op.execute("DROP TABLE kb_article_fts")
    op.execute(
        "CREATE VIRTUAL TABLE kb_article_fts USING fts5("
        f"title, keywords, body_fr, body_en, {_TOKENIZER})"
    )
    op.execute(
        "INSERT INTO kb_article_fts (rowid, title, keywords, body_fr, body_en) "
        "SELECT id, title_fr || ' ' || title_en, keywords, plain_fr, plain_en FROM kb_article"
    )


def downgrade():
    if not _sqlite():
        return
    op.execute("DROP TABLE kb_article_fts")
    op.execute(
        f"CREATE VIRTUAL TABLE kb_article_fts USING fts5(title, keywords, body, {_TOKENIZER})"
    )
    op.execute(
        "INSERT INTO kb_article_fts (rowid, title, keywords, body) "
        "SELECT id, title_fr || ' ' || title_en, keywords, plain_fr || char(10) || plain_en "
        "FROM kb_article"
    )
