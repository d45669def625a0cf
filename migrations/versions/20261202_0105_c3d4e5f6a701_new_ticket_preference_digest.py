"""notifications: how staff hear of new tickets in their queues (each, digest, none)

Revision ID: c3d4e5f6a701
Revises: c3f1d2e4a5b6
Create Date: 2026-12-02 01:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c3d4e5f6a701"
down_revision = "c3f1d2e4a5b6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "new_ticket_preference",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "mode",
            sa.Enum("each", "digest", "none", name="newticketmode", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("digest_since", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_new_ticket_preference_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_new_ticket_preference")),
    )


def downgrade():
    op.drop_table("new_ticket_preference")
