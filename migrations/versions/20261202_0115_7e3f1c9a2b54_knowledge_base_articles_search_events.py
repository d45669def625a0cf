"""knowledge base: articles, versions, links to catalogue entries, events; full-text search

Revision ID: 7e3f1c9a2b54
Revises: ea8b13c0af28
Create Date: 2026-12-02 01:15:00.000000

On PostgreSQL the search uses a stored tsvector column (french stemming, accents folded by an
`unaccent` text-search configuration) and a trigram index for typo tolerance; on SQLite an
FTS5 table kept in step by desk.kb.search. Neither can be described by the models, so
desk.core.db.include_object keeps autogenerate from proposing to drop them.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7e3f1c9a2b54"
down_revision = "ea8b13c0af28"
branch_labels = None
depends_on = None

# The ticket-search migration before this one creates the configuration; PostgreSQL has no
# CREATE TEXT SEARCH CONFIGURATION IF NOT EXISTS, so check the catalogue rather than assume it.
_FRENCH_UNACCENT = """
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'french_unaccent') THEN
    CREATE TEXT SEARCH CONFIGURATION french_unaccent (COPY = french);
    ALTER TEXT SEARCH CONFIGURATION french_unaccent
      ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
  END IF;
END
$$
"""

# Titles weigh most, then keywords, then the text; both languages in one vector so a French
# query finds an article written only in English and the other way round. The small title
# vector lets a word found in thousands of texts rank the articles titled with it first
# without scoring every text (see desk.kb.search).
_TITLE_VECTOR = """
ALTER TABLE kb_article ADD COLUMN title_vector tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('french_unaccent'::regconfig,
            coalesce(title_fr, '') || ' ' || coalesce(title_en, '')), 'A')
  || setweight(to_tsvector('french_unaccent'::regconfig, coalesce(keywords, '')), 'B')
) STORED
"""
_SEARCH_VECTOR = """
ALTER TABLE kb_article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('french_unaccent'::regconfig,
            coalesce(title_fr, '') || ' ' || coalesce(title_en, '')), 'A')
  || setweight(to_tsvector('french_unaccent'::regconfig, coalesce(keywords, '')), 'B')
  || setweight(to_tsvector('french_unaccent'::regconfig,
               coalesce(plain_fr, '') || ' ' || coalesce(plain_en, '')), 'C')
) STORED
"""


def upgrade():
    op.create_table(
        "kb_article",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("title_fr", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("body_fr", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("plain_fr", sa.Text(), nullable=False),
        sa.Column("plain_en", sa.Text(), nullable=False),
        sa.Column("keywords", sa.String(length=300), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("audience", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["category.id"],
            name=op.f("fk_kb_article_category_id_category"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_kb_article_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_kb_article_updated_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_article")),
        sa.UniqueConstraint("slug", name=op.f("uq_kb_article_slug")),
    )
    op.create_index(op.f("ix_kb_article_category_id"), "kb_article", ["category_id"])
    op.create_index("ix_kb_article_status_audience", "kb_article", ["status", "audience"])
    op.create_table(
        "kb_article_request_type",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("request_type_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["kb_article.id"],
            name=op.f("fk_kb_article_request_type_article_id_kb_article"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_type_id"],
            ["request_type.id"],
            name=op.f("fk_kb_article_request_type_request_type_id_request_type"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "article_id", "request_type_id", name=op.f("pk_kb_article_request_type")
        ),
    )
    op.create_table(
        "kb_article_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("editor_id", sa.Integer(), nullable=True),
        sa.Column("changed", sa.JSON(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["kb_article.id"],
            name=op.f("fk_kb_article_version_article_id_kb_article"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["editor_id"], ["user.id"], name=op.f("fk_kb_article_version_editor_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_article_version")),
        sa.UniqueConstraint("article_id", "number", name="uq_kb_article_version_number"),
    )
    op.create_table(
        "kb_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("request_type_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("query", sa.String(length=200), nullable=True),
        sa.Column("results", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["kb_article.id"],
            name=op.f("fk_kb_event_article_id_kb_article"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["request_type_id"],
            ["request_type.id"],
            name=op.f("fk_kb_event_request_type_id_request_type"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_kb_event_user_id_user"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_event")),
    )
    op.create_index("ix_kb_event_kind_created", "kb_event", ["kind", "created_at"])
    op.create_index(op.f("ix_kb_event_article_id"), "kb_event", ["article_id"])

    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(_FRENCH_UNACCENT)
        op.execute(_SEARCH_VECTOR)
        op.execute(_TITLE_VECTOR)
        op.execute(
            "CREATE INDEX ix_kb_article_search_vector ON kb_article USING gin (search_vector)"
        )
        op.execute("CREATE INDEX ix_kb_article_title_vector ON kb_article USING gin (title_vector)")
        op.execute(
            "CREATE INDEX ix_kb_article_search_trgm ON kb_article "
            "USING gin (search_text gin_trgm_ops)"
        )
    else:
        op.execute(
            "CREATE VIRTUAL TABLE kb_article_fts USING fts5("
            "title, keywords, body, tokenize = 'unicode61 remove_diacritics 2')"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_table("kb_event")
        op.drop_table("kb_article_version")
        op.drop_table("kb_article_request_type")
        op.drop_table("kb_article")
        # The configuration and the extensions belong to the ticket-search migration.
    else:
        op.execute("DROP TABLE IF EXISTS kb_article_fts")
        op.drop_table("kb_event")
        op.drop_table("kb_article_version")
        op.drop_table("kb_article_request_type")
        op.drop_table("kb_article")
