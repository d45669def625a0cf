"""mailing_list table: existing lists, so a request for a taken name is refused

Revision ID: 5c1a7e2b9d41
Revises: ccbdb0b5c3ee
Create Date: 2026-11-21 06:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5c1a7e2b9d41"
down_revision = "ccbdb0b5c3ee"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "mailing_list",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailing_list")),
        sa.UniqueConstraint("name", name=op.f("uq_mailing_list_name")),
    )


def downgrade():
    op.drop_table("mailing_list")
