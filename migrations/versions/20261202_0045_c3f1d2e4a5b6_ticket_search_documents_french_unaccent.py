"""ticket search: french_unaccent configuration, documents table, GIN and trigram indexes

Revision ID: c3f1d2e4a5b6
Revises: c3f1a9d2e7b4
Create Date: 2026-12-02 00:40:00.000000

On PostgreSQL: the `unaccent` and `pg_trgm` extensions, a `french_unaccent` configuration
(French stemming after folding accents), a `ticket_search` row per ticket holding two tsvectors
(staff: everything including internal notes; public: what the requester may read) with a GIN
index on the staff one, and trigram indexes for partial references and requester names. The
existing tickets are indexed here in one set-based statement; afterwards the application keeps
the rows up to date (desk.search.indexing). On SQLite the documents are accent-folded text and
the PostgreSQL-only indexes are empty partial indexes (see desk.search.models).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "c3f1d2e4a5b6"
down_revision = "c3f1a9d2e7b4"
branch_labels = None
depends_on = None

NEVER = sa.text("0 = 1")  # SQLite: the index exists (models match) but holds no row


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE TEXT SEARCH CONFIGURATION french_unaccent (COPY = french)")
        op.execute(
            "ALTER TEXT SEARCH CONFIGURATION french_unaccent "
            "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem"
        )
    document = sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql")
    op.create_table(
        "ticket_search",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("document", document, nullable=False),
        sa.Column("public_document", document, nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticket.id"],
            name=op.f("fk_ticket_search_ticket_id_ticket"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_ticket_search")),
    )
    op.create_index(
        "ix_ticket_search_document",
        "ticket_search",
        ["document"],
        postgresql_using="gin",
        sqlite_where=NEVER,
    )
    op.create_index(
        "ix_ticket_reference_trgm",
        "ticket",
        ["reference"],
        postgresql_using="gin",
        postgresql_ops={"reference": "gin_trgm_ops"},
        sqlite_where=NEVER,
    )
    for column in ("display_name", "email"):
        op.create_index(
            f"ix_user_{column}_trgm",
            "user",
            [column],
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
            sqlite_where=NEVER,
        )
    if postgres:
        op.execute(BACKFILL)


# The same weights as desk.search.indexing: A reference, subject and request type; B the
# requester; C the form data; D the messages (public ones only in public_document).
BACKFILL = """
INSERT INTO ticket_search (ticket_id, document, public_document)
SELECT t.id,
    setweight(to_tsvector('french_unaccent', head), 'A')
    || setweight(to_tsvector('french_unaccent', people), 'B')
    || setweight(to_tsvector('french_unaccent', form), 'C')
    || setweight(to_tsvector('french_unaccent', coalesce(all_bodies, '')), 'D'),
    setweight(to_tsvector('french_unaccent', head), 'A')
    || setweight(to_tsvector('french_unaccent', people), 'B')
    || setweight(to_tsvector('french_unaccent', form), 'C')
    || setweight(to_tsvector('french_unaccent', coalesce(public_bodies, '')), 'D')
FROM (
    SELECT t.id,
        t.reference || ' ' || t.subject || ' ' || rt.title_fr || ' ' || rt.title_en AS head,
        u.display_name || ' ' || u.email AS people,
        left(coalesce((SELECT string_agg(value, ' ') FROM jsonb_each_text(t.data)), ''),
             100000) AS form,
        (SELECT left(string_agg(e.body, ' '), 200000) FROM ticket_event e
          WHERE e.ticket_id = t.id) AS all_bodies,
        (SELECT left(string_agg(e.body, ' '), 200000) FROM ticket_event e
          WHERE e.ticket_id = t.id AND NOT e.is_internal) AS public_bodies
    FROM ticket t
    JOIN "user" u ON u.id = t.requester_id
    JOIN request_type rt ON rt.id = t.request_type_id
) AS t
"""


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    for column in ("display_name", "email"):
        op.drop_index(f"ix_user_{column}_trgm", table_name="user")
    op.drop_index("ix_ticket_reference_trgm", table_name="ticket")
    op.drop_index("ix_ticket_search_document", table_name="ticket_search")
    op.drop_table("ticket_search")
    if postgres:
        op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS french_unaccent")
        op.execute("DROP EXTENSION IF EXISTS pg_trgm")
        op.execute("DROP EXTENSION IF EXISTS unaccent")
