"""canned replies: per-queue reply templates with a French and an English text

Revision ID: d4e2b7c9a1f3
Revises: d7e2a4b1c9f3
Create Date: 2026-12-02 01:15:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d4e2b7c9a1f3"
down_revision = "d7e2a4b1c9f3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "canned_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body_fr", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["queue_id"],
            ["queue.id"],
            name=op.f("fk_canned_reply_queue_id_queue"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user.id"],
            name=op.f("fk_canned_reply_updated_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canned_reply")),
    )
    op.create_index("ix_canned_reply_queue_title", "canned_reply", ["queue_id", "title"])


def downgrade():
    op.drop_index("ix_canned_reply_queue_title", table_name="canned_reply")
    op.drop_table("canned_reply")
